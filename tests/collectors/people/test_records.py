"""People records: column mapping, file:row errors, and the rules (training age, screening, leavers)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from annexa import cli
from annexa.collectors.base import Target
from annexa.collectors.people.collector import PeopleRecordsCollector, headcount
from annexa.collectors.registry import load_registry
from annexa.errors import UsageError
from annexa.mappings.catalog import load_catalog
from annexa.mappings.evaluate import evaluate
from annexa.mappings.rules import builtin_rule_files, load_rules
from annexa.model import Fact, Source

COLUMNS = {
    "id": "Employee ID",
    "email": "Work email",
    "start_date": "Start",
    "end_date": "Leave date",
    "screening_date": "Background check",
    "training_date": "Awareness done",
    "aws_user": "AWS login",
}
HR = """\
Employee ID,Work email,Start,Leave date,Background check,Awareness done,AWS login
E1,ana@example.com,2024-01-15,,2024-01-02,2026-09-01,ana
E2,ben@example.com,2024-05-01,,2024-05-20,2024-06-01,
E3,cy@example.com,2023-02-01,2026-10-31,2023-01-10,2026-01-10,cy.old
E4,di@example.com,2023-02-01,2026-06-30,2023-01-10,2026-01-10,
"""
NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def _target(tmp_path: Path, text: str, suffix: str = ".csv", **options: object) -> Target:
    path = tmp_path / f"hr{suffix}"
    path.write_text(text)
    return Target("people", {"path": str(path), "columns": COLUMNS, **options})


def test_rows_become_facts_with_normalised_fields(tmp_path: Path, context) -> None:  # type: ignore[no-untyped-def]
    everything = list(PeopleRecordsCollector().collect(_target(tmp_path, HR, training_interval="180d"), context))
    facts = [f for f in everything if f.kind == "people.person"]
    assert [f.resource for f in facts] == ["people:hr/E1", "people:hr/E2", "people:hr/E3", "people:hr/E4"]
    (count,) = [f for f in everything if f.kind == "people.headcount"]
    assert count.resource == "people:hr" and set(count.data) == {
        "as_of", "listed", "active", "leavers", "not_started", "maps_end_date"
    }  # fmt: skip
    first = facts[0].data
    assert first["start_date"] == "2024-01-15" and first["end_date"] is None and first["aws_user"] == "ana"
    assert first["training_interval_days"] == 180 and "terms_signed_date" not in first["mapped"]


def test_json_exports_work_too(tmp_path: Path, context) -> None:  # type: ignore[no-untyped-def]
    records = [
        {
            "Employee ID": "E9",
            "Work email": "x@example.com",
            "Start": "2025-01-01T09:00:00+01:00",
            "Leave date": None,
            "Background check": "2024-12-01",
            "Awareness done": "2025-01-02",
            "AWS login": None,
        }
    ]
    fact, _headcount = PeopleRecordsCollector().collect(_target(tmp_path, json.dumps(records), ".json"), context)
    assert fact.data["start_date"] == "2025-01-01T08:00:00Z"


@pytest.mark.parametrize(
    ("text", "suffix", "expected"),
    [
        (
            HR.replace("AWS login", "AWS user"),
            ".csv",
            "hr.csv:1: declared column 'AWS login' (aws_user) is not in the file",
        ),
        (
            HR.replace("2024-05-20", "20/05/2024"),
            ".csv",
            "hr.csv:3: Background check (screening_date): '20/05/2024' is ambiguous",
        ),
        (HR.replace("2026-06-30", "last June"), ".csv", "hr.csv:5: Leave date (end_date): 'last June' is not a date"),
        (HR.replace("E2,", "E1,"), ".csv", "hr.csv:3: duplicate id 'E1' (first at"),
        (HR.replace("E4,", ","), ".csv", "hr.csv:5: Employee ID (id) is empty"),
        ('[{"Employee ID": "E1"', ".json", "hr.json:1: not valid JSON"),
        ('{"Employee ID": "E1"}', ".json", "hr.json:1: expected a JSON list of records"),
    ],
)
def test_bad_exports_name_file_and_row(tmp_path: Path, text: str, suffix: str, expected: str) -> None:
    with pytest.raises(UsageError) as info:
        PeopleRecordsCollector.preflight(_target(tmp_path, text, suffix))
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_bad_column_mapping_names_the_target(tmp_path: Path) -> None:
    target = Target("people", {"path": str(tmp_path / "x.csv"), "columns": {"id": "a", "salary": "b"}}, index=3)
    with pytest.raises(UsageError, match=r"targets\[3\] \(people\): columns: unknown field 'salary'"):
        PeopleRecordsCollector.preflight(target)


def _results(facts: list[Fact], kinds: set[str]) -> dict:
    registry = load_registry()
    rules = load_rules(builtin_rule_files(), registry.kinds(), set(load_catalog().ids()))
    return {(r.rule, r.resource): r for r in evaluate(facts, [], rules, NOW, collected_kinds=kinds)}


def test_training_age_screening_and_leavers_against_iam_users(tmp_path: Path, context) -> None:  # type: ignore[no-untyped-def]
    people = list(PeopleRecordsCollector().collect(_target(tmp_path, HR), context))
    iam = Fact(
        kind="aws.iam.user",
        resource="arn:aws:iam::1:user/CY.OLD",
        scope={"provider": "aws"},
        data={"user_name": "CY.OLD"},
        source=Source(("iam:ListUsers",), "auditor"),
    )
    results = _results([*people, iam], {"people.person", "aws.iam.user"})
    assert results[("people.awareness-training-current", "people:hr/E1")].status == "pass"
    assert results[("people.awareness-training-current", "people:hr/E2")].status == "fail"  # older than 365 days
    assert ("people.awareness-training-current", "people:hr/E3") not in results  # has left
    assert results[("people.screened-before-start", "people:hr/E1")].status == "pass"
    assert results[("people.screened-before-start", "people:hr/E2")].status == "fail"  # screened after starting
    leaver = results[("people.leaver-aws-user-removed", "people:hr/E3")]
    assert leaver.status == "fail" and "user/CY.OLD" in leaver.message and leaver.controls == ("A.5.16", "A.5.18")
    assert results[("people.leaver-aws-user-removed", "people:hr/E4")].status == "pass"
    assert ("people.leaver-aws-user-removed", "people:hr/E1") not in results  # still employed


def test_stale_training_shows_on_a6_3_and_a_bad_export_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "hr.csv").write_text(HR)
    config = tmp_path / "annexa.yaml"
    mapping = ", ".join(f"{k}: '{v}'" for k, v in COLUMNS.items())
    config.write_text(f"store: ./evidence\ntargets:\n  - people: {{path: hr.csv, columns: {{{mapping}}}}}\n")
    assert cli.main(["--log-format", "json", "collect", "--config", str(config)]) == 0
    capsys.readouterr()
    assert cli.main(["soa", "--config", str(config), "--format", "json"]) == 0
    soa = {row["control"]: row for row in json.loads(capsys.readouterr().out)}
    assert soa["A.6.3"]["status"] == "partial" and soa["A.6.3"]["results"]["fail"] == 1

    (tmp_path / "hr.csv").write_text(HR.replace("2026-09-01", "2026-13-01"))
    assert cli.main(["--log-format", "json", "collect", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'hr.csv'}:2: Awareness done (training_date)" in err
    assert len(list((tmp_path / "evidence" / "manifests").iterdir())) == 1


def test_the_headcount_counts_people_active_on_the_collection_date() -> None:
    records = [
        {"mapped": ["id", "start_date", "end_date"], "start_date": "2024-01-15", "end_date": None},
        {"mapped": [], "start_date": "2026-11-22", "end_date": "2026-11-22"},  # starts and leaves today: active
        {"mapped": [], "start_date": "2023-02-01", "end_date": "2026-11-21"},  # left yesterday
        {"mapped": [], "start_date": "2026-12-01", "end_date": None},  # not started yet
        {"mapped": [], "start_date": None, "end_date": None},  # no dates: active
    ]
    assert headcount(records, "2026-11-22T10:00:00Z") == {
        "as_of": "2026-11-22",
        "listed": 5,
        "active": 3,
        "leavers": 1,
        "not_started": 1,
        "maps_end_date": True,
    }
