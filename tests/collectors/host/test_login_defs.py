"""login.defs read as shadow reads it (lib/getdef.c, lib/salt.c), and pwquality."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timezone

import jmespath
import pytest

from annexa.collectors.host.login_defs import LoginDefsCollector, c_strtol, shadow_encrypt_method
from annexa.mappings.jmes import compile_expression

MAX_AGE = "host.login-defs.password-max-age"
HASHING = "host.login-defs.password-hashing"
NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def _max_age_holds(host_rules, data, max_age_days=None) -> bool:
    """The max-age rule on `data` under `policy: {password_max_age_days: ...}` (None: `none`)."""
    policy = {"password_max_age_days": max_age_days}
    return bool(compile_expression(host_rules[MAX_AGE]["expect"]).search(data, NOW, policy))


def _with(debian12, old: str, new: str):
    """Debian 12's login.defs with one line changed."""
    root = debian12("login", "libpwquality-common")
    path = root / "etc/login.defs"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return root


def test_debian_default_login_defs(debian12, fact_data, host_rules):
    data = fact_data(LoginDefsCollector, debian12("login", "libpwquality-common"))
    assert (data["pass_max_days"], data["pass_min_days"], data["pass_warn_age"]) == (99999, 0, 7)
    assert data["encrypt_method"] == "SHA512" and data["umask"] == "022" and data["unparsable"] == []
    assert data["pwquality"] == {
        "present": True,
        "files": ["/etc/security/pwquality.conf"],
        "minlen": None,  # every setting is commented out in the package's file
        "minclass": None,
    }
    assert _max_age_holds(host_rules, data)  # 99999 days is no maximum: the default policy's `none`
    assert not _max_age_holds(host_rules, data, 365)
    assert jmespath.search(host_rules[HASHING]["expect"], data)


def test_a_trailing_comment_is_part_of_the_value_so_no_maximum_applies(debian12, fact_data, host_rules):
    data = fact_data(LoginDefsCollector, _with(debian12, "PASS_MAX_DAYS\t99999", "PASS_MAX_DAYS\t90   # policy 5.17"))
    assert data["pass_max_days"] == -1 and data["unparsable"] == ["PASS_MAX_DAYS"]
    assert data["written"]["PASS_MAX_DAYS"] == "90   # policy 5.17"
    assert not _max_age_holds(host_rules, data, 90)  # the policy's 90 days do not apply
    assert _max_age_holds(host_rules, data)  # shadow applies no maximum: what a `none` policy wants
    good = fact_data(LoginDefsCollector, _with(debian12, "PASS_MAX_DAYS\t99999", "PASS_MAX_DAYS\t90"))
    assert good["pass_max_days"] == 90 and _max_age_holds(host_rules, good, 90)
    assert not _max_age_holds(host_rules, good)


@pytest.mark.parametrize(
    ("line", "method"),
    [
        ("ENCRYPT_METHOD SHA512", "SHA512"),
        ("ENCRYPT_METHOD sha512", "DES"),  # strcmp in salt.c: any other spelling falls back to DES
        ("ENCRYPT_METHOD YESCRYPT # strong", "DES"),
        ('ENCRYPT_METHOD "YESCRYPT"', "YESCRYPT"),  # def_load() skips a leading quote, cuts at the next
        ("#ENCRYPT_METHOD SHA512", "DES"),  # unset, MD5_CRYPT_ENAB unset
        ("encrypt_method SHA512", "DES"),  # names are case-sensitive: this sets nothing
    ],
)
def test_encrypt_method_as_shadow_uses_it(debian12, fact_data, host_rules, line, method):
    data = fact_data(LoginDefsCollector, _with(debian12, "ENCRYPT_METHOD SHA512", line))
    assert data["encrypt_method"] == method
    assert bool(jmespath.search(host_rules[HASHING]["expect"], data)) is (method in ("SHA512", "YESCRYPT"))


def test_last_line_wins_and_missing_file_applies_shadows_defaults(tree, fact_data, host_rules):
    data = fact_data(LoginDefsCollector, tree({"/etc/login.defs": "PASS_MAX_DAYS 30\nPASS_MAX_DAYS 400\n"}))
    assert data["pass_max_days"] == 400
    missing = fact_data(LoginDefsCollector, tree())
    assert missing["present"] is False and missing["pass_max_days"] == -1 and missing["encrypt_method"] == "DES"
    assert not _max_age_holds(host_rules, missing) and not _max_age_holds(host_rules, missing, 90)  # no file


