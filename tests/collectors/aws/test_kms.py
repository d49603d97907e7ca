"""aws.kms: customer-managed keys and rotation."""

from __future__ import annotations

from fakes.aws_api import assert_pages_and_errors

from annexa.collectors.aws.kms import KmsCollector


def test_rotation_status_of_symmetric_keys(mocked, run):
    kms = mocked.client("kms")
    rotated = kms.create_key(Description="rotated")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=rotated)
    plain = kms.create_key(Description="plain")["KeyMetadata"]["Arn"]
    out = run(KmsCollector())
    keys = out.by_resource("aws.kms.key")
    assert out.errors == [] and set(keys) == {rotated, plain}
    assert keys[rotated].data["rotation_supported"] and keys[rotated].data["rotation_enabled"] is True
    assert keys[plain].data["rotation_enabled"] is False
    assert keys[plain].data["key_state"] == "Enabled" and keys[plain].data["key_spec"] == "SYMMETRIC_DEFAULT"
    assert keys[plain].source.operations == ("kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus")


def test_asymmetric_keys_are_not_asked_for_rotation(mocked, run, deny):
    arn = mocked.client("kms").create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
    deny("kms", "GetKeyRotationStatus", code="UnsupportedOperationException")  # would surface if called
    out = run(KmsCollector())
    assert out.errors == []
    [key] = out.of("aws.kms.key")
    assert key.resource == arn
    assert key.data["rotation_supported"] is False and key.data["rotation_enabled"] is None


def test_denied_rotation_status_is_an_error_for_that_key(mocked, run, deny):
    arn = mocked.client("kms").create_key()["KeyMetadata"]["Arn"]
    deny("kms", "GetKeyRotationStatus")
    out = run(KmsCollector())
    [error] = out.errors
    assert (error.resource, error.code, error.operation) == (arn, "AccessDenied", "kms:GetKeyRotationStatus")
    assert error.scope["region"] == "us-east-1" and out.facts == []


def test_denied_listing_is_a_regional_error(mocked, run, deny):
    deny("kms", "ListKeys")
    [error] = run(KmsCollector()).errors
    assert error.resource is None and error.scope["region"] == "us-east-1" and error.operation == "kms:ListKeys"


def test_reads_keys_their_metadata_and_rotation() -> None:
    assert KmsCollector.kinds == ("aws.kms.key",)
    assert KmsCollector.permissions == ("kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus")


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    customer_key = {
        "KeyManager": "CUSTOMER",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "Origin": "AWS_KMS",
        "KeyState": "Enabled",
    }
    assert_pages_and_errors(KmsCollector(), {"DescribeKey": {"KeyMetadata": customer_key}})
