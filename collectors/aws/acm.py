"""ACM: TLS certificates, when they expire and whether AWS can renew them."""

from __future__ import annotations

from collections.abc import Iterator

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.session import AwsAccount, call, iso, paginate
from annexa.model import CollectionError, Fact

CERTIFICATE = "aws.acm.certificate"


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
    kinds = (CERTIFICATE,)
    permissions = ("acm:ListCertificates", "acm:DescribeCertificate")

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        acm = account.client("acm", region)
        try:
            summaries, pages = paginate(acm, "list_certificates", "CertificateSummaryList")
        except AwsCallError as exc:
            yield exc.to_collection_error((CERTIFICATE,), account.scope(region))
            return
        for summary in summaries:
            arn = summary["CertificateArn"]
            try:
                cert = call(acm, "describe_certificate", CertificateArn=arn)["Certificate"]
            except AwsCallError as exc:
                yield exc.to_collection_error((CERTIFICATE,), account.scope(region), arn)
                continue
            yield Fact(
                kind=CERTIFICATE,
                resource=arn,
                scope=account.scope(region),
                data={
                    "domain_name": cert.get("DomainName"),
                    "status": cert.get("Status"),
                    "type": cert.get("Type"),
                    "not_after": iso(cert.get("NotAfter")),
                    "in_use": bool(cert.get("InUseBy")),
                    "renewal_eligibility": cert.get("RenewalEligibility"),
                    "key_algorithm": cert.get("KeyAlgorithm"),
                },
                source=account.source(["acm:ListCertificates", "acm:DescribeCertificate"], acm, pages),
            )
