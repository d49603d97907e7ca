"""aws.iam: password policy, credential report users and root, customer-managed policies."""

from __future__ import annotations

import json
from pathlib import Path

import botocore
import pytest
from fakes.aws import ACCOUNT
from fakes.aws_api import assert_pages_and_errors, verdicts

from annexa.collectors.aws.credential_report import fetch_credential_report, parse_credential_report
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.iam import IamCollector
from annexa.collectors.aws.policy_document import grants_star_on_star


def test_missing_password_policy_is_a_fact_that_says_so(mocked, run):
    out = run(IamCollector(report_delay=0))
    [fact] = out.of("aws.iam.password_policy")
    assert fact.resource == f"{ACCOUNT}:global"
    assert fact.data == {"exists": False}
    assert fact.scope == {"provider": "aws", "account": ACCOUNT, "region": "global"}
    assert out.errors == []


def test_password_policy_as_configured(mocked, run):
    mocked.client("iam").update_account_password_policy(MinimumPasswordLength=16, PasswordReusePrevention=24)
    [fact] = run(IamCollector(report_delay=0)).of("aws.iam.password_policy")
    assert fact.data["exists"] is True
    assert (fact.data["MinimumPasswordLength"], fact.data["PasswordReusePrevention"]) == (16, 24)
    assert fact.source.operations == ("iam:GetAccountPasswordPolicy",)
    assert fact.source.principal == mocked.client("sts").get_caller_identity()["Arn"]


def test_users_from_the_credential_report(mocked, run):
    iam = mocked.client("iam")
    iam.create_user(UserName="console")
    iam.create_login_profile(UserName="console", Password="A-long-passw0rd!")
    iam.create_user(UserName="robot")
    iam.create_access_key(UserName="robot")
    users = run(IamCollector(report_delay=0)).by_resource("aws.iam.user")

    console = users[f"arn:aws:iam::{ACCOUNT}:user/console"].data
    assert (console["password_enabled"], console["mfa_active"], console["access_keys"]) == (True, False, [])
    robot = users[f"arn:aws:iam::{ACCOUNT}:user/robot"].data
    assert robot["password_enabled"] is False
    [key] = robot["access_keys"]
    assert key["slot"] == 1 and key["active"] is True
    assert key["last_rotated"] and key["last_used_date"] is None  # "N/A" becomes null


def test_root_account_combines_report_row_and_account_summary(mocked, run):
    [root] = run(IamCollector(report_delay=0)).of("aws.iam.root_account")
    assert root.resource == f"{ACCOUNT}:root"
    assert root.data["account_summary"] == {"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0}
    assert set(root.source.operations) == {
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:GetAccountSummary",
    }


def test_root_row_is_not_a_user():
    text = (
        "user,arn,mfa_active,password_enabled,access_key_1_active,access_key_1_last_rotated\n"
        "<root_account>,arn:aws:iam::1:root,true,not_supported,false,N/A\n"
    )
    [row] = parse_credential_report(text)
    assert row == {
        "user": "<root_account>",
        "arn": "arn:aws:iam::1:root",
        "mfa_active": True,
        "password_enabled": None,
        "access_key_1_active": False,
        "access_key_1_last_rotated": None,
    }


def test_policies_with_default_document_and_star_flag(mocked, run):
    iam = mocked.client("iam")
    star = iam.create_policy(
        PolicyName="Admin",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["*"], "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    narrow = iam.create_policy(
        PolicyName="Narrow",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}
        ),
    )["Policy"]["Arn"]
    iam.create_user(UserName="u")
    iam.attach_user_policy(UserName="u", PolicyArn=star)
    policies = run(IamCollector(report_delay=0)).by_resource("aws.iam.policy")
    assert set(policies) == {star, narrow}  # customer-managed only, no AWS-managed policies
    assert policies[star].data["grants_star_on_star"] is True and policies[star].data["attachment_count"] == 1
    assert policies[narrow].data["grants_star_on_star"] is False and policies[narrow].data["attachment_count"] == 0
    assert policies[star].data["document"]["Statement"][0]["Action"] == ["*"]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, True),
        ({"Effect": "Allow", "Action": ["s3:*", "*"], "Resource": ["*"]}, True),
        ({"Effect": "Deny", "Action": "*", "Resource": "*"}, False),
        ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}, False),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, False),
        # NotAction allows every action it does not list: with IAM left open, that is full access.
        ({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}, True),
        ({"Effect": "Allow", "NotAction": ["iam:CreateUser"], "Resource": "*"}, True),
        ({"Effect": "Allow", "NotAction": ["IAM:*", "organizations:*"], "Resource": "*"}, False),
        ({"Effect": "Allow", "NotAction": "s3:*", "Resource": "arn:aws:s3:::b"}, False),
        # NotResource matches every resource but those listed; NotResource "*" matches none.
        ({"Effect": "Allow", "Action": "*", "NotResource": "arn:aws:s3:::b"}, True),
        ({"Effect": "Allow", "Action": "*", "NotResource": "*"}, False),
        ({"Effect": "Deny", "NotAction": "s3:*", "NotResource": "arn:aws:s3:::b"}, False),
    ],
)
def test_grants_star_on_star(statement, expected):
    assert grants_star_on_star({"Statement": [statement]}) is expected


