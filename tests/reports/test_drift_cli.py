"""`annexa drift` and alerts through the CLI, in process, over the fake collector."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import run_cli
from servers import webhook_receiver

pytestmark = pytest.mark.usefixtures("fake_collector_installed")


def _configure(tmp_path: Path, rules: Path, buckets: str, notify: str = "") -> str:
    path = tmp_path / "annexa.yaml"
    path.write_text(f"store: ./evidence\nmappings: [{rules}]\ntargets:\n  - fake: {{buckets: {buckets}}}\n{notify}")
    return str(path)


GOOD = "{a/b~c: {encrypted: true, versioning: Enabled}}"
BAD = "{a/b~c: {encrypted: false, versioning: Enabled}, new: {encrypted: false}}"


def test_drift_reports_regression_with_field_paths_then_the_fix(
    tmp_path: Path, fake_rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _configure(tmp_path, fake_rules_file, GOOD)
    assert run_cli(capsys, "collect", "--config", config)[0] == 0
    code, _, err = run_cli(capsys, "drift", "--config", config)
    assert code == 0 and "nothing to compare" in err

    _configure(tmp_path, fake_rules_file, BAD)
    assert run_cli(capsys, "collect", "--config", config)[0] == 0
    code, out, _ = run_cli(capsys, "drift", "--config", config, "--format", "json")
    assert code == 3
    drift = json.loads(out)
    results = {(r["rule"], r["resource"]): r for r in drift["results"]}
    regressed = results[("fake.bucket-encrypted", "arn:fake:bucket/a/b~c")]
    assert (regressed["change"], regressed["old_status"], regressed["new_status"]) == ("regressed", "pass", "fail")
    assert regressed["evidence_class"] == "automated"
    appeared = results[("fake.bucket-encrypted", "arn:fake:bucket/new")]
    assert appeared["change"] == "appeared" and appeared["regression"]
    (fact,) = [f for f in drift["facts"] if f["change"] == "changed"]
    assert fact["fields"] == [{"op": "replace", "path": "/data/encrypted", "old": True, "new": False}]
    controls = {c["control"]: c for c in drift["controls"]}
    assert (controls["A.8.24"]["old_status"], controls["A.8.24"]["new_status"]) == ("implemented", "partial")
    assert (controls["A.8.24"]["old_evidence_class"], controls["A.8.24"]["new_evidence_class"]) == (
        "automated",
        "automated",
    )
    assert drift["summary"]["regressions"] >= 2

    code, out, _ = run_cli(capsys, "drift", "--config", config)
    assert code == 3 and "REGRESSED" in out and "/data/encrypted" in out
    assert "NEW_EVIDENCE_CLASS" in out and "EVIDENCE_CLASS" in out

    _configure(tmp_path, fake_rules_file, GOOD)
    assert run_cli(capsys, "collect", "--config", config)[0] == 0
    code, out, _ = run_cli(capsys, "drift", "--config", config, "--format", "md")
    assert code == 0 and "fixed" in out and "disappeared" in out
    # an explicit older baseline still shows the whole story, in order
    code, out, _ = run_cli(capsys, "drift", "--config", config, "--from", "1", "--to", "3", "--format", "json")
    assert code == 0 and json.loads(out)["results"] == []
    code, _, err = run_cli(capsys, "drift", "--config", config, "--from", "3", "--to", "2")
    assert code == 2 and "--from" in err


def test_collect_alerts_webhooks_and_survives_failing_ones(
    tmp_path: Path, fake_rules_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("annexa.notify.send._BACKOFF_S", 0.05)
    with (
        webhook_receiver("ok") as (slack_url, slack),
        webhook_receiver("ok") as (json_url, generic),
        webhook_receiver("error") as (error_url, errors),
        webhook_receiver("hang") as (hang_url, hung),
    ):
        monkeypatch.setenv("TEST_SLACK_URL", slack_url)
        notify = (
            "notify:\n  when: regressions\n  timeout: 1s\n  retries: 1\n  webhooks:\n"
            "    - {format: slack, url_env: TEST_SLACK_URL}\n"
            f"    - {{format: json, url: '{json_url}'}}\n"
            f"    - {{format: teams, url: '{error_url}'}}\n"
            f"    - {{format: json, url: '{hang_url}'}}\n"
        )
        config = _configure(tmp_path, fake_rules_file, GOOD, notify)
        assert run_cli(capsys, "collect", "--config", config)[0] == 0
        assert not slack  # first run: nothing to compare

        _configure(
            tmp_path, fake_rules_file, "{a/b~c: {encrypted: true, versioning: Enabled}, '<!channel>': {}}", notify
        )
        code, _, err = run_cli(capsys, "collect", "--config", config)
        assert code == 0, err  # a 500 and a hanging receiver change nothing
        (message,) = slack
        assert "regression" in message["text"] and "&lt;!channel&gt;" in message["text"]
        assert "<!channel>" not in message["text"]  # a hostile resource name cannot ping the channel
        (body,) = generic
        assert body["event"] == "annexa.drift" and body["summary"]["regressions"] >= 1
        # the alert carries the chain's head, so the receiver holds an anchor `verify --expect-head` checks
        head = run_cli(capsys, "head", "--config", config)[1].strip()
        assert body["head"] == head and head.startswith("2:")
        assert f"evidence head {head}" in message["text"]
        assert len(errors) == 2 and errors[0]["type"] == "message"  # retried once, Teams card shape
        assert len(hung) == 2
        logs = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        failed = {line["target"] for line in logs if line["event"] == "notify_failed"}
        assert failed == {"teams webhook http://127.0.0.1", "json webhook http://127.0.0.1"}
        assert slack_url not in err  # the URL (a credential for real webhooks) is never logged

        # the stored configuration keeps where alerts go, not the webhook's secret path
        blob = b"".join(p.read_bytes() for p in (tmp_path / "evidence/objects").rglob("*") if p.is_file())
        assert json_url.encode() not in blob and b"/hook" not in blob

        # unchanged third run: `when: regressions` sends nothing
        assert run_cli(capsys, "collect", "--config", config)[0] == 0
        assert len(slack) == 1
        code, _, _ = run_cli(capsys, "drift", "--config", config, "--from", "1", "--notify")
        assert code == 3 and len(slack) == 2


def test_log_lines_carry_counts_durations_and_error_causes(
    tmp_path: Path, fake_rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "annexa.yaml"
    path.write_text(f"store: ./evidence\nmappings: [{fake_rules_file}]\ntargets:\n  - fake: {{fail: true}}\n")
    code, _, err = run_cli(capsys, "collect", "--config", str(path))
    assert code == 1
    logs = {line["event"]: line for line in map(json.loads, filter(None, err.splitlines()))}
    collector = logs["collector_finished"]
    assert collector["error_causes"] == {"AccessDenied": 1} and collector["status"] == "error"
    run = logs["run_finished"]
    assert run["error_causes"] == {"AccessDenied": 1} and run["collectors_failed"] == ["fake.buckets"]
    assert run["status"] == "partial" and run["results"] == {"error": 2} and run["duration_s"] >= 0
