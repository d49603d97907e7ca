"""aws.cloudtrail: trails, their status, and the account-level summary."""

from __future__ import annotations

from fakes.aws import ACCOUNT

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
