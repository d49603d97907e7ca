"""The evaluator holds every result until the run is committed: values results repeat are held
once, and sharing never changes what a result says."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fakes import fake_fact

from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import Evaluator
from annexa.mappings.rules import load_rules
from annexa.model import Fact

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def _fact(name: str, scope: dict[str, Any], encrypted: bool = True) -> Fact:
    return dataclasses.replace(fake_fact(name, {"encrypted": encrypted, "versioning": "Enabled"}), scope=scope)


def test_results_share_repeated_values_but_keep_their_own_scope_and_message(fake_rules_file: Path) -> None:
    rules = load_rules([fake_rules_file], {"fake.bucket"}, set(load_catalog().ids()))
    evaluator = Evaluator(rules, NOW)
    for number in range(3):  # equal scopes, each its own dict (as each stored fact has)
        evaluator.add(_fact(f"b{number}", {"provider": "fake", "account": "1", "region": "r"}))
    evaluator.add(_fact("flagged", {"provider": "fake", "account": True, "region": "r"}))
    evaluator.add(_fact("numbered", {"provider": "fake", "account": 1, "region": "r"}, encrypted=False))
    evaluator.add(_fact("listed", {"provider": "fake", "account": ["1"], "region": "r"}))
    results = {r.resource: r for r in evaluator.finish([], ["fake.bucket"]) if r.rule == "fake.bucket-encrypted"}
    assert results["b0"].scope is results["b1"].scope is results["b2"].scope
    assert results["b0"].message is results["b1"].message
    assert results["b0"].collected_at is results["b2"].collected_at
    assert results["flagged"].scope["account"] is True
    assert type(results["numbered"].scope["account"]) is int  # not the equal True before it
    assert results["numbered"].status == "fail" and results["numbered"].message.startswith("not satisfied")
    assert results["listed"].scope["account"] == ["1"]
