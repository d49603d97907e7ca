"""Secret redaction, applied to every fact before it is hashed or stored.

Two nets: keys that name a secret (the value is replaced, the key kept, so an
auditor sees that a secret exists without seeing it), and values that look like
one wherever they appear (private keys, tokens, connection strings with keys).
Flags such as `MinimumPasswordLength` or `PasswordLastUsed` are not secrets and
keep their values: only keys that *end* in a secret noun are redacted.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["REDACTED", "redact"]

REDACTED = "[REDACTED]"

_SECRET_KEY_SUFFIXES = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "secretkey",
    "secretaccesskey",
    "clientsecret",
    "token",
    "apikey",
    "privatekey",
    "accountkey",
    "accesskey",
    "sharedkey",
    "primarykey",
    "secondarykey",
    "connectionstring",
    "userdata",
    "credentials",
    "sastoken",
    "signature",
)
# Keys that end like a secret noun but hold no secret.
_NOT_SECRET_KEYS = frozenset({"nexttoken", "continuationtoken", "paginationtoken", "marker"})

_SECRET_VALUE_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{30,}\b"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),
    re.compile(r"(?i)\b(AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd)\s*=\s*[^;\s]+"),
    re.compile(r"(?i)\b[a-z][a-z0-9+.\-]*://[^/\s:@]+:[^/\s@]+@"),  # scheme://user:password@host
    re.compile(r"(?i)\baws_secret_access_key\s*[=:]\s*\S+"),
    re.compile(r"[?&]sig=[A-Za-z0-9%+/=]{10,}"),  # Azure SAS and other pre-signed URL signatures
    re.compile(r"(?i)[?&]X-Amz-Signature=[0-9a-f]{16,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b"),  # JWT
]


# Every pattern above needs one of these substrings; checking them first (fast, in C) skips
# the regexes for almost every value, which matters because every value of every fact is checked.
_VALUE_MARKERS = re.compile("=|://|-----BEGIN|_|xox|eyJ")


def _normalise(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


@lru_cache(maxsize=8192)  # the same few hundred key names recur in every fact
def _secret_key(key: str) -> bool:
    norm = _normalise(key)
    return norm not in _NOT_SECRET_KEYS and norm.endswith(_SECRET_KEY_SUFFIXES)


def _secret_value(value: str) -> bool:
    return _VALUE_MARKERS.search(value) is not None and any(p.search(value) for p in _SECRET_VALUE_PATTERNS)


def redact(value: Any) -> Any:
    """A copy of `value` with secret values replaced by `[REDACTED]`.

    Booleans, numbers and null under a secret-looking key are kept: they say whether
    a secret is set or how long it must be, not what it is. A `{Key: ..., Value: ...}`
    pair (AWS tags, environment lists) is judged by its `Key`.
    """
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        pair_key = value.get("Key", value.get("key", value.get("Name", value.get("name"))))
        secret_pair = isinstance(pair_key, str) and _secret_key(pair_key)
        for key, item in value.items():
            if isinstance(key, str) and (_secret_key(key) or (secret_pair and key in ("Value", "value"))):
                out[key] = REDACTED if isinstance(item, (str, list, dict)) and item else item
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str) and _secret_value(value):
        return REDACTED
    return value
