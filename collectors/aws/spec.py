"""Declarative AWS collectors: what to list, what to read per item, which setting to read.

An `AwsCollector` declares `specs`; for each account and region it reads them in order.

- `Listing`: one fact per item a List/Describe operation returns. Every page is read, with the
  fewest calls the API allows (botocore's paginator, or one call where the operation does not
  page); `details` add one call per item where AWS has no batch form (DescribeCertificate).
- `Setting`: one fact per account and region (`<account>:<region>`) from one or more reads,
  e.g. whether EBS encryption is on by default.
- `Detail`: one call: an item's detail in a Listing, or one read of a Setting.

A failed call is evidence about exactly what it concerns: a failed listing is an error for its
kind in that account and region; a failed detail is an error for that item's resource while the
other items go on; a failed read of a setting is an error for that setting. Nothing is dropped
silently. Error codes a Detail lists as `absent` mean "not configured" (no password policy,
Macie never enabled): a real answer, given to `data` as None.

Operations are named as AWS names them (`DescribeCertificate`; the boto3 method is derived), so
the spec is the one source of the operations each fact's `source` records and of the IAM
actions the collector needs (`AwsCollector.permissions`).

The callables a spec holds receive its subject (the listed item; for a Setting, the `Unit`) and
then as many of the earlier details' answers as they name: `when=lambda key, metadata: ...`
sees the item and the first detail's answer. `data` receives the item and every answer.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from botocore import xform_name
from botocore.client import BaseClient

from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.permissions import iam_action
from annexa.collectors.aws.session import GLOBAL, AwsAccount, call, jmespath_path, paginate
from annexa.model import CollectionError, Fact, Source

__all__ = [
    "Detail",
    "Listing",
    "Read",
    "Setting",
    "Spec",
    "Unit",
    "arn",
    "detail_permissions",
    "read_details",
]


@dataclass(frozen=True)
class Unit:
    """One account in one region (`global` for account-wide services): where specs are read."""

    account: AwsAccount
    region: str

    @property
    def account_id(self) -> str:
        return self.account.account_id

    def client(self, service: str) -> BaseClient:
        return self.account.client(service, self.account.home_region if self.region == GLOBAL else self.region)

    def scope(self) -> dict[str, str]:
        return self.account.scope(self.region)

    def arn(self, service: str, path: str) -> str:
        """`arn:<partition>:<service>:<region>:<account>:<path>`, for resources listed without their ARN."""
        return f"arn:{self.account.partition}:{service}:{self.region}:{self.account_id}:{path}"

    def source(self, operations: list[str], client: BaseClient, pages: int | None = None) -> Source:
        return self.account.source(operations, client, pages)


@cache
def _arity(fn: Callable[..., Any]) -> int | None:
    """How many positional arguments `fn` takes; None when it takes any number."""
    parameters = inspect.signature(fn).parameters.values()
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)


def _apply(fn: Callable[..., Any], subject: Any, answers: list[Any]) -> Any:
    """`fn(subject, *answers)`, cut to the arguments `fn` names."""
    arguments = (subject, *answers)
    count = _arity(fn)
    return fn(*(arguments if count is None else arguments[:count]))


@dataclass(frozen=True)
class Detail:
    """One call: a listed item's detail, or one read of a setting.

    `params`: the call's parameters, a mapping or a callable of the subject and earlier answers.
    `key`: a JMESPath into the answer; an operation that pages is paged and the items under
    `key` gathered. `absent`: error codes that mean "not configured" (the answer is None); a code
    AWS uses for more than one thing names what its message must say (`Code: not subscribed`).
    `when`: the call is made only when this holds (the answer is None otherwise). `keep`: after
    the answer, False drops the item: it is not evidence (an AWS-managed key). `service`:
    another service's client (wafv2 for a load balancer).
    """

    operation: str
    params: Mapping[str, Any] | Callable[..., Mapping[str, Any]] = field(default_factory=dict)
    key: str | None = None
    absent: tuple[str, ...] = ()
    when: Callable[..., bool] | None = None
    keep: Callable[..., bool] | None = None
    service: str | None = None

    def name(self, service: str) -> str:
        return f"{self.service or service}:{self.operation}"

    def read(self, unit: Unit, service: str, subject: Any, answers: list[Any]) -> Any:
        client = unit.client(self.service or service)
        method = xform_name(self.operation)
        params = _apply(self.params, subject, answers) if callable(self.params) else self.params
        try:
            if self.key is not None and client.can_paginate(method):
                return paginate(client, method, self.key, **params)[0]
            answer = call(client, method, **params)
        except AwsCallError as exc:
            if any(exc.means(answer) for answer in self.absent):
                return None
            raise
        return answer if self.key is None else jmespath_path(self.key).search(answer)


@dataclass(frozen=True)
class Read:
    """What the details of one subject gave: the operations called, their answers, and whether
    the subject is evidence (a `keep` may have said it is not)."""

    operations: list[str]
    answers: list[Any]
    kept: bool = True


def read_details(
    details: tuple[Detail, ...], unit: Unit, service: str, subject: Any, operations: tuple[str, ...] = ()
) -> Read:
    """Call `details` in order for `subject` (their operations added to `operations`, what was
    called before them); an AwsCallError propagates: the caller knows what it concerns."""
    called, answers = list(operations), []
    for detail in details:
        if detail.when is not None and not _apply(detail.when, subject, answers):
            answers.append(None)
            continue
        called.append(detail.name(service))
        answers.append(detail.read(unit, service, subject, answers))
        if detail.keep is not None and not _apply(detail.keep, subject, answers):
            return Read(called, answers, kept=False)
    return Read(called, answers)


@dataclass(frozen=True)
class Listing:
    """One fact of `kind` per item that `operation` lists under `key` (a JMESPath into each page,
    e.g. `Reservations[].Instances[]`), with `details` read per item.

    `resource`: the item's field that holds its ARN, or a callable of the item and the `Unit`.
    `data`: a callable of the item and each detail's answer (None for a detail not called).
    `select`: which listed items are evidence (a callable of the item and the `Unit`), decided
    before their details are read; None: every item.
    """

    kind: str
    service: str
    operation: str
    key: str
    resource: str | Callable[[Any, Unit], str]
    data: Callable[..., dict[str, Any]]
    params: Mapping[str, Any] = field(default_factory=dict)
    details: tuple[Detail, ...] = ()
    select: Callable[[Any, Unit], bool] | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.kind,)

    def operations(self) -> tuple[str, ...]:
        return (f"{self.service}:{self.operation}", *(d.name(self.service) for d in self.details))

    def permissions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(iam_action(op) for op in self.operations()))

    def collect(self, unit: Unit) -> Iterator[Fact | CollectionError]:
        client = unit.client(self.service)
        try:
            items, pages = paginate(client, xform_name(self.operation), self.key, **self.params)
        except AwsCallError as exc:
            yield exc.to_collection_error(self.kinds, unit.scope())
            return
        listed = (f"{self.service}:{self.operation}",)
        for item in items:
            if self.select is not None and not self.select(item, unit):
                continue
            resource = item[self.resource] if isinstance(self.resource, str) else self.resource(item, unit)
            try:
                read = read_details(self.details, unit, self.service, item, listed)
            except AwsCallError as exc:
                yield exc.to_collection_error(self.kinds, unit.scope(), resource)
                continue
            if read.kept:
                yield Fact(
                    kind=self.kind,
                    resource=resource,
                    scope=unit.scope(),
                    data=self.data(item, *read.answers),
                    source=unit.source(read.operations, client, pages),
                )


@dataclass(frozen=True)
class Setting:
    """One fact of `kind` for the account and region (`<account>:<region>`): `data` receives the
    answer of each of `reads` (None for a read skipped by its `when` or answered by an `absent` code)."""

    kind: str
    service: str
    reads: tuple[Detail, ...]
    data: Callable[..., dict[str, Any]]

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.kind,)

    def operations(self) -> tuple[str, ...]:
        return tuple(read.name(self.service) for read in self.reads)

    def permissions(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(iam_action(op) for op in self.operations()))

    def collect(self, unit: Unit) -> Iterator[Fact | CollectionError]:
        resource = f"{unit.account_id}:{unit.region}"
        try:
            read = read_details(self.reads, unit, self.service, unit)
        except AwsCallError as exc:
            yield exc.to_collection_error(self.kinds, unit.scope(), resource)
            return
        yield Fact(
            kind=self.kind,
            resource=resource,
            scope=unit.scope(),
            data=self.data(*read.answers),
            source=unit.source(read.operations, unit.client(self.service)),
        )


Spec = Listing | Setting


def arn(service: str, path: str) -> Callable[[Any, Unit], str]:
    """A Listing's `resource` for items listed without their ARN, the item's fields filling
    `path`: `arn("ec2", "volume/{VolumeId}")` -> `arn:aws:ec2:<region>:<account>:volume/vol-1`."""
    return lambda item, unit: unit.arn(service, path.format_map(item))


def detail_permissions(service: str, details: tuple[Detail, ...]) -> tuple[str, ...]:
    """The IAM actions a bespoke collector's own `details` need (read with `read_details`)."""
    return tuple(dict.fromkeys(iam_action(detail.name(service)) for detail in details))
