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
from annexa.collectors.imports.files import (
    ImportCollector,
    ImportFileError,
    check_not_future,
    iter_json_array,
    open_import_file,
    rfc3339,
    worse_status,
)
from annexa.model import Fact, Source

__all__ = ["ProwlerImporter", "ISO_KEY"]

ISO_KEY = "ISO27001-2022"  # Prowler's compliance key: f"{Framework}-{Version}"
_STATUS_CODES = ("PASS", "FAIL", "MANUAL")
_WORST_FIRST = ("FAIL", "PASS", "MANUAL")  # MANUAL is no evidence: any verdict outweighs it


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
        # One finding per uid: a uid listed twice (a re-run appended to the file) keeps its worst status.
        findings: dict[str, tuple[dict[str, str], dict[str, Any], str, str]] = {}  # uid -> (scope, data, at, version)
        with open_import_file(Path(target.options["prowler"])) as file:
            for line, item in iter_json_array(file):
                uid, finding = _finding(file.where(line), item)
                earlier = findings.get(uid)
                if earlier is not None:
                    finding = _merge(earlier, finding)
                findings[uid] = finding
            digest, name = file.sha256, file.path.name
        return [
            Fact(
                kind="import.prowler.finding",
                resource=uid,
                scope=scope,
                data=data,
                source=Source(
                    operations=(f"import {name}",),
                    principal=f"prowler {version}",
                    imported={"tool": "prowler", "version": version, "file": name, "sha256": digest},
                ),
                collected_at=observed,
            )
            for uid, (scope, data, observed, version) in findings.items()
        ]


def _finding(where: str, item: Any) -> tuple[str, tuple[dict[str, str], dict[str, Any], str, str]]:
    """(uid, (scope, data, observed, version)) of one OCSF finding, or ImportFileError naming `where`."""
    if not isinstance(item, dict):
        raise ImportFileError(f"{where}: each finding must be a JSON object")
    product = _get(item, "metadata.product.name")
    if product != "Prowler":
        raise ImportFileError(
            f"{where}: not a Prowler finding (metadata.product.name is {product!r}; "
            "expected Prowler's JSON-OCSF output, `prowler ... -M json-ocsf`)"
        )
    uid, status, check = _get(item, "finding_info.uid"), item.get("status_code"), _get(item, "metadata.event_code")
    for field, value in (("finding_info.uid", uid), ("metadata.event_code", check)):
        if not isinstance(value, str) or not value:
            raise ImportFileError(f"{where}: finding is missing {field}")
    if status not in _STATUS_CODES:
        allowed = ", ".join(_STATUS_CODES)
        raise ImportFileError(f"{where}: finding {uid}: status_code {status!r} is not one of {allowed}")
    observed = rfc3339(item.get("time")) or rfc3339(item.get("time_dt"))
    if observed is None:
        raise ImportFileError(f"{where}: finding {uid}: missing or unreadable scan time (time, time_dt)")
    check_not_future(where, f"finding {uid}: scan time", observed)
    compliance = _get(item, "unmapped.compliance") or {}
    annex_a = compliance.get(ISO_KEY, []) if isinstance(compliance, dict) else []
    if not isinstance(annex_a, list) or not all(isinstance(c, str) for c in annex_a):
        raise ImportFileError(f"{where}: finding {uid}: unmapped.compliance.{ISO_KEY} must be a list of ids")
    version = str(_get(item, "metadata.product.version") or "unknown")
    return uid, (_scope(item), _data(item, check, status, annex_a, compliance), observed, version)


def _merge(
    earlier: tuple[dict[str, str], dict[str, Any], str, str], later: tuple[dict[str, str], dict[str, Any], str, str]
) -> tuple[dict[str, str], dict[str, Any], str, str]:
    """Two findings with one uid: the worse status wins (the newer on a tie), and the kept one
    counts how many entries it stands for, so the evidence shows the file listed it more than once."""
    worst = worse_status(_WORST_FIRST, later[1]["status_code"], earlier[1]["status_code"])
    kept = later if later[1]["status_code"] == worst else earlier
    data = {**kept[1], "duplicates": earlier[1].get("duplicates", 1) + 1}
    return kept[0], data, kept[2], kept[3]


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
