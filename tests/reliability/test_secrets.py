"""Secrets never reach a bundle: a seeded list of secret-looking values, placed where real
systems put them, is absent from every stored object; the keys stay, marked redacted."""

from __future__ import annotations

from pathlib import Path

import pytest

from annexa import cli
from annexa.evidence_store.canonical import canonical_bytes
from annexa.evidence_store.redact import REDACTED, redact

SECRETS = {
    "aws_secret_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "aws_session_token": "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD",
    "lambda_db_password": "Pr0d-DB-p@ssw0rd!",
    "ec2_user_data": "IyEvYmluL2Jhc2gKZXhwb3J0IERCX1BBU1M9aHVudGVyMg==",
    "postgres_url": "postgres://app:Sup3rS3cret@db.internal:5432/app",
    "azure_storage_key": "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=c2VjcmV0a2V5c2VjcmV0a2V5c2VjcmV0a2V5Zm9v==;EndpointSuffix=core.windows.net",
    "azure_sas_url": "https://acme.blob.core.windows.net/c?sv=2022-11-02&ss=b&sig=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789%3D",
    "azure_client_secret": "Q~8Q8Q~abcdefghijklmnopqrstuvwxyz0123",
    "github_pat": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "github_fine_grained": "github_pat_11ABCDEFG0abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
    "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
    "slack_token": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
}

# Where real APIs put such values (shapes of Lambda, EC2, Azure, GitHub and generic config).
FACTS = [
    {
        "FunctionName": "billing",
        "Environment": {
            "Variables": {
                "DB_PASSWORD": SECRETS["lambda_db_password"],
                "DATABASE_URL": SECRETS["postgres_url"],
                "AWS_SECRET_ACCESS_KEY": SECRETS["aws_secret_key"],
                "AWS_SESSION_TOKEN": SECRETS["aws_session_token"],
                "LOG_LEVEL": "info",
            }
        },
    },
    {"InstanceId": "i-1", "UserData": {"Value": SECRETS["ec2_user_data"]}},
    {
        "name": "acme",
        "properties": {"connectionString": SECRETS["azure_storage_key"], "backupUrl": SECRETS["azure_sas_url"]},
    },
    {"appRegistration": {"clientSecret": SECRETS["azure_client_secret"], "displayName": "annexa"}},
    {
        "repo": "acme/api",
        "notes": f"token in a commit message: {SECRETS['github_pat']}",
        "env": [{"name": "GH_TOKEN", "value": SECRETS["github_fine_grained"]}],
    },
    {
        "ssh": {"host_key": SECRETS["private_key"]},
        "webhook": {"config": {"url": "https://hooks.slack.com/x", "secret": SECRETS["slack_token"]}},
    },
    {"headers": [SECRETS["jwt"]]},
]


def test_seeded_secrets_are_redacted_and_keys_kept() -> None:
    stored = canonical_bytes([redact(fact) for fact in FACTS]).decode()
    for name, value in SECRETS.items():
        assert value not in stored, name
        assert value.split("\n")[0] not in stored, name
    for key in ("DB_PASSWORD", "AWS_SECRET_ACCESS_KEY", "UserData", "connectionString", "clientSecret", "secret"):
        assert f'"{key}"' in stored
    assert REDACTED in stored and '"LOG_LEVEL":"info"' in stored and '"displayName":"annexa"' in stored


def test_settings_that_merely_mention_secrets_keep_their_values() -> None:
    settings = {
        "MinimumPasswordLength": 14,
        "PasswordReusePrevention": 24,
        "password_enabled": True,
        "PasswordLastUsed": "2026-11-01T00:00:00Z",
        "secret_scanning": {"status": "enabled"},
        "access_key_1_last_rotated": "2026-10-01T00:00:00Z",
        "sha": "9fceb02d0ae598e95dc970b74767f19372d61af8",
    }
    assert redact(settings) == settings


def test_demo_store_holds_no_seeded_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "demo"
    assert cli.main(["--log-format", "json", "demo", "--store", str(store)]) == 0
    capsys.readouterr()
    blob = b"".join(p.read_bytes() for p in store.rglob("*") if p.is_file() and p.suffix != ".sqlite")
    for planted in (b"Sup3rS3cret!", b"Demo-Passw0rd-alice", b"Demo-Passw0rd-bob"):
        assert planted not in blob
    assert b"db_password" in blob  # the tag's key is kept: an auditor sees a secret is there
