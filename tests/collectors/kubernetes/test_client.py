"""The client's handling of answers the fake does not script: throttling and server errors retried,
redirects and malformed bodies refused, and a paging loop stopped."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from annexa.collectors.kubernetes.client import KubeApi, KubeCallError
from annexa.collectors.kubernetes.credentials import Cluster


def _response(status: int, body: Any, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response.headers.update(headers)
    return response


class Scripted(requests.Session):
    def __init__(self, *answers: requests.Response) -> None:
        super().__init__()
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def get(self, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.calls.append({"url": url, **kwargs})
        return self.answers.pop(0)


def _api(session: Scripted, sleeps: list[float]) -> KubeApi:
    cluster = Cluster("c", "https://k8s.example:6443", "p", "t", verify="/ca.crt", cert=("/c.crt", "/c.key"))
    return KubeApi(cluster, session=session, sleep=sleeps.append)


def test_throttling_and_server_errors_are_retried_then_reported() -> None:
    page = {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": [{"metadata": {"name": "a"}}]}
    session = Scripted(_response(429, {}, **{"Retry-After": "3"}), _response(503, {}), _response(200, page))
    sleeps: list[float] = []
    reply = _api(session, sleeps).list("pods")
    assert (len(reply.items), sleeps) == (1, [3.0, 2.0])
    assert {(c["verify"], c["cert"], c["allow_redirects"]) for c in session.calls} == {
        ("/ca.crt", ("/c.crt", "/c.key"), False)
    }
    assert session.calls[0]["headers"]["Authorization"] == "Bearer t"

    failing = Scripted(*[_response(500, {"kind": "Status", "reason": "InternalError", "message": "etcd timeout"})] * 4)
    with pytest.raises(KubeCallError) as caught:
        _api(failing, []).list("pods")
    assert caught.value.explained() == "list pods failed: HTTP 500 InternalError: etcd timeout"


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (_response(302, b"", Location="https://elsewhere.example/"), "Redirect"),
        (_response(200, b"<html>"), "InvalidResponse"),
        (_response(200, {"items": {"a": 1}, "metadata": {}}), "InvalidResponse"),
        (
            _response(
                404,
                {"kind": "Status", "reason": "NotFound", "message": "the server could not find the requested resource"},
            ),
            "NotFound",
        ),
    ],
)
def test_refused_answers(answer: requests.Response, code: str) -> None:
    with pytest.raises(KubeCallError) as caught:
        _api(Scripted(answer), []).list("networkpolicies")
    assert caught.value.code == code


def test_a_continue_token_that_repeats_stops_paging() -> None:
    page = {"metadata": {"continue": "same"}, "items": []}
    with pytest.raises(KubeCallError) as caught:
        _api(Scripted(_response(200, page), _response(200, page)), []).list("roles")
    assert caught.value.code == "PagingLoop"
