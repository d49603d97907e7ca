"""Which accounts and regions one AWS target covers, and entering each of them.

A target reads the account its credentials reach (the default), a list of account
ids (`accounts: [...]`), or every account of the AWS Organization the credentials
manage (`organization: true`). Other accounts are entered by assuming `role_name`
(with `external_id` and `session_name` when set); the credentials refresh
themselves, so a long run never outlives them. Suspended accounts are skipped;
an account that cannot be entered is kept with the reason, and collectors turn it
into `error` evidence for every kind they would have read there: never silence.

`regions: all` means every region enabled for each account (ec2:DescribeRegions
with opt-in status); opt-in regions that are not enabled are skipped and recorded.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.credentials import RefreshableCredentials

from annexa.collectors.aws.errors import AwsCallError, collection_error
from annexa.collectors.aws.fanout import default_workers, fan_out
from annexa.collectors.aws.session import (
    ALL_REGIONS,
    AwsAccount,
    call,
    connect,
    new_session,
    paginate,
    regions_problem,
)
from annexa.collectors.base import Context, Target
from annexa.model import CollectionError

__all__ = ["ENTRY_PERMISSIONS", "Estate", "Member", "options_problem", "resolve"]

# What entering a target's accounts needs, besides each collector's own permissions:
# AssumeRole in the caller's account, DescribeRegions (for `regions: all`) in each account.
ENTRY_PERMISSIONS = ("sts:GetCallerIdentity", "sts:AssumeRole", "organizations:ListAccounts", "ec2:DescribeRegions")

_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ENABLED_REGION = ("opt-in-not-required", "opted-in")
DEFAULT_SESSION_NAME = "annexa"


@dataclass(frozen=True)
class Member:
    """An account the target names, as the config or Organizations describes it."""

    account_id: str
    name: str | None = None
    status: str = "ACTIVE"
    joined_method: str | None = None
    joined: str | None = None


@dataclass
class Estate:
    """Every account of one target: entered, skipped (suspended) or failed (with why)."""

    caller: AwsAccount
    members: list[Member]
    entered: dict[str, AwsAccount] = field(default_factory=dict)
    failed: dict[str, CollectionError] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    workers: int | None = None  # `max_workers`; None: the target's share of the pool from its units
    organization: bool = False

    def accounts(self) -> list[AwsAccount]:
        return [self.entered[m.account_id] for m in self.members if m.account_id in self.entered]


def options_problem(options: Mapping[str, Any]) -> str | None:
    """Why a target's account options cannot work, checked when the config is loaded."""
    problem = regions_problem(options.get("regions"))
    if problem:
        return problem
    accounts = options.get("accounts")
    if accounts is not None and (
        not accounts or not all(isinstance(a, str) and _ACCOUNT_ID.match(a) for a in accounts)
    ):
        return (
            f"aws target option 'accounts' must be a non-empty list of 12-digit account ids (quoted), got {accounts!r}"
        )
    if accounts is not None and options.get("organization"):
        return "aws target options 'accounts' and 'organization' exclude each other: use one target for each"
    if options.get("organization") and not options.get("role_name"):
        return "aws target option 'organization' needs 'role_name', the read-only role to assume in each account"
    if options.get("max_workers", 1) < 1:
        return "aws target option 'max_workers' must be at least 1"
    if not 0 < options.get("call_timeout", 30) <= 600:
        return "aws target option 'call_timeout' must be between 0 and 600 seconds"
    if not 1 <= options.get("log_retention_days", 365) <= 3653:
        return "aws target option 'log_retention_days' must be between 1 and 3653 days"
    if not 1 <= options.get("max_attempts", 5) <= 20:
        return "aws target option 'max_attempts' must be between 1 and 20"
    return None


_resolve_lock = threading.Lock()


def resolve(target: Target, context: Context, kinds: tuple[str, ...]) -> Estate | CollectionError:
    """The target's estate, built once per target and run; or a target-wide error for `kinds`."""
    key = ("aws-estate", target.index, repr(sorted(target.options.items())))
    with _resolve_lock:
        if key not in context.cache:
            caller = connect(target, context, ())
            context.cache[key] = caller if isinstance(caller, CollectionError) else _estate(caller, target.options)
    estate = context.cache[key]
    if isinstance(estate, CollectionError):
        return dataclasses.replace(estate, kinds=kinds)
    return estate


