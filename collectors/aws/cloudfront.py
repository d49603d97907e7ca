"""CloudFront: distributions, their viewer TLS settings and their WAF web ACL."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.spec import Listing

DISTRIBUTION = "aws.cloudfront.distribution"


def _distribution(dist: dict[str, Any]) -> dict[str, Any]:
    certificate = dist.get("ViewerCertificate") or {}
    default = bool(certificate.get("CloudFrontDefaultCertificate"))
    behaviours = [dist.get("DefaultCacheBehavior") or {}] + list((dist.get("CacheBehaviors") or {}).get("Items") or [])
    return {
        "id": dist["Id"],
        "domain_name": dist.get("DomainName"),
        "aliases": sorted((dist.get("Aliases") or {}).get("Items") or []),
        "enabled": bool(dist.get("Enabled")),
        "web_acl_id": dist.get("WebACLId") or None,
        "default_certificate": default,
        "minimum_protocol_version": None if default else certificate.get("MinimumProtocolVersion"),
        "viewer_protocol_policies": sorted({b.get("ViewerProtocolPolicy") for b in behaviours if b}),
    }


class CloudFrontCollector(AwsCollector):
    """Edge exposure and transport encryption evidence (A.8.23, A.8.24); CloudFront is global.

    ListDistributions carries everything needed: no per-distribution calls.

    - `aws.cloudfront.distribution` (distribution ARN): `id`, `domain_name`, `aliases`,
      `enabled`, `web_acl_id` (null when no WAF web ACL), `minimum_protocol_version`
      (viewer TLS floor; null with the default *.cloudfront.net certificate, which allows
      TLSv1), `default_certificate`, `viewer_protocol_policies` (default and every cache
      behaviour: allow-all, redirect-to-https or https-only).
    """

    name = "aws.cloudfront"
    per_region = False
    specs = (
        Listing(
            DISTRIBUTION,
            "cloudfront",
            "ListDistributions",
            "DistributionList.Items",
            resource="ARN",
            data=_distribution,
        ),
    )
