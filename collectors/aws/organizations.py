"""AWS Organizations: the organisation, its service control policies, and which accounts were read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.accounts import Estate
from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.session import GLOBAL, AwsAccount, call_optional, paginate
from annexa.collectors.base import Context
from annexa.model import CollectionError, Fact, Source

ORGANIZATION = "aws.organizations.organization"
ACCOUNT = "aws.organizations.account"
_SCP = "SERVICE_CONTROL_POLICY"


class OrganizationsCollector(AwsCollector):
    """Cloud governance evidence (A.5.23), read once per target with the target's own credentials.

    - `aws.organizations.organization` (organisation ARN, or `<account>:global` when the
      account is in no organisation): `in_organization`, `id`, `feature_set`,
      `management_account_id`, `scp_enabled` (SCPs enabled on the root), `scps` (every
      service control policy with `aws_managed` and its `targets`: roots, OUs, accounts).
    - `aws.organizations.account` (account id): every account the target names, with
      `name`, `status`, `collected` (whether annexa entered it), `not_collected_reason`
      (suspended, or why the role could not be assumed), `principal`, `regions` read and
      `skipped_regions` (opt-in regions not enabled). This is the run's coverage record.
    """

    name = "aws.organizations"
    kinds = (ORGANIZATION, ACCOUNT)
    permissions = (
        "organizations:DescribeOrganization",
        "organizations:ListRoots",
        "organizations:ListPolicies",
        "organizations:ListTargetsForPolicy",
    )
    per_region = False

    def collect_estate(self, estate: Estate, context: Context) -> Iterator[Fact | CollectionError]:
        caller = estate.caller
        if context.owns(self.name, caller.account_id, GLOBAL):
            yield from self._coverage(estate)
            yield self._organization(caller)

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        return iter(())  # everything is read once per target, with the caller's credentials

    @staticmethod
    def _coverage(estate: Estate) -> Iterator[Fact]:
        caller = estate.caller
        operations = ["sts:GetCallerIdentity"] + (["organizations:ListAccounts"] if estate.organization else [])
        for member in estate.members:
            entered = estate.entered.get(member.account_id)
            reason = estate.skipped.get(member.account_id)
            if member.account_id in estate.failed:
                reason = estate.failed[member.account_id].message
            yield Fact(
                kind=ACCOUNT,
                resource=member.account_id,
                scope={"provider": "aws", "account": member.account_id, "region": GLOBAL},
                data={
                    "account_id": member.account_id,
                    "name": member.name,
                    "status": member.status,
                    "joined_method": member.joined_method,
                    "joined": member.joined,
                    "collected": entered is not None,
                    "not_collected_reason": reason,
                    "principal": entered.principal if entered else None,
                    "regions": list(entered.regions) if entered else [],
                    "skipped_regions": [{"region": r, "reason": why} for r, why in entered.skipped_regions]
                    if entered
                    else [],
                },
                source=Source(operations=tuple(operations), principal=caller.principal),
            )

    def _organization(self, caller: AwsAccount) -> Fact | CollectionError:
        client = caller.client("organizations")
        scope = caller.scope(GLOBAL)
        operations = ["organizations:DescribeOrganization"]
        try:
            described = call_optional(client, "describe_organization", ("AWSOrganizationsNotInUseException",))
            if described is None:
                data: dict[str, Any] = {"in_organization": False}
                resource = f"{caller.account_id}:{GLOBAL}"
            else:
                org = described["Organization"]
                resource = org["Arn"]
                roots, _ = paginate(client, "list_roots", "Roots")
                policy_types = [t for root in roots for t in root.get("PolicyTypes", [])]
                scp_enabled = any(t["Type"] == _SCP and t.get("Status") == "ENABLED" for t in policy_types)
                scps = self._scps(client) if scp_enabled else []
                operations += ["organizations:ListRoots"] + (
                    ["organizations:ListPolicies", "organizations:ListTargetsForPolicy"] if scp_enabled else []
                )
                data = {
                    "in_organization": True,
                    "id": org["Id"],
                    "feature_set": org.get("FeatureSet"),
                    "management_account_id": org.get("MasterAccountId"),
                    "scp_enabled": scp_enabled,
                    "scps": scps,
                }
        except AwsCallError as exc:
            return exc.to_collection_error((ORGANIZATION,), scope)
        return Fact(
            kind=ORGANIZATION, resource=resource, scope=scope, data=data, source=caller.source(operations, client)
        )

    @staticmethod
    def _scps(client: Any) -> list[dict[str, Any]]:
        policies, _ = paginate(client, "list_policies", "Policies", Filter=_SCP)
        scps = []
        for policy in sorted(policies, key=lambda p: p["Id"]):
            targets, _ = paginate(client, "list_targets_for_policy", "Targets", PolicyId=policy["Id"])
            scps.append(
                {
                    "id": policy["Id"],
                    "name": policy.get("Name"),
                    "aws_managed": bool(policy.get("AwsManaged")),
                    "targets": sorted(
                        ({"id": t["TargetId"], "type": t.get("Type")} for t in targets), key=lambda t: t["id"]
                    ),
                }
            )
        return scps
