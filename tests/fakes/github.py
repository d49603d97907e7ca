"""The loopback fake of the GitHub REST API lives in the package (`annexa demo` serves it)."""

from annexa.demo.github_fake import EXAMPLES, FakeGitHub, Keyed, Moved, error, example, fake_github, seeded_org

__all__ = ["EXAMPLES", "FakeGitHub", "Keyed", "Moved", "error", "example", "fake_github", "seeded_org"]
