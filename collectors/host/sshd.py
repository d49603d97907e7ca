"""The OpenSSH server's settings for every connection, read the way sshd reads sshd_config."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.dpkg import installed_packages
from annexa.collectors.host.files import ConfigRejected, HostFiles, HostReadError
from annexa.collectors.host.keyvalue import SSHD, read_entries
from annexa.collectors.host.sshd_keywords import ALIASES, KEYWORDS, check_value

__all__ = ["SSHD_DEFAULTS", "SshdCollector", "argv_split", "parse_sshd_config"]

_CONFIG = "/etc/ssh/sshd_config"
_MAX_INCLUDE_DEPTH = 16  # servconf.c SERVCONF_MAX_DEPTH
_MATCH_ATTRIBUTES = ("user", "group", "host", "address", "localaddress", "localport", "rdomain", "version")
_DPKG_VERSION = re.compile(r"(?:\d+:)?(\d+)\.(\d+)")

# Reported setting -> (sshd keyword, documented default in sshd_config(5), OpenSSH 7.0 and later).
# None: the compiled-in algorithm list, which depends on the release; annexa does not guess it.
SSHD_DEFAULTS: dict[str, tuple[str, str | int | None]] = {
    "permit_root_login": ("permitrootlogin", "prohibit-password"),
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
_CANONICAL = {"without-password": "prohibit-password"}  # sshd -T prints the first name of a multistate value


def argv_split(text: str) -> list[str] | None:
    """misc.c argv_split(s, terminate_on_comment=1): blanks separate words, `"`/`'` quote,
    `\\` escapes quotes, backslash and (unquoted) space, a word starting with `#` ends the
    line. None for an unterminated quote ("invalid quotes")."""
    words: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in " \t":
            i += 1
            continue
        if text[i] == "#":
            break
        word: list[str] = []
        quote = ""
        while i < n:
            char = text[i]
            if char == "\\" and i + 1 < n and (text[i + 1] in "'\"\\" or (not quote and text[i + 1] == " ")):
                word.append(text[i + 1])
                i += 2
                continue
            if not quote and char in " \t":
                break
            if not quote and char in "\"'":
                quote = char
            elif quote and char == quote:
                quote = ""
            else:
                word.append(char)
            i += 1
        if quote:
            return None
        words.append("".join(word))
    return words


def _sshd_buffer(text: str) -> str:
    """load_server_config(): each line loses leading blanks and everything from a NUL byte on
    (its newline too, so it joins the next line), as sshd's strlen() sees it."""
    lines = text.split("\n")
    parts = [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    return "".join(part.lstrip(" \t\r").split("\0", 1)[0] for part in parts)


@dataclass
class _Block:
    file: str
    line: int
    criteria: str
    conditional: bool  # False for `Match all` (every connection), True when it selects some
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class SshdConfig:
    files: list[str] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)  # what sshd's startup parse sets (first wins)
    blocks: list[_Block] = field(default_factory=list)  # every Match block, in the order sshd meets them
    problems: list[str] = field(default_factory=list)  # what makes sshd refuse the configuration
    warnings: list[str] = field(default_factory=list)  # deprecated or unsupported keywords sshd ignores


def parse_sshd_config(
    files: HostFiles, path: str = _CONFIG, version: tuple[int, int] | None = None, *, require: bool = True
) -> SshdConfig:
    """The configuration as sshd reads it; its `problems` are what sshd would refuse."""
    config = SshdConfig()
    _Parser(files, config, version).parse(path, None, 0, required=require)
    return config


