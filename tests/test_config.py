from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from annexa.collectors.registry import Registry
from annexa.config import load_config
from annexa.errors import UsageError
from annexa.mappings.catalog import load_catalog

GOOD = """\
store: ./ev
targets:
  - fake: {buckets: {b1: {encrypted: true}}}
scope:
  A.7.4: {applicable: false, justification: "No premises", owner: CISO}
  A.8.24: {max_age: 36h}
max_age: 2d
"""


def _load(tmp_path: Path, text: str, registry: Registry):  # type: ignore[no-untyped-def]
    path = tmp_path / "annexa.yaml"
    path.write_text(text)
    return load_config(path, registry, load_catalog())


def test_valid_config(tmp_path: Path, fake_registry: Registry) -> None:
    config = _load(tmp_path, GOOD, fake_registry)
    assert config.store == str((tmp_path / "ev").resolve())
    (target,) = config.targets
    assert target.provider == "fake" and target.options["buckets"] == {"b1": {"encrypted": True}}
    assert not config.scope["A.7.4"].applicable and config.scope["A.7.4"].owner == "CISO"
    assert config.scope["A.8.24"].max_age == timedelta(hours=36)
    assert config.max_age == timedelta(days=2)


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        (GOOD.replace("store:", "stor:"), 1, "unknown key 'stor'"),
        (GOOD.replace("  - fake:", "  - gcp:"), 3, "unknown target type 'gcp' (available: fake)"),
        (GOOD.replace("{buckets:", "{bukets:"), 3, "unknown fake option 'bukets'"),
        (GOOD.replace('justification: "No premises", ', ""), 5, "A.7.4 is excluded but has no `justification`"),
        (GOOD.replace("A.8.24:", "A.8.99:"), 6, "unknown Annex A 2022 control id 'A.8.99'"),
        (GOOD.replace("36h", "soon"), 6, "'soon' is not a duration"),
        (GOOD.replace("max_age: 2d", "max_age: 0d"), 7, "is not a duration"),
        (GOOD.replace("applicable: false", "applicable: maybe"), 5, "`applicable` must be true or false"),
        ("store: ./ev\n", 1, "`targets` is required"),
        (GOOD + "store: again\n", 8, "duplicate key 'store'"),
        ("targets: [\n", 2, "annexa.yaml:"),
        ("- just a list\n", 1, "must be a mapping"),
    ],
)
def test_config_errors_are_one_line_with_file_and_line(tmp_path: Path, fake_registry: Registry, text: str,
                                                       line: int, needle: str) -> None:
    with pytest.raises(UsageError) as info:
        _load(tmp_path, text, fake_registry)
    message = str(info.value)
    assert "\n" not in message
    assert f"annexa.yaml:{line}:" in message, message
    assert needle in message, message


def test_missing_config_is_an_error_only_when_required(tmp_path: Path, fake_registry: Registry) -> None:
    with pytest.raises(UsageError, match="file not found"):
        load_config(tmp_path / "nope.yaml", fake_registry, load_catalog())
    assert load_config(tmp_path / "nope.yaml", fake_registry, load_catalog(), required=False).targets == ()
