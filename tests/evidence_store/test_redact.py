"""Redaction: every secret shape is replaced wherever it sits, every key that names a secret loses
its value, and ordinary evidence (ids, ARNs, hashes, encoded policies, settings) is kept as is."""

from __future__ import annotations

import base64
import json

import pytest

from annexa.evidence_store.redact import REDACTED, redact, redact_text, secret_key

# Values that are secrets whatever key they sit under (shapes as their issuers document them).
SECRET_VALUES = {
    "slack bot token": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "slack webhook": "https://hooks.slack.com/services/T0ABCDEFG/B0ABCDEFG/AbCdEfGhIjKlMnOpQrStUvWx",
    "stripe live key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc" + "Xyz0123456789abcdefGHIJ",
    "stripe restricted key": "rk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "google api key": "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    "github classic token": "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "github oauth token": "gho_16C7e42F292c6912E7710c838347Ae178B4a",
    "github fine-grained token": "github_pat_11ABCDEFG0abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
    "gitlab token": "glpat-xxxxXXXXyyyyYYYYzzzz",
    "aws secret key assignment": 'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
    "private key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "basic-auth url": "postgres://app:Sup3rS3cret@db.internal:5432/app",
    "bearer header": "Authorization: Bearer 2YotnFZFEjr1zCsicMWpAA.abc-def",
    "azure connection string": "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=c2VjcmV0a2V5c2VjcmV0a2V5==;",
    "azure sas url": "https://acme.blob.core.windows.net/c?sv=2022-11-02&ss=b&sig=AbCdEfGhIjKlMnOp0123%3D",
    "sendgrid key": "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",
    "password assignment in a command line": "java -Dspring.datasource.password=hunter2hunter2 -jar app.jar",
}


@pytest.mark.parametrize("name", sorted(SECRET_VALUES))
def test_secret_values_are_redacted_wherever_they_are(name: str) -> None:
    value = SECRET_VALUES[name]
    secret_part = value.split("\n")[1] if "\n" in value else value
    stored = json.dumps(redact({"note": value, "list": [f"see {value} here"], "Tags": [{"Key": "x", "Value": value}]}))
    for needle in (secret_part, "Sup3rS3cret", "hunter2hunter2", "2YotnFZFEjr1zCsicMWpAA", "c2VjcmV0a2V5"):
        if needle in value:
            assert needle not in stored, name
    assert REDACTED in stored


def test_only_the_secret_part_of_a_value_is_replaced() -> None:
    assert (
        redact("postgres://app:Sup3rS3cret@db.internal:5432/app") == f"postgres://app:{REDACTED}@db.internal:5432/app"
    )
    kept = redact("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=c2VjcmV0a2V5==;EndpointSuffix=x")
    assert kept.startswith("DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=[REDACTED]")
    pem = redact(
        "before\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\nNzaC1r\n-----END OPENSSH PRIVATE KEY-----\nafter"
    )
    assert pem == f"before\n{REDACTED}\nafter"


@pytest.mark.parametrize(
    "key",
    [
        "DB_PASS",
        "PASSWORD1",
        "SECRET_KEY_BASE",
        "db_password_prod",
        "x-api-key",
        "apiKey",
        "API_KEY",
        "clientSecret",
        "private_key",
        "privateKey",
        "GH_TOKEN",
        "AWS_SESSION_TOKEN",
        "refresh-token",
        "credentials",
        "Passphrase",
        "UserData",
        "connectionString",
        "AccountKey",
    ],
)
def test_keys_that_name_a_secret_lose_their_value_and_keep_the_key(key: str) -> None:
    assert secret_key(key)
    assert redact({key: "plain-looking-value", "other": "kept"}) == {key: REDACTED, "other": "kept"}
    nested = redact({key: {"user": "u", "value": "plain-looking-value", "rotated": 3}})
    assert nested == {key: {"user": REDACTED, "value": REDACTED, "rotated": 3}}


def test_a_secret_named_tag_or_variable_loses_its_value() -> None:
    tags = [{"Key": "db_password", "Value": "hunter2"}, {"Key": "owner", "Value": "platform"}]
    assert redact(tags) == [{"Key": "db_password", "Value": REDACTED}, {"Key": "owner", "Value": "platform"}]
    env = [{"name": "STRIPE_SECRET", "value": "x"}, {"name": "LOG_LEVEL", "value": "info"}]
    assert redact(env) == [{"name": "STRIPE_SECRET", "value": REDACTED}, {"name": "LOG_LEVEL", "value": "info"}]


