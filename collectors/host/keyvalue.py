"""One reader for the "key value" files the host collectors read, in each program's own dialect.

Every program reads its configuration its own way, and a reading that differs from the
program's is how a host looks compliant when it is not (`PASS_MAX_DAYS 90 # policy` is not
90 to shadow: the comment is part of the value). One loop here numbers lines, trims them,
drops comments, splits key from value and folds case; a `Dialect` states, as data with its
source, what differs between programs:

| dialect      | comment                              | key / value                         | key case    |
|--------------|--------------------------------------|-------------------------------------|-------------|
| LOGIN_DEFS   | `#` first on the line only           | first blank; value up to a `"`      | exact       |
| PWQUALITY    | `#` anywhere                         | first blank, then one optional `=`  | ignored     |
| AUDITD_CONF  | first word starts with `#`           | `name = value [option]`, spaces only| ignored     |
| SYSTEMD      | `#` or `;` first on the line         | `[Section]`, first `=`, `\\` joins  | exact       |
| CHRONY       | `!`, `;`, `#`, `%` first on the line | first blank                         | ignored     |
| NTPD         | `#` anywhere                         | first blank                         | exact       |
| FIREWALLD    | `#` or `;` first on the line         | exactly one `=`                     | exact       |
| SHELL        | `#` starting a word                  | `NAME=value`, shell quoting         | exact       |
| SSHD         | first word starts with `#`           | blank or one `=` (sshd's strdelim)  | ignored     |

`read_entries` returns every entry with its line number and, where the program itself would
reject the line, a `problem`; which value wins (first or last) and whether a problem stops the
program are the collector's to decide, since that too differs (sshd: first wins and a bad line
is fatal; login.defs: last wins and bad lines are skipped).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = [
    "AUDITD_CONF",
    "CHRONY",
    "FIREWALLD",
    "LOGIN_DEFS",
    "NTPD",
    "PWQUALITY",
    "SHELL",
    "SSHD",
    "SYSTEMD",
    "Dialect",
    "Entry",
    "LineProblem",
    "first_wins",
    "last_wins",
    "read_entries",
]

C_SPACE = " \t\n\v\f\r"  # isspace() in the C locale
_SSHD_WHITESPACE = " \t\r\n"  # sshd's WHITESPACE (misc.c)


class LineProblem(ValueError):
    """The program would reject this line; the message says why, in the program's terms."""


@dataclass(frozen=True)
class Entry:
    line: int
    key: str  # as the program compares it: lower case where the program ignores case
    value: str  # the value text exactly as the program sees it
    section: str = ""
    written_key: str = ""  # the key as written in the file
    problem: str | None = None  # why the program would reject this line


@dataclass(frozen=True)
class Dialect:
    name: str  # the program and file, e.g. "shadow's login.defs"
    source: str  # where these rules come from, for an auditor
    split: Callable[[str], tuple[str, str]]  # a trimmed, comment-free line -> (key, value); may raise LineProblem
    comments: str = "#"  # a line whose first character (after `leading`) is one of these is a comment
    inline_comment: str | None = None  # a character that starts a comment anywhere on a line
    leading: str = C_SPACE  # stripped from the start of a line
    trailing: str = C_SPACE  # stripped from the end of a line
    fold_case: bool = False
    sections: bool = False  # `[Section]` headers (systemd, INI)
    continuation: bool = False  # a line ending in `\` continues on the next


def read_entries(text: str, dialect: Dialect) -> list[Entry]:
    """Every key/value line of `text` as `dialect`'s program reads it, in file order."""
    entries: list[Entry] = []
    section = ""
    pending, pending_start = "", 0
    for number, raw in enumerate(text.split("\n"), start=1):
        if dialect.continuation and pending:
            raw, start = pending + raw, pending_start
            pending = ""
        else:
            start = number
        if dialect.inline_comment is not None and dialect.inline_comment in raw:
            raw = raw[: raw.index(dialect.inline_comment)]
        line = raw.lstrip(dialect.leading).rstrip(dialect.trailing)
        if not line or line[0] in dialect.comments:
            continue
        if dialect.continuation and line.endswith("\\"):
            pending, pending_start = line[:-1] + " ", start
            continue
        if dialect.sections and line.startswith("["):
            section = line[1 : line.index("]")] if "]" in line else line[1:]
            continue
        try:
            key, value = dialect.split(line)
        except LineProblem as problem:
            entries.append(Entry(start, "", "", section, line, str(problem)))
            continue
        if not key:
            continue
        entries.append(Entry(start, key.lower() if dialect.fold_case else key, value, section, key))
    if pending:
        entries.append(Entry(pending_start, "", "", section, pending, "the file ends inside a continued line"))
    return entries


