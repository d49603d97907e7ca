"""The `gcp:` target's options: validated at config load, one line naming the option."""

from __future__ import annotations

from pathlib import Path

import pytest

from annexa.collectors.gcp.settings import GcpSettings, parse_settings
from annexa.collectors.registry import load_registry
from annexa.config import load_config
from annexa.errors import UsageError
from annexa.mappings.catalog import load_catalog


def test_each_scope_form_is_read() -> None:
    assert parse_settings({"organization": 123456789012}) == GcpSettings(organization="organizations/123456789012")
    assert parse_settings({"folder": "folders/456"}).root == "folders/456"
    settings = parse_settings(
        {
            "projects": ["prod-app-4711", "prod-app-4711", "sandbox-lab"],
            "impersonate": "annexa-reader@prod-app-4711.iam.gserviceaccount.com",
            "endpoint": "http://127.0.0.1:8080/",
            "access_token_env": "GCP_TOKEN",
        }
    )
    assert settings.projects == ("prod-app-4711", "sandbox-lab")
    assert settings.endpoint == "http://127.0.0.1:8080"
    assert settings.root is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "a gcp target needs exactly one of 'organization', 'folder' or 'projects'"),
        (
            {"organization": "1", "projects": ["prod-app-4711"]},
            "a gcp target needs exactly one of 'organization', 'folder' or 'projects' (got organization, projects)",
        ),
        (
            {"organization": "example.com"},
            "gcp option 'organization' must be a numeric organization id such as 123456789012, got 'example.com'",
        ),
        ({"folder": True}, "gcp option 'folder' must be a numeric folder id such as 123456789012, got True"),
        ({"projects": []}, "gcp option 'projects' must be a non-empty list of project ids, got []"),
        ({"projects": ["Prod_App"]}, "gcp option 'projects' must be a non-empty list of project ids, got ['Prod_App']"),
        (
            {"projects": ["prod-app-4711"], "impersonate": "someone@example.com"},
            "gcp option 'impersonate' must be a service account email (name@project.iam.gserviceaccount.com), got 'someone@example.com'",
        ),
        (
            {"projects": ["prod-app-4711"], "access_token_env": "not a name"},
            "gcp option 'access_token_env' must name an environment variable, got 'not a name'",
        ),
        (
            {"projects": ["prod-app-4711"], "endpoint": "http://fake.example.com"},
            "gcp option 'endpoint' must use https:// (plain http only to 127.0.0.1, localhost or ::1), not http://fake.example.com",
        ),
    ],
)
def test_bad_options_name_the_option(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_settings(options)
    assert str(caught.value) == message


def test_config_load_reports_one_line(tmp_path: Path) -> None:
    path = tmp_path / "annexa.yaml"
    path.write_text("targets:\n  - gcp: {organization: 1, folder: 2}\n")
    with pytest.raises(UsageError) as caught:
        load_config(path, load_registry(), load_catalog())
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith(
        "a gcp target needs exactly one of 'organization', 'folder' or 'projects' (got organization, folder)"
    )


def test_config_rejects_unknown_option(tmp_path: Path) -> None:
    path = tmp_path / "annexa.yaml"
    path.write_text("targets:\n  - gcp: {projects: [prod-app-4711], key_file: /tmp/k.json}\n")
    with pytest.raises(UsageError) as caught:
        load_config(path, load_registry(), load_catalog())
    assert "unknown gcp option 'key_file'" in str(caught.value)
