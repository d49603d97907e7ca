"""auditd: rule counting, immutability, enablement."""

from __future__ import annotations

from annexa.collectors.host.auditd import AuditdCollector, count_audit_rules


def test_count_audit_rules_skips_control_lines_and_comments():
    text = "-D\n-b 8192\n# -w /etc/passwd -p wa\n-w /etc/group -p wa -k identity\n-a always,exit -S execve\n-e 2\n"
    assert count_audit_rules(text) == (2, True)
    assert count_audit_rules("-e 1\n") == (0, False)


def test_masked_auditd_is_not_enabled(tree, fact_data):
    root = tree(
        {
            "/etc/audit/auditd.conf": "log_file = /var/log/audit/audit.log\n",
            "/etc/audit/rules.d/a.rules": "-w /etc/shadow -p wa\n",
        },
        links={
            "/etc/systemd/system/multi-user.target.wants/auditd.service": "/lib/systemd/system/auditd.service",
            "/etc/systemd/system/auditd.service": "/dev/null",
        },
    )
    data = fact_data(AuditdCollector, root)
    assert data["installed"] and data["rules_d_rule_count"] == 1 and data["enabled"] is False
    assert data["settings"]["log_file"] == "/var/log/audit/audit.log"
