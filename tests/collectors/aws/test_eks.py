"""aws.eks (collectors/aws/eks.py): each cluster ListClusters names, with one DescribeCluster each
(no batch API), and what the EKS rules say about its control-plane logging, secrets encryption and
endpoint, absent settings read at their documented defaults."""

from __future__ import annotations

import json
from pathlib import Path

import botocore
from fakes.aws_api import assert_pages_and_errors, stubbed_account, verdicts

from annexa.collectors.aws.eks import EksCollector
from annexa.model import Fact, Source

RULES = ("aws.eks.audit-logging", "aws.eks.secrets-kms-encryption", "aws.eks.endpoint-not-open")
# aws.eks.supported-release is judged in its own tests below: it depends on the version and the date
ROLE = "arn:aws:iam::123456789012:role/eks-service-role"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _statuses(facts, resource):
    found = verdicts(facts)
    return tuple(found[(rule, resource)] for rule in RULES)


def test_reads_clusters_and_each_ones_description() -> None:
    assert EksCollector.kinds == ("aws.eks.cluster",)
    assert EksCollector.permissions == ("eks:ListClusters", "eks:DescribeCluster")


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(EksCollector())


def test_configured_and_default_clusters_in_moto(mocked, run):
    eks = mocked.client("eks")
    vpc = {"subnetIds": ["subnet-1"], "endpointPublicAccess": False, "endpointPrivateAccess": True}
    eks.create_cluster(
        name="prod",
        version="1.31",
        roleArn=ROLE,
        resourcesVpcConfig=vpc,
        logging={"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": KEY}}],
    )
    eks.create_cluster(name="lab", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    out = run(EksCollector())
    clusters = out.by_resource("aws.eks.cluster")
    prod, lab = (f"arn:aws:eks:us-east-1:123456789012:cluster/{n}" for n in ("prod", "lab"))
    assert out.errors == [] and set(clusters) == {prod, lab}
    data = clusters[prod].data
    assert (data["enabled_log_types"], data["secrets_kms_keys"], data["version"]) == (["api", "audit"], [KEY], "1.31")
    assert (data["endpoint_public_access"], data["endpoint_private_access"]) == (False, True)
    assert clusters[prod].source.operations == ("eks:ListClusters", "eks:DescribeCluster")
    assert _statuses(out.facts, prod) == ("pass", "pass", "pass")
    # moto answers `logging` with every type disabled and an empty `encryptionConfig`
    assert (clusters[lab].data["enabled_log_types"], clusters[lab].data["secrets_kms_keys"]) == ([], [])
    assert _statuses(out.facts, lab)[:2] == ("fail", "fail")


def _botocore_example(operation: str) -> dict:
    data = Path(botocore.__file__).parent / "data" / "eks"
    [examples] = sorted(data.glob("*/examples-1.json"))
    return json.loads(examples.read_text())["examples"][operation][0]["output"]


def test_botocore_example_cluster_reads_every_absent_setting_at_its_default() -> None:
    """botocore's DescribeCluster example (`devel`) has no logging, encryptionConfig or endpoint
    flags: audit logs off, no customer key, public endpoint open to 0.0.0.0/0, by the documented defaults."""
    account, stubber = stubbed_account("eks")
    stubber.add_response("list_clusters", {"clusters": ["devel"]})
    stubber.add_response("describe_cluster", _botocore_example("DescribeCluster"), {"name": "devel"})
    facts = list(EksCollector().collect_unit(account, "eu-west-1"))
    stubber.assert_no_pending_responses()
    [fact] = facts
    assert fact.resource == "arn:aws:eks:eu-west-1:111122223333:cluster/devel"
    assert set(fact.data) == {"name", "arn", "version", "platform_version", "status"}
    assert _statuses(facts, fact.resource) == ("fail", "fail", "fail")
    # its version 1.10 is not in EKS's release calendar as annexa ships it: an error, never a pass
    assert verdicts(facts)[("aws.eks.supported-release", fact.resource)] == "error"


def test_versions_are_judged_on_the_eks_calendar_of_the_clusters_support_type() -> None:
    """EKS release calendar: 1.31 standard support ended 2025-11-26, extended 2026-11-26; 1.33 standard
    ends 2026-07-29; 1.34 extended ends 2027-12-02. An absent upgradePolicy reads as EXTENDED (EKS user
    guide: the default for all new and existing clusters)."""
    example = _botocore_example("DescribeCluster")["cluster"]
    cases = {
        "current": ("1.34", {"upgradePolicy": {"supportType": "EXTENDED"}}, "pass"),
        "default-extended": ("1.34", {}, "pass"),
        "standard-ended": ("1.33", {"upgradePolicy": {"supportType": "STANDARD"}}, "fail"),
        "extended-ended": ("1.31", {"upgradePolicy": {"supportType": "EXTENDED"}}, "fail"),
        "not-in-calendar": ("1.35", {}, "error"),  # released on EKS after the calendar annexa ships was taken
    }
    account, stubber = stubbed_account("eks")
    stubber.add_response("list_clusters", {"clusters": list(cases)})
    for name, (version, extra, _) in cases.items():
        cluster = {**example, "name": name, "arn": f"arn:aws:eks:eu-west-1:111122223333:cluster/{name}"}
        stubber.add_response("describe_cluster", {"cluster": {**cluster, "version": version, **extra}}, {"name": name})
    facts = list(EksCollector().collect_unit(account, "eu-west-1"))
    stubber.assert_no_pending_responses()
    found = verdicts(facts)
    assert {f.data["name"]: found[("aws.eks.supported-release", f.resource)] for f in facts} == {
        name: expected for name, (_, _, expected) in cases.items()
    }
    assert {f.data["name"]: f.data.get("support_type") for f in facts}["standard-ended"] == "STANDARD"


def test_an_allow_list_passes_and_an_open_one_fails() -> None:
    base = {"name": "c", "arn": "a", "version": "1.31", "platform_version": "eks.1", "status": "ACTIVE"}

    def fact(resource: str, **data: object) -> Fact:
        source = Source(operations=("eks:DescribeCluster",), principal="p")
        return Fact(kind="aws.eks.cluster", resource=resource, scope={}, data={**base, **data}, source=source)

    facts = [
        fact("narrow", endpoint_public_access=True, public_access_cidrs=["203.0.113.0/24"]),
        fact("open", endpoint_public_access=True, public_access_cidrs=["0.0.0.0/0"]),
        fact("open6", endpoint_public_access=True, public_access_cidrs=["203.0.113.0/24", "::/0"]),
        fact("private", endpoint_public_access=False, public_access_cidrs=["0.0.0.0/0"]),
    ]
    found = verdicts(facts)
    assert {f.resource: found[("aws.eks.endpoint-not-open", f.resource)] for f in facts} == {
        "narrow": "pass",
        "open": "fail",
        "open6": "fail",
        "private": "pass",
    }
