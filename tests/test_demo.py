"""`annexa demo --quick` runs one collection with no credentials and agrees with the seed's expectations;
a second run sees the same account (seeded ids, frozen clock), so `annexa drift` reports nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from annexa import cli
from annexa.demo.aws import seed


def test_demo_writes_a_store_and_summarises(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "must-not-be-used")
    store = tmp_path / "annexa-demo"
    assert cli.main(["--log-format", "json", "demo", "--quick", "--store", str(store)]) == 0
    out, err = capsys.readouterr()
    assert '"event": "collector_finished"' not in err  # the demo logs warnings only, unless asked
    assert "controls by status:" in out and "worst findings" in out and str(store) in out
    assert os.environ["AWS_PROFILE"] == "must-not-be-used"  # the demo restores the environment

    assert (
        cli.main(["findings", "--store", str(store), "--format", "json", "--config", str(tmp_path / "none.yaml")]) == 0
    )
    findings = json.loads(capsys.readouterr().out)
    providers = {f["scope"].get("provider") for f in findings}
    # the SoA the demo suggests agrees with the summary it printed: judged with the run's own scope
    summary = next(line for line in out.splitlines() if "controls by status:" in line)
    assert "1 excluded" in summary
    assert cli.main(["soa", "--store", str(store), "--format", "json", "--config", str(tmp_path / "none.yaml")]) == 0
    soa = json.loads(capsys.readouterr().out)
    counts: dict[str, int] = {}
    for row in soa:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    assert summary.split("controls by status: ")[1] == ", ".join(
        f"{n} {s}" for s, n in sorted(counts.items(), key=lambda item: (-item[1], list(counts).index(item[0])))
    )
    assert [row["control"] for row in soa if row["status"] == "excluded"] == ["A.7.4"]
    assert {"aws", "host"} <= providers
    aws = {(f["rule"], f["resource"]): f["status"] for f in findings if f["scope"].get("provider") == "aws"}
    assert {"pass", "fail"} <= set(aws.values())
    assert "error" not in aws.values()

    assert cli.main(["--log-format", "json", "demo", "--quick", "--store", str(store)]) == 0
    capsys.readouterr()
    none = str(tmp_path / "none.yaml")
    assert cli.main(["drift", "--store", str(store), "--config", none, "--format", "json"]) == 0
    drift = json.loads(capsys.readouterr().out)
    assert (drift["results"], drift["facts"], drift["controls"]) == ([], [], [])


def test_seed_expectations_cover_every_aws_rule() -> None:
    """The demo account exercises every built-in AWS rule at least once, both ways where it can."""
    import boto3
    import yaml
    from moto import mock_aws

    from annexa.collectors.registry import load_registry
    from annexa.demo.aws import MOTO_UNSUPPORTED
    from annexa.mappings.rules import builtin_rule_files

    # Rules over collectors moto cannot serve are covered with Stubber (tests/collectors/aws/test_services.py).
    unmodelled = {k for c in load_registry().for_provider("aws") if c.name in MOTO_UNSUPPORTED for k in c.kinds}
    rule_ids = {
        rule["id"]
        for f in builtin_rule_files()
        if f.name == "aws.yaml"
        for rule in yaml.safe_load(f.read_text())["rules"]
        if rule["fact"] not in unmodelled
    }
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    with pytest.MonkeyPatch.context() as mp, mock_aws():
        for key, value in env.items():
            mp.setenv(key, value)
        expectations = seed(boto3.Session(region_name="us-east-1"))
    assert rule_ids <= {e.rule for e in expectations}
