"""The read-only client on its own: retry intervals, what it refuses, what errors say."""

from __future__ import annotations

import pytest
from fakes.gcp import FakeGoogle, fake_google
from google.oauth2.credentials import Credentials

from annexa.collectors.gcp.client import GcpCallError, GoogleApis

PATH = "/v1/projects/p-123456/instances"


def _apis(world: FakeGoogle, waits: list[float]) -> GoogleApis:
    return GoogleApis(Credentials("fake-adc-token"), "test", world.base_url, sleep=waits.append)


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, None, [30.0, 30.0]),  # Google's documented minimum for quota errors
        (429, "3", [3.0, 3.0]),
        (503, None, [1.0, 2.0]),
    ],
)
def test_retries_wait_as_documented(status: int, retry_after: str | None, expected: list[float]) -> None:
    world = FakeGoogle()
    world.collection("sqladmin", PATH, "items", [{"name": "db"}])
    world.throttle("sqladmin", PATH, times=2, status=status, retry_after=retry_after)
    waits: list[float] = []
    with fake_google(world):
        found, reply = _apis(world, waits).items(
            "sqladmin", "/v1/projects/{project}/instances", "items", project="p-123456"
        )
    assert found == [{"name": "db"}]
    assert waits == expected
    assert reply.url == f"GET {world.base_url}/sqladmin{PATH}"


def test_retries_end_with_the_error() -> None:
    world = FakeGoogle()
    world.throttle("sqladmin", PATH, times=9)
    waits: list[float] = []
    with fake_google(world), pytest.raises(GcpCallError) as caught:
        _apis(world, waits).items("sqladmin", "/v1/projects/{project}/instances", "items", project="p-123456")
    assert (caught.value.status, caught.value.code) == (429, "RESOURCE_EXHAUSTED")
    assert len(waits) == 3 and len(world.requests) == 4


def test_a_rejected_token_that_cannot_be_refreshed_is_an_error_after_one_request() -> None:
    """A 401 makes AuthorizedSession refresh the token once; a bare access token cannot be refreshed."""
    world = FakeGoogle(tokens={"another-token"})
    with fake_google(world), pytest.raises(GcpCallError) as caught:
        _apis(world, []).get("cloudresourcemanager", "/v3/projects/{project}", project="p-123456")
    assert caught.value.code == "RefreshError"
    assert caught.value.message.startswith("no token: The credentials do not contain the necessary fields")
    assert len(world.requests) == 1
