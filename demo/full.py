"""`annexa demo`: the full picture on embedded fakes, with ninety nights of history.

The demo folder (default `./annexa-demo`) gets the organisation's files (demo/acme/, dated as of
today: material.py), a signing key and an annexa.yaml that reads every kind of target: a fake AWS
account (moto, in-process, with seeded ids and a frozen clock so two demos see the same account),
a loopback fake of the GitHub API on a free port, the policy documents, the HR and training
exports, and this host (or `host_root`). Then:

- each distinct state of that world is collected once and the nights are written from it
  (history.py): 92 nights ending last night, one missed (the collector host was down), a training
  that lapses and is renewed, a database port opened to the internet and closed three nights later,
  and the attestations of attest.sh recorded one afternoon;
- the SoA of the last night (xlsx and html) and an audit pack of the last 90 days are written;
- a summary says what to open, with commands that work as printed.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import structlog

from annexa.collectors.registry import load_registry
from annexa.commands import attest as attest_command
from annexa.commands.common import emit
from annexa.demo.history import Captured, Replay, capture, merge
from annexa.demo.material import AUTHORED_ON, materialise, shift_dates
from annexa.demo.sources import Served, serve_all
from annexa.errors import UsageError
from annexa.evidence_store.signing import generate_keypair
from annexa.pipeline.attestations import record_attestation
from annexa.pipeline.workspace import Workspace, load_workspace
from annexa.reports.pack import PackOptions, build_pack
from annexa.reports.soa import build_soa, render_soa

__all__ = ["DemoResult", "Story", "configure", "run_full_demo"]

REGION = "us-east-1"
MARKER = ".annexa-demo"
# Environment that could point boto3 at a real account or endpoint is hidden during the demo.
AWS_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
NIGHTLY_AT = time(2, 0)
MOTO_SEED = 27001  # moto's ids (key ids, volume and group ids ...) come from this seed: the same every demo


@dataclass(frozen=True)
class Story:
    """What happens in the history, in days before the last night (0)."""

    nights: int = 92  # the last 92 nights, the last one included
    missed: int = 45  # the collector host was down that night: no run
    training_renewed: int = 78  # E1001 renews their awareness training (it had lapsed 4 days before)
    attested: int = 60  # attest.sh is run that afternoon (10:00 UTC)
    port_opened: int = 30  # someone opens PostgreSQL (security group db-internal) to the internet ...
    port_closed: int = 27  # ... and it is closed again


@dataclass
class DemoResult:
    folder: Path
    config: Path
    store: str
    runs: int
    nights: list[date]  # every night of the period, the missed one included
    missed: list[date]
    soa_counts: dict[str, int]
    evidence_classes: dict[str, int]
    outputs: dict[str, Path] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  # the fakes served, e.g. "a fake GitHub organisation"
    regression: tuple[int, int] = (0, 0)  # the last run before the port was opened, and the first with it open
    regression_group: str = ""  # the security group opened


def run_full_demo(
    folder: Path,
    host_root: Path | None = None,
    now: datetime | None = None,
    story: Story = Story(),
    say: Callable[[str], None] = lambda text: None,
) -> DemoResult:
    """Write the demo folder; `say` hears each phase (the progress display)."""
    try:
        import boto3
        from freezegun import freeze_time
        from moto import mock_aws
        from moto.moto_api._internal import mock_random
    except ImportError:
        raise UsageError("the demo needs moto and freezegun: pip install 'annexa[demo]' (or run `make demo`)") from None
    from annexa.demo.aws import MOTO_UNSUPPORTED, seed
    from annexa.demo.aws_services import self_signed

    now = now or datetime.now(timezone.utc)
    last = datetime.combine(now.date(), NIGHTLY_AT, timezone.utc)
    if last > now:
        last -= timedelta(days=1)
    nights = [last - timedelta(days=days) for days in range(story.nights - 1, -1, -1)]
    today = last.date()
    shift = (today - AUTHORED_ON).days

    folder = _fresh_folder(folder)
    say("writing the organisation's files")
    materialise(folder, today)
    generate_keypair(folder / "annexa-signing.key")
    log = structlog.get_logger()
    modelled = sorted(c.name for c in load_registry().for_provider("aws") if c.name not in MOTO_UNSUPPORTED)

    self_signed("warm-up.example", 1)  # before the clock is frozen (see self_signed)
    with (
        _demo_environment(),
        serve_all(shift) as served,
        freeze_time(
            nights[0] - timedelta(days=30),
            ignore=["rich."],  # rich: the progress display's own clock
        ) as clock,
    ):
        say("starting the fake AWS account (moto) and " + ", ".join(s.name for s in served))
        mock_random.seed(MOTO_SEED)
        with mock_aws():
            seed(boto3.Session(region_name=REGION), REGION)
            config_path = configure(folder, served, modelled, host_root, signed=True)
            ws = load_workspace(config_path)
            worlds, group = _capture_worlds(ws, folder, nights, story, clock, log, say, shift)

    store = ws.open_store(signed=True)
    replay = Replay(ws.registry)
    # The capture logged each collection error once; the nights repeat them (they are in every bundle).
    quiet = structlog.wrap_logger(None, wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    runs = last_run = 0
    regression = (0, 0)
    attested_at: datetime | None = datetime.combine(nights[-1 - story.attested].date(), time(10, 0), timezone.utc)
    for number, night in enumerate(nights):
        if attested_at is not None and night > attested_at:
            say("recording the attestations (attest.sh)")
            _attest(ws, folder, attested_at)
            attested_at = None
        days_before = len(nights) - 1 - number
        if days_before == story.missed:
            continue
        say(f"writing night {number + 1} of {len(nights)} ({night:%Y-%m-%d})")
        outcome = replay.write_night(worlds(days_before), night, ws.config, ws.rules, ws.catalog, store, quiet)
        runs += 1
        if days_before == story.port_opened:
            regression = (last_run, outcome.run.seq)
        last_run = outcome.run.seq

    say("writing the SoA and the audit pack")
    latest = store.resolve("latest")
    soa = build_soa(store, latest, ws.catalog, ws.registry.max_age_by_kind())
    reports = folder / "reports"
    reports.mkdir()
    outputs = {"soa.xlsx": reports / "soa.xlsx", "soa.html": reports / "soa.html"}
    emit(render_soa(soa, "xlsx"), str(outputs["soa.xlsx"]))
    emit(render_soa(soa, "html"), str(outputs["soa.html"]))
    start, end = today - timedelta(days=89), today
    outputs["pack"] = reports / f"audit-pack-{start}-to-{end}.zip"
    build_pack(
        store, ws.catalog, PackOptions(start, end, (), None, None, ws.registry.max_age_by_kind()), outputs["pack"],
        ws.signer(),
    )  # fmt: skip
    classes: Counter[str] = Counter()
    for row in soa.rows:
        for evidence_class in row.get("evidence_classes") or {}:
            classes[evidence_class] += 1
    return DemoResult(
        folder=folder,
        config=config_path,
        store=ws.store_url,
        runs=runs,
        nights=[n.date() for n in nights],
        missed=[nights[-1 - story.missed].date()],
        soa_counts=dict(Counter(row["status"] for row in soa.rows)),
        evidence_classes=dict(classes),
        outputs=outputs,
        regression=regression,
        regression_group=group,
        sources=[source.name for source in served],
    )


def configure(
    folder: Path, served: list[Served], aws_collectors: list[str], host_root: Path | None, signed: bool = False
) -> Path:
    """Point the material's annexa.yaml at the fakes (and `host_root`, else this host); returns its path."""
    config = folder / "annexa.yaml"
    text = config.read_text()
    host = f"- host: {{root: {json.dumps(str(host_root))}, name: demo-host}}" if host_root is not None else "- host: {}"
    for old, new in (
        *((old, new) for source in served for old, new in source.replacements.items()),
        ("- aws: {regions: [us-east-1]}", f"- aws: {{regions: [{REGION}], collectors: [{', '.join(aws_collectors)}]}}"),
        ("- host: {}", host),
    ):
        if old not in text:
            raise AssertionError(f"demo/acme/annexa.yaml no longer holds {old!r}")
        text = text.replace(old, new)
    if signed:
        text += "signing: {private_key: annexa-signing.key}   # written by `annexa demo` (annexa keygen)\n"
    config.write_text(text)
    return config


