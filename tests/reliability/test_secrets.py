"""Secrets never reach a bundle: a seeded list of secret-looking values, placed where real
systems put them, is absent from every stored object; the keys stay, marked redacted."""

from __future__ import annotations

import json
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
    assert cli.main(["--log-format", "json", "demo", "--quick", "--store", str(store)]) == 0
    capsys.readouterr()
    blob = b"".join(p.read_bytes() for p in store.rglob("*") if p.is_file() and p.suffix != ".sqlite")
    for planted in (b"Sup3rS3cret!", b"Demo-Passw0rd-alice", b"Demo-Passw0rd-bob"):
        assert planted not in blob
    assert b"db_password" in blob  # the tag's key is kept: an auditor sees a secret is there


# Seeded where annexa meets them in a real run: columns of an imported scanner file (kept in
# the fact's `row`), and the body of an API error (GitHub answering 422 with the request echoed).
SEEDED = {
    "slack_webhook": "https://hooks.slack.com/services/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01",
    "stripe": "sk_live_SeededStripeKey0123456789abcdef",
    "google": "AIzaSyD-SeededGoogleKey0123456789abcdef0",
    "bearer": "SeededBearerToken.0123456789",
    "db_pass": "SeededDbPassValue!42",
    "password1": "SeededPassword1Value",
    "secret_key_base": "SeededSecretKeyBase0000",
    "db_password_prod": "SeededProdPassword7",
    "xml_tag_password": "SeededXmlTagPassword9",
}


def _scan(blob: bytes, where: str) -> list[str]:
    return [f"{name} in {where}" for name, value in SEEDED.items() if value.encode() in blob]


def test_seeded_secrets_reach_no_stored_object_index_log_or_pack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import zipfile

    from fakes.github import fake_github

    (tmp_path / "scan.csv").write_text(
        "asset,check_id,result,iso,DB_PASS,PASSWORD1,SECRET_KEY_BASE,db_password_prod,notes\n"
        f"web-1,tls,FAIL,A.8.24,{SEEDED['db_pass']},{SEEDED['password1']},{SEEDED['secret_key_base']},"
        f"{SEEDED['db_password_prod']},alerts go to {SEEDED['slack_webhook']} billing {SEEDED['stripe']} "
        f"maps {SEEDED['google']}\n",
        encoding="utf-8",
    )
    (tmp_path / "mapping.yaml").write_text(
        "tool: {name: scan}\ncolumns: {resource: asset, check: check_id, status: result, controls: iso}\n"
        "status: {pass: [PASS], fail: [FAIL]}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ANNEXA_TEST_GH_TOKEN", "ghp_" + "a" * 36)
    store = tmp_path / "evidence"
    with fake_github() as fake:
        fake.routes["/user"] = {"login": "auditor"}
        fake.routes["/orgs/acme"] = (
            422,
            {
                "message": f"Validation failed: <Tag><Key>password</Key><Value>{SEEDED['xml_tag_password']}</Value>"
                f"</Tag> Authorization: Bearer {SEEDED['bearer']} hook={SEEDED['slack_webhook']}"
            },
        )
        config = tmp_path / "annexa.yaml"
        config.write_text(
            f"store: {store}\ntargets:\n"
            f"  - import: {{generic: {tmp_path / 'scan.csv'}, mapping: {tmp_path / 'mapping.yaml'}}}\n"
            f"  - github: {{org: acme, base_url: '{fake.url}', token_env: ANNEXA_TEST_GH_TOKEN}}\n",
            encoding="utf-8",
        )
        code = cli.main(["--log-format", "json", "--log-level", "debug", "collect", "--config", str(config)])
        out, logs = capsys.readouterr()
    assert code == 1, logs  # the GitHub error is evidence: a partial run
    assert "collection_error" in logs and "Validation failed" in logs and REDACTED in logs

    day = json.loads((sorted((store / "manifests").iterdir())[-1]).read_text(encoding="utf-8"))["started_at"][:10]
    pack = tmp_path / "pack.zip"
    assert cli.main(["pack", "--store", str(store), "--from", day, "--to", day, "-o", str(pack)]) == 0
    code = cli.main(["--log-format", "json", "findings", "--store", str(store), "--format", "json"])
    findings_out, more_logs = capsys.readouterr()

    found = _scan((out + logs + findings_out + more_logs).encode(), "output and logs")
    for path in store.rglob("*"):
        if path.is_file():
            found += _scan(path.read_bytes(), str(path.relative_to(store)))  # objects, manifests, index.sqlite
    with zipfile.ZipFile(pack) as archive:
        for member in archive.namelist():
            found += _scan(archive.read(member), f"pack:{member}")
    assert found == []
    assert b"DB_PASS" in b"".join(p.read_bytes() for p in store.rglob("*") if p.is_file())  # keys kept
