from __future__ import annotations

import pytest

from annexa.reports.drift import control_regressed, diff_fields, json_pointer, result_change


def test_json_pointer_escapes_tilde_before_slash() -> None:
    assert json_pointer(["data", "a/b", "m~n", 0]) == "/data/a~1b/m~0n/0"
    assert json_pointer(["~1"]) == "/~01"  # RFC 6901: `~` first, so `~1` stays literal


def test_diff_fields_reports_leaf_paths_with_ops() -> None:
    old = {"enc": [{"alg": "AES256"}], "tags": {"a/b": "x"}, "gone": 1, "same": {"k": [1, 2]}}
    new = {"enc": None, "tags": {"a/b": "y"}, "same": {"k": [1, 2]}, "added": [1]}
    changes = {c.path: c.to_dict() for c in diff_fields(old, new)}
    assert changes == {
        "/added": {"op": "add", "path": "/added", "new": [1]},
        "/enc": {"op": "replace", "path": "/enc", "old": [{"alg": "AES256"}], "new": None},
        "/gone": {"op": "remove", "path": "/gone", "old": 1},
        "/tags/a~1b": {"op": "replace", "path": "/tags/a~1b", "old": "x", "new": "y"},
    }


def test_diff_fields_lists_by_position_and_types_matter() -> None:
    assert [c.to_dict() for c in diff_fields([1, 2], [1, 3, 4])] == [
        {"op": "replace", "path": "/1", "old": 2, "new": 3},
        {"op": "add", "path": "/2", "new": 4},
    ]
    assert diff_fields({"x": 1}, {"x": True})  # 1 == True in Python, not in JSON
    assert diff_fields({"x": {"y": 1}}, {"x": {"y": 1}}) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("pass", "fail", ("regressed", True)),
        ("pass", "error", ("regressed", True)),
        ("not_applicable", "fail", ("regressed", True)),
        ("fail", "pass", ("fixed", False)),
        ("error", "pass", ("fixed", False)),
        ("fail", "error", ("changed", False)),
        (None, "fail", ("appeared", True)),
        (None, "pass", ("appeared", False)),
        ("fail", None, ("disappeared", False)),
        ("pass", "pass", None),
    ],
)
def test_result_changes(old: str | None, new: str | None, expected: tuple[str, bool] | None) -> None:
    assert result_change(old, new) == expected


@pytest.mark.parametrize(
    ("old", "new", "regressed"),
    [
        ("implemented", "partial", True),
        ("implemented", "stale", True),
        ("partial", "error", True),
        ("attested", "no_evidence", True),
        ("implemented", "documented", True),  # operating evidence lost: design alone is worse
        ("implemented", "attested", True),
        ("attested", "documented", True),
        ("documented", "partial", True),
        ("documented", "implemented", False),
        ("partial", "documented", False),
        ("partial", "implemented", False),
        ("not_implemented", "error", False),
        ("implemented", "excluded", False),
        ("excluded", "not_implemented", False),
    ],
)
def test_control_regressions(old: str, new: str, regressed: bool) -> None:
    assert control_regressed(old, new) is regressed
