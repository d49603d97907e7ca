"""One pool for every AWS collector of every target: limits hold, clients live per unit, and the stored
run does not depend on which unit finished first; a failing account or unit stays `error`."""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import structlog
import structlog.testing
from fakes.aws import ORG_REGIONS

from annexa.collectors.aws import collector as aws_collector
from annexa.collectors.aws.collector import collect_together
from annexa.collectors.aws.ec2 import Ec2Collector
from annexa.collectors.aws.fanout import fan_out
from annexa.collectors.aws.kms import KmsCollector
from annexa.collectors.aws.session import AwsAccount, new_session, unit_clients
from annexa.collectors.aws.snapshots import SnapshotsCollector
from annexa.collectors.base import Context, Finished, Stored, Target
from annexa.collectors.registry import load_registry
from annexa.config import load_config
from annexa.evidence_store.store import Store, open_store
from annexa.mappings.catalog import load_catalog
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import CollectionError, Fact
from annexa.pipeline.runner import run_collection

COLLECTORS = ("aws.ec2", "aws.kms", "aws.dynamodb", "aws.organizations", "aws.logs")
TIMING = {"run_id", "started_at", "finished_at", "collected_at", "duration_s"}


def test_fan_out_keeps_every_limit_and_marks_each_unit_ended() -> None:
    units = [(account, n) for n in range(6) for account in ("a", "b", "c")]
    running: dict[str, int] = {}
    most: dict[str, int] = {}
    lock = threading.Lock()

    def work(unit: tuple[str, int]) -> Iterator[str]:
        keys = [unit[0], f"n{unit[1] % 2}"]
        with lock:
            for key in keys:
                running[key] = running.get(key, 0) + 1
                most[key] = max(most.get(key, 0), running[key])
        time.sleep(0.01)
        yield f"{unit[0]}{unit[1]}"
        with lock:
            for key in keys:
                running[key] -= 1

    def limits(unit: tuple[str, int]) -> list[tuple[str, int]]:
        return [(unit[0], 2), (f"n{unit[1] % 2}", 3)]

    seen = list(fan_out(units, work, lambda u, e: "crashed", workers=8, limits=limits, ended=lambda u: f"end:{u}"))
    assert max(most[a] for a in "abc") <= 2 and max(most["n0"], most["n1"]) <= 3
    assert max(most[a] for a in "abc") == 2  # the limit is used, not just respected
    assert len(seen) == 2 * len(units)
    for account, n in units:  # each unit's end comes after its item
        assert seen.index(f"end:{(account, n)}") > seen.index(f"{account}{n}")


def test_a_unit_that_raises_is_still_marked_ended() -> None:
    def work(unit: int) -> Iterator[int]:
        if unit == 1:
            raise RuntimeError("bug")
        yield unit

    seen = list(fan_out([0, 1, 2], work, lambda u, e: f"crashed:{u}", workers=2, ended=lambda u: f"end:{u}"))
    assert sorted(map(str, seen)) == ["0", "2", "crashed:1", "end:0", "end:1", "end:2"]
    assert seen.index("end:1") > seen.index("crashed:1")


def test_clients_belong_to_their_unit(mocked: boto3.Session) -> None:
    account = AwsAccount(
        session=new_session(), account_id="123456789012", principal="arn:aws:iam::1:root", regions=("us-east-1",)
    )
    with unit_clients():
        first = account.client("ec2")
        assert account.client("ec2") is first  # one client per service and region within the unit
    assert account._clients == {}  # nothing kept on the account for the run
    with unit_clients():
        assert account.client("ec2") is not first
    outside = account.client("sts")  # entering accounts (no unit) keeps its clients on the account
    assert account.client("sts") is outside


def _target() -> Target:
    options = {"organization": True, "role_name": "annexa-audit", "regions": list(ORG_REGIONS)}
    return Target("aws", options, 0)


