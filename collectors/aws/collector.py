"""The base of every AWS collector: resolve the account once, then read it."""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import ClassVar

from annexa.collectors.aws.session import AwsAccount, connect
from annexa.collectors.base import CollectionError, Collector, Context, Fact, Target

__all__ = ["AwsCollector"]


class AwsCollector(Collector):
    """Handles the caller identity for every AWS collector.

    When the identity can't be read (no credentials, bad profile, STS denied or
    unreachable), the collector yields one scope-wide error for all its kinds and
    reads nothing else: every rule over those kinds then reports `error`.
    """

    provider: ClassVar[str] = "aws"
    # `profile`: a named profile of the shared config; `regions`: where regional services are read.
    target_options: ClassVar[Mapping[str, type]] = {"profile": str, "regions": list}
    # Collected nightly: evidence older than two days means at least one night was missed.
    max_age: ClassVar[timedelta | None] = timedelta(days=2)

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        account = connect(target, context, self.kinds)
        if isinstance(account, CollectionError):
            yield account
            return
        yield from self.collect_account(account)

    @abc.abstractmethod
    def collect_account(self, account: AwsAccount) -> Iterator[Fact | CollectionError]:
        """Read one account whose identity is known."""
