"""aws.cloudwatch (collectors/aws/cloudwatch.py): CloudTrail's log groups, metric filters and the alarms on them.

The patterns are the CIS AWS Foundations Benchmark's root-usage filter as AWS's CloudWatch Logs filter
syntax allows it, with and without double quotes around the value; an alarm counts only when it
notifies someone (an SNS topic with a confirmed subscription).
"""

from __future__ import annotations

import json

import pytest
from fakes.aws import ACCOUNT, REGION
from fakes.aws_api import REGION as STUBBED_REGION
from fakes.aws_api import stubbed_account, verdicts

from annexa.collectors.aws.cloudwatch import CloudWatchCollector, _subscribers

ROOT_RULE = "aws.cloudwatch.root-usage-alarm"
QUOTED = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
UNQUOTED = "{ $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS && $.eventType != AwsServiceEvent }"
NOT_ROOT = '{ $.userIdentity.type != "Root" }'


def _trail_to_logs(session) -> str:
    group = "cloudtrail-logs"
    session.client("logs").create_log_group(logGroupName=group)
    session.client("s3").create_bucket(Bucket="trail-bucket")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = session.client("iam").create_role(RoleName="ct", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    session.client("cloudtrail").create_trail(
        Name="main",
        S3BucketName="trail-bucket",
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:*",
        CloudWatchLogsRoleArn=role,
    )
    return group


def _alarm_on_root(session, pattern: str, actions: list[str]) -> None:
    group = _trail_to_logs(session)
    session.client("logs").put_metric_filter(
        logGroupName=group,
        filterName="root-usage",
        filterPattern=pattern,
        metricTransformations=[{"metricName": "RootUsage", "metricNamespace": "CIS", "metricValue": "1"}],
    )
    session.client("cloudwatch").put_metric_alarm(
        AlarmName="root-usage",
        MetricName="RootUsage",
        Namespace="CIS",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=actions,
    )


def _topic(session, subscribed: bool) -> str:
    sns = session.client("sns")
    topic = sns.create_topic(Name="security-alerts")["TopicArn"]
    if subscribed:
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="security@example.com")
    return topic


@pytest.mark.parametrize(("pattern", "status"), [(QUOTED, "pass"), (UNQUOTED, "pass"), (NOT_ROOT, "fail")])
def test_the_root_filter_matches_with_or_without_quotes(mocked, run, pattern, status):
    _alarm_on_root(mocked, pattern, [_topic(mocked, subscribed=True)])
    out = run(CloudWatchCollector())
    assert out.errors == []
    [fact] = out.of("aws.cloudwatch.cloudtrail_monitoring")
    [metric_filter] = fact.data["log_groups"][0]["metric_filters"]
    assert metric_filter["alarms"] == ["root-usage"] and metric_filter["silent_alarms"] == []
    assert verdicts(out.facts)[(ROOT_RULE, f"{ACCOUNT}:global")] == status


@pytest.mark.parametrize(
    "actions",
    [[], ["topic-without-subscribers"], ["deleted-topic"], [f"arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:x"]],
    ids=["no-action", "no-subscriber", "topic-gone", "not-a-notification"],
)
def test_an_alarm_that_notifies_no_one_does_not_count(mocked, run, actions):
    topic = _topic(mocked, subscribed=False)
    resolved = [
        topic
        if a == "topic-without-subscribers"
        else f"arn:aws:sns:{REGION}:{ACCOUNT}:gone"
        if a == "deleted-topic"
        else a
        for a in actions
    ]
    _alarm_on_root(mocked, QUOTED, resolved)
    out = run(CloudWatchCollector())
    assert out.errors == []
    [fact] = out.of("aws.cloudwatch.cloudtrail_monitoring")
    [metric_filter] = fact.data["log_groups"][0]["metric_filters"]
    assert metric_filter["alarms"] == [] and metric_filter["silent_alarms"] == ["root-usage"]
    assert verdicts(out.facts)[(ROOT_RULE, f"{ACCOUNT}:global")] == "fail"


def test_a_subscription_pending_confirmation_notifies_no_one() -> None:
    account, stubber = stubbed_account("sns")
    topic = f"arn:aws:sns:{STUBBED_REGION}:{ACCOUNT}:security-alerts"
    stubber.add_response(
        "list_subscriptions_by_topic",
        {"Subscriptions": [{"SubscriptionArn": "PendingConfirmation", "Protocol": "email", "TopicArn": topic}]},
        {"TopicArn": topic},
    )
    assert _subscribers(account, topic, {}) == 0


def test_unreadable_subscriptions_make_the_fact_an_error(mocked, run, deny):
    _alarm_on_root(mocked, QUOTED, [_topic(mocked, subscribed=True)])
    deny("sns", "ListSubscriptionsByTopic")
    out = run(CloudWatchCollector())
    assert out.facts == []
    assert [(e.kinds, e.operation) for e in out.errors] == [
        (("aws.cloudwatch.cloudtrail_monitoring",), "sns:ListSubscriptionsByTopic")
    ]