@pytest.mark.parametrize("service_limit", [1, 2])  # without the limit, 2 ec2 units overlap
def test_the_pool_keeps_its_limits_and_says_when_each_collector_is_done(
    e2e_organization: dict[str, Any], monkeypatch: pytest.MonkeyPatch, service_limit: int
) -> None:
    running: dict[Any, int] = {}
    most: dict[Any, int] = {}
    lock = threading.Lock()
    real = aws_collector.AwsCollector.collect_unit

    def counted(self: aws_collector.AwsCollector, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        keys = [("collector", self.name), ("account", account.account_id)]
        if self.name in ("aws.ec2", "aws.snapshots"):  # both call EC2's API
            keys.append(("ec2", f"{account.account_id}/{region}"))
        with lock:
            for key in keys:
                running[key] = running.get(key, 0) + 1
                most[key] = max(most.get(key, 0), running[key])
        try:
            time.sleep(0.02)
            yield from real(self, account, region)
        finally:
            with lock:
                for key in keys:
                    running[key] -= 1

    monkeypatch.setattr(aws_collector.AwsCollector, "collect_unit", counted)
    monkeypatch.setattr(aws_collector, "ACCOUNT_LIMIT", 1)  # two regions: at most two units per account
    monkeypatch.setattr(aws_collector, "SERVICE_LIMIT", service_limit)
    target = Target("aws", {**_target().options, "max_workers": 6}, 0)
    collectors = [Ec2Collector(), KmsCollector(), SnapshotsCollector()]
    items = list(collect_together([(c, target) for c in collectors], Context(run_id="t", log=structlog.get_logger())))
    assert max(n for (what, _), n in most.items() if what == "collector") <= 3  # half of max_workers
    assert max(n for (what, _), n in most.items() if what == "account") <= len(ORG_REGIONS)
    assert max(n for (what, _), n in most.items() if what == "ec2") <= service_limit
    for index in range(len(collectors)):
        mine = [item for i, item in items if i == index]
        assert mine[-1] == Finished(index) and mine.count(Finished(index)) == 1
    sandbox = e2e_organization["ids"]["sandbox"]
    refused = [item for _, item in items if isinstance(item, CollectionError) and item.scope.get("account") == sandbox]
    assert sorted(error.kinds for error in refused) == sorted(c.kinds for c in collectors)


ORGANIZATION = (
    f"  - aws: {{organization: true, role_name: annexa-audit, regions: [{', '.join(ORG_REGIONS)}],"
    f" collectors: [{', '.join(COLLECTORS)}]}}\n"
)


def _run(tmp_path: Path, name: str, targets: str = ORGANIZATION, logs: list[Any] | None = None) -> Store:
    """A run of `targets` (YAML list items) into a store of its own; its log lines go to `logs`."""
    path = tmp_path / f"{name}.yaml"
    path.write_text("targets:\n" + targets)
    registry, catalog = load_registry(), load_catalog()
    config = load_config(path, registry, catalog)
    rules = load_rules(builtin_rule_files(), registry.kinds(), set(catalog.ids()))
    store = open_store(str(tmp_path / name))
    with structlog.testing.capture_logs() as captured:
        run_collection(config, registry, rules, catalog, store, structlog.get_logger())
    if logs is not None:
        logs.extend(captured)
    return store


def _without_timing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timing(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [_without_timing(v) for v in value]
    return value


def _content(store: Store) -> dict[str, Any]:
    run = store.resolve("latest")
    manifest = _without_timing(store.manifest(run.seq))
    for key in ("config", "mappings"):  # the same content, in stores of their own
        manifest[key].pop("object")
    return {
        "manifest": manifest,
        "facts": sorted((f.kind, f.resource, f.hash) for f in store.facts(run)),
        "results": [(r.rule, r.resource, r.status, r.message, tuple(r.controls)) for r in store.results(run)],
    }


def test_the_stored_run_does_not_depend_on_which_unit_finished_first(
    e2e_organization: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _content(_run(tmp_path, "in-order"))

    # The same organisation with the units queued in reverse and each one delayed at random:
    # collectors, accounts and regions finish in another order.
    real_units, real_unit = aws_collector._units, aws_collector.AwsCollector.collect_unit
    shuffle = random.Random(7)
    monkeypatch.setattr(aws_collector, "_units", lambda *args: list(reversed(real_units(*args))))

    def late(self: aws_collector.AwsCollector, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        time.sleep(shuffle.random() * 0.05)
        yield from real_unit(self, account, region)

    monkeypatch.setattr(aws_collector.AwsCollector, "collect_unit", late)
    second = _content(_run(tmp_path, "reversed"))

    assert second == first
    manifest = first["manifest"]
    selected = [c.name for c in load_registry().for_provider("aws") if c.name in COLLECTORS]
    assert [c["collector"] for c in manifest["collectors"]] == selected  # the selection's order, not the finishing one
    sandbox = e2e_organization["ids"]["sandbox"]
    refused = [e for e in manifest["errors"] if e["scope"].get("account") == sandbox]
    # The account that could not be entered is error evidence for every collector that reads accounts.
    assert {e["code"] for e in refused} == {"AccessDenied"} and len(refused) == len(COLLECTORS) - 1
    assert any(r[2] == "error" and sandbox in r[1] for r in first["results"])


def test_a_unit_that_crashes_is_error_for_its_collector_account_and_region_only(
    e2e_organization: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    prod = e2e_organization["ids"]["prod"]
    real = KmsCollector.collect_unit

    def broken(self: KmsCollector, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        if account.account_id == prod and region == ORG_REGIONS[1]:
            raise RuntimeError("bug")
        yield from real(self, account, region)

    monkeypatch.setattr(KmsCollector, "collect_unit", broken)
    collectors = [Ec2Collector(), KmsCollector()]
    items = list(
        collect_together([(c, _target()) for c in collectors], Context(run_id="t", log=structlog.get_logger()))
    )
    crashed = [item for _, item in items if isinstance(item, CollectionError) and item.code == "CollectorCrashed"]
    assert [(e.kinds, e.scope) for e in crashed] == [
        (KmsCollector.kinds, {"provider": "aws", "account": prod, "region": ORG_REGIONS[1]})
    ]
    facts = [item for _, item in items if isinstance(item, Fact)]
    assert any(f.kind.startswith("aws.kms") and f.scope.get("account") == prod for f in facts)  # its other region
    assert any(f.kind.startswith("aws.ec2") and f.scope == crashed[0].scope for f in facts)  # the other collector


def test_a_pool_that_fails_is_error_evidence_for_every_collector_on_it(
    e2e_organization: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("bug in the pool")

    monkeypatch.setattr(aws_collector, "resolve", broken)
    store = _run(tmp_path, "broken")
    manifest = store.manifest(1)
    assert manifest["status"] == "partial"
    assert {c["collector"]: c["status"] for c in manifest["collectors"]} == {name: "error" for name in COLLECTORS}
    assert sorted(e["code"] for e in manifest["errors"]) == ["CollectorCrashed"] * len(COLLECTORS)
    assert {r.status for r in store.results(store.resolve("latest"))} == {"error"}


def test_workers_store_the_facts_themselves_when_the_runner_asks(e2e_organization: dict[str, Any]) -> None:
    """With Context.store set, each fact is stored on the worker's thread (off the thread that
    judges every fact) and comes back as Stored: the fact as collected and as stored."""
    threads: set[str] = set()

    def store(fact: Fact, collector: str) -> Fact:
        threads.add(threading.current_thread().name)
        return dataclasses.replace(fact, resource=f"stored:{fact.resource}")

    context = Context(run_id="t", log=structlog.get_logger(), store=store)
    items = [item for _i, item in collect_together([(KmsCollector(), _target())], context)]
    stored = [item for item in items if isinstance(item, Stored)]
    assert stored and not any(isinstance(item, Fact) for item in items)
    assert all(item.stored.resource == f"stored:{item.fact.resource}" for item in stored)
    assert threads and threading.current_thread().name not in threads


def test_the_collectors_of_several_targets_share_one_pool_each_target_within_its_share(
    e2e_organization: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two AWS targets run on one pool (one `aws_pool_finished`), not one after the other; the
    target with `max_workers: 2` never has more than 2 units running, the other runs beside it."""
    prod = e2e_organization["ids"]["prod"]
    narrow = Target("aws", {**_target().options, "max_workers": 2}, 0)
    wide = Target("aws", {"accounts": [prod], "role_name": "annexa-audit", "regions": list(ORG_REGIONS)}, 1)
    members = [(Ec2Collector(), narrow), (KmsCollector(), narrow), (Ec2Collector(), wide), (KmsCollector(), wide)]
    of_target = {id(collector): target.index for collector, target in members}
    running: dict[int, int] = {0: 0, 1: 0}
    most: dict[int, int] = {0: 0, 1: 0}
    together = []
    lock = threading.Lock()
    real = aws_collector.AwsCollector.collect_unit

    def counted(self: aws_collector.AwsCollector, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        mine = of_target[id(self)]
        with lock:
            running[mine] += 1
            most[mine] = max(most[mine], running[mine])
            together.append(running[0] > 0 and running[1] > 0)
        try:
            time.sleep(0.03)
            yield from real(self, account, region)
        finally:
            with lock:
                running[mine] -= 1

    monkeypatch.setattr(aws_collector.AwsCollector, "collect_unit", counted)
    with structlog.testing.capture_logs() as logs:
        items = list(collect_together(members, Context(run_id="t", log=structlog.get_logger())))

    assert most[0] == 2  # its share, used and never passed
    assert any(together)  # the second target did not wait for the first
    (pool,) = [line for line in logs if line["event"] == "aws_pool_finished"]
    assert pool["targets"] == [narrow.label, wide.label] and pool["workers"] > 2
    for index, (collector, target) in enumerate(members):
        mine = [item for i, item in items if i == index]
        assert mine[-1] == Finished(index) and mine.count(Finished(index)) == 1
        facts = [item for item in mine if isinstance(item, Fact)]
        assert facts and all(fact.kind in collector.kinds for fact in facts)
        if target is wide:
            assert {fact.scope.get("account") for fact in facts} == {prod}


def test_a_run_with_two_aws_targets_collects_them_on_one_pool(e2e_organization: dict[str, Any], tmp_path: Path) -> None:
    prod = e2e_organization["ids"]["prod"]
    logs: list[Any] = []
    store = _run(
        tmp_path,
        "two",
        f"  - aws: {{organization: true, role_name: annexa-audit, regions: [{', '.join(ORG_REGIONS)}],"
        " collectors: [aws.ec2, aws.kms]}\n"
        f"  - aws: {{accounts: ['{prod}'], role_name: annexa-audit, regions: [{ORG_REGIONS[0]}],"
        " collectors: [aws.kms]}\n",
        logs,
    )

    (pool,) = [line for line in logs if line["event"] == "aws_pool_finished"]
    assert pool["targets"] == ["targets[0] (aws)", "targets[1] (aws)"]
    summaries = store.manifest(1)["collectors"]
    assert [(s["collector"], s["target"]) for s in summaries] == [
        ("aws.ec2", "targets[0] (aws)"),
        ("aws.kms", "targets[0] (aws)"),
        ("aws.kms", "targets[1] (aws)"),
    ]
    assert all(s["facts"] > 0 for s in summaries)
