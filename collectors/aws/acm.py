"""ACM: TLS certificates, when they expire and whether AWS can renew them."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.session import iso
from annexa.collectors.aws.spec import Detail, Listing

CERTIFICATE = "aws.acm.certificate"


def _certificate(summary: dict[str, Any], cert: dict[str, Any]) -> dict[str, Any]:
    return {
        "domain_name": cert.get("DomainName"),
        "status": cert.get("Status"),
        "type": cert.get("Type"),
        "not_after": iso(cert.get("NotAfter")),
        "in_use": bool(cert.get("InUseBy")),
        "renewal_eligibility": cert.get("RenewalEligibility"),
        "key_algorithm": cert.get("KeyAlgorithm"),
    }


class AcmCollector(AwsCollector):
    """Certificate evidence (A.8.24) for each configured region.

    ListCertificates lacks expiry and renewal data, so one DescribeCertificate per
    certificate (no batch API).

    - `aws.acm.certificate` (certificate ARN): `domain_name`, `status`, `type`
      (AMAZON_ISSUED or IMPORTED), `not_after` (raw expiry; rules compute days left),
      `in_use` (attached to a load balancer, distribution, ...), `renewal_eligibility`,
      `key_algorithm`.
    """

    name = "aws.acm"
    specs = (
        Listing(
            CERTIFICATE,
            "acm",
            "ListCertificates",
            "CertificateSummaryList",
            resource="CertificateArn",
            details=(
                Detail("DescribeCertificate", lambda c: {"CertificateArn": c["CertificateArn"]}, key="Certificate"),
            ),
            data=_certificate,
        ),
    )
