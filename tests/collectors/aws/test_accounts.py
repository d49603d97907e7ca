"""Targets over many accounts: a list, an Organization, assumed roles, regions, fan-out, shards."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.client
import pytest
import structlog
from fakes.aws import ORG_REGIONS, collect
from golden import assert_matches_golden, evidence, results_of

from annexa.collectors.aws.accounts import options_problem
from annexa.collectors.aws.fanout import Waits, fan_out
from annexa.collectors.aws.kms import KmsCollector
from annexa.collectors.aws.organizations import OrganizationsCollector
from annexa.collectors.base import Context, Shard, Target
from annexa.collectors.registry import load_registry
from annexa.model import CollectionError, Fact

ROLE = "annexa-audit"


@pytest.fixture
def organization(mocked: boto3.Session) -> dict[str, str]:
    """A management account with three members: one keyed, one plain, one suspended."""
    org = mocked.client("organizations")
    org.create_organization(FeatureSet="ALL")
    members = {}
    for name in ("prod", "dev", "closed"):
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        members[name] = status["AccountId"]
    org.close_account(AccountId=members["closed"])
    # Seed a KMS key inside "prod" through a role session there (moto maps the role ARN's account).
    credentials = mocked.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{members['prod']}:role/seed", RoleSessionName="seed"
    )["Credentials"]
    prod = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name="eu-west-1",
    )
    members["prod_key"] = prod.client("kms").create_key(Description="prod")["KeyMetadata"]["Arn"]
    return members


def _collect(collector: Any, target: Target, context: Context) -> tuple[list[Fact], list[CollectionError]]:
    facts: list[Fact] = []
    errors: list[CollectionError] = []
    for item in collector.collect(target, context):
        (facts if isinstance(item, Fact) else errors).append(item)
    return facts, errors


def _org_target(**extra: Any) -> Target:
    return Target(
        "aws",
        {
            "organization": True,
            "role_name": ROLE,
            "session_name": "nightly",
            "regions": ["us-east-1", "eu-west-1"],
            **extra,
        },
        0,
    )


def test_organization_target_assumes_the_role_in_every_active_account(organization, context):
    facts, errors = _collect(KmsCollector(), _org_target(), context)
    assert errors == []
    [key] = [f for f in facts if f.resource == organization["prod_key"]]
    assert key.scope == {"provider": "aws", "account": organization["prod"], "region": "eu-west-1"}
    assert key.source.principal == f"arn:aws:sts::{organization['prod']}:assumed-role/{ROLE}/nightly"
    assert key.source.operations[0] == "kms:ListKeys" and key.source.pages == 1


def test_suspended_accounts_are_skipped_and_recorded(organization, context):
    facts, errors = _collect(OrganizationsCollector(), _org_target(), context)
    assert errors == []
    accounts = {f.resource: f.data for f in facts if f.kind == "aws.organizations.account"}
    assert len(accounts) == 4  # the management account and three members
    closed = accounts[organization["closed"]]
    assert (closed["status"], closed["collected"]) == ("SUSPENDED", False)
    assert "SUSPENDED" in closed["not_collected_reason"]
    assert accounts[organization["dev"]]["collected"] is True
    assert accounts[organization["dev"]]["regions"] == ["us-east-1", "eu-west-1"]


def test_an_account_whose_role_cannot_be_assumed_is_an_error_for_every_kind(organization, context, deny):
    denied = organization["dev"]
    deny("sts", "AssumeRole", when=lambda params: f"::{denied}:" in params["RoleArn"])
    facts, errors = _collect(KmsCollector(), _org_target(), context)
    [error] = errors
    assert error.kinds == KmsCollector.kinds
    assert error.scope == {"provider": "aws", "account": denied}
    assert (error.operation, error.code) == ("sts:AssumeRole", "AccessDenied")
    assert organization["prod_key"] in {f.resource for f in facts}
    coverage = {
        f.resource: f.data
        for f in _collect(OrganizationsCollector(), _org_target(), context)[0]
        if f.kind == "aws.organizations.account"
    }
    assert coverage[denied]["collected"] is False and "AccessDenied" in coverage[denied]["not_collected_reason"]


def test_regions_all_reads_enabled_regions_and_records_the_others(organization, context, monkeypatch):
    real = botocore.client.BaseClient._make_api_call

    def regions(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "DescribeRegions":
            return {
                "Regions": [
                    {"RegionName": "us-east-1", "OptInStatus": "opt-in-not-required"},
                    {"RegionName": "eu-south-1", "OptInStatus": "opted-in"},
                    {"RegionName": "af-south-1", "OptInStatus": "not-opted-in"},
                ]
            }
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", regions)
    facts, _ = _collect(OrganizationsCollector(), _org_target(regions="all"), context)
    prod = next(f.data for f in facts if f.resource == organization["prod"])
    assert prod["regions"] == ["eu-south-1", "us-east-1"]
    assert prod["skipped_regions"] == [{"region": "af-south-1", "reason": "opt-in status not-opted-in"}]


def test_shards_split_the_units_without_overlap(organization):
    def run(shard: Shard | None) -> set[str]:
        context = Context(run_id="t", log=structlog.get_logger(), shard=shard)
        facts, errors = _collect(KmsCollector(), _org_target(), context)
        assert errors == []
        return {f.resource for f in facts}

    whole = run(None)
    halves = [run(Shard(0, 2)), run(Shard(1, 2))]
    assert halves[0] | halves[1] == whole and not halves[0] & halves[1]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"regions": "some"}, "'regions' must be a non-empty list"),
        ({"accounts": ["12345"]}, "12-digit account ids"),
        ({"organization": True}, "needs 'role_name'"),
        ({"organization": True, "role_name": "r", "accounts": ["111122223333"]}, "exclude each other"),
        ({"max_workers": 0}, "at least 1"),
    ],
)
def test_unusable_account_options_are_named(options, message):
    assert message in (options_problem(options) or "")


def test_config_rejects_bad_account_options_with_file_and_line(tmp_path):
    from annexa.collectors.registry import load_registry
    from annexa.config import load_config
    from annexa.errors import UsageError
    from annexa.mappings.catalog import load_catalog

    path = tmp_path / "annexa.yaml"
    path.write_text("targets:\n  - host: {}\n  - aws: {organization: true}\n")
    with pytest.raises(UsageError, match=r"annexa.yaml:3: .*needs 'role_name'"):
        load_config(path, load_registry(), load_catalog())
    path.write_text("targets:\n  - aws: {regions: all, organization: true, role_name: audit, external_id: x}\n")
    assert load_config(path, load_registry(), load_catalog()).targets[0].options["regions"] == "all"


def test_fan_out_streams_items_and_a_slow_unit_blocks_nobody():
    release = threading.Event()

    def work(unit: str) -> Iterator[str]:
        if unit == "slow":
            release.wait(5)
        if unit == "broken":
            raise RuntimeError("bug")
        yield unit

    seen = []
    for item in fan_out(["slow", "a", "broken", "b"], work, lambda unit, exc: f"crashed:{unit}:{exc}", workers=3):
        seen.append(item)
        if len(seen) == 3:
            release.set()
    assert seen[:3] != [] and "slow" == seen[-1]
    assert set(seen) == {"slow", "a", "b", "crashed:broken:bug"}


def test_fan_out_counts_the_time_workers_wait_on_a_slow_consumer():
    def work(unit: int) -> Iterator[int]:
        yield from range(20)

    quick = Waits()
    assert len(list(fan_out([1, 2], work, lambda unit, exc: -1, workers=2, queue_size=64, waits=quick))) == 40
    assert quick.seconds == 0  # the queue never filled
    slow = Waits()
    for _item in fan_out([1, 2], work, lambda unit, exc: -1, workers=2, queue_size=1, waits=slow):
        time.sleep(0.01)  # a consumer slower than the units: each put waits for room
    assert slow.seconds >= 0.2  # 40 items a 10 ms, two workers: most of it spent waiting


def test_fan_out_stops_workers_when_the_consumer_leaves():
    produced = []

    def work(unit: int) -> Iterator[int]:
        for i in range(10_000):
            produced.append(i)
            yield i

    stream = fan_out(list(range(4)), work, lambda unit, exc: -1, workers=2, queue_size=4)
    assert next(stream) == 0
    stream.close()
    time.sleep(0.3)
    settled = len(produced)
    time.sleep(0.3)
    assert len(produced) == settled < 100


def test_organization_evidence_is_unchanged(e2e_organization: Any) -> None:
    names = ("aws.ec2", "aws.kms", "aws.dynamodb", "aws.organizations")
    collectors = tuple(c for c in load_registry().for_provider("aws") if c.name in names)
    target = Target(
        "aws",
        {
            "organization": True,
            "role_name": "annexa-audit",
            "session_name": "annexa-e2e",
            "external_id": "e2e",
            "regions": list(ORG_REGIONS),
        },
        0,
    )
    collected = collect([c() for c in collectors], target)
    results = results_of(collected.facts, collected.errors, {kind for c in collectors for kind in c.kinds})
    scenarios = {"organization": evidence(collected.facts, collected.errors, results)}
    assert_matches_golden("aws-organization", scenarios)
