"""azure.storage (collectors/azure/storage.py): every storage account of each subscription, from one listing."""

from __future__ import annotations

import pytest
from fakes.azure_specs import assert_pages_and_errors

from annexa.collectors.azure.storage import StorageCollector


def test_reads_storage_accounts() -> None:
    assert StorageCollector.kinds == ("azure.storage.account",)
    assert StorageCollector.permissions == ("Microsoft.Storage/storageAccounts/read",)


def test_every_page_is_read_and_a_failed_read_is_error_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_pages_and_errors(StorageCollector, monkeypatch)
