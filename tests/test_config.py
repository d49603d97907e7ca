from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annexa.collectors.registry import Registry
from annexa.config import load_config
from annexa.errors import UsageError, UsageErrors
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
    assert config.verify_after == 3  # the default
    assert _load(tmp_path, GOOD + "nonconformities: {verify_after: 5}\n", fake_registry).verify_after == 5


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
        (GOOD + "nonconformities: {verify_after: 0}\n", 8, "verify_after must be a whole number of collection runs"),
        (GOOD + "nonconformities: {verify_after: 3d}\n", 8, "verify_after must be a whole number"),
        (GOOD + "nonconformities:\n  verify_afer: 3\n", 9, "unknown nonconformities key 'verify_afer'"),
    ],
)
def test_config_errors_are_one_line_with_file_and_line(
    tmp_path: Path, fake_registry: Registry, text: str, line: int, needle: str
) -> None:
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


NOTIFY = """\
notify:
  when: regressions
  timeout: 5s
  retries: 1
  webhooks:
    - {format: slack, url_env: SLACK_URL}
    - format: json
      url: https://siem.example.com/hook/s3cr3t
  email: {host: smtp.example.com, from: a@example.com, to: [sec@example.com]}
"""


def test_notify_settings_and_the_stored_copy_hides_webhook_paths(tmp_path: Path, fake_registry: Registry) -> None:
    config = _load(tmp_path, GOOD + NOTIFY, fake_registry)
    assert config.notify is not None and config.notify.when == "regressions" and config.notify.retries == 1
    assert config.notify.timeout == timedelta(seconds=5) and config.notify.email.to == ("sec@example.com",)
    slack, generic = config.notify.webhooks
    assert slack.label == "slack webhook $SLACK_URL" and generic.label == "json webhook https://siem.example.com"
    assert "s3cr3t" not in str(config.raw) and "siem.example.com" in str(config.raw)


@pytest.mark.parametrize(
    ("old", "new", "line", "needle"),
    [
        ("when: regressions", "when: sometimes", 9, "notify.when must be one of"),
        ("when: regressions", "on: regressions", 9, "unknown notify key"),
        ("timeout: 5s", "timeout: fast", 10, "notify.timeout"),
        ("retries: 1", "retries: -1", 11, "notify.retries"),
        ("format: slack", "format: pager", 13, "webhook format must be one of"),
        ("url: https://siem", "url: ftp://siem", 15, "must be an https:// URL"),
        ("{format: slack, url_env: SLACK_URL}", "{format: slack}", 13, "exactly one of `url` and `url_env`"),
        ("to: [sec@example.com]", "to: [nobody]", 16, "email addresses"),
    ],
)
def test_notify_errors_name_file_and_line(
    tmp_path: Path, fake_registry: Registry, old: str, new: str, line: int, needle: str
) -> None:
    with pytest.raises(UsageError) as info:
        _load(tmp_path, GOOD + NOTIFY.replace(old, new), fake_registry)
    assert f"annexa.yaml:{line}:" in str(info.value) and needle in str(info.value), str(info.value)


def test_store_with_object_lock(tmp_path: Path, fake_registry: Registry) -> None:
    text = (
        "store:\n  url: s3://acme-evidence/iso\n  object_lock: {mode: COMPLIANCE, days: 2555}\ntargets: [{fake: {}}]\n"
    )
    config = _load(tmp_path, text, fake_registry)
    assert config.store == "s3://acme-evidence/iso"
    assert config.retention is not None and (config.retention.mode, config.retention.days) == ("compliance", 2555)
    plain = _load(tmp_path, "store: {url: ./ev}\ntargets: [{fake: {}}]\n", fake_registry)
    assert plain.store == str((tmp_path / "ev").resolve()) and plain.retention is None


