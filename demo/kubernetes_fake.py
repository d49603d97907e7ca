"""A loopback fake of a Kubernetes API server: a threaded http.server on 127.0.0.1 (free port)
that answers cluster-wide lists as the API server does, and nothing else.

- Lists: `GET /api/v1/<resource>` and `/apis/<group>/<version>/<resource>` answer a `<Kind>List`
  (`kind`, `apiVersion`, `metadata.resourceVersion`, `items`), paged as api-concepts.md
  ("Retrieving large results sets in chunks") describes: `limit` caps a page (the fake also caps it
  at `page_cap`, as a server may), `metadata.continue` carries an opaque token while items remain.
- Failures answer a `Status` body (kind Status, apiVersion v1, status Failure, message, reason,
  details, code) in the shapes api-concepts.md and the API server give them: 401 Unauthorized
  without the bearer token, 403 Forbidden for a resource in `forbidden` (the RBAC authorizer's
  message), 410 Expired for a continue token in `expire` ("The provided continue parameter is too
  old ..."), 404 NotFound for anything not stored, 405 MethodNotAllowed for any method but GET.
- `GET /version` answers the API server's version.Info (`version`; None answers 404 NotFound,
  as a server that does not serve it would).
- Every request is recorded (method, path, query, Accept), so tests can prove what annexa asked.

`seed_cluster` builds the demo's cluster `acme-prod` from material nobody on this project wrote,
each body naming its source:
- kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/cluster-roles.yaml
  and cluster-role-bindings.yaml (the bootstrap cluster-admin, system:basic-user and
  system:public-info-viewer roles and bindings);
- kubernetes/website content/en/docs/reference/access-authn-authz/rbac.md (Role pod-reader and
  RoleBinding read-pods for user jane);
- kubernetes/website content/en/examples: pods/simple-pod.yaml (nginx:1.14.2),
  pods/security/security-context.yaml (security-context-demo), service/networking/
  network-policy-default-deny-ingress.yaml and networkpolicy.yaml (test-network-policy);
- kubernetes/kubernetes cmd/kubeadm/app/phases/addons: proxy/manifests.go (the kube-proxy
  DaemonSet's pod: hostNetwork, privileged, hostPath xtables-lock and lib-modules) and
  dns/manifests.go (the CoreDNS pod's resources and securityContext);
- kubernetes/website content/en/examples/service/networking: tls-example-ingress.yaml (host
  https-example.foo.com under TLS secret testsecret-tls) and minimal-ingress.yaml (a rule without a
  host, no TLS);
- the API reference (api/openapi-spec/v3: io.k8s.api.core.v1.Pod, Namespace, ServiceAccount, Node,
  NodeSystemInfo, io.k8s.api.networking.v1.NetworkPolicy, Ingress, io.k8s.api.rbac.v1.*,
  io.k8s.apimachinery.pkg.version.Info) for the list envelopes, the `status.phase` values,
  `ownerReferences`, the node's `status.nodeInfo` (its field descriptions' examples
  "containerd://1.4.2" style runtime versions and `uname -r` kernels) and `/version`'s fields;
  kubernetes-sigs/kwok pkg/controllers/templates/node.status.tpl for which nodeInfo fields a node reports.
Changed only where a scenario needs it (names, namespaces, labels, the acme workloads).

`annexa demo` serves it (hence a package module); tests reuse it through tests/fakes/kubernetes.py.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from annexa.demo.loopback import serve_handler
from annexa.demo.sources import Served

__all__ = ["CLUSTER", "TOKEN", "FakeKubernetes", "Request", "fake_kubernetes", "seed_cluster", "serve", "status"]

TOKEN = "kube-demo-token"  # the only bearer token the fake accepts (never a real one)
CLUSTER = "acme-prod"
# The kinds of the lists the fake knows, by path (PodList etc., API reference).
_KINDS = {
    "/api/v1/namespaces": ("NamespaceList", "v1"),
    "/api/v1/nodes": ("NodeList", "v1"),
    "/api/v1/pods": ("PodList", "v1"),
    "/api/v1/serviceaccounts": ("ServiceAccountList", "v1"),
    "/api/v1/secrets": ("SecretList", "v1"),
    "/apis/networking.k8s.io/v1/ingresses": ("IngressList", "networking.k8s.io/v1"),
    "/apis/networking.k8s.io/v1/networkpolicies": ("NetworkPolicyList", "networking.k8s.io/v1"),
    "/apis/rbac.authorization.k8s.io/v1/clusterroles": ("ClusterRoleList", "rbac.authorization.k8s.io/v1"),
    "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings": (
        "ClusterRoleBindingList",
        "rbac.authorization.k8s.io/v1",
    ),
    "/apis/rbac.authorization.k8s.io/v1/roles": ("RoleList", "rbac.authorization.k8s.io/v1"),
    "/apis/rbac.authorization.k8s.io/v1/rolebindings": ("RoleBindingList", "rbac.authorization.k8s.io/v1"),
}
RESOURCE_VERSION = "27001"


def status(code: int, reason: str, message: str, **details: Any) -> dict[str, Any]:
    """A metav1.Status failure body."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        body["details"] = details
    body["code"] = code
    return body


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    accept: str


