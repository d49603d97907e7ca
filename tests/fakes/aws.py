"""A fake AWS for tests: fake credentials that can reach only moto, and a seeded Organization.

moto itself is the fake (in-process with `moto.mock_aws()`, or `servers.moto_server()` over HTTP);
this module holds what every test needs around it, once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
import structlog
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from annexa.collectors.aws.iam import IamCollector
from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.registry import load_registry
from annexa.demo.aws import MOTO_UNSUPPORTED, Expectation
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import CollectionError, Fact

__all__ = [
    "ACCOUNT",
    "ApiCalls",
    "Collected",
    "DEMO_COLLECTORS",
    "collect",
    "failed_expectations",
    "instance",
    "ORG_REGIONS",
    "REGION",
    "credentials_env",
    "only_these_aws_variables",
    "seed_organization",
    "subprocess_env",
]

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
ORG_REGIONS = ("us-east-1", "eu-west-1")
# Every AWS collector moto can serve (aws.ssm's API is not modelled: its tests stub the answers).
DEMO_COLLECTORS: tuple[type[Collector], ...] = tuple(
    c for c in load_registry().for_provider("aws") if c.name not in MOTO_UNSUPPORTED
)


def instance(collector: type[Collector]) -> Collector:
    """A collector ready for tests: the IAM credential report is polled without sleeping."""
    return IamCollector(report_delay=0) if collector is IamCollector else collector()


def credentials_env(endpoint: str | None = None) -> dict[str, str]:
    """Fake credentials and no shared config or profile, so boto3 can reach nothing but the fake
    (`endpoint`: a moto_server, through AWS_ENDPOINT_URL)."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    if endpoint is not None:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


def only_these_aws_variables(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str]) -> None:
    """Drop every AWS_* variable of this process, then set `env`'s."""
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def subprocess_env(aws: Mapping[str, str]) -> dict[str, str]:
    """The environment for an `annexa` subprocess: this one without AWS_* variables or the
    plugin switch, plus `aws`."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "ANNEXA_DISABLE_PLUGIN_AUTOLOAD"}
    return {**keep, **aws}


def _member_session(management: boto3.Session, account: str) -> boto3.Session:
    c = management.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    return boto3.Session(
        region_name=ORG_REGIONS[0],
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )


def seed_organization(management: boto3.Session) -> dict[str, Any]:
    """An Organization with four members in two regions: `prod` and `dev` carry violations,
    `sandbox` is an ordinary member (tests make its role refuse), `legacy` is closed (SUSPENDED).

    Returns the account `ids` and the (rule, account, region, resource, control) each violation must yield.
    """
    org = management.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = {
        name: org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
        for name in ("prod", "dev", "sandbox", "legacy")
    }
    org.close_account(AccountId=ids["legacy"])
    violations = []

    prod = _member_session(management, ids["prod"])
    key = prod.client("kms", region_name="us-east-1").create_key(Description="never rotated")["KeyMetadata"]["Arn"]
    violations.append(("aws.kms.key-rotation", ids["prod"], "us-east-1", key, "A.8.24"))
    volume = prod.client("ec2", region_name="eu-west-1").create_volume(AvailabilityZone="eu-west-1a", Size=8)[
        "VolumeId"
    ]
    violations.append(
        (
            "aws.ec2.volume-encryption",
            ids["prod"],
            "eu-west-1",
            f"arn:aws:ec2:eu-west-1:{ids['prod']}:volume/{volume}",
            "A.8.24",
        )
    )

    dev = _member_session(management, ids["dev"])
    ec2 = dev.client("ec2", region_name="eu-west-1")
    group = ec2.create_security_group(GroupName="ssh-open", Description="ssh from anywhere")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    violations.append(
        (
            "aws.ec2.security-group-admin-ports",
            ids["dev"],
            "eu-west-1",
            f"arn:aws:ec2:eu-west-1:{ids['dev']}:security-group/{group}",
            "A.8.20",
        )
    )
    table = dev.client("dynamodb", region_name="us-east-1").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    violations.append(("aws.dynamodb.table-pitr", ids["dev"], "us-east-1", table, "A.8.13"))

    # moto creates an account's default VPC and security group in a region when it is first used;
    # create them now, in a fixed order, so their ids do not depend on which collector thread
    # reaches them first (ids are reproducible where a test seeds moto's random generator).
    for session in (management, prod, dev, _member_session(management, ids["sandbox"])):
        for region in ORG_REGIONS:
            session.client("ec2", region_name=region).describe_security_groups()
    return {"ids": ids, "violations": violations}


class ApiCalls:
    """Every AWS API call made while `installed` (as `service:Operation`), and a fault: the first
    call of one operation fails with AccessDenied (a listing's first page, or one item's detail)."""

    def __init__(self) -> None:
        self.made: list[str] = []
        self._fail: str | None = None
        self._failed = False
        self._lock = threading.Lock()

    def fail_first(self, operation: str | None) -> None:
        with self._lock:
            self._fail, self._failed = operation, False

    @contextmanager
    def installed(self) -> Iterator[ApiCalls]:
        real = BaseClient._make_api_call
        calls = self

        def make_api_call(client: BaseClient, name: str, params: dict[str, Any]) -> Any:
            operation = f"{client.meta.service_model.service_name}:{name}"
            with calls._lock:
                calls.made.append(operation)
                fail = operation == calls._fail and not calls._failed
                calls._failed = calls._failed or fail
            if fail:
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": f"denied {name}"}}, name)
            return real(client, name, params)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(BaseClient, "_make_api_call", make_api_call)
            yield self


@dataclass
class Collected:
    """What collectors yielded, split into facts and errors."""

    facts: list[Fact] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)

    def of(self, kind: str) -> list[Fact]:
        return [fact for fact in self.facts if fact.kind == kind]

    def by_resource(self, kind: str) -> dict[str, Fact]:
        return {fact.resource: fact for fact in self.of(kind)}


def collect(collectors: Iterable[Collector], target: Target, context: Context | None = None) -> Collected:
    """Run collectors over one target (a fresh run context unless given) and split what they yield."""
    context = context or Context(run_id="test", log=structlog.get_logger())
    out = Collected()
    for collector in collectors:
        for item in collector.collect(target, context):
            if isinstance(item, Fact):
                out.facts.append(item)
            else:
                assert isinstance(item, CollectionError), f"unexpected item {item!r}"
                out.errors.append(item)
    return out


def failed_expectations(expectations: Iterable[Expectation], collected: Collected) -> list[tuple[Expectation, Any]]:
    """The seeded expectations whose rule gave another status (with the status it gave): [] when all hold."""
    registry = load_registry()
    kinds = {kind for collector in registry.for_provider("aws") for kind in collector.kinds}
    rules = load_rules(builtin_rule_files(), registry.kinds(), set(load_catalog().ids()))
    results = evaluate(collected.facts, collected.errors, rules, datetime.now(timezone.utc), kinds)
    statuses = {(r.rule, r.resource): r.status for r in results}
    return [
        (e, statuses.get((e.rule, e.resource))) for e in expectations if statuses.get((e.rule, e.resource)) != e.status
    ]
