"""Fixtures for the AWS collectors: a moto-backed account, a target, and fault injection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import moto
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from annexa.collectors.base import Collector, Context, Target
from annexa.model import CollectionError, Fact

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account


@dataclass
class Collected:
    facts: list[Fact] = field(default_factory=list)
    errors: list[CollectionError] = field(default_factory=list)

    def of(self, kind: str) -> list[Fact]:
        return [fact for fact in self.facts if fact.kind == kind]

    def by_resource(self, kind: str) -> dict[str, Fact]:
        return {fact.resource: fact for fact in self.of(kind)}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Fake credentials only; no shared config from the machine, no real endpoint override."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


@pytest.fixture
def mocked(aws_env: None) -> Iterator[boto3.Session]:
    """An in-process moto account, and a session to seed it with."""
    with moto.mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture
def target() -> Target:
    return Target(provider="aws", options={"regions": [REGION]}, index=0)


@pytest.fixture
def run(target: Target, context: Context) -> Callable[[Collector], Collected]:
    """Run one collector over the target and split what it yields."""

    def _run(collector: Collector) -> Collected:
        out = Collected()
        for item in collector.collect(target, context):
            if isinstance(item, Fact):
                out.facts.append(item)
            else:
                assert isinstance(item, CollectionError), f"unexpected item {item!r}"
                out.errors.append(item)
        return out

    return _run


@pytest.fixture
def deny(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Make one API operation fail with an AWS error code, optionally only for some parameters."""

    def _deny(
        service: str,
        operation: str,
        code: str = "AccessDenied",
        when: Callable[[dict[str, Any]], bool] = lambda params: True,
    ) -> None:
        original = BaseClient._make_api_call

        def failing(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
            if self.meta.service_model.service_name == service and operation_name == operation and when(api_params):
                raise ClientError(
                    {"Error": {"Code": code, "Message": f"User is not authorized to {operation}"}}, operation_name
                )
            return original(self, operation_name, api_params)

        monkeypatch.setattr(BaseClient, "_make_api_call", failing)

    return _deny
