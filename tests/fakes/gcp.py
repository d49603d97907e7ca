"""The loopback fake of Google Cloud lives in the package (`annexa demo` serves it)."""

from annexa.demo.gcp_fake import FakeGoogle, Request, fake_google, list_key

__all__ = ["FakeGoogle", "Request", "fake_google", "list_key"]
