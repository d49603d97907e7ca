"""An independent integrity check of a local store, written from the format description
(not from annexa's code), used by the crash and disk-full tests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

__all__ = ["store_problems"]


def store_problems(store: Path) -> list[str]:
    """Whole runs only: every manifest's referenced objects exist with the right hash, chain unbroken."""
    problems: list[str] = []
    manifests = sorted((store / "manifests").glob("*.json"))
    previous_sha = None
    for expected_seq, path in enumerate(manifests, start=1):
        raw = path.read_bytes()
        manifest = json.loads(raw)
        if manifest["sequence"] != expected_seq or path.stem != f"{expected_seq:08d}":
            problems.append(f"{path.name}: sequence gap (expected {expected_seq})")
        if (manifest["previous"] or {}).get("sha256") != previous_sha:
            problems.append(f"{path.name}: previous link does not match")
        previous_sha = hashlib.sha256(raw).hexdigest()
        refs = [
            manifest["facts"]["delta"],
            manifest["results"]["delta"],
            manifest["mappings"]["object"],
            manifest["config"]["object"],
        ]
        delta = _object(store, manifest["facts"]["delta"], problems)
        if delta:
            refs += [entry[2] for entry in delta["add"]]
        for ref in refs:
            _object(store, ref, problems)
    return problems


def _object(store: Path, digest: str, problems: list[str]) -> dict | None:
    path = store / "objects" / digest[:2] / digest
    if not path.exists():
        problems.append(f"object {digest} missing")
        return None
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != digest:
        problems.append(f"object {digest} corrupt")
        return None
    return json.loads(data)