def test_c_strtol_and_md5_fallback():
    assert [c_strtol(v) for v in ("90", "0x10", "010", "-1", "090", "90 # x", "", "9O")] == [
        90,
        16,
        8,
        -1,
        None,
        None,
        None,
        None,
    ]
    assert shadow_encrypt_method(None, "yes") == "MD5" and shadow_encrypt_method(None, "no") == "DES"


def test_pwquality_reads_as_libpwquality(tree, fact_data):
    root = tree(
        {
            "/etc/security/pwquality.conf": "# minlen = 20\nminlen = 8 # site\nMinClass 2\n",
            "/etc/security/pwquality.conf.d/50-corp.conf": "minlen=15\nminclass = 4\n",
        }
    )
    data = fact_data(LoginDefsCollector, root)["pwquality"]
    # `minlen=15` is one word: libpwquality reads no `minlen` from it; later files win otherwise.
    assert (data["minlen"], data["minclass"]) == (8, 4)


# -- shadow itself as judge: useradd -P PREFIX applies the ageing defaults, chgpasswd -R CHROOT hashes --

_HASHES = (("$6$", "SHA512"), ("$y$", "YESCRYPT"), ("$5$", "SHA256"), ("$1$", "MD5"), ("$2b$", "BCRYPT"))


def _shadow_prefix(tmp_path, login_defs: str):
    prefix = tmp_path / "shadow-prefix"
    (prefix / "etc").mkdir(parents=True)
    (prefix / "etc/login.defs").write_text(login_defs)
    (prefix / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (prefix / "etc/shadow").write_text("root:*:19000:0:99999:7:::\n")
    (prefix / "etc/group").write_text("root:x:0:\nprobe:x:4242:\n")
    (prefix / "etc/gshadow").write_text("root:*::\nprobe:*::\n")
    return prefix


def _shadow_verdict(prefix) -> tuple[int, str]:
    """(PASS_MAX_DAYS as useradd writes it into the new account, the hash chgpasswd makes)."""
    subprocess.run(["useradd", "-P", str(prefix), "-M", "-N", "-g", "probe", "probe"], check=True, capture_output=True)
    shadow = next(line for line in (prefix / "etc/shadow").read_text().splitlines() if line.startswith("probe:"))
    max_days = shadow.split(":")[4]
    subprocess.run(
        ["chgpasswd", "-R", str(prefix)], input="probe:Secret-123\n", text=True, check=True, capture_output=True
    )
    hashed = next(line for line in (prefix / "etc/gshadow").read_text().splitlines() if line.startswith("probe:"))
    password = hashed.split(":")[1]
    method = next((name for mark, name in _HASHES if password.startswith(mark)), "DES" if len(password) == 13 else "?")
    return (int(max_days) if max_days else -1), method


def _shadow_can_judge() -> str | None:
    if os.geteuid() != 0:
        return "useradd -P and chgpasswd -R write account files and chroot: root only"
    missing = [tool for tool in ("useradd", "chgpasswd") if shutil.which(tool) is None]
    return f"shadow's {', '.join(missing)} not installed (apt-get install passwd)" if missing else None


@pytest.mark.skipif(_shadow_can_judge() is not None, reason=str(_shadow_can_judge()))
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("PASS_MAX_DAYS\t99999", "PASS_MAX_DAYS\t99999"),
        ("PASS_MAX_DAYS\t99999", "PASS_MAX_DAYS\t90   # policy 5.17"),
        ("PASS_MAX_DAYS\t99999", "PASS_MAX_DAYS\t365"),
        ("PASS_MAX_DAYS\t99999", 'PASS_MAX_DAYS\t"180"'),
        ("ENCRYPT_METHOD SHA512", "ENCRYPT_METHOD sha512"),
        ("ENCRYPT_METHOD SHA512", "ENCRYPT_METHOD YESCRYPT # strong"),
        ("ENCRYPT_METHOD SHA512", "ENCRYPT_METHOD YESCRYPT"),
        ("ENCRYPT_METHOD SHA512", "#ENCRYPT_METHOD SHA512"),
    ],
)
def test_shadow_agrees(debian12, fact_data, tmp_path, old, new):
    """Debian 12's login.defs with one line changed, read by annexa and applied by shadow's own tools."""
    root = _with(debian12, old, new)
    data = fact_data(LoginDefsCollector, root)
    max_days, method = _shadow_verdict(_shadow_prefix(tmp_path, (root / "etc/login.defs").read_text()))
    assert (data["pass_max_days"], data["encrypt_method"]) == (max_days, method)
