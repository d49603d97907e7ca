"""Whether a Kubernetes version is still supported, from the shipped calendars (kubernetes_releases.yaml).

One table and one function for every place a Kubernetes version is judged: a cluster's API server
(`GET /version`), its nodes' kubelets, EKS, GKE (and any other managed service that reports a
version). Rules call it as the JMESPath function `release_support(version, calendar)` (jmes.py),
evaluated at the run's clock, so facts keep only the raw version string.

A version annexa cannot read, or a minor release the calendar does not list (the table has gone
stale, or the date was never published where the table was built from), raises `ReleaseError`:
the rule's result is `error` naming the table, never a pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CALENDARS_FILE", "Calendar", "ReleaseError", "calendars", "minor_of", "support"]

CALENDARS_FILE = Path(__file__).with_name("kubernetes_releases.yaml")
_TABLE = "mappings/kubernetes_releases.yaml"
# gitVersion "v1.31.0", kubeletVersion "v1.29.0-eks-5e0fdde", GKE "1.30.5-gke.1014001", EKS "1.34":
# major.minor, then optionally .patch and a pre-release or build suffix (semantic versioning).
_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+][0-9A-Za-z.+-]*)?")


class ReleaseError(ValueError):
    """A version that cannot be judged against the calendar."""


@dataclass(frozen=True)
class Calendar:
    name: str
    title: str
    source: str
    taken: date
    ends: Mapping[str, date]  # "1.33" -> the first day the release is no longer supported


@lru_cache(maxsize=1)
def calendars() -> Mapping[str, Calendar]:
    raw = yaml.safe_load(CALENDARS_FILE.read_text(encoding="utf-8"))["calendars"]
    return {
        name: Calendar(
            name=name,
            title=str(body["title"]),
            source=str(body["source"]),
            taken=body["taken"],
            ends={str(minor): end for minor, end in body["releases"].items()},
        )
        for name, body in raw.items()
    }


def minor_of(version: str) -> str:
    """ "1.31" of "v1.31.0", "1.30.5-gke.1014001" or "1.34"; ReleaseError for anything else."""
    match = _VERSION.fullmatch(version.strip())
    if match is None:
        raise ReleaseError(f"Kubernetes version {version!r} cannot be read (expected major.minor[.patch][-suffix])")
    return f"{int(match[1])}.{int(match[2])}"


def support(version: str, calendar: str, now: datetime) -> dict[str, Any]:
    """`{minor, ends, supported}` of `version` on `calendar` at `now` (supported: before `ends`)."""
    found = calendars().get(calendar)
    if found is None:
        raise ReleaseError(f"no release calendar {calendar!r} in {_TABLE} (known: {', '.join(calendars())})")
    minor = minor_of(version)
    end = found.ends.get(minor)
    if end is None:
        raise ReleaseError(
            f"Kubernetes {minor} (from {version!r}) is not in {_TABLE}, calendar {calendar!r} ({found.title},"
            f" taken {found.taken.isoformat()}): annexa cannot tell whether it is supported;"
            f" add its date from {found.source}"
        )
    return {"minor": minor, "ends": end.isoformat(), "supported": now.date() < end}
