"""The scheduling examples in deploy/: one command everywhere, and a locked-down CronJob."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
COMMAND = ["--log-format", "json", "collect", "--config", "/etc/annexa/annexa.yaml"]


def _after_annexa(line: str) -> list[str]:
    words = shlex.split(line)
    start = next(i for i, w in enumerate(words) if w.endswith("annexa"))
    return words[start + 1 : start + 1 + len(COMMAND)]


def test_every_scheduler_runs_the_same_command() -> None:
    cron = [line for line in (DEPLOY / "crontab").read_text().splitlines() if line and not line.startswith("#")]
    assert len(cron) == 1 and _after_annexa(cron[0]) == COMMAND
    (exec_start,) = [
        line for line in (DEPLOY / "systemd/annexa.service").read_text().splitlines() if line.startswith("ExecStart=")
    ]
    assert _after_annexa(exec_start.split("=", 1)[1]) == COMMAND
    job = yaml.safe_load((DEPLOY / "kubernetes/cronjob.yaml").read_text())
    (container,) = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["args"] == COMMAND
    assert " ".join(COMMAND) in (DEPLOY / "README.md").read_text()


def test_cronjob_is_non_root_read_only_and_bounded() -> None:
    job = yaml.safe_load((DEPLOY / "kubernetes/cronjob.yaml").read_text())
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["resources"]["limits"]["memory"] and container["resources"]["requests"]["cpu"]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/tmp", "/evidence"} <= mounts  # the only writable places


def test_exit_codes_are_documented_where_schedulers_are() -> None:
    text = (DEPLOY / "README.md").read_text()
    for code in ("| 0 |", "| 1 |", "| 2 |", "exits `3`"):
        assert code in text
