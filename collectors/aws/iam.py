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
from annexa.collectors.aws.session import GLOBAL, AwsAccount, call, call_optional, iso, paginate
from annexa.model import CollectionError, Fact

PASSWORD_POLICY = "aws.iam.password_policy"
USER = "aws.iam.user"
ROOT = "aws.iam.root_account"
POLICY = "aws.iam.policy"


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
      default version document, and `grants_star_on_star` (an Allow of Action `*` on Resource `*`).
    """

    name = "aws.iam"
    kinds = (PASSWORD_POLICY, USER, ROOT, POLICY)
    permissions = (
        "iam:GetAccountPasswordPolicy",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:GetAccountSummary",
        "iam:ListPolicies",
        "iam:GetPolicyVersion",
    )

    def __init__(
        self, report_attempts: int = 10, report_delay: float = 2.0, sleep: Callable[[float], None] = time.sleep
    ):
        self.report_attempts = report_attempts
        self.report_delay = report_delay
        self.sleep = sleep

    per_region = False

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        iam = account.client("iam")
        yield self._password_policy(account, iam)
        yield from self._credential_report(account, iam)
        yield from self._policies(account, iam)

    def _password_policy(self, account: AwsAccount, iam: BaseClient) -> Fact | CollectionError:
        try:
            response = call_optional(iam, "get_account_password_policy", ("NoSuchEntity",))
        except AwsCallError as exc:
            return exc.to_collection_error((PASSWORD_POLICY,), account.scope(GLOBAL))
        data = {"exists": False} if response is None else {"exists": True, **response["PasswordPolicy"]}
        return Fact(
            kind=PASSWORD_POLICY,
            resource=f"{account.account_id}:{GLOBAL}",
            scope=account.scope(GLOBAL),
            data=data,
            source=account.source(["iam:GetAccountPasswordPolicy"], iam),
        )

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

    def _policies(self, account: AwsAccount, iam: BaseClient) -> Iterator[Fact | CollectionError]:
        scope = account.scope(GLOBAL)
        try:
            policies, pages = paginate(iam, "list_policies", "Policies", Scope="Local")
        except AwsCallError as exc:
            yield exc.to_collection_error((POLICY,), scope)
            return
        for policy in policies:
            try:
                version = call(iam, "get_policy_version", PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
            except AwsCallError as exc:
                yield exc.to_collection_error((POLICY,), scope, resource=policy["Arn"])
                continue
            document = as_document(version["PolicyVersion"]["Document"])
            yield Fact(
                kind=POLICY,
                resource=policy["Arn"],
                scope=scope,
                data={
                    "policy_name": policy["PolicyName"],
                    "arn": policy["Arn"],
                    "path": policy.get("Path"),
                    "default_version_id": policy["DefaultVersionId"],
                    "attachment_count": policy.get("AttachmentCount", 0),
                    "update_date": iso(policy.get("UpdateDate")),
                    "document": document,
                    "grants_star_on_star": grants_star_on_star(document),
                },
                source=account.source(["iam:ListPolicies", "iam:GetPolicyVersion"], iam, pages),
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
