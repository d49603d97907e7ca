"""The policy documents collector."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.documents.front_matter import load_documents
from annexa.collectors.userfiles import git_commit, reader
from annexa.errors import UsageError
from annexa.model import CollectionError, Fact, Source

__all__ = ["PolicyDocumentsCollector"]


class PolicyDocumentsCollector(Collector):
    """Policies and procedures kept as Markdown with YAML front matter, in a folder or a
    git checkout: one `documents.policy` fact per document with its title, owner,
    approval (who, when), next review date, version, the Annex A controls it claims,
    the sha256 of the file as read and, in a git checkout, the commit checked out.
    Rules judge approval, ownership and review dates for A.5.1 and for every control
    the document claims (`controls_from`)."""

    name = "documents.policies"
    provider = "documents"
    kinds = ("documents.policy",)
    permissions = ("read the policy folder",)
    evidence_class = "document"  # a policy shows design, never operation: controls it claims are `documented` at most
    # `path`: the folder (relative to annexa.yaml); `name`: a label for it; `pattern`: which files.
    target_options: ClassVar[Mapping[str, type]] = {"path": Path, "name": str, "pattern": str}

    @classmethod
    def preflight(cls, target: Target) -> None:
        load_documents(cls._folder(target), target.options.get("pattern", "**/*.md"))

    @staticmethod
    def _folder(target: Target) -> Path:
        if "path" not in target.options:
            raise UsageError(f"{target.label}: a documents target needs `path:` (the folder of policies)")
        return Path(target.options["path"])

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        folder = self._folder(target)
        pattern = target.options.get("pattern", "**/*.md")
        label = target.options.get("name") or folder.name
        scope = {"provider": "documents", "org": label}
        commit = git_commit(folder.resolve())
        source = Source(operations=(f"read {folder}/{pattern}",), principal=reader(), endpoint=str(folder))
        for document in load_documents(folder, pattern):
            yield Fact(
                kind="documents.policy",
                resource=f"documents:{label}/{document.path}",
                scope=scope,
                data={**document.data, "git_commit": commit},
                source=source,
            )
