"""Shared helpers for the host collector tests: build file trees, run collectors."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import structlog
import yaml

import annexa.collectors.host as host_package
import annexa.mappings as mappings_package
from annexa.collectors.base import Context, Target
from annexa.collectors.host.collector import HostCollector
from annexa.model import CollectionError, Fact

FIXTURES = Path(__file__).parent / "fixtures"
RULES_FILE = Path(mappings_package.__file__).parent / "rules" / "host.yaml"


def _host_collectors() -> list[type[HostCollector]]:
    """Every HostCollector subclass in the package, found by walking its modules."""
    for module in pkgutil.iter_modules(host_package.__path__):
        importlib.import_module(f"{host_package.__name__}.{module.name}")
    return sorted(HostCollector.__subclasses__(), key=lambda cls: cls.name)


@pytest.fixture
def host_collectors() -> list[type[HostCollector]]:
    return _host_collectors()


@pytest.fixture
def host_rules() -> dict[str, dict[str, Any]]:
    """The rules of mappings/rules/host.yaml by id, as plain YAML."""
    return {rule["id"]: rule for rule in yaml.safe_load(RULES_FILE.read_text())["rules"]}


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def tree(tmp_path: Path) -> Callable[..., Path]:
    """Write `{"/etc/x": "text"}` files and `{"/etc/link": "target"}` symlinks under a fresh root per call."""
    roots = iter(range(1_000_000))

    def build(files: dict[str, str] | None = None, links: dict[str, str] | None = None) -> Path:
        root = tmp_path / f"root{next(roots)}"
        root.mkdir()
        for path, text in (files or {}).items():
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        for path, link in (links or {}).items():
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(link)
        return root

    return build


@pytest.fixture
def collect() -> Callable[..., list[Fact | CollectionError]]:
    """Run one collector against a root directory (or other host options)."""

    def run(collector: type[HostCollector], root: Path | str, **options: Any) -> list[Fact | CollectionError]:
        target = Target(provider="host", options={"root": str(root), **options}, index=0)
        context = Context(run_id="test", log=structlog.get_logger())
        return list(collector().collect(target, context))

    return run


@pytest.fixture
def fact_data(collect: Callable[..., list[Fact | CollectionError]]) -> Callable[..., dict[str, Any]]:
    """Run one collector and return the data of its single fact (failing on errors)."""

    def run(collector: type[HostCollector], root: Path | str, **options: Any) -> dict[str, Any]:
        items = collect(collector, root, **options)
        assert len(items) == 1 and isinstance(items[0], Fact), items
        return items[0].data

    return run
