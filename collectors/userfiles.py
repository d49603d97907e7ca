"""Helpers for collectors that read files people maintain (policies, HR exports).

Such files are user input: a value that cannot be read as intended is a
configuration error naming file and line (exit 2), not a collection error.
"""

from __future__ import annotations

import os
import pwd
import re
import socket
from datetime import date, datetime, timezone
from pathlib import Path

from annexa.inputfiles import MiB, read_input_text

__all__ = ["git_commit", "normalise_date", "reader"]

_GIT_FILE_LIMIT = 64 * MiB  # packed-refs of a very large repository

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")


def normalise_date(value: object) -> str | None:
    """A date as `YYYY-MM-DD`, a time as RFC 3339 UTC; None for empty. ValueError otherwise.

    Accepts ISO dates and times (`2026-03-01`, `2026-03-01T09:30:00+01:00`) and
    YAML's own date values. Day-first dates (`01/03/2026`) are refused rather than
    guessed, since 01/03 means March in Europe and January in the US.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if _DAY_FIRST.match(text):
        raise ValueError(f"{text!r} is ambiguous; write dates as YYYY-MM-DD")
    if _DAY.match(text):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"{text!r} is not a valid date") from None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date such as 2026-03-01") from None
    return normalise_date(parsed)


def git_commit(folder: Path) -> str | None:
    """The commit checked out in the git work tree holding `folder`, read from .git (no git command)."""
    for candidate in (folder, *folder.parents):
        git = candidate / ".git"
        if git.is_file():  # a worktree or submodule: `gitdir: <path>`
            text = _git_file(git)
            if not text.startswith("gitdir:"):
                return None
            git = (candidate / text.split(":", 1)[1].strip()).resolve()
        if not git.is_dir():
            continue
        head = _git_file(git / "HEAD")
        if not head.startswith("ref:"):
            return head or None
        ref = head.split(":", 1)[1].strip()
        for base in (git, _common_dir(git)):
            if (base / ref).is_file():
                return _git_file(base / ref) or None
            packed = base / "packed-refs"
            if packed.is_file():
                for line in _git_file(packed).splitlines():
                    parts = line.split()
                    if len(parts) == 2 and parts[1] == ref:
                        return parts[0]
        return None
    return None


def _common_dir(git: Path) -> Path:
    common = git / "commondir"
    return (git / _git_file(common)).resolve() if common.is_file() else git


def _git_file(path: Path) -> str:
    """A small file of git's own (HEAD, a ref, packed-refs), stripped; InputFileError if it is not one."""
    return read_input_text(path, _GIT_FILE_LIMIT, expected="a git metadata file").strip()


def reader() -> str:
    """Who is reading, as user@host: the facts' principal and a run's operator.

    From the process's uid, not from $USER or $LOGNAME, which anyone can set.
    """
    uid = os.getuid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:  # containers often run with a uid that has no passwd entry
        user = f"uid={uid}"
    return f"{user}@{socket.gethostname()}"
