"""sha256 of every file in a set of folders, with no more work per file than `sha256sum` does
(used by verify for a local store and an unzipped pack).

A folder's regular files are listed once (scandir's file type: no stat per file) and each is
read to EOF with plain os calls relative to the open folder (openat, readv, readv, close: 4 system
calls and a one-component path lookup, where `sha256sum` makes 7 per file and a Python file
object 6 or more), 1 MiB at a time into one reused buffer, hashed with hashlib over the raw bytes.
Many files are hashed in forked child processes (see `hash_folders`): on 2 busy cores, verify of a
100 MB store of 41,142 objects went from 3.55x `sha256sum`'s wall time to 1.33x (bench/big_store.py),
with the start-up and configuration work cut too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import signal
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from annexa.errors import StoreError

__all__ = ["PARALLEL_FROM", "Folder", "hash_folders", "list_folder", "read_file"]

PARALLEL_FROM = 2000  # files: from here on hashed in child processes (fewer hash faster than a fork)

_READ = 1 << 20  # bytes per read(): a small file is read whole, a large one in 1 MiB steps
_O_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_O_FOLDER = _O_READ | getattr(os, "O_DIRECTORY", 0)


@dataclass(frozen=True)
class Folder:
    """Files to hash in one folder; what is hashed is reported as `prefix + name`."""

    path: str
    names: list[str]
    prefix: str = ""


def list_folder(path: str, prefix: str = "") -> tuple[Folder, list[str]]:
    """The folder's regular files (sorted; no links, devices or FIFOs) and its subfolders (not links)."""
    files, folders = [], []
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                files.append(entry.name)
            elif entry.is_dir(follow_symlinks=False):
                folders.append(entry.name)
    files.sort()
    folders.sort()
    return Folder(path, files, prefix), folders


def hash_folders(folders: Sequence[Folder], workers: int | None = None) -> Iterable[tuple[str, str, int]]:
    """(prefix + name, sha256 hex of the bytes, size) for every file, folder by folder.

    Few files (under PARALLEL_FROM) are hashed on the calling thread as the result is consumed:
    the cost per file is then the system calls and Python's work around them, which holds the GIL,
    so threads would only add switching. Many files are hashed in forked child processes
    (`workers`, default: the usable cores, at most 4), which start at once: the caller (verify
    walking the chain) works while they hash. Either way the results are the same, in the same order.
    An unreadable file raises OSError naming its path (the command's one line, exit 2: the store
    cannot be read, which is not a proof of tampering).
    """
    folders = list(folders)
    if workers is None:
        workers = _default_workers(sum(len(folder.names) for folder in folders))
    if workers > 1 and len(folders) > 1:
        return _Forked(folders, workers)
    return (entry for folder in folders for entry in _hash_folder(folder))


def _default_workers(files: int) -> int:
    # Forked only from a single thread: a fork copies no other thread, and a lock another held at
    # that moment (in the allocator, OpenSSL) would stay held in the child.
    if files < PARALLEL_FROM or not hasattr(os, "fork") or threading.active_count() > 1:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cores, 4)


class _Forked:
    """Children forked now, each hashing every `workers`-th folder and sending back, per folder, the
    sizes and the names that do not match (a match needs no digest sent); iterated, the results in
    folder order. `close` (also on an error, or when iterated to the end) ends and reaps the children."""

    def __init__(self, folders: list[Folder], workers: int) -> None:
        self._folders = folders
        self._children: list[tuple[int, int]] = []  # (pid, read end of its pipe)
        workers = min(workers, len(folders))
        try:
            for number in range(workers):
                self._children.append(_fork(folders[number::workers]))
        except BaseException:
            self.close()
            raise

    def __iter__(self) -> Iterator[tuple[str, str, int]]:
        try:
            parts = [_receive(fd) for _pid, fd in self._children]
        finally:
            self.close()
        workers = len(parts)
        for index, folder in enumerate(self._folders):
            sizes, wrong = parts[index % workers][index // workers]
            prefix = folder.prefix
            for number, (name, size) in enumerate(zip(folder.names, sizes, strict=True)):
                yield (prefix + name if prefix else name, wrong.get(number, name), size)

    def close(self) -> None:
        children, self._children = self._children, []
        for pid, fd in children:
            os.close(fd)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # done already, unless the caller stopped early
            os.waitpid(pid, 0)


_Part = list[tuple[list[int], dict[int, str]]]  # per folder: sizes, and {position: actual digest} where it differs


def _fork(folders: list[Folder]) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_end)
        return pid, read_end
    code = 0
    try:  # the child: never returns into the caller's code, whatever happens
        os.close(read_end)
        try:
            answer: tuple[str, Any] = ("ok", [_sizes(folder) for folder in folders])
        except OSError as err:
            answer = ("unreadable", (err.errno, err.strerror, err.filename))
        with open(write_end, "wb") as out:
            pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _receive(fd: int) -> _Part:
    with open(fd, "rb", closefd=False) as answers:
        try:
            kind, value = pickle.load(answers)
        except (EOFError, pickle.UnpicklingError):
            raise StoreError("hashing the objects failed: a hashing process ended without an answer") from None
    if kind == "unreadable":
        raise OSError(*value)
    return value  # type: ignore[no-any-return]


def _sizes(folder: Folder) -> tuple[list[int], dict[int, str]]:
    sizes, wrong = [], {}
    for number, (name, actual, size) in enumerate(_hash_folder(folder)):
        sizes.append(size)
        if actual != name:
            wrong[number] = actual
    return sizes, wrong


def _hash_folder(folder: Folder) -> list[tuple[str, str, int]]:
    """Each file read to EOF in 1 MiB reads into one reused buffer (no allocation per read)."""
    out = []
    sha256, readv, open_, close, prefix = hashlib.sha256, os.readv, os.open, os.close, folder.prefix
    buffer = bytearray(_READ)
    view, into = memoryview(buffer), [buffer]
    at = _open(folder.path, _O_FOLDER)
    name = ""
    try:
        for name in folder.names:
            fd = open_(name, _O_READ, dir_fd=at)
            try:
                count = readv(fd, into)
                digest = sha256(view[:count])
                size = count
                while count := readv(fd, into):  # usually one empty read: EOF, checked as sha256sum does
                    digest.update(view[:count])
                    size += count
            finally:
                close(fd)
            actual = digest.hexdigest()
            out.append((prefix + name if prefix else name, name if actual == name else actual, size))
    except OSError as err:
        raise _unreadable(os.path.join(folder.path, name), err) from None
    finally:
        close(at)
    return out


def _open(path: str, flags: int) -> int:
    try:
        return os.open(path, flags)
    except OSError as err:
        raise _unreadable(path, err) from None


def _unreadable(path: str, err: OSError) -> OSError:
    """The error again, naming the whole path (a read relative to a folder names only the file)."""
    return OSError(err.errno, f"cannot read: {err.strerror or err}", path)


def read_file(path: str) -> bytes:
    """A file's bytes to EOF (plain os calls: a manifest or delta read costs a few microseconds,
    not pathlib's tens)."""
    fd = os.open(path, _O_READ)
    try:
        chunks = []
        while data := os.read(fd, _READ):
            chunks.append(data)
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
