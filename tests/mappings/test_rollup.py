from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from annexa.mappings.catalog import load_catalog
from annexa.mappings.rollup import ManualEvidence, ScopeDecision, rollup
from annexa.model import Result

NOW = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)
FRESH = "2026-11-22T00:00:00Z"
OLD = "2026-10-01T00:00:00Z"


def _result(status: str, control: str = "A.8.24", at: str = FRESH, resource: str = "r") -> Result:
    return Result(
        rule=f"x.{status}.{resource}",
        controls=(control,),
        kind="fake.bucket",
        resource=resource,
        scope={},
        status=status,
        severity="high",
        message="",
        collected_at=at,
    )


def _status(results: list[Result], **kwargs: object) -> str:
    by_id = {s.control: s for s in rollup(load_catalog(), results, NOW, **kwargs)}  # type: ignore[arg-type]
    return by_id["A.8.24"].status


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["pass", "pass"], "implemented"),
        (["pass", "fail"], "partial"),
        (["fail"], "not_implemented"),
        (["pass", "error"], "error"),
        (["fail", "error"], "error"),
        (["not_applicable"], "no_evidence"),
        ([], "no_evidence"),
    ],
)
def test_automated_statuses(statuses: list[str], expected: str) -> None:
    assert _status([_result(s, resource=str(i)) for i, s in enumerate(statuses)]) == expected


def test_stale_when_newest_evidence_is_older_than_max_age() -> None:
    assert _status([_result("pass", at=OLD)], default_max_age=timedelta(days=7)) == "stale"
    decisions = {"A.8.24": ScopeDecision(max_age=timedelta(days=90))}
    assert _status([_result("pass", at=OLD)], decisions=decisions, default_max_age=timedelta(days=7)) == "implemented"


def test_excluded_controls_keep_their_justification() -> None:
    decisions = {"A.8.24": ScopeDecision(applicable=False, justification="No data at rest")}
    (status,) = [
        s for s in rollup(load_catalog(), [_result("fail")], NOW, decisions=decisions) if s.control == "A.8.24"
    ]
    assert status.status == "excluded" and status.justification == "No data at rest"


def test_manual_evidence_fresh_then_expired() -> None:
    fresh = ManualEvidence("A.8.24", attested_at=FRESH, expires_at="2027-01-01T00:00:00Z", reference="att-1")
    expired = ManualEvidence("A.8.24", attested_at=OLD, expires_at="2026-11-01T00:00:00Z", reference="att-2")
    assert _status([], manual=[fresh]) == "manual"
    assert _status([], manual=[expired]) == "stale"
    assert _status([_result("fail")], manual=[fresh]) == "not_implemented"  # automated evidence decides


def test_every_catalog_control_gets_a_status() -> None:
    statuses = rollup(load_catalog(), [], NOW)
    assert len(statuses) == 93 and {s.status for s in statuses} == {"no_evidence"}


def test_staleness_is_per_result_so_old_evidence_cannot_hide_behind_fresh() -> None:
    mixed = [_result("pass", resource="a"), _result("pass", at=OLD, resource="b")]
    (status,) = [
        s for s in rollup(load_catalog(), mixed, NOW, default_max_age=timedelta(days=7)) if s.control == "A.8.24"
    ]
    assert status.status == "stale" and status.stale_since == OLD and status.last_evidence_at == FRESH


def test_max_age_precedence_control_then_kind_then_default() -> None:
    week_old = [_result("pass", at="2026-11-15T00:00:00Z")]
    by_kind = {"fake.bucket": timedelta(days=2)}
    assert _status(week_old, default_max_age=timedelta(days=30)) == "implemented"
    assert _status(week_old, default_max_age=timedelta(days=30), max_age_by_kind=by_kind) == "stale"
    decisions = {"A.8.24": ScopeDecision(max_age=timedelta(days=10))}
    assert _status(week_old, decisions=decisions, max_age_by_kind=by_kind) == "implemented"


def test_attestations_age_by_their_expiry_not_max_age() -> None:
    months_old = ManualEvidence("A.8.24", attested_at=OLD, expires_at="2027-05-01", reference="att-3")
    assert _status([], manual=[months_old], default_max_age=timedelta(days=7)) == "manual"
