"""`annexa findings`: failures first with what was expected and observed, errors of one cause in
one line with what to do, wrapped to the terminal; a filterable, self-contained HTML report."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from html import unescape
from pathlib import Path

import browser
import pytest
from fakes import run_cli
from fakes.aws import only_these_aws_variables

pytestmark = pytest.mark.usefixtures("fake_collector_installed")

HOSTILE = "<script>alert(1)</script>"
BUCKETS = {
    "ok": "{encrypted: true, versioning: Enabled}",
    "plain": "{encrypted: false, versioning: Enabled}",
    "'" + HOSTILE + "'": "{encrypted: false, versioning: Suspended}",
    "a-bucket-name-long-enough-to-need-wrapping-on-a-narrow-terminal-0123456789": "{encrypted: false}",
}
NO_CREDENTIALS = (
    "results could not be evaluated: no AWS credentials for target targets[1] (aws); set AWS_PROFILE or the "
    "target's `profile:`, or run where a role provides them (`aws sts get-caller-identity` must work)"
)


@pytest.fixture
def project(tmp_path: Path, fake_rules_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Fake buckets (some failing), an AWS target without credentials, a fake target whose listing is denied."""
    only_these_aws_variables(
        monkeypatch,
        {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"},
    )
    buckets = ", ".join(f"{name}: {data}" for name, data in BUCKETS.items())
    config = tmp_path / "annexa.yaml"
    config.write_text(
        f"store: ./evidence\nmappings: [{fake_rules_file}]\ntargets:\n"
        f"  - fake: {{buckets: {{{buckets}}}}}\n"
        "  - aws: {regions: [eu-west-1]}\n"
    )
    code, out, err = run_cli(capsys, "collect", "--config", str(config))
    assert code == 1, err
    return config, err


def _findings(capsys: pytest.CaptureFixture[str], config: Path, *argv: str) -> str:
    code, out, err = run_cli(capsys, "findings", "--config", str(config), *argv)
    assert code == 0, err
    return out


def test_missing_credentials_are_one_warning_per_target_with_a_hint(project: tuple[Path, str]) -> None:
    _, logs = project
    warnings = [json.loads(line) for line in logs.splitlines() if '"collection_error"' in line]
    aws = [w for w in warnings if w["target"] == "targets[1] (aws)"]
    assert len(aws) == 1
    assert (aws[0]["level"], aws[0]["code"], aws[0]["cause"]) == ("warning", "NoCredentialsError", "no AWS credentials")
    assert aws[0]["hint"].startswith("set AWS_PROFILE or the target's `profile:`")
    run_finished = next(json.loads(line) for line in logs.splitlines() if '"run_finished"' in line)
    assert run_finished["error_causes"]["NoCredentialsError"] > 1  # every AWS collector failed; one line said so


def test_table_shows_failures_first_then_one_line_per_cause(
    project: tuple[Path, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = project
    rows = json.loads(_findings(capsys, config, "--format", "json"))
    no_credentials = [r for r in rows if r["status"] == "error" and "NoCredentialsError" in r["message"]]
    assert len(no_credentials) > 20
    assert [r["status"] for r in rows[:6]] == ["fail"] * 5 + ["error"]  # failures before errors
    plain = next(r for r in rows if r["resource"] == "arn:fake:bucket/plain" and r["rule"] == "fake.bucket-encrypted")
    assert (plain["expected"], plain["observed"]) == ("encrypted == `true`", "encrypted = false")

    monkeypatch.setenv("COLUMNS", "100")
    lines = _findings(capsys, config).splitlines()
    assert max(len(line) for line in lines) <= 100
    text = "\n".join(lines)
    assert text.index("FAILURES, most severe first (5)") < text.index("COULD NOT BE EVALUATED")
    first = lines.index("FAILURES, most severe first (5)") + 2
    assert lines[first : first + 6] == [
        "high      Buckets are encrypted",
        f"          resource: arn:fake:bucket/{HOSTILE}",
        "          expected: encrypted == `true`",
        "          observed: encrypted = false",
        "          fix: Turn on encryption.",
        "          rule fake.bucket-encrypted · A.8.24 · automated",
    ]
    joined = " ".join(line.strip() for line in lines)
    assert f"{len(no_credentials)} {NO_CREDENTIALS}" in joined
    assert joined.count("could not be evaluated: no AWS credentials") == 1
    assert "NoCredentialsError" not in joined  # the cause in words, not 60 copies of the raw message
    assert "3 passed, 0 not applicable" in joined and "annexa findings --status pass,not_applicable" in joined


def test_table_wraps_to_a_narrow_terminal_without_cutting(
    project: tuple[Path, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = project
    monkeypatch.setenv("COLUMNS", "60")
    lines = _findings(capsys, config, "--status", "fail").splitlines()
    assert max(len(line) for line in lines) <= 60
    assert "…" not in "".join(lines)
    long_name = "arn:fake:bucket/a-bucket-name-long-enough-to-need-wrapping-on-a-narrow-terminal-0123456789"
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("resource: arn:fake:bucket/a-"))
    assert "".join("".join(line.split()) for line in lines[start : start + 3]).startswith(f"resource:{long_name}")


def test_html_report_is_self_contained_and_escaped(
    project: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = project
    page = tmp_path / "findings.html"
    assert _findings(capsys, config, "--format", "html", "-o", str(page)) == ""
    html = page.read_text(encoding="utf-8")
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert re.findall(r"<script[^>]*>", html) == ["<script>"]  # ours, and no other
    assert re.findall(r"(?:src|href)=", html) == []  # nothing fetched, nothing linked
    assert "<link" not in html and "@import" not in html and "url(" not in html
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    (policy,) = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    assert policy == f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'"
    assert NO_CREDENTIALS in " ".join(unescape(html).split())


def test_html_report_filters_in_a_real_browser(
    project: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = project
    page = tmp_path / "findings.html"
    _findings(capsys, config, "--format", "html", "-o", str(page))
    total = len(json.loads(_findings(capsys, config, "--format", "json")))
    problems = len(json.loads(_findings(capsys, config, "--format", "json", "--status", "fail,error")))

    # As shipped (its own CSP): the script runs (the count is its output) and nothing is refused.
    dom, log = browser.load(page, tmp_path / "profile")
    assert browser.console_lines(log) == []
    assert f'<span id="shown" class="muted">Showing {problems} of {total} results</span>' in dom
    assert "<script>alert(1)</script>" not in dom

    found = browser.probe(
        page,
        """
        const visible = () => [...document.querySelectorAll('#findings tbody tr')].filter(r => !r.hidden);
        const set = (id, value) => { const e = document.getElementById(id); e.value = value;
                                     e.dispatchEvent(new Event('input')); };
        result = {start: visible().length};
        set('status', 'all'); result.all = visible().length;
        set('search', 'script>alert'); result.hostile = visible().map(r => r.dataset.status + ' ' + r.cells[2].textContent);
        set('status', 'pass'); result.hostile_passed = visible().length;
        set('search', ''); set('status', 'fail'); set('severity', 'high');
        result.high_failures = visible().map(r => r.cells[3].textContent).sort();
        result.shown = document.getElementById('shown').textContent;
        """,
        tmp_path / "profile",
    )
    assert found == {
        "start": problems,
        "all": total,
        "hostile": ["fail Buckets are encrypted", "fail Buckets are versioned"],
        "hostile_passed": 0,
        "high_failures": [
            f"arn:fake:bucket/{HOSTILE}",
            "arn:fake:bucket/a-bucket-name-long-enough-to-need-wrapping-on-a-narrow-terminal-0123456789",
            "arn:fake:bucket/plain",
        ],
        "shown": f"Showing 3 of {total} results",
    }
