"""azure.compute (collectors/azure/compute.py): every virtual machine with its extensions (one read per VM), and every managed disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakes.azure_specs import assert_pages_and_errors
from fakes.verdicts import results

from annexa.collectors.azure.compute import ComputeCollector, _managed_disk
from annexa.model import Fact, Source


def test_reads_vms_their_extensions_and_disks() -> None:
    assert ComputeCollector.kinds == ("azure.compute.vm", "azure.compute.disk")
    assert ComputeCollector.permissions == (
        "Microsoft.Compute/virtualMachines/read",
        "Microsoft.Compute/virtualMachines/extensions/read",
        "Microsoft.Compute/disks/read",
    )


def test_every_page_is_read_and_a_failed_read_is_error_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_pages_and_errors(ComputeCollector, monkeypatch)


DISKS = json.loads((Path(__file__).parents[2] / "data/azure/arm-disks-list-by-subscription.json").read_text())


def _disk_verdicts(raw: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    data = _managed_disk(raw)
    fact = Fact(
        kind="azure.compute.disk",
        resource=raw["id"],
        scope={"provider": "azure", "subscription": "s", "region": "westus"},
        data=data,
        source=Source(operations=("GET disks",), principal="t/o", pages=1),
    )
    result = next(r for r in results([fact], "azure") if r.rule == "azure.compute.disk-no-public-export")
    return data, result.status, result.message


def test_a_disk_without_network_access_policy_is_judged_at_its_default_allow_all() -> None:
    """Microsoft's example disks carry no networkAccessPolicy: exportable from any network, so a fail
    that names the applied default, not a pass on null."""
    for raw in DISKS["value"]:
        data, status, message = _disk_verdicts(raw)
        assert "network_access_policy" not in data and "public_network_access" not in data
        assert status == "fail"
        assert message.endswith('default applied (absent from the API response): network_access_policy = "AllowAll"')


def test_a_disk_that_denies_export_passes() -> None:
    raw = json.loads(json.dumps(DISKS["value"][1]))
    raw["properties"]["networkAccessPolicy"] = "DenyAll"
    data, status, _ = _disk_verdicts(raw)
    assert data["network_access_policy"] == "DenyAll" and status == "pass"