def last_wins(entries: Iterable[Entry]) -> dict[str, Entry]:
    """Key -> the entry that sets it last (shadow, libpwquality, systemd, shell)."""
    return {entry.key: entry for entry in entries if entry.problem is None}


def first_wins(entries: Iterable[Entry]) -> dict[str, Entry]:
    """Key -> the entry that sets it first (sshd, firewalld)."""
    found: dict[str, Entry] = {}
    for entry in entries:
        if entry.problem is None:
            found.setdefault(entry.key, entry)
    return found


# -- how each program splits a line -----------------------------------------------------


def _split_blank(line: str, blanks: str = " \t") -> tuple[str, str]:
    for index, char in enumerate(line):
        if char in blanks:
            return line[:index], line[index:].lstrip(blanks)
    return line, ""


def _split_login_defs(line: str) -> tuple[str, str]:
    # lib/getdef.c def_load (shadow 4.x): the name ends at a blank; a line with a name only is
    # skipped; the value starts after blanks and double quotes and ends at the next `"`.
    # Nothing else is stripped, so a trailing `# comment` stays part of the value.
    name, rest = _split_blank(line)
    if not rest:
        return "", ""
    value = rest.lstrip(' "\t')
    return name, value.split('"', 1)[0]


def _split_pwquality(line: str) -> tuple[str, str]:
    # settings.c pwquality_read_config: the name ends at the first blank (so `minlen=8` is one
    # unknown name); then blanks, at most one `=`, blanks.
    name, rest = _split_blank(line, C_SPACE)
    rest = rest.lstrip(C_SPACE)
    if rest.startswith("="):
        rest = rest[1:].lstrip(C_SPACE)
    return name, rest


def _split_auditd(line: str) -> tuple[str, str]:
    # src/auditd-config.c nv_split: words separated by spaces only (a tab is part of a word):
    # `name = value [option]`; anything else stops auditd ("Wrong number of arguments",
    # "Missing equal sign").
    words = [w for w in line.split(" ") if w]
    if not words or words[0].startswith("#"):
        return "", ""
    if len(words) < 3:
        raise LineProblem("wrong number of arguments")
    if words[1] != "=":
        raise LineProblem("missing equal sign")
    if len(words) > 4:
        raise LineProblem("wrong number of arguments")
    return words[0], " ".join(words[2:])


def _split_equals(line: str) -> tuple[str, str]:
    # systemd's conf-parser: `Key=Value`, both stripped; a line without `=` is ignored with a warning.
    key, found, value = line.partition("=")
    if not found:
        raise LineProblem("missing '='")
    return key.strip(C_SPACE), value.strip(C_SPACE)


def _split_firewalld(line: str) -> tuple[str, str]:
    # firewall/core/io/firewalld_conf.py read(): split on every `=`, exactly two parts.
    parts = [part.strip() for part in line.split("=")]
    if len(parts) != 2:
        raise LineProblem("invalid option definition")
    if not parts[1]:
        raise LineProblem("missing value")
    return parts[0], parts[1]


def _split_chrony(line: str) -> tuple[str, str]:
    # cmdparse.c CPS_NormalizeLine + CPS_SplitWord: blanks collapse to one space.
    words = line.split()
    return words[0], " ".join(words[1:])


def _split_shell(line: str) -> tuple[str, str]:
    # A file read with `. FILE` by sh: `NAME=value` with shell quoting; `#` starts a comment
    # only at the start of a word. Anything but assignments is a command annexa does not run.
    if _expands(line):
        raise LineProblem("uses shell expansion, which annexa does not perform")
    try:
        words = shlex.split(line, comments=True, posix=True)
    except ValueError as err:
        raise LineProblem(f"shell syntax: {err}") from None
    if not words:
        return "", ""
    name, found, value = words[0].partition("=")
    if not found or not name or not (name[0].isalpha() or name[0] == "_") or not name.replace("_", "a").isalnum():
        raise LineProblem("not a shell variable assignment")
    if len(words) > 1:
        raise LineProblem("more than one word after the assignment")
    return name, value


