"""azure.compute (collectors/azure/compute.py): every virtual machine with its extensions (one read per VM), and every managed disk."""

from __future__ import annotations

import pytest
from fakes.azure_specs import assert_pages_and_errors

from annexa.collectors.azure.compute import ComputeCollector


def test_reads_vms_their_extensions_and_disks() -> None:
    assert ComputeCollector.kinds == ("azure.compute.vm", "azure.compute.disk")
    assert ComputeCollector.permissions == (
        "Microsoft.Compute/virtualMachines/read",
        "Microsoft.Compute/virtualMachines/extensions/read",
        "Microsoft.Compute/disks/read",
    )


def test_every_page_is_read_and_a_failed_read_is_error_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_pages_and_errors(ComputeCollector, monkeypatch)
