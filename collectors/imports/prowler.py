"""Prowler findings, from Prowler's JSON-OCSF output (`prowler <provider> -M json-ocsf`).

The file is a JSON array of OCSF Detection Finding objects, one per check x resource.
Each becomes an `import.prowler.finding` fact: resource = the finding's
`finding_info.uid`, scope = provider `import` with the cloud, account and region it names, collected_at =
the scan time Prowler recorded (so an old file is stale evidence, however recently
imported), and `annex_a` = the ids Prowler's own ISO27001-2022 compliance mapping gives
for the check (`unmapped.compliance`). Prowler's `status_code` (PASS, FAIL, MANUAL)
is kept as Prowler reported it; rules judge it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from annexa.collectors.base import Target
from annexa.collectors.imports.files import ImportCollector, ImportFileError, iter_json_array, read_import_file, rfc3339
from annexa.model import Fact, Source

__all__ = ["ProwlerImporter", "ISO_KEY"]

ISO_KEY = "ISO27001-2022"  # Prowler's compliance key: f"{Framework}-{Version}"
_STATUS_CODES = ("PASS", "FAIL", "MANUAL")


def _get(item: Mapping[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


class ProwlerImporter(ImportCollector):
    """Prowler's findings with their Annex A ids, from a JSON-OCSF output file (option `prowler: FILE`)."""

    name = "import.prowler"
    format = "prowler"
    kinds = ("import.prowler.finding",)
    permissions = ("read the Prowler JSON-OCSF output file",)
    target_options = {"prowler": str}

    def parse(self, target: Target) -> list[Fact]:
        file = read_import_file(Path(target.options["prowler"]))
        facts = []
        for line, item in iter_json_array(file):
            where = file.where(line)
            if not isinstance(item, dict):
                raise ImportFileError(f"{where}: each finding must be a JSON object")
            product = _get(item, "metadata.product.name")
            if product != "Prowler":
                raise ImportFileError(
                    f"{where}: not a Prowler finding (metadata.product.name is {product!r}; "
                    "expected Prowler's JSON-OCSF output, `prowler ... -M json-ocsf`)"
                )
            uid, status, check = (
                _get(item, "finding_info.uid"),
                item.get("status_code"),
                _get(item, "metadata.event_code"),
            )
            for field, value in (("finding_info.uid", uid), ("metadata.event_code", check)):
                if not isinstance(value, str) or not value:
                    raise ImportFileError(f"{where}: finding is missing {field}")
            if status not in _STATUS_CODES:
                raise ImportFileError(
                    f"{where}: finding {uid}: status_code {status!r} is not one of {', '.join(_STATUS_CODES)}"
                )
            observed = rfc3339(item.get("time")) or rfc3339(item.get("time_dt"))
            if observed is None:
                raise ImportFileError(f"{where}: finding {uid}: missing or unreadable scan time (time, time_dt)")
            compliance = _get(item, "unmapped.compliance") or {}
            annex_a = compliance.get(ISO_KEY, []) if isinstance(compliance, dict) else []
            if not isinstance(annex_a, list) or not all(isinstance(c, str) for c in annex_a):
                raise ImportFileError(f"{where}: finding {uid}: unmapped.compliance.{ISO_KEY} must be a list of ids")
            version = str(_get(item, "metadata.product.version") or "unknown")
            facts.append(
                Fact(
                    kind="import.prowler.finding",
                    resource=uid,
                    scope=_scope(item),
                    data=_data(item, check, status, annex_a, compliance),
                    source=Source(
                        operations=(f"import {file.path.name}",),
                        principal=f"prowler {version}",
                        imported={"tool": "prowler", "version": version, "file": file.path.name, "sha256": file.sha256},
                    ),
                    collected_at=observed,
                )
            )
        return facts


def _scope(item: Mapping[str, Any]) -> dict[str, str]:
    # provider stays `import` (the collector's provider, which carry-forward and reports rely on);
    # the scanned cloud is kept beside it.
    scope = {"provider": "import", "tool": "prowler"}
    if _get(item, "cloud.provider"):
        scope["cloud"] = str(_get(item, "cloud.provider"))
    account, region = _get(item, "cloud.account.uid"), _get(item, "cloud.region")
    if account:
        scope["account"] = str(account)
    if region:
        scope["region"] = str(region)
    return scope


def _data(item: Mapping[str, Any], check: str, status: str, annex_a: list[str], compliance: Any) -> dict[str, Any]:
    resources = item.get("resources") or [{}]
    resource = resources[0] if isinstance(resources, list) and isinstance(resources[0], dict) else {}
    return {
        "check": check,
        "title": _get(item, "finding_info.title"),
        "status_code": status,
        "status_detail": item.get("status_detail"),
        "severity": item.get("severity"),
        "muted": item.get("status_id") == 3,  # OCSF status Suppressed: Prowler's mute list
        "resource": {key: resource.get(key) for key in ("uid", "name", "type", "region")},
        "annex_a": list(dict.fromkeys(annex_a)),  # as Prowler lists them, without repeats
        "compliance": compliance,
        "remediation": _get(item, "remediation.desc"),
    }
