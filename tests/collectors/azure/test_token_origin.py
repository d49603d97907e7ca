"""The Azure bearer token stays on the endpoint's origin: a redirect or a `nextLink` to another
origin (another port on 127.0.0.1) is refused, naming both hosts, and the other host never sees
the token; a redirect within the origin is followed and the reply records the final URL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from scripted_http import Scripted, scripted_http

from annexa.collectors.azure.client import AzureCallError, RestApi

TOKEN = "eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ0In0.c2ln"


class Credential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(TOKEN, 2_000_000_000)


@pytest.fixture
def hosts() -> Iterator[tuple[Scripted, Scripted]]:
    with scripted_http() as home, scripted_http() as elsewhere:
        yield home, elsewhere


def _api(endpoint: str) -> RestApi:
    return RestApi("arm", endpoint, Credential(), sleep=lambda _s: None)


def test_cross_origin_redirect_is_refused_naming_both_hosts(hosts: tuple[Scripted, Scripted]) -> None:
    home, elsewhere = hosts
    home.redirect("/subscriptions/s1", f"{elsewhere.url}/subscriptions/s1", status=307)
    elsewhere.answer("/subscriptions/s1", {"subscriptionId": "s1"})
    with pytest.raises(AzureCallError) as info:
        _api(home.url).get("/subscriptions/{subscription}", subscription="s1")
    assert info.value.code == "CrossOriginRedirect"
    assert home.url.removeprefix("http://") in info.value.message
    assert elsewhere.url.removeprefix("http://") in info.value.message
    assert elsewhere.requests == []


def test_cross_origin_next_link_is_refused_naming_both_hosts(hosts: tuple[Scripted, Scripted]) -> None:
    home, elsewhere = hosts
    home.answer("/subscriptions", {"value": [{"subscriptionId": "s1"}], "nextLink": f"{elsewhere.url}/subscriptions"})
    elsewhere.answer("/subscriptions", {"value": [{"subscriptionId": "intruder"}]})
    with pytest.raises(AzureCallError) as info:
        _api(home.url).list("/subscriptions")
    assert info.value.code == "BadNextLink"
    assert home.url.removeprefix("http://") in info.value.message
    assert elsewhere.url.removeprefix("http://") in info.value.message
    assert elsewhere.requests == []


def test_redirect_within_the_origin_is_followed_and_the_final_url_recorded(hosts: tuple[Scripted, Scripted]) -> None:
    home, _ = hosts
    home.redirect("/subscriptions/s1", f"{home.url}/subscriptions/S1-moved")
    home.answer("/subscriptions/S1-moved", {"subscriptionId": "s1"})
    api = _api(home.url)
    reply = api.get("/subscriptions/{subscription}", subscription="s1")
    assert reply.body == {"subscriptionId": "s1"} and reply.url == f"{home.url}/subscriptions/S1-moved"
    assert api.source([reply], "t/o").operations == (f"GET {home.url}/subscriptions/S1-moved",)
    assert home.authorizations == [f"Bearer {TOKEN}", f"Bearer {TOKEN}"]


@pytest.mark.parametrize("endpoint", ["http://management.example.com", "file:///etc", "ftp://management.azure.com"])
def test_token_needs_https_except_on_the_loopback(endpoint: str) -> None:
    with pytest.raises(ValueError, match="https://"):
        _api(endpoint)
    assert _api("http://[::1]:9").endpoint == "http://[::1]:9"
