"""The Linux audit daemon: installed, enabled, its configuration as auditd reads it, and its rules."""

from __future__ import annotations

from typing import Any

from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.files import ConfigRejected, HostFiles
from annexa.collectors.host.keyvalue import AUDITD_CONF, read_entries
from annexa.collectors.host.systemd import unit_enabled

__all__ = ["AuditdCollector", "count_audit_rules", "read_auditd_conf"]

_CONF = "/etc/audit/auditd.conf"
_RULE_FLAGS = ("-a", "-A", "-w")  # syscall and watch rules; -D, -b, -f, -e are control lines
# src/auditd-config.c keywords[] (audit 3.0.9 as in Debian 12, plus those added up to 4.x);
# kw_lookup() compares with strcasecmp and an unknown keyword stops auditd.
_KEYWORDS = frozenset(
    "local_events write_logs log_file log_format log_group flush freq num_logs dispatcher name_format name "
    "disp_qos max_log_file max_log_file_action space_left space_left_action action_mail_acct verify_email "
    "admin_space_left admin_space_left_action disk_full_action disk_error_action priority_boost tcp_listen_port "
    "tcp_listen_queue tcp_max_per_addr use_libwrap tcp_client_ports tcp_client_max_idle transport enable_krb5 "
    "krb5_principal krb5_key_file distribute_network q_depth overflow_action max_restarts plugin_dir "
    "end_of_event_timeout report_interval tls_psk_file tls_psk_identity tls_cipher_suites tls_key_exchange "
    "tls_require_pqc tls_auth tls_crypto_profile tls_allowed_clients".split()
)
# The values each reported action accepts (failure_actions[] and size_actions[], strcasecmp).
_FAILURE_ACTIONS = frozenset({"ignore", "syslog", "rotate", "email", "exec", "suspend", "single", "halt"})
_ACTIONS = {
    "max_log_file_action": frozenset({"ignore", "syslog", "suspend", "rotate", "keep_logs"}),
    "space_left_action": _FAILURE_ACTIONS,
    "admin_space_left_action": _FAILURE_ACTIONS,
    "disk_full_action": _FAILURE_ACTIONS,
    "disk_error_action": _FAILURE_ACTIONS,
}
_TAKES_OPTION = frozenset({"space_left_action", "admin_space_left_action", "disk_full_action", "disk_error_action"})
_REPORTED = ("log_file", *_ACTIONS)


def read_auditd_conf(text: str, path: str = _CONF) -> dict[str, str]:
    """auditd.conf as auditd's load_config() reads it; ConfigRejected where auditd would stop."""
    settings: dict[str, str] = {}
    for entry in read_entries(text, AUDITD_CONF):
        where = f"{path} line {entry.line}"
        if entry.problem is not None:
            raise ConfigRejected("auditd", path, f"{where}: {entry.problem}")
        if entry.key not in _KEYWORDS:
            raise ConfigRejected("auditd", path, f'{where}: unknown keyword "{entry.written_key}"')
        value, _, option = entry.value.partition(" ")
        if option and entry.key not in _TAKES_OPTION:
            raise ConfigRejected(
                "auditd", path, f'{where}: keyword "{entry.written_key}" has invalid option "{option}"'
            )
        if entry.key in _ACTIONS and value.lower() not in _ACTIONS[entry.key]:
            raise ConfigRejected("auditd", path, f"{where}: option {value} not found")
        settings[entry.key] = entry.value.lower() if entry.key in _ACTIONS else entry.value
    return settings


def count_audit_rules(text: str) -> tuple[int, bool]:
    """(number of syscall/watch rules, whether `-e 2` makes the configuration immutable), with
    auditctl's own tokens: words split at spaces, a line whose first word starts with `#` is a comment."""
    rules, immutable = 0, False
    for line in text.splitlines():
        words = [word for word in line.split(" ") if word]
        if not words or words[0].startswith("#"):
            continue
        if words[0] in _RULE_FLAGS:
            rules += 1
        elif words[0] == "-e" and words[1:2] == ["2"]:
            immutable = True
    return rules, immutable


class AuditdCollector(HostCollector):
    """The audit daemon: whether it is installed (/etc/audit/auditd.conf or /sbin/auditd),
    enabled (auditd.service enablement symlink in /etc/systemd/system, not masked), how many
    syscall/watch rules it loads from /etc/audit/rules.d/*.rules (what augenrules compiles)
    and from /etc/audit/audit.rules (what auditd loads at boot), whether the rules are made
    immutable (`-e 2`), and its log-full/log-rotation actions from auditd.conf. auditd.conf
    is read as auditd reads it (`name = value` with spaces, keywords case-insensitive); a
    file auditd would refuse (an unknown keyword, a missing `=`, an action it does not know)
    is an error, since the running daemon's settings cannot then be told from the files."""

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
        conf = read_auditd_conf(conf_text) if conf_text is not None else {}
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
            "settings": {key: conf.get(key) for key in _REPORTED},
        }
