"""Pods: how each running pod's containers are configured (privilege, host access, user, resources,
images) and whether a service account token is mounted into it.

Pods, not their controllers: a pod is what runs, whatever created it (Deployment, DaemonSet, Job,
an operator or kubectl run), and admission webhooks or LimitRanges may have changed its spec on
the way. Pods that have ended (Succeeded, Failed) run nothing and are left out.
"""

from __future__ import annotations

from typing import Any

from annexa.collectors.kubernetes.client import KubeCallError
from annexa.collectors.kubernetes.collector import ClusterReads, KubernetesCollector, Yield, failed, permission, pick
from annexa.collectors.kubernetes.namespaces import ENDED

POD = "kubernetes.pod"
_HOST = ("hostNetwork", "hostPID", "hostIPC", "automountServiceAccountToken", "serviceAccountName")
_RESOURCES = ("requests", "limits")


def image_name(image: str) -> str:
    """`registry/path` of an image reference, tag and digest removed, as the container runtime
    resolves it (distribution/reference, ParseNormalizedNamed): a first component with a `.` or `:`,
    or `localhost`, is a registry; otherwise the image is on docker.io (`library/` for one component)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        name = name[: len(name) - len(last[-1])] + last[-1].split(":", 1)[0]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return name
    return f"docker.io/{name}" if rest else f"docker.io/library/{name}"


def allowed(image: str, registries: tuple[str, ...]) -> bool:
    name = image_name(image)
    return any(name == r or name.startswith(r + "/") for r in registries)


def _container(raw: dict[str, Any], pod_context: dict[str, Any], init: bool) -> dict[str, Any]:
    context = raw.get("securityContext") or {}
    out = {"name": raw.get("name", ""), "image": raw.get("image", ""), "init": init}
    out.update(pick(context, ("privileged", "allowPrivilegeEscalation")))
    # runAsNonRoot and runAsUser: the container's value wins over the pod's (SecurityContext,
    # API reference: "If set in both SecurityContext and PodSecurityContext, the value specified
    # in SecurityContext takes precedence"). Absent from both: the image's USER decides, so it may be root.
    for key in ("runAsNonRoot", "runAsUser"):
        if key in context:
            out[key] = context[key]
        elif key in pod_context:
            out[key] = pod_context[key]
    out["resources"] = pick(raw.get("resources"), _RESOURCES)
    return out


class PodsCollector(KubernetesCollector):
    """`kubernetes.pod` (`namespaces/<ns>/pods/<name>`): `namespace`, `name`, `owner` (`kind/name`
    of its controller, when it has one), `hostNetwork`, `hostPID`, `hostIPC`,
    `automountServiceAccountToken` and `serviceAccountName` as the pod spec gives them;
    `service_account_automount` (the pod's ServiceAccount's `automountServiceAccountToken`, absent
    when it sets none); `host_path_volumes` (names of hostPath volumes); `containers` (init and
    ephemeral containers included, `init: true` for init containers): `name`, `image`,
    `privileged`, `allowPrivilegeEscalation`, the effective `runAsNonRoot` and `runAsUser`, and
    `resources` (`requests`, `limits`); and, when the target sets `allowed_registries`,
    `images_outside_allowed_registries`."""

    name = "kubernetes.pods"
    kinds = (POD,)
    permissions = tuple(permission(r) for r in ("pods", "serviceaccounts"))

    def collect_cluster(self, reads: ClusterReads) -> Yield:
        try:
            pods, accounts = reads.list("pods"), reads.list("serviceaccounts")
        except KubeCallError as exc:
            yield failed(exc, self.kinds, reads)
            return
        automount = {
            ((a.get("metadata") or {}).get("namespace", ""), (a.get("metadata") or {}).get("name", "")): a[
                "automountServiceAccountToken"
            ]
            for a in accounts.items
            if "automountServiceAccountToken" in a
        }
        registries = reads.settings.allowed_registries
        for pod in pods.items:
            if (pod.get("status") or {}).get("phase") in ENDED:
                continue
            meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
            namespace, name = meta.get("namespace", ""), meta.get("name", "")
            pod_context = pick(spec.get("securityContext"), ("runAsNonRoot", "runAsUser"))
            containers = [
                _container(c, pod_context, init)
                for key, init in (("initContainers", True), ("containers", False), ("ephemeralContainers", False))
                for c in spec.get(key) or []
            ]
            owner = next((o for o in meta.get("ownerReferences") or [] if o.get("controller")), None)
            # serviceAccountName absent: the pod runs as the namespace's `default` account (PodSpec, API reference)
            account = spec.get("serviceAccountName") or "default"
            data: dict[str, Any] = {
                "namespace": namespace,
                "name": name,
                **({"owner": f"{owner.get('kind')}/{owner.get('name')}"} if owner else {}),
                **pick(spec, _HOST),
                **(
                    {"service_account_automount": automount[(namespace, account)]}
                    if (namespace, account) in automount
                    else {}
                ),
                "securityContext": pod_context,
                "host_path_volumes": sorted(v.get("name", "") for v in spec.get("volumes") or [] if "hostPath" in v),
                "containers": containers,
            }
            if registries is not None:
                data["images_outside_allowed_registries"] = sorted(
                    {c["image"] for c in containers if not allowed(c["image"], registries)}
                )
            yield reads.fact(POD, f"namespaces/{namespace}/pods/{name}", data, pods, accounts)
