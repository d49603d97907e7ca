"""Shared fixtures (the fake collector world lives in fakes.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import structlog
from fakes import FAKE_RULES, FakeCollector

from annexa.collectors.base import Context
from annexa.collectors.registry import Registry


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