def _expands(line: str) -> bool:
    """Whether sh would expand something in `line`: `$` or a backquote outside single quotes,
    before a `#` that starts a word (a comment)."""
    quote = ""
    for index, char in enumerate(line):
        if quote == "'":
            quote = "" if char == "'" else quote
        elif char == "\\":
            continue
        elif char in "$`":
            return True
        elif quote == '"':
            quote = "" if char == '"' else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return False
    return False


def sshd_keyword(line: str) -> tuple[str | None, str | None]:
    """sshd's strdelim() on a line: (keyword, rest), splitting at blanks or one `=`.

    The keyword is None for an unmatched quote (sshd then skips the line); rest is None
    when nothing follows the keyword."""
    for index, char in enumerate(line):
        if char == '"':  # a quoted keyword: up to the closing quote
            close = line.find('"', index + 1)
            if close < 0:
                return None, None
            keyword = line[:index] + line[index + 1 : close]
            return keyword, line[close + 1 :].lstrip(_SSHD_WHITESPACE)
        if char in _SSHD_WHITESPACE or char == "=":
            rest = line[index + 1 :].lstrip(_SSHD_WHITESPACE)
            if char != "=" and rest.startswith("="):
                rest = rest[1:].lstrip(_SSHD_WHITESPACE)
            return line[:index], rest
    return line, None


def _split_sshd(line: str) -> tuple[str, str]:
    # servconf.c process_server_config_line_depth: a keyword, then the rest of the line, which
    # must not be empty ("no argument after keyword").
    keyword, rest = sshd_keyword(line)
    if keyword == "":  # the line started with `=`: sshd takes the next token as the keyword
        keyword, rest = sshd_keyword(rest or "")
    if not keyword or keyword.startswith("#"):
        return "", ""
    if not rest:
        raise LineProblem(f'no argument after keyword "{keyword}"')
    return keyword, rest


LOGIN_DEFS = Dialect(
    name="shadow's /etc/login.defs",
    source="shadow-maint/shadow lib/getdef.c def_load() (4.x, built without libeconf as on Debian and Ubuntu)",
    split=_split_login_defs,
    leading=" \t",
)
PWQUALITY = Dialect(
    name="libpwquality's pwquality.conf",
    source="libpwquality/libpwquality src/settings.c pwquality_read_config()",
    split=_split_pwquality,
    comments="",
    inline_comment="#",
    fold_case=True,
)
AUDITD_CONF = Dialect(
    name="auditd's auditd.conf",
    source="linux-audit/audit-userspace src/auditd-config.c nv_split() and kw_lookup() (strcasecmp)",
    split=_split_auditd,
    comments="",
    leading="",
    trailing="",  # get_line() removes only the newline: a `\r` stays part of the last word
    fold_case=True,
)
SYSTEMD = Dialect(
    name="systemd's configuration files",
    source="systemd/systemd src/shared/conf-parser.c (comments #/;, [Section], Key=Value, trailing \\ continues)",
    split=_split_equals,
    comments="#;",
    sections=True,
    continuation=True,
)
CHRONY = Dialect(
    name="chronyd's chrony.conf",
    source="mlichvar/chrony cmdparse.c CPS_NormalizeLine(), conf.c CNF_ParseLine() (strcasecmp)",
    split=_split_chrony,
    comments="!;#%",
    fold_case=True,
)
NTPD = Dialect(
    name="ntpd's ntp.conf",
    source="ntp/ntpsec configuration lexer: `#` starts a comment anywhere",
    split=_split_chrony,
    comments="",
    inline_comment="#",
)
FIREWALLD = Dialect(
    name="firewalld's firewalld.conf",
    source="firewalld/firewalld src/firewall/core/io/firewalld_conf.py read()",
    split=_split_firewalld,
    comments="#;",
)
SHELL = Dialect(
    name="a file sourced by sh",
    source="POSIX shell assignments, as `. FILE` reads them (os-release(5), ufw's ufw-init)",
    split=_split_shell,
)
SSHD = Dialect(
    name="sshd's sshd_config",
    source="openssh/openssh-portable servconf.c load_server_config() and process_server_config_line_depth()",
    split=_split_sshd,
    comments="",
    leading=" \t\r",
    trailing=_SSHD_WHITESPACE + "\f",
    fold_case=True,
)