@pytest.mark.parametrize(
    ("store", "line", "message"),
    [
        ("{url: s3://b-1/p, lock: {}}", 1, "unknown store key 'lock'"),
        ("{object_lock: {mode: governance, days: 1}}", 1, "`store.url` must be"),
        ("{url: ./ev, object_lock: {mode: governance, days: 1}}", 1, "needs an s3:// store"),
        ("\n  url: s3://b-1/p\n  object_lock: {mode: legal-hold, days: 1}", 3, "governance or compliance"),
        ("\n  url: s3://b-1/p\n  object_lock: {mode: governance, days: 0}", 3, "whole number from 1"),
        ("\n  url: s3://b-1/p\n  object_lock: {mode: governance}", 3, "must be {mode"),
    ],
)
def test_bad_store_options_name_the_line(
    tmp_path: Path, fake_registry: Registry, store: str, line: int, message: str
) -> None:
    with pytest.raises(UsageError, match=message) as info:
        _load(tmp_path, f"store: {store}\ntargets: [{{fake: {{}}}}]\n", fake_registry)
    assert f"annexa.yaml:{line}:" in str(info.value)


# -- clause 6.1.3: reasons, risks, SoA approval ---------------------------------------

SOA_SECTIONS = """\
store: ./ev
targets:
  - fake: {}
risks: risks.csv
soa: {version: 3, approved_by: CEO, approved_at: 2026-09-15}
scope:
  A.8.24: {reasons: {risk: [R-2], legal: "GDPR Art. 32", best-practice: true, note: "encryption"}}
  A.7.4: {applicable: false, justification: "No premises"}
"""
RISKS_CSV = "id,title,owner,treatment\nR-1,Ransomware,COO,Mitigate\nR-2,Data theft,CISO,transfer\n"


def test_reasons_risks_and_approval_load_and_are_stored_with_the_run(tmp_path: Path, fake_registry: Registry) -> None:
    (tmp_path / "risks.csv").write_text(RISKS_CSV)
    config = _load(tmp_path, SOA_SECTIONS, fake_registry)
    reasons = config.scope["A.8.24"].reasons
    assert reasons.risks == ("R-2",) and reasons.grounds == {"legal": "GDPR Art. 32", "best-practice": ""}
    assert reasons.text(config.risks) == "risk R-2 (Data theft), legal: GDPR Art. 32, best-practice; encryption"
    assert [r.treatment for r in config.risks.values()] == ["mitigate", "transfer"]
    assert config.soa is not None and config.soa.to_dict() == {
        "version": "3",
        "approved_by": "CEO",
        "approved_at": "2026-09-15",
    }
    # the run keeps the register itself, so its SoA does not change when the file does
    assert config.raw["risks"] == {"file": "risks.csv", "entries": [r.to_dict() for r in config.risks.values()]}


def test_a_yaml_risk_register_loads_too(tmp_path: Path, fake_registry: Registry) -> None:
    (tmp_path / "risks.yaml").write_text("risks:\n  - {id: R-2, title: Data theft, owner: CISO, treatment: avoid}\n")
    config = _load(tmp_path, SOA_SECTIONS.replace("risks.csv", "risks.yaml"), fake_registry)
    assert list(config.risks) == ["R-2"]


