"""IAM: the account password policy, users and the root user (credential report), managed policies."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from botocore.client import BaseClient

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.credential_report import ROOT_ROW, access_keys, fetch_credential_report
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.policy_document import as_document, grants_star_on_star
from annexa.collectors.aws.session import GLOBAL, AwsAccount, call, iso
from annexa.collectors.aws.spec import Detail, Listing, Setting
from annexa.model import CollectionError, Fact

PASSWORD_POLICY = "aws.iam.password_policy"
USER = "aws.iam.user"
ROOT = "aws.iam.root_account"
POLICY = "aws.iam.policy"
INLINE = "aws.iam.inline_policies"
# GetAccountAuthorizationDetails lists users, groups and roles with their inline policies:
# (type, name key, policies key).
_PRINCIPALS = (
    ("User", "UserName", "UserPolicyList"),
    ("Group", "GroupName", "GroupPolicyList"),
    ("Role", "RoleName", "RolePolicyList"),
)


def _password_policy(policy: dict[str, Any] | None) -> dict[str, Any]:
    return {"exists": False} if policy is None else {"exists": True, **policy}


class IamCollector(AwsCollector):
    """Identity evidence for one AWS account (IAM is global: region `global`).

    - `aws.iam.password_policy` (`<account>:global`): the account password policy as
      GetAccountPasswordPolicy returns it plus `exists`; `{"exists": false}` when none is set.
    - `aws.iam.user` (user ARN): one per IAM user from the credential report: console
      password enabled/last used/last changed, `mfa_active`, and `access_keys` (slot,
      active, last rotated, last used). Timestamps are raw ISO 8601; rules compute ages.
    - `aws.iam.root_account` (`<account>:root`): the root user's credential report row
      (`mfa_active`, `access_key_N_active`, null when the report has no root row) and
      `account_summary` (AccountMFAEnabled, AccountAccessKeysPresent from GetAccountSummary).
    - `aws.iam.policy` (policy ARN): every customer-managed policy with its attachment count,
      default version document, and `grants_star_on_star` (an Allow of every action on every resource:
      Action `*` or a NotAction leaving iam:* allowed, on Resource `*` or a NotResource).
    - `aws.iam.inline_policies` (user, group or role ARN): `principal_type`, `name`, and
      `policies`, each inline (embedded) policy's `name`, `document` and `grants_star_on_star`.
      Read with GetAccountAuthorizationDetails (every page), which returns each principal with its
      inline policy documents: one paged listing instead of a List*Policies and a Get*Policy call
      per principal and policy.
    """

    name = "aws.iam"
    kinds = (PASSWORD_POLICY, USER, ROOT, POLICY, INLINE)
    per_region = False
    specs = (
        Setting(
            PASSWORD_POLICY,
            "iam",
            (Detail("GetAccountPasswordPolicy", key="PasswordPolicy", absent=("NoSuchEntity",)),),
            data=_password_policy,
        ),
        Listing(
            POLICY,
            "iam",
            "ListPolicies",
            "Policies",
            params={"Scope": "Local"},
            resource="Arn",
            details=(
                Detail(
                    "GetPolicyVersion",
                    lambda p: {"PolicyArn": p["Arn"], "VersionId": p["DefaultVersionId"]},
                    key="PolicyVersion.Document",
                ),
            ),
            data=lambda policy, document: _policy(policy, as_document(document)),
        ),
        Listing(
            INLINE,
            "iam",
            "GetAccountAuthorizationDetails",
            "[UserDetailList[], GroupDetailList[], RoleDetailList[]][]",
            params={"Filter": [principal for principal, _, _ in _PRINCIPALS]},
            resource="Arn",
            data=lambda item: _inline(item),  # defined below the class
        ),
    )
    # The credential report (users and the root user) is read by code: it is generated, polled and parsed.
    permissions = ("iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:GetAccountSummary")

    def __init__(
        self, report_attempts: int = 10, report_delay: float = 2.0, sleep: Callable[[float], None] = time.sleep
    ):
        self.report_attempts = report_attempts
        self.report_delay = report_delay
        self.sleep = sleep

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        yield from super().collect_unit(account, region)
        yield from self._credential_report(account, account.client("iam"))

    def _credential_report(self, account: AwsAccount, iam: BaseClient) -> Iterator[Fact | CollectionError]:
        scope = account.scope(GLOBAL)
        report_ops = ["iam:GenerateCredentialReport", "iam:GetCredentialReport"]
        try:
            rows = fetch_credential_report(iam, self.report_attempts, self.report_delay, self.sleep)
        except AwsCallError as exc:
            yield exc.to_collection_error((USER, ROOT), scope)
            return
        root_row: dict[str, Any] = {}
        for row in rows:
            if row["user"] == ROOT_ROW:
                root_row = row
                continue
            yield Fact(
                kind=USER, resource=row["arn"], scope=scope, data=_user(row), source=account.source(report_ops, iam)
            )
        try:
            summary = call(iam, "get_account_summary")["SummaryMap"]
        except AwsCallError as exc:
            yield exc.to_collection_error((ROOT,), scope, resource=f"{account.account_id}:root")
            return
        yield Fact(
            kind=ROOT,
            resource=f"{account.account_id}:root",
            scope=scope,
            data={
                "in_credential_report": bool(root_row),
                "mfa_active": root_row.get("mfa_active"),
                "access_key_1_active": root_row.get("access_key_1_active"),
                "access_key_2_active": root_row.get("access_key_2_active"),
                "password_last_used": root_row.get("password_last_used"),
                "account_summary": {k: summary.get(k) for k in ("AccountMFAEnabled", "AccountAccessKeysPresent")},
            },
            source=account.source([*report_ops, "iam:GetAccountSummary"], iam),
        )


def _user(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "user_name": row["user"],
        "arn": row["arn"],
        "created": row.get("user_creation_time"),
        "password_enabled": bool(row.get("password_enabled")),
        "password_last_used": row.get("password_last_used"),
        "password_last_changed": row.get("password_last_changed"),
        "mfa_active": bool(row.get("mfa_active")),
        "access_keys": access_keys(row),
    }


def _policy(policy: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    return {
        "policy_name": policy["PolicyName"],
        "arn": policy["Arn"],
        "path": policy.get("Path"),
        "default_version_id": policy["DefaultVersionId"],
        "attachment_count": policy.get("AttachmentCount", 0),
        "update_date": iso(policy.get("UpdateDate")),
        "document": document,
        "grants_star_on_star": grants_star_on_star(document),
    }


def _inline(item: dict[str, Any]) -> dict[str, Any]:
    principal, name, policies = next((p, item[n], item.get(k) or []) for p, n, k in _PRINCIPALS if n in item)
    documents = [(p["PolicyName"], as_document(p["PolicyDocument"])) for p in policies]
    return {
        "principal_type": principal.lower(),
        "name": name,
        "policies": [
            {"name": policy, "document": document, "grants_star_on_star": grants_star_on_star(document)}
            for policy, document in sorted(documents, key=lambda d: d[0])
        ],
    }
