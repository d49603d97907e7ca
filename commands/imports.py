"""annexa import: another tool's results as a bundle of imported evidence."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import structlog

from annexa.collectors.base import Target
from annexa.collectors.imports.files import ImportCollector, ImportFileError
from annexa.commands.common import add_store_options, timestamp_exit, workspace
from annexa.errors import UsageError
from annexa.evidence_store.lock import holding_run_lock
from annexa.pipeline.runner import new_run_id, run_collection
from annexa.pipeline.shards import validate_run_id

NAME = "import"
HELP = "import another tool's results as a bundle (Prowler JSON-OCSF; CSV or JSON with a column mapping)"
FORMATS = ("prowler", "generic")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_options(parser)
    parser.add_argument("format", choices=FORMATS, help="prowler: Prowler's JSON-OCSF output; generic: CSV or JSON")
    parser.add_argument("file", help="the result file to import")
    parser.add_argument("--mapping", help="column mapping (YAML) for a generic import")
    parser.add_argument("--run-id", help="use this run id instead of a generated one")


def run(args: argparse.Namespace) -> int:
    if args.format == "generic" and not args.mapping:
        raise UsageError("--mapping: a generic import needs a column mapping (see `annexa import --help`)")
    if args.run_id is not None:
        validate_run_id(args.run_id)
    if args.format != "generic" and args.mapping:
        raise UsageError(f"--mapping: only a generic import takes a column mapping, not {args.format}")
    ws = workspace(args, config_required=False)
    options = {args.format: str(Path(args.file).resolve())}
    if args.mapping:
        options["mapping"] = str(Path(args.mapping).resolve())
    importer = next(
        (c for c in ws.registry.for_provider("import") if issubclass(c, ImportCollector) and c.format == args.format),
        None,
    )
    if importer is None:
        raise UsageError(f"no importer for {args.format!r} is registered")
    target = Target(provider="import", options={**options, "collectors": [importer.name]})
    try:
        facts = importer().parse(target)  # validate the whole file first: a bad file writes nothing
    except ImportFileError as err:
        raise UsageError(str(err)) from None
    # The run's recorded configuration is the import itself, so the bundle says where its evidence came from.
    raw = {**ws.config.raw, "targets": [{"import": dict(target.options)}]}
    config = dataclasses.replace(ws.config, targets=(target,), raw=raw)
    store, log = ws.open_store(signed=True), structlog.get_logger()
    run_id = args.run_id or new_run_id()
    with holding_run_lock(store.backend.run_lock(), store.url, run_id, log):  # one writer at a time, as `collect`
        outcome = run_collection(config, ws.registry, ws.rules, ws.catalog, store, log, run_id=run_id)
    counts = {s: sum(1 for r in outcome.results if r.status == s) for s in ("pass", "fail", "error")}
    duplicated = sum(1 for fact in facts if fact.data.get("duplicates"))
    repeats = f" ({duplicated} listed more than once: the worst status of each kept)" if duplicated else ""
    print(
        f"run {outcome.run.run_id} (#{outcome.run.seq}) {outcome.run.status}: imported {len(facts)} {args.format} "
        f"results from {args.file}{repeats}, "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + f"; store {ws.store_url}"
    )
    return timestamp_exit(ws, outcome.exit_code)
