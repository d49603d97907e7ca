"""Completeness of a night: the scope a run's targets expect against the scope that produced evidence."""

from __future__ import annotations

from annexa.reports.coverage import scope_check


def _batch(collector: str, errors: int = 0, carried: int | None = None, **scope: str) -> tuple[str, dict]:
    key = f"{collector}@{'/'.join(scope.values())}"
    body = {"scope": scope, "collected_at": "2026-08-01T02:00:00Z", "facts": 3, "errors": errors}
    if carried:
        body["carried_from"] = carried
    return key, body


def test_configured_regions_missing_failing_or_carried_are_each_named() -> None:
    targets = [{"aws": {"regions": ["eu-west-1", "us-east-1", "ap-south-1"]}}]
    batches = dict(
        [
            _batch("aws.s3", provider="aws", account="111", region="eu-west-1"),
            _batch("aws.ec2", errors=2, provider="aws", account="111", region="us-east-1"),
            _batch("aws.kms", carried=7, provider="aws", account="111", region="ap-south-1"),
        ]
    )
    check, produced = scope_check(targets, batches, None)
    assert check.expected == ("aws region ap-south-1", "aws region eu-west-1", "aws region us-east-1")
    assert check.produced == ("aws account 111", "aws region eu-west-1")
    assert check.missing == (
        "aws region ap-south-1 (configured): no evidence",
        "aws region us-east-1 (configured): no evidence",
        "aws.ec2@aws/111/us-east-1: 2 errors",
        "aws.kms@aws/111/ap-south-1: carried from run 7, not collected",
    )
    assert produced == {"aws": {"account": {"111"}, "region": {"eu-west-1"}}}


def test_what_the_configuration_does_not_enumerate_is_expected_from_the_night_before() -> None:
    # `regions: all` and accounts from the organisation listing: last night's scope is expected again
    targets = [{"aws": {"regions": "all"}}]
    last_night = {"aws": {"account": {"111", "222"}, "region": {"eu-west-1"}}}
    batches = dict([_batch("aws.s3", provider="aws", account="111", region="eu-west-1")])
    check, _ = scope_check(targets, batches, last_night)
    assert check.missing == ("aws account 222 (seen the night before): no evidence",)


def test_a_target_that_produced_nothing_is_missing_whole() -> None:
    check, _ = scope_check([{"github": {"org": "acme"}}, {"host": {}}], {}, None)
    assert check.missing == ("github: no evidence from this target", "host: no evidence from this target")
    assert check.expected == ("github org acme",)


def test_population_lines_come_from_the_manifest_alone() -> None:
    from annexa.reports.coverage import population

    manifest = {
        "population": {
            "counts": [
                {
                    "kind": "fleet.coverage",
                    "resource": "fleet:acme",
                    "data": {"devices": 4, "with_owner": 3, "reporting": 2, "reporting_days": 7},
                },
                {
                    "kind": "people.headcount",
                    "resource": "people:hr",
                    "data": {
                        "as_of": "2026-12-02",
                        "listed": 9,
                        "active": 7,
                        "leavers": 1,
                        "not_started": 1,
                        "maps_end_date": True,
                    },
                },
                {"kind": "people.headcount", "resource": "people:lms", "data": {"listed": 5, "maps_end_date": False}},
            ],
            "staff_with_device": {"covered": 6, "judged": 7},
        }
    }
    assert population(manifest) == (
        "fleet:acme: 4 devices, 3 with an owner, 2 reporting in the last 7 days",
        "people:hr: headcount 7 on 2026-12-02 (9 listed, 1 left, 1 not started)",
        "people:lms: 5 people listed (the export has no leave dates)",
        "devices reporting 2 of 4 (fleet:acme) against a headcount of 7",
        "current staff with a managed device: 6 of 7",
    )
    assert population({}) == ()  # a run without HR or endpoint targets (or from before they were counted)
