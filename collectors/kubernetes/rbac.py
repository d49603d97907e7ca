"""RBAC: every ClusterRoleBinding and RoleBinding, with the rules of the role it grants."""

from __future__ import annotations

from typing import Any

from annexa.collectors.kubernetes.client import KubeCallError
from annexa.collectors.kubernetes.collector import ClusterReads, KubernetesCollector, Yield, failed, permission, pick

BINDING = "kubernetes.rbac.binding"
_RULE_KEYS = ("verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs")
_SUBJECT_KEYS = ("kind", "name", "namespace")


class RbacCollector(KubernetesCollector):
    """`kubernetes.rbac.binding` (`clusterrolebindings/<name>`, `namespaces/<ns>/rolebindings/<name>`):
    `kind`, `name`, `namespace`, `roleRef` (`kind`, `name`), `subjects` (`kind`, `name`,
    `namespace`; absent when the binding has none) and `role_rules`: the rules (`verbs`,
    `apiGroups`, `resources`, `resourceNames`, `nonResourceURLs`) of the role it grants (a
    RoleBinding's Role in its namespace, or a ClusterRole), with `role_found: false` and no rules
    when that role does not exist (RBAC docs: a binding to a missing role grants nothing)."""

    name = "kubernetes.rbac"
    kinds = (BINDING,)
    permissions = tuple(permission(r) for r in ("clusterroles", "roles", "clusterrolebindings", "rolebindings"))

    def collect_cluster(self, reads: ClusterReads) -> Yield:
        try:
            cluster_roles = reads.list("clusterroles")
            roles = reads.list("roles")
            bindings = [reads.list("clusterrolebindings"), reads.list("rolebindings")]
        except KubeCallError as exc:
            yield failed(exc, self.kinds, reads)
            return
        rules_of: dict[tuple[str, str, str], list[Any]] = {}
        for reply, kind in ((cluster_roles, "ClusterRole"), (roles, "Role")):
            for role in reply.items:
                meta = role.get("metadata") or {}
                # `rules` is optional (an aggregated ClusterRole before aggregation): absent = no rules
                rules_of[(kind, meta.get("namespace", ""), meta.get("name", ""))] = role.get("rules") or []
        for reply, kind in zip(bindings, ("ClusterRoleBinding", "RoleBinding"), strict=True):
            for binding in reply.items:
                meta = binding.get("metadata") or {}
                namespace = meta.get("namespace", "")
                ref = binding.get("roleRef") or {}
                lookup = (ref.get("kind", ""), namespace if ref.get("kind") == "Role" else "", ref.get("name", ""))
                rules = rules_of.get(lookup)
                data: dict[str, Any] = {
                    "kind": kind,
                    "name": meta.get("name", ""),
                    **({"namespace": namespace} if namespace else {}),
                    "roleRef": pick(ref, ("kind", "name")),
                    "role_found": rules is not None,
                    "role_rules": [pick(rule, _RULE_KEYS) for rule in rules or []],
                }
                if "subjects" in binding:
                    data["subjects"] = [pick(s, _SUBJECT_KEYS) for s in binding.get("subjects") or []]
                resource = (
                    f"namespaces/{namespace}/rolebindings/{data['name']}"
                    if namespace
                    else f"clusterrolebindings/{data['name']}"
                )
                yield reads.fact(BINDING, resource, data, reply, cluster_roles, roles)
