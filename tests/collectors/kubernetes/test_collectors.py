"""The Kubernetes collectors over the seeded fake cluster: what each rule says about it, paging,
and every failure read as an error, never a pass."""

from __future__ import annotations

from fakes.kubernetes import CLUSTER

from annexa.collectors.kubernetes.pods import image_name

PODS = "namespaces/{}/pods/{}"
PROXY = PODS.format("kube-system", "kube-proxy-7xk2p")
DNS = PODS.format("kube-system", "coredns-6f6b679f8f-q4jzn")
API_1, API_2 = PODS.format("payments", "api-5d8c7b9f4-m2xkq"), PODS.format("payments", "api-5d8c7b9f4-t7wnr")
DEMO = PODS.format("web", "security-context-demo")
NGINX = PODS.format("default", "nginx")


def _all(status: str, *resources: str) -> dict[str, str]:
    return dict.fromkeys(resources, status)


def test_verdicts_on_the_seeded_cluster(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    out = run_kube(options())
    assert out.errors == []
    v = out.verdicts
    assert v("kubernetes.rbac.no-privileged-bindings-to-people") == {
        "clusterrolebindings/cluster-admin": "pass",  # system:masters: the platform's own group
        "clusterrolebindings/sre-admins": "fail",  # group acme:sre holds cluster-admin
        "namespaces/payments/rolebindings/ci-deployer": "pass",  # a wildcard role, but to a service account
    }
    assert v("kubernetes.rbac.no-privileged-bindings-to-default-service-accounts") == {
        "clusterrolebindings/cluster-admin": "pass",
        "clusterrolebindings/sre-admins": "pass",
        "namespaces/payments/rolebindings/ci-deployer": "fail",
    }
    assert v("kubernetes.rbac.no-anonymous-access") == _all(
        "pass",
        "clusterrolebindings/cluster-admin",
        "clusterrolebindings/sre-admins",
        "clusterrolebindings/system:basic-user",
        "clusterrolebindings/system:public-info-viewer",  # unauthenticated, but health and version only
        "namespaces/default/rolebindings/read-pods",
        "namespaces/payments/rolebindings/ci-deployer",
    )
    namespaces = ("default", "kube-system", "payments", "web")
    assert v("kubernetes.namespace.pod-security-enforced") == {
        **_all("fail", *(f"namespaces/{n}" for n in namespaces)),
        "namespaces/payments": "pass",
    }
    assert v("kubernetes.namespace.default-deny-ingress") == {
        **_all("fail", *(f"namespaces/{n}" for n in namespaces)),  # default's only policy selects role=db
        "namespaces/payments": "pass",
    }
    pods = (PROXY, DNS, API_1, API_2, DEMO, NGINX)  # the Succeeded db-migrate pod is left out
    assert v("kubernetes.pod.no-privileged-containers") == {**_all("pass", *pods), PROXY: "fail"}
    assert v("kubernetes.pod.no-host-access") == {**_all("pass", *pods), PROXY: "fail"}
    assert v("kubernetes.pod.runs-as-non-root") == {**_all("fail", *pods), API_1: "pass", API_2: "pass", DEMO: "pass"}
    assert v("kubernetes.pod.resources-set") == {**_all("pass", *pods), PROXY: "fail", DEMO: "fail", NGINX: "fail"}
    assert v("kubernetes.pod.images-pinned-by-digest") == {**_all("fail", *pods), API_1: "pass", API_2: "pass"}
    assert v("kubernetes.pod.images-from-allowed-registries") == {**_all("pass", *pods), DEMO: "fail", NGINX: "fail"}
    assert v("kubernetes.pod.no-service-account-token-unless-needed") == {
        **_all("fail", *pods),
        API_1: "pass",
        API_2: "pass",
    }
    assert v("kubernetes.control-plane.supported-release") == {"version": "pass"}  # v1.37.1
    assert v("kubernetes.node.supported-release") == {
        "nodes/acme-prod-control-plane": "pass",
        "nodes/acme-prod-worker-7f9c": "pass",
        "nodes/acme-prod-worker-legacy-2b4d": "fail",  # v1.33.5: end of life 2026-06-28
    }
    assert v("kubernetes.ingress.tls-for-every-host") == {
        "namespaces/payments/ingresses/tls-example-ingress": "pass",
        "namespaces/web/ingresses/minimal-ingress": "fail",  # a rule without a host, no TLS
    }
    assert {fact.scope["cluster"] for fact in out.facts} == {CLUSTER}


def test_without_allowed_registries_the_registry_rule_is_an_error(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    target = options()
    del target["allowed_registries"]
    out = run_kube(target, names=("kubernetes.pods",))
    statuses = set(out.verdicts("kubernetes.pod.images-from-allowed-registries").values())
    assert statuses == {"error"}


def test_every_list_is_paged(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    cluster.page_cap = 2
    out = run_kube(options(), names=("kubernetes.pods",))
    pods = [f for f in out.facts if f.kind == "kubernetes.pod"]
    assert len(pods) == 6
    assert pods[0].source.pages == 4 + 4  # 7 pods in 4 pages, 7 service accounts in 4 pages
    continued = [r for r in cluster.requests if r.path == "/api/v1/pods" and "continue" in r.query]
    assert len(continued) == 3
    assert all(r.query["limit"] == "500" for r in cluster.requests)


def test_an_expired_continue_token_is_an_error_not_a_partial_list(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    cluster.page_cap = 2
    cluster.expire.add("/api/v1/pods")
    out = run_kube(options(), names=("kubernetes.pods", "kubernetes.namespaces"))
    assert out.facts == []
    assert sorted((e.kinds, e.code) for e in out.errors) == [
        (("kubernetes.namespace",), "Expired"),
        (("kubernetes.pod",), "Expired"),
    ]
    assert "HTTP 410 Expired: The provided continue parameter is too old" in out.errors[0].message
    assert {r.status for r in out.results if r.rule.startswith("kubernetes.pod.")} == {"error"}


def test_forbidden_is_a_permission_error_never_a_pass(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    cluster.forbidden.add("/apis/rbac.authorization.k8s.io/v1/rolebindings")
    out = run_kube(options(), names=("kubernetes.rbac",))
    assert out.facts == []
    [error] = out.errors
    assert (error.kinds, error.code, error.scope) == (
        ("kubernetes.rbac.binding",),
        "Forbidden",
        {"provider": "kubernetes", "cluster": CLUSTER},
    )
    assert error.message == (
        "list rolebindings failed: HTTP 403 Forbidden: rolebindings is forbidden: User "
        '"system:serviceaccount:annexa:annexa" cannot list resource "rolebindings" in API group '
        '"rbac.authorization.k8s.io" at the cluster scope (grant annexa policies/kubernetes-readonly-clusterrole.yaml)'
    )
    assert {r.status for r in out.results if r.rule.startswith("kubernetes.rbac.")} == {"error"}


def test_a_wrong_token_is_an_error_for_every_kind(cluster, options, run_kube, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ANNEXA_TEST_KUBE_TOKEN", "not-the-token")
    out = run_kube(options())
    assert out.facts == []
    # one per list-reading collector, and versions' two kinds (/version and nodes) fail apart
    assert sorted(e.code for e in out.errors) == ["Unauthorized"] * 6
    assert {r.status for r in out.results} == {"error"}


def test_an_unset_token_variable_is_an_error_and_nothing_is_sent(cluster, options, run_kube, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("ANNEXA_TEST_KUBE_TOKEN")
    out = run_kube(options())
    assert [e.code for e in out.errors] == ["CredentialsError"] * 5
    assert cluster.requests == []


def test_only_get_and_each_list_once_per_run(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    run_kube(options())
    assert {r.method for r in cluster.requests} == {"GET"}
    paths = [r.path for r in cluster.requests]
    assert len(paths) == len(set(paths)) == 11  # pods feed both namespaces and pods: read once


def test_image_names_resolve_as_the_runtime_does() -> None:
    assert image_name("nginx:1.14.2") == "docker.io/library/nginx"
    assert image_name("bitnami/redis") == "docker.io/bitnami/redis"
    assert image_name("gcr.io/google-samples/node-hello:1.0") == "gcr.io/google-samples/node-hello"
    assert image_name("localhost/app@sha256:" + "a" * 64) == "localhost/app"
    assert (
        image_name("registry.acme.example:5000/team/app:2@sha256:" + "b" * 64) == "registry.acme.example:5000/team/app"
    )
    assert image_name("registryless:5000") == "docker.io/library/registryless"
