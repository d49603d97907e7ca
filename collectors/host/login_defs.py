"""Password ageing and hashing defaults (shadow-utils) and pwquality length."""

from __future__ import annotations

from typing import Any

from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.files import HostFiles

__all__ = ["LoginDefsCollector", "parse_key_values"]

_LOGIN_DEFS = "/etc/login.defs"
_PWQUALITY = "/etc/security/pwquality.conf"
_INT_KEYS = ("PASS_MAX_DAYS", "PASS_MIN_DAYS", "PASS_WARN_AGE")


def parse_key_values(text: str, separator: str | None = None) -> dict[str, str]:
    """`KEY value` (or `key = value` with `separator="="`) lines; later lines win."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if separator is None:
            key, value = (line.split(None, 1) + [""])[:2]
        else:
            key, found, value = line.partition(separator)
            if not found:
                continue
        values[key.strip()] = value.strip().strip("\"'")
    return values


def _int_or_raw(value: str | None) -> int | str | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return value  # kept as written, so a typo shows in the evidence and fails numeric rules


class LoginDefsCollector(HostCollector):
    """Local account password policy: PASS_MAX_DAYS, PASS_MIN_DAYS, PASS_WARN_AGE,
    ENCRYPT_METHOD and UMASK from /etc/login.defs (null when not set there, i.e.
    the shadow-utils built-in applies), and PAM pwquality `minlen`/`minclass` from
    /etc/security/pwquality.conf and pwquality.conf.d/*.conf (later files win,
    as libpwquality reads them)."""

    name = "host.login_defs"
    kinds = ("host.login_defs",)
    permissions = (
        "read /etc/login.defs",
        "read /etc/security/pwquality.conf",
        "read /etc/security/pwquality.conf.d/*.conf",
    )

    def read(self, files: HostFiles) -> dict[str, Any]:
        text = files.read_text(_LOGIN_DEFS)
        defs = parse_key_values(text) if text is not None else {}
        encrypt = defs.get("ENCRYPT_METHOD")
        data: dict[str, Any] = {
            "present": text is not None,
            **{key.lower(): _int_or_raw(defs.get(key)) for key in _INT_KEYS},
            "encrypt_method": encrypt.upper() if encrypt else None,
            "umask": defs.get("UMASK"),
        }
        data["pwquality"] = self._pwquality(files)
        return data

    @staticmethod
    def _pwquality(files: HostFiles) -> dict[str, Any]:
        settings: dict[str, str] = {}
        present = False
        for path in [_PWQUALITY, *files.glob(f"{_PWQUALITY}.d/*.conf")]:
            text = files.read_text(path)
            if text is not None:
                present = True
                settings.update(parse_key_values(text, separator="="))
        return {
            "present": present,
            "minlen": _int_or_raw(settings.get("minlen")),
            "minclass": _int_or_raw(settings.get("minclass")),
        }