@pytest.mark.parametrize(
    ("replace", "register", "message"),
    [
        (("risk: [R-2]", "risk: [R-2, R-7]"), RISKS_CSV, "annexa.yaml:7: unknown risk id 'R-7' (not in the `risks:` file)"),
        (("risks: risks.csv", "risks: nothing.csv"), RISKS_CSV, "annexa.yaml:4: risks file 'nothing.csv' does not exist"),
        (("legal: \"GDPR Art. 32\", ", "vibes: true, "), RISKS_CSV, "annexa.yaml:7: unknown reason 'vibes'"),
        (("risk: [R-2], legal: \"GDPR Art. 32\", best-practice: true, ", ""), RISKS_CSV,
         "annexa.yaml:7: `reasons` needs at least one of risk, legal"),
        (("best-practice: true", "best-practice: 3"), RISKS_CSV, "annexa.yaml:7: `best-practice` must be true or a short text"),
        (("justification: \"No premises\"", "justification: \"No premises\", reasons: {legal: true}"), RISKS_CSV,
         "annexa.yaml:8: A.7.4 is excluded: give a `justification`, not `reasons`"),
        (("approved_at: 2026-09-15", "approved_at: soon"), RISKS_CSV, "annexa.yaml:5: soa: `approved_at` must be a date"),
        (("version: 3, ", ""), RISKS_CSV, "annexa.yaml:5: soa: soa `version` is required"),
        ((), "id,title,owner\nR-1,x,y\n", "risks.csv:1: the header row lacks the column 'treatment'"),
        ((), RISKS_CSV + "R-1,Again,COO,accept\n", "risks.csv:4: duplicate risk id 'R-1'"),
        ((), RISKS_CSV + "R-3,Outage,,accept\n", "risks.csv:4: risk `owner` is required"),
        ((), RISKS_CSV + "R-3,Outage,COO,ignore\n", "risks.csv:4: risk treatment 'ignore' is not one of"),
        ((), RISKS_CSV + "R-3,Outage,COO\n", "risks.csv:4: 3 cells, but the header has 4"),
    ],
)  # fmt: skip
def test_bad_reasons_risks_and_approval_name_file_and_line(
    tmp_path: Path, fake_registry: Registry, replace: tuple[str, str], register: str, message: str
) -> None:
    (tmp_path / "risks.csv").write_text(register)
    text = SOA_SECTIONS.replace(*replace) if replace else SOA_SECTIONS
    with pytest.raises(UsageError) as info:
        _load(tmp_path, text, fake_registry)
    assert str(info.value).startswith(f"{tmp_path}/{message}"), str(info.value)
    assert "\n" not in str(info.value)


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=8),
    st.sampled_from(["R-1", "A.7.*", "A.99.*", "365d", "5y", "2026-09-15", "Jo", "true", "nokey.pub"]),
)  # fmt: skip
_KEYS = st.sampled_from(
    ["name", "role", "public_key", "max_validity", "require_file", "version", "approved_by", "approved_at",
     "reasons", "risk", "legal", "contractual", "note", "applicable", "justification", "owner", "x",
     "sample_sizes", "daily", "weekly", "hourly"]
)  # fmt: skip
_NODES = st.recursive(_SCALARS, lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(_KEYS, c, max_size=4)))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    section=st.sampled_from(["attesters", "attestations", "soa", "scope", "pack"]),
    value=st.one_of(_NODES, st.dictionaries(st.sampled_from(["A.8.24", "A.7.4"]), _NODES, max_size=2)),
)
def test_hostile_attesters_attestations_soa_and_reasons_load_or_fail_in_one_line(
    tmp_path: Path, fake_registry: Registry, section: str, value: object
) -> None:
    import yaml

    text = yaml.safe_dump({"targets": [{"fake": {}}], section: value})
    try:
        _load(tmp_path, text, fake_registry)
    except UsageError as err:
        for line in err.lines if isinstance(err, UsageErrors) else [str(err)]:  # one line per problem
            assert "\n" not in line and line.startswith(str(tmp_path / "annexa.yaml"))


def test_the_password_policy_is_parsed_and_the_run_records_it_defaults_included(
    tmp_path: Path, fake_registry: Registry
) -> None:
    default = _load(tmp_path, GOOD, fake_registry)
    tags = {"owner_tag": "owner", "classification_tag": "data-classification"}
    assert default.policy == {**tags, "password_max_age_days": None}
    # stored with the run: what it judged with
    assert default.raw["policy"] == {**tags, "password_max_age_days": "none"}
    ninety = _load(tmp_path, GOOD + "policy: {password_max_age_days: 90}\n", fake_registry)
    assert ninety.policy == {**tags, "password_max_age_days": 90}
    assert ninety.raw["policy"] == {**tags, "password_max_age_days": 90}
    none = _load(tmp_path, GOOD + "policy:\n  password_max_age_days: none\n", fake_registry)
    assert none.policy == {**tags, "password_max_age_days": None}
    assert none.raw["policy"] == {**tags, "password_max_age_days": "none"}


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        ("policy: {password_max_age_days: 0}\n", 8, "policy: policy password_max_age_days must be `none`"),
        ("policy:\n  password_max_age_days: never\n", 9, "from 1 to 3650, not 'never'"),
        (
            "policy:\n  max_age: 90\n",
            9,
            "policy: unknown policy key 'max_age' (allowed: password_max_age_days, owner_tag, classification_tag)",
        ),
        ("policy: 90\n", 8, "policy: `policy` must be a mapping"),
    ],
)
def test_bad_policy_names_file_and_line(
    tmp_path: Path, fake_registry: Registry, text: str, line: int, needle: str
) -> None:
    with pytest.raises(UsageError) as info:
        _load(tmp_path, GOOD + text, fake_registry)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'annexa.yaml'}:{line}: ") and needle in message and "\n" not in message
