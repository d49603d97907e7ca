"""azure.defender (collectors/azure/defender.py): each subscription's Defender for Cloud plans and secure scores."""

from __future__ import annotations

import pytest
from fakes.azure_specs import assert_pages_and_errors

from annexa.collectors.azure.defender import DefenderCollector


def test_reads_plans_and_secure_scores() -> None:
    assert DefenderCollector.kinds == ("azure.defender.plan", "azure.defender.secure_score")
    assert DefenderCollector.permissions == ("Microsoft.Security/pricings/read", "Microsoft.Security/secureScores/read")


def test_every_page_is_read_and_a_failed_read_is_error_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_pages_and_errors(DefenderCollector, monkeypatch)
