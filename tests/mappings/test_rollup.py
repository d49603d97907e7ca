"""The status model, row by row (README "Control statuses", mappings/rollup.py docstring)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from annexa.mappings.catalog import load_catalog
from annexa.mappings.rollup import (
    CONTROL_STATUSES,
    DECISION_ROWS,
    STATUS_MEANINGS,
    Attestation,
    ControlStatus,
    control_statuses,
    rollup,
    rollup_by_resource,
)
from annexa.mappings.scope import Reasons, ScopeDecision
from annexa.model import Result, parse_timestamp

NOW = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
FRESH = "2026-11-22T00:00:00Z"
OLD = "2026-10-01T00:00:00Z"
WEEK = timedelta(days=7)
CATALOG = load_catalog()
CLASS_KIND = {"automated": "fake.bucket", "record": "people.person", "document": "documents.policy"}


def _r(
    status: str,
    cls: str = "automated",
    at: str = FRESH,
    resource: str | None = None,
    control: str = "A.8.24",
    scope: dict[str, str] | None = None,
) -> Result:
    resource = resource or f"{cls}-{status}-{at}"
    return Result(
        rule=f"x.{cls}.{status}",
        controls=(control,),
        kind=CLASS_KIND[cls],
        resource=resource,
        scope=scope if scope is not None else {"provider": cls, "account": "1"},
        status=status,
        severity="high",
        message="",
        collected_at=at,
        evidence_class=cls,
    )


def _att(
    outcome: str = "effective",
    seq: int = 5,
    at: str = "2026-11-01T00:00:00Z",
    until: str = "2027-06-01T00:00:00Z",
    counted: bool = True,
    control: str = "A.8.24",
) -> Attestation:
    return Attestation(
        control=control,
        outcome=outcome,
        attested_by="Jo Park",
        attested_at=at,
        expires_at=until,
        sequence=seq,
        role="Office Manager",
        note="walked the floor",
        counted=counted,
        reason="" if counted else "not an attester",
    )


def _control(results: list[Result], attestations: tuple[Attestation, ...] = (), **kwargs: object) -> ControlStatus:
    kwargs.setdefault("default_max_age", WEEK)
    by_id = {s.control: s for s in rollup(CATALOG, results, NOW, attestations=attestations, **kwargs)}  # type: ignore[arg-type]
    return by_id["A.8.24"]


def _status(results: list[Result], attestations: tuple[Attestation, ...] = (), **kwargs: object) -> tuple[str, object]:
    control = _control(results, attestations, **kwargs)
    return control.status, control.evidence_class


# Each case: (DECISION_ROWS row, 1-based; label, results, attestations, expected status, deciding evidence class)
ROWS = [
    # 1 no_evidence
    (1, "nothing at all", [], (), "no_evidence", None),
    (1, "only not_applicable", [_r("not_applicable", at="")], (), "no_evidence", None),
    (1, "only an attestation that does not count", [], (_att(counted=False),), "no_evidence", None),
    # 2 a negative attestation in force
    (
        2,
        "not-effective beats passing operation",
        [_r("pass")],
        (_att("not-effective"),),
        "not_implemented",
        "attestation",
    ),
    (
        2,
        "exception is not implemented",
        [_r("pass", "document")],
        (_att("exception"),),
        "not_implemented",
        "attestation",
    ),
    (2, "not-effective alone", [], (_att("not-effective"),), "not_implemented", "attestation"),
    # 3 operating failure, nothing operating passes
    (3, "automated fail", [_r("fail")], (), "not_implemented", "automated"),
    (3, "record fail", [_r("fail", "record")], (), "not_implemented", "record"),
    (
        3,
        "a technical fail and document passes",
        [_r("fail"), *(_r("pass", "document", resource=f"d{i}") for i in range(5))],
        (),
        "not_implemented",
        "automated",
    ),
    (3, "a technical fail and an effective attestation", [_r("fail")], (_att(),), "not_implemented", "automated"),
    (3, "a fresh fail beats a stale pass", [_r("fail"), _r("pass", at=OLD)], (), "not_implemented", "automated"),
    (3, "a fresh fail beats an error", [_r("fail"), _r("error")], (), "not_implemented", "automated"),
    # 4 partial
    (4, "automated pass and fail", [_r("pass"), _r("fail")], (), "partial", "automated"),
    (4, "record pass, automated fail", [_r("pass", "record"), _r("fail")], (), "partial", "automated"),
    (4, "pass, fail and error", [_r("pass"), _r("fail"), _r("error")], (), "partial", "automated"),
    # 5 error
    (5, "automated error", [_r("pass"), _r("error")], (), "error", "automated"),
    (5, "document error", [_r("pass"), _r("error", "document")], (), "error", "document"),
    (5, "an error beats staleness", [_r("error"), _r("pass", at=OLD)], (), "error", "automated"),
    # 6 stale
    (6, "stale operation", [_r("pass", at=OLD)], (), "stale", "automated"),
    (
        6,
        "a stale document next to passing operation",
        [_r("pass"), _r("pass", "document", at=OLD)],
        (),
        "stale",
        "document",
    ),
    (6, "a stale fail", [_r("fail", at=OLD)], (), "stale", "automated"),
    (6, "an undated result", [_r("pass", at="")], (), "stale", "automated"),
    # 7 a document fails
    (7, "operation passes, a document fails", [_r("pass"), _r("fail", "document")], (), "partial", "document"),
    (7, "documents pass, one fails", [_r("pass", "document"), _r("fail", "document")], (), "partial", "document"),
    (8, "only a failing document", [_r("fail", "document")], (), "not_implemented", "document"),
    (8, "a failing document and an attestation", [_r("fail", "document")], (_att(),), "not_implemented", "document"),
    # 8 implemented
    (9, "automated passes", [_r("pass"), _r("pass", resource="b")], (), "implemented", "automated"),
    (9, "records pass", [_r("pass", "record")], (), "implemented", "record"),
    (9, "automated and records pass", [_r("pass", "record"), _r("pass")], (), "implemented", "automated"),
    (9, "operation passes, documents too", [_r("pass"), _r("pass", "document")], (), "implemented", "automated"),
    (9, "operation passes, attestation effective", [_r("pass")], (_att(),), "implemented", "automated"),
    (9, "operation passes, attestation expired", [_r("pass")], (_att(until=FRESH),), "implemented", "automated"),
    # 9 attested
    (10, "effective attestation", [], (_att(),), "attested", "attestation"),
    (10, "effective attestation and documents", [_r("pass", "document")], (_att(),), "attested", "attestation"),
    # 10 documented
    (
        11,
        "documents only",
        [_r("pass", "document"), _r("pass", "document", resource="p")],
        (),
        "documented",
        "document",
    ),
    (
        11,
        "documents and an expired attestation",
        [_r("pass", "document")],
        (_att(until=FRESH),),
        "documented",
        "document",
    ),
    # 11 only an expired attestation
    (12, "expired attestation", [], (_att(until=FRESH),), "stale", "attestation"),
    (12, "an expired not-effective attestation", [], (_att("not-effective", until=FRESH),), "stale", "attestation"),
    (12, "an attestation recorded after the run's end", [], (_att(at="2026-11-23T00:00:00Z"),), "stale", "attestation"),
]


@pytest.mark.parametrize(
    ("row", "label", "results", "attestations", "status", "basis"), ROWS, ids=[f"{r[0]}: {r[1]}" for r in ROWS]
)
def test_status_model_row_by_row(
    row: int, label: str, results: list[Result], attestations: tuple[Attestation, ...], status: str, basis: str | None
) -> None:
    assert DECISION_ROWS[row - 1][1] == status  # the case exercises the row it names
    assert _status(results, attestations) == (status, basis)


PARITY = [
    *((r[2], r[3], {}) for r in ROWS),
    ([_r("fail"), _r("pass")], (), {"A.8.24": ScopeDecision(applicable=False, justification="No data at rest")}),
    ([], (_att("effective", seq=3), _att("not-effective", seq=9), _att("effective", seq=12)), {}),
    ([], (_att("effective", seq=3), _att("not-effective", seq=20, counted=False)), {}),
    ([], (_att("effective", seq=3), _att("not-effective", seq=3)), {}),  # a tie: the first listed, as rollup
    ([_r("pass", at=OLD), _r("fail", control="A.5.1")], (), {"A.8.24": ScopeDecision(max_age=timedelta(days=90))}),
]


@pytest.mark.parametrize(("results", "attestations", "decisions"), PARITY)
def test_control_statuses_gives_every_control_the_status_rollup_gives(
    results: list[Result], attestations: tuple[Attestation, ...], decisions: dict[str, ScopeDecision]
) -> None:
    full = rollup(CATALOG, results, NOW, decisions, WEEK, attestations)
    assert control_statuses(CATALOG, results, NOW, decisions, WEEK, attestations) == {s.control: s.status for s in full}


def test_every_decision_row_and_every_status_has_a_case() -> None:
    assert sorted({case[0] for case in ROWS}) == list(range(1, len(DECISION_ROWS) + 1))
    assert {case[4] for case in ROWS} == set(CONTROL_STATUSES) - {"excluded"}
    assert list(STATUS_MEANINGS) == list(CONTROL_STATUSES)


@pytest.mark.parametrize("documents", [0, 1, 3, 10, 200])
def test_a_technical_fail_plus_any_number_of_document_passes_stays_not_implemented(documents: int) -> None:
    passes = [_r("pass", "document", resource=f"policy-{i}") for i in range(documents)]
    assert _status([_r("fail"), *passes]) == ("not_implemented", "automated")
    assert _status([_r("fail"), *passes], (_att(),)) == ("not_implemented", "automated")


def test_the_newest_counted_attestation_supersedes_older_ones() -> None:
    older_effective, newer_not = _att("effective", seq=3), _att("not-effective", seq=9)
    assert _status([], (older_effective, newer_not))[0] == "not_implemented"
    fixed = _att("effective", seq=12)
    control = _control([], (older_effective, newer_not, fixed))
    assert control.status == "attested" and control.attestation == fixed
    assert [a.sequence for a in control.attestations] == [12, 9, 3]
    # a later statement that does not count supersedes nothing
    assert _status([], (older_effective, _att("not-effective", seq=20, counted=False)))[0] == "attested"


def test_a_document_claiming_a_control_never_makes_it_implemented() -> None:
    many = [_r("pass", "document", resource=f"policy-{i}") for i in range(50)]
    assert _status(many) == ("documented", "document")


def test_excluded_controls_keep_their_justification_and_are_flagged_when_evidence_fails() -> None:
    excluded = {"A.8.24": ScopeDecision(applicable=False, justification="No data at rest")}
    failing = _control([_r("fail"), _r("error"), _r("pass")], decisions=excluded)
    assert (failing.status, failing.justification, failing.evidence_class) == ("excluded", "No data at rest", None)
    assert failing.flags == ("EXCLUDED BUT EVIDENCE FAILS: 1 fail, 1 error",)
    assert _control([_r("pass")], decisions=excluded).flags == ()
    said = _control([], (_att("not-effective"),), decisions=excluded)
    assert said.flags == ("EXCLUDED BUT EVIDENCE FAILS: attested not-effective by Jo Park",)


def test_an_exception_is_shown_with_its_expiry() -> None:
    control = _control([], (_att("exception"),))
    assert control.exception is not None and control.exception.expires_at == "2027-06-01T00:00:00Z"
    assert control.flags == ("documented exception until 2027-06-01T00:00:00Z by Jo Park: walked the floor",)
    assert control.to_dict()["exception"]["outcome"] == "exception"  # type: ignore[index]
    assert _control([], (_att("exception", until=FRESH),)).exception is None  # expired: no longer in force


def test_attestations_that_do_not_count_are_listed_and_flagged() -> None:
    control = _control([_r("pass")], (_att(counted=False, seq=4),))
    assert control.status == "implemented" and control.attestation is None
    assert control.flags == ("attestation run #4 by Jo Park not counted: not an attester",)
    assert [a["counted"] for a in control.to_dict()["attestations"]] == [False]  # type: ignore[union-attr]


def test_population_counts_resources_and_targets_and_lists_empty_kinds() -> None:
    results = [
        _r("pass", resource="a", scope={"provider": "aws", "account": "1", "region": "eu-west-1"}),
        _r("fail", resource="b", scope={"provider": "aws", "account": "1", "region": "us-east-1"}),
        _r("pass", resource="a", scope={"provider": "aws", "account": "1", "region": "eu-west-1"}),
        Result("r2", ("A.8.24",), "aws.s3.bucket", "-", {}, "not_applicable", "high", "", "", "automated"),
        Result("r3", ("A.8.24",), "fake.bucket", "-", {}, "not_applicable", "high", "", "", "automated"),
    ]
    control = _control(results)
    assert control.resources == 2
    assert control.targets == ("aws/1/eu-west-1", "aws/1/us-east-1")
    assert control.empty_kinds == ("aws.s3.bucket",)  # fake.bucket has judged resources, so it is not empty
    assert control.counts == {"pass": 2, "fail": 1, "not_applicable": 2}
    assert control.classes == {"automated": {"pass": 2, "fail": 1, "not_applicable": 2}}


def test_class_counts_are_ordered_strongest_first() -> None:
    control = _control([_r("pass", "document"), _r("pass", "record"), _r("pass")])
    assert list(control.classes) == ["automated", "record", "document"]


def test_last_evidence_counts_results_and_counted_attestations() -> None:
    control = _control([_r("pass", at="2026-11-20T00:00:00Z")], (_att(at="2026-11-21T00:00:00Z"),))
    assert control.last_evidence_at == "2026-11-21T00:00:00Z"
    assert _control([_r("pass", at="2026-11-20T00:00:00Z")], (_att(counted=False, at=FRESH),)).last_evidence_at == (
        "2026-11-20T00:00:00Z"
    )


def test_every_catalog_control_gets_a_status() -> None:
    statuses = rollup(CATALOG, [], NOW)
    assert len(statuses) == 93 and {s.status for s in statuses} == {"no_evidence"}


def test_staleness_is_per_result_so_old_evidence_cannot_hide_behind_fresh() -> None:
    control = _control([_r("pass", resource="a"), _r("pass", at=OLD, resource="b")])
    assert (control.status, control.stale_since, control.last_evidence_at) == ("stale", OLD, FRESH)
    assert _control([_r("pass", at="")]).stale_since == ""
    assert _control([], (_att(until="2026-11-02T00:00:00Z"),)).stale_since == "2026-11-02T00:00:00Z"
    assert _control([_r("pass")]).stale_since is None


def test_max_age_precedence_control_then_kind_then_default() -> None:
    week_old = [_r("pass", at="2026-11-15T00:00:00Z")]
    by_kind = {"fake.bucket": timedelta(days=2)}
    assert _status(week_old, default_max_age=timedelta(days=30))[0] == "implemented"
    assert _status(week_old, default_max_age=timedelta(days=30), max_age_by_kind=by_kind)[0] == "stale"
    decisions = {"A.8.24": ScopeDecision(max_age=timedelta(days=10))}
    assert _status(week_old, decisions=decisions, max_age_by_kind=by_kind)[0] == "implemented"
    exactly = [_r("pass", at="2026-11-15T12:00:00Z")]  # exactly 7 days old is still fresh
    assert _status(exactly)[0] == "implemented"


def test_attestations_age_by_their_expiry_not_max_age() -> None:
    months_old = _att(at=OLD, until="2027-05-01T00:00:00Z")
    assert _status([], (months_old,), default_max_age=WEEK)[0] == "attested"
    at_expiry = _att(until="2026-11-22T12:00:00Z")  # expiry is exclusive
    assert _status([], (at_expiry,))[0] == "stale"


def test_reasons_and_review_are_carried_to_the_row() -> None:
    decision = ScopeDecision(reasons=Reasons(("R-1",), {"legal": "GDPR"}, "why"), reviewed="2026-09-01", owner="CISO")
    control = _control([], decisions={"A.8.24": decision})
    assert (control.reasons, control.reviewed, control.owner) == (decision.reasons, "2026-09-01", "CISO")


def test_a_control_status_whole() -> None:
    results = [
        _r("pass", resource="a", scope={"provider": "aws", "account": "1"}),
        _r("fail", "document", resource="d", scope={"provider": "documents", "org": "isms"}),
        Result("r9", ("A.8.24",), "aws.s3.bucket", "-", {}, "not_applicable", "high", "", "", "automated"),
    ]
    statement = _att("effective", seq=7)
    control = _control(results, (statement,))
    assert control.to_dict() == {
        "control": "A.8.24",
        "title": "Use of cryptography",
        "theme": "technological",
        "applicable": True,
        "justification": "",
        "owner": "",
        "status": "partial",
        "evidence_class": "document",
        "last_evidence_at": FRESH,
        "stale_since": None,
        "results": {"pass": 1, "fail": 1, "not_applicable": 1},
        "evidence_classes": {"automated": {"pass": 1, "not_applicable": 1}, "document": {"fail": 1}},
        "resources": 2,
        "targets": ["aws/1", "documents/isms"],
        "empty_kinds": ["aws.s3.bucket"],
        "rules": ["r9", "x.automated.pass", "x.document.fail"],
        "attestations": [statement.to_dict()],
        "exception": None,
        "flags": [],
    }
    assert statement.to_dict() == {
        "outcome": "effective",
        "attested_by": "Jo Park",
        "role": "Office Manager",
        "attested_at": "2026-11-01T00:00:00Z",
        "expires_at": "2027-06-01T00:00:00Z",
        "note": "walked the floor",
        "file": None,
        "sequence": 7,
        "counted": True,
        "reason": "",
    }
    assert control.attestation == statement and control.reviewed is None


def test_attestation_reference_and_validity_window() -> None:
    plain = _att("effective", seq=4)
    assert plain.reference() == "attestation run #4: effective by Jo Park (Office Manager) until 2027-06-01T00:00:00Z"
    filed = Attestation("A.7.1", "not-effective", "Sam", FRESH, "2027-01-01T00:00:00Z", 9,
                        file={"name": "r.pdf", "sha256": "ab"})  # fmt: skip
    assert filed.reference() == "attestation run #9: not-effective by Sam until 2027-01-01T00:00:00Z: r.pdf sha256:ab"
    assert filed.to_dict()["file"] == {"name": "r.pdf", "sha256": "ab"}
    legacy = Attestation("A.7.1", "", "Sam", FRESH, "2027-01-01T00:00:00Z", 2, counted=False, reason="no outcome")
    assert (
        legacy.reference()
        == "attestation run #2: no outcome by Sam until 2027-01-01T00:00:00Z (not counted: no outcome)"
    )
    starts = datetime(2026, 11, 22, tzinfo=timezone.utc)
    assert filed.in_force(starts) and not filed.in_force(starts - timedelta(seconds=1))
    ends = datetime(2027, 1, 1, tzinfo=timezone.utc)
    assert filed.in_force(ends - timedelta(seconds=1)) and not filed.in_force(ends)


def test_an_unknown_class_ranks_last_and_never_decides_over_a_known_one() -> None:
    odd = Result("x.odd", ("A.8.24",), "odd.kind", "o", {}, "fail", "high", "", FRESH, "weird")
    control = _control([odd, _r("fail", "document")])
    assert (control.status, control.evidence_class) == ("not_implemented", "document")
    assert list(control.classes) == ["document", "weird"]


def test_times_are_compared_as_instants_not_as_text() -> None:
    # 23:30 at UTC-5 is later than 03:00Z the next day written as text would suggest
    late = _r("pass", at="2026-11-21T23:30:00-05:00", resource="late")
    early = _r("pass", at="2026-11-22T03:00:00Z", resource="early")
    assert _control([early, late]).last_evidence_at == "2026-11-21T23:30:00-05:00"
    old_offset = _r("pass", at="2026-10-01T23:00:00-05:00", resource="o1")  # 2026-10-02T04:00Z
    older = _r("pass", at="2026-10-02T01:00:00Z", resource="o2")
    assert _control([old_offset, older]).stale_since == "2026-10-02T01:00:00Z"


def test_the_deciding_class_is_the_strongest_by_rank_not_by_name() -> None:
    stale = [_r("pass", "document", at=OLD, resource="d"), _r("pass", "record", at=OLD, resource="r")]
    assert _status(stale) == ("stale", "record")


def test_a_passing_result_of_class_attestation_is_attested() -> None:
    plugin = Result("p.att", ("A.8.24",), "plugin.statement", "s", {}, "pass", "low", "", FRESH, "attestation")
    assert _status([plugin, _r("pass", "document")]) == ("attested", "attestation")


def test_an_exception_without_a_note_is_flagged_without_one() -> None:
    bare = Attestation("A.8.24", "exception", "Jo", FRESH, "2027-01-01T00:00:00Z", 2)
    assert _control([], (bare,)).flags == ("documented exception until 2027-01-01T00:00:00Z by Jo",)


def _mixed() -> list[Result]:
    """Results over two controls and a few resources in (rule, resource) order, as a run holds them:
    statuses and classes first seen in different orders, a resource with two kinds, the same
    instant written two ways (which of equal times is kept must not depend on the order read)."""
    same_instant = ("2026-11-21T00:00:00Z", "2026-11-21T00:00:00+00:00")
    out = []
    for n in range(24):
        cls = ("automated", "record", "document")[n % 3]
        status = ("pass", "fail", "error", "not_applicable", "pass")[n % 5]
        base = _r(status, cls, at=(FRESH, OLD, *same_instant)[n % 4], resource=f"r{(n * 7) % 5}")
        scope = {"provider": "aws", "account": str(n % 2)}
        out.append(replace(base, rule=f"rule{n % 6}", controls=("A.8.24", "A.5.1")[: 1 + n % 2], scope=scope))
    return sorted(out, key=lambda r: (r.rule, r.resource))


def test_rollup_by_resource_is_rollup_of_the_results_in_rule_order() -> None:
    results = _mixed()
    decisions = {"A.5.1": ScopeDecision(max_age=WEEK)}
    expected = rollup(CATALOG, results, NOW, decisions, timedelta(days=60), [_att()])
    by_resource = sorted(results, key=lambda r: (r.resource, r.rule))
    assert rollup_by_resource(CATALOG, by_resource, NOW, decisions, timedelta(days=60), [_att()]) == expected
    chosen = {s.control: s for s in expected}
    for control in ("A.8.24", "A.5.1"):
        evidence = [r for r in results if control in r.controls and r.status != "not_applicable"]
        assert chosen[control].resources == len({(r.kind, r.resource) for r in evidence}) > 5
        assert chosen[control].last_evidence_at == max((r.collected_at for r in evidence), key=parse_timestamp)
        # counts keep the order statuses are first seen in rule order, as JSON shows them
        assert list(chosen[control].counts) == list(dict.fromkeys(r.status for r in results if control in r.controls))


def test_rollup_by_resource_refuses_results_out_of_resource_order() -> None:
    results = sorted(_mixed(), key=lambda r: (r.resource, r.rule))
    with pytest.raises(ValueError, match="out of resource order"):
        rollup_by_resource(CATALOG, reversed(results), NOW)
