"""The scheduling examples in deploy/: one command everywhere, and a locked-down CronJob."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest
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


FAKE_ANNEXA = """#!/bin/sh
for word in "$@"; do case "$word" in collect|drift) command=$word;; esac; done
echo "$command: stdout"
echo '{"event": "'"$command"'_log"}' >&2
[ "$command" = collect ] && exit "$COLLECT_EXIT"
exit "$DRIFT_EXIT"
"""


@pytest.mark.parametrize(
    ("collect_exit", "drift_exit", "mail"),
    [
        (0, 0, ""),
        (1, 0, "annexa nightly run: exit 1 (see deploy/README.md; logs in LOG)\ncollect: stdout\n"),
        (2, 0, "annexa nightly run: exit 2 (see deploy/README.md; logs in LOG)\ncollect: stdout\n"),
        (
            0,
            3,
            "annexa nightly run: exit 3 (see deploy/README.md; logs in LOG)\n"
            'collect: stdout\ndrift: stdout\n{"event": "drift_log"}\n',
        ),
    ],
)
def test_crontab_prints_only_when_there_is_something_to_act_on(
    tmp_path: Path, collect_exit: int, drift_exit: int, mail: str
) -> None:
    """cron mails a job's output: a quiet night must print nothing, a failure or a regression must."""
    (line,) = [line for line in (DEPLOY / "crontab").read_text().splitlines() if line and not line.startswith("#")]
    assert "%" not in line  # cron would turn it into a newline
    command = line.split(None, 5)[5].replace("/var/log/annexa/annexa.jsonl", str(tmp_path / "annexa.jsonl"))
    (tmp_path / "annexa").write_text(FAKE_ANNEXA)
    (tmp_path / "annexa").chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin", "COLLECT_EXIT": str(collect_exit), "DRIFT_EXIT": str(drift_exit)}
    done = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=30)
    assert done.stdout + done.stderr == mail.replace("LOG", str(tmp_path / "annexa.jsonl"))
    assert (tmp_path / "annexa.jsonl").read_text() == '{"event": "collect_log"}\n'
