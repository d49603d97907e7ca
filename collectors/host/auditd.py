"""The Linux audit daemon: installed, enabled, and how many audit rules it loads."""

from __future__ import annotations

from typing import Any

from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.files import HostFiles
from annexa.collectors.host.login_defs import parse_key_values
from annexa.collectors.host.systemd import unit_enabled

__all__ = ["AuditdCollector", "count_audit_rules"]

_CONF = "/etc/audit/auditd.conf"
_CONF_KEYS = ("log_file", "max_log_file_action", "space_left_action", "admin_space_left_action", "disk_full_action")
_RULE_FLAGS = ("-a", "-A", "-w")  # syscall and watch rules; -D, -b, -f, -e are control lines


def count_audit_rules(text: str) -> tuple[int, bool]:
    """(number of syscall/watch rules, whether `-e 2` makes the configuration immutable)."""
    rules, immutable = 0, False
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] in _RULE_FLAGS:
            rules += 1
        elif words[0] == "-e" and words[1:2] == ["2"]:
            immutable = True
    return rules, immutable


class AuditdCollector(HostCollector):
    """The audit daemon: whether it is installed (/etc/audit/auditd.conf or
    /sbin/auditd), enabled (auditd.service enablement symlink in
    /etc/systemd/system), how many syscall/watch rules it loads from
    /etc/audit/rules.d/*.rules (what augenrules compiles) and from
    /etc/audit/audit.rules (what auditd loads at boot), whether the rules are
    made immutable (`-e 2`), and its log-full/log-rotation actions from
    auditd.conf."""

    name = "host.auditd"
    kinds = ("host.auditd",)
    permissions = (
        "read /etc/audit/auditd.conf",
        "read /etc/audit/rules.d/*.rules",
        "read /etc/audit/audit.rules",
        "readlink /etc/systemd/system/*.wants/auditd.service",
    )

    def read(self, files: HostFiles) -> dict[str, Any]:
        conf_text = files.read_text(_CONF)
        conf = parse_key_values(conf_text, separator="=") if conf_text is not None else {}
        rules_d_files = files.glob("/etc/audit/rules.d/*.rules")
        rules_d_count, immutable = 0, False
        for path in rules_d_files:
            count, locks = count_audit_rules(files.read_text(path) or "")
            rules_d_count += count
            immutable = immutable or locks
        compiled = files.read_text("/etc/audit/audit.rules")
        compiled_count, compiled_locks = count_audit_rules(compiled) if compiled is not None else (0, False)
        installed = conf_text is not None or files.exists("/sbin/auditd") or files.exists("/usr/sbin/auditd")
        return {
            "installed": installed,
            "enabled": installed and unit_enabled(files, "auditd.service"),
            "config_present": conf_text is not None,
            "rules_d_files": rules_d_files,
            "rules_d_rule_count": rules_d_count,
            "audit_rules_present": compiled is not None,
            "audit_rules_rule_count": compiled_count,
            "immutable": immutable or compiled_locks,
            "settings": {key: conf.get(key) for key in _CONF_KEYS},
        }
