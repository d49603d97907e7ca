"""Registers kept as files: column mapping, file:line errors, unreadable dates as errors, and the rules
(asset owners, supplier reviews per tier, audits and reviews held on schedule) over the demo's registers."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from annexa.collectors.base import Target
from annexa.collectors.registers.collector import RegisterCollector
from annexa.collectors.registry import load_registry
from annexa.demo.material import AUTHORED_ON, MATERIAL
from annexa.errors import UsageError
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import CollectionError, Fact

# The demo's registers are written as seen on AUTHORED_ON; judged that day, as the demo judges them today.
NOW = datetime(AUTHORED_ON.year, AUTHORED_ON.month, AUTHORED_ON.day, 12, tzinfo=timezone.utc)
SUPPLIERS = """\
Supplier,Risk tier,Security clauses,Last review
S1,high,yes,2026-06-01
S2,low,no,2024-06-01
"""
SUPPLIER_COLUMNS = {"id": "Supplier", "tier": "Risk tier", "security_clauses": "Security clauses",
                    "last_reviewed": "Last review"}  # fmt: skip


def _demo_targets() -> list[Target]:
    config = yaml.safe_load((MATERIAL / "annexa.yaml").read_text())
    targets = []
    for index, entry in enumerate(config["targets"]):
        if "register" in entry:
            options = dict(entry["register"], path=str(MATERIAL / entry["register"]["path"]))
            targets.append(Target("register", options, index=index))
    return targets


def _collect(targets: list[Target], context: Any) -> list[Fact | CollectionError]:
    return [item for target in targets for item in RegisterCollector().collect(target, context)]


def _statuses(items: list[Fact | CollectionError]) -> dict[tuple[str, str], str]:
    registry = load_registry()
    rules = load_rules(builtin_rule_files(), registry.kinds(), set(load_catalog().ids()))
    facts = [i for i in items if isinstance(i, Fact)]
    errors = [i for i in items if isinstance(i, CollectionError)]
    results = evaluate(facts, errors, rules, NOW, collected_kinds=set(RegisterCollector.kinds))
    return {(r.rule, r.resource): r.status for r in results}


def _target(tmp_path: Path, text: str, suffix: str = ".csv", **options: Any) -> Target:
    path = tmp_path / f"suppliers{suffix}"
    path.write_text(text)
    return Target("register", {"path": str(path), "register": "suppliers", "columns": SUPPLIER_COLUMNS, **options})


def test_demo_registers_give_the_planted_verdicts(context) -> None:  # type: ignore[no-untyped-def]
    items = _collect(_demo_targets(), context)
    assert [i for i in items if isinstance(i, CollectionError)] == []
    statuses = _statuses(items)
    failing = sorted(key for key, status in statuses.items() if status != "pass")
    assert failing == [
        ("register.asset-has-owner", "register:assets/AS-006"),  # the legacy exports have no owner
        ("register.asset-labelled", "register:assets/AS-006"),
        ("register.asset-reviewed", "register:assets/AS-006"),  # and nobody has reviewed them since last year
        ("register.supplier-reviewed", "register:suppliers/SUP-03"),  # high tier, last reviewed 14 months ago
        ("register.supplier-security-clauses", "register:suppliers/SUP-05"),  # the cleaners: no clauses
    ]
    assert statuses[("register.audit-programme-current", "register:internal-audits")] == "pass"
    assert statuses[("register.management-review-current", "register:management-reviews")] == "pass"
    assert statuses[("register.risk-reviewed", "register:risks/R-09")] == "pass"
    # planned in the future: not yet due, so not judged
    assert ("register.audit-held-as-planned", "register:internal-audits/IA-2027-1") not in statuses
    assert statuses[("register.authority-contact-reviewed", "register:contacts/CT-01")] == "pass"
    assert statuses[("register.interest-group-contact-reviewed", "register:contacts/CT-05")] == "pass"
    assert ("register.interest-group-contact-reviewed", "register:contacts/CT-01") not in statuses
    rules = {rule for rule, _ in statuses}
    assert len(rules) == len(
        yaml.safe_load((MATERIAL.parent.parent / "mappings/rules/registers.yaml").read_text())["rules"]
    )


def test_supplier_interval_follows_its_tier(tmp_path: Path, context) -> None:  # type: ignore[no-untyped-def]
    target = _target(tmp_path, SUPPLIERS, review_intervals={"high": "180d", "low": "1095d"})
    facts = list(RegisterCollector().collect(target, context))
    assert [f.data["review_interval_days"] for f in facts[:2]] == [180, 1095]
    statuses = _statuses(facts)
    assert statuses[("register.supplier-reviewed", "register:suppliers/S1")] == "fail"  # 183 days > 180
    assert statuses[("register.supplier-reviewed", "register:suppliers/S2")] == "pass"  # 913 days, low tier
    assert statuses[("register.supplier-security-clauses", "register:suppliers/S2")] == "fail"


def test_a_review_dated_after_the_collection_has_not_happened(tmp_path: Path, context) -> None:  # type: ignore[no-untyped-def]
    facts = list(RegisterCollector().collect(_target(tmp_path, SUPPLIERS.replace("2026-06-01", "2027-06-01")), context))
    assert _statuses(facts)[("register.supplier-reviewed", "register:suppliers/S1")] == "fail"


def test_yaml_registers_work_too(tmp_path: Path, context) -> None:  # type: ignore[no-untyped-def]
    text = "- {Supplier: S1, Risk tier: high, Security clauses: true, Last review: 2026-06-01}\n"
    (fact, summary) = RegisterCollector().collect(_target(tmp_path, text, ".yaml"), context)
    assert (fact.data["security_clauses"], fact.data["last_reviewed"], fact.data["review_interval_days"]) == (
        True,
        "2026-06-01",
        365,
    )
    assert summary.resource == "register:suppliers" and summary.data["latest_reviewed"] == "2026-06-01"


def test_an_unreadable_date_is_an_error_naming_file_and_line(tmp_path: Path, context) -> None:  # type: ignore[no-untyped-def]
    items = list(RegisterCollector().collect(_target(tmp_path, SUPPLIERS.replace("2024-06-01", "June 2024")), context))
    errors = [i for i in items if isinstance(i, CollectionError)]
    assert [(e.resource, e.message) for e in errors] == [
        (
            "register:suppliers/S2",
            f"{tmp_path / 'suppliers.csv'}:3: Last review (last_reviewed): 'June 2024' is not a date such as 2026-03-01",
        ),
        (
            "register:suppliers",
            f"{tmp_path / 'suppliers.csv'}:3: Last review (last_reviewed): 'June 2024' is not a date such as 2026-03-01",
        ),
    ]
    statuses = _statuses(items)
    assert statuses[("register.supplier-reviewed", "register:suppliers/S2")] == "error"
    assert statuses[("register.supplier-reviewed", "register:suppliers/S1")] == "pass"


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        (
            SUPPLIERS.replace("Risk tier", "Tier"),
            {},
            "suppliers.csv:1: declared column 'Risk tier' (tier) is not in the file",
        ),
        (SUPPLIERS.replace("S2,", "S1,"), {}, "suppliers.csv:3: duplicate id 'S1' (first at"),
        (
            SUPPLIERS.replace(",no,", ",maybe,"),
            {},
            "suppliers.csv:3: Security clauses (security_clauses): 'maybe' is not yes or no",
        ),
        (
            SUPPLIERS,
            {"review_intervals": {"high": "365d"}},
            "suppliers.csv:3: Risk tier (tier): 'low' has no interval in review_intervals",
        ),
        (SUPPLIERS, {"review_interval": "soon"}, "targets[0] (register): review_interval:"),
        (SUPPLIERS, {"register": "vendors"}, "targets[0] (register): `register` must be one of assets, suppliers"),
        (
            SUPPLIERS,
            {"classification_levels": ["public"]},
            "`classification_levels` applies only to a register of assets",
        ),
        ("- Supplier: [S1\n", {}, "suppliers.yaml:2: expected ',' or ']'"),
    ],
)
def test_bad_registers_name_file_and_line(tmp_path: Path, text: str, options: dict[str, Any], expected: str) -> None:
    suffix = ".yaml" if text.startswith("- ") else ".csv"
    with pytest.raises(UsageError) as info:
        RegisterCollector.preflight(_target(tmp_path, text, suffix, **options))
    assert expected in str(info.value) and "\n" not in str(info.value)
