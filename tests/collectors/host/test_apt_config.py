"""APT configuration syntax: scoped and nested names, lists, comments, override order."""

from __future__ import annotations

from annexa.collectors.host.apt_config import AptConfig


def test_scoped_and_nested_forms_set_the_same_key_and_later_wins():
    apt = AptConfig()
    apt.feed('APT::Periodic::Unattended-Upgrade "0";\n')
    apt.feed('apt { periodic { unattended-upgrade "1"; }; };\n')
    assert apt.get("APT::Periodic::Unattended-Upgrade") == "1"


def test_lists_comments_and_urls_inside_strings():
    apt = AptConfig()
    apt.feed(
        "// header comment\n"
        "Unattended-Upgrade::Allowed-Origins {\n"
        '    "${distro_id}:${distro_codename}-security"; // trailing\n'
        '    /* "disabled:origin"; */\n'
        '#   "also-disabled";\n'
        "};\n"
        'Acquire::http::Proxy "http://proxy.example:3128/";\n'
    )
    assert apt.get_list("Unattended-Upgrade::Allowed-Origins") == ["${distro_id}:${distro_codename}-security"]
    assert apt.get("Acquire::http::Proxy") == "http://proxy.example:3128/"
    assert apt.get("missing::key") is None
