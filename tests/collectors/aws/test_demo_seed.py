"""The demo account end to end: read-only calls, least-privilege policy, and every rule's verdict."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto.server import ThreadedMotoServer

import annexa
import annexa.collectors.aws.session as aws_session
from annexa.collectors.aws.accounts import ENTRY_PERMISSIONS
from annexa.collectors.aws.iam import IamCollector
from annexa.collectors.aws.permissions import iam_action
from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.registry import load_registry
from annexa.demo.aws import MOTO_UNSUPPORTED, Expectation, seed
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import load_rules
from annexa.model import CollectionError, Fact

ROOT = Path(annexa.__file__).parent
RULES_FILE = ROOT / "mappings" / "rules" / "aws.yaml"
POLICY_FILE = ROOT / "policies" / "aws-readonly-policy.json"
ALL_AWS: tuple[type[Collector], ...] = tuple(load_registry().for_provider("aws"))
COLLECTORS = tuple(c for c in ALL_AWS if c.name not in MOTO_UNSUPPORTED)
# BatchGet* reads several resources at once; GenerateCredentialReport only builds the IAM report.
READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "GenerateCredentialReport")


class Recorded:
    """Everything one collection pass over the demo account produced and called."""

    def __init__(self) -> None:
        self.facts: list[Fact] = []
        self.errors: list[CollectionError] = []
        self.operations: dict[str, set[str]] = {}  # collector name -> "service:Operation"
        self._current = ""

    def record(self, model: Any, **_: Any) -> None:
        self.operations.setdefault(self._current, set()).add(f"{model.service_model.service_name}:{model.name}")

    def run(self, target: Target, context: Context) -> None:
        for collector_cls in COLLECTORS:
            self._current = collector_cls.name
            collector = IamCollector(report_delay=0) if collector_cls is IamCollector else collector_cls()
            for item in collector.collect(target, context):
                (self.facts if isinstance(item, Fact) else self.errors).append(item)


@pytest.fixture
def recorded_run(monkeypatch: pytest.MonkeyPatch, target: Target, context: Context) -> Iterator[Any]:
    """Returns a function that collects the account with every API call recorded."""

    def _collect() -> Recorded:
        recorded = Recorded()
        real_session = boto3.Session

        def recording_session(*args: Any, **kwargs: Any) -> boto3.Session:
            session = real_session(*args, **kwargs)
            session.events.register("before-call", recorded.record)
            return session

        monkeypatch.setattr(aws_session.boto3, "Session", recording_session)
        recorded.run(target, context)
        return recorded

    yield _collect


@pytest.fixture
def demo(mocked: boto3.Session, recorded_run: Any) -> tuple[list[Expectation], Recorded]:
    expectations = seed(mocked)
    return expectations, recorded_run()


def _policy_actions() -> set[str]:
    policy = json.loads(POLICY_FILE.read_text())
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    return set(statement["Action"])


def _statuses(facts: list[Fact], errors: list[CollectionError]) -> dict[tuple[str, str], str]:
    kinds = {kind for collector in ALL_AWS for kind in collector.kinds}
    rules = load_rules([RULES_FILE], kinds, set(load_catalog().ids()))
    results = evaluate(facts, errors, rules, datetime.now(timezone.utc), kinds)
    return {(r.rule, r.resource): r.status for r in results}


def _assert_expectations_hold(expectations: list[Expectation], recorded: Recorded) -> None:
    statuses = _statuses(recorded.facts, recorded.errors)
    wrong = [
        (e, statuses.get((e.rule, e.resource))) for e in expectations if statuses.get((e.rule, e.resource)) != e.status
    ]
    assert wrong == []


def test_demo_collects_without_errors_and_every_expectation_holds(demo):
    expectations, recorded = demo
    assert recorded.errors == []
    _assert_expectations_hold(expectations, recorded)


def test_demo_exercises_every_aws_rule_both_ways_where_it_can(demo):
    expectations, _ = demo
    unsupported_kinds = {kind for c in ALL_AWS if c.name in MOTO_UNSUPPORTED for kind in c.kinds}
    rule_ids = {rule["id"] for rule in _rule_documents() if rule["fact"] not in unsupported_kinds}
    assert {e.rule for e in expectations} == rule_ids
    assert {e.status for e in expectations} == {"pass", "fail"}
    assert len(set(expectations)) == len(expectations)


def _rule_documents() -> list[dict[str, Any]]:
    return yaml.safe_load(RULES_FILE.read_text())["rules"]


def test_collectors_only_read(demo):
    _, recorded = demo
    calls = set().union(*recorded.operations.values())
    assert "sts:GetCallerIdentity" in calls and "s3:GetBucketEncryption" in calls
    writes = sorted(op for op in calls if not op.split(":", 1)[1].startswith(READ_PREFIXES))
    assert writes == []


def test_policy_allows_every_recorded_operation_and_nothing_more(demo):
    _, recorded = demo
    actions = _policy_actions()
    calls = set().union(*recorded.operations.values())
    assert sorted(iam_action(op) for op in calls if iam_action(op) not in actions) == []
    declared = {permission for collector in ALL_AWS for permission in collector.permissions}
    assert actions == declared | set(ENTRY_PERMISSIONS)


def test_each_collector_declares_the_permissions_it_uses(demo):
    _, recorded = demo
    for collector in COLLECTORS:
        used = {iam_action(op) for op in recorded.operations[collector.name]} - {"sts:GetCallerIdentity"}
        assert used == set(collector.permissions), collector.name


def test_secret_looking_tag_reaches_the_facts_for_central_redaction(demo):
    # The store redacts by key name; the demo plants one so that path is exercised end to end.
    _, recorded = demo
    tags = [f.data["tags"] for f in recorded.facts if f.kind == "aws.s3.bucket"]
    assert {"owner": "data-team", "db_password": "Sup3rS3cret!"} in tags


@pytest.mark.parametrize("collector", ALL_AWS, ids=lambda c: c.name)
def test_collector_declares_its_contract(collector):
    assert collector.provider == "aws" and collector.name.startswith("aws.")
    assert collector.kinds and all(kind.startswith(collector.name + ".") for kind in collector.kinds)
    assert collector.permissions and all(":" in p for p in collector.permissions)
    assert collector.__doc__ and all(kind in collector.__doc__ for kind in collector.kinds)
    assert collector.shards_itself
    assert {"profile", "regions", "role_name", "organization"} <= set(collector.target_options)


@pytest.fixture
def moto_endpoint(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    try:
        yield endpoint
    finally:
        server.stop()


def test_demo_against_moto_server_through_aws_endpoint_url(moto_endpoint, recorded_run):
    expectations = seed(boto3.Session(region_name="us-east-1"))
    recorded = recorded_run()
    assert recorded.errors == []
    assert {f.source.endpoint for f in recorded.facts} - {None} == {moto_endpoint}
    _assert_expectations_hold(expectations, recorded)
