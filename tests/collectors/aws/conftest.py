"""Fixtures for the AWS collectors: moto-backed accounts (empty, or the demo account), a target,
and fault injection."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import moto
import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from fakes.aws import (
    ORG_REGIONS,
    REGION,
    Collected,
    collect,
    credentials_env,
    only_these_aws_variables,
    seed_organization,
)
from moto.moto_api._internal import mock_random

from annexa.collectors.base import Collector, Context, Target
from annexa.demo.aws import Expectation, seed


@pytest.fixture
def mocked(fake_aws_credentials: None) -> Iterator[boto3.Session]:
    """An in-process moto account, and a session to seed it with."""
    with moto.mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture(scope="module")
def demo_account() -> Iterator[list[Expectation]]:
    """The demo account (demo/aws.py) in moto, seeded once per module, and what each rule must say.

    moto's random generator is seeded first, so resource ids are the same on every run. A module
    that uses it must not also use `mocked` (one moto at a time)."""
    with pytest.MonkeyPatch.context() as mp, moto.mock_aws():
        only_these_aws_variables(mp, credentials_env())
        mock_random.seed(19)
        yield seed(boto3.Session(region_name=REGION), REGION)


@pytest.fixture
def target() -> Target:
    return Target(provider="aws", options={"regions": [REGION]}, index=0)


@pytest.fixture
def run(target: Target, context: Context) -> Callable[[Collector], Collected]:
    """Run one collector over the target and split what it yields."""
    return lambda collector: collect([collector], target, context)


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


@pytest.fixture
def e2e_organization() -> Iterator[dict[str, Any]]:
    """The e2e organisation (tests/e2e/test_aws_org_e2e.py, fakes.aws.seed_organization) in process:
    the `sandbox` member's role refuses to be assumed."""
    with pytest.MonkeyPatch.context() as mp, moto.mock_aws():
        only_these_aws_variables(mp, credentials_env())
        mock_random.seed(19)
        seeded = seed_organization(boto3.Session(region_name=ORG_REGIONS[0]))
        real = BaseClient._make_api_call
        sandbox = seeded["ids"]["sandbox"]

        def refuse_sandbox(client: Any, name: str, params: dict[str, Any]) -> Any:
            if name == "AssumeRole" and f"::{sandbox}:" in params.get("RoleArn", ""):
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, name)
            return real(client, name, params)

        mp.setattr(BaseClient, "_make_api_call", refuse_sandbox)
        yield seeded