@dataclass
class FakeKubernetes:
    url: str = ""
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # path -> items
    forbidden: set[str] = field(default_factory=set)  # paths answering 403
    expire: set[str] = field(default_factory=set)  # paths whose continue tokens have expired (410)
    page_cap: int = 500
    version: dict[str, Any] | None = None  # the body of GET /version
    user: str = "system:serviceaccount:annexa:annexa"
    requests: list[Request] = field(default_factory=list)

    def put(self, path: str, *items: dict[str, Any]) -> None:
        if path not in _KINDS:
            raise KeyError(f"the fake serves no list at {path}")
        self.lists.setdefault(path, []).extend(copy.deepcopy(list(items)))


def _token(offset: int) -> str:
    # opaque to clients, like the API server's (base64 of a JSON continue key)
    return base64.urlsafe_b64encode(
        json.dumps({"v": "meta.k8s.io/v1", "rv": RESOURCE_VERSION, "start": offset}).encode()
    ).decode()


def _offset(token: str) -> int | None:
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["start"])
    except (ValueError, KeyError, TypeError):
        return None


def _handler(fake: FakeKubernetes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def _send(self, code: int, body: Any) -> None:
            raw = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _any(self) -> None:
            parsed = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
            fake.requests.append(Request(self.command, parsed.path, query, self.headers.get("Accept", "")))
            if self.command != "GET":
                self._send(
                    405,
                    status(
                        405,
                        "MethodNotAllowed",
                        "the server does not allow this method on the requested resource (annexa must only read)",
                    ),
                )
                return
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, status(401, "Unauthorized", "Unauthorized"))
                return
            if parsed.path == "/version" and parsed.path not in fake.forbidden and fake.version is not None:
                self._send(200, fake.version)
                return
            kind = _KINDS.get(parsed.path)
            resource = parsed.path.rsplit("/", 1)[-1]
            group = parsed.path.split("/")[2] if parsed.path.startswith("/apis/") else ""
            if parsed.path == "/version" and parsed.path in fake.forbidden:  # a non-resource URL (RBAC authorizer)
                message = f'forbidden: User "{fake.user}" cannot get path "/version"'
                self._send(403, status(403, "Forbidden", message))
                return
            if parsed.path in fake.forbidden:
                self._send(
                    403,
                    status(
                        403,
                        "Forbidden",
                        f'{resource} is forbidden: User "{fake.user}" cannot list resource "{resource}" '
                        f'in API group "{group}" at the cluster scope',
                        group=group,
                        kind=resource,
                    ),
                )
                return
            if kind is None or parsed.path not in fake.lists:
                self._send(
                    404, status(404, "NotFound", "the server could not find the requested resource", kind=resource)
                )
                return
            items = fake.lists[parsed.path]
            start = 0
            if "continue" in query:
                offset = _offset(query["continue"])
                if parsed.path in fake.expire or offset is None:
                    self._send(
                        410,
                        status(
                            410,
                            "Expired",
                            "The provided continue parameter is too old to display a consistent list result. "
                            "You can start a new list without the continue parameter.",
                        ),
                    )
                    return
                start = offset
            limit = min(int(query.get("limit") or len(items) or 1), fake.page_cap) or fake.page_cap
            page = items[start : start + limit]
            meta: dict[str, Any] = {"resourceVersion": RESOURCE_VERSION}
            if start + limit < len(items):
                meta["continue"] = _token(start + limit)
                meta["remainingItemCount"] = len(items) - start - limit
            self._send(200, {"kind": kind[0], "apiVersion": kind[1], "metadata": meta, "items": page})

        do_GET = _any
        do_POST = _any
        do_PUT = _any
        do_PATCH = _any
        do_DELETE = _any

    return Handler


@contextmanager
def fake_kubernetes() -> Iterator[FakeKubernetes]:
    fake = FakeKubernetes()
    with serve_handler(_handler(fake)) as url:
        fake.url = url
        yield fake


