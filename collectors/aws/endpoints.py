"""Endpoint quirks of custom (non-AWS) endpoints set through `AWS_ENDPOINT_URL`."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["keep_local_endpoint_host"]


def _is_local_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def keep_local_endpoint_host(params: dict[str, Any], **_: Any) -> None:
    """`before-call.s3-control` handler: undo the `<account-id>.` host prefix on IP/localhost endpoints.

    S3 Control addresses `https://<account-id>.s3-control.<region>.amazonaws.com`; on a custom
    endpoint such as a moto_server at 127.0.0.1 that prefix yields a host name that cannot
    resolve. The account id also travels in the `x-amz-account-id` header, so the request
    stays complete without it. Real AWS host names are left alone.
    """
    parts = urlsplit(params["url"])
    prefix, _, host = (parts.hostname or "").partition(".")
    if prefix.isdigit() and _is_local_host(host):
        params["url"] = urlunsplit(parts._replace(netloc=parts.netloc.split(".", 1)[1]))
