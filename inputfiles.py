"""Reading files the user hands annexa: regular files only, under a stated size, never a hang.

Every file annexa reads on a user's say-so (the configuration, rule files, crosswalks,
policy documents, people exports, import files and their mappings, key files,
attestation files) goes through `read_input` or `open_input`:

- it is opened without blocking (a FIFO would otherwise wait forever for a writer) and
  checked on the open descriptor (no race with a swapped path) to be a regular file:
  `/dev/zero`, `/dev/urandom`, FIFOs, sockets and folders are refused;
- it must be at most `limit` bytes, and at most `limit` bytes are ever read (a file that
  grows while it is read is refused too);
- every problem is one `InputFileError` line naming the file (and the option that
  named it), exit 2.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from annexa.errors import UsageError

__all__ = [
    "MiB",
    "InputFileError",
    "YAML_LIMIT",
    "KEY_LIMIT",
    "describe_limit",
    "open_input",
    "read_input",
    "read_input_text",
]

MiB = 1024 * 1024
# YAML is parsed by a pure-Python parser (line numbers for every node) at about 100 KiB/s on
# one core: 1 MiB takes seconds, 8 MiB two minutes. The largest built-in rule file is 30 KiB.
YAML_LIMIT = 1 * MiB
KEY_LIMIT = 64 * 1024  # a PEM key is a few hundred bytes; a certificate chain a few KiB

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


class InputFileError(UsageError):
    """A file the user named cannot be read as asked; `str()` is one line naming it."""


def describe_limit(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit >= MiB else f"{limit // 1024} KiB"


def _label(path: Path, option: str | None) -> str:
    return f"{option} {path}" if option else str(path)


def open_input(path: Path, limit: int, option: str | None = None, expected: str = "a file") -> BinaryIO:
    """`path` opened for binary reading once it is known to be a regular file of at most `limit` bytes."""
    label = _label(path, option)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputFileError(f"{label}: file not found") from None
    except IsADirectoryError:
        raise InputFileError(f"{label}: is a folder, expected {expected}") from None
    except OSError as err:
        raise InputFileError(f"{label}: cannot read: {err.strerror or err}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
            raise InputFileError(f"{label}: is {kind}, expected {expected}")
        if info.st_size > limit:
            raise InputFileError(
                f"{label}: {info.st_size} bytes is larger than the {describe_limit(limit)} allowed for {expected}"
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_input(path: Path, limit: int, option: str | None = None, expected: str = "a file") -> bytes:
    """The bytes of `path`, read as `open_input` allows; at most `limit` bytes are ever read."""
    with open_input(path, limit, option, expected) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as err:
            raise InputFileError(f"{_label(path, option)}: cannot read: {err.strerror or err}") from None
    if len(data) > limit:
        raise InputFileError(
            f"{_label(path, option)}: grew beyond the {describe_limit(limit)} allowed for {expected} while being read"
        )
    return data


def read_input_text(path: Path, limit: int, option: str | None = None, expected: str = "a text file") -> str:
    """`read_input` decoded as UTF-8 (a byte-order mark is dropped); one line naming the line otherwise."""
    raw = read_input(path, limit, option, expected)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise InputFileError(f"{path}:{line}: not UTF-8 text") from None
