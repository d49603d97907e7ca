"""Credentials: a token from the environment (ADC never consulted), Application Default Credentials
with the cloud-platform scope, and impersonation of a read-only service account through the fake's
iamcredentials endpoint. No test reaches Google (conftest.py makes ADC and the metadata server fail)."""

from __future__ import annotations

from typing import Any

import google.auth
import google.oauth2.credentials
import pytest
from fakes.gcp_world import PROD, TOKEN, TOKEN_ENV

READER = f"annexa-reader@{PROD}.iam.gserviceaccount.com"


def test_a_token_from_the_environment_never_consults_adc(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    collected = run_gcp(seeded.options(), names=("gcp.projects",))  # google.auth.default would raise ReachedGoogle
    assert collected.errors == []
    assert {f.source.principal for f in collected.facts} == {f"access token from ${TOKEN_ENV}"}
    assert {r.token for r in seeded.world.requests} == {TOKEN}


def test_application_default_credentials_are_asked_for_cloud_platform(seeded, run_gcp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    asked: list[Any] = []

    def adc(scopes: Any = None, **kwargs: Any) -> tuple[Any, str]:
        asked.append(scopes)
        return google.oauth2.credentials.Credentials(TOKEN), PROD

    monkeypatch.setattr(google.auth, "default", adc)
    options = seeded.options()
    del options["access_token_env"]
    collected = run_gcp(options, names=("gcp.projects",))
    assert collected.errors == []
    assert asked == [["https://www.googleapis.com/auth/cloud-platform"]]
    assert {f.source.principal for f in collected.facts} == {"application default credentials"}


def test_no_credentials_is_one_error_per_collector(seeded, run_gcp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(TOKEN_ENV)
    collected = run_gcp(seeded.options(), names=("gcp.projects", "gcp.iam"))
    assert collected.facts == []
    assert [(e.kinds, e.scope, e.code) for e in collected.errors] == [
        (("gcp.iam.policy", "gcp.iam.service_account"), {"provider": "gcp"}, "NoCredentials"),
        (("gcp.resourcemanager.project",), {"provider": "gcp"}, "NoCredentials"),
    ]
    assert (
        collected.errors[0].message
        == f"credentials failed: NoCredentials: the environment variable {TOKEN_ENV} holds no access token"
    )
    assert seeded.world.requests == []


def test_reads_are_made_as_the_impersonated_reader(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    seeded.world.impersonation_grants.add(READER)
    collected = run_gcp(seeded.options(impersonate=READER), names=("gcp.projects", "gcp.storage"))
    assert collected.errors == []
    assert {f.source.principal for f in collected.facts} == {READER}
    minted = [r for r in seeded.world.requests if r.service == "iamcredentials"]
    assert [(r.method, r.path, r.token) for r in minted] == [
        ("POST", f"/v1/projects/-/serviceAccounts/{READER}:generateAccessToken", TOKEN)
    ]
    assert {r.token for r in seeded.world.requests if r.service != "iamcredentials"} == {f"impersonated:{READER}"}


def test_impersonation_refused_is_an_error_for_every_kind(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    collected = run_gcp(seeded.options(impersonate=READER), names=("gcp.projects",))
    assert collected.facts == []
    # the walk of the organisation lists its projects and its folders: both fail without a token
    assert [(e.kinds, e.resource, e.code) for e in collected.errors] == [
        (("gcp.resourcemanager.project",), "organizations/123456789012", "RefreshError"),
        (("gcp.resourcemanager.project",), "organizations/123456789012", "RefreshError"),
    ]
    assert all("iam.serviceAccounts.getAccessToken" in e.message for e in collected.errors)
    assert {r.service for r in seeded.world.requests} == {"iamcredentials"}


@pytest.mark.parametrize("token", ["", None])
def test_an_empty_token_variable_is_no_credential(seeded, run_gcp, monkeypatch, token) -> None:  # type: ignore[no-untyped-def]
    if token is None:
        monkeypatch.delenv(TOKEN_ENV)
    else:
        monkeypatch.setenv(TOKEN_ENV, token)
    (error,) = run_gcp(seeded.options(), names=("gcp.projects",)).errors
    assert error.code == "NoCredentials"
