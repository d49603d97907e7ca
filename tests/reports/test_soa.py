"""The SoA of a run: judged with the run's own settings as of its end, the same bytes from any folder
on any day, every format showing the evidence class, flags, approval and reasons."""

from __future__ import annotations

import csv
import io
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest
from fakes import run_cli

from annexa.mappings.catalog import load_catalog
from annexa.reports.settings import RunSettings
from annexa.reports.soa import describe_empty

pytestmark = pytest.mark.usefixtures("fake_collector_installed")

CONFIG = """\
store: ./evidence
targets:
  - fake: {buckets: {b1: {encrypted: false, versioning: Enabled}, b2: {encrypted: true, versioning: Enabled}}}
mappings: [rules.yaml]
risks: risks.yaml
soa: {version: "1.4", approved_by: "Dana, CEO", approved_at: 2026-09-15}
scope:
  A.8.24: {applicable: false, justification: "No data at rest, says the owner"}
  A.8.13: {owner: Head of Platform, reasons: {risk: [R-1], contractual: "DPA clause 9", note: "backups"}}
"""
RISKS = "- {id: R-1, title: Ransomware, owner: COO, treatment: mitigate}\n"


@pytest.fixture
def project(tmp_path: Path, fake_rules_file: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "rules.yaml").write_text(fake_rules_file.read_text())
    (root / "risks.yaml").write_text(RISKS)
    (root / "annexa.yaml").write_text(CONFIG)
    code, _, err = run_cli(capsys, "collect", "--config", str(root / "annexa.yaml"))
    assert code == 0, err
    return root


def _soa(capsys: pytest.CaptureFixture[str], store: Path, fmt: str = "json", *extra: str) -> str:
    code, out, err = run_cli(capsys, "soa", "--store", str(store), "--format", fmt, "--run", "1", *extra)
    assert code == 0, err
    return out


class _Clock(datetime):
    """datetime whose now() is a fixed instant, for every annexa module that reads the clock."""

    instant = datetime(2026, 1, 1, tzinfo=timezone.utc)

    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return cls.instant if tz else cls.instant.replace(tzinfo=None)


def _set_clock(monkeypatch: pytest.MonkeyPatch, instant: datetime) -> None:
    _Clock.instant = instant
    for name, module in list(sys.modules.items()):
        if name.startswith("annexa") and getattr(module, "datetime", None) is datetime:
            monkeypatch.setattr(module, "datetime", _Clock)
    monkeypatch.setattr(time, "time", lambda: instant.timestamp())


