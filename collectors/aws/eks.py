"""EKS: each cluster's control-plane audit logging, secrets envelope encryption and endpoint exposure."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.spec import Detail, Listing

CLUSTER = "aws.eks.cluster"


def _cluster(name: str, cluster: dict[str, Any]) -> dict[str, Any]:
    """A key is set only when DescribeCluster returned the setting it comes from: an absent
    `logging`, `encryptionConfig` or endpoint flag stays absent, and the rules read it at its
    documented default (mappings/rules/aws.yaml)."""
    data: dict[str, Any] = {
        "name": name,
        "arn": cluster.get("arn"),
        "version": cluster.get("version"),
        "platform_version": cluster.get("platformVersion"),
        "status": cluster.get("status"),
    }
    if "logging" in cluster:
        entries = (cluster["logging"] or {}).get("clusterLogging") or []
        data["enabled_log_types"] = sorted({t for e in entries if e.get("enabled") for t in e.get("types") or []})
    if "encryptionConfig" in cluster:
        configs = cluster["encryptionConfig"] or []
        data["secrets_kms_keys"] = sorted(
            {
                c["provider"]["keyArn"]
                for c in configs
                if "secrets" in (c.get("resources") or []) and (c.get("provider") or {}).get("keyArn")
            }
        )
    if "upgradePolicy" in cluster and "supportType" in (cluster["upgradePolicy"] or {}):
        data["support_type"] = cluster["upgradePolicy"]["supportType"]
    vpc = cluster.get("resourcesVpcConfig") or {}
    for field, key in (
        ("endpointPublicAccess", "endpoint_public_access"),
        ("endpointPrivateAccess", "endpoint_private_access"),
        ("publicAccessCidrs", "public_access_cidrs"),
    ):
        if field in vpc:
            data[key] = vpc[field]
    return data


class EksCollector(AwsCollector):
    """Kubernetes control-plane evidence (A.8.15, A.8.24, A.8.20, A.8.8) for each configured region.

    ListClusters names the clusters (paged through `nextToken`); one DescribeCluster each (no
    batch API) gives the settings.

    - `aws.eks.cluster` (cluster ARN): `name`, `arn`, `version`, `platform_version`, `status`;
      `enabled_log_types` (the control-plane log types `logging.clusterLogging` enables: api,
      audit, authenticator, controllerManager, scheduler), `secrets_kms_keys` (the KMS keys of
      `encryptionConfig` entries whose resources include `secrets`), `endpoint_public_access`,
      `endpoint_private_access`, `public_access_cidrs`, `support_type` (`upgradePolicy.supportType`:
      STANDARD or EXTENDED): each only when the answer held it.
    """

    name = "aws.eks"
    specs = (
        Listing(
            CLUSTER,
            "eks",
            "ListClusters",
            "clusters",
            resource=lambda name, unit: unit.arn("eks", f"cluster/{name}"),
            details=(Detail("DescribeCluster", lambda name: {"name": name}, key="cluster"),),
            data=_cluster,
        ),
    )
