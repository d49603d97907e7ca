"""aws.cloudtrail: trails, their status, and the account-level summary."""

from __future__ import annotations

import pytest
from fakes.aws import ACCOUNT
from fakes.aws_api import verdicts

from annexa.collectors.aws.cloudtrail import CloudTrailCollector
from annexa.collectors.base import Target


def test_no_trails_is_an_account_fact_with_an_empty_list(mocked, run):
    out = run(CloudTrailCollector())
    assert out.errors == [] and out.of("aws.cloudtrail.trail") == []
    [account] = out.of("aws.cloudtrail.account")
    assert account.resource == f"{ACCOUNT}:global"
    assert account.data == {"regions_read": ["us-east-1"], "trails": []}


def _bucket(session, name: str = "trail-logs") -> str:
    session.client("s3").create_bucket(Bucket=name)
    return name


def test_trail_settings_and_status(mocked, run):
    cloudtrail = mocked.client("cloudtrail")
    bucket = _bucket(mocked)
    key = mocked.client("kms").create_key()["KeyMetadata"]["Arn"]
    arn = cloudtrail.create_trail(
        Name="main", S3BucketName=bucket, IsMultiRegionTrail=True, EnableLogFileValidation=True, KmsKeyId=key
    )["TrailARN"]
    cloudtrail.start_logging(Name="main")
    out = run(CloudTrailCollector())
    [trail] = out.of("aws.cloudtrail.trail")
    assert trail.resource == arn and trail.scope["region"] == "us-east-1"
    assert trail.data["is_multi_region"] and trail.data["log_file_validation"] and trail.data["is_logging"]
    assert trail.data["kms_key_id"] == key
    [account] = out.of("aws.cloudtrail.account")
    assert account.data["trails"] == [trail.data]


def test_multi_region_trail_seen_from_two_regions_is_one_fact(mocked, context):
    mocked.client("cloudtrail").create_trail(Name="everywhere", S3BucketName=_bucket(mocked), IsMultiRegionTrail=True)
    target = Target(provider="aws", options={"regions": ["us-east-1", "eu-west-1"]}, index=0)
    items = list(CloudTrailCollector().collect(target, context))
    trails = [i for i in items if getattr(i, "kind", None) == "aws.cloudtrail.trail"]
    assert len(trails) == 1 and trails[0].data["home_region"] == "us-east-1"


def test_denied_describe_trails_makes_the_summary_an_error(mocked, run, deny):
    deny("cloudtrail", "DescribeTrails")
    out = run(CloudTrailCollector())
    assert out.facts == []  # no summary: an empty list would read as "no trail", a fail instead of an error
    trail_error, account_error = out.errors
    assert (trail_error.code, trail_error.operation) == ("AccessDenied", "cloudtrail:DescribeTrails")
    assert trail_error.kinds == ("aws.cloudtrail.trail",)
    assert account_error.kinds == ("aws.cloudtrail.account",) and account_error.resource == f"{ACCOUNT}:global"


def test_denied_trail_status_is_an_error_for_that_trail(mocked, run, deny):
    arn = mocked.client("cloudtrail").create_trail(Name="main", S3BucketName=_bucket(mocked))["TrailARN"]
    deny("cloudtrail", "GetTrailStatus")
    out = run(CloudTrailCollector())
    assert [(e.resource, e.operation) for e in out.errors] == [
        (arn, "cloudtrail:GetTrailStatus"),
        (f"{ACCOUNT}:global", None),
    ]
    assert out.facts == []


