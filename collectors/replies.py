"""What one logical read of a REST API returned, as the Azure and Google Cloud clients hand it to
their collectors (the collectors record `url` and `pages` as the evidence's operation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Reply"]


@dataclass(frozen=True)
class Reply:
    """The body (or the list of every page's bodies or items), the first request's URL and how
    many pages were read."""

    body: Any
    url: str
    pages: int = 1
