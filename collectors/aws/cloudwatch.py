"""CloudWatch monitoring of CloudTrail: the trails' log groups, their retention, metric filters and alarms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.session import GLOBAL, AwsAccount, call, paginate
from annexa.model import CollectionError, Fact

MONITORING = "aws.cloudwatch.cloudtrail_monitoring"
_OPERATIONS = (
    "cloudtrail:DescribeTrails",
    "logs:DescribeLogGroups",
    "logs:DescribeMetricFilters",
    "cloudwatch:DescribeAlarms",
    "sns:ListSubscriptionsByTopic",
)
# A subscription that is not confirmed delivers nothing (SNS API Reference, ListSubscriptionsByTopic).
_UNCONFIRMED = ("PendingConfirmation", "Deleted")


class CloudWatchCollector(AwsCollector):
    """Monitoring evidence (A.8.16) and log retention (A.8.15, A.5.28), one fact per account.

    Trails are read in the home region with shadow trails (multi-region and organisation
    trails appear there); for each CloudWatch Logs group a trail delivers to: its retention,
    its metric filters, and the alarms on each filter's metric (one DescribeAlarms per
    region of a log group, not one per metric), and for each SNS topic an alarm notifies, its
    subscriptions (every page; a topic that no longer exists has none).

    - `aws.cloudwatch.cloudtrail_monitoring` (`<account>:global`): `log_groups`, each with
      `arn`, `region`, `trails`, `retention_days` (null = kept forever) and `metric_filters`
      (`name`, `pattern`, `pattern_normalised`: the pattern without blanks and double quotes,
      so `userIdentity.type = Root` and `= "Root"` read alike; `metric`, `namespace`, `alarms`:
      names of the alarms on that metric that notify someone, i.e. actions enabled and an
      action to an SNS topic with at least one confirmed subscription; `silent_alarms`: the
      other alarms on it). An empty list means no trail delivers to CloudWatch Logs.
    """

    name = "aws.cloudwatch"
    kinds = (MONITORING,)
    permissions = _OPERATIONS
    per_region = False

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        scope = account.scope(GLOBAL)
        resource = f"{account.account_id}:{GLOBAL}"
        try:
            trails = call(account.client("cloudtrail"), "describe_trails", includeShadowTrails=True)["trailList"]
            groups: dict[str, dict[str, Any]] = {}
            for trail in trails:
                arn = trail.get("CloudWatchLogsLogGroupArn")
                if arn:
                    groups.setdefault(arn, {"arn": arn, "trails": []})["trails"].append(trail["Name"])
            alarms_by_region: dict[str, dict[tuple[str, str], list[tuple[str, bool]]]] = {}
            log_groups = []
            for arn, group in sorted(groups.items()):
                # arn:aws:logs:<region>:<account>:log-group:<name>[:*]
                group_region, name = arn.split(":")[3], arn.split(":")[6]
                if group_region not in alarms_by_region:
                    alarms_by_region[group_region] = _alarms(account, group_region)
                log_groups.append(_log_group(account, group, group_region, name, alarms_by_region[group_region]))
        except AwsCallError as exc:
            yield exc.to_collection_error((MONITORING,), scope, resource)
            return
        yield Fact(
            kind=MONITORING,
            resource=resource,
            scope=scope,
            data={"log_groups": log_groups},
            source=account.source(_OPERATIONS, account.client("logs")),
        )


def _alarms(account: AwsAccount, region: str) -> dict[tuple[str, str], list[tuple[str, bool]]]:
    """Each metric's alarms in `region`: (name, whether it notifies someone)."""
    alarms, _ = paginate(account.client("cloudwatch", region), "describe_alarms", "MetricAlarms")
    subscribers: dict[str, int] = {}
    by_metric: dict[tuple[str, str], list[tuple[str, bool]]] = {}
    for alarm in alarms:
        topics = [a for a in alarm.get("AlarmActions") or [] if a.split(":")[2:3] == ["sns"]]
        notifies = alarm.get("ActionsEnabled", True) and any(_subscribers(account, t, subscribers) for t in topics)
        key = (alarm.get("Namespace", ""), alarm.get("MetricName", ""))
        by_metric.setdefault(key, []).append((alarm["AlarmName"], bool(notifies)))
    return by_metric


def _subscribers(account: AwsAccount, topic: str, seen: dict[str, int]) -> int:
    """How many confirmed subscriptions `topic` has (read once per topic; NotFound: none, the topic is gone)."""
    if topic not in seen:
        sns = account.client("sns", topic.split(":")[3])
        try:
            subscriptions, _ = paginate(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic)
        except AwsCallError as exc:
            if exc.code != "NotFound":
                raise
            subscriptions = []
        seen[topic] = sum(s.get("SubscriptionArn") not in _UNCONFIRMED for s in subscriptions)
    return seen[topic]


def _log_group(
    account: AwsAccount,
    group: dict[str, Any],
    region: str,
    name: str,
    alarms: dict[tuple[str, str], list[tuple[str, bool]]],
) -> dict[str, Any]:
    logs = account.client("logs", region)
    described, _ = paginate(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=name)
    retention = next((g.get("retentionInDays") for g in described if g["logGroupName"] == name), None)
    filters, _ = paginate(logs, "describe_metric_filters", "metricFilters", logGroupName=name)
    metric_filters = []
    for metric_filter in filters:
        for transformation in metric_filter.get("metricTransformations", []):
            key = (transformation.get("metricNamespace", ""), transformation.get("metricName", ""))
            pattern = metric_filter.get("filterPattern", "")
            on_metric = alarms.get(key, [])
            metric_filters.append(
                {
                    "name": metric_filter.get("filterName"),
                    "pattern": pattern,
                    "pattern_normalised": "".join(pattern.split()).replace('"', ""),
                    "metric": key[1],
                    "namespace": key[0],
                    "alarms": sorted(name for name, notifies in on_metric if notifies),
                    "silent_alarms": sorted(name for name, notifies in on_metric if not notifies),
                }
            )
    return {
        "arn": group["arn"],
        "region": region,
        "trails": sorted(group["trails"]),
        "retention_days": retention,
        "metric_filters": metric_filters,
    }
