"""Policy documents: Markdown files that open with a YAML front matter block.

```
---
title: Access control policy
owner: Head of IT
approved_by: CEO
approved_at: 2026-03-01
next_review: 2027-03-01
version: "2.1"
controls: [A.5.15, A.5.18, A.8.2]
---
```

`title` is required; a document with no front matter, YAML that does not parse, a
date that is not a date or `controls` that is not a list of strings is a
configuration error naming file and line. Missing `owner`, `approved_by` or
`next_review` are recorded as null: rules then fail them, which is the finding.
Other keys (a site generator's `tags`, `layout`) are ignored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annexa.collectors.userfiles import normalise_date
from annexa.errors import UsageError
from annexa.inputfiles import read_input
from annexa.yamlio import LineDict, line_of, parse_yaml

__all__ = ["PolicyDocument", "load_documents", "parse_document"]

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
_FENCES = ("---", "...")


@dataclass(frozen=True)
class PolicyDocument:
    path: str  # relative to the folder, with forward slashes
    data: dict[str, Any]


def parse_document(file: Path, relative: str) -> PolicyDocument:
    raw = read_input(file, MAX_DOCUMENT_BYTES, expected="a policy document")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{file}:1: not UTF-8 text") from None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise UsageError(
            f"{file}:1: no YAML front matter (start the file with a `---` block holding title, owner, ...)"
        )
    end = next((n for n, line in enumerate(lines[1:], start=1) if line.strip() in _FENCES), None)
    if end is None:
        raise UsageError(f"{file}:1: the front matter opened on line 1 is never closed with `---`")
    meta = parse_yaml("\n".join(lines[1:end]), str(file), first_line=2)
    if not isinstance(meta, LineDict):
        raise UsageError(f"{file}:2: the front matter must be a mapping of keys such as title, owner, approved_by")

    def at(key: str) -> str:
        return f"{file}:{line_of(meta, key, 2)}"

    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise UsageError(f"{at('title') if 'title' in meta else f'{file}:2'}: the front matter needs a `title`")
    data: dict[str, Any] = {"path": relative, "title": title.strip()}
    for key in ("owner", "approved_by", "type"):
        value = meta.get(key)
        if value is not None and not isinstance(value, str):
            raise UsageError(f"{at(key)}: `{key}` must be text")
        data[key] = value.strip() or None if isinstance(value, str) else None
    for key in ("approved_at", "next_review"):
        try:
            data[key] = normalise_date(meta.get(key))
        except ValueError as err:
            raise UsageError(f"{at(key)}: `{key}`: {err}") from None
    version = meta.get("version")
    if version is not None and not isinstance(version, (str, int, float)):
        raise UsageError(f"{at('version')}: `version` must be text or a number")
    data["version"] = None if version is None else str(version)
    controls = meta.get("controls", [])
    if isinstance(controls, str):
        controls = [controls]
    if not isinstance(controls, list) or not all(isinstance(c, str) and c.strip() for c in controls):
        raise UsageError(f"{at('controls')}: `controls` must be a list of Annex A ids such as A.5.15")
    data["controls"] = sorted({c.strip() for c in controls})
    data["sha256"] = hashlib.sha256(raw).hexdigest()
    data["bytes"] = len(raw)
    return PolicyDocument(relative, data)


def load_documents(folder: Path, pattern: str = "**/*.md") -> list[PolicyDocument]:
    """Every document under `folder` matching `pattern`, in path order; UsageError on the first bad one."""
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder of policy documents")
    files = sorted(p for p in folder.glob(pattern) if p.is_file() and ".git" not in p.relative_to(folder).parts)
    return [parse_document(p, p.relative_to(folder).as_posix()) for p in files]