def _estate(caller: AwsAccount, options: Mapping[str, Any]) -> Estate | CollectionError:
    workers = int(options["max_workers"]) if "max_workers" in options else None
    if options.get("organization"):
        try:
            members = _organization_members(caller)
        except AwsCallError as exc:
            return exc.to_collection_error((), {"provider": "aws", "account": caller.account_id})
    else:
        members = [Member(account_id) for account_id in options.get("accounts") or [caller.account_id]]
    estate = Estate(caller=caller, members=members, workers=workers, organization=bool(options.get("organization")))
    active = []
    for member in members:
        if member.status != "ACTIVE":
            estate.skipped[member.account_id] = f"account status is {member.status}"
        else:
            active.append(member)

    def enter(member: Member) -> list[AwsAccount | CollectionError]:
        return [_enter(caller, member, options)]

    def crashed(member: Member, exc: Exception) -> CollectionError:
        return collection_error(exc, "sts:AssumeRole", (), _account_scope(member.account_id))

    for member, outcome in zip(active, _in_order(active, enter, crashed, workers), strict=True):
        if isinstance(outcome, CollectionError):
            estate.failed[member.account_id] = outcome
        else:
            estate.entered[member.account_id] = outcome
    return estate


def _in_order(members: list[Member], enter: Any, crashed: Any, workers: int | None) -> list[Any]:
    """Enter accounts in parallel, but keep the members' order for stable, readable results."""
    indexed = list(enumerate(members))
    results = dict(
        fan_out(
            indexed,
            lambda pair: [(pair[0], item) for item in enter(pair[1])],
            lambda pair, exc: (pair[0], crashed(pair[1], exc)),
            default_workers(len(indexed), workers),
        )
    )
    return [results[i] for i in range(len(members))]


def _account_scope(account_id: str) -> dict[str, str]:
    return {"provider": "aws", "account": account_id}


def _organization_members(caller: AwsAccount) -> list[Member]:
    accounts, _ = paginate(caller.client("organizations"), "list_accounts", "Accounts")
    return [
        Member(
            account_id=a["Id"],
            name=a.get("Name"),
            status=a.get("Status", "ACTIVE"),
            joined_method=a.get("JoinedMethod"),
            joined=a["JoinedTimestamp"].isoformat() if a.get("JoinedTimestamp") else None,
        )
        for a in sorted(accounts, key=lambda a: a["Id"])
    ]


def _enter(caller: AwsAccount, member: Member, options: Mapping[str, Any]) -> AwsAccount | CollectionError:
    try:
        if options.get("role_name"):
            account = _assume(caller, member, options)
        elif member.account_id == caller.account_id:
            account = dataclasses.replace(caller, name=member.name, _clients={}, _lock=threading.Lock())
        else:
            return CollectionError(
                kinds=(),
                scope=_account_scope(member.account_id),
                message=f"account {member.account_id} is not the caller's account and no role_name is configured",
                code="NoRoleConfigured",
            )
        if options.get("regions") == ALL_REGIONS:
            account = _enabled_regions(account)
    except AwsCallError as exc:
        return exc.to_collection_error((), _account_scope(member.account_id))
    return account


def _assume(caller: AwsAccount, member: Member, options: Mapping[str, Any]) -> AwsAccount:
    role_arn = f"arn:{caller.partition}:iam::{member.account_id}:role/{options['role_name']}"
    params: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": options.get("session_name") or DEFAULT_SESSION_NAME,
    }
    if options.get("external_id"):
        params["ExternalId"] = options["external_id"]
    sts = caller.client("sts")
    first = call(sts, "assume_role", **params)
    # Refreshes raise botocore's own errors, which the collector's `call()` turns into evidence.
    refresh = lambda: _credential_metadata(sts.assume_role(**params))  # noqa: E731
    metadata = _credential_metadata(first)
    session = new_session(region_name=caller.home_region)
    # botocore has no public setter for refreshable credentials; this is the documented idiom.
    session._session._credentials = RefreshableCredentials.create_from_metadata(  # noqa: SLF001
        metadata, refresh_using=refresh, method="sts-assume-role"
    )
    return AwsAccount(
        session=session,
        account_id=member.account_id,
        principal=first["AssumedRoleUser"]["Arn"],
        regions=caller.regions,
        home=caller.home_region,
        name=member.name,
        limits=caller.limits,
    )


def _credential_metadata(response: dict[str, Any]) -> dict[str, str]:
    credentials = response["Credentials"]
    return {
        "access_key": credentials["AccessKeyId"],
        "secret_key": credentials["SecretAccessKey"],
        "token": credentials["SessionToken"],
        "expiry_time": credentials["Expiration"].isoformat(),
    }


def _enabled_regions(account: AwsAccount) -> AwsAccount:
    """The account with every enabled region; opt-in regions that are not enabled are recorded as skipped."""
    regions = call(account.client("ec2"), "describe_regions", AllRegions=True)["Regions"]
    enabled = sorted(r["RegionName"] for r in regions if r.get("OptInStatus") in _ENABLED_REGION)
    skipped = tuple(
        sorted(
            (r["RegionName"], f"opt-in status {r.get('OptInStatus')}")
            for r in regions
            if r["RegionName"] not in enabled
        )
    )
    return dataclasses.replace(
        account, regions=tuple(enabled), skipped_regions=skipped, _clients={}, _lock=threading.Lock()
    )