def test_denied_credential_report_is_an_error_for_users_and_root_only(mocked, run, deny):
    deny("iam", "GetCredentialReport")
    out = run(IamCollector(report_delay=0))
    [error] = out.errors
    assert (error.code, error.operation) == ("AccessDenied", "iam:GetCredentialReport")
    assert error.kinds == ("aws.iam.user", "aws.iam.root_account") and error.resource is None
    assert out.of("aws.iam.user") == [] and out.of("aws.iam.root_account") == []
    assert len(out.of("aws.iam.password_policy")) == 1  # the rest of IAM is still read


def test_denied_policy_version_is_an_error_for_that_policy(mocked, run, deny):
    arn = mocked.client("iam").create_policy(
        PolicyName="P",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    deny("iam", "GetPolicyVersion")
    [error] = run(IamCollector(report_delay=0)).errors
    assert (error.resource, error.operation, error.kinds) == (arn, "iam:GetPolicyVersion", ("aws.iam.policy",))


class _SlowReportIam:
    """A stand-in IAM client whose report never completes."""

    class meta:  # noqa: N801 - mirrors botocore's client.meta
        method_to_api_mapping = {"generate_credential_report": "GenerateCredentialReport"}

        class service_model:  # noqa: N801
            service_name = "iam"

    def __init__(self) -> None:
        self.polls = 0

    def generate_credential_report(self) -> dict[str, str]:
        self.polls += 1
        return {"State": "INPROGRESS"}


def test_credential_report_polling_is_bounded():
    iam = _SlowReportIam()
    sleeps: list[float] = []
    with pytest.raises(AwsCallError) as raised:
        fetch_credential_report(iam, attempts=4, delay=1.5, sleep=sleeps.append)  # type: ignore[arg-type]
    assert iam.polls == 4 and sleeps == [1.5, 1.5, 1.5]
    assert (raised.value.code, raised.value.operation) == ("ReportInProgress", "iam:GenerateCredentialReport")


def test_reads_the_password_policy_policies_and_the_credential_report() -> None:
    assert IamCollector.kinds == (
        "aws.iam.password_policy",
        "aws.iam.user",
        "aws.iam.root_account",
        "aws.iam.policy",
        "aws.iam.inline_policies",
    )
    assert IamCollector.permissions == (
        "iam:GetAccountPasswordPolicy",
        "iam:ListPolicies",
        "iam:GetPolicyVersion",
        "iam:GetAccountAuthorizationDetails",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:GetAccountSummary",
    )


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    # A policy version's document is JSON (URL-encoded by the raw API); the model says only "string".
    # GetAccountAuthorizationDetails: users only, so each page holds one principal (groups and roles are
    # read by the same listing: test_inline_policies_of_users_groups_and_roles_granting_star_on_star).
    answers = {
        "GetPolicyVersion": {"PolicyVersion": {"Document": '{"Statement": []}'}},
        "GetAccountAuthorizationDetails": {"GroupDetailList": [], "RoleDetailList": []},
    }
    assert_pages_and_errors(IamCollector(report_attempts=1, report_delay=0), answers)


def _botocore_example(operation: str) -> dict[str, str]:
    """The input of botocore's own example for an IAM write (botocore/data/iam/2010-05-08/examples-1.json)."""
    path = Path(botocore.__file__).parent / "data/iam/2010-05-08/examples-1.json"
    [example] = json.loads(path.read_text())["examples"][operation]
    return example["input"]


def test_inline_policies_of_users_groups_and_roles_granting_star_on_star(mocked, run):
    """botocore's examples: user Bob's AllAccessPolicy and group Admins' AllPerms allow "*" on "*"
    (a single Statement object, not a list); role S3Access's S3AccessPolicy allows only s3:*."""
    iam = mocked.client("iam")
    user = iam.create_user(UserName="Bob")["User"]["Arn"]
    iam.put_user_policy(**_botocore_example("PutUserPolicy"))
    group = iam.create_group(GroupName="Admins")["Group"]["Arn"]
    iam.put_group_policy(**_botocore_example("PutGroupPolicy"))
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    role = iam.create_role(RoleName="S3Access", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(**_botocore_example("PutRolePolicy"))
    plain = iam.create_user(UserName="no-inline")["User"]["Arn"]
    out = run(IamCollector(report_delay=0))
    facts = {f.resource: f for f in out.of("aws.iam.inline_policies")}
    assert set(facts) == {user, group, role, plain}
    assert facts[role].data["principal_type"] == "role" and facts[role].data["name"] == "S3Access"
    assert [(p["name"], p["grants_star_on_star"]) for p in facts[role].data["policies"]] == [("S3AccessPolicy", False)]
    assert facts[plain].data["policies"] == []
    found = verdicts(out.facts)
    rule = "aws.iam.no-star-inline-policies"
    assert [found[(rule, arn)] for arn in (user, group, role, plain)] == ["fail", "fail", "pass", "pass"]
