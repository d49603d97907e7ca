"""login.defs and pwquality parsing."""

from __future__ import annotations

import jmespath

from annexa.collectors.host.login_defs import LoginDefsCollector


def test_values_tabs_comments_and_pwquality_dropins(tree, fact_data):
    root = tree(
        {
            "/etc/login.defs": (
                "# PASS_MAX_DAYS 30\nPASS_MAX_DAYS\t90\nPASS_MIN_DAYS 1\nENCRYPT_METHOD sha512\nUMASK 077\n"
            ),
            "/etc/security/pwquality.conf": "# minlen = 20\nminlen = 8\n",
            "/etc/security/pwquality.conf.d/50-corp.conf": "minlen=15\nminclass = 4\n",
        }
    )
    data = fact_data(LoginDefsCollector, root)
    assert (data["pass_max_days"], data["pass_min_days"], data["pass_warn_age"]) == (90, 1, None)
    assert data["encrypt_method"] == "SHA512" and data["umask"] == "077"
    assert data["pwquality"] == {"present": True, "minlen": 15, "minclass": 4}


def test_missing_or_malformed_values_fail_the_rules(tree, fact_data, host_rules):
    missing = fact_data(LoginDefsCollector, tree())
    assert missing["present"] is False and missing["pass_max_days"] is None
    assert missing["pwquality"]["present"] is False
    malformed = fact_data(LoginDefsCollector, tree({"/etc/login.defs": "PASS_MAX_DAYS ninety\n"}))
    assert malformed["pass_max_days"] == "ninety"
    for data in (missing, malformed):
        assert not jmespath.search(host_rules["host.login-defs.password-max-age"]["expect"], data)
        assert not jmespath.search(host_rules["host.login-defs.password-hashing"]["expect"], data)


def test_no_expiry_fails_the_max_age_rule(tree, fact_data, host_rules):
    data = fact_data(LoginDefsCollector, tree({"/etc/login.defs": "PASS_MAX_DAYS -1\n"}))
    assert data["pass_max_days"] == -1
    assert not jmespath.search(host_rules["host.login-defs.password-max-age"]["expect"], data)
