"""The base of every AWS collector: resolve the target's accounts once, then read them in parallel."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any, ClassVar

from annexa.collectors.aws.accounts import Estate, options_problem, resolve
from annexa.collectors.aws.fanout import default_workers, fan_out
from annexa.collectors.aws.session import GLOBAL, AwsAccount
from annexa.collectors.aws.spec import Spec, Unit
from annexa.collectors.base import Collector, Context, Target
from annexa.model import CollectionError, Fact

__all__ = ["AwsCollector"]

Work = tuple[AwsAccount, str]  # (account, region): one unit of the fan-out


class AwsCollector(Collector):
    """Fans one AWS collector out over the target's accounts x regions.

    A collector declares what it reads as `specs` (collectors/aws/spec.py): its `kinds` and
    `permissions` are derived from them. A collector that reads something no spec can say
    overrides `collect_unit` (calling `super().collect_unit` for its specs, if any) and declares
    the permissions its own code needs in `permissions`; the specs' are added to them.

    A work unit is (account, region), or (account, `global`) for a collector whose
    `per_region` is False (IAM, S3, Organizations: account-wide APIs). Units run on a
    bounded thread pool and their facts stream back to the runner. In a sharded run
    each machine reads only the units `context.owns(name, account, region)`.

    When the target's identity can't be read, the collector yields one target-wide
    error for all its kinds; an account that can't be entered yields one error for
    all its kinds scoped to that account; suspended accounts are skipped (the
    Organizations collector records them).
    """

    provider: ClassVar[str] = "aws"
    shards_itself: ClassVar[bool] = True
    per_region: ClassVar[bool] = True
    # `regions`: a list or `all` (every enabled region); `accounts`/`organization` with
    # `role_name`, `external_id`, `session_name`: which accounts; `max_workers`: the pool size;
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

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        estate = resolve(target, context, self.kinds)
        if isinstance(estate, CollectionError):
            yield estate
            return
        yield from self.collect_estate(estate, context)
        units = _interleaved(
            [
                [
                    (account, region)
                    for region in (account.regions if self.per_region else (GLOBAL,))
                    if context.owns(self.name, account.account_id, region)
                ]
                for account in estate.accounts()
            ]
        )
        yield from fan_out(units, self._unit, self._crashed, default_workers(len(units), estate.workers))

    def collect_estate(self, estate: Estate, context: Context) -> Iterator[Fact | CollectionError]:
        """Errors for the accounts that could not be entered (each owned by one shard)."""
        for account_id, error in sorted(estate.failed.items()):
            if context.owns(self.name, account_id):
                yield dataclasses.replace(error, kinds=self.kinds)

    def _unit(self, unit: Work) -> Iterator[Fact | CollectionError]:
        account, region = unit
        try:
            yield from self.collect_unit(account, region)
        finally:
            # Clients live as long as their unit: kept for the whole run they cost ~0.4 MB each,
            # per account x region x service.
            account.release_clients(account.home_region if region == GLOBAL else region)

    def _crashed(self, unit: Work, exc: Exception) -> CollectionError:
        account, region = unit
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


def _interleaved(per_account: list[list[Work]]) -> list[Work]:
    """Units taken one account at a time, round robin (a1/r1, a2/r1, ..., a1/r2, ...): the pool's
    concurrent calls spread over accounts rather than all regions of one account at once, which
    keeps each account under the API's per-account request rates."""
    out: list[Work] = []
    for step in range(max((len(units) for units in per_account), default=0)):
        out.extend(units[step] for units in per_account if step < len(units))
    return out
