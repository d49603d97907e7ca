"""The base of every AWS collector: resolve the target's accounts once, then read them in parallel."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar

from annexa.collectors.aws.accounts import Estate, options_problem, resolve
from annexa.collectors.aws.fanout import Limits, Waits, default_workers, fan_out
from annexa.collectors.aws.session import GLOBAL, AwsAccount, unit_clients
from annexa.collectors.aws.spec import Spec, Unit
from annexa.collectors.base import Collector, Context, Finished, Pool, Stored, Target
from annexa.model import CollectionError, Fact

__all__ = ["ACCOUNT_LIMIT", "SERVICE_LIMIT", "AwsCollector", "collect_together"]

# At most this many units of one account run at once (or one per region of the account, if it
# reads more regions: AWS rates are mostly per account and region), so one account's API rates
# are rarely hit while a large organisation keeps every worker busy.
ACCOUNT_LIMIT = 8
# At most this many units calling one service in one account and region at once (the service
# as in the collector's IAM actions). AWS rates requests per account and region: EC2 per API,
# Describe* at a bucket of 100 refilled at 20 a second; KMS and Organizations one quota across
# their operations. A unit reads one page after another, 10-20 a second behind real latency,
# so two units of one service stay near those rates while other services fill the pool.
SERVICE_LIMIT = 2

Item = Fact | CollectionError
# One unit of the pool: (member's index: a collector with its target, account, region); account None
# is the collector's target-wide part (`collect_estate`: accounts that could not be entered, the Organization).
Work = tuple[int, AwsAccount | None, str]


class AwsCollector(Collector):
    """Fans one AWS collector out over the target's accounts x regions.

    A collector declares what it reads as `specs` (collectors/aws/spec.py): its `kinds` and
    `permissions` are derived from them. A collector that reads something no spec can say
    overrides `collect_unit` (calling `super().collect_unit` for its specs, if any) and declares
    the permissions its own code needs in `permissions`; the specs' are added to them. Per-target
    setup (an option every unit reads) goes in `prepare`.

    A work unit is (account, region), or (account, `global`) for a collector whose
    `per_region` is False (IAM, S3, Organizations: account-wide APIs). The runner runs the units
    of every AWS collector of every AWS target on one bounded thread pool (`collect_together`), and
    their facts stream back to it. In a sharded run each machine reads only the units
    `context.owns(name, account, region)`.

    When the target's identity can't be read, the collector yields one target-wide
    error for all its kinds; an account that can't be entered yields one error for
    all its kinds scoped to that account; suspended accounts are skipped (the
    Organizations collector records them).
    """

    provider: ClassVar[str] = "aws"
    shards_itself: ClassVar[bool] = True
    per_region: ClassVar[bool] = True
    # `regions`: a list or `all` (every enabled region); `accounts`/`organization` with
    # `role_name`, `external_id`, `session_name`: which accounts; `max_workers`: its share of the pool;
    # `call_timeout` (seconds, default 30) and `max_attempts` (default 5): per API call;
    # `log_retention_days` (default 365): the retention every log group must keep (aws.logs).
    target_options: ClassVar[Mapping[str, type | tuple[type, ...]]] = {
        "profile": str,
        "regions": (list, str),
        "accounts": list,
        "organization": bool,
        "role_name": str,
        "external_id": str,
        "session_name": str,
        "max_workers": int,
        "call_timeout": (int, float),
        "max_attempts": int,
        "log_retention_days": int,
    }

    # Collected nightly: evidence older than two days means at least one night was missed.
    max_age: ClassVar[timedelta | None] = timedelta(days=2)
    specs: ClassVar[tuple[Spec, ...]] = ()

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        problem = options_problem(options)
        if problem:
            raise ValueError(problem)

    @classmethod
    def pool(cls) -> Pool | None:
        # A subclass with its own `collect` keeps it: it runs on its own pool, as it asks.
        return collect_together if cls.collect is AwsCollector.collect else None

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        for _index, item in collect_together([(self, target)], context):
            if not isinstance(item, Finished):
                yield item

    def prepare(self, target: Target) -> None:
        """Per-target setup before any unit runs (e.g. read a target option every unit uses)."""
        return None

    def collect_estate(self, estate: Estate, context: Context) -> Iterator[Fact | CollectionError]:
        """Errors for the accounts that could not be entered (each owned by one shard)."""
        for account_id, error in sorted(estate.failed.items()):
            if context.owns(self.name, account_id):
                yield dataclasses.replace(error, kinds=self.kinds)

    def regions_of(self, account: AwsAccount) -> tuple[str, ...]:
        return account.regions if self.per_region else (GLOBAL,)

    def crashed(self, account: AwsAccount, region: str, exc: Exception) -> CollectionError:
        return CollectionError(
            kinds=self.kinds,
            scope=account.scope(region),
            message=f"collector {self.name} stopped unexpectedly in {account.account_id}/{region}: "
            f"{type(exc).__name__}: {exc}",
            code="CollectorCrashed",
        )

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        """Read one region of one account (`region` is `global` when `per_region` is False): the specs, in order."""
        unit = Unit(account, region)
        for spec in self.specs:
            yield from spec.collect(unit)


def collect_together(
    members: Sequence[tuple[Collector, Target]], context: Context
) -> Iterator[tuple[int, Item | Stored | Finished]]:
    """Every (collector x account x region) unit of `members` (AWS collectors, each with its
    target; the targets may differ) on one bounded pool.

    Yields (index into `members`, item) as units produce them, and (index, Finished) once a
    member's last unit is done. Each target's estate is resolved first, once. The pool is as
    large as the largest target's share: its `max_workers`, or one worker per unit up to 32; no
    target runs more units at once than its own share. At most ACCOUNT_LIMIT units of one
    account, SERVICE_LIMIT calling one service in one account and region and, with several
    collectors, at most half the pool for one collector run at once. Each unit has its own boto3
    clients, released when it ends. A unit that raises is `error` evidence for that collector's
    kinds in that account and region; the other units go on.
    """
    aws = [collector for collector, _target in members]
    if not all(isinstance(collector, AwsCollector) for collector in aws):
        raise TypeError("collect_together runs AWS collectors only")
    estates: dict[int, Estate | CollectionError] = {}  # by target
    for _collector, target in members:
        if target.index not in estates:
            estates[target.index] = resolve(target, context, ())
    units: list[Work] = []
    shares: dict[int, int] = {}  # target -> the most units of it that run at once
    for target_index, estate in estates.items():
        own = [(index, aws[index]) for index, (_c, target) in enumerate(members) if target.index == target_index]
        if isinstance(estate, CollectionError):
            for index, collector in own:
                yield index, dataclasses.replace(estate, kinds=collector.kinds)
                yield index, Finished(index)
            continue
        for index, collector in own:
            collector.prepare(members[index][1])
        target_units = _units(own, estate, context)
        shares[target_index] = default_workers(len(target_units), estate.workers)
        units += target_units
    if not units:
        return
    left = [0] * len(members)
    for index, _account, _region in units:
        left[index] += 1
    workers = max(shares.values())
    several = len({collector.name for collector in aws}) > 1
    per_collector = max(1, workers // 2) if several else workers

    services = [sorted({action.split(":")[0] for action in collector.permissions}) for collector in aws]

    def estate_of(index: int) -> Estate:
        estate = estates[members[index][1].index]
        assert not isinstance(estate, CollectionError)  # its members have no units
        return estate

    def limits(unit: Work) -> Limits:
        index, account, region = unit
        target_index = members[index][1].index
        keys: list[tuple[Any, int]] = [
            (("collector", aws[index].name), per_collector),
            (("target", target_index), shares[target_index]),
        ]
        if account is not None:
            keys.append((("account", account.account_id), max(ACCOUNT_LIMIT, len(account.regions))))
            keys += [(("service", account.account_id, region, name), SERVICE_LIMIT) for name in services[index]]
        return keys

    def work(unit: Work) -> Iterator[tuple[int, Item | Stored | None]]:
        index, account, region = unit
        collector = aws[index]
        store = context.store
        with unit_clients():
            if account is None:
                items = collector.collect_estate(estate_of(index), context)
            else:
                items = collector.collect_unit(account, region)
            for item in items:
                if store is not None and isinstance(item, Fact):  # stored on this thread, not the runner's
                    yield index, Stored(item, store(item, collector.name))
                else:
                    yield index, item

    def crashed(unit: Work, exc: Exception) -> tuple[int, Item | Stored | None]:
        index, account, region = unit
        return index, aws[index].crashed(account or estate_of(index).caller, region, exc)

    waits = Waits()
    began = time.monotonic()
    for index, item in fan_out(
        units, work, crashed, workers, limits=limits, ended=lambda unit: (unit[0], None), waits=waits
    ):
        if item is not None:
            yield index, item
            continue
        left[index] -= 1  # a unit of this member ended (after its last item)
        if not left[index]:
            yield index, Finished(index)
    # Whether the API or annexa set the pace: workers waiting on the runner's thread means annexa did.
    context.log.info(
        "aws_pool_finished",
        targets=sorted({members[index][1].label for index, _account, _region in units}),
        units=len(units),
        workers=workers,
        duration_s=round(time.monotonic() - began, 3),
        waited_on_runner_s=round(waits.seconds, 3),
    )


def _units(collectors: Sequence[tuple[int, AwsCollector]], estate: Estate, context: Context) -> list[Work]:
    """One target's units, of its (member index, collector) pairs: each collector's target-wide part
    first, then every account's units taken one account at a time, round robin (a1, a2, ..., a1,
    ...): concurrent units spread over accounts. An account's own list starts at another collector
    and region than its neighbour's, so they spread over collectors and regions too."""
    by_index = dict(collectors)
    per_account: list[list[Work]] = []
    for number, account in enumerate(estate.accounts()):
        own = [
            (index, account, region)
            for index, collector in collectors
            for region in collector.regions_of(account)
            if context.owns(collector.name, account.account_id, region)
        ]
        # Regions first, then collectors: a1 reads r1 of c1, c2, ..., so neighbours differ in both.
        own.sort(key=lambda work: (by_index[work[0]].regions_of(account).index(work[2]), work[0]))
        if own:
            shift = number % len(own)
            per_account.append(own[shift:] + own[:shift])
    units: list[Work] = [(index, None, GLOBAL) for index, _collector in collectors]
    for step in range(max((len(own) for own in per_account), default=0)):
        units.extend(own[step] for own in per_account if step < len(own))
    return units
