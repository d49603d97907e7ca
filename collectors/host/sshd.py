"""Effective OpenSSH server settings, parsed the way sshd reads its config."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.files import HostFiles, HostReadError

__all__ = ["SSHD_DEFAULTS", "SshdCollector", "parse_sshd_config"]

_CONFIG = "/etc/ssh/sshd_config"
_MAX_INCLUDE_DEPTH = 16  # sshd's own limit
_LINE = re.compile(r"([^\s=]+)\s*(?:=\s*)?(.*)")
# Keywords sshd treats as one option (ChallengeResponseAuthentication is a deprecated alias).
_ALIASES = {"challengeresponseauthentication": "kbdinteractiveauthentication"}
_ENUM_VALUES = {"yes", "no", "prohibit-password", "without-password", "forced-commands-only"}

# Reported setting -> (sshd keyword, OpenSSH 9.x compiled-in default). None means
# "the compiled-in algorithm list", which depends on the OpenSSH version.
SSHD_DEFAULTS: dict[str, tuple[str, str | int | None]] = {
    "permit_root_login": ("permitrootlogin", "prohibit-password"),  # default since OpenSSH 7.0
    "password_authentication": ("passwordauthentication", "yes"),
    "kbd_interactive_authentication": ("kbdinteractiveauthentication", "yes"),
    "permit_empty_passwords": ("permitemptypasswords", "no"),
    "pubkey_authentication": ("pubkeyauthentication", "yes"),
    "use_pam": ("usepam", "no"),
    "x11_forwarding": ("x11forwarding", "no"),
    "max_auth_tries": ("maxauthtries", 6),
    "ciphers": ("ciphers", None),
    "macs": ("macs", None),
    "kex_algorithms": ("kexalgorithms", None),
}


@dataclass
class SshdConfig:
    files: list[str] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    settings: dict[str, str | int] = field(default_factory=dict)  # global keyword -> first value
    match_blocks: list[dict[str, Any]] = field(default_factory=list)


def parse_sshd_config(files: HostFiles, path: str = _CONFIG) -> SshdConfig:
    """Global settings (first value wins, keywords case-insensitive) and Match blocks."""
    config = SshdConfig()
    _parse_file(files, path, config, match=None, depth=0)
    return config


def _parse_file(files: HostFiles, path: str, config: SshdConfig, match: dict[str, Any] | None, depth: int) -> None:
    if depth > _MAX_INCLUDE_DEPTH:
        raise HostReadError(path, "Include nested too deeply", "include_depth")
    text = files.read_text(path)
    if text is None:
        return
    config.files.append(path)
    for number, raw in enumerate(text.splitlines(), start=1):
        found = _LINE.match(raw.strip())
        if not found or found.group(1).startswith("#"):
            continue
        keyword = _ALIASES.get(found.group(1).lower(), found.group(1).lower())
        args = _split_args(found.group(2))
        if keyword == "include":
            for pattern in args:
                absolute = pattern if pattern.startswith("/") else f"/etc/ssh/{pattern}"
                config.includes.append(absolute)
                for included in files.glob(absolute):
                    # A Match opened inside an included file ends with that file, as in sshd.
                    _parse_file(files, included, config, match, depth + 1)
        elif keyword == "match":
            match = {"file": path, "line": number, "criteria": " ".join(args), "settings": {}}
            config.match_blocks.append(match)
        elif args:
            target = config.settings if match is None else match["settings"]
            target.setdefault(keyword, _value(keyword, " ".join(args)))


def _split_args(rest: str) -> list[str]:
    try:
        return shlex.split(rest, comments=True)
    except ValueError:  # unbalanced quotes: keep the words as written
        return rest.split()


def _value(keyword: str, raw: str) -> str | int:
    if keyword == "maxauthtries" and raw.isdigit():
        return int(raw)
    # sshd matches these enumerated values case-insensitively; paths and lists keep their case.
    return raw.lower() if raw.lower() in _ENUM_VALUES else raw


class SshdCollector(HostCollector):
    """The OpenSSH server's effective global settings: /etc/ssh/sshd_config and
    every file it `Include`s, keywords case-insensitive, first value wins as in
    sshd. Settings not configured are reported with OpenSSH's compiled-in default
    and listed in `defaults_applied`. Match blocks do not change the global values
    but are recorded with the settings they override. `installed` is false when
    neither the config nor /usr/sbin/sshd exists."""

    name = "host.sshd"
    kinds = ("host.sshd",)
    permissions = ("read /etc/ssh/sshd_config", "read files it Includes", "stat /usr/sbin/sshd")

    def read(self, files: HostFiles) -> dict[str, Any]:
        config = parse_sshd_config(files)
        config_present = bool(config.files)
        installed = config_present or files.exists("/usr/sbin/sshd")
        data: dict[str, Any] = {
            "installed": installed,
            "config_present": config_present,
            "files": config.files,
            "includes": config.includes,
            "match_blocks": config.match_blocks,
            "defaults_applied": [],
        }
        for key, (keyword, default) in SSHD_DEFAULTS.items():
            if not installed:
                data[key] = None
            elif keyword in config.settings:
                data[key] = config.settings[keyword]
            else:
                data[key] = default
                data["defaults_applied"].append(key)
        return data
