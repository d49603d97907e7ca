"""Shared fixtures (the fakes live in tests/fakes/: the fake collector, AWS, Azure, GitHub)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from fakes import FAKE_RULES, FakeCollector
from fakes.aws import credentials_env, only_these_aws_variables
from servers import moto_server

from annexa.collectors.base import Context
from annexa.collectors.registry import Registry, load_registry

_REPO_ROOT_INIT = (Path(__file__).resolve().parent.parent / "__init__.py").resolve()


@pytest.fixture(autouse=True)
def _unshadow_checkout_package() -> None:
    """The repository root is a package (`annexa`), and pytest imports it under its folder's
    name when it sets up the root package. A checkout folder named like a namespace package
    a dependency uses (`azure`, `google`) would then hide that dependency; drop the alias."""
    folder = _REPO_ROOT_INIT.parent.name
    if folder == "annexa":  # the checkout folder is named like the package: that alias IS the package
        return
    module = sys.modules.get(folder)
    if module is not None and getattr(module, "__file__", None) and Path(module.__file__).resolve() == _REPO_ROOT_INIT:
        del sys.modules[folder]


@pytest.fixture
def fake_registry() -> Registry:
    return Registry(collectors={"fake.buckets": FakeCollector})


@pytest.fixture
def fake_rules_file(tmp_path: Path) -> Path:
    path = tmp_path / "fake-rules.yaml"
    path.write_text(FAKE_RULES)
    return path


@pytest.fixture
def context() -> Context:
    return Context(run_id="test", log=structlog.get_logger())


@pytest.fixture
def fake_collector_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run in process see the fake collector next to the installed ones."""

    def registry_with_fake() -> Registry:
        registry = load_registry()
        registry.collectors["fake.buckets"] = FakeCollector
        return registry

    monkeypatch.setattr("annexa.pipeline.workspace.load_registry", registry_with_fake)


@pytest.fixture
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials only: no profile, shared config or endpoint of this machine reaches boto3."""
    only_these_aws_variables(monkeypatch, credentials_env())


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """`moto_server` over HTTP on 127.0.0.1, one per test module (reset it through /moto-api/reset)."""
    with moto_server() as url:
        yield url
