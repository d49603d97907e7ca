"""The published ClusterRole (policies/kubernetes-readonly-clusterrole.yaml) allows exactly what the
Kubernetes collectors read, with read verbs only, and nothing the collectors do can return a Secret:
Secrets are in neither the role nor the client's table of reads, the client refuses any other read,
and a full collection of the seeded cluster asks for nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import yaml
from fakes.kubernetes import TOKEN

import annexa
from annexa.collectors.kubernetes.client import PATHS, READS, KubeApi, ReadOnlyViolation
from annexa.collectors.kubernetes.credentials import Cluster
from annexa.collectors.registry import load_registry

ROLE_FILE = Path(annexa.__file__).parent / "policies" / "kubernetes-readonly-clusterrole.yaml"
KUBE = load_registry().for_provider("kubernetes")


def _role() -> dict:  # type: ignore[type-arg]
    role = yaml.safe_load(ROLE_FILE.read_text())
    assert (role["apiVersion"], role["kind"]) == ("rbac.authorization.k8s.io/v1", "ClusterRole")
    return role  # type: ignore[no-any-return]


def _granted() -> set[tuple[str, str, str]]:
    return {
        (group, resource, verb)
        for rule in _role()["rules"]
        if "resources" in rule
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def _granted_urls() -> set[tuple[str, str]]:
    """(non-resource URL, verb) pairs the role grants."""
    return {
        (url, verb) for rule in _role()["rules"] for url in rule.get("nonResourceURLs", []) for verb in rule["verbs"]
    }


def _request_of(path: str) -> tuple[str, str]:
    """(apiGroup, resource) of a cluster-wide list path."""
    parts = path.strip("/").split("/")
    return ("", parts[2]) if parts[0] == "api" else (parts[1], parts[3])


def test_role_grants_read_verbs_only_and_no_secrets() -> None:
    granted = _granted()
    assert {verb for _, _, verb in granted} == {"get", "list", "watch"}
    assert {verb for _, verb in _granted_urls()} == {"get"}
    assert all(
        set(rule) in ({"apiGroups", "resources", "verbs"}, {"nonResourceURLs", "verbs"}) for rule in _role()["rules"]
    )
    assert {resource for _, resource, _ in granted} & {"secrets", "*"} == set()
    assert {group for group, _, _ in granted} & {"*"} == set()


def test_role_is_exactly_the_declared_reads() -> None:
    listed = {(group, resource) for group, resource, verb in _granted() if verb == "list"}
    assert listed == {(read.group, read.resource) for read in READS.values()}
    assert "secrets" not in READS
    assert _granted_urls() == {(path, "get") for path in PATHS}
    declared = {p for collector in KUBE for p in collector.permissions}
    assert declared == {f"{read.group or 'core'}/{read.resource}:list" for read in READS.values()} | {
        f"{path}:get" for path in PATHS
    }


def test_every_request_of_a_full_collection_is_allowed_by_the_role(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    cluster.page_cap = 3  # continue requests too
    granted = _granted()
    for collector in KUBE:
        before = len(cluster.requests)
        run_kube(options(), names=(collector.name,))
        made = cluster.requests[before:]
        assert made
        for request in made:
            assert request.method == "GET"
            if request.path in PATHS:
                assert (request.path, "get") in _granted_urls()
                assert f"{request.path}:get" in collector.permissions, (collector.name, request.path)
                continue
            group, resource = _request_of(request.path)
            assert (group, resource, "list") in granted, request.path
            assert f"{group or 'core'}/{resource}:list" in collector.permissions, (collector.name, request.path)
    assert not [r for r in cluster.requests if "secrets" in r.path]


def test_the_client_refuses_any_read_it_does_not_declare() -> None:
    api = KubeApi(Cluster("c", "http://127.0.0.1:9", "p", TOKEN), session=requests.Session())
    with pytest.raises(ReadOnlyViolation):
        api.list("secrets")
    with pytest.raises(ReadOnlyViolation):
        api.get("/api/v1/namespaces/default/secrets")
    assert not [name for name in dir(api) if name.lower() in ("post", "put", "patch", "delete", "create", "update")]


def test_the_fake_accepts_only_get(cluster) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = requests.request(method, f"{cluster.url}/api/v1/pods", headers=headers, json={}, timeout=5)
        assert (response.status_code, response.json()["reason"]) == (405, "MethodNotAllowed")
    assert requests.get(f"{cluster.url}/api/v1/pods", headers=headers, timeout=5).status_code == 200