# --- the demo's cluster ------------------------------------------------------------------------
def _meta(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta.update(
        uid=_uid(namespace or "", name),
        resourceVersion=RESOURCE_VERSION,
        creationTimestamp="2026-06-01T09:00:00Z",
        **extra,
    )
    return meta


def _uid(*parts: str) -> str:
    import hashlib

    digest = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _owner(kind: str, name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "name": name,
        "uid": _uid(namespace, kind, name),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _pod(
    name: str, namespace: str, spec: dict[str, Any], owner: tuple[str, str] | None = None, phase: str = "Running"
) -> dict[str, Any]:
    meta = _meta(name, namespace)
    if owner:
        meta["ownerReferences"] = [_owner(owner[0], owner[1], namespace)]
    return {
        "metadata": meta,
        "spec": {"restartPolicy": "Always", "dnsPolicy": "ClusterFirst", **spec},
        "status": {"phase": phase},
    }


def _namespace(name: str, **labels: str) -> dict[str, Any]:
    return {
        "metadata": _meta(name, labels={"kubernetes.io/metadata.name": name, **labels}),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


_RBAC = "rbac.authorization.k8s.io"
_PSA = "pod-security.kubernetes.io/enforce"
DIGEST = "sha256:" + "4b0f" * 16


def seed_cluster(fake: FakeKubernetes) -> FakeKubernetes:
    # Namespaces: payments enforces restricted; web and default are unlabelled (read as privileged).
    fake.put(
        "/api/v1/namespaces",
        _namespace("default"),
        _namespace("kube-system"),
        _namespace("payments", **{_PSA: "restricted", "pod-security.kubernetes.io/enforce-version": "latest"}),
        _namespace("web"),
    )
    kube_proxy = {  # kubeadm proxy/manifests.go (KubeProxyDaemonSet19), as the DaemonSet's pod
        "priorityClassName": "system-node-critical",
        "serviceAccountName": "kube-proxy",
        "hostNetwork": True,
        "containers": [
            {
                "name": "kube-proxy",
                "image": "registry.k8s.io/kube-proxy:v1.31.0",
                "command": [
                    "/usr/local/bin/kube-proxy",
                    "--config=/var/lib/kube-proxy/config.conf",
                    "--hostname-override=$(NODE_NAME)",
                ],
                "securityContext": {"privileged": True},
                "volumeMounts": [
                    {"mountPath": "/var/lib/kube-proxy", "name": "kube-proxy"},
                    {"mountPath": "/run/xtables.lock", "name": "xtables-lock"},
                    {"mountPath": "/lib/modules", "name": "lib-modules", "readOnly": True},
                ],
            }
        ],
        "volumes": [
            {"name": "kube-proxy", "configMap": {"name": "kube-proxy"}},
            {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}},
            {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}},
        ],
        "tolerations": [{"operator": "Exists"}],
    }
    coredns = {  # kubeadm dns/manifests.go (CoreDNSDeployment), as the Deployment's pod
        "priorityClassName": "system-cluster-critical",
        "serviceAccountName": "coredns",
        "containers": [
            {
                "name": "coredns",
                "image": "registry.k8s.io/coredns/coredns:v1.11.1",
                "args": ["-conf", "/etc/coredns/Corefile"],
                "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                    "readOnlyRootFilesystem": True,
                },
            }
        ],
        "volumes": [
            {
                "name": "config-volume",
                "configMap": {"name": "coredns", "items": [{"key": "Corefile", "path": "Corefile"}]},
            }
        ],
    }
    payments_api = {  # the acme workload done right: restricted profile, digest-pinned, own account, sized
        "serviceAccountName": "payments-api",
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "api",
                "image": f"registry.acme.example/payments/api@{DIGEST}",
                "resources": {
                    "limits": {"cpu": "500m", "memory": "256Mi"},
                    "requests": {"cpu": "250m", "memory": "128Mi"},
                },
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            }
        ],
    }
    security_context_demo = {  # website pods/security/security-context.yaml
        "securityContext": {"runAsUser": 1000, "fsGroup": 2000},
        "volumes": [{"name": "sec-ctx-vol", "emptyDir": {}}],
        "containers": [
            {
                "name": "sec-ctx-demo",
                "image": "gcr.io/google-samples/node-hello:1.0",
                "volumeMounts": [{"name": "sec-ctx-vol", "mountPath": "/data/demo"}],
                "securityContext": {"allowPrivilegeEscalation": False},
            }
        ],
    }
    nginx = {
        "containers": [{"name": "nginx", "image": "nginx:1.14.2", "ports": [{"containerPort": 80}]}]
    }  # website pods/simple-pod.yaml
    fake.put(
        "/api/v1/pods",
        _pod("kube-proxy-7xk2p", "kube-system", kube_proxy, ("DaemonSet", "kube-proxy")),
        _pod("coredns-6f6b679f8f-q4jzn", "kube-system", coredns, ("ReplicaSet", "coredns-6f6b679f8f")),
        _pod("api-5d8c7b9f4-m2xkq", "payments", payments_api, ("ReplicaSet", "api-5d8c7b9f4")),
        _pod("api-5d8c7b9f4-t7wnr", "payments", payments_api, ("ReplicaSet", "api-5d8c7b9f4")),
        _pod("security-context-demo", "web", security_context_demo),
        _pod("nginx", "default", nginx),
        _pod(
            "db-migrate-28830240-kd9s2",
            "payments",
            {**payments_api, "restartPolicy": "Never"},
            ("Job", "db-migrate-28830240"),
            "Succeeded",
        ),
    )
    fake.put(
        "/api/v1/serviceaccounts",
        *({"metadata": _meta("default", ns)} for ns in ("default", "kube-system", "payments", "web")),
        {"metadata": _meta("kube-proxy", "kube-system")},
        {"metadata": _meta("coredns", "kube-system")},
        {"metadata": _meta("payments-api", "payments"), "automountServiceAccountToken": False},
    )
    fake.put(
        "/apis/networking.k8s.io/v1/networkpolicies",
        # website service/networking/network-policy-default-deny-ingress.yaml, in payments
        {
            "metadata": _meta("default-deny-ingress", "payments"),
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        },
        # website service/networking/networkpolicy.yaml: selects role=db only, so default has no default-deny
        {
            "metadata": _meta("test-network-policy", "default"),
            "spec": {
                "podSelector": {"matchLabels": {"role": "db"}},
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [
                    {
                        "from": [
                            {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
                            {"namespaceSelector": {"matchLabels": {"project": "myproject"}}},
                            {"podSelector": {"matchLabels": {"role": "frontend"}}},
                        ],
                        "ports": [{"protocol": "TCP", "port": 6379}],
                    }
                ],
                "egress": [
                    {"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}], "ports": [{"protocol": "TCP", "port": 5978}]}
                ],
            },
        },
    )
    bootstrap = {"kubernetes.io/bootstrapping": "rbac-defaults"}
    annotations = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
    fake.put(
        f"/apis/{_RBAC}/v1/clusterroles",
        {  # bootstrappolicy testdata/cluster-roles.yaml
            "metadata": _meta("cluster-admin", labels=bootstrap, annotations=annotations),
            "rules": [
                {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                {"nonResourceURLs": ["*"], "verbs": ["*"]},
            ],
        },
        {
            "metadata": _meta("system:public-info-viewer", labels=bootstrap, annotations=annotations),
            "rules": [
                {"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"], "verbs": ["get"]}
            ],
        },
        {
            "metadata": _meta("system:basic-user", labels=bootstrap, annotations=annotations),
            "rules": [
                {
                    "apiGroups": ["authorization.k8s.io"],
                    "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
                    "verbs": ["create"],
                }
            ],
        },
        {  # acme's CI role: everything on deployments (a wildcard verb)
            "metadata": _meta("deployer"),
            "rules": [{"apiGroups": ["apps"], "resources": ["deployments", "replicasets"], "verbs": ["*"]}],
        },
    )
    fake.put(
        f"/apis/{_RBAC}/v1/roles",
        {  # rbac.md "Role example"
            "metadata": _meta("pod-reader", "default"),
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "watch", "list"]}],
        },
    )

    def subject(kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        if kind == "ServiceAccount":
            return {"kind": kind, "name": name, "namespace": namespace}
        return {"apiGroup": _RBAC, "kind": kind, "name": name}

    def binding(
        name: str, role: tuple[str, str], subjects: list[dict[str, Any]], namespace: str | None = None, **labels: str
    ) -> dict[str, Any]:
        extra = {"labels": labels, "annotations": annotations} if labels else {}
        return {
            "metadata": _meta(name, namespace, **extra),
            "roleRef": {"apiGroup": _RBAC, "kind": role[0], "name": role[1]},
            "subjects": subjects,
        }

    fake.put(
        f"/apis/{_RBAC}/v1/clusterrolebindings",
        binding("cluster-admin", ("ClusterRole", "cluster-admin"), [subject("Group", "system:masters")], **bootstrap),
        binding(
            "system:public-info-viewer",
            ("ClusterRole", "system:public-info-viewer"),
            [subject("Group", "system:authenticated"), subject("Group", "system:unauthenticated")],
            **bootstrap,
        ),
        binding(
            "system:basic-user",
            ("ClusterRole", "system:basic-user"),
            [subject("Group", "system:authenticated")],
            **bootstrap,
        ),
        # acme: the SRE group holds cluster-admin standing (fails: grant it just in time)
        binding("sre-admins", ("ClusterRole", "cluster-admin"), [subject("Group", "acme:sre")]),
    )
    fake.put(
        f"/apis/{_RBAC}/v1/rolebindings",
        binding(
            "read-pods", ("Role", "pod-reader"), [subject("User", "jane")], "default"
        ),  # rbac.md "RoleBinding example"
        # acme's CI deploys as the payments namespace's default account (fails)
        binding(
            "ci-deployer", ("ClusterRole", "deployer"), [subject("ServiceAccount", "default", "payments")], "payments"
        ),
    )
    seed_versions(fake)
    fake.put(
        "/apis/networking.k8s.io/v1/ingresses",
        {  # website service/networking/tls-example-ingress.yaml, in payments: its one host is under TLS
            "metadata": _meta("tls-example-ingress", "payments"),
            "spec": {
                "tls": [{"hosts": ["https-example.foo.com"], "secretName": "testsecret-tls"}],
                "rules": [
                    {
                        "host": "https-example.foo.com",
                        "http": {"paths": [_ingress_path("/", "service1")]},
                    }
                ],
            },
            "status": {"loadBalancer": {}},
        },
        {  # website service/networking/minimal-ingress.yaml, in web: a rule without a host and no TLS
            "metadata": _meta("minimal-ingress", "web"),
            "spec": {
                "ingressClassName": "nginx-example",
                "rules": [{"http": {"paths": [_ingress_path("/testpath", "test")]}}],
            },
            "status": {"loadBalancer": {}},
        },
    )
    return fake


KUBERNETES_VERSION = "v1.37.1"  # kubernetes.io/releases/1.37: 1.37.1 released 2026-09-15


def seed_versions(fake: FakeKubernetes) -> None:
    """The API server's /version and three nodes: two on the control plane's release, one left on 1.33
    (end of life 2026-06-28, kubernetes.io/releases/1.33), as a node pool nobody upgraded."""
    fake.version = {  # version.Info, as kubectl version --output=json shows serverVersion
        "major": "1",
        "minor": "37",
        "gitVersion": KUBERNETES_VERSION,
        "gitCommit": "5f8e5a2b3c4d6e7f8091a2b3c4d5e6f708192a3b",
        "gitTreeState": "clean",
        "buildDate": "2026-09-15T12:00:00Z",
        "goVersion": "go1.25.1",
        "compiler": "gc",
        "platform": "linux/amd64",
    }
    fake.put(
        "/api/v1/nodes",
        _node("acme-prod-control-plane", KUBERNETES_VERSION, control_plane=True),
        _node("acme-prod-worker-7f9c", KUBERNETES_VERSION),
        _node("acme-prod-worker-legacy-2b4d", "v1.33.5"),
    )


def _node(name: str, kubelet: str, control_plane: bool = False) -> dict[str, Any]:
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    spec: dict[str, Any] = {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]}
    if control_plane:
        spec["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    return {
        "metadata": _meta(name, labels=labels),
        "spec": spec,
        "status": {
            "addresses": [{"type": "InternalIP", "address": "10.0.0." + str(sum(map(ord, name)) % 200 + 10)}],
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": "2026-06-01T09:00:00Z",
                    "lastTransitionTime": "2026-06-01T09:00:00Z",
                }
            ],
            "nodeInfo": {
                "machineID": _uid("machine", name).replace("-", ""),
                "systemUUID": _uid("system", name),
                "bootID": _uid("boot", name),
                "kernelVersion": "6.1.0-27-amd64",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://1.7.24",
                "kubeletVersion": kubelet,
                "kubeProxyVersion": kubelet,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def _ingress_path(path: str, service: str) -> dict[str, Any]:
    return {"path": path, "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"number": 80}}}}


@contextmanager
def serve(shift_days: int) -> Iterator[Served]:
    """The demo's cluster acme-prod, for demo/sources.py (no dates in it move with `shift_days`)."""
    with fake_kubernetes() as fake:
        seed_cluster(fake)
        yield Served("a fake Kubernetes cluster", {"http://127.0.0.1:8769": fake.url}, {"KUBE_TOKEN": TOKEN})
