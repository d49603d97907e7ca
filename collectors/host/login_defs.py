"""Password ageing and hashing as shadow applies them, and pwquality's length settings."""

from __future__ import annotations

import re
from typing import Any

from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.files import HostFiles
from annexa.collectors.host.keyvalue import LOGIN_DEFS, PWQUALITY, last_wins, read_entries

__all__ = ["LoginDefsCollector", "c_strtol", "shadow_encrypt_method"]

_LOGIN_DEFS = "/etc/login.defs"
_PWQUALITY = "/etc/security/pwquality.conf"
# login.defs(5): each ageing value defaults to -1 (no restriction) when not set or not a number.
_AGEING = ("PASS_MAX_DAYS", "PASS_MIN_DAYS", "PASS_WARN_AGE")
# lib/salt.c crypt_make_salt(): the names compared with strcmp(), so case matters.
_METHODS = ("MD5", "BCRYPT", "YESCRYPT", "SHA256", "SHA512", "DES")
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_STRTOL = re.compile(r"[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")


def c_strtol(text: str) -> int | None:
    """C strtol(text, &end, 0) that must consume the whole string (shadow's getlong()):
    decimal, 0x hex or 0 octal; None when anything is left over (`90 # days`, `090`)."""
    match = _STRTOL.fullmatch(text)
    if match is None:
        return None
    digits = match.group(2)
    value = int(digits, 16) if digits[:2].lower() == "0x" else int(digits, 8) if digits.startswith("0") else int(digits)
    return -value if match.group(1) == "-" else value


def _shadow_num(value: str | None, default: int) -> int:
    """getdef_num(): the default when unset or unparseable (shadow logs a configuration error)."""
    parsed = c_strtol(value) if value is not None else None
    return parsed if parsed is not None and _INT_MIN <= parsed <= _INT_MAX else default


def shadow_encrypt_method(encrypt_method: str | None, md5_crypt_enab: str | None) -> str:
    """The hash shadow's tools use: ENCRYPT_METHOD compared case-sensitively, anything else
    (`sha512`, `SHA512 # strong`) falls back to DES; unset: MD5 when MD5_CRYPT_ENAB is yes."""
    if encrypt_method is None:
        return "MD5" if (md5_crypt_enab or "").lower() == "yes" else "DES"
    return encrypt_method if encrypt_method in _METHODS else "DES"


def _int_or_raw(value: str | None) -> int | str | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return value  # kept as written, so a typo shows in the evidence


class LoginDefsCollector(HostCollector):
    """Local account password policy as shadow-utils applies it, read from /etc/login.defs
    the way shadow reads it (lib/getdef.c): names are case-sensitive, the last line wins,
    and a trailing `# comment` is part of the value. `pass_max_days`, `pass_min_days` and
    `pass_warn_age` are the values shadow uses: -1 (no restriction, login.defs(5)) when unset
    or when shadow cannot parse them (`unparsable` names those). `encrypt_method` is the hash
    shadow's tools use: ENCRYPT_METHOD exactly as one of MD5, SHA256, SHA512, BCRYPT, YESCRYPT
    or DES, any other spelling (`sha512`) falling back to DES as lib/salt.c does; `written`
    keeps every value as the file has it. PAM pwquality `minlen`/`minclass` come from
    /etc/security/pwquality.conf and pwquality.conf.d/*.conf (later files win), read as
    libpwquality does: `#` starts a comment anywhere and a name ends at the first blank."""

    name = "host.login_defs"
    kinds = ("host.login_defs",)
    permissions = (
        "read /etc/login.defs",
        "read /etc/security/pwquality.conf",
        "read /etc/security/pwquality.conf.d/*.conf",
    )

    def read(self, files: HostFiles) -> dict[str, Any]:
        text = files.read_text(_LOGIN_DEFS)
        defs = {key: entry.value for key, entry in last_wins(read_entries(text or "", LOGIN_DEFS)).items()}
        unparsable = [key for key in _AGEING if key in defs and c_strtol(defs[key]) is None]
        data: dict[str, Any] = {
            "present": text is not None,
            **{key.lower(): _shadow_num(defs.get(key), -1) for key in _AGEING},
            "unparsable": unparsable,
            "encrypt_method": shadow_encrypt_method(defs.get("ENCRYPT_METHOD"), defs.get("MD5_CRYPT_ENAB")),
            "umask": f"{_shadow_num(defs.get('UMASK'), 0o22):03o}",
            "written": {
                key: defs[key] for key in (*_AGEING, "ENCRYPT_METHOD", "MD5_CRYPT_ENAB", "UMASK") if key in defs
            },
        }
        data["pwquality"] = self._pwquality(files)
        return data

    @staticmethod
    def _pwquality(files: HostFiles) -> dict[str, Any]:
        settings: dict[str, str] = {}
        read: list[str] = []
        for path in [_PWQUALITY, *files.glob(f"{_PWQUALITY}.d/*.conf")]:
            text = files.read_text(path)
            if text is not None:
                read.append(path)
                settings.update({key: entry.value for key, entry in last_wins(read_entries(text, PWQUALITY)).items()})
        return {
            "present": bool(read),
            "files": read,
            "minlen": _int_or_raw(settings.get("minlen")),
            "minclass": _int_or_raw(settings.get("minclass")),
        }