# Event selectors as the AWS CLI documents them (aws/aws-cli awscli/examples/cloudtrail/get-event-selectors.rst
# and put-event-selectors.rst, examples 1 and 2), then changed one property at a time.
ALL_MANAGEMENT_BASIC = {
    "EventSelectors": [{"IncludeManagementEvents": True, "DataResources": [], "ReadWriteType": "All"}]
}
ALL_MANAGEMENT_ADVANCED = {
    "AdvancedEventSelectors": [
        {"Name": "Log all management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
        {
            "Name": "Log data events for a specific Lambda function",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]},
                {"Field": "resources.ARN", "Equals": ["arn:aws:lambda:us-east-1:123456789012:function:myFunction"]},
            ],
        },
    ]
}
DATA_ONLY_BASIC = {
    "EventSelectors": [
        {
            "IncludeManagementEvents": False,
            "DataResources": [{"Values": ["arn:aws:s3"], "Type": "AWS::S3::Object"}],
            "ReadWriteType": "All",
        }
    ]
}
WRITE_ONLY_BASIC = {
    "EventSelectors": [{"IncludeManagementEvents": True, "DataResources": [], "ReadWriteType": "WriteOnly"}]
}
KMS_EXCLUDED_BASIC = {
    "EventSelectors": [
        {
            "IncludeManagementEvents": True,
            "DataResources": [],
            "ReadWriteType": "All",
            "ExcludeManagementEventSources": ["kms.amazonaws.com"],
        }
    ]
}
READS_ONLY_ADVANCED = {
    "AdvancedEventSelectors": [
        {
            "Name": "Management reads",
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "readOnly", "Equals": ["true"]},
            ],
        }
    ]
}
DATA_ONLY_ADVANCED = {"AdvancedEventSelectors": [ALL_MANAGEMENT_ADVANCED["AdvancedEventSelectors"][1]]}


@pytest.mark.parametrize(
    ("selectors", "status"),
    [
        (ALL_MANAGEMENT_BASIC, "pass"),
        (ALL_MANAGEMENT_ADVANCED, "pass"),
        (DATA_ONLY_BASIC, "fail"),
        (DATA_ONLY_ADVANCED, "fail"),
        (WRITE_ONLY_BASIC, "fail"),
        (READS_ONLY_ADVANCED, "fail"),
        (KMS_EXCLUDED_BASIC, "fail"),
    ],
    ids=[
        "basic-all",
        "advanced-all",
        "basic-data-only",
        "advanced-data-only",
        "write-only",
        "reads-only",
        "kms-excluded",
    ],
)
def test_a_multi_region_trail_counts_only_when_it_records_every_management_event(mocked, run, selectors, status):
    cloudtrail = mocked.client("cloudtrail")
    cloudtrail.create_trail(Name="main", S3BucketName=_bucket(mocked), IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name="main")
    cloudtrail.put_event_selectors(TrailName="main", **selectors)
    out = run(CloudTrailCollector())
    assert out.errors == []
    assert verdicts(out.facts)[("aws.cloudtrail.multi-region-trail", f"{ACCOUNT}:global")] == status


def test_log_file_validation_is_not_part_of_the_multi_region_rule(mocked, run):
    cloudtrail = mocked.client("cloudtrail")
    arn = cloudtrail.create_trail(Name="main", S3BucketName=_bucket(mocked), IsMultiRegionTrail=True)["TrailARN"]
    cloudtrail.start_logging(Name="main")
    cloudtrail.put_event_selectors(TrailName="main", **ALL_MANAGEMENT_BASIC)  # what AWS gives a new trail
    found = verdicts(run(CloudTrailCollector()).facts)
    assert found[("aws.cloudtrail.multi-region-trail", f"{ACCOUNT}:global")] == "pass"
    assert found[("aws.cloudtrail.trail-log-validation", arn)] == "fail"


def test_denied_event_selectors_are_an_error_for_that_trail(mocked, run, deny):
    arn = mocked.client("cloudtrail").create_trail(Name="main", S3BucketName=_bucket(mocked))["TrailARN"]
    deny("cloudtrail", "GetEventSelectors")
    out = run(CloudTrailCollector())
    assert [(e.resource, e.operation) for e in out.errors] == [
        (arn, "cloudtrail:GetEventSelectors"),
        (f"{ACCOUNT}:global", None),
    ]
    assert out.facts == []