def test_soa_is_the_same_bytes_from_any_folder_on_any_day(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = project / "evidence"
    outputs = {}
    for folder, config, instant in (
        ("a", "targets: [{fake: {}}]\nscope:\n  A.8.24: {applicable: true}\n", datetime(2026, 12, 1, tzinfo=timezone.utc)),
        ("b", None, datetime(2031, 6, 1, tzinfo=timezone.utc)),  # years later: nothing may have gone stale
    ):  # fmt: skip
        where = tmp_path / folder
        where.mkdir()
        if config:
            (where / "annexa.yaml").write_text(config)  # a different scope here must not matter
        monkeypatch.chdir(where)
        with monkeypatch.context() as clock:
            _set_clock(clock, instant)
            outputs[folder] = {fmt: _soa(capsys, store, fmt) for fmt in ("json", "csv", "md", "table")}
    for fmt in ("json", "csv", "md", "table"):
        assert outputs["a"][fmt] == outputs["b"][fmt], fmt
    rows = {row["control"]: row for row in json.loads(outputs["a"]["json"])}
    assert rows["A.8.24"]["status"] == "excluded" and rows["A.8.13"]["status"] == "implemented"


def test_every_format_shows_class_flags_approval_and_reasons(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = project / "evidence"
    flag = "EXCLUDED BUT EVIDENCE FAILS: 1 fail"
    rows = {row["control"]: row for row in json.loads(_soa(capsys, store))}
    a824, a813 = rows["A.8.24"], rows["A.8.13"]
    assert (a824["status"], a824["flags"], a824["evidence_classes"]) == (
        "excluded",
        [flag],
        {"automated": {"fail": 1, "pass": 3}},
    )
    assert (a813["status"], a813["evidence_class"], a813["owner"]) == ("implemented", "automated", "Head of Platform")
    assert a813["reasons"] == {
        "risk": [{"id": "R-1", "title": "Ransomware", "owner": "COO", "treatment": "mitigate"}],
        "contractual": "DPA clause 9",
        "note": "backups",
    }
    assert a813["population"] == ["2 resources on fake/111122223333/eu-west-1"]
    assert a813["soa"] == {"version": "1.4", "approved_by": "Dana, CEO", "approved_at": "2026-09-15"}

    table = {r["control"]: r for r in csv.DictReader(io.StringIO(_soa(capsys, store, "csv")))}
    assert table["A.8.24"]["flags"] == flag and table["A.8.13"]["evidence_class"] == "automated"
    assert table["A.8.13"]["reasons"] == "risk R-1 (Ransomware), contractual: DPA clause 9; backups"
    assert table["A.8.13"]["soa_version"] == "1.4" and table["A.8.13"]["soa_approved_by"] == "Dana, CEO"

    markdown = _soa(capsys, store, "md")
    assert "- SoA version 1.4, approved by Dana, CEO on 2026-09-15" in markdown
    assert "## Risks" in markdown and "Ransomware" in markdown
    assert "| A.8.24 |" in markdown and flag in markdown and "| automated |" in markdown

    text = _soa(capsys, store, "table")
    assert "SoA version 1.4, approved by Dana, CEO on 2026-09-15" in text
    line = next(line for line in text.splitlines() if line.startswith("A.8.13 "))
    assert "implemented" in line and "automated" in line
    assert flag in next(line for line in text.splitlines() if line.startswith("A.8.24 "))

    html = tmp_path / "soa.html"
    run_cli(capsys, "soa", "--store", str(store), "--format", "html", "-o", str(html))
    page = html.read_text()
    assert flag in page and "SoA version" in page and "1.4" in page and "automated" in page and "Ransomware" in page

    book = tmp_path / "soa.xlsx"
    run_cli(capsys, "soa", "--store", str(store), "--format", "xlsx", "-o", str(book))
    workbook = openpyxl.load_workbook(book)
    sheet = workbook["Statement of Applicability"]
    headers = [c.value for c in sheet[1]]
    cells = {
        row[0].value: dict(zip(headers, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)
    }
    assert cells["A.8.24"]["Flags"] == flag and cells["A.8.13"]["Evidence class"] == "automated"
    about = {row[0].value: row[1].value for row in workbook["About this SoA"].iter_rows(min_row=2)}
    assert (about["SoA version"], about["Approved by"], about["Approved on"]) == ("1.4", "Dana, CEO", "2026-09-15")
    assert [row[1].value for row in workbook["Risks"].iter_rows(min_row=2)] == ["Ransomware"]


def test_a_scope_change_takes_effect_from_the_next_run(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = project / "annexa.yaml"
    config.write_text(
        config.read_text().replace(
            '  A.8.24: {applicable: false, justification: "No data at rest, says the owner"}\n', ""
        )
    )
    code, _, err = run_cli(capsys, "collect", "--config", str(config))
    assert code == 0, err
    store = project / "evidence"
    first = {row["control"]: row["status"] for row in json.loads(_soa(capsys, store))}
    code, out, _ = run_cli(capsys, "soa", "--store", str(store), "--format", "json", "--run", "2")
    second = {row["control"]: row["status"] for row in json.loads(out)}
    assert (first["A.8.24"], second["A.8.24"]) == ("excluded", "partial")


def test_one_document_claiming_all_93_controls_documents_them_and_implements_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = load_catalog().ids()
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "everything.md").write_text(
        "---\ntitle: Everything policy\nowner: CISO\napproved_by: CEO\napproved_at: 2026-01-01\n"
        f"next_review: 2099-01-01\nversion: '1'\ncontrols: [{', '.join(ids)}]\n---\n"
    )
    config = tmp_path / "annexa.yaml"
    config.write_text("store: ./evidence\ntargets:\n  - documents: {path: policies}\n")
    assert run_cli(capsys, "collect", "--config", str(config))[0] == 0
    code, out, _ = run_cli(capsys, "soa", "--config", str(config), "--format", "json")
    rows = json.loads(out)
    assert len(rows) == 93
    assert {(row["status"], row["evidence_class"]) for row in rows} == {("documented", "document")}
    assert all(row["documents"][0]["title"] == "Everything policy" for row in rows)


def test_a_verified_empty_population_is_shown_as_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_rules_file: Path
) -> None:
    config = tmp_path / "annexa.yaml"
    config.write_text(f"store: ./evidence\ntargets:\n  - fake: {{buckets: {{}}}}\nmappings: [{fake_rules_file}]\n")
    assert run_cli(capsys, "collect", "--config", str(config))[0] == 0
    code, out, _ = run_cli(capsys, "soa", "--config", str(config), "--format", "json")
    a824 = {row["control"]: row for row in json.loads(out)}["A.8.24"]
    assert a824["status"] == "no_evidence" and a824["empty_kinds"] == ["fake.bucket"]
    assert a824["population"] == ["not_applicable: 0 fake.bucket, checked by fake.buckets on targets[0] (fake)"]
    never = {row["control"]: row for row in json.loads(out)}["A.5.1"]
    assert never["status"] == "no_evidence" and never["population"] == []  # never checked says nothing


def test_describe_empty_names_regions_and_targets() -> None:
    settings = RunSettings(
        targets=({"aws": {"regions": ["us-east-1", "eu-west-1"]}}, {"aws": {"regions": "all"}}),
        collectors_by_kind={"aws.s3.bucket": "aws.s3"},
    )
    ran = [
        {"collector": "aws.s3", "target": "targets[0] (aws)"},
        {"collector": "aws.iam", "target": "targets[1] (aws)"},
    ]
    assert describe_empty("aws.s3.bucket", settings, ran) == (
        "not_applicable: 0 aws.s3.bucket in 2 regions (eu-west-1, us-east-1), checked by aws.s3 on targets[0] (aws)"
    )
    everywhere = [*ran, {"collector": "aws.s3", "target": "targets[1] (aws)"}]
    assert describe_empty("aws.s3.bucket", settings, everywhere) == (
        "not_applicable: 0 aws.s3.bucket in every enabled region, checked by aws.s3 on targets[0] (aws), targets[1] (aws)"
    )
    one = RunSettings(targets=({"aws": {"regions": ["us-east-1"]}},), collectors_by_kind={"aws.s3.bucket": "aws.s3"})
    assert describe_empty("aws.s3.bucket", one, ran[:1]) == (
        "not_applicable: 0 aws.s3.bucket in 1 region (us-east-1), checked by aws.s3 on targets[0] (aws)"
    )
    assert describe_empty("x.kind", RunSettings(), []) == "not_applicable: 0 x.kind, checked"
    # labels that name no configured target, options that are not a mapping, regions from several targets
    odd = RunSettings(
        targets=({"host": None}, {"aws": {"regions": ["eu-west-1"]}}, {"aws": {"regions": ["us-east-1"]}}),
        collectors_by_kind={"k": "c"},
    )
    labels = ["targets[0] (host)", "targets[1] (aws)", "targets[2] (aws)", "targets[9] (aws)", "shard (x)"]
    assert describe_empty("k", odd, [{"collector": "c", "target": label} for label in labels]) == (
        "not_applicable: 0 k in 2 regions (eu-west-1, us-east-1), checked by c on shard (x), targets[0] (host), "
        "targets[1] (aws), targets[2] (aws), targets[9] (aws)"
    )
    three = RunSettings(targets=({"aws": {"regions": ["a"]}},), collectors_by_kind={"k": "c"})
    assert describe_empty("k", three, [{"collector": "c", "target": "targets[1] (aws)"}]) == (
        "not_applicable: 0 k, checked by c on targets[1] (aws)"
    )
    unmatched = RunSettings(
        targets=({"aws": {"regions": ["a"]}}, {"aws": {"regions": ["b"]}}), collectors_by_kind={"k": "c"}
    )
    assert (
        describe_empty("k", unmatched, [{"collector": "c", "target": "x"}]) == "not_applicable: 0 k, checked by c on x"
    )


def test_findings_show_the_evidence_class_in_every_format(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(project / "evidence")
    code, out, _ = run_cli(capsys, "findings", "--store", store, "--format", "json")
    assert {f["evidence_class"] for f in json.loads(out)} == {"automated"}
    code, out, _ = run_cli(capsys, "findings", "--store", store, "--format", "csv")
    assert {r["evidence_class"] for r in csv.DictReader(io.StringIO(out))} == {"automated"}
    code, out, _ = run_cli(capsys, "findings", "--store", store)
    assert "          rule fake.bucket-encrypted · A.8.24 · automated" in out.splitlines()


def test_reasons_that_name_no_known_risk_are_config_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = project / "annexa.yaml"
    config.write_text(config.read_text().replace("risk: [R-1]", "risk: [R-1, R-9]"))
    code, _, err = run_cli(capsys, "check", "--config", str(config))
    assert code == 2 and err.strip() == f"annexa: error: {config}:9: unknown risk id 'R-9' (not in the `risks:` file)"


def test_soa_statuses_read_the_run_settings_and_judge_at_its_end_unless_told(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import timedelta

    from annexa.evidence_store.store import open_store
    from annexa.reports.soa import build_soa, soa_statuses

    store = open_store(str(project / "evidence"))
    run = store.resolve("1")
    built = build_soa(store, run, load_catalog())
    assert soa_statuses(store, run, load_catalog()) == built.statuses
    end = datetime.fromisoformat(run.finished_at.replace("Z", "+00:00"))

    def a813(now: datetime, settings: RunSettings | None = None) -> str:
        return {s.control: s.status for s in soa_statuses(store, run, load_catalog(), now=now, settings=settings)}[
            "A.8.13"
        ]

    assert a813(end + timedelta(days=6)) == "implemented"
    assert a813(end + timedelta(days=8)) == "stale"  # the default max age, 7 days
    by_kind = RunSettings(max_age_by_kind={"fake.bucket": timedelta(hours=1)}, default_max_age=timedelta(days=30))
    assert a813(end + timedelta(hours=2), by_kind) == "stale"
    assert a813(end + timedelta(hours=2), RunSettings(default_max_age=timedelta(days=30))) == "implemented"


def test_an_attestation_run_has_no_soa(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from annexa.errors import StoreError
    from annexa.evidence_store.store import open_store
    from annexa.reports.soa import build_soa

    config = project / "annexa.yaml"
    config.write_text(config.read_text() + "attesters: [{name: Jo, role: CISO}]\n")
    assert run_cli(capsys, "attest", "A.5.4", "--config", str(config), "--by", "Jo", "--result", "effective",
                   "--note", "Reviewed")[0] == 0  # fmt: skip
    store = open_store(str(project / "evidence"))
    with pytest.raises(StoreError) as info:
        build_soa(store, store.resolve("2"), load_catalog())
    assert str(info.value) == f"{store.url}: run #2 is an attestation run; an SoA is of a collection run"
    assert build_soa(store, store.resolve("1"), load_catalog()).later_attestations == 1


def test_runs_stored_before_kinds_and_collectors_were_recorded(tmp_path: Path, fake_rules_file: Path) -> None:
    from datetime import timedelta

    from history import write_history

    from annexa.evidence_store.store import open_store
    from annexa.reports.soa import build_soa

    store = open_store(str(tmp_path / "ev"))
    write_history(store, fake_rules_file, [{"b": {"encrypted": True, "versioning": "Enabled"}}, {}])
    first, empty = store.resolve("1"), store.resolve("2")
    assert "kinds" not in store.mappings(first) and "collectors" not in store.manifest(first.seq)
    rows = {r["control"]: r for r in build_soa(store, first, load_catalog()).rows}
    assert rows["A.8.24"]["status"] == "implemented"
    # without recorded freshness defaults, the installed collectors' (the fallback) apply
    stale = {
        r["control"]: r for r in build_soa(store, first, load_catalog(), {"fake.bucket": timedelta(minutes=1)}).rows
    }
    assert stale["A.8.24"]["status"] == "stale"
    nothing = {r["control"]: r for r in build_soa(store, empty, load_catalog()).rows}["A.8.24"]
    assert nothing["population"] == ["not_applicable: 0 fake.bucket, checked"]
    # drift and the timeline judge through soa_statuses, with the same fallback
    from annexa.reports.soa import soa_statuses

    fallback = {"fake.bucket": timedelta(minutes=1)}
    judged = {
        s.control: s.status for s in soa_statuses(store, first, load_catalog(), fallback_max_age_by_kind=fallback)
    }
    assert judged["A.8.24"] == "stale"


def test_soa_statuses_use_the_results_and_attestations_they_are_given(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from annexa.evidence_store.store import open_store
    from annexa.mappings.rollup import Attestation
    from annexa.reports.soa import soa_statuses

    config = project / "annexa.yaml"
    config.write_text(config.read_text() + "attesters: [{name: Jo, role: CISO}]\n")
    assert run_cli(capsys, "attest", "A.5.4", "--config", str(config), "--by", "Jo", "--result", "effective",
                   "--note", "Reviewed")[0] == 0  # fmt: skip
    assert run_cli(capsys, "collect", "--config", str(config))[0] == 0
    store = open_store(str(project / "evidence"))
    run = store.resolve("latest")
    stored = {s.control: s.status for s in soa_statuses(store, run, load_catalog())}
    assert (stored["A.5.4"], stored["A.8.13"]) == ("attested", "implemented")
    given = {s.control: s.status for s in soa_statuses(store, run, load_catalog(), results=[], attestations=[])}
    assert (given["A.5.4"], given["A.8.13"]) == ("no_evidence", "no_evidence")
    other = Attestation("A.5.5", "effective", "Jo", "2026-01-01T00:00:00Z", "2099-01-01T00:00:00Z", 9)
    assert {s.control: s.status for s in soa_statuses(store, run, load_catalog(), attestations=[other])}["A.5.5"] == (
        "attested"
    )


def test_applicable_is_a_word_in_table_markdown_and_csv(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = project / "evidence"
    markdown = _soa(capsys, store, "md").splitlines()
    columns = next(line for line in markdown if line.startswith("| control |")).strip("| ").split(" | ")
    rows = {
        line.split(" | ")[0].strip("| "): line.strip("| ").split(" | ") for line in markdown if line.startswith("| A.")
    }
    at = columns.index("applicable")
    assert (rows["A.8.24"][at], rows["A.8.13"][at]) == ("no", "yes")
    assert {row[at] for row in rows.values()} == {"yes", "no"}

    text = _soa(capsys, store, "table").splitlines()
    head = next(line for line in text if line.startswith("CONTROL "))
    start = head.index("APPLICABLE")
    cells = {line.split()[0]: line[start:].split()[0] for line in text if line.startswith("A.")}
    assert (cells["A.8.24"], cells["A.8.13"]) == ("no", "yes")
    assert set(cells.values()) == {"yes", "no"}

    table = {r["control"]: r["applicable"] for r in csv.DictReader(io.StringIO(_soa(capsys, store, "csv")))}
    assert set(table.values()) == {"yes", "no"}


# Every word of the SoA table that is not a long value (hashes, ARNs) must lie on one line:
# a squeezed column breaks words letter by letter ("C o nt ro l").
BROKEN_WORDS = """
result = [];
const table = [...document.querySelectorAll('table')].find(t => t.querySelector('th').textContent === 'Control');
for (const cell of table.querySelectorAll('th, td:not(.mono):not(.long)')) {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.textContent.matchAll(/[^\\s-]+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      if (range.getClientRects().length > 1) result.push(match[0]);
    }
  }
}
const th = table.querySelector('th');
const range = document.createRange();
range.selectNodeContents(th);
result = {broken: result, header: th.textContent, header_lines: range.getClientRects().length,
          headers: table.querySelectorAll('th').length};
"""


@pytest.mark.parametrize("width", [1280, 800])
def test_soa_html_columns_are_not_squashed(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], width: int
) -> None:
    import browser

    page = tmp_path / "soa.html"
    code, _, err = run_cli(capsys, "soa", "--store", str(project / "evidence"), "--format", "html", "-o", str(page))
    assert code == 0, err
    found = browser.probe(page, BROKEN_WORDS, tmp_path / "profile", width)
    assert found == {"broken": [], "header": "Control", "header_lines": 1, "headers": 16}
