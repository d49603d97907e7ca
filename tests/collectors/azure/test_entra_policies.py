"""azure.entra.policies (collectors/azure/entra_policies.py): the tenant's MFA enforcement, authorization policy and domains, once per tenant."""

from __future__ import annotations

import pytest
from fakes.azure_specs import assert_pages_and_errors

from annexa.collectors.azure.entra_policies import EntraPoliciesCollector


def test_reads_the_tenants_policies_and_domains() -> None:
    assert EntraPoliciesCollector.kinds == (
        "azure.entra.mfa_enforcement",
        "azure.entra.authorization_policy",
        "azure.entra.domain",
    )
    assert EntraPoliciesCollector.permissions == ("Policy.Read.All", "Domain.Read.All")


def test_every_page_is_read_and_a_failed_read_is_error_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_pages_and_errors(EntraPoliciesCollector, monkeypatch)
