"""Credentials from the `credential:` option; a missing secret is error evidence, not a crash."""

from __future__ import annotations

import pytest
import structlog
from azure.identity import ClientSecretCredential, CredentialUnavailableError, DefaultAzureCredential
from fakes.azure import fake_jwt

from annexa.collectors.azure.credentials import EnvTokenCredential, build_credential
from annexa.collectors.azure.settings import parse_settings
from annexa.collectors.azure.storage import StorageCollector
from annexa.collectors.base import Context, Target

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SP = {
    "type": "service_principal",
    "client_id": "00000000-0000-0000-0000-0000000000ap",
    "client_secret_env": "TEST_SP_SECRET",
}


def test_default_and_service_principal(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(build_credential(parse_settings({}), "a/.default", "g/.default"), DefaultAzureCredential)
    monkeypatch.setenv("TEST_SP_SECRET", "s3cret")
    settings = parse_settings({"tenant_id": TENANT, "credential": SP})
    assert isinstance(build_credential(settings, "a/.default", "g/.default"), ClientSecretCredential)


def test_missing_secret_is_error_evidence_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_SP_SECRET", raising=False)
    target = Target("azure", {"tenant_id": TENANT, "credential": SP})
    (error,) = StorageCollector().collect(target, Context(run_id="t", log=structlog.get_logger()))
    assert error.kinds == ("azure.storage.account",) and error.code == "CredentialUnavailableError"
    assert "TEST_SP_SECRET" in error.message


def test_env_tokens_are_per_scope_and_expire_with_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    token = fake_jwt(TENANT, "oid", "arm", lifetime_s=600)
    monkeypatch.setenv("ARM_T", token)
    credential = EnvTokenCredential({"https://management.azure.com/.default": "ARM_T"})
    access = credential.get_token("https://management.azure.com/.default")
    assert access.token == token and access.expires_on > 0
    with pytest.raises(CredentialUnavailableError, match="no variable"):
        credential.get_token("https://graph.microsoft.com/.default")