class _Parser:
    def __init__(self, files: HostFiles, config: SshdConfig, version: tuple[int, int] | None) -> None:
        self.files = files
        self.config = config
        self.version = version

    def parse(self, path: str, base: _Block | None, depth: int, *, required: bool = True) -> None:
        """Read `path`, whose lines start in block `base` (the block of the Include line)."""
        if depth > _MAX_INCLUDE_DEPTH:
            raise ConfigRejected("sshd", path, "Too many recursive configuration includes")
        text = self.files.read_text(path)
        if text is None:
            if required:
                raise ConfigRejected("sshd", path, f"{path}: No such file or directory")
            return
        self.config.files.append(path)
        block = base
        for entry in read_entries(_sshd_buffer(text), SSHD):
            if entry.problem is not None:
                self.config.problems.append(f"{path} line {entry.line}: {entry.problem}")
                continue
            block = self.line(entry.key, entry.written_key, entry.value, path, entry.line, base, block, depth)

    def line(
        self,
        keyword: str,
        written: str,
        rest: str,
        path: str,
        number: int,
        base: _Block | None,
        block: _Block | None,
        depth: int,
    ) -> _Block | None:
        where = f"{path} line {number}"
        spec = KEYWORDS.get(keyword)
        if spec is None:
            self.config.problems.append(f"{where}: Bad configuration option: {written}")
            return block
        if self.version is not None and spec.since > self.version:
            since = ".".join(map(str, spec.since))
            release = ".".join(map(str, self.version))
            self.config.problems.append(
                f"{where}: Bad configuration option: {written} (OpenSSH {release} does not have it; added in {since})"
            )
            return block
        args = argv_split(rest)
        if args is None:
            self.config.problems.append(f"{where}: invalid quotes")
            return block
        if block is not None and block.conditional and not spec.match:
            raise ConfigRejected("sshd", path, f"{where}: Directive '{written}' is not allowed within a Match block")
        if keyword == "match":
            return self.match(args, where, path, number, base)
        problem = check_value(written, spec, args)
        if problem is not None:
            self.config.problems.append(f"{where}: {problem}")
            return block
        if spec.values == "ignored":
            self.config.warnings.append(f"{where}: Deprecated or unsupported option {written}")
            return block
        if keyword == "include":
            self.include(args, path, block, depth)
            return block
        name = ALIASES.get(keyword, keyword)
        value = _value(name, args)
        if block is None or not block.conditional:
            self.config.settings.setdefault(name, value)  # sshd's startup parse: every active line, first wins
        if block is not None:
            block.settings.setdefault(name, value)
        return block

    def match(self, args: list[str], where: str, path: str, number: int, base: _Block | None) -> _Block:
        criteria, problem = _match_criteria(args)
        if problem is not None:
            raise ConfigRejected("sshd", path, f"{where}: Bad Match condition: {problem}")
        # A Match in a file Included from a conditional block only applies where that block does.
        inherited = base is not None and base.conditional
        new = _Block(
            path, number, criteria if not inherited else f"{base.criteria}; {criteria}", criteria != "all" or inherited
        )
        self.config.blocks.append(new)
        return new

    def include(self, args: list[str], path: str, block: _Block | None, depth: int) -> None:
        for pattern in args:
            if pattern.startswith("~"):
                raise HostReadError(path, f"Include {pattern}: a home-relative path is not resolved", "unsupported")
            absolute = pattern if pattern.startswith("/") else f"/etc/ssh/{pattern}"
            self.config.includes.append(absolute)
            for included in self.files.glob(absolute):
                # The included file starts in the including line's block and cannot change it (oactive).
                self.parse(included, block, depth + 1)


def _match_criteria(args: list[str]) -> tuple[str, str | None]:
    """servconf.c match_cfg_line() syntax: ("criteria as written", problem or None)."""
    if not args:
        return "", "One or more attributes required for Match"
    words: list[str] = []
    index = 0
    while index < len(args):
        attribute = args[index]
        index += 1
        if attribute.lower() == "all":
            if words or (index < len(args) and not args[index].startswith("#")):
                return "", "'all' cannot be combined with other Match attributes"
            return "all", None
        if attribute.lower() == "invalid-user":
            words.append(attribute)
            continue
        name, equals, value = attribute.partition("=")
        if not equals:
            value = args[index] if index < len(args) else ""
            index += 1
        if not value or value.startswith("#"):
            return "", f"Missing Match criteria for {name}"
        if name.lower() not in _MATCH_ATTRIBUTES:
            return "", f"Unsupported Match attribute {name}"
        if name.lower() == "localport" and not (value.isdigit() and 0 < int(value) < 65536):
            return "", f"Invalid LocalPort '{value}' on Match line"
        words.append(f"{name} {value}")
    return " ".join(words), None


