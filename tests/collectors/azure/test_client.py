"""The read-only REST client: tokens per scope, paging, bounded retries, errors, GET only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from azure.core.credentials import AccessToken
from azure.identity import CredentialUnavailableError
from fakes.azure import FakeAzure, fake_azure, fake_jwt

from annexa.collectors.azure.client import AzureCallError, ReadOnlyViolation, RestApi, _retry_after, token_claims

TENANT, OID = "72f988bf-86f1-41af-91ab-2d7cd011db47", "5b1c7e4d-0000-4000-8000-00000000a0d1"


class FakeCredential:
    """Hands out the fake's tokens by scope and records every request for one."""

    def __init__(self, world: FakeAzure, fail: bool = False) -> None:
        self.world = world
        self.fail = fail
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes[0])
        if self.fail:
            raise CredentialUnavailableError("no credential in this environment")
        token = self.world.arm_token if scopes[0].endswith("/arm/.default") else self.world.graph_token
        return AccessToken(token, 2_000_000_000)


@pytest.fixture
def world() -> Iterator[FakeAzure]:
    fake = FakeAzure(arm_token=fake_jwt(TENANT, OID, "arm"), graph_token=fake_jwt(TENANT, OID, "graph"))
    with fake_azure(fake) as served:
        yield served


def _api(world: FakeAzure, name: str = "arm", **kwargs: Any) -> tuple[RestApi, list[float]]:
    slept: list[float] = []
    endpoint = world.arm_endpoint if name == "arm" else world.graph_endpoint
    credential = kwargs.pop("credential", None) or FakeCredential(world)
    return RestApi(name, endpoint, credential, sleep=slept.append, **kwargs), slept


def test_arm_and_graph_paging_follow_next_links(world: FakeAzure) -> None:
    world.collection("arm", "/subscriptions", [{"subscriptionId": str(i)} for i in range(5)], page_size=2)
    world.collection("graph", "/v1.0/users", [{"id": str(i)} for i in range(4)], page_size=3)
    arm, _ = _api(world)
    reply = arm.list("/subscriptions", {"api-version": "2022-12-01"})
    assert [s["subscriptionId"] for s in reply.body] == ["0", "1", "2", "3", "4"] and reply.pages == 3
    assert reply.url == f"{world.arm_endpoint}/subscriptions?api-version=2022-12-01"
    graph, _ = _api(world, "graph")
    users = graph.list("/v1.0/users", {"$select": "id,signInActivity", "$top": "999"})
    assert len(users.body) == 4 and users.pages == 2
    assert world.requests[-1].query["$select"] == "id,signInActivity"  # query kept across pages


def test_scope_follows_the_endpoint_and_the_token_is_reused(world: FakeAzure) -> None:
    world.document("graph", "/v1.0/organization", {"id": TENANT})
    credential = FakeCredential(world)
    graph, _ = _api(world, "graph", credential=credential)
    graph.get("/v1.0/organization")
    graph.get("/v1.0/organization")
    assert credential.scopes == [f"{world.graph_endpoint}/.default"]
    assert graph.principal() == (TENANT, OID)


def test_429_waits_for_retry_after_then_succeeds(world: FakeAzure) -> None:
    world.document("arm", "/subscriptions/x", {"subscriptionId": "x"})
    world.throttle("arm", "/subscriptions/x", retry_after="7")
    arm, slept = _api(world)
    assert arm.get("/subscriptions/{s}", {"api-version": "1"}, s="x").body == {"subscriptionId": "x"}
    assert slept == [7.0]
    assert [r.path for r in world.requests] == ["/subscriptions/x", "/subscriptions/x"]


def test_retry_after_is_bounded_and_read_as_a_date_too() -> None:
    assert _retry_after("3") == 3.0
    assert _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: no wait
    assert _retry_after("soon") is None


def test_server_errors_retry_a_bounded_number_of_times(world: FakeAzure) -> None:
    arm, slept = _api(world, attempts=3, max_wait_s=1.5)
    original = world.respond
    world.respond = lambda *a: (503, {}, {"error": {"code": "ServiceUnavailable", "message": "busy"}})  # type: ignore[method-assign]
    try:
        with pytest.raises(AzureCallError) as info:
            arm.get("/subscriptions/{s}", {"api-version": "1"}, s="x")
    finally:
        world.respond = original  # type: ignore[method-assign]
    assert slept == [1.0, 1.5]  # exponential back-off, capped
    assert info.value.status == 503 and info.value.code == "ServiceUnavailable"


def test_errors_name_the_operation_template_never_the_token(world: FakeAzure) -> None:
    world.deny("arm", "/subscriptions/abc/providers/Microsoft.Storage/storageAccounts")
    arm, _ = _api(world)
    with pytest.raises(AzureCallError) as info:
        arm.list(
            "/subscriptions/{subscription}/providers/Microsoft.Storage/storageAccounts",
            {"api-version": "1"},
            subscription="abc",
        )
    error = info.value.to_collection_error(("azure.storage.account",), {"provider": "azure"})
    assert error.operation == "GET /subscriptions/{subscription}/providers/Microsoft.Storage/storageAccounts"
    assert error.code == "AuthorizationFailed" and "HTTP 403" in error.message
    assert world.arm_token not in error.message and "Bearer" not in error.message


def test_credential_failure_is_a_call_error(world: FakeAzure) -> None:
    arm, _ = _api(world, credential=FakeCredential(world, fail=True))
    with pytest.raises(AzureCallError) as info:
        arm.get("/subscriptions", {"api-version": "1"})
    assert info.value.code == "CredentialUnavailableError" and "no credential" in info.value.message
    assert world.requests == []


def test_next_link_to_another_host_is_refused(world: FakeAzure) -> None:
    world.document("arm", "/evil", {"value": [], "nextLink": "https://attacker.example/steal"})
    arm, _ = _api(world)
    with pytest.raises(AzureCallError, match="another host"):
        arm.list("/evil", {"api-version": "1"})


def test_timeouts_and_connection_errors_become_call_errors(world: FakeAzure) -> None:
    class Dead(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            assert kwargs["timeout"] and kwargs["allow_redirects"] is False
            raise requests.ReadTimeout("read timed out")

    arm, slept = _api(world, session=Dead(), attempts=2)
    with pytest.raises(AzureCallError) as info:
        arm.get("/subscriptions", {"api-version": "1"})
    assert info.value.code == "ReadTimeout" and len(slept) == 1


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "HEAD"])
def test_every_method_but_get_is_refused_before_sending(world: FakeAzure, method: str) -> None:
    arm, _ = _api(world)
    with pytest.raises(ReadOnlyViolation):
        arm._send(method, f"{method} /subscriptions", f"{world.arm_endpoint}/subscriptions?api-version=1")
    assert world.requests == []


def test_token_claims_of_opaque_tokens_are_empty() -> None:
    assert token_claims("opaque-token") == {}
    assert token_claims("a.!!!.c") == {}
    assert token_claims(fake_jwt(TENANT, OID, "x"))["oid"] == OID
