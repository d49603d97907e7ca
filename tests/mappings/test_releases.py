"""The shipped release calendars (mappings/kubernetes_releases.yaml) are ordered and sane, and
`release_support` judges versions against them at the evaluation time: past the end is unsupported,
an unreadable version or a minor release the table does not list is an error, never a pass."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import yaml

from annexa.mappings.jmes import compile_expression
from annexa.mappings.releases import CALENDARS_FILE, ReleaseError, calendars, minor_of, support

AT = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)


def _minor_key(minor: str) -> tuple[int, int]:
    major, _, number = minor.partition(".")
    return int(major), int(number)


def test_every_calendar_is_newest_first_with_ends_that_only_move_back() -> None:
    raw = yaml.safe_load(CALENDARS_FILE.read_text())["calendars"]
    assert set(raw) == {"kubernetes", "eks-standard", "eks-extended"}
    for name, body in raw.items():
        assert set(body) == {"title", "source", "taken", "releases"}, name
        assert isinstance(body["taken"], date) and body["source"].startswith("https://"), name
        minors = list(body["releases"])
        assert all(isinstance(m, str) for m in minors), f"{name}: quote minor releases (1.30 is not 1.3)"
        assert minors == sorted(minors, key=_minor_key, reverse=True), name
        ends = list(body["releases"].values())
        assert all(isinstance(end, date) for end in ends), name
        assert ends == sorted(ends, reverse=True), f"{name}: a newer minor release never ends before an older one"
        assert len(set(ends)) == len(ends), name


def test_eks_extended_support_follows_standard_support_by_a_year() -> None:
    standard, extended = calendars()["eks-standard"].ends, calendars()["eks-extended"].ends
    assert set(standard) == set(extended)
    for minor, end in standard.items():
        assert extended[minor] == end.replace(year=end.year + 1), minor


def test_the_kubernetes_table_is_not_behind_eks() -> None:
    """EKS supports a release longer than upstream (its standard support ends after upstream's end of life)."""
    upstream = calendars()["kubernetes"].ends
    for minor, end in calendars()["eks-standard"].ends.items():
        if minor in upstream:
            assert upstream[minor] <= end, minor


@pytest.mark.parametrize(
    ("version", "minor"),
    [
        ("v1.37.1", "1.37"),  # gitVersion, kubeletVersion
        ("v1.29.0-eks-5e0fdde", "1.29"),  # an EKS node's kubelet
        ("1.30.5-gke.1014001", "1.30"),  # GKE currentMasterVersion, NodePool.version
        ("1.34", "1.34"),  # EKS Cluster.version
        ("v1.35.0-rc.1+build.7", "1.35"),
    ],
)
def test_versions_are_read_as_their_minor_release(version: str, minor: str) -> None:
    assert minor_of(version) == minor


@pytest.mark.parametrize("version", ["", "latest", "1", "v1.x.3", "1.31.0 (patched)", "GKE 1.30"])
def test_an_unreadable_version_is_an_error(version: str) -> None:
    with pytest.raises(ReleaseError, match="cannot be read"):
        minor_of(version)


def test_support_ends_on_the_end_of_life_date() -> None:
    before = datetime(2026, 6, 27, 23, 59, tzinfo=timezone.utc)
    on = datetime(2026, 6, 28, 0, 0, tzinfo=timezone.utc)
    assert support("v1.33.5", "kubernetes", before) == {"minor": "1.33", "ends": "2026-06-28", "supported": True}
    assert support("v1.33.5", "kubernetes", on)["supported"] is False


def test_a_minor_release_not_in_the_table_is_an_error_naming_it() -> None:
    with pytest.raises(ReleaseError, match=r"Kubernetes 1\.38 .* not in mappings/kubernetes_releases\.yaml"):
        support("v1.38.0", "kubernetes", AT)
    with pytest.raises(ReleaseError, match="1.32"):  # no source gave its date: an error, not a guess
        support("v1.32.4", "kubernetes", AT)
    with pytest.raises(ReleaseError, match="eks-extended"):
        support("1.28", "eks-extended", AT)


def test_the_jmespath_function_judges_at_the_clock_it_is_given() -> None:
    expression = compile_expression("release_support(version, 'kubernetes').supported")
    assert expression.search({"version": "v1.37.1"}, AT) is True
    assert expression.search({"version": "v1.37.1"}, datetime(2027, 10, 28, tzinfo=timezone.utc)) is False
    assert expression.search({"version": "1.30.5-gke.1014001"}, AT) is False


def test_an_unknown_calendar_fails_when_the_rule_is_loaded() -> None:
    with pytest.raises(ValueError, match="not a release calendar"):
        compile_expression("release_support(version, 'aks')")
