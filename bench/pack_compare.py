"""Compare two audit packs member by member, for speed work that must not change a byte of output.

Members are compared raw first. Only where they differ are timestamps masked (the generated time
in pack.json and index.html; in a workbook only docProps/core.xml, its sheets compared raw), and
the hashes in SHA256SUMS and VERIFY.md (they hash the timestamped members, compared themselves). Prints each differing member with the first
lines of its diff; exit 1 if any differs.

    .venv/bin/python bench/pack_compare.py BEFORE.zip AFTER.zip
"""

from __future__ import annotations

import difflib
import io
import re
import sys
import zipfile

_TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?")
_HASH = re.compile(rb"[0-9a-f]{64}")


def _masked(name: str, data: bytes) -> bytes:
    if name.endswith(".xlsx"):  # only the book's creation time is masked, not the sheets' data
        book = zipfile.ZipFile(io.BytesIO(data))
        return b"".join(
            member.encode() + b"\0" + (_TIME.sub(b"TIME", body) if member == "docProps/core.xml" else body)
            for member, body in ((m, book.read(m)) for m in book.namelist())
        )
    data = _TIME.sub(b"TIME", data)
    return _HASH.sub(b"HASH", data) if name.endswith(("SHA256SUMS", "VERIFY.md")) else data


def main(before: str, after: str) -> int:
    old, new = zipfile.ZipFile(before), zipfile.ZipFile(after)
    if old.namelist() != new.namelist():
        print("the member lists differ:", sorted(set(old.namelist()) ^ set(new.namelist()))[:10])
        return 1
    differ = 0
    for name in old.namelist():
        a, b = old.read(name), new.read(name)
        if a == b or _masked(name, a) == _masked(name, b):
            continue
        differ += 1
        print("differs:", name)
        lines = difflib.unified_diff(
            _masked(name, a).decode(errors="replace").splitlines(),
            _masked(name, b).decode(errors="replace").splitlines(),
            lineterm="",
            n=0,
        )
        for line in list(lines)[:8]:
            print("   ", line[:200])
    print(f"{len(old.namelist())} members, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: pack_compare.py BEFORE.zip AFTER.zip", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
