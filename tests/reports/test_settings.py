"""A run's settings come from what it stored; runs stored before that still load (README: older runs)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from annexa.errors import StoreError
from annexa.evidence_store.store import Store
from annexa.mappings.scope import DEFAULT_MAX_AGE, ScopeError
from annexa.model import Result, evidence_class_for_kind
from annexa.reports.settings import run_settings, settings_from


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("aws.s3.bucket", "automated"),
        ("host.sshd", "automated"),
        ("documents.policy", "document"),
        ("people.person", "record"),
        ("import.prowler.finding", "record"),
        ("attestation.control", "attestation"),
        ("acme.widget", "automated"),
    ],
)
def test_the_class_of_a_result_stored_without_one_is_derived_from_its_kind(kind: str, expected: str) -> None:
    assert evidence_class_for_kind(kind) == expected
    raw = {"rule": "r", "controls": ["A.5.1"], "kind": kind, "resource": "x", "status": "pass", "severity": "low"}
    assert Result.from_dict(raw).evidence_class == expected
    assert Result.from_dict({**raw, "evidence_class": "record"}).evidence_class == "record"


def test_a_run_without_a_stored_configuration_is_judged_with_the_defaults() -> None:
    settings = settings_from(None, {}, {"aws.s3.bucket": timedelta(days=2)})
    assert settings.decisions == {} and settings.default_max_age == DEFAULT_MAX_AGE and not settings.stored
    assert settings.max_age_by_kind == {"aws.s3.bucket": timedelta(days=2)}  # no kinds recorded: the fallback


def test_recorded_kinds_beat_the_fallback_and_a_top_level_max_age_beats_both() -> None:
    mappings = {
        "kinds": {"aws.s3.bucket": {"collector": "aws.s3", "evidence_class": "automated", "max_age_seconds": 3600}}
    }
    settings = settings_from({"targets": []}, mappings, {"aws.s3.bucket": timedelta(days=9)})
    assert settings.max_age_by_kind == {"aws.s3.bucket": timedelta(hours=1)}
    assert settings.collectors_by_kind == {"aws.s3.bucket": "aws.s3"}
    explicit = settings_from({"targets": [], "max_age": "3d"}, mappings)
    assert (explicit.max_age_by_kind, explicit.default_max_age) == ({}, timedelta(days=3))


def test_a_stored_configuration_that_does_not_parse_is_a_store_error() -> None:
    with pytest.raises(ScopeError):
        settings_from({"scope": {"A.5.1": {"applicable": "maybe"}}}, {})


def test_the_shared_history_stores_no_kinds_and_still_reads(signed_store: Store) -> None:
    run = signed_store.resolve("latest")
    assert "kinds" not in signed_store.mappings(run)
    assert {r.evidence_class for r in signed_store.results(run)} == {"automated"}
    settings = run_settings(signed_store, run)
    assert not settings.decisions["A.7.4"].applicable and settings.stored


def test_a_tampered_stored_configuration_is_refused_in_one_line(
    signed_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = signed_store.resolve("latest")
    real = signed_store.get_json
    config_hash = signed_store.manifest(run.seq)["config"]["object"]
    monkeypatch.setattr(
        signed_store, "get_json", lambda digest: {"scope": {"A.5.1": []}} if digest == config_hash else real(digest)
    )
    with pytest.raises(StoreError, match=r"run #8: its stored configuration cannot be read: the scope of A.5.1"):
        run_settings(signed_store, run)


def test_the_policy_a_run_judged_with_comes_from_what_it_stored() -> None:
    assert settings_from({"policy": {"password_max_age_days": 90}}, {}).policy == {"password_max_age_days": 90}
    assert settings_from({"policy": {"password_max_age_days": "none"}}, {}).policy == {"password_max_age_days": "none"}
    assert settings_from({"targets": []}, {}).policy is None  # stored before policy settings existed
    assert settings_from(None, {}).policy is None
    with pytest.raises(ScopeError, match="password_max_age_days must be"):
        settings_from({"policy": {"password_max_age_days": -5}}, {})
