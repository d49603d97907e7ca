"""aws.capacity (collectors/aws/capacity.py): Auto Scaling groups with their scaling policies, and the
region's metric alarms; A.8.6 verdicts on botocore's own example answers."""

from __future__ import annotations

import json
from pathlib import Path

import botocore
from fakes.aws_api import assert_pages_and_errors, verdicts

from annexa.collectors.aws.capacity import AutoScalingCollector, CapacityCollector, _alarms, _group
from annexa.model import Fact, Source

EXAMPLES = Path(botocore.__file__).parent / "data"


def _example(service: str, operation: str) -> dict:
    [path] = (EXAMPLES / service).glob("*/examples-1.json")
    return json.loads(path.read_text())["examples"][operation][0]["output"]


def test_reads_groups_policies_and_alarms() -> None:
    assert AutoScalingCollector.kinds == ("aws.autoscaling.group",)
    assert AutoScalingCollector.permissions == ("autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribePolicies")
    assert CapacityCollector.kinds == ("aws.capacity.metric_alarms",)
    assert CapacityCollector.permissions == ("cloudwatch:DescribeAlarms",)


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(AutoScalingCollector())
    assert_pages_and_errors(CapacityCollector())


def _fact(kind: str, data: dict, name: str = "1") -> Fact:
    return Fact(kind=kind, resource=f"{kind}:{name}", scope={"provider": "aws"}, data=data, source=Source(("x",), "t"))


def test_botocore_examples_judged_for_a_8_6() -> None:
    # botocore autoscaling examples-1.json: DescribeAutoScalingGroups (min 1, max 5) and DescribePolicies
    # (two simple scaling policies, PolicyType absent: SimpleScaling, the API's default)
    [group] = _example("autoscaling", "DescribeAutoScalingGroups")["AutoScalingGroups"]
    policies = _example("autoscaling", "DescribePolicies")["ScalingPolicies"]
    data = _group(group, policies)
    assert (data["min_size"], data["max_size"]) == (group["MinSize"], group["MaxSize"])
    assert [p["type"] for p in data["scaling_policies"]] == ["SimpleScaling", "SimpleScaling"]
    grows = _fact("aws.autoscaling.group", data, "grows")
    fixed = _fact("aws.autoscaling.group", {**data, "max_size": data["min_size"]}, "fixed")
    unmanaged = _fact("aws.autoscaling.group", {**data, "max_size": 9, "scaling_policies": []}, "unmanaged")
    found = verdicts([fixed, grows, unmanaged])
    rule = "aws.autoscaling.group-scales"
    assert [found[(rule, f.resource)] for f in (fixed, grows, unmanaged)] == ["fail", "pass", "fail"]


def test_capacity_alarms_need_an_action_on_a_capacity_metric() -> None:
    # botocore cloudwatch examples-1.json has no DescribeAlarms example: the alarm is the model's shape.
    cpu = {"AlarmName": "cpu-high", "Namespace": "AWS/EC2", "MetricName": "CPUUtilization", "AlarmActions": ["arn:sns"]}
    rule = "aws.cloudwatch.capacity-alarms"
    cases = {
        "pass": [cpu],
        "fail": [{**cpu, "AlarmActions": []}],
    }
    for expected, alarms in cases.items():
        fact = _fact("aws.capacity.metric_alarms", _alarms(alarms))
        assert verdicts([fact])[(rule, fact.resource)] == expected
    off = _fact("aws.capacity.metric_alarms", _alarms([{**cpu, "ActionsEnabled": False}]))
    other = _fact("aws.capacity.metric_alarms", _alarms([{**cpu, "MetricName": "4XXError"}]))
    assert verdicts([off])[(rule, off.resource)] == "fail"
    assert verdicts([other])[(rule, other.resource)] == "fail"
