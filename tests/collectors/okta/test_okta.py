"""The Okta collector against the loopback fake (bodies from Okta's OpenAPI examples): every list
paged, deactivated users read through the status filter, only GETs, rate limits waited for,
Okta's 401/403 bodies kept as error evidence, the token kept on its host, the service-app path,
and the rules' verdicts on the seeded org."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from scripted_http import Scripted, scripted_http

from annexa.collectors.base import Context, Target
from annexa.collectors.okta.client import OktaClient, OktaError
from annexa.collectors.okta.collector import OktaCollector
from annexa.collectors.okta.operations import OPERATIONS, scope_of
from annexa.demo.okta_fake import SCOPES, TOKEN, FakeOkta, example, fake_okta, seeded_org
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import CollectionError, Fact

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def okta(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOkta]:
    monkeypatch.setenv("OKTA_API_TOKEN", TOKEN)
    with fake_okta() as fake:
        seeded_org(fake)
        fake.page_size = 2  # every list of more than two items takes several pages
        yield fake


def _collect(options: dict[str, Any]) -> list[Fact | CollectionError]:
    return list(OktaCollector().collect(Target("okta", options), Context("run", None)))


def _facts(items: list[Fact | CollectionError], kind: str) -> dict[str, Any]:
    return {f.resource.rsplit("/", 1)[-1]: f.data for f in items if isinstance(f, Fact) and f.kind == kind}


def test_collects_every_page_and_only_reads(okta: FakeOkta) -> None:
    items = _collect({"base_url": okta.url})
    assert [i for i in items if isinstance(i, CollectionError)] == []
    users = _facts(items, "okta.user")
    assert sorted(users) == ["00uana", "00uben", "00ubuild", "00uchen", "00udana", "00ueli", "00unew"]
    assert users["00ueli"]["status"] == "DEPROVISIONED"  # only the filtered list returns it
    assert users["00udana"] == {
        "id": "00udana",
        "login": "dana@acme.example",
        "status": "SUSPENDED",
        "created": "2022-03-01",
        "activated": "2022-03-01",
        "last_login": "2026-08-30",
        "admin_roles": [],
        "apps_assigned": 2,  # still assigned to both apps, though suspended
    }
    assert users["00ueli"]["apps_assigned"] == 0
    assert users["00unew"]["last_login"] is None
    assert "profile" not in users["00uana"] and "email" not in users["00uana"]  # personal data minimised
    (org,) = _facts(items, "okta.org").values()
    assert (org["super_admins"], org["active_log_streams_count"]) == (["ana@acme.example", "ben@acme.example"], 1)
    assert {method for method, _, _ in okta.requests} == {"GET"}
    paths = [path for _, path, _ in okta.requests]
    assert sum(p.startswith("/api/v1/users?") and "DEPROVISIONED" not in p for p in paths) == 3  # 6 users, 2 a page
    assert sum(p.startswith("/api/v1/iam/assignees/users") for p in paths) == 1
    assert all(auth == f"SSWS {TOKEN}" for _, _, auth in okta.requests)


def test_rules_judge_the_seeded_org(okta: FakeOkta) -> None:
    from annexa.collectors.registry import load_registry
    from annexa.mappings.catalog import load_catalog

    rules = load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))
    facts = [i for i in _collect({"base_url": okta.url}) if isinstance(i, Fact)]
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    verdicts = {
        (r.rule, r.resource.rsplit("/", 1)[-1]): r.status
        for r in evaluate(facts, [], [r for r in rules if r.id.startswith("okta.")], now)
    }
    assert {key: status for key, status in verdicts.items() if status != "pass"} == {
        ("okta.password-lockout", "00ppassword"): "fail",  # Okta's example: maxAttempts 0, no lockout
        ("okta.app-mfa-enforced", "0oacrm"): "fail",  # Okta's catch-all rule: 1FA
        ("okta.inactive-users", "00ubuild"): "fail",
        ("okta.never-signed-in", "00unew"): "fail",
        ("okta.suspended-users-unassigned", "00udana"): "fail",
        # 365-day expiry against the default password policy `none` (no periodic expiry)
        ("okta.password-expiry-policy", "00ppassword"): "fail",
    }


def test_rate_limit_is_waited_for_until_the_reset(okta: FakeOkta) -> None:
    okta.rate_limit_once("/api/v1/logStreams")
    waits: list[float] = []
    client = OktaClient(okta.url, f"SSWS {TOKEN}", sleep=waits.append)
    streams, pages = client.paginate("/api/v1/logStreams")
    assert (len(streams), pages, len(waits)) == (1, 1, 1)
    assert [p for _, p, _ in okta.requests].count("/api/v1/logStreams") == 2


def test_okta_error_bodies_are_read_for_what_they_mean(okta: FakeOkta) -> None:
    okta.routes["/api/v1/logStreams"] = (403, example("error-403"))
    items = _collect({"base_url": okta.url})
    (error,) = [i for i in items if isinstance(i, CollectionError)]
    assert error.kinds == ("okta.org",) and error.code == "E0000006"
    assert "do not allow this read" in error.message
    assert _facts(items, "okta.org") == {}  # no org fact claims log streams it could not read
    with pytest.raises(OktaError) as info:
        OktaClient(okta.url, "SSWS wrong").get("/api/v1/users")
    assert (info.value.status, info.value.code) == (401, "E0000011")
    assert "invalid, expired or revoked" in str(info.value)


def test_no_token_is_an_error_not_an_empty_org(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OKTA_API_TOKEN", raising=False)
    (error,) = _collect({"base_url": "https://acme.okta.com"})
    assert isinstance(error, CollectionError) and error.code == "no_credentials"
    assert set(error.kinds) == {"okta.org", "okta.user", "okta.policy", "okta.app"}


@pytest.fixture
def hosts() -> Iterator[tuple[Scripted, Scripted]]:
    with scripted_http() as home, scripted_http() as elsewhere:
        yield home, elsewhere


def test_token_never_leaves_its_host(hosts: tuple[Scripted, Scripted]) -> None:
    home, elsewhere = hosts
    home.redirect("/api/v1/logStreams", f"{elsewhere.url}/api/v1/logStreams")
    with pytest.raises(OktaError) as info:
        OktaClient(home.url, f"SSWS {TOKEN}").get("/api/v1/logStreams")
    assert info.value.code == "cross_origin" and elsewhere.url.removeprefix("http://") in str(info.value)
    home.answer("/api/v1/apps", [], Link=f'<{elsewhere.url}/api/v1/apps?after=x>; rel="next"')
    with pytest.raises(OktaError) as info:
        OktaClient(home.url, f"SSWS {TOKEN}").paginate("/api/v1/apps")
    assert info.value.code == "cross_origin"
    assert elsewhere.requests == []


def test_service_app_gets_a_read_only_token_by_private_key_jwt(
    okta: FakeOkta, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    monkeypatch.delenv("OKTA_API_TOKEN")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "okta.pem"
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    items = _collect({"base_url": okta.url, "client_id": "0oaannexa", "private_key": str(pem)})
    assert [i for i in items if isinstance(i, CollectionError)] == []
    (form,) = okta.token_requests
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert form["scope"].split() == sorted(set(OPERATIONS.values()))
    methods = {(method, path.split("?")[0]) for method, path, _ in okta.requests if method != "GET"}
    assert methods == {("POST", "/oauth2/v1/token")}
    assert {auth for method, _, auth in okta.requests if method == "GET"} == {f"Bearer {okta.access_token}"}


def test_scopes_file_covers_every_call_and_agrees_with_oktas_spec(okta: FakeOkta) -> None:
    _collect({"base_url": okta.url})
    document = yaml.safe_load((ROOT / "policies" / "okta-readonly-scopes.yaml").read_text())
    granted = {op: scope for scope, ops in document["scopes"].items() for op in ops}
    assert granted == {f"GET {path}": scope for path, scope in OPERATIONS.items()}
    assert {path: [scope] for path, scope in OPERATIONS.items()} == SCOPES  # as Okta's spec declares them
    for _, path, _ in okta.requests:
        declared = scope_of(path)
        assert declared is not None, path
        assert granted[f"GET {declared[0]}"] == declared[1]


def test_settings_okta_leaves_out_are_judged_at_its_documented_defaults(okta: FakeOkta) -> None:
    from annexa.collectors.registry import load_registry
    from annexa.mappings.catalog import load_catalog

    bare = example("policy-password")[0]
    bare.update(id="00pbare", settings={})  # no password settings: Okta applies the schema defaults
    okta.routes["/api/v1/policies?type=PASSWORD"] = [bare]
    okta.routes["/api/v1/policies/00pbare/rules"] = []
    rules = load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))
    facts = [i for i in _collect({"base_url": okta.url}) if isinstance(i, Fact)]
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    results = {
        r.rule: (r.status, r.message)
        for r in evaluate(facts, [], [r for r in rules if r.id.startswith("okta.password")], now)
        if r.resource.endswith("00pbare")
    }
    assert {rule: status for rule, (status, _) in results.items()} == {
        "okta.password-min-length": "pass",  # minLength default 8
        "okta.password-lockout": "pass",  # maxAttempts default 10
        "okta.password-expiry-policy": "pass",  # maxAgeDays default 0 (no limit), policy `none`
    }
    assert all("default" in message for _, message in results.values()), results


def test_a_rate_limit_longer_than_max_wait_is_error_evidence(hosts: tuple[Scripted, Scripted]) -> None:
    import time

    home, _ = hosts
    reset = str(int(time.time()) + 3600)
    home.answer("/api/v1/logStreams", example("error-429"), 429, X_Rate_Limit_Reset=reset, X_Rate_Limit_Remaining="0")
    waits: list[float] = []
    with pytest.raises(OktaError) as info:
        OktaClient(home.url, f"SSWS {TOKEN}", max_wait=300, sleep=waits.append).get("/api/v1/logStreams")
    assert (info.value.code, waits) == ("rate_limited", [])
    assert len(home.requests) == 1
