"""The demo account (demo/aws.py) end to end: collected without errors, every rule's expected
verdict, every AWS rule exercised both ways where moto can, and secrets left for the store to redact."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fakes.aws import DEMO_COLLECTORS, Collected, collect, failed_expectations, instance

import annexa
from annexa.collectors.base import Collector, Target
from annexa.collectors.registry import load_registry
from annexa.demo.aws import MOTO_UNSUPPORTED, Expectation

RULES_FILE = Path(annexa.__file__).parent / "mappings" / "rules" / "aws.yaml"
ALL_AWS: tuple[type[Collector], ...] = tuple(load_registry().for_provider("aws"))


@pytest.fixture(scope="module")
def demo(demo_account: list[Expectation]) -> tuple[list[Expectation], Collected]:
    target = Target(provider="aws", options={"regions": ["us-east-1"]}, index=0)
    return demo_account, collect([instance(c) for c in DEMO_COLLECTORS], target)


def test_demo_collects_without_errors_and_every_expectation_holds(demo):
    expectations, collected = demo
    assert collected.errors == []
    assert failed_expectations(expectations, collected) == []


def test_demo_exercises_every_aws_rule_both_ways_where_it_can(demo):
    expectations, _ = demo
    unsupported_kinds = {kind for c in ALL_AWS if c.name in MOTO_UNSUPPORTED for kind in c.kinds}
    rules = yaml.safe_load(RULES_FILE.read_text())["rules"]
    rule_ids = {rule["id"] for rule in rules if rule["fact"] not in unsupported_kinds}
    assert {e.rule for e in expectations} == rule_ids
    assert {e.status for e in expectations} == {"pass", "fail"}
    assert len(set(expectations)) == len(expectations)


def test_secret_looking_tag_reaches_the_facts_for_central_redaction(demo):
    # The store redacts by key name; the demo plants one so that path is exercised end to end.
    _, collected = demo
    tags = [f.data["tags"] for f in collected.of("aws.s3.bucket")]
    assert {"owner": "data-team", "db_password": "Sup3rS3cret!"} in tags
