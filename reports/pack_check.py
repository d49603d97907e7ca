"""`annexa verify PACK` recomputes the pack's SoA from the pack's own evidence and compares.

The hashes, signatures and seal prove that the files are those the organisation wrote; they do
not prove that `soa.html` and `soa.xlsx` say what the evidence says (a pack built by a buggy or
doctored tool, then sealed, would verify). This check opens the pack's evidence as a read-only
store (its manifests and objects; an index built in a temporary folder from the verified
manifests and deltas), judges the SoA run named in `pack.json` exactly as `annexa soa --run`
does, and compares: `soa.html` byte for byte, `soa.xlsx` cell for cell, naming the first
difference.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from annexa.errors import StoreError, VerifyError
from annexa.evidence_store.lock import RunLock
from annexa.evidence_store.packfile import PackSource
from annexa.evidence_store.store import Store
from annexa.evidence_store.verify import VerifyReport
from annexa.mappings.catalog import load_catalog
from annexa.reports.soa import build_soa, soa_html, soa_workbook

__all__ = ["PackBackend", "check_pack_soa"]


class PackBackend:
    """A pack's evidence as a read-only store backend."""

    def __init__(self, source: PackSource, index_folder: Path) -> None:
        self.source = source
        self.url = source.label
        self._index = index_folder / "index.sqlite"

    def has_object(self, digest: str) -> bool:
        return self.source.has_object(digest)

    def get_object(self, digest: str) -> bytes:
        return self.source.get_object(digest)

    def iter_objects(self) -> list[str]:
        return sorted(self.source.objects)

    def get_manifest(self, sequence: int) -> bytes:
        return self.source.get_manifest(sequence)

    def list_manifests(self, after: int = 0) -> list[int]:
        return [seq for seq in self.source.list_manifests() if seq > after]

    def index_path(self) -> Path:
        return self._index

    def _read_only(self, *_args: Any) -> None:
        raise StoreError(f"{self.url}: an audit pack is read-only")

    put_object = publish_manifest = publish_shard = _read_only

    def get_shard(self, run_id: str, name: str) -> bytes:
        raise StoreError(f"{self.url}: an audit pack holds no shards")

    def list_shards(self, run_id: str) -> list[str]:
        return []

    def run_lock(self) -> RunLock:
        raise StoreError(f"{self.url}: an audit pack is read-only")


def _cells(data: bytes) -> dict[str, list[list[Any]]]:
    from openpyxl import load_workbook  # only a pack check pays for reading a workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def _first_difference(stated: Mapping[str, list[list[Any]]], computed: Mapping[str, list[list[Any]]]) -> str:
    for title in computed:
        if title not in stated:
            return f"sheet {title!r} is missing"
        ours, theirs = computed[title], stated[title]
        headers = ours[0] if ours else []
        for number, (want, got) in enumerate(zip(ours, theirs, strict=False), 1):
            if want != got:
                for column, (a, b) in enumerate(zip(want, got, strict=False)):
                    if a != b:
                        label = headers[column] if column < len(headers) else column + 1
                        return (
                            f"sheet {title!r} row {number} ({want[0]}) {label}: it says {b!r}, the evidence gives {a!r}"
                        )
                return f"sheet {title!r} row {number} ({want[0]}) has {len(got)} cells, expected {len(want)}"
        if len(ours) != len(theirs):
            return f"sheet {title!r} has {len(theirs)} rows, the evidence gives {len(ours)}"
    return "sheets differ"


def check_pack_soa(source: PackSource, meta: Mapping[str, Any], report: VerifyReport) -> None:
    """Problems when the pack's SoA is not the SoA its evidence gives (PackCheck)."""
    run_ref = (meta.get("soa_run") or {}).get("sequence")
    if run_ref is None or "soa.html" not in source.files:
        report.notes.append(
            "the pack names no SoA run or has no soa.html (built by an older annexa): SoA not recomputed"
        )
        return
    controls = meta.get("controls") or None
    try:
        with tempfile.TemporaryDirectory(prefix="annexa-pack-check-") as folder:
            store = Store(PackBackend(source, Path(folder)))  # type: ignore[arg-type]
            try:
                soa = build_soa(store, store.resolve(str(run_ref)), load_catalog())
                html, workbook = soa_html(soa, controls=controls), soa_workbook(soa, controls=controls)
            finally:
                store.close()
    except (StoreError, VerifyError, KeyError, TypeError, ValueError) as err:
        report.problems.append(f"soa: the SoA of run {run_ref} cannot be recomputed from the pack's evidence: {err}")
        return
    if source.read("soa.html").decode("utf-8", "replace") != html:
        report.problems.append(
            f"soa.html is not the SoA of run {run_ref} recomputed from the pack's evidence "
            f"(`annexa soa --run {run_ref}`)"
        )
    if "soa.xlsx" not in source.files:
        report.problems.append("soa.xlsx is missing")
        return
    try:
        stated = _cells(source.read("soa.xlsx"))
    except Exception as err:  # openpyxl raises many kinds on a damaged workbook  # noqa: BLE001
        report.problems.append(f"soa.xlsx cannot be read as a workbook ({type(err).__name__})")
        return
    computed = _cells(workbook)
    if stated != computed:
        report.problems.append(
            f"soa.xlsx differs from the SoA its evidence gives: {_first_difference(stated, computed)}"
        )
