"""Policy documents: front matter parsing, file:line errors, git commit, and the rules on the SoA."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from annexa import cli
from annexa.collectors.base import Target
from annexa.collectors.documents.front_matter import load_documents
from annexa.collectors.documents.policies import PolicyDocumentsCollector
from annexa.errors import UsageError

CURRENT = """\
---
title: Access control policy
owner: Head of IT
approved_by: CEO
approved_at: 2026-03-01
next_review: 2099-03-01
version: "2.1"
controls: [A.5.15, A.8.2]
layout: page
---
# Access control
"""
OVERDUE = (
    CURRENT.replace("Access control policy", "Backup policy")
    .replace("2099-03-01", "2025-03-01")
    .replace("[A.5.15, A.8.2]", "[A.8.13]")
)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_front_matter_becomes_fact_data_with_the_file_hash(tmp_path: Path, context) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path / "policies", "access.md", CURRENT)
    _write(tmp_path / "policies" / "ops", "backup.md", OVERDUE)
    target = Target("documents", {"path": str(tmp_path / "policies"), "name": "isms"})
    facts = list(PolicyDocumentsCollector().collect(target, context))
    assert [f.resource for f in facts] == ["documents:isms/access.md", "documents:isms/ops/backup.md"]
    data = facts[0].data
    assert data["approved_at"] == "2026-03-01" and data["next_review"] == "2099-03-01" and data["version"] == "2.1"
    assert data["controls"] == ["A.5.15", "A.8.2"] and data["owner"] == "Head of IT"
    assert data["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "layout" not in data and facts[0].scope == {"provider": "documents", "org": "isms"}


def test_a_git_checkout_records_its_commit(tmp_path: Path, context) -> None:  # type: ignore[no-untyped-def]
    _write(tmp_path, "access.md", CURRENT)
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "policies"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    (fact,) = PolicyDocumentsCollector().collect(Target("documents", {"path": str(tmp_path)}), context)
    assert fact.data["git_commit"] == head


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("# no front matter\n", ":1: no YAML front matter"),
        ("---\ntitle: x\n", ":1: the front matter opened on line 1 is never closed"),
        ("---\ntitle: x\nowner: [unclosed\n---\n", ":3: expected ',' or ']'"),
        ("---\n- a list\n---\n", ":2: the front matter must be a mapping"),
        ("---\nowner: x\n---\n", ":2: the front matter needs a `title`"),
        ("---\ntitle: x\nowner: y\napproved_at: 31/02/2026\n---\n", ":4: `approved_at`: '31/02/2026' is ambiguous"),
        ("---\ntitle: x\nnext_review: soon\n---\n", ":3: `next_review`: 'soon' is not a date"),
        ("---\ntitle: x\ncontrols: {A.5.1: yes}\n---\n", ":3: `controls` must be a list"),
    ],
)
def test_malformed_front_matter_names_file_and_line(tmp_path: Path, text: str, where: str) -> None:
    path = _write(tmp_path, "bad.md", text)
    with pytest.raises(UsageError) as info:
        load_documents(tmp_path)
    assert str(info.value).startswith(f"{path}{where}"), str(info.value)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["--log-format", "json", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_overdue_review_fails_the_claimed_control_and_bad_input_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path / "policies", "access.md", CURRENT)
    _write(tmp_path / "policies", "backup.md", OVERDUE)
    config = tmp_path / "annexa.yaml"
    config.write_text("store: ./evidence\ntargets:\n  - documents: {path: policies}\n")
    code, _, err = _cli(capsys, "collect", "--config", str(config))
    assert code == 0, err
    code, out, _ = _cli(capsys, "soa", "--config", str(config), "--format", "json")
    soa = {row["control"]: row for row in json.loads(out)}
    # only the overdue backup policy claims A.8.13: approved and owned, but its review has passed
    assert soa["A.8.13"]["status"] == "partial" and soa["A.8.13"]["results"] == {"pass": 2, "fail": 1}
    assert soa["A.8.13"]["evidence_class"] == "document"
    # a current, approved policy shows design, not operation: documented, never implemented
    assert soa["A.5.15"]["status"] == "documented" and soa["A.5.15"]["evidence_class"] == "document"
    (doc,) = soa["A.5.15"]["documents"]
    assert doc["resource"].endswith("access.md") and len(doc["sha256"]) == 64
    code, out, _ = _cli(capsys, "findings", "--config", str(config), "--format", "json", "--status", "fail")
    (overdue,) = json.loads(out)
    assert overdue["rule"] == "documents.policy-review-current" and overdue["resource"].endswith("backup.md")
    assert overdue["controls"] == ["A.5.1", "A.8.13"] and "2025-03-01" in overdue["message"]

    _write(tmp_path / "policies", "broken.md", "---\ntitle: x\napproved_at: someday\n---\n")
    manifests = sorted((tmp_path / "evidence" / "manifests").iterdir())
    code, _, err = _cli(capsys, "collect", "--config", str(config))
    assert code == 2 and f"{tmp_path / 'policies' / 'broken.md'}:3:" in err and len(err.strip().splitlines()) == 1
    assert sorted((tmp_path / "evidence" / "manifests").iterdir()) == manifests
    code, _, err = _cli(capsys, "check", "--config", str(config))
    assert code == 2 and "broken.md:3:" in err
