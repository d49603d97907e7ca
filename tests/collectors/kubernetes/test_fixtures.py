"""Every body the fake serves (the seeded cluster's lists, page by page, and its Status failures)
uses only fields the Kubernetes OpenAPI document defines, with their types: the schemas come from
tests/data/kubernetes/openapi-fields.json (its `source` names where they were taken from)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from fakes.kubernetes import TOKEN

SPEC = json.loads((Path(__file__).parents[2] / "data" / "kubernetes" / "openapi-fields.json").read_text())
SCHEMAS: dict[str, dict[str, str]] = SPEC["schemas"]
_PRIMITIVES = {"str": str, "bool": bool, "int": int, "float": (int, float), "datetime": str}


def _check(value: Any, kind: str, where: str) -> list[str]:
    """The places where `value` does not fit the OpenAPI type `kind`."""
    if kind in ("object", "Any"):
        return []
    if match := re.fullmatch(r"List\[(.+)\]", kind):
        if not isinstance(value, list):
            return [f"{where}: not a list"]
        return [p for i, item in enumerate(value) for p in _check(item, match[1], f"{where}[{i}]")]
    if match := re.fullmatch(r"Dict\[str, (.+)\]", kind):
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        return [p for key, item in value.items() for p in _check(item, match[1], f"{where}.{key}")]
    if kind in _PRIMITIVES:
        ok = isinstance(value, _PRIMITIVES[kind]) and not (kind != "bool" and isinstance(value, bool))
        return [] if ok else [f"{where}: not {kind}"]
    if kind not in SCHEMAS:
        return [f"{where}: unknown type {kind}"]
    if not isinstance(value, dict):
        return [f"{where}: not an object ({kind})"]
    fields = SCHEMAS[kind]
    problems = [f"{where}.{key}: not in {kind}" for key in value if key not in fields]
    return problems + [
        p for key, item in value.items() if key in fields for p in _check(item, fields[key], f"{where}.{key}")
    ]


def test_the_schema_checker_can_fail() -> None:
    assert _check({"spec": {"hostNetwork": "yes", "notAField": 1}}, "V1Pod", "pod") == [
        "pod.spec.notAField: not in V1PodSpec",
        "pod.spec.hostNetwork: not bool",
    ]


@pytest.mark.parametrize("path", [p for p in SPEC["roots"] if p.startswith("/")])
def test_every_page_the_fake_serves_fits_the_schema(cluster, path) -> None:  # type: ignore[no-untyped-def]
    cluster.page_cap = 2
    headers = {"Authorization": f"Bearer {TOKEN}"}
    query: dict[str, str] = {"limit": "500"}
    pages = 0
    while True:
        body = requests.get(cluster.url + path, params=query, headers=headers, timeout=5).json()
        assert _check(body, SPEC["roots"][path], path) == []
        pages += 1
        if not (body.get("metadata") or {}).get("continue"):  # /version is one object, not a list
            break
        query["continue"] = body["metadata"]["continue"]
    assert pages >= 1


def test_failures_are_status_bodies(cluster) -> None:  # type: ignore[no-untyped-def]
    cluster.forbidden.update({"/api/v1/pods", "/version"})
    cluster.page_cap = 1
    cluster.expire.add("/api/v1/namespaces")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    first = requests.get(f"{cluster.url}/api/v1/namespaces?limit=1", headers=headers, timeout=5).json()
    answers = [
        requests.get(f"{cluster.url}/api/v1/pods", headers=headers, timeout=5),
        requests.get(f"{cluster.url}/version", headers=headers, timeout=5),
        requests.get(
            f"{cluster.url}/api/v1/namespaces",
            params={"continue": first["metadata"]["continue"]},
            headers=headers,
            timeout=5,
        ),
        requests.get(f"{cluster.url}/api/v1/configmaps", headers=headers, timeout=5),
        requests.get(f"{cluster.url}/api/v1/pods", timeout=5),
        requests.delete(f"{cluster.url}/api/v1/pods", headers=headers, timeout=5),
    ]
    assert [(a.status_code, a.json()["reason"]) for a in answers] == [
        (403, "Forbidden"),
        (403, "Forbidden"),
        (410, "Expired"),
        (404, "NotFound"),
        (401, "Unauthorized"),
        (405, "MethodNotAllowed"),
    ]
    for answer in answers:
        assert _check(answer.json(), "V1Status", "status") == []
        assert answer.json()["code"] == answer.status_code
