"""Value redaction: every secret pattern still fires behind the fast substring pre-check."""

from __future__ import annotations

import pytest

from annexa.evidence_store.redact import _SECRET_VALUE_PATTERNS, REDACTED, redact

SECRETS = [
    "-----BEGIN RSA PRIVATE KEY-----\nMIIE",
    "ghp_" + "a" * 36,
    "github_pat_" + "A1" * 20,
    "xoxb-1234567890-abcdef",
    "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc123==",
    "postgres://admin:hunter2@db.internal:5432/app",
    "AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
]


@pytest.mark.parametrize("value", SECRETS)
def test_each_secret_pattern_is_redacted(value: str) -> None:
    assert any(p.search(value) for p in _SECRET_VALUE_PATTERNS)
    assert redact({"note": value, "list": [value]}) == {"note": REDACTED, "list": [REDACTED]}


def test_ordinary_values_are_kept() -> None:
    data = {"arn": "arn:aws:s3:::acme-logs", "at": "2026-11-22T19:40:58Z", "MinimumPasswordLength": 14}
    assert redact(data) == data
