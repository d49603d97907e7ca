"""Read-only file access under a host root, shared by every host collector.

All paths are absolute as seen from the host (`/etc/ssh/sshd_config`) and are
resolved under `root` the way a chroot would: absolute symlinks restart at
`root`, and any `..` that would climb above `root` is refused rather than
followed, so a hostile `Include ../../..` or symlink in an image never makes
annexa read files of the machine it runs on. Every attempted read is recorded
as an operation for the fact's `Source`.

A missing file is a fact ("not present") and reads as `None`/`False`/`[]`; a file
that exists but cannot be read raises `HostReadError`, which collectors turn into
a `CollectionError`.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import socket
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from annexa.collectors.base import Context, Target
from annexa.collectors.userfiles import reader
from annexa.model import Source

__all__ = ["ConfigRejected", "HostFiles", "HostIdentity", "HostReadError", "HostTargetError", "PathEscapeError"]

MAX_FILE_BYTES = 16 * 1024 * 1024  # config files are small; refuse to slurp a disk image
_MAX_SYMLINK_HOPS = 40  # what Linux allows before ELOOP
_MISSING = (errno.ENOENT, errno.ENOTDIR)


class HostTargetError(Exception):
    """The `host` target itself is unusable (bad `root` option)."""


class HostReadError(Exception):
    """A file exists (or may exist) but could not be read."""

    def __init__(self, path: str, message: str, code: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.code = code


class ConfigRejected(HostReadError):
    """The program would refuse this configuration (and not start), so the settings it runs
    with cannot be told from the files: a running daemon may still hold an older one."""

    def __init__(self, program: str, path: str, detail: str) -> None:
        super().__init__(path, f"{program} would not start with this config: {detail}", "config_rejected")
        self.message = f"{program} would not start with this config: {detail}"

    def __str__(self) -> str:
        return self.message


class PathEscapeError(HostReadError):
    """A path (or a symlink on the way) would leave the host root through `..`."""

    def __init__(self, path: str) -> None:
        super().__init__(path, "refused: path leaves the host root through '..'", "path_escape")


class HostIdentity:
    """Who this host is (`name`) and who reads it (`principal`), resolved once per target."""

    def __init__(self, root: Path, name: str, principal: str) -> None:
        self.root = root
        self.name = name
        self.principal = principal

    @property
    def scope(self) -> Mapping[str, Any]:
        return {"provider": "host", "host": self.name}

    @property
    def resource(self) -> str:
        return f"host:{self.name}"

    @classmethod
    def for_target(cls, target: Target, context: Context) -> HostIdentity:
        raw_root = target.options.get("root", "/")
        raw_name = target.options.get("name")
        if not isinstance(raw_root, str) or not raw_root:
            raise HostTargetError(f"{target.label}: `root` must be a directory path")
        if raw_name is not None and (not isinstance(raw_name, str) or not raw_name.strip()):
            raise HostTargetError(f"{target.label}: `name` must be a non-empty string")
        root = Path(raw_root).resolve()
        if not root.is_dir():
            raise HostTargetError(f"{target.label}: root {raw_root!r} is not a directory")
        key = ("host.identity", str(root), raw_name)
        if key not in context.cache:
            context.cache[key] = cls(root, raw_name.strip() if raw_name else _hostname(root), reader())
        identity: HostIdentity = context.cache[key]
        return identity


def _hostname(root: Path) -> str:
    try:
        name = HostFiles(root).read_text("/etc/hostname")
    except HostReadError:
        name = None  # the name only labels the evidence; fall back rather than fail every kind
    if name and name.strip():
        return name.strip().splitlines()[0].strip()
    return socket.gethostname() if root == Path("/") else str(root)


class HostFiles:
    """Read files under `root`, recording every attempted operation."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.operations: list[str] = []

    def source(self, principal: str) -> Source:
        endpoint = None if self.root == Path("/") else f"file://{self.root}"
        return Source(operations=tuple(dict.fromkeys(self.operations)), principal=principal, endpoint=endpoint)

    def read_text(self, path: str) -> str | None:
        """The file's text, or None when it does not exist."""
        self.operations.append(f"read {path}")
        real = self._resolve(path)
        try:
            with open(real, "rb", opener=_open_no_block) as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    raise HostReadError(path, "not a regular file", "not_regular_file")
                content = _read_capped(handle)
        except OSError as err:
            if err.errno in _MISSING:
                return None
            raise _read_error(path, err) from err
        if len(content) > MAX_FILE_BYTES:
            raise HostReadError(path, f"larger than {MAX_FILE_BYTES} bytes", "too_large")
        return content.decode("utf-8", errors="replace")

    def exists(self, path: str) -> bool:
        """Whether `path` exists (following symlinks inside root)."""
        self.operations.append(f"stat {path}")
        return self._stat(self._resolve(path), path, follow=True) is not None

    def readlink(self, path: str) -> str | None:
        """The target of symlink `path`, or None when it is not a symlink."""
        self.operations.append(f"readlink {path}")
        real = self._resolve(path, follow_last=False)
        try:
            return os.readlink(real)
        except OSError as err:
            if err.errno in (*_MISSING, errno.EINVAL):
                return None
            raise _read_error(path, err) from err

    def glob(self, pattern: str) -> list[str]:
        """Host paths matching a shell pattern (`*`, `?`, `[..]` in any component), sorted."""
        self.operations.append(f"glob {pattern}")
        matches = ["/"]
        for part in (p for p in pattern.split("/") if p):
            found: list[str] = []
            for base in matches:
                if _has_magic(part):
                    found.extend(_join(base, name) for name in self._listdir(base) if _matches(name, part))
                elif self._stat(self._resolve(_join(base, part), follow_last=False), _join(base, part), follow=False):
                    found.append(_join(base, part))
            matches = found
        return sorted(matches)

    def _listdir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(self._resolve(path)))
        except OSError as err:
            if err.errno in _MISSING:
                return []
            raise _read_error(path, err) from err

    def _stat(self, real: Path, path: str, *, follow: bool) -> os.stat_result | None:
        try:
            return os.stat(real) if follow else os.lstat(real)
        except OSError as err:
            if err.errno in _MISSING:
                return None
            raise _read_error(path, err) from err

    def _resolve(self, path: str, *, follow_last: bool = True) -> Path:
        """Map a host path to a real path under root, following symlinks like a chroot."""
        if not path.startswith("/"):
            raise HostReadError(path, "host paths must be absolute", "bad_path")
        pending = [p for p in reversed(path.split("/")) if p]
        current: list[str] = []
        hops = 0
        while pending:
            part = pending.pop()
            if part == ".":
                continue
            if part == "..":
                if not current:
                    raise PathEscapeError(path)
                current.pop()
                continue
            candidate = self.root.joinpath(*current, part)
            if (pending or follow_last) and self._is_symlink(candidate, path):
                hops += 1
                if hops > _MAX_SYMLINK_HOPS:
                    raise HostReadError(path, "too many levels of symbolic links", "ELOOP")
                try:
                    link = os.readlink(candidate)
                except OSError as err:
                    raise _read_error(path, err) from err
                if link.startswith("/"):
                    current = []
                pending.extend(p for p in reversed(link.split("/")) if p)
                continue
            current.append(part)
        return self.root.joinpath(*current)

    @staticmethod
    def _is_symlink(candidate: Path, path: str) -> bool:
        try:
            return stat.S_ISLNK(os.lstat(candidate).st_mode)
        except OSError as err:
            if err.errno in _MISSING:
                return False
            raise _read_error(path, err) from err


def _read_capped(handle: Any) -> bytes:
    """Up to MAX_FILE_BYTES + 1 bytes in modest reads: /proc files refuse one huge read (ENOMEM)."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_FILE_BYTES:
        chunk = handle.read(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _open_no_block(path: str, flags: int) -> int:
    # O_NONBLOCK: a FIFO planted in an image must not hang the run before fstat rejects it.
    # O_NOFOLLOW: the path is already resolved; a symlink swapped in since then is refused.
    return os.open(path, flags | os.O_NONBLOCK | os.O_NOFOLLOW)


def _read_error(path: str, err: OSError) -> HostReadError:
    code = errno.errorcode.get(err.errno, "OSError") if err.errno else type(err).__name__
    return HostReadError(path, err.strerror or str(err), code)


def _has_magic(part: str) -> bool:
    return any(ch in part for ch in "*?[")


def _matches(name: str, pattern: str) -> bool:
    # Like glob(3): wildcards do not match a leading dot.
    return (pattern.startswith(".") or not name.startswith(".")) and fnmatch.fnmatchcase(name, pattern)


def _join(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}"
