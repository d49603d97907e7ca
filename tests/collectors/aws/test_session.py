"""Provider plumbing: identity, caching, paging, error translation, endpoint handling."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from botocore.loaders import JSONFileLoader
from fakes.aws import DEMO_COLLECTORS, collect, failed_expectations, instance

from annexa.collectors.aws.cloudtrail import CloudTrailCollector
from annexa.collectors.aws.ec2 import Ec2Collector
from annexa.collectors.aws.endpoints import keep_local_endpoint_host
from annexa.collectors.aws.errors import AwsCallError, collection_error
from annexa.collectors.aws.iam import IamCollector
from annexa.collectors.aws.kms import KmsCollector
from annexa.collectors.aws.s3 import S3Collector
from annexa.collectors.aws.session import (
    AwsAccount,
    _SharedLoader,
    call,
    call_optional,
    client_config,
    connect,
    paginate,
)
from annexa.collectors.base import Context, Target
from annexa.demo.aws import seed
from annexa.model import CollectionError

READ_ONE_BUCKET = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}],
    }
)
ALL_COLLECTORS = (IamCollector(report_delay=0), S3Collector(), CloudTrailCollector(), KmsCollector(), Ec2Collector())


def test_connect_reads_the_caller_identity_once_per_target(mocked, target, context, monkeypatch):
    calls = []
    original = boto3.Session.client

    def counting(self, service, *args, **kwargs):
        calls.append(service)
        return original(self, service, *args, **kwargs)

    monkeypatch.setattr(boto3.Session, "client", counting)
    first = connect(target, context, ("aws.kms.key",))
    second = connect(target, context, ("aws.ec2.volume",))
    assert isinstance(first, AwsAccount) and first is second
    assert first.account_id == "123456789012"
    assert first.principal.startswith("arn:aws:") and first.partition == "aws"
    assert first.regions == ("us-east-1",)
    assert calls.count("sts") == 1


def test_clients_use_bounded_retries_and_timeouts(mocked, target, context):
    account = connect(target, context, ())
    config = account.client("s3").meta.config
    assert client_config().retries == {"mode": "standard", "max_attempts": 5}
    # botocore counts the first try too: 5 retries are 6 attempts in all.
    assert config.retries == {"mode": "standard", "total_max_attempts": 6}
    assert (config.connect_timeout, config.read_timeout) == (10, 30)
    assert account.client("s3") is account.client("s3", "us-east-1")


def test_regions_default_to_the_session_region(mocked, context, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    account = connect(Target(provider="aws", options={}, index=3), context, ())
    assert account.regions == ("eu-central-1",)


def test_regions_fall_back_to_us_east_1_without_a_session_region(mocked, context, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    account = connect(Target(provider="aws", options={}, index=4), context, ())
    assert account.regions == ("us-east-1",)


@pytest.mark.parametrize("collector", ALL_COLLECTORS, ids=lambda c: c.name)
def test_identity_failure_is_one_scope_wide_error_for_every_kind(collector, mocked, run, deny):
    deny("sts", "GetCallerIdentity")
    out = run(collector)
    assert out.facts == []
    [error] = out.errors
    assert error.kinds == collector.kinds
    assert error.scope == {"provider": "aws"}
    assert (error.code, error.operation) == ("AccessDenied", "sts:GetCallerIdentity")


def test_unknown_profile_is_an_error_not_a_crash(fake_aws_credentials, context):
    target = Target(provider="aws", options={"profile": "no-such-profile"}, index=0)
    out = list(S3Collector().collect(target, context))
    [error] = out
    assert isinstance(error, CollectionError)
    assert error.code == "ProfileNotFound" and error.kinds == S3Collector.kinds


def test_paginate_reads_every_page_and_counts_them(mocked):
    iam = mocked.client("iam")
    for n in range(3):
        iam.create_policy(PolicyName=f"p{n}", PolicyDocument=READ_ONE_BUCKET)
    items, pages = paginate(iam, "list_policies", "Policies", Scope="Local", PaginationConfig={"PageSize": 1})
    assert sorted(p["PolicyName"] for p in items) == ["p0", "p1", "p2"]
    assert pages >= 3  # one item a page (moto may end with an empty page)


def test_call_returns_none_only_for_declared_absent_codes(mocked):
    iam = mocked.client("iam")
    assert call_optional(iam, "get_account_password_policy", ("NoSuchEntity",)) is None
    with pytest.raises(AwsCallError) as raised:
        call(iam, "get_account_password_policy")
    assert raised.value.operation == "iam:GetAccountPasswordPolicy"
    assert raised.value.code == "NoSuchEntity"


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (
            ClientError({"Error": {"Code": "AccessDenied", "Message": "not\nallowed"}}, "GetBucketEncryption"),
            "AccessDenied",
        ),
        (NoCredentialsError(), "NoCredentialsError"),
        (EndpointConnectionError(endpoint_url="https://s3.example"), "EndpointConnectionError"),
    ],
)
def test_collection_error_names_code_operation_and_one_line_message(exc, code):
    scope = {"provider": "aws", "account": "1", "region": "global"}
    error = collection_error(exc, "s3:GetBucketEncryption", ("aws.s3.bucket",), scope, resource="arn:aws:s3:::b")
    assert (error.code, error.operation, error.resource) == (code, "s3:GetBucketEncryption", "arn:aws:s3:::b")
    assert "\n" not in error.message and error.message.startswith("s3:GetBucketEncryption failed: " + code)
    assert error.kinds == ("aws.s3.bucket",) and error.scope == scope


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://123456789012.127.0.0.1:5000/v20180820/x", "http://127.0.0.1:5000/v20180820/x"),
        ("http://123456789012.localhost:4566/v20180820/x", "http://localhost:4566/v20180820/x"),
        (
            "https://123456789012.s3-control.eu-west-1.amazonaws.com/v20180820/x",
            "https://123456789012.s3-control.eu-west-1.amazonaws.com/v20180820/x",
        ),
    ],
)
def test_s3control_account_prefix_is_dropped_only_for_local_endpoints(url, expected):
    params = {"url": url}
    keep_local_endpoint_host(params)
    assert params["url"] == expected


def test_context_cache_keeps_targets_apart(mocked, context: Context):
    one = connect(Target(provider="aws", options={"regions": ["us-east-1"]}, index=0), context, ())
    two = connect(Target(provider="aws", options={"regions": ["eu-west-1"]}, index=1), context, ())
    assert one is not two and two.regions == ("eu-west-1",)


def test_paginate_reads_unpageable_operations_in_one_call(mocked, monkeypatch):
    s3 = mocked.client("s3")
    s3.create_bucket(Bucket="only-bucket")
    monkeypatch.setattr(s3, "can_paginate", lambda method: False)
    items, pages = paginate(s3, "list_buckets", "Buckets")
    assert [b["Name"] for b in items] == ["only-bucket"] and pages == 1


def test_collectors_reach_a_custom_endpoint_through_aws_endpoint_url(fake_aws_credentials, moto_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    expectations = seed(boto3.Session(region_name="us-east-1"))
    target = Target(provider="aws", options={"regions": ["us-east-1"]}, index=0)
    collected = collect([instance(c) for c in DEMO_COLLECTORS], target)
    assert collected.errors == []
    assert {f.source.endpoint for f in collected.facts} - {None} == {moto_endpoint}
    assert failed_expectations(expectations, collected) == []


def test_the_shared_loader_parses_a_model_once_when_the_pool_asks_for_it_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every unit's first client wants EC2's model at the same moment: one parse, not one per
    thread (each copy is tens of MB while it lives)."""
    parsed: list[str] = []
    real = JSONFileLoader.load_file

    def slow_load(self: Any, file_path: str) -> Any:
        parsed.append(file_path)
        time.sleep(0.05)  # widens the window in which the other threads would miss the cache
        return real(self, file_path)

    monkeypatch.setattr(JSONFileLoader, "load_file", slow_load)
    loader = _SharedLoader()
    start = threading.Barrier(8)

    def first_client() -> Any:
        start.wait()
        return loader.load_service_model("ec2", "service-2")

    with ThreadPoolExecutor(8) as pool:
        models = list(pool.map(lambda _: first_client(), range(8)))
    assert all(model is models[0] for model in models)
    service_files = [path for path in parsed if path.endswith("service-2")]
    assert len(service_files) == 1, service_files
