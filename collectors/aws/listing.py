"""The two shapes most AWS evidence takes, written once: a listed resource, and a region setting.

`listed()` pages one List/Describe operation and yields one fact per item; when the
listing fails, one error for the kind in that account and region. `setting()` reads one
account- or region-level setting (`<account>:<region>`); an `absent` error code means
"not configured", a real answer (e.g. GuardDuty never enabled), not a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.session import AwsAccount, call_optional, operation_name, paginate
from annexa.model import CollectionError, Fact

__all__ = ["listed", "setting"]


def listed(
    account: AwsAccount,
    region: str,
    kind: str,
    service: str,
    method: str,
    key: str,
    resource: Callable[[dict[str, Any]], str],
    data: Callable[[dict[str, Any]], dict[str, Any]],
    **params: Any,
) -> Iterator[Fact | CollectionError]:
    """One fact per item that `method` lists under `key` (every page)."""
    client = account.client(service, account.home_region if region == "global" else region)
    try:
        items, pages = paginate(client, method, key, **params)
    except AwsCallError as exc:
        yield exc.to_collection_error((kind,), account.scope(region))
        return
    source = account.source([operation_name(client, method)], client, pages)
    for item in items:
        yield Fact(kind=kind, resource=resource(item), scope=account.scope(region), data=data(item), source=source)


def setting(
    account: AwsAccount,
    region: str,
    kind: str,
    service: str,
    reads: Iterable[tuple[str, dict[str, Any]]],
    data: Callable[[list[dict[str, Any] | None]], dict[str, Any]],
    absent: tuple[str, ...] = (),
) -> Fact | CollectionError:
    """One fact for `<account>:<region>` built from the answers of `reads` ((method, params) pairs).

    A read answering an `absent` code gives None to `data`; any other failure is the error.
    """
    client = account.client(service, account.home_region if region == "global" else region)
    resource = f"{account.account_id}:{region}"
    answers: list[dict[str, Any] | None] = []
    operations = []
    try:
        for method, params in reads:
            operations.append(operation_name(client, method))
            answers.append(call_optional(client, method, absent, **params))
    except AwsCallError as exc:
        return exc.to_collection_error((kind,), account.scope(region), resource)
    return Fact(
        kind=kind,
        resource=resource,
        scope=account.scope(region),
        data=data(answers),
        source=account.source(operations, client),
    )
