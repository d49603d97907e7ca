"""The layout keeps the one-way flow (DESIGN.md): collectors -> evidence_store -> reports, with the
mappings judging in between.

- evidence_store/ and mappings/ never import collectors/, pipeline/ or config: they work on the
  core types in model.py, so a bundle is read and judged without any collector code.
- reports/ never import a network client (they read bundles, never a cloud) or config (a report
  shows what the run recorded, not today's configuration).
- collectors/ never import mappings/, pipeline/ or config: collectors only read; judging and
  orchestration happen elsewhere.
- Every fact kind a collector declares is judged by at least one rule.

Imports are read from the source, every `import` and `from ... import` (relative ones resolved,
those inside functions included), so a lazy import cannot hide a dependency; a second check
imports each package in a fresh interpreter and looks at what got loaded.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import annexa
from annexa.collectors.registry import load_registry
from annexa.mappings.catalog import load_catalog
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import ANNEX_A_2022_IDS

ROOT = Path(annexa.__file__).parent
NETWORK_CLIENTS = (
    "boto3",
    "botocore",
    "requests",
    "azure",
    "urllib3",
    "httpx",
    "socket",
    "http.client",
    "urllib.request",
)

# Fact kinds no rule judges, and why.
UNJUDGED_KINDS = {
    # The run's coverage record: which accounts were read, skipped (suspended) or could not be
    # entered. An account that could not be entered already makes every rule of that account
    # `error`; the record is there for the auditor, not for a verdict of its own.
    "aws.organizations.account": "coverage record",
    # The same for Google Cloud: each project of the organisation or folder, read or skipped.
    "gcp.resourcemanager.project": "coverage record",
    # Which operating system the host facts were read on: context for the auditor and for the
    # host rules' `where`, not a control by itself.
    "host.os": "context for the other host facts",
    # Fleet-wide counts (devices, owners, devices reporting) for the pack's completeness table; each
    # device is judged on its own facts, and staff against devices by the people join rules.
    "fleet.coverage": "coverage record",
    "people.headcount": "coverage record",
    "intune.coverage": "coverage record",
}


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, as absolute names (`from annexa import config` -> `annexa.config`)."""
    package = "annexa." + ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.rstrip(".").split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _offenders(folder: str, forbidden: tuple[str, ...], allowed: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    offenders = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        if path.name in allowed:
            continue
        for name in sorted(_imports(path)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    return offenders


@pytest.mark.parametrize("folder", ["evidence_store", "mappings"])
def test_the_store_and_the_mappings_import_no_collector_pipeline_or_config(folder: str) -> None:
    assert _offenders(folder, ("annexa.collectors", "annexa.pipeline", "annexa.config")) == []


def test_reports_import_no_network_client() -> None:
    assert _offenders("reports", NETWORK_CLIENTS) == []


def test_reports_import_no_config() -> None:
    """Reports judge a run with the settings stored in it, never with today's annexa.yaml."""
    assert _offenders("reports", ("annexa.config",)) == []


def test_collectors_import_no_mappings_pipeline_or_config() -> None:
    assert _offenders("collectors", ("annexa.mappings", "annexa.pipeline", "annexa.config")) == []


@pytest.mark.parametrize(
    ("packages", "forbidden"),
    [
        (("evidence_store", "mappings"), ("annexa.collectors", "annexa.pipeline", "annexa.config")),
        (("reports",), NETWORK_CLIENTS[:6]),
        (("collectors",), ("annexa.mappings", "annexa.pipeline", "annexa.config")),
    ],
)
def test_importing_a_package_loads_nothing_it_must_not(packages: tuple[str, ...], forbidden: tuple[str, ...]) -> None:
    """What a fresh interpreter has loaded after importing every module of the packages (transitively)."""
    code = (
        "import importlib, pkgutil, sys\n"
        f"for package in {packages!r}:\n"
        "    root = importlib.import_module('annexa.' + package)\n"
        "    for module in pkgutil.walk_packages(root.__path__, root.__name__ + '.'):\n"
        "        importlib.import_module(module.name)\n"
        f"print(sorted(k for k in sys.modules if any(k == f or k.startswith(f + '.') for f in {forbidden!r})))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_every_declared_fact_kind_is_judged_by_a_rule() -> None:
    registry = load_registry()
    rules = load_rules(builtin_rule_files() + registry.rule_files(), registry.kinds(), set(load_catalog().ids()))
    judged = {rule.fact for rule in rules} | {
        kind for rule in rules if rule.join is not None for kind in rule.join.kinds
    }
    assert sorted(registry.kinds() - judged) == sorted(UNJUDGED_KINDS)
    assert set(UNJUDGED_KINDS) <= registry.kinds()  # an exception for a kind that no longer exists is stale


def test_the_annex_a_ids_every_layer_checks_against_are_the_catalogs() -> None:
    assert list(load_catalog().ids()) == list(ANNEX_A_2022_IDS)
