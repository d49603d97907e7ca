"""Store URLs: a path, `file://PATH` or `s3://BUCKET/PREFIX`, checked without opening anything,
so `annexa check` and the config loader refuse `s3://` (no bucket) before a run starts."""

from __future__ import annotations

import re

__all__ = ["parse_s3_url", "store_url_problem"]

# S3 bucket naming rules (3 to 63 characters: lowercase letters, digits, dots, hyphens;
# starting and ending with a letter or digit).
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def parse_s3_url(url: str) -> tuple[str, str] | None:
    """(bucket, prefix) of a valid `s3://` URL, else None."""
    bucket, _, prefix = url[len("s3://") :].partition("/")
    if not _BUCKET.match(bucket) or ".." in prefix or "//" in prefix.strip("/"):
        return None
    return bucket, prefix


def store_url_problem(url: str) -> str | None:
    """Why `url` cannot name a store, or None."""
    if url.startswith("s3://"):
        if parse_s3_url(url) is None:
            if not url[len("s3://") :].partition("/")[0]:
                return f"store URL {url!r} names no bucket (use s3://BUCKET/PREFIX)"
            return f"invalid store URL {url!r} (use s3://BUCKET/PREFIX with a valid bucket name)"
        return None
    if "://" in url.removeprefix("file://"):
        return f"unsupported store URL {url!r} (use a path, file://PATH or s3://BUCKET/PREFIX)"
    if not url.removeprefix("file://").strip():
        return "the store path is empty (use a path, file://PATH or s3://BUCKET/PREFIX)"
    return None
