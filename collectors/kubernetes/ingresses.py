"""Ingresses: which of the hosts each Ingress routes are covered by its TLS section.

Ingress concept docs ("TLS"): "TLS will not work on the default rule because the certificates would
have to be issued for all the possible sub-domains. Therefore, hosts in the tls section need to
explicitly match the host in the rules section." So a rule without a host, or a default backend,
is never covered; a host is covered when a `spec.tls[].hosts` entry names it, or is a wildcard
`*.<domain>` the host falls under by one label (a certificate's wildcard, RFC 6125 6.4.3).
A `tls` entry without `hosts` names nothing here: IngressTLS.hosts "Defaults to the wildcard host
setting for the loadbalancer controller", a setting the API does not show.
"""

from __future__ import annotations

from typing import Any

from annexa.collectors.kubernetes.client import KubeCallError
from annexa.collectors.kubernetes.collector import ClusterReads, KubernetesCollector, Yield, failed, permission

INGRESS = "kubernetes.ingress"
ANY_HOST = "*"  # how a rule without a host, or the default backend, is shown: it answers for any host


def covered(host: str, tls_hosts: list[str]) -> bool:
    if host == ANY_HOST:
        return False
    for name in tls_hosts:
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


class IngressesCollector(KubernetesCollector):
    """`kubernetes.ingress` (`namespaces/<ns>/ingresses/<name>`): `namespace`, `name`,
    `ingressClassName` (when set), `hosts` (each rule's `host`, `*` for a rule without one and for
    `spec.defaultBackend`), `tls_hosts` (every `spec.tls[].hosts` entry), `tls_entries` (the number of
    `spec.tls` entries: absent `tls` is none, IngressSpec) and `hosts_without_tls` (the hosts no TLS
    host covers; see the module's docstring)."""

    name = "kubernetes.ingresses"
    kinds = (INGRESS,)
    permissions = (permission("ingresses"),)

    def collect_cluster(self, reads: ClusterReads) -> Yield:
        try:
            ingresses = reads.list("ingresses")
        except KubeCallError as exc:
            yield failed(exc, self.kinds, reads)
            return
        for ingress in ingresses.items:
            meta, spec = ingress.get("metadata") or {}, ingress.get("spec") or {}
            namespace, name = meta.get("namespace", ""), meta.get("name", "")
            hosts = [rule.get("host") or ANY_HOST for rule in spec.get("rules") or []]
            if spec.get("defaultBackend"):
                hosts.append(ANY_HOST)
            hosts = list(dict.fromkeys(hosts))
            tls = spec.get("tls") or []
            tls_hosts = sorted({h for entry in tls for h in entry.get("hosts") or []})
            data: dict[str, Any] = {
                "namespace": namespace,
                "name": name,
                **({"ingressClassName": spec["ingressClassName"]} if "ingressClassName" in spec else {}),
                "hosts": hosts,
                "tls_hosts": tls_hosts,
                "tls_entries": len(tls),
                "hosts_without_tls": [h for h in hosts if not covered(h, tls_hosts)],
            }
            yield reads.fact(INGRESS, f"namespaces/{namespace}/ingresses/{name}", data, ingresses)