def _capture_worlds(
    ws: Workspace,
    folder: Path,
    nights: list[datetime],
    story: Story,
    clock: Any,
    log: Any,
    say: Callable[[str], None],
    shift: int,
) -> tuple[Callable[[int], Captured], str]:
    """Collect each distinct state of the world once, at the first night it was seen; return the
    world of a night (by days before the last) and the id of the security group that was opened."""
    import boto3

    def at(days_before: int) -> None:
        clock.move_to(nights[-1 - days_before] - timedelta(minutes=5))

    lms = folder / "people" / "lms-export.json"
    renewed = lms.read_text()
    rows = json.loads(renewed)
    for row in rows:  # before the renewal, E1001's last training was 369 days before it
        if row["learner_id"] == "E1001":
            row["course_completed"] = shift_dates("2025-09-10", shift)
    lms.write_text(json.dumps(rows, indent=2) + "\n")
    at(story.nights - 1)
    say("collecting the world as it was 92 nights ago: every target in annexa.yaml")
    first = capture(ws.config, ws.registry, log)
    lms.write_text(renewed)
    at(story.training_renewed - 1)
    say("collecting the training export after a renewal")
    training = capture(ws.config, ws.registry, log, providers={"people"})

    ec2 = boto3.Session(region_name=REGION).client("ec2", region_name=REGION)
    (group,) = ec2.describe_security_groups(GroupNames=["db-internal"])["SecurityGroups"]
    opened = [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    at(story.port_opened)
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=opened)
    say("collecting AWS with the database port open to the internet")
    open_port = capture(ws.config, ws.registry, log, providers={"aws"})
    at(story.port_closed)
    ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=opened)
    say("collecting AWS after the port was closed")
    closed = capture(ws.config, ws.registry, log, providers={"aws"})

    def world(days_before: int) -> Captured:
        layers = [first]
        if days_before < story.training_renewed:
            layers.append(training)
        if story.port_closed < days_before <= story.port_opened:
            layers.append(open_port)
        elif days_before <= story.port_closed:
            layers.append(closed)
        return merge(*layers)

    return world, group["GroupId"]


