"""Namespaces: their Pod Security Admission labels, how many pods run there and their NetworkPolicies."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from annexa.collectors.kubernetes.client import KubeCallError
from annexa.collectors.kubernetes.collector import ClusterReads, KubernetesCollector, Yield, failed, permission, pick

NAMESPACE = "kubernetes.namespace"
PSA = "pod-security.kubernetes.io/"
# Pods that have ended run nothing (PodStatus.phase, API reference); every other phase counts.
ENDED = ("Succeeded", "Failed")


class NamespacesCollector(KubernetesCollector):
    """`kubernetes.namespace` (`namespaces/<name>`): `name`, `phase`, `psa_enforce`, `psa_audit`,
    `psa_warn` (the values of the `pod-security.kubernetes.io/<mode>` labels; absent when unlabelled),
    `pods` (pods not Succeeded or Failed) and `network_policies`: each policy's `name`,
    `podSelector` and `policyTypes` as returned, and `ingress_rules`/`egress_rules`, the number of
    entries in `ingress`/`egress` (an absent list has none: NetworkPolicySpec, API reference)."""

    name = "kubernetes.namespaces"
    kinds = (NAMESPACE,)
    permissions = tuple(permission(r) for r in ("namespaces", "pods", "networkpolicies"))

    def collect_cluster(self, reads: ClusterReads) -> Yield:
        try:
            namespaces, pods, policies = reads.list("namespaces"), reads.list("pods"), reads.list("networkpolicies")
        except KubeCallError as exc:
            yield failed(exc, self.kinds, reads)
            return
        running = Counter(
            (pod.get("metadata") or {}).get("namespace", "")
            for pod in pods.items
            if (pod.get("status") or {}).get("phase") not in ENDED
        )
        by_namespace: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for policy in policies.items:
            meta, spec = policy.get("metadata") or {}, policy.get("spec") or {}
            by_namespace[meta.get("namespace", "")].append(
                {
                    "name": meta.get("name", ""),
                    **pick(spec, ("podSelector", "policyTypes")),
                    "ingress_rules": len(spec.get("ingress") or []),
                    "egress_rules": len(spec.get("egress") or []),
                }
            )
        for namespace in namespaces.items:
            meta = namespace.get("metadata") or {}
            name = meta.get("name", "")
            labels = meta.get("labels") or {}
            data = {
                "name": name,
                **pick(namespace.get("status"), ("phase",)),
                **{f"psa_{mode}": labels[PSA + mode] for mode in ("enforce", "audit", "warn") if PSA + mode in labels},
                "pods": running.get(name, 0),
                "network_policies": sorted(by_namespace.get(name, []), key=lambda p: p["name"]),
            }
            yield reads.fact(NAMESPACE, f"namespaces/{name}", data, namespaces, pods, policies)
