"""The nightly alert names overdue non-conformities and expired risk acceptances, and goes out for
them even when `notify.when: regressions` finds none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import run_cli
from servers import webhook_receiver

from annexa.reports.corrective import nc_id

pytestmark = pytest.mark.usefixtures("fake_collector_installed")


def test_an_overdue_item_is_in_the_nightly_alert(
    tmp_path: Path, fake_rules_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with webhook_receiver("ok") as (url, received):
        config = tmp_path / "annexa.yaml"
        config.write_text(
            f"store: ./evidence\nmappings: [{fake_rules_file}]\n"
            "targets:\n  - fake: {buckets: {logs: {encrypted: false, versioning: Enabled}}}\n"
            f"notify:\n  when: regressions\n  timeout: 5s\n  webhooks:\n    - {{format: json, url: '{url}'}}\n"
        )
        assert run_cli(capsys, "collect", "--config", str(config))[0] == 0
        item = nc_id("fake.bucket-encrypted", "arn:fake:bucket/logs")
        code, _out, err = run_cli(
            capsys, "nc", "update", item, "--config", str(config), "--owner", "Ops", "--due", "2026-01-31"
        )
        assert code == 0, err
        assert run_cli(capsys, "collect", "--config", str(config))[0] == 0
        (alert,) = received  # no regression: sent for the overdue item alone
        assert alert["summary"]["regressions"] == 0
        assert alert["attention"] == [
            f"{item} fake.bucket-encrypted on arn:fake:bucket/logs (open, owner Ops): overdue (due 2026-01-31)"
        ]
        assert "1 non-conformity overdue or past its risk acceptance" in alert["title"]
        code, out, _err = run_cli(capsys, "nonconformities", "--config", str(config), "--format", "json")
        (row,) = [r for r in json.loads(out) if r["id"] == item]
        assert row["flags"] == ["overdue (due 2026-01-31)"]
