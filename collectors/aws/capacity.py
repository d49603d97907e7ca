"""Capacity management (A.8.6): Auto Scaling groups, and the CloudWatch alarms that watch capacity metrics."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.spec import Detail, Listing, Setting

AUTO_SCALING_GROUP = "aws.autoscaling.group"
ALARMS = "aws.capacity.metric_alarms"


def _group(group: dict[str, Any], policies: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {
        "name": group["AutoScalingGroupName"],
        "min_size": group.get("MinSize"),
        "max_size": group.get("MaxSize"),
        "desired_capacity": group.get("DesiredCapacity"),
        "instances": len(group.get("Instances") or []),
        # A policy's type: SimpleScaling (the API's default when PolicyType is absent), StepScaling,
        # TargetTrackingScaling or PredictiveScaling (Auto Scaling API Reference, ScalingPolicy).
        "scaling_policies": [
            {
                "name": policy.get("PolicyName"),
                "type": policy.get("PolicyType") or "SimpleScaling",
                "enabled": policy.get("Enabled", True),
            }
            for policy in policies or []
        ],
    }


def _alarms(alarms: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "alarms": [
            {
                "name": alarm.get("AlarmName"),
                "namespace": alarm.get("Namespace"),
                "metric": alarm.get("MetricName"),
                # ActionsEnabled defaults to true when omitted (CloudWatch API Reference, PutMetricAlarm)
                "actions_enabled": alarm.get("ActionsEnabled", True),
                "has_actions": bool(alarm.get("AlarmActions")),
            }
            for alarm in alarms
        ]
    }


class AutoScalingCollector(AwsCollector):
    """Capacity evidence (A.8.6): every Auto Scaling group of each configured region.

    - `aws.autoscaling.group` (group ARN): `name`, `min_size`, `max_size`, `desired_capacity`,
      `instances` (how many), `scaling_policies` (`name`, `type`, `enabled`; every page of
      DescribePolicies for the group).
    """

    name = "aws.autoscaling"
    specs = (
        Listing(
            AUTO_SCALING_GROUP,
            "autoscaling",
            "DescribeAutoScalingGroups",
            "AutoScalingGroups",
            resource="AutoScalingGroupARN",
            details=(
                Detail(
                    "DescribePolicies",
                    lambda group: {"AutoScalingGroupName": group["AutoScalingGroupName"]},
                    key="ScalingPolicies",
                ),
            ),
            data=_group,
        ),
    )


class CapacityCollector(AwsCollector):
    """Capacity alarms (A.8.6) for each configured region.

    - `aws.capacity.metric_alarms` (`<account>:<region>`): `alarms`, every metric alarm of the
      region (every page of DescribeAlarms): `name`, `namespace`, `metric`, `actions_enabled`,
      `has_actions` (at least one alarm action). Rules decide which metrics measure capacity.
    """

    name = "aws.capacity"
    specs = (Setting(ALARMS, "cloudwatch", (Detail("DescribeAlarms", key="MetricAlarms"),), data=_alarms),)