def _value(keyword: str, args: list[str]) -> str | int:
    spec = KEYWORDS[keyword]
    if spec.values == "int":
        return int(args[0])
    if spec.values in ("flag", "choice"):
        return _CANONICAL.get(args[0].lower(), args[0].lower())
    return " ".join(args)


def _openssh_release(status: str | None) -> tuple[int, int] | None:
    """The upstream release of dpkg's installed openssh-server (`1:9.2p1-2+deb12u6` -> (9, 2))."""
    found = _DPKG_VERSION.match(installed_packages(status).get("openssh-server", ""))
    return (int(found.group(1)), int(found.group(2))) if found else None


def effective(config: SshdConfig) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]], list[str]]:
    """(each reported setting for a connection no conditional Match selects, the values
    conditional Match blocks give the connections they select, the settings left at their default).

    sshd applies Match blocks per connection, first value wins among the blocks that match,
    on top of the startup settings; a `Match all` block matches every connection."""
    settings: dict[str, Any] = {}
    overrides: dict[str, list[dict[str, Any]]] = {}
    defaults: list[str] = []
    for name, (keyword, default) in SSHD_DEFAULTS.items():
        unconditional = [b for b in config.blocks if not b.conditional and keyword in b.settings]
        if unconditional and KEYWORDS[keyword].match:
            settings[name] = unconditional[0].settings[keyword]
        elif keyword in config.settings:
            settings[name] = config.settings[keyword]
        else:
            settings[name] = default
            defaults.append(name)
        overrides[name] = []
        for block in config.blocks:
            if keyword not in block.settings:
                continue
            if not block.conditional:
                break  # every later block is shadowed for this keyword: this one matches first
            overrides[name].append(
                {"file": block.file, "line": block.line, "criteria": block.criteria, "value": block.settings[keyword]}
            )
    return settings, overrides, defaults


class SshdCollector(HostCollector):
    """The OpenSSH server's settings, read as sshd reads /etc/ssh/sshd_config and the files it
    `Include`s: keywords case-insensitive, first value wins, quoting and `#` as sshd's
    argv_split() takes them. A configuration sshd would refuse (an unknown keyword or one
    the installed release lacks, `no#comment` as a value, a global keyword in a Match block,
    binary garbage, a missing or dangling sshd_config while sshd is installed) is an error
    ("sshd would not start with this config: ..."), never judged from defaults. Each reported
    setting is what a connection that no conditional Match block selects gets (what
    `sshd -T` prints), `Match all` blocks included; `overrides` lists, per setting, the
    values conditional Match blocks give the connections they select. Settings not
    configured are reported at their sshd_config(5) default and listed in
    `defaults_applied`; algorithm lists left at their compiled-in default are null.
    `installed` is false when neither the config nor /usr/sbin/sshd exists."""

    name = "host.sshd"
    kinds = ("host.sshd",)
    permissions = (
        "read /etc/ssh/sshd_config",
        "read files it Includes",
        "stat /usr/sbin/sshd",
        "read /var/lib/dpkg/status",
    )

    def read(self, files: HostFiles) -> dict[str, Any]:
        installed = files.exists("/usr/sbin/sshd")
        version = _openssh_release(files.read_text("/var/lib/dpkg/status"))
        config = parse_sshd_config(files, version=version, require=installed)
        if config.problems:
            shown = "; ".join(config.problems[:5]) + (
                f"; and {len(config.problems) - 5} more" if len(config.problems) > 5 else ""
            )
            raise ConfigRejected("sshd", config.files[0] if config.files else _CONFIG, shown)
        installed = installed or bool(config.files)
        data: dict[str, Any] = {
            "installed": installed,
            "config_present": bool(config.files),
            "openssh_release": ".".join(map(str, version)) if version else None,
            "files": config.files,
            "includes": config.includes,
            "match_blocks": [
                {
                    "file": b.file,
                    "line": b.line,
                    "criteria": b.criteria,
                    "conditional": b.conditional,
                    "settings": b.settings,
                }
                for b in config.blocks
            ],
            "warnings": config.warnings,
        }
        if not installed:
            return {**data, **{key: None for key in SSHD_DEFAULTS}, "overrides": {}, "defaults_applied": []}
        settings, overrides, defaults = effective(config)
        return {**data, **settings, "overrides": overrides, "defaults_applied": defaults}
