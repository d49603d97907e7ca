"""Helpers every command uses: shared options, loading the workspace, writing output."""

from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annexa.errors import UsageError
from annexa.words import plural

# Imported where used: every command imports this module, and `verify` or `head` need none of these.
if TYPE_CHECKING:
    from annexa.mappings.crosswalk import Crosswalk
    from annexa.pipeline.workspace import StoreAccess, Workspace

__all__ = [
    "BINARY",
    "DEFAULT_CONFIG",
    "add_config_option",
    "add_crosswalk_option",
    "add_output",
    "add_run_option",
    "add_store_options",
    "check_output",
    "crosswalk_column",
    "emit",
    "emit_chunks",
    "render_rows",
    "run_summary",
    "store_access",
    "workspace",
]

DEFAULT_CONFIG = "annexa.yaml"


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="configuration file (default: ./annexa.yaml)")


def add_store_options(parser: argparse.ArgumentParser) -> None:
    add_config_option(parser)
    parser.add_argument("--store", help="evidence store path or URL; overrides the configuration's `store`")


def add_crosswalk_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--crosswalk", help="crosswalk YAML: add a column with another framework's ids (see README)")


def crosswalk_column(args: argparse.Namespace, ws: Workspace) -> Crosswalk | None:
    from annexa.mappings.crosswalk import load_crosswalk

    return load_crosswalk(Path(args.crosswalk), set(ws.catalog.ids())) if args.crosswalk else None


def add_run_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", default="latest", help="run id, sequence number, `latest` or `previous`")


def add_output(parser: argparse.ArgumentParser, formats: Sequence[str], default: str) -> None:
    parser.add_argument("--format", choices=formats, default=default, help=f"output format (default: {default})")
    parser.add_argument("-o", "--output", help="write to this file instead of standard output")


def workspace(args: argparse.Namespace, config_required: bool = True) -> Workspace:
    """Load config, registry, catalog and rules; the config file is optional for read-only commands."""
    from annexa.pipeline.workspace import load_workspace

    return load_workspace(Path(args.config), getattr(args, "store", None), config_required=config_required)


def store_access(args: argparse.Namespace, config_required: bool = True) -> StoreAccess:
    """The store and the trust settings only, for commands that read nothing else (`verify`, `head`)."""
    from annexa.pipeline.workspace import load_store_access

    return load_store_access(Path(args.config), getattr(args, "store", None), config_required=config_required)


def check_output(output: str, store_url: str | None = None) -> Path:
    """`-o FILE` as a path that may be written: a regular file or a new one in an existing folder,
    outside the store (replacing a device such as /dev/full, or writing among a store's bundles,
    would break the system or the store). UsageError otherwise, before anything is written."""
    target = Path(output)
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as err:
        raise UsageError(f"--output {output}: cannot write: {err.strerror or err}") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise UsageError(f"--output {output}: not a regular file; name a file to create or replace")
    if not target.parent.is_dir():
        raise UsageError(f"--output {output}: the folder {target.parent} does not exist")
    root = _local_store_root(store_url)
    folder = target.parent.resolve()
    if root is not None and (folder == root or root in folder.parents):
        raise UsageError(f"--output {output}: inside the evidence store {root}; write reports outside it")
    return target


def _local_store_root(store_url: str | None) -> Path | None:
    if not store_url or ("://" in store_url and not store_url.startswith("file://")):
        return None
    return Path(store_url.removeprefix("file://")).resolve()


BINARY = "this format is binary: write it to a file with -o FILE"


def emit(content: str | bytes, output: str | None, store_url: str | None = None) -> None:
    """Print, or write `output` (see `check_output`) atomically so a failed command never leaves half a file."""
    if not output and isinstance(content, bytes):
        raise UsageError(BINARY)
    emit_chunks([content], output, store_url)


def emit_chunks(chunks: Iterable[str | bytes], output: str | None, store_url: str | None = None) -> None:
    """`emit` for a report produced piece by piece: each piece is written as it comes, never the
    whole report in memory; a file still appears only once complete."""
    if not output:
        for chunk in chunks:
            sys.stdout.write(chunk if isinstance(chunk, str) else chunk.decode("utf-8"))
        return
    target = check_output(output, store_url)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError as err:
        if tmp is not None and err.filename not in (None, tmp, str(target)):
            raise  # another file (a scratch file, the store): the CLI's one line names it
        raise UsageError(f"--output {output}: cannot write: {err.strerror or err}") from None


def render_rows(rows: list[dict[str, Any]], fmt: str, columns: Sequence[str], table_columns: Sequence[str]) -> str:
    from annexa.reports import render

    if fmt == "json":
        return render.to_json(rows)
    if fmt == "csv":
        return render.to_csv(rows, columns)
    if fmt == "md":
        return render.to_markdown(rows, columns)
    return render.to_table(rows, table_columns)


def run_summary(outcome: Any, store_url: str) -> str:
    """One line about a written run (a `runner.RunOutcome`): status, facts, results by status, errors."""
    counts = {s: sum(1 for r in outcome.results if r.status == s) for s in ("pass", "fail", "error", "not_applicable")}
    return (
        f"run {outcome.run.run_id} (#{outcome.run.seq}) {outcome.run.status}: {plural(outcome.run.facts, 'fact')}, "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + f"; {plural(len(outcome.errors), 'collection error')}; store {store_url}"
    )


def timestamp_exit(ws: Workspace, code: int) -> int:
    """A TSA that failed after a run was published: the run stays (sealed, signed, chained, its error
    recorded beside it for verify), but the command says so on stderr and exits at least 1, never 0:
    an unproven time must not pass unnoticed, and dropping a night's evidence would be worse."""
    for seq, error in sorted(ws.timestamp_errors.items()):
        print(f"timestamp: run #{seq} is not timestamped: {error}", file=sys.stderr)
    return max(code, 1) if ws.timestamp_errors else code