# Settings and metadata about secrets, as AWS, Azure, Entra ID, GitHub, sshd and login.defs report
# them: evidence that rules judge. None of them may be touched.
EVIDENCE = {
    "MinimumPasswordLength": 14,
    "PasswordReusePrevention": 24,
    "MaxPasswordAge": 90,
    "password_enabled": "true",
    "password_last_used": "2026-11-01T00:00:00+00:00",
    "password_last_changed": "N/A",
    "password_next_rotation": "2027-01-01T00:00:00+00:00",
    "PasswordLastUsed": "2026-11-01T00:00:00Z",
    "access_key_1_active": "true",
    "access_key_1_last_rotated": "2026-10-01T00:00:00Z",
    "AccessKeyId": "AKIAIOSFODNN7EXAMPLE",
    "AccessKeyMetadata": [{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Active"}],
    "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
    "http_tokens": "optional",
    "PrivateIpAddress": "10.0.1.17",
    "PrivateDnsName": "ip-10-0-1-17.ec2.internal",
    "MasterUserSecret": {
        "SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1",
        "SecretStatus": "active",
    },
    "properties": {
        "privateEndpointConnections": [
            {"id": "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/x"}
        ],
        "privateEndpointNetworkPolicies": "Disabled",
        "privateIPAllocationMethod": "Dynamic",
        "allowSharedKeyAccess": False,
    },
    "passwordPolicies": "DisablePasswordExpiration",
    "lastPasswordChangeDateTime": "2026-01-01T00:00:00Z",
    "passwordValidityPeriodInDays": 90,
    "passwordauthentication": "no",
    "permitemptypasswords": "no",
    "PasswordAuthentication": "yes",
    "PASS_MAX_DAYS": "90",
    "PASS_MIN_DAYS": "1",
    "PASS_WARN_AGE": "7",
    "security_and_analysis": {
        "secret_scanning": {"status": "enabled"},
        "secret_scanning_push_protection": {"status": "disabled"},
        "secret_scanning_validity_checks": {"status": "disabled"},
    },
    "bypass_pull_request_allowances": {"users": ["release-bot"]},
    "members_can_create_private_repositories": True,
    "private": True,
    "token_env": "GITHUB_TOKEN",
    "credential": {"type": "service_principal", "client_id": "0000", "client_secret_env": "ANNEXA_AZURE_SECRET"},
    "NextToken": "eyJvZmZzZXQiOjEwMH0=",
    "secret_type": "github_personal_access_token",
}


def test_settings_and_metadata_about_secrets_are_kept() -> None:
    assert redact(EVIDENCE) == EVIDENCE


def test_an_app_keeps_its_credentials_metadata_but_not_their_hints() -> None:
    app = {
        "passwordCredentials": [
            {
                "keyId": "4b3d1c2a-0000-4000-8000-000000000001",
                "displayName": "ci",
                "endDateTime": "2027-01-01T00:00:00Z",
                "hint": "Q~8",
                "secretText": None,
            }
        ]
    }
    (credential,) = redact(app)["passwordCredentials"]
    assert credential["keyId"] == app["passwordCredentials"][0]["keyId"]
    assert credential["endDateTime"] == "2027-01-01T00:00:00Z" and credential["displayName"] == "ci"
    assert credential["hint"] == REDACTED and credential["secretText"] is None


POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
ORDINARY = [
    "arn:aws:iam::123456789012:role/annexa-audit",
    "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg-prod/providers/Microsoft.Storage/storageAccounts/acmeprod",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # a sha256 digest
    "9fceb02d0ae598e95dc970b74767f19372d61af8",  # a commit
    "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    base64.b64encode(json.dumps(POLICY).encode()).decode(),  # a base64 policy document
    "MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ",  # a certificate body (public)
    "sha256:4bc453b53cb3d914b45f4b250294236adba2c0e09ff6f03793949e7e39fd4cc1",
    "10.0.0.0/16",
    "2026-11-22T19:40:58Z",
    "i-0123456789abcdef0",
    "vpc-0a1b2c3d4e5f67890",
    "ACM certificate for api.example.com expires in 30 days",
    "Require at least one uppercase letter in the password policy",
    "APEastBackupVault",
    "The server side encryption configuration was not found",
]


@pytest.mark.parametrize("value", ORDINARY)
def test_ordinary_evidence_survives(value: str) -> None:
    assert redact({"note": value, "items": [value]}) == {"note": value, "items": [value]}


@pytest.mark.parametrize(
    "body",
    [
        "<Error><Code>X</Code><Tags><Tag><Key>password</Key><Value>Hunter2Hunter2</Value></Tag></Tags></Error>",
        '{"error": {"message": "bad", "request": {"password": "Hunter2Hunter2", "user": "svc"}}}',
        "invalid XML received: b'<DBPassword>Hunter2Hunter2</DBPassword>'",
        "request failed: DB_PASS=Hunter2Hunter2 SECRET_KEY_BASE=Hunter2Hunter2",
        "header was Authorization: token Hunter2Hunter2Hunter2",
        "echoed a random credential 7Hx9kQ2mZpL4vN8rT1wY5bC3dF6gJ0sA in the body",
    ],
)
def test_free_text_loses_the_secrets_in_bodies_and_messages(body: str) -> None:
    cleaned = redact_text(body)
    assert "Hunter2Hunter2" not in cleaned and "7Hx9kQ2mZpL4vN8rT1wY5bC3dF6gJ0sA" not in cleaned
    assert REDACTED in cleaned


def test_free_text_keeps_ids_hashes_and_arns() -> None:
    message = (
        "GetBucketPolicy failed for arn:aws:s3:::acme-logs (request 3fa85f64-5717-4562-b3fc-2c963f66afa6, "
        "object e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855): AccessDenied"
    )
    assert redact_text(message) == message
