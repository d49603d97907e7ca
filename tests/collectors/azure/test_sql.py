"""azure.sql (collectors/azure/sql.py): every SQL server with its Entra administrators and auditing, and under each its databases with their TDE state."""

from __future__ import annotations

import pytest
from fakes.azure_specs import assert_pages_and_errors

from annexa.collectors.azure.sql import SqlCollector


def test_reads_servers_and_their_databases() -> None:
    assert SqlCollector.kinds == ("azure.sql.server", "azure.sql.database")
    assert SqlCollector.permissions == (
        "Microsoft.Sql/servers/read",
        "Microsoft.Sql/servers/administrators/read",
        "Microsoft.Sql/servers/auditingSettings/read",
        "Microsoft.Sql/servers/databases/read",
        "Microsoft.Sql/servers/databases/transparentDataEncryption/read",
    )


def test_every_page_is_read_and_a_failed_read_is_error_evidence(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_pages_and_errors(SqlCollector, monkeypatch)
