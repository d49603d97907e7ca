"""Whole-catalog checks for the packaged Annex A 2022 catalog, and the loader's validation."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from annexa.mappings.catalog import (
    ATTRIBUTE_VOCABULARIES,
    DEFAULT_CATALOG_PATH,
    THEMES,
    Catalog,
    Control,
    control_sort_key,
    load_catalog,
)

CONTROLS_PER_CLAUSE = {5: 37, 6: 8, 7: 14, 8: 34}
EXPECTED_IDS = [f"A.{clause}.{n}" for clause, count in CONTROLS_PER_CLAUSE.items() for n in range(1, count + 1)]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_has_exactly_the_93_annex_a_ids_in_order(catalog: Catalog) -> None:
    assert len(EXPECTED_IDS) == 93
    assert len(catalog) == 93
    assert catalog.ids() == EXPECTED_IDS
    assert [control.id for control in catalog] == EXPECTED_IDS
    assert len(set(catalog.ids())) == 93


def test_catalog_header(catalog: Catalog) -> None:
    assert catalog.name == "ISO/IEC 27001:2022 Annex A"
    assert catalog.version == "2022"


def test_theme_counts_and_theme_follows_clause(catalog: Catalog) -> None:
    counts = Counter(control.theme for control in catalog)
    assert counts == {"organizational": 37, "people": 8, "physical": 14, "technological": 34}
    for control in catalog:
        assert control.theme == THEMES[control.id.split(".")[1]], control.id


def test_titles_are_short_and_non_empty(catalog: Catalog) -> None:
    for control in catalog:
        assert control.title.strip() == control.title and control.title, control.id
        # Titles only: the copyrighted control text ("... shall be ...") must never creep in.
        assert len(control.title) <= 80 and "shall" not in control.title, control.id
    assert len({control.title for control in catalog}) == 93


@pytest.mark.parametrize(
    ("control_id", "title"),
    [
        ("A.5.1", "Policies for information security"),
        ("A.5.7", "Threat intelligence"),
        ("A.5.15", "Access control"),
        ("A.5.23", "Information security for use of cloud services"),
        ("A.5.30", "ICT readiness for business continuity"),
        ("A.5.37", "Documented operating procedures"),
        ("A.6.1", "Screening"),
        ("A.6.8", "Information security event reporting"),
        ("A.7.4", "Physical security monitoring"),
        ("A.7.14", "Secure disposal or re-use of equipment"),
        ("A.8.9", "Configuration management"),
        ("A.8.10", "Information deletion"),
        ("A.8.11", "Data masking"),
        ("A.8.12", "Data leakage prevention"),
        ("A.8.16", "Monitoring activities"),
        ("A.8.23", "Web filtering"),
        ("A.8.24", "Use of cryptography"),
        ("A.8.28", "Secure coding"),
        ("A.8.34", "Protection of information systems during audit testing"),
    ],
)
def test_spot_checked_titles(catalog: Catalog, control_id: str, title: str) -> None:
    control = catalog.get(control_id)
    assert control is not None
    assert control.title == title


def test_attribute_values_come_from_the_27002_vocabularies(catalog: Catalog) -> None:
    for control in catalog:
        assert set(control.attributes) <= set(ATTRIBUTE_VOCABULARIES), control.id
        for name, values in control.attributes.items():
            assert values, (control.id, name)
            assert set(values) <= ATTRIBUTE_VOCABULARIES[name], (control.id, name, values)
            assert len(set(values)) == len(values), (control.id, name)


def test_spot_checked_attributes(catalog: Catalog) -> None:
    assert catalog["A.5.30"].attributes["security_properties"] == ("availability",)
    assert catalog["A.8.13"].attributes["control_type"] == ("corrective",)
    assert catalog["A.8.13"].attributes["cybersecurity_concepts"] == ("recover",)
    assert catalog["A.8.15"].attributes["control_type"] == ("detective",)
    assert catalog["A.5.7"].attributes["operational_capabilities"] == ("threat_and_vulnerability_management",)
    assert catalog["A.6.6"].attributes["security_properties"] == ("confidentiality",)


def test_lookup(catalog: Catalog) -> None:
    assert "A.8.24" in catalog
    assert "A.8.35" not in catalog
    assert "A.14.2.1" not in catalog  # a 2013 id
    assert catalog.get("A.9.1") is None
    assert isinstance(catalog["A.8.24"], Control)
    with pytest.raises(KeyError, match="A.9.1"):
        catalog["A.9.1"]


def test_match_expands_patterns_in_catalog_order(catalog: Catalog) -> None:
    technological = catalog.match("A.8.*")
    assert len(technological) == 34
    assert technological == [f"A.8.{n}" for n in range(1, 35)]
    assert catalog.match("A.5.1") == ["A.5.1"]
    assert catalog.match("A.7.1?") == ["A.7.10", "A.7.11", "A.7.12", "A.7.13", "A.7.14"]
    assert catalog.match("A.*") == EXPECTED_IDS
    assert catalog.match("A.9.*") == []
    assert catalog.match("A.8.99") == []


def test_control_sort_key_orders_numerically() -> None:
    assert control_sort_key("A.5.2") < control_sort_key("A.5.10")
    assert control_sort_key("A.5.37") < control_sort_key("A.6.1")
    assert control_sort_key("A.8.9") < control_sort_key("A.8.10")
    shuffled = ["A.8.10", "A.5.10", "A.8.2", "A.5.2", "A.7.1", "A.6.8"]
    assert sorted(shuffled, key=control_sort_key) == ["A.5.2", "A.5.10", "A.6.8", "A.7.1", "A.8.2", "A.8.10"]
    assert sorted(reversed(EXPECTED_IDS), key=control_sort_key) == EXPECTED_IDS
    for bad in ("5.1", "A.5", "A.05.1", "A.5.1.2", "a.5.1", ""):
        with pytest.raises(ValueError, match="not an Annex A control id"):
            control_sort_key(bad)


def test_default_catalog_is_cached_and_hashable() -> None:
    assert load_catalog() is load_catalog()
    assert load_catalog(DEFAULT_CATALOG_PATH) is not load_catalog()
    assert load_catalog(DEFAULT_CATALOG_PATH).ids() == EXPECTED_IDS
    assert len({control for control in load_catalog()}) == 93


VALID_CONTROL = "  - id: A.8.24\n    title: Use of cryptography\n    theme: technological\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _catalog_text(controls: str) -> str:
    return f'catalog: test\nversion: "2022"\ncontrols:\n{controls}'


def test_a_minimal_valid_file_loads(tmp_path: Path) -> None:
    loaded = load_catalog(_write(tmp_path, _catalog_text(VALID_CONTROL + "    control_type: [preventive]\n")))
    assert loaded.ids() == ["A.8.24"]
    assert loaded["A.8.24"].attributes == {"control_type": ("preventive",)}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just a list\n", "expected a mapping"),
        ('catalog: test\nversion: "2022"\ncontrols: []\n', "'controls' must be a non-empty list"),
        ("catalog: test\nversion: 2022\ncontrols: []\n", "'version' must be a non-empty string"),
        (_catalog_text(VALID_CONTROL) + "extra: 1\n", r"top level: unknown keys \['extra'\]"),
        (_catalog_text("  - A.8.24\n"), "control #1: expected a mapping"),
        (_catalog_text(VALID_CONTROL.replace("A.8.24", "A.8.x")), "not an Annex A control id"),
        (_catalog_text(VALID_CONTROL.replace("A.8.24", "A.9.1")), "not an Annex A theme"),
        (_catalog_text(VALID_CONTROL.replace("technological", "physical")), "does not match clause A.8"),
        (_catalog_text(VALID_CONTROL.replace("Use of cryptography", "''")), "'title' must be a non-empty string"),
        (_catalog_text(VALID_CONTROL + "    text: The control text\n"), r"\(A.8.24\): unknown keys \['text'\]"),
        (_catalog_text(VALID_CONTROL + "    control_type: [deterrent]\n"), r"unknown values \['deterrent'\]"),
        (_catalog_text(VALID_CONTROL + "    control_type: preventive\n"), "must be a non-empty list"),
        (_catalog_text(VALID_CONTROL + "    control_type: []\n"), "must be a non-empty list"),
        (_catalog_text(VALID_CONTROL + "    control_type: [{a: 1}]\n"), "must list strings"),
        (_catalog_text(VALID_CONTROL + "    security_domains: [defence, defence]\n"), "lists a value twice"),
        (_catalog_text(VALID_CONTROL + VALID_CONTROL), "duplicate control id 'A.8.24'"),
        (_catalog_text(VALID_CONTROL + "    title: Again\n"), "duplicate key 'title'"),
        ("controls: [\n", "invalid YAML"),
    ],
)
def test_malformed_files_raise_value_error_naming_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match=message) as excinfo:
        load_catalog(path)
    assert str(path) in str(excinfo.value)


def _builtin_rules() -> list:
    from annexa.collectors.registry import load_registry
    from annexa.mappings.rules import builtin_rule_files, load_rules

    return load_rules(builtin_rule_files(), load_registry().kinds(), set(load_catalog().ids()))


def test_every_builtin_rule_says_why_it_evidences_its_controls() -> None:
    """Built-in rules must carry a `rationale:` (user rule files may leave it out, see test_rules.py):
    one or two sentences citing the ISO/IEC 27002:2022 guidance, naming every control the rule maps."""
    rules = _builtin_rules()
    assert len(rules) >= 133
    missing = [rule.id for rule in rules if not rule.rationale]
    assert missing == []
    for rule in rules:
        assert 60 <= len(rule.rationale) <= 400, rule.id
        if rule.controls:  # rules with `controls: []` take theirs from the imported finding
            assert "27002:2022" in rule.rationale, rule.id
            assert [c for c in rule.controls if c.removeprefix("A.") not in rule.rationale] == [], rule.id


# The corrections of the lead-auditor review (issue 15): each of these once named a control whose
# purpose the check does not evidence. Changing one back must be a deliberate act.
REVIEWED = {
    "aws.elbv2.waf-on-public-alb": ("A.8.20", "A.8.21"),  # a WAF is not web filtering (A.8.23)
    "aws.cloudfront.waf": ("A.8.20", "A.8.21"),
    "aws.backup.plan-retention": ("A.8.13",),  # retention is not ICT readiness (A.5.30)
    "aws.rds.instance-backups": ("A.8.13",),
    "aws.dynamodb.table-pitr": ("A.8.13",),
    "aws.vpc.network-acl-admin-ports": ("A.8.20", "A.8.22"),  # a NACL is not a network service (A.8.21)
    "aws.iam.inactive-console-passwords": ("A.5.18",),  # ordinary users: not privileged access (A.8.2)
    "aws.iam.unused-access-keys": ("A.5.18",),
    "aws.iam.access-keys-rotated": ("A.5.17",),
    "azure.entra.stale-accounts": ("A.5.16", "A.5.18"),
    "people.leaver-aws-user-removed": ("A.5.16", "A.5.18"),  # not A.6.5 (duties after leaving)
    "people.leaver-github-access-removed": ("A.5.18",),
    "aws.s3.bucket-versioning": ("A.5.33",),  # versions in the same bucket are not a backup (A.8.13)
    "azure.keyvault.soft-delete": ("A.8.24",),  # key recovery, not a backup
    "azure.keyvault.purge-protection": ("A.8.24",),
    "aws.cloudformation.no-drift": ("A.8.9",),  # configuration monitoring, not change control (A.8.32)
    "aws.cloudtrail.trail-log-validation": ("A.8.15",),  # not A.5.28 (evidence procedures)
    "aws.cloudwatch.cloudtrail-log-retention": ("A.8.15",),
    "aws.cloudtrail.trail-logging": ("A.8.15",),  # logging is not monitoring (A.8.16)
    "aws.cloudtrail.multi-region-trail": ("A.8.15",),
    "aws.vpc.flow-logs": ("A.8.15", "A.8.20"),
    "azure.network.nsg-flow-logs": ("A.8.15", "A.8.20"),
    "aws.iam.console-users-mfa": ("A.8.5",),  # MFA is secure authentication, not A.5.17
    "azure.entra.mfa-required": ("A.8.5",),
    "github.org-2fa-required": ("A.8.5",),
    "aws.s3.bucket-public-access-block": ("A.8.3",),  # access restriction, not DLP (A.8.12)
    "aws.s3.account-public-access-block": ("A.8.3",),
    "azure.storage.no-public-blob-access": ("A.8.3",),
    "azure.entra.stale-guest-invitations": ("A.5.16", "A.5.18"),
    "github.repo-status-checks-required": ("A.8.25", "A.8.32"),  # CI checks are not security tests (A.8.29)
    "documents.policy-owner": ("A.5.1",),  # an owner per policy is not the roles of A.5.2
}


def test_reviewed_rules_keep_their_corrected_controls() -> None:
    by_id = {rule.id: rule.controls for rule in _builtin_rules()}
    assert {rule: by_id.get(rule) for rule in REVIEWED} == REVIEWED
    assert [rule for rule, controls in by_id.items() if "A.8.23" in controls] == []  # nothing filters browsing


def test_one_password_expiry_policy_for_every_rule_that_judges_expiry() -> None:
    readers = sorted(rule.id for rule in _builtin_rules() if "policy('password_max_age_days')" in rule.expect.text)
    assert readers == [
        "azure.entra.password-expiry-policy",
        "host.login-defs.password-max-age",
        "okta.password-expiry-policy",
    ]
