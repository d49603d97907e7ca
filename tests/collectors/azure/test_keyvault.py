"""azure.keyvault (collectors/azure/keyvault.py): every Key Vault, and under each its diagnostic settings, keys and secrets (through ARM: no values)."""

from __future__ import annotations

import pytest
from fakes.azure_specs import assert_pages_and_errors

from annexa.collectors.azure.keyvault import KeyVaultCollector


def test_reads_vaults_their_diagnostic_settings_keys_and_secrets() -> None:
    assert KeyVaultCollector.kinds == ("azure.keyvault.vault", "azure.keyvault.diagnostics", "azure.keyvault.object")
    assert KeyVaultCollector.permissions == (
        "Microsoft.KeyVault/vaults/read",
        "Microsoft.Insights/diagnosticSettings/read",
        "Microsoft.KeyVault/vaults/keys/read",
        "Microsoft.KeyVault/vaults/secrets/read",
    )


def test_every_page_is_read_and_a_failed_read_is_error_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_pages_and_errors(KeyVaultCollector, monkeypatch)
