"""kubernetes.versions (the API server's /version and every node's kubelet, judged against the
supported releases) and kubernetes.ingresses (TLS for every routed host): pass, fail, absent values
at their documented meaning, and every version annexa cannot judge read as an error, never a pass."""

from __future__ import annotations

from typing import Any

from fakes.kubernetes import CLUSTER

from annexa.collectors.kubernetes.ingresses import covered
from annexa.demo.kubernetes_fake import _ingress_path, _meta, _node

CONTROL_PLANE = "kubernetes.control-plane.supported-release"
NODES = "kubernetes.node.supported-release"
TLS = "kubernetes.ingress.tls-for-every-host"
INGRESSES = "/apis/networking.k8s.io/v1/ingresses"


def _message(out, rule: str, resource: str) -> str:  # type: ignore[no-untyped-def]
    [result] = [r for r in out.results if r.rule == rule and r.resource == resource]
    return result.message


def test_versions_annexa_cannot_judge_are_errors(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    assert cluster.version is not None
    cluster.version["gitVersion"] = "v1.32.4"  # a minor release the table does not list
    cluster.lists["/api/v1/nodes"] = []
    cluster.put(
        "/api/v1/nodes", _node("future", "v1.38.0"), _node("custom", "built-from-main"), _node("old", "v1.24.17")
    )
    out = run_kube(options(), names=("kubernetes.versions",))
    assert out.errors == []
    assert out.verdicts(CONTROL_PLANE) == {"version": "error"}
    assert "Kubernetes 1.32 (from 'v1.32.4') is not in mappings/kubernetes_releases.yaml" in _message(
        out, CONTROL_PLANE, "version"
    )
    assert out.verdicts(NODES) == {"nodes/future": "error", "nodes/custom": "error", "nodes/old": "fail"}
    assert "'built-from-main' cannot be read" in _message(out, NODES, "nodes/custom")


def test_a_node_that_reported_no_kubelet_version_is_an_error(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    bare = _node("registering", "v1.37.1")
    del bare["status"]["nodeInfo"]  # NodeStatus.nodeInfo is filled in by the kubelet once it reports
    cluster.lists["/api/v1/nodes"] = []
    cluster.put("/api/v1/nodes", bare)
    out = run_kube(options(), names=("kubernetes.versions",))
    assert out.verdicts(NODES) == {"nodes/registering": "error"}
    assert "property kubeletVersion missing from the API response" in _message(out, NODES, "nodes/registering")


def test_nodes_are_paged(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    cluster.page_cap = 1
    out = run_kube(options(), names=("kubernetes.versions",))
    nodes = [f for f in out.facts if f.kind == "kubernetes.node"]
    assert len(nodes) == 3 and nodes[0].source.pages == 3
    continued = [r for r in cluster.requests if r.path == "/api/v1/nodes" and "continue" in r.query]
    assert len(continued) == 2


def test_a_refused_version_read_errs_for_the_control_plane_only(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    cluster.forbidden.add("/version")
    out = run_kube(options(), names=("kubernetes.versions",))
    [error] = out.errors
    assert (error.kinds, error.code, error.scope) == (
        ("kubernetes.control_plane",),
        "Forbidden",
        {"provider": "kubernetes", "cluster": CLUSTER},
    )
    assert 'cannot get path "/version"' in error.message
    assert set(out.verdicts(CONTROL_PLANE).values()) == {"error"}
    assert set(out.verdicts(NODES).values()) == {"pass", "fail"}  # the nodes were still read


def test_refused_nodes_are_an_error_never_a_pass(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    cluster.forbidden.add("/api/v1/nodes")
    out = run_kube(options(), names=("kubernetes.versions",))
    assert [(e.kinds, e.code) for e in out.errors] == [(("kubernetes.node",), "Forbidden")]
    assert set(out.verdicts(NODES).values()) == {"error"}
    assert out.verdicts(CONTROL_PLANE) == {"version": "pass"}


def _ingress(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": _meta(name, "shop"), "spec": spec}


def test_ingress_hosts_are_covered_only_by_tls_hosts_that_name_them(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    rule = {"http": {"paths": [_ingress_path("/", "web")]}}
    cluster.lists[INGRESSES] = []
    cluster.put(
        INGRESSES,
        # name-virtual-host-ingress.yaml's two hosts, no tls: IngressSpec.tls absent means no TLS
        _ingress("no-tls", {"rules": [{"host": "foo.bar.com", **rule}, {"host": "bar.foo.com", **rule}]}),
        # one of two hosts under TLS: the other is served in the clear
        _ingress(
            "half",
            {
                "tls": [{"hosts": ["foo.bar.com"], "secretName": "foo"}],
                "rules": [{"host": "foo.bar.com", **rule}, {"host": "bar.foo.com", **rule}],
            },
        ),
        # a wildcard certificate covers one label below its domain
        _ingress(
            "wildcard",
            {"tls": [{"hosts": ["*.foo.com"], "secretName": "star"}], "rules": [{"host": "bar.foo.com", **rule}]},
        ),
        # a tls entry without hosts names none: the controller's default (wildcard) setting is not in the API
        _ingress(
            "tls-without-hosts", {"tls": [{"secretName": "default"}], "rules": [{"host": "shop.example", **rule}]}
        ),
        # the default backend answers for any host: TLS "will not work on the default rule"
        _ingress(
            "default-backend",
            {
                "tls": [{"hosts": ["shop.example"], "secretName": "shop"}],
                "rules": [{"host": "shop.example", **rule}],
                "defaultBackend": {"service": {"name": "web", "port": {"number": 80}}},
            },
        ),
    )
    cluster.page_cap = 2
    out = run_kube(options(), names=("kubernetes.ingresses",))
    assert out.errors == []
    assert out.verdicts(TLS) == {
        "namespaces/shop/ingresses/no-tls": "fail",
        "namespaces/shop/ingresses/half": "fail",
        "namespaces/shop/ingresses/wildcard": "pass",
        "namespaces/shop/ingresses/tls-without-hosts": "fail",
        "namespaces/shop/ingresses/default-backend": "fail",
    }
    half = next(f for f in out.facts if f.resource.endswith("/half"))
    assert half.data["hosts_without_tls"] == ["bar.foo.com"]
    assert half.source.pages == 3  # five ingresses, two a page


def test_wildcards_cover_exactly_one_label() -> None:
    assert covered("a.foo.com", ["*.foo.com"])
    assert not covered("a.b.foo.com", ["*.foo.com"])
    assert not covered("foo.com", ["*.foo.com"])
    assert not covered("*", ["*.foo.com", "*"])  # a hostless rule is never covered


def test_refused_ingresses_are_an_error(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    cluster.forbidden.add(INGRESSES)
    out = run_kube(options(), names=("kubernetes.ingresses",))
    assert [(e.kinds, e.code) for e in out.errors] == [(("kubernetes.ingress",), "Forbidden")]
    assert set(out.verdicts(TLS).values()) == {"error"}
