"""sha256 of every file in a set of folders, with no more work per file than `sha256sum` does
(used by verify for a local store and an unzipped pack).

A folder's regular files are listed once (scandir's file type: no stat per file) and each is
read to EOF with plain os calls relative to the open folder (openat, read, read, close: 4 system
calls and a one-component path lookup, where `sha256sum` makes 7 per file and a Python file
object 6 or more), hashed with hashlib over the raw bytes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["Folder", "hash_folders", "list_folder", "read_file"]

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


def hash_folders(folders: Iterable[Folder]) -> Iterator[tuple[str, str, int]]:
    """(prefix + name, sha256 hex of the bytes, size) for every file, folder by folder, hashed
    on the calling thread as the result is consumed.

    Not on worker threads: in a store the objects are small (facts are kilobytes), so the cost
    per file is the system calls and Python's work around them, which holds the GIL; threads
    only add switching. Measured (2 busy cores): verifying a store of 15,862 objects of 530 bytes
    took 0.20-0.25 s CPU with the former pool of 5 threads, 0.18 s on one, and no less wall time;
    600 objects of 256 KiB hash in the same CPU (0.13 s) and wall time either way.
    """
    for folder in folders:
        yield from _hash_folder(folder)


def _hash_folder(folder: Folder) -> list[tuple[str, str, int]]:
    out = []
    sha256, read, open_, close, prefix = hashlib.sha256, os.read, os.open, os.close, folder.prefix
    at = open_(folder.path, _O_FOLDER)
    try:
        for name in folder.names:
            fd = open_(name, _O_READ, dir_fd=at)
            try:
                data = read(fd, _READ)
                digest = sha256(data)
                size = len(data)
                while data := read(fd, _READ):  # usually one empty read: EOF, checked as sha256sum does
                    digest.update(data)
                    size += len(data)
            finally:
                close(fd)
            actual = digest.hexdigest()
            out.append((prefix + name if prefix else name, name if actual == name else actual, size))
    finally:
        close(at)
    return out


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
