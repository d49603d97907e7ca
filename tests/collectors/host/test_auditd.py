"""auditd: Debian 12's files, auditd.conf as auditd reads it, rule counting and enablement."""

from __future__ import annotations

import pytest

from annexa.collectors.host.auditd import AuditdCollector, count_audit_rules
from annexa.model import CollectionError


def test_debian_default_is_enabled_with_no_rules(debian12, fact_data):
    data = fact_data(AuditdCollector, debian12("auditd"))
    assert data["installed"] and data["enabled"] and data["rules_d_rule_count"] == 0  # only -D, -b, -f lines
    assert data["settings"]["max_log_file_action"] == "rotate" and data["settings"]["disk_full_action"] == "suspend"


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("max_log_file_action=ROTATE", "wrong number of arguments"),
        ("max_log_file_action = ROTATE # keep", "wrong number of arguments"),
        ("max_log_file_action = ROTATE_LATER", "option ROTATE_LATER not found"),
        ("max_log_files = 5", 'unknown keyword "max_log_files"'),
        ("max_log_file_action ROTATE x", "missing equal sign"),
    ],
)
def test_an_auditd_conf_auditd_would_refuse_is_an_error(debian12, collect, line, why):
    root = debian12("auditd")
    path = root / "etc/audit/auditd.conf"
    path.write_text(path.read_text().replace("max_log_file_action = ROTATE", line, 1))
    (error,) = collect(AuditdCollector, root)
    assert isinstance(error, CollectionError) and error.code == "config_rejected"
    assert error.message.startswith("auditd would not start with this config") and why in error.message


def test_count_audit_rules_uses_auditctl_words():
    text = "-D\n-b 8192\n# -w /etc/passwd -p wa\n-w /etc/group -p wa -k identity\n-a always,exit -S execve\n-e 2\n"
    assert count_audit_rules(text) == (2, True)
    assert count_audit_rules("-e 1\n#-w /x\n") == (0, False)


def test_masked_auditd_is_not_enabled(debian12, fact_data):
    root = debian12("auditd", links={"/etc/systemd/system/auditd.service": "/dev/null"})
    assert fact_data(AuditdCollector, root)["enabled"] is False
