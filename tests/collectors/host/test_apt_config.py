"""APT's configuration read as apt-pkg reads it, compared with `apt-config dump` where APT is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from annexa.collectors.host.apt_config import AptConfig, AptSyntaxError, apt_reads
from annexa.collectors.host.auto_updates import AutoUpdatesCollector

KEYS = ("APT::Periodic::Enable", "APT::Periodic::Update-Package-Lists", "APT::Periodic::Unattended-Upgrade")
LISTS = ("Unattended-Upgrade::Origins-Pattern", "Unattended-Upgrade::Allowed-Origins")


def test_scoped_and_nested_forms_set_the_same_key_and_later_wins():
    apt = AptConfig()
    apt.feed('APT::Periodic::Unattended-Upgrade "0";\n')
    apt.feed('apt { periodic { unattended-upgrade "1"; }; };\n')
    assert apt.get("APT::Periodic::Unattended-Upgrade") == "1"


def test_lists_comments_clear_and_urls_inside_strings():
    apt = AptConfig()
    apt.feed(
        "// header comment\n"
        "Unattended-Upgrade::Allowed-Origins {\n"
        '    "${distro_id}:${distro_codename}-security"; // trailing\n'
        '    /* "disabled:origin"; */\n'
        '#   "also-disabled";\n'
        "};\n"
        'Unattended-Upgrade::Allowed-Origins:: "appended";\n'
        'Acquire::http::Proxy "http://proxy.example:3128/"; # comment\n'
    )
    assert apt.get_list("Unattended-Upgrade::Allowed-Origins") == [
        "${distro_id}:${distro_codename}-security",
        "appended",
    ]
    assert apt.get("Acquire::http::Proxy") == "http://proxy.example:3128/"
    apt.feed("#clear Unattended-Upgrade::Allowed-Origins;\n")
    assert apt.get_list("Unattended-Upgrade::Allowed-Origins") == [] and apt.get("missing::key") is None


@pytest.mark.parametrize(
    "text",
    ['APT::Periodic::Enable "0" junk;\n', "{ x; };\n", 'APT::Periodic::Enable "1"\n', '#clearly "x";\n'],
)
def test_syntax_errors_stop_apt(text):
    with pytest.raises(AptSyntaxError, match="Syntax error"):
        AptConfig().feed(text, "/etc/apt/apt.conf.d/10x")


def test_file_names_apt_reads():
    read = ["20auto-upgrades", "50unattended-upgrades", "99local.conf", "a_b:c-d", "x.y.conf"]
    ignored = ["50unattended-upgrades.dpkg-old", "99off~", "x.bak", "notes.txt", ".hidden", "trailing.", "sp ace"]
    assert [apt_reads(n) for n in read] == [True] * len(read)
    assert [apt_reads(n) for n in ignored] == [False] * len(ignored)


# -- apt-config dump as judge ----------------------------------------------------------------

CASES: dict[str, dict[str, str]] = {
    "debian default": {},
    "block syntax and comments": {
        "/etc/apt/apt.conf.d/30periodic": (
            'APT {\n  Periodic {\n    Update-Package-Lists "7"; /* weekly */\n'
            '    Unattended-Upgrade "always"; // each run\n  };\n};\n'
        ),
    },
    "ignored backup overrides nothing": {
        "/etc/apt/apt.conf.d/99off.dpkg-old": 'APT::Periodic::Unattended-Upgrade "0";\n',
        "/etc/apt/apt.conf.d/99off.txt": 'APT::Periodic::Unattended-Upgrade "0";\n',
        "/etc/apt/apt.conf.d/99off~": 'APT::Periodic::Unattended-Upgrade "0";\n',
    },
    "conf extension is read": {"/etc/apt/apt.conf.d/99off.conf": 'APT::Periodic::Unattended-Upgrade "0";\n'},
    "enable off, unquoted, mixed case": {"/etc/apt/apt.conf.d/10e": "apt::periodic::enable 0;\n"},
    "cleared origins": {
        "/etc/apt/apt.conf.d/60origins": (
            "#clear Unattended-Upgrade::Origins-Pattern;\n"
            'Unattended-Upgrade::Origins-Pattern { "origin=Debian,label=Debian-Security"; };\n'
        ),
    },
    "main file last": {"/etc/apt/apt.conf": 'APT::Periodic::Update-Package-Lists "0";\n'},
    "quoted comment markers": {"/etc/apt/apt.conf.d/10q": 'Acquire::http::Proxy "http://p//x#y";\n'},
    "syntax error": {"/etc/apt/apt.conf.d/10bad": 'APT::Periodic::Enable "1" junk;\n'},
}


def _apt_config_dump(root: Path) -> tuple[dict[str, str], dict[str, list[str]]] | None:
    config = root / "apt-config-root"
    config.write_text(f'Dir "{root}/";\n')
    done = subprocess.run(["apt-config", "dump"], env={"APT_CONFIG": str(config)}, capture_output=True, text=True)
    if done.returncode != 0:
        return None
    values: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        found = re.fullmatch(r'(.*?) "(.*)";', line)
        if found is None:
            continue
        key, value = found.groups()
        if key.endswith("::"):
            lists.setdefault(key[:-2].lower(), []).append(value)
        else:
            values[key.lower()] = value
    return values, lists


@pytest.mark.skipif(shutil.which("apt-config") is None, reason="APT's apt-config is not installed here")
@pytest.mark.parametrize("case", sorted(CASES))
def test_apt_config_dump_agrees(debian12, fact_data, case):
    root = debian12("apt", "unattended-upgrades", "dpkg-status", files=CASES[case])
    real = _apt_config_dump(root)
    (mechanism,) = [
        m for m in fact_data(AutoUpdatesCollector, root)["mechanisms"] if m["name"] == "unattended-upgrades"
    ]
    if real is None:
        assert mechanism["config_error"] is not None and mechanism["applies_updates"] is False
        return
    values, lists = real
    assert mechanism["config_error"] is None
    ours = dict(
        zip(
            KEYS,
            (mechanism["periodic_enable"], mechanism["update_package_lists"], mechanism["unattended_upgrade"]),
            strict=True,
        )
    )
    assert ours == {key: values.get(key.lower()) for key in KEYS}
    assert mechanism["origins"] == [v for key in LISTS for v in lists.get(key.lower(), [])]
