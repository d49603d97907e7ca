"""aws.logs (collectors/aws/logs.py): every log group of each region, with its retention judged against
the target's `log_retention_days` (default 365; a group whose events never expire passes)."""

from __future__ import annotations

import pytest
from fakes.aws import ACCOUNT, REGION, collect
from fakes.aws_api import assert_pages_and_errors, verdicts

from annexa.collectors.aws.logs import LogsCollector
from annexa.collectors.base import Target

RULE = "aws.logs.log-group-retention"


def test_reads_every_log_group() -> None:
    assert LogsCollector.kinds == ("aws.logs.log_group",)
    assert LogsCollector.permissions == ("logs:DescribeLogGroups",)


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(LogsCollector())


def _groups(session) -> dict[str, str]:
    logs = session.client("logs")
    arns = {}
    for name, days in (("kept-forever", None), ("a-month", 30), ("two-years", 731)):
        logs.create_log_group(logGroupName=name)
        if days:
            logs.put_retention_policy(logGroupName=name, retentionInDays=days)
        arns[name] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}"
    return arns


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, {"kept-forever": "pass", "a-month": "fail", "two-years": "pass"}),
        ({"log_retention_days": 30}, {"kept-forever": "pass", "a-month": "pass", "two-years": "pass"}),
        ({"log_retention_days": 1000}, {"kept-forever": "pass", "a-month": "fail", "two-years": "fail"}),
    ],
    ids=["default-365", "30-days", "1000-days"],
)
def test_every_group_against_the_configured_retention(mocked, context, options, expected):
    arns = _groups(mocked)
    out = collect([LogsCollector()], Target("aws", {"regions": [REGION], **options}, 0), context)
    assert out.errors == []
    facts = {f.resource: f for f in out.of("aws.logs.log_group")}
    assert set(facts) == set(arns.values())
    assert facts[arns["kept-forever"]].data["never_expires"] is True
    assert facts[arns["kept-forever"]].data["retention_days"] is None
    assert {f.data["required_retention_days"] for f in facts.values()} == {options.get("log_retention_days", 365)}
    found = verdicts(out.facts)
    assert {name: found[(RULE, arn)] for name, arn in arns.items()} == expected
