"""sshd_config parsing: Include, first value wins, comments, Match blocks, absence."""

from __future__ import annotations

import jmespath
import pytest

from annexa.collectors.host.sshd import SSHD_DEFAULTS, SshdCollector
from annexa.model import CollectionError


def test_first_value_wins_across_includes_in_glob_order(tree, fact_data):
    root = tree(
        {
            "/etc/ssh/sshd_config": "PasswordAuthentication yes\nInclude sshd_config.d/*.conf\nPermitRootLogin yes\n",
            "/etc/ssh/sshd_config.d/20-b.conf": "PermitRootLogin forced-commands-only\nMaxAuthTries 5\n",
            "/etc/ssh/sshd_config.d/10-a.conf": "PasswordAuthentication no\nPermitRootLogin no\n",
            "/etc/ssh/sshd_config.d/notes.txt": "PermitRootLogin yes\n",
        }
    )
    data = fact_data(SshdCollector, root)
    assert data["password_authentication"] == "yes"  # main file line 1 came first
    assert data["permit_root_login"] == "no"  # 10-a.conf is read before 20-b.conf and the main file's later line
    assert data["max_auth_tries"] == 5
    assert data["files"] == [
        "/etc/ssh/sshd_config",
        "/etc/ssh/sshd_config.d/10-a.conf",
        "/etc/ssh/sshd_config.d/20-b.conf",
    ]
    assert data["includes"] == ["/etc/ssh/sshd_config.d/*.conf"]


def test_keywords_case_insensitive_equals_syntax_comments_and_alias(tree, fact_data):
    root = tree(
        {
            "/etc/ssh/sshd_config": (
                "# PermitRootLogin no\n"
                "   \n"
                "permitrootlogin=Prohibit-Password\n"
                "PASSWORDAUTHENTICATION   No   # trailing comment\n"
                "ChallengeResponseAuthentication no\n"
                "KbdInteractiveAuthentication yes\n"
                'Ciphers "aes256-gcm@openssh.com"\n'
            )
        }
    )
    data = fact_data(SshdCollector, root)
    assert data["permit_root_login"] == "prohibit-password"
    assert data["password_authentication"] == "no"
    assert data["kbd_interactive_authentication"] == "no"  # the deprecated alias set it first
    assert data["ciphers"] == "aes256-gcm@openssh.com"


def test_defaults_fill_what_is_not_configured(tree, fact_data, host_rules):
    data = fact_data(SshdCollector, tree({"/etc/ssh/sshd_config": "X11Forwarding yes\n"}))
    assert data["x11_forwarding"] == "yes"
    assert data["permit_root_login"] == "prohibit-password"
    assert data["password_authentication"] == "yes"
    assert data["max_auth_tries"] == 6
    assert data["ciphers"] is None
    assert set(data["defaults_applied"]) == set(SSHD_DEFAULTS) - {"x11_forwarding"}
    assert not jmespath.search(host_rules["host.sshd.root-login-disabled"]["expect"], data)


def test_match_blocks_do_not_change_globals_but_are_recorded(tree, fact_data, host_rules):
    root = tree(
        {
            "/etc/ssh/sshd_config": (
                "PasswordAuthentication no\n"
                "Include /etc/ssh/sshd_config.d/*.conf\n"
                "Match User backup\n"
                "  PasswordAuthentication yes\n"
                "  PermitRootLogin yes\n"
                "PermitEmptyPasswords yes\n"  # still inside the Match block
            ),
            # A Match opened in an included file ends with that file, as in sshd.
            "/etc/ssh/sshd_config.d/50-sftp.conf": "Match Group sftp\n  ForceCommand internal-sftp\n",
            "/etc/ssh/sshd_config.d/60-root.conf": "PermitRootLogin no\n",
        }
    )
    data = fact_data(SshdCollector, root)
    assert data["permit_root_login"] == "no"
    assert data["permit_empty_passwords"] == "no"
    assert [(m["criteria"], m["file"]) for m in data["match_blocks"]] == [
        ("Group sftp", "/etc/ssh/sshd_config.d/50-sftp.conf"),
        ("User backup", "/etc/ssh/sshd_config"),
    ]
    assert data["match_blocks"][1]["settings"] == {
        "passwordauthentication": "yes",
        "permitrootlogin": "yes",
        "permitemptypasswords": "yes",
    }
    # Rules look into Match blocks: a user-specific override fails them.
    for rule_id in (
        "host.sshd.root-login-disabled",
        "host.sshd.password-auth-disabled",
        "host.sshd.no-empty-passwords",
    ):
        assert not jmespath.search(host_rules[rule_id]["expect"], data), rule_id


def test_missing_sshd_is_a_fact_and_rules_do_not_apply(tree, fact_data, host_rules):
    data = fact_data(SshdCollector, tree({"/etc/hostname": "nossh"}))
    assert data["installed"] is False and data["config_present"] is False
    assert data["permit_root_login"] is None
    assert not jmespath.search(host_rules["host.sshd.root-login-disabled"]["where"], data)


def test_binary_without_config_runs_on_defaults(tree, fact_data):
    data = fact_data(SshdCollector, tree({"/usr/sbin/sshd": ""}))
    assert data["installed"] is True and data["config_present"] is False
    assert data["password_authentication"] == "yes"


@pytest.mark.parametrize("include", ["../../../../etc/passwd", "/etc/../../escape.conf"])
def test_include_escaping_root_is_refused_as_an_error(tree, collect, include):
    root = tree({"/etc/ssh/sshd_config": f"Include {include}\nPermitRootLogin no\n"})
    (error,) = collect(SshdCollector, root)
    assert isinstance(error, CollectionError)
    assert error.kinds == ("host.sshd",) and error.code == "path_escape"


def test_include_loop_stops_with_an_error(tree, collect):
    root = tree({"/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config\n"})
    (error,) = collect(SshdCollector, root)
    assert isinstance(error, CollectionError) and error.code == "include_depth"
