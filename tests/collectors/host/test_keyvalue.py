"""The shared key/value reader: each dialect follows its program's own comment, split and case rules."""

from __future__ import annotations

from annexa.collectors.host.keyvalue import (
    AUDITD_CONF,
    CHRONY,
    FIREWALLD,
    LOGIN_DEFS,
    PWQUALITY,
    SHELL,
    SSHD,
    SYSTEMD,
    first_wins,
    last_wins,
    read_entries,
)


def _pairs(text, dialect):
    return [(e.key, e.value, e.problem) for e in read_entries(text, dialect)]


def test_login_defs_keeps_trailing_comments_and_case():
    text = '# c\n  PASS_MAX_DAYS\t90 # days\nONLYNAME\nENCRYPT_METHOD "SHA512" x\npass_max_days 1\n'
    assert _pairs(text, LOGIN_DEFS) == [
        ("PASS_MAX_DAYS", "90 # days", None),
        ("ENCRYPT_METHOD", "SHA512", None),
        ("pass_max_days", "1", None),
    ]


def test_pwquality_comment_anywhere_one_equals_and_folded_names():
    assert _pairs("MinLen = 9 # x\nminclass=3\n#x\n", PWQUALITY) == [("minlen", "9", None), ("minclass=3", "", None)]


def test_auditd_conf_needs_spaced_equals_and_rejects_extra_words():
    text = "Log_File = /var/log/audit/audit.log\nflush=INCREMENTAL\n# c\nmax_log_file_action = ROTATE # c\n"
    assert _pairs(text, AUDITD_CONF) == [
        ("log_file", "/var/log/audit/audit.log", None),
        ("", "", "wrong number of arguments"),
        ("", "", "wrong number of arguments"),
    ]


def test_systemd_sections_continuations_and_comments():
    text = "[Time]\n; c\nNTP=a \\\n  b\n#NTP=c\nFallbackNTP=\n[Other]\nNTP=z\nnoequals\n"
    entries = read_entries(text, SYSTEMD)
    assert [(e.section, e.key, e.value, e.line) for e in entries if not e.problem] == [
        ("Time", "NTP", "a    b", 3),
        ("Time", "FallbackNTP", "", 6),
        ("Other", "NTP", "z", 8),
    ]
    assert [e.problem for e in entries if e.problem] == ["missing '='"]


def test_chrony_comments_only_at_line_start():
    text = "! pool a\n% b\n;c\nPool  2.debian.pool.ntp.org   iburst # not a comment\n"
    assert _pairs(text, CHRONY) == [("pool", "2.debian.pool.ntp.org iburst # not a comment", None)]


def test_firewalld_exactly_one_equals_first_wins():
    entries = read_entries("DefaultZone=public\nDefaultZone=trusted\nA=b=c\nEmpty=\n", FIREWALLD)
    assert {k: e.value for k, e in first_wins(entries).items()} == {"DefaultZone": "public"}
    assert [e.problem for e in entries if e.problem] == ["invalid option definition", "missing value"]


def test_shell_assignments_quoting_and_expansion():
    text = "ENABLED=yes # c `x`\nX=\"a b\"\nY='$z'\nexport Z=1\nW=$HOME\n"
    entries = read_entries(text, SHELL)
    assert {k: e.value for k, e in last_wins(entries).items()} == {"ENABLED": "yes", "X": "a b", "Y": "$z"}
    assert [e.problem for e in entries if e.problem] == [
        "not a shell variable assignment",
        "uses shell expansion, which annexa does not perform",
    ]


def test_sshd_keyword_split_and_comments():
    text = '  PermitRootLogin=no\n#x\nPasswordAuthentication  =  yes\n"Banner" none\nUseDNS\n'
    assert _pairs(text, SSHD) == [
        ("permitrootlogin", "no", None),
        ("passwordauthentication", "yes", None),
        ("banner", "none", None),
        ("", "", 'no argument after keyword "UseDNS"'),
    ]
