"""The SoA builder on fixed inputs, compared whole: every field of a row and every byte of each
text format (the rows and renderings an auditor reads, so any change is a visible decision)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone

import openpyxl
import pytest

from annexa.evidence_store.store import RunInfo
from annexa.mappings.catalog import Catalog, load_catalog
from annexa.mappings.rollup import Attestation, rollup
from annexa.mappings.scope import Reasons, Risk, ScopeDecision, SoaApproval
from annexa.model import Result
from annexa.reports.settings import RunSettings
from annexa.reports.soa import Soa, SoaInputs, evidence_source, evidence_sources, render_soa, soa_rows, soa_workbook

END = "2026-11-22T03:00:00Z"
RUN = RunInfo(7, "night-7", "complete", "2026-11-22T02:00:00Z", END, "ab" * 32, 4, 6, 0)
CATALOG = Catalog([c for c in load_catalog() if c.id in ("A.5.1", "A.6.1", "A.6.2", "A.7.4", "A.8.13", "A.8.24")])
SETTINGS = RunSettings(
    decisions={
        "A.7.4": ScopeDecision(applicable=False, justification="No premises"),
        "A.6.2": ScopeDecision(reasons=Reasons(("R-9",))),  # a risk id the register does not hold
        "A.8.24": ScopeDecision(owner="CTO", reviewed="2026-09-01", reasons=Reasons(("R-1",), {"legal": ""}, "why")),
    },
    soa=SoaApproval("2.0", "Dana, CEO", "2026-09-15"),
    risks={"R-1": Risk("R-1", "Data theft", "CISO", "mitigate")},
    targets=({"aws": {"regions": ["us-east-1"]}},),
    collectors_by_kind={"aws.s3.bucket": "aws.s3"},
    policy={"password_max_age_days": "none"},
)
AWS = {"provider": "aws", "account": "1", "region": "us-east-1"}
DOCS = {"provider": "documents", "org": "isms"}


def _result(
    rule: str, controls: tuple[str, ...], kind: str, resource: str, scope: dict, status: str, cls: str
) -> Result:
    at = "" if status == "not_applicable" else "2026-11-22T02:10:00Z"
    return Result(rule, controls, kind, resource, scope, status, "high", f"{status} message", at, cls)


RESULTS = [
    _result("aws.kms.rotation", ("A.8.24",), "aws.kms.key", "key-1", AWS, "pass", "automated"),
    _result("aws.kms.rotation", ("A.8.24",), "aws.kms.key", "key-2", AWS, "fail", "automated"),
    _result("aws.s3.encryption", ("A.8.24", "A.7.4"), "aws.s3.bucket", "-", {}, "not_applicable", "automated"),
    _result("documents.approved", ("A.5.1", "A.8.24"), "documents.policy", "doc:crypto.md", DOCS, "pass", "document"),
    _result("documents.approved", ("A.5.1",), "documents.policy", "doc:access.md", DOCS, "pass", "document"),
    _result("import.prowler.check", ("A.7.4",), "import.prowler.finding", "p-1", AWS, "fail", "record"),
    # a policy that could not be read: an error result, no fact, so no document entry
    _result("documents.readable", ("A.8.24",), "documents.policy", "doc:gone.md", DOCS, "error", "document"),
]
DOCUMENT = {
    "title": "Crypto policy",
    "version": "1.2",
    "approved_by": "CISO",
    "approved_at": "2026-01-02",
    "sha256": "cd" * 32,
}
ATTESTATION = Attestation(
    "A.8.13", "exception", "Jo Park", "2026-11-01T00:00:00Z", "2027-01-01T00:00:00Z", 5, "Office Manager", "accepted",
    {"name": "risk.pdf", "sha256": "ef" * 32, "bytes": 3},
)  # fmt: skip
NOT_COUNTED = Attestation(
    "A.8.13", "effective", "Eve", "2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z", 3, counted=False, reason="nope"
)


def _soa(settings: RunSettings = SETTINGS) -> Soa:
    statuses = rollup(
        CATALOG,
        RESULTS,
        datetime(2026, 11, 22, 3, tzinfo=timezone.utc),
        settings.decisions,
        settings.default_max_age,
        [ATTESTATION, NOT_COUNTED],
    )
    inputs = SoaInputs(
        RUN,
        settings,
        RESULTS,
        {"aws.kms.rotation": {"rationale": "Keys rotate."}, "documents.approved": {"rationale": "Approved."}},
        {"doc:crypto.md": DOCUMENT, "doc:access.md": {"title": "Access policy", "sha256": "ee" * 32}},
        [{"collector": "aws.s3", "target": "targets[0] (aws)"}, {"collector": "aws.kms", "target": "targets[0] (aws)"}],
    )
    return Soa(RUN, settings, statuses, soa_rows(statuses, inputs), 0)


@pytest.fixture
def soa() -> Soa:  # built per test: mutation testing maps each test to the code it runs
    return _soa()


REFERENCE = f"run night-7 (#7, manifest sha256 {'ab' * 32})"
APPROVAL = {"version": "2.0", "approved_by": "Dana, CEO", "approved_at": "2026-09-15"}


def test_rows_field_by_field(soa: Soa) -> None:
    rows = {row["control"]: {k: v for k, v in row.items() if k != "text"} for row in soa.rows}
    common = {"run_id": "night-7", "judged_at": END, "soa": APPROVAL, "reviewed": None, "stale_since": None}
    assert rows["A.8.24"] == {
        **common,
        "control": "A.8.24",
        "title": "Use of cryptography",
        "theme": "technological",
        "applicable": True,
        "justification": "",
        "owner": "CTO",
        "status": "partial",
        "evidence_class": "automated",
        "last_evidence_at": "2026-11-22T02:10:00Z",
        "results": {"pass": 2, "fail": 1, "not_applicable": 1, "error": 1},
        "evidence_classes": {
            "automated": {"pass": 1, "fail": 1, "not_applicable": 1},
            "document": {"pass": 1, "error": 1},
        },
        "resources": 4,
        "targets": ["aws/1/us-east-1", "documents/isms"],
        "empty_kinds": ["aws.s3.bucket"],
        "rules": ["aws.kms.rotation", "aws.s3.encryption", "documents.approved", "documents.readable"],
        "attestations": [],
        "exception": None,
        "flags": [],
        "reasons": {
            "risk": [{"id": "R-1", "title": "Data theft", "owner": "CISO", "treatment": "mitigate"}],
            "legal": True,
            "note": "why",
        },
        "population": [
            "4 resources on aws/1/us-east-1, documents/isms",
            "not_applicable: 0 aws.s3.bucket in 1 region (us-east-1), checked by aws.s3 on targets[0] (aws)",
        ],
        "documents": [
            {
                "resource": "doc:crypto.md",
                "title": "Crypto policy",
                "version": "1.2",
                "approved_by": "CISO",
                "approved_at": "2026-01-02",
                "sha256": "cd" * 32,
            }
        ],
        "rationale": {"aws.kms.rotation": "Keys rotate.", "documents.approved": "Approved."},
        "evidence": "automated: 1 fail, 1 not_applicable, 1 pass; document: 1 error, 1 pass",
        "evidence_sources": ["aws", "documents"],
        "evidence_reference": f"{REFERENCE}; rules: aws.kms.rotation, aws.s3.encryption, documents.approved, "
        "documents.readable",
        "reviewed": "2026-09-01",
    }
    assert rows["A.7.4"]["status"] == "excluded" and rows["A.7.4"]["flags"] == ["EXCLUDED BUT EVIDENCE FAILS: 1 fail"]
    assert rows["A.7.4"]["evidence_sources"] == ["import:prowler"] and rows["A.7.4"]["justification"] == "No premises"
    a813 = rows["A.8.13"]
    assert (a813["status"], a813["evidence_class"], a813["evidence_sources"]) == (
        "not_implemented",
        "attestation",
        ["attestation"],
    )
    assert a813["exception"] == ATTESTATION.to_dict() and [a["sequence"] for a in a813["attestations"]] == [5, 3]
    assert a813["evidence"] == "attestation: exception by Jo Park until 2027-01-01T00:00:00Z"
    assert a813["evidence_reference"] == (
        f"{REFERENCE}; attestation run #5: exception by Jo Park (Office Manager) until 2027-01-01T00:00:00Z: "
        f"risk.pdf sha256:{'ef' * 32}; attestation run #3: effective by Eve until 2027-01-01T00:00:00Z "
        "(not counted: nope)"
    )
    assert rows["A.5.1"]["evidence_reference"] == f"{REFERENCE}; rules: documents.approved"
    assert rows["A.5.1"]["population"] == ["2 resources on documents/isms"]
    nothing = rows["A.6.1"]
    assert (nothing["status"], nothing["evidence_class"], nothing["evidence_reference"]) == ("no_evidence", None, "")
    assert (nothing["population"], nothing["documents"], nothing["rationale"], nothing["evidence"]) == ([], [], {}, "")
    assert rows["A.6.2"]["reasons"] == {"risk": [{"id": "R-9"}]}


def test_text_cells(soa: Soa) -> None:
    text = {row["control"]: row["text"] for row in soa.rows}
    assert text["A.8.24"] == {
        "reasons": "risk R-1 (Data theft), legal; why",
        "population": "4 resources on aws/1/us-east-1, documents/isms; "
        "not_applicable: 0 aws.s3.bucket in 1 region (us-east-1), checked by aws.s3 on targets[0] (aws)",
        "documents": f"Crypto policy v1.2, approved by CISO on 2026-01-02, sha256 {'cd' * 32}",
        "attestations": "",
        "exception": "",
        "flags": "",
        "rationale": "aws.kms.rotation: Keys rotate.; documents.approved: Approved.",
        "soa_version": "2.0",
        "soa_approved_by": "Dana, CEO",
        "soa_approved_at": "2026-09-15",
    }
    assert (
        text["A.8.13"]["exception"]
        == "documented exception until 2027-01-01T00:00:00Z by Jo Park (Office Manager): accepted"
    )
    assert text["A.8.13"]["flags"] == (
        "documented exception until 2027-01-01T00:00:00Z by Jo Park: accepted; "
        "attestation run #3 by Eve not counted: nope"
    )
    assert text["A.7.4"]["flags"] == "EXCLUDED BUT EVIDENCE FAILS: 1 fail"
    assert text["A.5.1"]["documents"] == (
        f"Access policy, not approved, sha256 {'ee' * 32}; Crypto policy v1.2, approved by CISO on 2026-01-02, "
        f"sha256 {'cd' * 32}"
    )
    assert text["A.5.1"]["rationale"] == "documents.approved: Approved."
    assert text["A.8.13"]["attestations"] == (
        f"attestation run #5: exception by Jo Park (Office Manager) until 2027-01-01T00:00:00Z: risk.pdf sha256:{'ef' * 32}"
        "; attestation run #3: effective by Eve until 2027-01-01T00:00:00Z (not counted: nope)"
    )
    assert text["A.6.1"] == {
        "reasons": "",
        "population": "",
        "documents": "",
        "attestations": "",
        "exception": "",
        "flags": "",
        "rationale": "",
        "soa_version": "2.0",
        "soa_approved_by": "Dana, CEO",
        "soa_approved_at": "2026-09-15",
    }
    assert text["A.6.2"]["reasons"] == "risk R-9"
    unapproved = {row["control"]: row["text"] for row in _soa(RunSettings()).rows}
    assert [unapproved["A.6.1"][k] for k in ("soa_version", "soa_approved_by", "soa_approved_at")] == ["", "", ""]


def test_documents_without_approval_or_version(soa: Soa) -> None:
    from annexa.reports.soa import _document_text

    assert (
        _document_text({"resource": "doc:x", "title": None, "sha256": None}) == "doc:x, not approved, sha256 (unknown)"
    )
    assert _document_text({"resource": "r", "title": "T", "approved_at": "2026-01-01"}) == (
        "T, approved by (nobody named) on 2026-01-01, sha256 (unknown)"
    )
    assert _document_text({"resource": "r", "title": "T", "approved_by": "CEO"}) == (
        "T, approved by CEO on (no date), sha256 (unknown)"
    )


HEADLINE = [
    "Statement of Applicability, ISO/IEC 27001:2022 Annex A",
    "SoA version 2.0, approved by Dana, CEO on 2026-09-15",
    f"run night-7 (#7), judged as of its end {END}, manifest sha256 {'ab' * 32}",
    "controls: 1 documented, 2 no_evidence, 1 excluded, 1 not_implemented, 1 partial",
]


def test_table_and_markdown_formats(soa: Soa) -> None:
    table = render_soa(soa, "table")
    assert isinstance(table, str) and table.splitlines()[:5] == [*HEADLINE, ""]
    header = table.splitlines()[5].split()
    assert header == ["CONTROL", "STATUS", "EVIDENCE_CLASS", "APPLICABLE", "TITLE", "EVIDENCE", "POPULATION", "FLAGS"]
    markdown = render_soa(soa, "md")
    assert isinstance(markdown, str)
    lines = markdown.splitlines()
    assert lines[:4] == [f"# {HEADLINE[0]}", "", *(f"- {line}" for line in HEADLINE[1:3])]
    assert lines[4] == "- controls: 1 documented, 2 no\\_evidence, 1 excluded, 1 not\\_implemented, 1 partial"
    assert lines[5:12] == [
        "",
        "## Risks",
        "",
        "| id | title | owner | treatment |",
        "|---|---|---|---|",
        "| R-1 | Data theft | CISO | mitigate |",
        "",
    ]
    assert lines[12].startswith("| control | title | theme | applicable | justification | reasons |")
    assert (
        "| A.8.24 | Use of cryptography | technological | yes |  | risk R-1 (Data theft), legal; why | CTO | partial | automated |"
        in markdown
    )
    crosswalked = render_soa(soa, "table", ("crosswalk",))
    assert isinstance(crosswalked, str) and crosswalked.splitlines()[5].split()[:3] == [
        "CONTROL",
        "STATUS",
        "CROSSWALK",
    ]


def test_csv_and_json_formats(soa: Soa) -> None:
    out = render_soa(soa, "csv")
    assert isinstance(out, str)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["control"] for r in rows] == ["A.5.1", "A.6.1", "A.6.2", "A.7.4", "A.8.13", "A.8.24"]
    assert rows[5]["documents"].startswith("Crypto policy v1.2") and rows[5]["soa_approved_at"] == "2026-09-15"
    assert rows[4]["exception"].startswith("documented exception until") and rows[3]["flags"].startswith("EXCLUDED")
    data = json.loads(str(render_soa(soa, "json")))
    assert [row["control"] for row in data] == ["A.5.1", "A.6.1", "A.6.2", "A.7.4", "A.8.13", "A.8.24"]
    assert "text" not in data[0] and data[5]["reasons"]["risk"][0]["title"] == "Data theft"


def test_workbook_and_html(soa: Soa, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = render_soa(soa, "xlsx")
    assert isinstance(data, bytes)
    (tmp_path / "s.xlsx").write_bytes(data)
    book = openpyxl.load_workbook(tmp_path / "s.xlsx")
    assert book.sheetnames == ["Statement of Applicability", "About this SoA", "Risks"]
    about = [[c.value for c in row] for row in book["About this SoA"].iter_rows()]
    assert about == [
        ["Item", "Value"],
        ["Standard", "ISO/IEC 27001:2022 Annex A"],
        ["SoA version", "2.0"],
        ["Approved by", "Dana, CEO"],
        ["Approved on", "2026-09-15"],
        ["Run", "night-7 (#7)"],
        ["Judged as of", END],
        ["Manifest sha256", "ab" * 32],
        ["Organisation policy", "password_max_age_days: none"],
    ]
    assert [[c.value for c in row] for row in book["Risks"].iter_rows()] == [
        ["Risk", "Title", "Owner", "Treatment"],
        ["R-1", "Data theft", "CISO", "mitigate"],
    ]
    sheet = book["Statement of Applicability"]
    controls = ["A.5.1", "A.6.1", "A.6.2", "A.7.4", "A.8.13", "A.8.24"]
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == controls
    html = render_soa(soa, "html")
    assert isinstance(html, str) and "<title>Statement of Applicability</title>" in html
    assert "<h2>Risks</h2>" in html and "<td>Data theft</td>" in html and "Dana, CEO" in html and "night-7 (#7)" in html


def test_workbook_extra_columns_and_a_selection_of_controls(soa: Soa) -> None:
    for row in soa.rows:
        row["text"]["crosswalk_ids"] = f"x-{row['control']}"
    book = openpyxl.load_workbook(io.BytesIO(soa_workbook(soa, ("crosswalk_ids",), controls=["A.8.24", "A.5.1"])))
    sheet = book["Statement of Applicability"]
    assert sheet.cell(1, 21).value == "Crosswalk ids" and sheet.column_dimensions["U"].width == 24
    assert sheet.cell(2, 21).alignment.wrap_text is True
    assert [(row[0].value, row[20].value) for row in sheet.iter_rows(min_row=2)] == [
        ("A.5.1", "x-A.5.1"),
        ("A.8.24", "x-A.8.24"),
    ]
    rendered = render_soa(soa, "xlsx", ("crosswalk_ids",))
    assert isinstance(rendered, bytes)
    full = openpyxl.load_workbook(io.BytesIO(rendered))["Statement of Applicability"]
    assert full.cell(1, 21).value == "Crosswalk ids" and full.max_row == 7


def test_without_approval_or_risks(soa: Soa) -> None:
    bare = Soa(RUN, RunSettings(), soa.statuses, soa.rows, 0)
    table = render_soa(bare, "table")
    assert isinstance(table, str)
    assert table.splitlines()[1] == (
        "SoA approval: none recorded (add `soa: {version, approved_by, approved_at}` to annexa.yaml)"
    )
    markdown = render_soa(bare, "md")
    assert isinstance(markdown, str) and "## Risks" not in markdown
    data = render_soa(bare, "xlsx")
    assert isinstance(data, bytes)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Statement of Applicability", "About this SoA"]
    about = {row[0].value: row[1].value for row in book["About this SoA"].iter_rows(min_row=2)}
    assert about["SoA version"] == about["Approved by"] == about["Approved on"] == "(none recorded)"


def test_population_without_a_recorded_target() -> None:
    from annexa.mappings.rollup import ControlStatus
    from annexa.reports.soa import _population

    status = ControlStatus("A.8.1", "t", "technological", True, "", "", "implemented", None, resources=1)
    assert _population(status, RunSettings(), []) == ["1 resource on no recorded target"]


def test_evidence_sources() -> None:
    assert evidence_source("aws.s3.bucket") == "aws"
    assert evidence_source("import.prowler.finding") == "import:prowler"
    assert evidence_source("import.x") == "import"
    assert evidence_sources(RESULTS) == {
        "A.8.24": ["aws", "documents"],
        "A.5.1": ["documents"],
        "A.7.4": ["import:prowler"],
    }
