"""Every AWS collector declares the permissions it uses, only reads, and the published policy
allows exactly what the collectors call: checked against every call a full collection of the
demo account makes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.aws import DEMO_COLLECTORS, ApiCalls, collect, instance

import annexa
from annexa.collectors.aws.accounts import ENTRY_PERMISSIONS
from annexa.collectors.aws.permissions import iam_action
from annexa.collectors.base import Collector, Target
from annexa.collectors.registry import load_registry

POLICY_FILE = Path(annexa.__file__).parent / "policies" / "aws-readonly-policy.json"
ALL_AWS: tuple[type[Collector], ...] = tuple(load_registry().for_provider("aws"))
# BatchGet* reads several resources at once; GenerateCredentialReport only builds the IAM report.
READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "GenerateCredentialReport")


@pytest.fixture(scope="module")
def calls(demo_account: object) -> Iterator[dict[str, set[str]]]:
    """Each demo collector's API calls (`service:Operation`) in one collection of the demo account."""
    target = Target(provider="aws", options={"regions": ["us-east-1"]}, index=0)
    made: dict[str, set[str]] = {}
    for collector in DEMO_COLLECTORS:
        with ApiCalls().installed() as recorded:
            assert collect([instance(collector)], target).errors == []
        made[collector.name] = set(recorded.made)
    yield made


def _policy_actions() -> set[str]:
    policy = json.loads(POLICY_FILE.read_text())
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    return set(statement["Action"])


def test_collectors_only_read(calls):
    made = set().union(*calls.values())
    assert "sts:GetCallerIdentity" in made and "s3:GetBucketEncryption" in made
    writes = sorted(op for op in made if not op.split(":", 1)[1].startswith(READ_PREFIXES))
    assert writes == []


def test_policy_allows_every_recorded_operation_and_nothing_more(calls):
    actions = _policy_actions()
    made = set().union(*calls.values())
    assert sorted(iam_action(op) for op in made if iam_action(op) not in actions) == []
    declared = {permission for collector in ALL_AWS for permission in collector.permissions}
    assert actions == declared | set(ENTRY_PERMISSIONS)


@pytest.mark.parametrize("collector", DEMO_COLLECTORS, ids=lambda c: c.name)
def test_each_collector_declares_the_permissions_it_uses(collector, calls):
    used = {iam_action(op) for op in calls[collector.name]} - {"sts:GetCallerIdentity"}
    assert used == set(collector.permissions)


@pytest.mark.parametrize("collector", ALL_AWS, ids=lambda c: c.name)
def test_collector_declares_its_contract(collector):
    assert collector.provider == "aws" and collector.name.startswith("aws.")
    assert collector.kinds and all(kind.startswith(collector.name + ".") for kind in collector.kinds)
    assert collector.permissions and all(":" in p for p in collector.permissions)
    assert collector.__doc__ and all(kind in collector.__doc__ for kind in collector.kinds)
    assert collector.shards_itself
    assert {"profile", "regions", "role_name", "organization"} <= set(collector.target_options)
