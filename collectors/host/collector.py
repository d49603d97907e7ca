"""The shared shape of a host collector: read files, yield one fact per kind.

A subclass implements `read(files)` returning the fact's data; the plumbing
(target options, host identity, Source, turning unreadable files into a
`CollectionError` for the collector's kinds) lives here once. Where the files are
read but cannot settle what the rules ask (a root device files cannot trace, a
daemon whose start condition files cannot evaluate), `unsettled(data)` names the
reason: the fact is kept as evidence and an error for this host's resource makes
every rule over the kind `error` with that reason, never `pass` or `fail`.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any, ClassVar

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.host.files import HostFiles, HostIdentity, HostReadError, HostTargetError
from annexa.model import CollectionError, Fact

__all__ = ["HostCollector"]


class HostCollector(Collector):
    """Base of the Linux host collectors: one fact of `kinds[0]` per host."""

    provider: ClassVar[str] = "host"
    # `root`: read files under this folder instead of / (tests, mounted images); `name`: the host's label.
    target_options: ClassVar[Mapping[str, type]] = {"root": str, "name": str}
    # Collected nightly: evidence older than two days means at least one night was missed.
    max_age: ClassVar[timedelta | None] = timedelta(days=2)

    @abc.abstractmethod
    def read(self, files: HostFiles) -> dict[str, Any]:
        """The fact's data, read through `files`. May raise `HostReadError`."""

    def unsettled(self, data: dict[str, Any]) -> str | None:
        """Why the files, though read, cannot settle this host's rules (None: they can)."""
        return None

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        try:
            identity = HostIdentity.for_target(target, context)
        except HostTargetError as err:
            yield CollectionError(kinds=self.kinds, scope={"provider": "host"}, message=str(err), code="bad_target")
            return
        files = HostFiles(identity.root)
        try:
            data = self.read(files)
        except HostReadError as err:
            context.log.warning("host.read_failed", collector=self.name, path=err.path, code=err.code)
            yield CollectionError(
                kinds=self.kinds,
                scope=identity.scope,
                message=str(err),
                operation=f"read {err.path}",
                code=err.code,
            )
            return
        yield Fact(
            kind=self.kinds[0],
            resource=identity.resource,
            scope=identity.scope,
            data=data,
            source=files.source(identity.principal),
        )
        reason = self.unsettled(data)
        if reason is not None:
            yield CollectionError(
                kinds=self.kinds,
                scope=identity.scope,
                message=reason,
                code="undetermined",
                resource=identity.resource,
            )
