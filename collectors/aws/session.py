"""One AWS account: session, clients, caller identity, paging.

`connect()` reads the identity the target's credentials reach, once per target
(cached in `Context.cache`); `accounts.resolve()` builds on it to enter every
account of a list or an Organization. The session uses the standard boto3
credential chain (environment, profile, SSO, instance role, ...) and endpoint
resolution, so `AWS_ENDPOINT_URL` (e.g. a moto_server) works without any code here.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from typing import Any

import boto3
import botocore
import botocore.session
import jmespath
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.loaders import Loader

from annexa.collectors.aws.endpoints import keep_local_endpoint_host
from annexa.collectors.aws.errors import AwsCallError, collection_error
from annexa.collectors.base import Context, Target
from annexa.model import CollectionError, Source
from annexa.words import did_you_mean

__all__ = [
    "ALL_REGIONS",
    "AwsAccount",
    "GLOBAL",
    "call",
    "call_optional",
    "CallLimits",
    "client_config",
    "connect",
    "iso",
    "jmespath_path",
    "known_regions",
    "new_session",
    "operation_name",
    "paginate",
    "regions_problem",
    "tag_dict",
    "unit_clients",
]

GLOBAL = "global"  # the region label for account-wide services and settings (IAM, S3 account settings)
DEFAULT_REGION = "us-east-1"


class _SharedLoader(Loader):
    """botocore's loader, safe to share between threads: its cache is a plain dict, so the pool's
    threads asking for a model at once (every unit's first client) would each parse it, holding
    one copy per thread at the run's start; here the first parses and the others wait for it."""

    def __init__(self) -> None:
        super().__init__()
        self._parsing = threading.RLock()

    def load_service_model(self, *args: Any, **kwargs: Any) -> Any:
        with self._parsing:
            return super().load_service_model(*args, **kwargs)

    def load_data_with_path(self, *args: Any, **kwargs: Any) -> Any:
        with self._parsing:
            return super().load_data_with_path(*args, **kwargs)


# One loader for every session of the run: a botocore session otherwise parses each service
# model (EC2's is megabytes of JSON) again, so a session per assumed account would cost
# tens of MB and a fraction of a second each.
_SHARED_LOADER = _SharedLoader()


def new_session(**kwargs: Any) -> boto3.Session:
    """A boto3 session that shares the run's model loader (kwargs as for `boto3.Session`)."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _SHARED_LOADER)
    return boto3.Session(botocore_session=core, **kwargs)


@dataclass(frozen=True)
class CallLimits:
    """Per-call timeout (seconds) and attempts: target options `call_timeout` and `max_attempts`."""

    timeout: float = 30.0
    attempts: int = 5

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> CallLimits:
        return cls(float(options.get("call_timeout", cls.timeout)), int(options.get("max_attempts", cls.attempts)))


def client_config(limits: CallLimits = CallLimits()) -> Config:
    """Standard retry mode backs off on throttling; bounded timeouts keep one slow endpoint from
    stalling a run. A new Config each time: botocore rewrites the `retries` dict in place."""
    return Config(
        retries={"mode": "standard", "max_attempts": limits.attempts},
        connect_timeout=min(10.0, limits.timeout),
        read_timeout=limits.timeout,
        max_pool_connections=20,
    )


# The clients of the work unit running on this thread (`unit_clients`), by (account, service, region).
_unit = threading.local()


@contextmanager
def unit_clients() -> Iterator[None]:
    """Clients made on this thread inside the block belong to it and are released when it ends:
    kept for a whole run they cost ~0.4 MB and ~13 ms CPU each, per account x region x service.
    Units of different collectors in the same account and region never share (or drop) each
    other's clients."""
    mine: dict[tuple[int, str, str], BaseClient] = {}
    _unit.clients = mine
    try:
        yield
    finally:
        if getattr(_unit, "clients", None) is mine:  # a generator closed on another thread leaves that one's alone
            _unit.clients = None


@dataclass
class AwsAccount:
    """One account we entered, who we are in it, and which of its regions we read.

    `principal` is the caller ARN (for an assumed role, the assumed-role session ARN in
    this account). `skipped_regions` are regions left out, with why (opt-in not enabled).
    """

    session: boto3.Session
    account_id: str
    principal: str
    regions: tuple[str, ...]
    home: str | None = None
    name: str | None = None
    skipped_regions: tuple[tuple[str, str], ...] = ()
    limits: CallLimits = CallLimits()
    _clients: dict[tuple[int, str, str], BaseClient] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def partition(self) -> str:
        """`aws`, `aws-cn` or `aws-us-gov`, read from the caller ARN so ARNs we build match."""
        return self.principal.split(":")[1]

    @property
    def home_region(self) -> str:
        """The region used for global APIs (IAM, S3 ListBuckets, S3 Control)."""
        return self.home or self.regions[0]

    def client(self, service: str, region: str | None = None) -> BaseClient:
        """A client for `service` in `region` (the home region by default). Inside `unit_clients()`
        it is the unit's own and is dropped when the unit ends; outside (entering accounts) it is
        kept on the account."""
        region = region or self.home_region
        scoped = getattr(_unit, "clients", None)
        clients = self._clients if scoped is None else scoped
        key = (id(self), service, region)
        # boto3 sessions are not thread-safe when creating clients; clients themselves are.
        with self._lock:
            if key not in clients:
                client = self.session.client(service, region_name=region, config=client_config(self.limits))
                if service == "s3control":
                    client.meta.events.register("before-call.s3-control", keep_local_endpoint_host)
                clients[key] = client
            return clients[key]

    def scope(self, region: str) -> dict[str, str]:
        return {"provider": "aws", "account": self.account_id, "region": region}

    def source(self, operations: Iterable[str], client: BaseClient | None = None, pages: int | None = None) -> Source:
        endpoint = client.meta.endpoint_url if client is not None else None
        return Source(operations=tuple(operations), principal=self.principal, pages=pages, endpoint=endpoint)


ALL_REGIONS = "all"


@cache
def known_regions() -> frozenset[str]:
    """Every region of every partition in botocore's own data (endpoints.json and partitions.json:
    opt-in regions such as af-south-1 included, aws-cn, aws-us-gov and the isolated partitions too;
    the `*-global` pseudo-regions left out: no client is made for them)."""
    regions: set[str] = set()
    for partition in _SHARED_LOADER.load_data("endpoints")["partitions"]:
        regions.update(partition.get("regions", {}))
    for partition in _SHARED_LOADER.load_data("partitions")["partitions"]:
        regions.update(partition.get("regions", {}))
    return frozenset(r for r in regions if not r.endswith("-global"))


def regions_problem(configured: Any) -> str | None:
    """Why a `regions` option is unusable, or None: a non-empty list of known region names, or `all`."""
    if configured is None or configured == ALL_REGIONS:
        return None
    if isinstance(configured, str) or not configured or not all(isinstance(r, str) and r for r in configured):
        return f"aws target option 'regions' must be a non-empty list of region names or 'all', got {configured!r}"
    known = known_regions()
    for region in configured:
        if region not in known:
            return (
                f"aws target option 'regions': unknown region {region!r}{did_you_mean(region, known)} "
                f"(botocore {botocore.__version__} knows {len(known)} regions in all partitions; "
                "a region opened after that release needs a newer boto3)"
            )
    return None


def _regions(options: Mapping[str, Any], session: boto3.Session) -> tuple[str, ...]:
    """The configured regions; for `all`, just the session's region until `accounts` lists the enabled ones."""
    configured = options.get("regions")
    problem = regions_problem(configured)
    if problem:
        raise ValueError(problem)
    if configured is None or configured == ALL_REGIONS:
        return (session.region_name or DEFAULT_REGION,)
    return tuple(configured)


def _identify(target: Target) -> AwsAccount | CollectionError:
    scope = {"provider": "aws"}
    try:
        session = new_session(profile_name=target.options.get("profile"))
        regions = _regions(target.options, session)
        limits = CallLimits.from_options(target.options)
        sts = session.client("sts", region_name=regions[0], config=client_config(limits))
        identity = call(sts, "get_caller_identity")
    except AwsCallError as exc:
        return exc.to_collection_error((), scope)
    except (BotoCoreError, ValueError) as exc:  # a bad profile or option fails before any call is made
        return collection_error(exc, "sts:GetCallerIdentity", (), scope)
    return AwsAccount(
        session=session, account_id=identity["Account"], principal=identity["Arn"], regions=regions, limits=limits
    )


def connect(target: Target, context: Context, kinds: tuple[str, ...]) -> AwsAccount | CollectionError:
    """The target's account, or a scope-wide error for `kinds` when the identity can't be read.

    The outcome (including a failure) is cached per target, so a broken credential
    chain costs one STS call per run, not one per collector.
    """
    key = ("aws", target.index, repr(sorted(target.options.items())))
    if key not in context.cache:
        context.cache[key] = _identify(target)
    account = context.cache[key]
    if isinstance(account, CollectionError):
        return dataclasses.replace(account, kinds=kinds)
    return account


def operation_name(client: BaseClient, method: str) -> str:
    """`s3:GetBucketEncryption` for `(s3 client, "get_bucket_encryption")`."""
    api_name = client.meta.method_to_api_mapping.get(method, method)
    return f"{client.meta.service_model.service_name}:{api_name}"


def call(client: BaseClient, method: str, **params: Any) -> dict[str, Any]:
    """Call one API operation; any failure raises `AwsCallError` carrying the operation name."""
    try:
        return getattr(client, method)(**params)
    except (ClientError, BotoCoreError) as exc:
        raise AwsCallError(operation_name(client, method), exc) from exc


def call_optional(client: BaseClient, method: str, absent: tuple[str, ...], **params: Any) -> dict[str, Any] | None:
    """Like `call`, but None when AWS answers one of the `absent` codes: "not configured" is a
    fact (e.g. no password policy), not a failure to read."""
    try:
        return call(client, method, **params)
    except AwsCallError as exc:
        if exc.code in absent:
            return None
        raise


def paginate(client: BaseClient, method: str, key: str, **params: Any) -> tuple[list[Any], int]:
    """All items under `key` across every page, and how many pages were read.

    `key` is a JMESPath into each page: a member (`Buckets`) or a path to items nested deeper
    (`Reservations[].Instances[]`, CloudFront's `DistributionList.Items`). An operation this
    botocore cannot page (e.g. ListBuckets before botocore 1.35) is read with one call.
    """
    path = jmespath_path(key)
    if not client.can_paginate(method):
        return _items(path.search(call(client, method, **params))), 1
    items: list[Any] = []
    pages = 0
    try:
        for page in client.get_paginator(method).paginate(**params):
            pages += 1
            items.extend(_items(path.search(page)))
    except (ClientError, BotoCoreError) as exc:
        raise AwsCallError(operation_name(client, method), exc) from exc
    return items, pages


def _items(value: Any) -> list[Any]:
    return [] if value is None else value if isinstance(value, list) else [value]


@cache
def jmespath_path(expression: str) -> Any:
    """A compiled JMESPath expression (compiled once per process)."""
    return jmespath.compile(expression)


def iso(value: datetime | None) -> str | None:
    """A boto3 datetime as an RFC 3339 UTC string (facts must be JSON and stable)."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def tag_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    """AWS `[{"Key": k, "Value": v}]` tag lists as a plain mapping."""
    return {tag["Key"]: tag.get("Value", "") for tag in tags or ()}
