"""The registers collector."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.registers.registers import REGISTERS, Row, load_register
from annexa.collectors.userfiles import reader
from annexa.model import CollectionError, Fact, Source

__all__ = ["RegisterCollector"]

REGISTER = "register.file"


def _latest(rows: list[Row], name: str) -> str | None:
    dates = [row.data[name] for row in rows if row.data.get(name)]
    return max(dates, key=lambda d: d[:10]) if dates else None


class RegisterCollector(Collector):
    """One fact per record of a register kept as a file in the ISMS repository (CSV, JSON or YAML),
    through a declared column mapping, and one fact per register.

    - `register.asset` (A.5.9, A.5.12, A.5.13): `owner`, `classification`, `labelled`, `last_reviewed`;
      `classification_known` (the classification is one of the target's `classification_levels`;
      null when none are declared).
    - `register.supplier` (A.5.19-A.5.22): `tier`, `security_clauses`, `ict`, `owner`, `last_reviewed`;
      `review_interval_days` is the interval for the supplier's tier (`review_intervals`).
    - `register.risk` (clause 6.1, 8.2): `owner`, `treatment`, `last_reviewed`.
    - `register.audit` (clause 9.2, A.5.35): `planned`, `held`, `independent`, `scope`.
    - `register.management_review` (clause 9.3): `planned`, `held`.
    - `register.legal_requirement` (A.5.31): `owner`, `last_reviewed`.
    - `register.contact` (A.5.5, A.5.6): `category` (authority or interest-group), `owner`, `last_reviewed`.
    - `register.continuity_test` (A.5.29, A.5.30): `planned`, `held`, `outcome`.
    - `register.file` (`register:<name>`): `register` (its kind), `rows`, `latest_held` and
      `latest_reviewed` (the newest such date in the file), `review_interval_days`.

    Every record also carries `id`, `title` when mapped, `mapped` (the fields the file maps) and
    `review_interval_days` (target option `review_interval`, default 365d). Dates are judged against
    the collection date; a date that cannot be read makes that record (and the register fact) a
    collection error naming file and line.
    """

    name = "register.records"
    provider = "register"
    kinds = (REGISTER, *(register.kind for register in REGISTERS.values()))
    permissions = ("read the register file",)
    evidence_class = "record"  # registers the organisation keeps: records of operation, not configuration
    # `path` (relative to annexa.yaml), `register` (its kind), `columns` (annexa field -> column),
    # `review_interval` (default 365d), `review_intervals` (suppliers: per tier), `classification_levels`
    # (assets: the scheme's levels), `name` (a label; default the file's stem).
    target_options: ClassVar[Mapping[str, type]] = {
        "path": Path,
        "register": str,
        "columns": dict,
        "review_interval": str,
        "review_intervals": dict,
        "classification_levels": list,
        "name": str,
    }

    @classmethod
    def preflight(cls, target: Target) -> None:
        load_register(target.label, target.options)

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        register, rows, interval = load_register(target.label, target.options)
        path = Path(target.options["path"])
        label = target.options.get("name") or path.stem
        scope = {"provider": "register", "org": label}
        source = Source(operations=(f"read {path}",), principal=reader(), endpoint=str(path))
        for row in rows:
            resource = f"register:{label}/{row.id}"
            if row.error is not None:
                yield CollectionError((register.kind,), scope, row.error, operation=f"read {path}", resource=resource)
                continue
            yield Fact(kind=register.kind, resource=resource, scope=scope, data=row.data, source=source)
        resource = f"register:{label}"
        errors = [row.error for row in rows if row.error is not None]
        if errors:
            message = f"{errors[0]} (and {len(errors) - 1} more)" if len(errors) > 1 else errors[0]
            yield CollectionError((REGISTER,), scope, message, operation=f"read {path}", resource=resource)
            return
        summary: dict[str, Any] = {
            "register": target.options["register"],
            "rows": len(rows),
            "latest_held": _latest(rows, "held"),
            "latest_reviewed": _latest(rows, "last_reviewed"),
            "review_interval_days": interval,
        }
        yield Fact(kind=REGISTER, resource=resource, scope=scope, data=summary, source=source)
