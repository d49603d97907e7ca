"""A modelled AWS API for focused collector tests: botocore's own service models answer every call.

`ModelledApi` replaces `BaseClient._make_api_call`. Each answer is built from the operation's
output shape: every list holds one item, strings name their member and the page or call they
came from (`KeyId-2`), enums take their first value. An operation botocore pages answers two
pages, the first with a next token, so a collector that does not follow it loses the second
item. `fail(operation, call)` makes one call fail with AccessDenied; `answers` sets fields of
an operation's answers (a KMS key's KeyManager).

Nothing here is a real AWS response: these tests check paging and what a failed call becomes,
not the shape of the evidence (the demo account and the golden files do that).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from botocore import xform_name
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from botocore.model import Shape
from botocore.stub import Stubber

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.session import GLOBAL, AwsAccount
from annexa.collectors.aws.spec import Listing, Setting
from annexa.model import CollectionError, Fact

from .verdicts import verdicts as platform_verdicts

__all__ = ["ModelledApi", "assert_pages_and_errors", "modelled_account", "stubbed_account", "verdicts"]

REGION = "eu-west-1"
ACCOUNT = "111122223333"
NEXT = "page-2"


def _fake(shape: Shape, name: str, n: int, depth: int = 0) -> Any:
    if shape.type_name == "structure":
        if depth > 6:
            return {}
        return {member: _fake(inner, member, n, depth + 1) for member, inner in shape.members.items()}
    if shape.type_name == "list":
        return [_fake(shape.member, name, n, depth + 1)] if depth <= 6 else []
    if shape.type_name == "map":
        return {f"{name}-key-{n}": _fake(shape.value, name, n, depth + 1)} if depth <= 6 else {}
    if shape.type_name == "string" and name.endswith("Document"):
        return '{"Statement": []}'  # IAM policy documents are JSON; the model says only "string"
    if shape.type_name == "string":
        return shape.enum[0] if shape.enum else f"{name}-{n}"
    if shape.type_name in ("integer", "long"):
        return n
    if shape.type_name in ("float", "double"):
        return float(n)
    if shape.type_name == "boolean":
        return True
    if shape.type_name == "timestamp":
        return datetime(2026, 1, n, tzinfo=timezone.utc)
    if shape.type_name == "blob":
        return b"blob"
    return None


def _merge(answer: dict[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in fields.items():
        if isinstance(value, Mapping) and isinstance(answer.get(key), dict):
            _merge(answer[key], value)
        else:
            answer[key] = value
    return answer


def _set(answer: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        answer = answer.setdefault(part, {})
    answer[last] = value


def _tokens(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or ())


class ModelledApi:
    """Answers every AWS call from botocore's model; see the module docstring."""

    def __init__(self, answers: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.answers = dict(answers or {})
        self.calls: Counter[str] = Counter()
        self._fail: tuple[str, int] | None = None

    def fail(self, operation: str | None, call: int = 1) -> None:
        """Make the `call`-th call of `operation` (`acm:ListCertificates`) fail; None: fail nothing."""
        self._fail = (operation, call) if operation else None
        self.calls.clear()

    def answer(self, client: BaseClient, name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        operation = f"{client.meta.service_model.service_name}:{name}"
        self.calls[operation] += 1
        if self._fail == (operation, self.calls[operation]):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": f"denied {name}"}}, name)
        model = client.meta.service_model.operation_model(name)
        method = xform_name(name)
        paging = client.get_paginator(method)._pagination_cfg if client.can_paginate(method) else None
        second = paging is not None and any(params.get(t) == NEXT for t in _tokens(paging["input_token"]))
        n = (2 if second else 1) if paging else self.calls[operation]
        answer = _fake(model.output_shape, name, n) if model.output_shape is not None else {}
        if paging:
            for token in _tokens(paging["output_token"]):
                _set(answer, token, None if second else NEXT)
            if paging.get("more_results"):
                _set(answer, paging["more_results"], not second)
        return _merge(answer, self.answers.get(name, {}))

    @contextmanager
    def installed(self) -> Iterator[ModelledApi]:
        api = self

        def make_api_call(client: BaseClient, name: str, params: dict[str, Any]) -> Any:
            return api.answer(client, name, params)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(BaseClient, "_make_api_call", make_api_call)
            yield self


PRINCIPAL = f"arn:aws:sts::{ACCOUNT}:assumed-role/annexa-audit/annexa"


def modelled_account() -> AwsAccount:
    """An account entered with fake credentials: only a fake API (ModelledApi, Stubber) answers."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    return AwsAccount(session=session, account_id=ACCOUNT, principal=PRINCIPAL, regions=(REGION,))


def stubbed_account(service: str) -> tuple[AwsAccount, Stubber]:
    """The account and an active botocore Stubber on its `service` client in REGION: for answers
    moto does not model, given in the shape botocore's model validates."""
    account = modelled_account()
    stubber = Stubber(account.client(service, REGION))
    stubber.activate()
    return account, stubber


def verdicts(facts: list[Fact]) -> dict[tuple[str, str], str]:
    """Each built-in AWS rule's status per resource over `facts`."""
    return platform_verdicts(facts, "aws")


def _collect(collector: AwsCollector, api: ModelledApi, failing: str | None = None, call: int = 1) -> list[Any]:
    api.fail(failing, call)
    region = REGION if collector.per_region else GLOBAL
    return list(collector.collect_unit(modelled_account(), region))


def assert_pages_and_errors(collector: AwsCollector, answers: Mapping[str, Mapping[str, Any]] | None = None) -> None:
    """Every Listing of `collector` reads both pages of its listing, and every call it makes, failing,
    becomes error evidence for exactly what it concerns (the other items still arrive)."""
    api = ModelledApi(answers)
    with api.installed():
        for spec in collector.specs:
            clean = _collect(collector, api)
            called = +api.calls
            facts, errors = _of(clean, spec.kinds)
            assert errors == [], spec.kind
            if isinstance(spec, Listing):
                _listing(collector, api, spec, facts, called)
            else:
                _setting(collector, api, spec, facts, called)


def _of(items: list[Any], kinds: tuple[str, ...]) -> tuple[list[Fact], list[CollectionError]]:
    facts = [i for i in items if isinstance(i, Fact) and i.kind in kinds]
    errors = [i for i in items if isinstance(i, CollectionError) and set(i.kinds) & set(kinds)]
    return facts, errors


def _listing(collector: AwsCollector, api: ModelledApi, spec: Listing, facts: list[Fact], called: Counter[str]) -> None:
    listing = f"{spec.service}:{spec.operation}"
    assert len(facts) == 2 and len({f.resource for f in facts}) == 2, f"{spec.kind}: one item per page, two pages"
    assert {f.source.pages for f in facts} == {2} and called[listing] == 2, spec.kind
    for call in (1, 2):  # a failed first or second page: an error for the kind, never a partial list
        facts_after, errors = _of(_collect(collector, api, listing, call), spec.kinds)
        assert facts_after == [] and [(e.kinds, e.resource, e.operation) for e in errors] == [
            (spec.kinds, None, listing)
        ], (spec.kind, call)
    first = sorted(facts, key=lambda f: f.resource)[0].resource
    for detail in dict.fromkeys(d.name(spec.service) for d in spec.details):
        if not called[detail]:
            continue  # not called for these items (its `when`): nothing to fail
        facts_after, errors = _of(_collect(collector, api, detail), spec.kinds)
        assert [(e.kinds, e.resource, e.operation) for e in errors] == [((spec.kind,), first, detail)], detail
        assert [f.resource for f in facts_after] == [f.resource for f in facts if f.resource != first], detail


def _setting(collector: AwsCollector, api: ModelledApi, spec: Setting, facts: list[Fact], called: Counter[str]) -> None:
    assert [f.resource for f in facts] == [f"{ACCOUNT}:{REGION if collector.per_region else GLOBAL}"], spec.kind
    for read in dict.fromkeys(spec.operations()):
        if not called[read]:
            continue
        facts_after, errors = _of(_collect(collector, api, read), spec.kinds)
        assert facts_after == [] and [(e.resource, e.operation) for e in errors] == [(facts[0].resource, read)], read
