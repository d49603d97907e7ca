"""Azure target options are checked when the config loads: one line naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from annexa.collectors.azure.settings import parse_settings
from annexa.collectors.registry import load_registry
from annexa.config import load_config
from annexa.errors import UsageError
from annexa.mappings.catalog import load_catalog

SUB = "11111111-1111-4111-8111-111111111111"


def test_defaults_are_the_public_cloud() -> None:
    settings = parse_settings({})
    assert settings.subscriptions is None and settings.credential.type == "default"
    assert settings.arm_endpoint == "https://management.azure.com"
    assert settings.graph_endpoint == "https://graph.microsoft.com"
    assert settings.authority == "https://login.microsoftonline.com"


def test_sovereign_cloud_and_service_principal() -> None:
    settings = parse_settings(
        {
            "subscriptions": [SUB.upper()],
            "tenant_id": "72F988BF-86F1-41AF-91AB-2D7CD011DB47",
            "arm_endpoint": "https://management.usgovcloudapi.net/",
            "graph_endpoint": "https://graph.microsoft.us",
            "authority": "https://login.microsoftonline.us",
            "credential": {"type": "service_principal", "client_id": "app", "client_secret_env": "ANNEXA_AZURE_SECRET"},
        }
    )
    assert settings.subscriptions == (SUB,) and settings.tenant_id == "72f988bf-86f1-41af-91ab-2d7cd011db47"
    assert settings.arm_endpoint == "https://management.usgovcloudapi.net"


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"arm_endpoint": "http://management.example.com"}, "must be an https:// URL"),
        ({"graph_endpoint": "graph.microsoft.com"}, "must be an https:// URL"),
        ({"subscriptions": ["prod"]}, "list of subscription ids"),
        ({"tenant_id": "contoso"}, "tenant id"),
        ({"credential": {"type": "certificate"}}, "is not one of"),
        (
            {"credential": {"type": "service_principal", "client_id": "a", "client_secret": "hunter2"}},
            "client_secret_env",
        ),
        ({"credential": {"type": "service_principal", "client_id": "a", "client_secret_env": "S"}}, "tenant_id"),
        ({"credential": {"type": "access_token_env"}}, "arm_token_env"),
        ({"credential": {"type": "access_token_env", "arm_token_env": "not a name"}}, "environment variable"),
    ],
)
def test_bad_options_are_refused(options: dict, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        parse_settings(options)


def test_loopback_http_is_allowed_for_local_fakes() -> None:
    assert parse_settings({"arm_endpoint": "http://127.0.0.1:8080/arm"}).arm_endpoint == "http://127.0.0.1:8080/arm"


def test_config_load_reports_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "annexa.yaml"
    config.write_text(
        "targets:\n"
        "  - host: {}\n"
        "  - azure:\n"
        "      credential: {type: service_principal, client_id: app, client_secret: hunter2}\n"
    )
    with pytest.raises(UsageError) as info:
        load_config(config, load_registry(), load_catalog())
    message = str(info.value)
    assert message.startswith(f"{config}:3:") and "client_secret_env" in message and "\n" not in message
    assert "hunter2" not in message


def test_break_glass_accounts_are_object_ids() -> None:
    settings = parse_settings({"break_glass_accounts": ["0F6A0B1A-0000-4000-8000-0000000000EE"]})
    assert settings.break_glass_accounts == ("0f6a0b1a-0000-4000-8000-0000000000ee",)
    assert parse_settings({}).break_glass_accounts == ()
    with pytest.raises(ValueError, match="break_glass_accounts' must list object ids"):
        parse_settings({"break_glass_accounts": ["breakglass@contoso.com"]})
