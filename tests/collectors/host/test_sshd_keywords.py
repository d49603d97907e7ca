"""The sshd keyword table: releases, places and value checks taken from servconf.c."""

from __future__ import annotations

import pytest

from annexa.collectors.host.sshd_keywords import ALIASES, KEYWORDS, check_value


@pytest.mark.parametrize(
    ("keyword", "args", "problem"),
    [
        ("permitrootlogin", ["No"], None),
        ("permitrootlogin", ["maybe"], 'unsupported option "maybe"'),
        ("passwordauthentication", ["no", "yes"], "keyword passwordauthentication extra arguments at end of line"),
        ("maxauthtries", ["-1"], "maxauthtries integer value too small"),
        ("maxauthtries", ["+4"], None),
        ("logingracetime", ["1h30m"], None),
        ("logingracetime", ["soon"], "invalid time value"),
        ("unusedconnectiontimeout", ["none"], None),
        ("listenaddress", ["0.0.0.0", "rdomain", "x"], None),
        ("acceptenv", ["LANG", "LC_*"], None),
        ("subsystem", ["sftp", "/usr/lib/openssh/sftp-server", "-l", "INFO"], None),
        ("usedns", [], "missing argument"),
    ],
)
def test_check_value(keyword, args, problem):
    assert check_value(keyword, KEYWORDS[keyword], args) == problem


def test_releases_and_aliases():
    assert KEYWORDS["include"].since == (8, 2) and KEYWORDS["persourcepenalties"].since == (9, 8)
    assert max(spec.since for spec in KEYWORDS.values()) <= (10, 3)
    assert all(target in KEYWORDS for target in ALIASES.values())
    assert not KEYWORDS["ciphers"].match and KEYWORDS["permitrootlogin"].match