def _attest(ws: Workspace, folder: Path, at: datetime) -> None:
    """Each `annexa attest` line of attest.sh, as the command would record it, at `at` (a minute apart)."""
    parser = argparse.ArgumentParser(prog="annexa attest")
    attest_command.add_arguments(parser)
    lines = [line for line in (folder / "attest.sh").read_text().splitlines() if line.startswith("annexa attest ")]
    for number, line in enumerate(lines):
        args = parser.parse_args(shlex.split(line)[2:])
        record_attestation(
            ws,
            args.control,
            folder / args.file if args.file is not None else None,
            args.note,
            args.by,
            args.result,
            args.expires,
            now=at + timedelta(minutes=number),
        )


def _fresh_folder(folder: Path) -> Path:
    """`folder`, empty: a folder an earlier demo wrote is replaced, anything else is refused."""
    folder = folder.resolve()
    if folder.exists():
        if not folder.is_dir():
            raise UsageError(f"--dir {folder}: not a folder")
        if any(folder.iterdir()):
            if not (folder / MARKER).is_file():
                raise UsageError(
                    f"--dir {folder}: the folder exists and was not written by `annexa demo`; nothing was "
                    "changed (remove it or choose another --dir)"
                )
            shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("written by `annexa demo`; the next `annexa demo` replaces this folder\n")
    return folder


@contextmanager
def _demo_environment() -> Iterator[None]:
    """Fake credentials only, and nothing that could reach a real account; restored afterwards."""
    env = {k: v for k, v in os.environ.items() if k not in AWS_ENV and not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
    )
    with mock.patch.dict(os.environ, env, clear=True):
        yield


def command_prefix() -> str:
    """How to run `annexa` from here: `annexa` when that is on the PATH and this one, else its path."""
    script = Path(sys.executable).with_name("annexa")
    if not script.exists():
        return "annexa"
    found = shutil.which("annexa")
    if found is not None and Path(found).resolve() == script.resolve():
        return "annexa"
    return _shown(script)


def _shown(path: Path) -> str:
    """`path` relative to the working folder when under it (as typed), else absolute."""
    try:
        return shlex.quote(str(path.relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(path))


def summary(result: DemoResult) -> str:
    """What the demo wrote and what to open, with commands that work as printed from here."""
    annexa = command_prefix()
    config = _shown(result.config)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(result.soa_counts.items(), key=lambda kv: -kv[1]))
    classes = ", ".join(f"{n} {cls}" for cls, n in sorted(result.evidence_classes.items(), key=lambda kv: -kv[1]))
    story = Story()
    day = result.nights[-1]
    opened, closed = day - timedelta(days=story.port_opened), day - timedelta(days=story.port_closed)
    lines = [
        f"annexa demo: {result.runs} nightly runs from {result.nights[0]} to {day} "
        f"written to {_shown(Path(result.store))}",
        f"  (a fake AWS account, {', '.join(result.sources)}, policies, HR and training exports, attestations,"
        f" this host; nights missed: {', '.join(str(d) for d in result.missed) or 'none'})",
        f"  controls by status (last night): {counts}",
        f"  controls with evidence, by class: {classes}",
        f"  in the history: a training lapsed and was renewed ({day - timedelta(days=story.training_renewed)}), "
        f"PostgreSQL (security group db-internal) was open to the internet from {opened} to {closed}",
        "",
        "  open:",
        f"    {_shown(result.outputs['soa.html'])}   the Statement of Applicability (also soa.xlsx beside it)",
        f"    {_shown(result.outputs['pack'])}   the audit pack for the last 90 days",
        "",
        "  explore it:",
        f"    {annexa} soa --config {config}",
        f"    {annexa} findings --config {config} --status fail",
        f"    {annexa} runs --config {config}",
        f"    {annexa} drift --config {config} --from {result.regression[0]} --to {result.regression[1]}"
        "   (the night the port was opened)",
        f"    {annexa} nonconformities --config {config}",
        f"    {annexa} verify --config {config}",
    ]
    return "\n".join(lines) + "\n"
