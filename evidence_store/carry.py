"""Carrying forward the evidence of a collector that did not run.

When a collector that the configuration still expects does not run (its plugin
failed to load or was uninstalled), its batches from the previous run are copied
into the new run, marked `carried_from` with their original collection time. Its
results then keep that time and turn `stale` once older than their max age: an
auditor sees "stale since X" rather than the evidence silently vanishing
(`no_evidence`) or, worse, the control looking implemented on what remains.
Carrying costs nothing in storage: the facts and results are unchanged, so the
run's deltas do not mention them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from annexa.evidence_store.batches import batch_collector

__all__ = ["Carried", "CarryPolicy", "carry_forward"]

# (collector name, batch scope) -> whether its evidence should be carried into this run
CarryPolicy = Callable[[str, Mapping[str, str]], bool]


@dataclass(frozen=True)
class Carried:
    batches: dict[str, dict[str, Any]]
    facts: dict[tuple[str, str], tuple[Any, ...]]
    results: dict[tuple[str, str], tuple[Any, ...]]


def carry_forward(
    previous_seq: int,
    previous_batches: Mapping[str, Mapping[str, Any]],
    produced: Collection[str],
    policy: CarryPolicy,
    current_facts: Mapping[tuple[str, str], tuple[Any, ...]],
    current_results: Mapping[tuple[str, str], tuple[Any, ...]],
    rule_ids: Collection[str],
) -> Carried:
    """Batches of run `previous_seq` this run did not produce and `policy` wants kept, with
    their facts and results (only results of rules this run still has). Pure."""
    batches = {
        key: {**batch, "carried_from": batch.get("carried_from") or previous_seq}
        for key, batch in previous_batches.items()
        if key not in produced and policy(batch_collector(key), batch["scope"])
    }
    # fact values are (hash, batch, ...); result values are (status, message, batch, controls, ...):
    # a live state's entries, which end with their `since`
    facts = {key: value for key, value in current_facts.items() if value[1] in batches}
    results = {key: value for key, value in current_results.items() if value[2] in batches and key[0] in rule_ids}
    return Carried(batches, facts, results)
