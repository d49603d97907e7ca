"""sshd_config read as sshd reads it, checked against Debian 12's files, ComplianceAsCode's
scenarios and, where it can run, the real `sshd -T`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import jmespath
import pytest

from annexa.collectors.host.sshd import SSHD_DEFAULTS, SshdCollector, argv_split
from annexa.model import CollectionError, Fact

FIXTURES = Path(__file__).parent / "fixtures"
SSHD = ("openssh-server", "dpkg-status")
CAC = FIXTURES / "complianceascode" / "sshd_lineinfile"
RULES = ("host.sshd.root-login-disabled", "host.sshd.password-auth-disabled", "host.sshd.no-empty-passwords")
# Reported setting -> the keyword sshd -T prints it under; sshd 9.2 prints PERMIT_NO_PASSWD as without-password.
_SSHD_T = {name: keyword for name, (keyword, default) in SSHD_DEFAULTS.items() if default is not None}
_SAME = {"without-password": "prohibit-password"}


def _refused(items: list[Fact | CollectionError]) -> str:
    (error,) = items
    assert isinstance(error, CollectionError) and error.code == "config_rejected", error
    assert error.kinds == ("host.sshd",)
    assert error.message.startswith("sshd would not start with this config: "), error.message
    return error.message


def _agrees(data: dict, real: dict[str, str]) -> None:
    for name, keyword in _SSHD_T.items():
        assert str(data[name]).lower() == _SAME.get(real[keyword], real[keyword]), (name, data[name], real[keyword])


def test_debian_default_config_is_read_with_its_include_and_documented_defaults(debian12, fact_data, host_rules):
    data = fact_data(SshdCollector, debian12(*SSHD))
    assert data["files"] == ["/etc/ssh/sshd_config"] and data["includes"] == ["/etc/ssh/sshd_config.d/*.conf"]
    assert data["openssh_release"] == "9.2"
    assert (data["kbd_interactive_authentication"], data["use_pam"], data["x11_forwarding"]) == ("no", "yes", "yes")
    assert (data["permit_root_login"], data["password_authentication"]) == ("prohibit-password", "yes")
    assert "permit_root_login" in data["defaults_applied"] and "use_pam" not in data["defaults_applied"]
    assert [bool(jmespath.search(host_rules[r]["expect"], data)) for r in RULES] == [False, False, True]


def test_debconf_answers_rewrite_the_config_as_the_postinst_does(debian12, fact_data):
    # postinst create_sshdconfig: permit-root-login=false -> `PermitRootLogin yes`;
    # password-authentication=false -> `PasswordAuthentication no`.
    root = debian12(*SSHD)
    config = root / "etc/ssh/sshd_config"
    text = re.sub(r"(?m)^#*PermitRootLogin .*", "PermitRootLogin yes", config.read_text())
    config.write_text(re.sub(r"(?m)^#PasswordAuthentication .*", "PasswordAuthentication no", text))
    data = fact_data(SshdCollector, root)
    assert (data["permit_root_login"], data["password_authentication"]) == ("yes", "no")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("PermitRootLogn no\n", "Bad configuration option: PermitRootLogn"),
        ("PermitRootLogin no#comment\n", 'unsupported option "no#comment"'),
        ("PermitRootLogin no yes\n", "extra arguments at end of line"),
        ('PermitRootLogin "no\n', "invalid quotes"),
        ("UseDNS\n", 'no argument after keyword "UseDNS"'),
        ("MaxAuthTries 3x\n", "MaxAuthTries integer value invalid"),
        ("\x7fELF\x02\x01\x01\x00\x00\x00\x00\n\x03\x00>\x00\x01\x00\x00\x00\n", "no argument after keyword"),
        ("PermitRootLogin yes\x00 no\nPasswordAuthentication no\n", "PermitRootLogin"),  # NUL joins the lines
        ("Match User bob\n  Ciphers aes128-ctr\n", "Directive 'Ciphers' is not allowed within a Match block"),
        ("Match Foo bar\n", "Unsupported Match attribute Foo"),
        ("Match all User bob\n", "'all' cannot be combined"),
        ("PerSourcePenalties no\n", "OpenSSH 9.2 does not have it; added in 9.8"),
    ],
)
def test_a_config_sshd_would_refuse_is_an_error_never_defaults(debian12, collect, text, why):
    root = debian12(*SSHD, files={"/etc/ssh/sshd_config.d/50-site.conf": text})
    assert why in _refused(collect(SshdCollector, root))


def test_dangling_or_missing_config_while_sshd_is_installed_is_an_error(debian12, collect):
    dangling = debian12(*SSHD, links={"/etc/ssh/sshd_config": "/etc/ssh/sshd_config.orig"})
    assert "/etc/ssh/sshd_config: No such file or directory" in _refused(collect(SshdCollector, dangling))
    missing = debian12(*SSHD, files={"/etc/ssh/sshd_config": None})
    assert "No such file or directory" in _refused(collect(SshdCollector, missing))
    dangling_include = debian12(*SSHD, links={"/etc/ssh/sshd_config.d/10-gone.conf": "/nonexistent"})
    assert "10-gone.conf: No such file or directory" in _refused(collect(SshdCollector, dangling_include))


def test_deprecated_keywords_and_debian_patches_are_accepted(debian12, fact_data):
    text = "UsePrivilegeSeparation sandbox\nProtocol 2\nDebianBanner no\nGSSAPIKeyExchange yes\n"
    data = fact_data(SshdCollector, debian12(*SSHD, files={"/etc/ssh/sshd_config.d/10-old.conf": text}))
    assert [w.split(": ", 1)[1] for w in data["warnings"]] == [
        "Deprecated or unsupported option UsePrivilegeSeparation",
        "Deprecated or unsupported option Protocol",
    ]


def test_match_all_applies_to_every_connection(debian12, fact_data, host_rules):
    text = "PermitRootLogin yes\nPasswordAuthentication yes\nMatch all\n  PermitRootLogin no\n  PasswordAuthentication no\n"
    data = fact_data(SshdCollector, debian12(*SSHD, files={"/etc/ssh/sshd_config.d/50-site.conf": text}))
    assert (data["permit_root_login"], data["password_authentication"]) == ("no", "no")
    assert data["overrides"]["permit_root_login"] == []
    assert jmespath.search(host_rules["host.sshd.root-login-disabled"]["expect"], data)
    assert jmespath.search(host_rules["host.sshd.password-auth-disabled"]["expect"], data)


def test_conditional_match_blocks_are_overrides_unless_a_match_all_shadows_them(debian12, fact_data, host_rules):
    text = (
        "PermitRootLogin no\n"
        "Match User backup\n  PermitRootLogin yes\n  PasswordAuthentication yes\n"
        "Match all\n  PasswordAuthentication no\n"
        "Match Address 10.0.0.0/8\n  PasswordAuthentication yes\n"  # shadowed: Match all came first
    )
    data = fact_data(SshdCollector, debian12(*SSHD, files={"/etc/ssh/sshd_config.d/50-site.conf": text}))
    assert data["permit_root_login"] == "no" and data["password_authentication"] == "no"
    assert [(o["criteria"], o["value"]) for o in data["overrides"]["permit_root_login"]] == [("User backup", "yes")]
    assert [(o["criteria"], o["value"]) for o in data["overrides"]["password_authentication"]] == [
        ("User backup", "yes")
    ]
    assert not jmespath.search(host_rules["host.sshd.root-login-disabled"]["expect"], data)


def test_a_match_in_an_included_file_ends_with_that_file(debian12, fact_data):
    files = {
        "/etc/ssh/sshd_config.d/50-sftp.conf": "Match Group sftp\n  ForceCommand internal-sftp\n",
        "/etc/ssh/sshd_config.d/60-root.conf": "PermitRootLogin no\n",
    }
    data = fact_data(SshdCollector, debian12(*SSHD, files=files))
    assert data["permit_root_login"] == "no"  # 60-root.conf is back in the global section
    assert [(b["criteria"], b["file"]) for b in data["match_blocks"]] == [
        ("Group sftp", "/etc/ssh/sshd_config.d/50-sftp.conf")
    ]


@pytest.mark.parametrize("include", ["../../../../etc/passwd", "/etc/../../escape.conf"])
def test_include_escaping_root_is_refused_as_an_error(debian12, collect, include):
    root = debian12(*SSHD, files={"/etc/ssh/sshd_config.d/10-x.conf": f"Include {include}\n"})
    (error,) = collect(SshdCollector, root)
    assert isinstance(error, CollectionError) and error.code == "path_escape"


def test_include_loop_stops_as_sshd_does(debian12, collect):
    root = debian12(*SSHD, files={"/etc/ssh/sshd_config.d/10-loop.conf": "Include /etc/ssh/sshd_config.d/*.conf\n"})
    assert "Too many recursive configuration includes" in _refused(collect(SshdCollector, root))


def test_no_sshd_is_a_fact_and_rules_do_not_apply(tree, fact_data, host_rules):
    data = fact_data(SshdCollector, tree({"/etc/hostname": "nossh"}))
    assert data["installed"] is False and data["permit_root_login"] is None
    assert not jmespath.search(host_rules["host.sshd.root-login-disabled"]["where"], data)


def test_argv_split_follows_misc_c():
    assert argv_split('a "b c" d\\ e \'f"g\' # rest') == ["a", "b c", "d e", 'f"g']
    assert argv_split("no#comment") == ["no#comment"] and argv_split('"open') is None


# -- ComplianceAsCode's scenarios for sshd_disable_root_login ------------------------------


def _render(script: str) -> str:
    script = re.sub(r"\{\{%.*?%\}\}.*?\{\{% endif %\}\}\n?", "", script, flags=re.S)
    for variable, value in {
        "PARAMETER": "PermitRootLogin",
        "VALUE": "no",
        "CORRECT_VALUE": "no",
        "sshd_main_config_file": "/etc/ssh/sshd_config",
        "sshd_config_dir": "/etc/ssh/sshd_config.d",
    }.items():
        script = script.replace(f"{{{{{{ {variable} }}}}}}", value)
    return script.replace("/etc/", "$ROOT/etc/")


def _scenario(debian12, name: str) -> Path:
    root = debian12(*SSHD)
    work = root.parent / f"{root.name}-cac"
    work.mkdir()
    (work / "common.sh").write_text(_render((CAC / "common.sh").read_text()))
    (work / name).write_text(_render((CAC / name).read_text()))
    subprocess.run(["bash", name], cwd=work, env={"ROOT": str(root), "PATH": "/usr/bin:/bin"}, check=True)
    return root


SCENARIOS = sorted(p.name for p in CAC.glob("*.sh") if p.name != "common.sh")


@pytest.mark.parametrize("name", SCENARIOS)
def test_complianceascode_scenarios(debian12, collect, host_rules, name):
    """A .pass.sh scenario passes the rule; a .fail.sh one never does (fail, or error where sshd
    itself would refuse the file, e.g. `PermitRootLogin bad_val`)."""
    items = collect(SshdCollector, _scenario(debian12, name))
    passed = isinstance(items[0], Fact) and bool(
        jmespath.search(host_rules["host.sshd.root-login-disabled"]["expect"], items[0].data)
    )
    assert passed is name.endswith(".pass.sh"), items
    if "bad_val" in (CAC / name).read_text():
        assert 'unsupported option "bad_val"' in _refused(items)


# -- the real sshd as judge ----------------------------------------------------------------


@pytest.mark.parametrize("name", SCENARIOS)
def test_sshd_t_agrees_on_complianceascode_scenarios(debian12, collect, sshd_judge, name):
    root = _scenario(debian12, name)
    real, stderr = sshd_judge(root)
    items = collect(SshdCollector, root)
    if real is None:
        assert isinstance(items[0], CollectionError), stderr
    else:
        assert isinstance(items[0], Fact), (items, stderr)
        _agrees(items[0].data, real)


CASES = {
    "debian default": {},
    "match all": {"/etc/ssh/sshd_config.d/50.conf": "PermitRootLogin yes\nMatch all\nPermitRootLogin no\n"},
    "equals and case": {"/etc/ssh/sshd_config.d/50.conf": "passwordauthentication=No\nMAXAUTHTRIES = 3\n"},
    "quoted, tabs, CRLF": {"/etc/ssh/sshd_config.d/50.conf": 'PermitRootLogin\t"no"\r\nX11Forwarding no\r\n'},
    "alias first": {"/etc/ssh/sshd_config.d/50.conf": "ChallengeResponseAuthentication yes\n"},
    "comment after blank": {"/etc/ssh/sshd_config.d/50.conf": "PermitRootLogin no # policy 4.2\n"},
    "comment glued": {"/etc/ssh/sshd_config.d/50.conf": "PermitRootLogin no#policy\n"},
    "typo": {"/etc/ssh/sshd_config.d/50.conf": "PermitRootLogn no\n"},
    "binary": {"/etc/ssh/sshd_config.d/50.conf": "\x7fELF\x02\x01\x01\x00\x00\x00\x00\n"},
    "nul byte": {"/etc/ssh/sshd_config.d/50.conf": "PermitRootLogin yes\x00 no\nX11Forwarding no\n"},
    "newer keyword": {"/etc/ssh/sshd_config.d/50.conf": "RefuseConnection no\n"},
    "deprecated": {"/etc/ssh/sshd_config.d/50.conf": "UsePrivilegeSeparation sandbox\nRSAAuthentication no\n"},
    "global in match": {"/etc/ssh/sshd_config.d/50.conf": "Match User x\nKexAlgorithms curve25519-sha256\n"},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sshd_t_agrees_on_edge_cases(debian12, collect, sshd_judge, case):
    root = debian12(*SSHD, files=CASES[case])
    real, stderr = sshd_judge(root)
    items = collect(SshdCollector, root)
    assert (real is None) is isinstance(items[0], CollectionError), (case, items, stderr)
    if real is not None:
        assert isinstance(items[0], Fact)
        _agrees(items[0].data, real)


def test_sshd_t_with_connection_specs_agrees_with_the_overrides(debian12, fact_data, sshd_judge):
    text = (
        "PermitRootLogin no\n"
        "Match User backup\n  PermitRootLogin yes\n  PasswordAuthentication yes\n"
        "Match all\n  PasswordAuthentication no\n  X11Forwarding no\n"
        "Match User deploy\n  PasswordAuthentication yes\n  X11Forwarding yes\n"
    )
    root = debian12(*SSHD, files={"/etc/ssh/sshd_config.d/50-site.conf": text})
    data = fact_data(SshdCollector, root)
    for user in ("backup", "deploy", "alice"):
        real, stderr = sshd_judge(root, f"user={user},host=client.example,addr=192.0.2.10")
        assert real is not None, stderr
        for name, keyword in _SSHD_T.items():
            override = next((o["value"] for o in data["overrides"][name] if o["criteria"] == f"User {user}"), None)
            expected = data[name] if override is None else override
            assert str(expected).lower() == _SAME.get(real[keyword], real[keyword]), (user, name)
