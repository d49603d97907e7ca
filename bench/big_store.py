"""Benchmark: `annexa verify` of a large store (>= 100 MB) against `sha256sum` over the same bytes.

Builds a signed store of `--resources` resources over `--nights` nightly runs (~2% of the
resources changing each night), with fact objects of realistic, skewed sizes (a log-normal of
median ~1.5 KB, a tail to ~200 KB: policies, rule sets), so the store holds tens of thousands of
small objects and a few large ones. The fact objects are written straight through the backend
(`put_object`, no redaction or rule evaluation: their content is synthetic) and each night is
committed through the real RunWriter (`absorb` + `commit`), so the manifests, deltas, state
commitments and signatures are what `annexa collect` writes. `--cache DIR` keeps the store (keyed
by its parameters) so later runs skip the build.

Then, for `--rounds` rounds, in turn (a different side first each round): `annexa verify` of the
store in its own process (the command line, startup included, the store's key pinned) and
`sha256sum` over every object and manifest (batched like `find | xargs sha256sum`). Prints the
median and min-max of wall and CPU seconds and of the per-round ratios verify / sha256sum, with
the load average; and, separately, the command's startup (`annexa verify` of a one-run store).
`--before REF` adds a third side in the same rounds: `annexa verify` of that git ref (`git archive`).
Target (issues 16 and 18): wall ratio <= 1.5.

    .venv/bin/python bench/big_store.py [--cache DIR] [--resources 26000] [--nights 30] [--rounds 5] [--before main]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from annexa.evidence_store.batches import batch_key
from annexa.evidence_store.canonical import canonical_bytes
from annexa.evidence_store.signing import Ed25519Signer, generate_keypair
from annexa.evidence_store.store import open_store
from annexa.model import Result

START = datetime(2026, 8, 1, 2, tzinfo=timezone.utc)
TARGET = 1.5  # issues 16 and 18: verify within 1.5x sha256sum's wall time over the same bytes
FORMAT = 1  # bump when the store's content changes, so a cache of the old content is not reused
KINDS = ("bench.bucket", "bench.role", "bench.instance")
RULES = [
    {"id": f"bench.{kind.split('.')[1]}.{n}", "controls": [control], "fact": kind}
    for kind in KINDS
    for n, control in enumerate(("A.8.24", "A.8.13"))
]
SCOPES = [{"provider": "bench", "account": f"{100000000000 + a}", "region": r} for a in range(4) for r in ("eu", "us")]


def _statement(rng: random.Random, i: int) -> dict[str, Any]:
    return {
        "Sid": f"s{i}",
        "Effect": "Allow" if rng.random() > 0.1 else "Deny",
        "Action": [f"svc{rng.randrange(40)}:{rng.choice(('Get', 'List', 'Put', 'Describe'))}Thing{i}"],
        "Resource": f"arn:bench:{rng.getrandbits(64):016x}/{i}",
    }


def _data(rng: random.Random, index: int, night: int) -> dict[str, Any]:
    """A fact's data, of a skewed size: most small, a few large (log-normal number of statements)."""
    statements = min(1500, int(math.exp(rng.gauss(2.3, 1.1))))
    return {
        "name": f"r{index:06d}",
        "encrypted": rng.random() > 0.1,
        "versioning": "Enabled",
        "changed": night,
        "tags": {"team": f"t{index % 17}", "cost": f"c{index % 5}"},
        "policy": {"Version": "2012-10-17", "Statement": [_statement(rng, i) for i in range(statements)]},
    }


def _fact_object(kind: str, resource: str, scope: dict[str, str], data: Any, stamp: str) -> bytes:
    source = {"operations": ["bench:List"], "principal": "bench", "collected_at": stamp}
    return canonical_bytes({"kind": kind, "resource": resource, "scope": scope, "data": data, "source": source})


def build_store(root: Path, resources: int, nights: int) -> dict[str, Any]:
    """Write the store under root/ev (signed by root/signing.key); returns its description."""
    key = generate_keypair(root / "signing.key")
    store = open_store(str(root / "ev"), Ed25519Signer(key.private_path))
    backend = store.backend
    rng = random.Random(1)
    meta = {
        "mappings": {"object": store.put_json({"rules": RULES}), "sha256": "x"},
        "config": {"object": store.put_json({"targets": [{"bench": {}}]}), "sha256": "y"},
    }
    # resource -> (kind, scope index, object digest, failing)
    live: dict[str, tuple[str, int, str, bool]] = {}

    def put(index: int, night: int, stamp: str) -> None:
        kind, scope = KINDS[index % len(KINDS)], index % len(SCOPES)
        resource = f"arn:bench:{kind}/{index:06d}"
        data = _data(rng, index, night)
        raw = _fact_object(kind, resource, SCOPES[scope], data, stamp)
        digest = hashlib.sha256(raw).hexdigest()
        backend.put_object(digest, raw)
        live[resource] = (kind, scope, digest, not data["encrypted"])

    began = time.perf_counter()
    for night in range(nights):
        when = START + timedelta(days=night)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        for index in range(resources) if night == 0 else rng.sample(range(resources), max(1, resources // 50)):
            put(index, night, stamp)
        batches = {
            batch_key("bench", SCOPES[s]): {
                "scope": SCOPES[s],
                "collected_at": stamp,
                "finished_at": stamp,
                "facts": sum(1 for v in live.values() if v[1] == s),
                "errors": 0,
            }
            for s in range(len(SCOPES))
        }
        writer = store.begin_run(f"night-{night:03d}", stamp, meta)
        writer.absorb(
            {
                "facts": [[k, r, d, batch_key("bench", SCOPES[s])] for r, (k, s, d, _f) in live.items()],
                "batches": batches,
                "errors": [],
            }
        )
        results = [
            Result(
                rule["id"],
                tuple(rule["controls"]),
                kind,
                resource,
                SCOPES[s],
                "fail" if failing and rule["id"].endswith(".0") else "pass",
                "high",
                "not encrypted" if failing else "",
                stamp,
            )
            for resource, (kind, s, _d, failing) in live.items()
            for rule in RULES
            if rule["fact"] == kind
        ]
        writer.commit(results, stamp, {})
        print(f"  night {night + 1}/{nights} written ({time.perf_counter() - began:.0f}s)", file=sys.stderr)
    store.close()
    return {"fingerprint": key.fingerprint, "build_s": time.perf_counter() - began}


def cached_store(cache: Path | None, resources: int, nights: int) -> tuple[Path, dict[str, Any]]:
    """(the store's root, its description): from `cache` when it holds one of these parameters."""
    name = f"store-{FORMAT}-{resources}x{nights}"
    if cache is None:
        root = Path(tempfile.mkdtemp(prefix="annexa-big-"))
    else:
        root = cache / name
        info = root / "info.json"
        if info.is_file():
            return root, json.loads(info.read_text())
        shutil.rmtree(root, ignore_errors=True)  # an unfinished build
    root.mkdir(parents=True, exist_ok=True)
    described = build_store(root, resources, nights)
    (root / "info.json").write_text(json.dumps(described))
    return root, described


def _config(root: Path, described: dict[str, Any]) -> Path:
    """The configuration a nightly `annexa verify` reads: the store and its pinned key."""
    path = root / "annexa.yaml"
    path.write_text(f"store: ev\ntargets: [{{host: {{}}}}]\ntrusted_keys: [{described['fingerprint']}]\n")
    return path


def store_files(ev: Path) -> list[str]:
    return sorted(str(p) for folder in (ev / "objects", ev / "manifests") for p in folder.rglob("*") if p.is_file())


def timed(argv: list[str], **options: Any) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the process and its children, exit code) of one command."""
    began = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, **options)
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - began, usage.ru_utime + usage.ru_stime, process.returncode


def sha256sum(files: list[str]) -> tuple[float, float]:
    wall = cpu = 0.0
    for i in range(0, len(files), 5000):
        w, c, code = timed(["sha256sum", *files[i : i + 5000]])
        if code != 0:
            raise SystemExit(f"sha256sum failed (exit {code})")
        wall, cpu = wall + w, cpu + c
    return wall, cpu


def spread(values: list[float], digits: int = 2) -> str:
    return f"median {statistics.median(values):.{digits}f} (min {min(values):.{digits}f}, max {max(values):.{digits}f})"


def _checkout(ref: str, into: Path) -> list[str]:
    """`annexa` of git ref `ref` (exported under `into`), run by this interpreter: the command line of a side."""
    repo = Path(__file__).resolve().parent.parent
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", ref, "--prefix=annexa/"], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    code = f"import sys; sys.path.insert(0, {str(into)!r}); from annexa.cli import main; sys.exit(main(sys.argv[1:]))"
    return [sys.executable, "-c", code]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="keep the built store here and reuse it")
    parser.add_argument("--resources", type=int, default=26000)
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", metavar="REF", help="also time `annexa verify` of this git ref (e.g. main)")
    args = parser.parse_args()
    if min(args.resources, args.nights, args.rounds) < 1:
        parser.error("--resources, --nights and --rounds must be at least 1")
    if shutil.which("sha256sum") is None:
        print("sha256sum is needed for the comparison", file=sys.stderr)
        return 2
    root, described = cached_store(args.cache, args.resources, args.nights)
    small, small_info = cached_store(args.cache, 20, 1)
    files = store_files(root / "ev")
    size = sum(os.path.getsize(f) for f in files)
    config, small_config = str(_config(root, described)), str(_config(small, small_info))
    commands = {"verify": [str(Path(sys.executable).with_name("annexa"))]}
    with tempfile.TemporaryDirectory(prefix="annexa-before-") as before:
        if args.before:
            commands["before"] = _checkout(args.before, Path(before))
        sides: dict[str, list[float]] = defaultdict(list)
        for command in commands.values():
            timed([*command, "verify", "--config", config])  # warm the page cache and write byte code
        load = os.getloadavg()
        steps = [*commands, "sum"]
        for number in range(args.rounds):
            for step in steps[number % len(steps) :] + steps[: number % len(steps)]:  # each side first in turn
                if step == "sum":
                    wall, cpu = sha256sum(files)
                else:
                    wall, cpu, code = timed([*commands[step], "verify", "--config", config])
                    if code != 0:
                        print(f"{step}: annexa verify failed (exit {code})", file=sys.stderr)
                        return 1
                sides[step].append(wall)
                sides[step + " cpu"].append(cpu)
            for name, command in commands.items():
                wall, cpu, _code = timed([*command, "verify", "--config", small_config])
                sides[name + " start"].append(wall)
                sides[name + " start cpu"].append(cpu)
        after = os.getloadavg()
    objects = sum(1 for f in files if "/objects/" in f)
    print(
        f"store: {args.nights} nightly runs x {args.resources} resources, {objects} objects, "
        f"{size / 1e6:.1f} MB ({described['build_s']:.0f}s to build{', cached in ' + str(root) if args.cache else ''})"
    )
    names = {"verify": "annexa verify (this tree)", "before": f"annexa verify ({args.before})"}
    print(
        f"{args.rounds} rounds, {', '.join(names[c] for c in commands)} and sha256sum in turn (order rotated each round):"
    )
    print(f"  sha256sum: wall s {spread(sides['sum'], 3)}, CPU s {spread(sides['sum cpu'], 3)}")
    for name in commands:
        walls = [v / s for v, s in zip(sides[name], sides["sum"], strict=True)]
        cpus = [v / s for v, s in zip(sides[name + " cpu"], sides["sum cpu"], strict=True) if s > 0]
        met = "met" if statistics.median(walls) <= TARGET else "MISSED"
        print(f"  {names[name]}: wall s {spread(sides[name], 3)}, CPU s {spread(sides[name + ' cpu'], 3)}")
        print(f"    wall ratio to sha256sum per round: {spread(walls)} (target <= {TARGET}: {met})")
        print(f"    CPU ratio to sha256sum per round:  {spread(cpus) if cpus else 'n/a'}")
        print(
            f"    startup (verify of a one-run store): wall {spread(sides[name + ' start'], 3)}, "
            f"CPU {spread(sides[name + ' start cpu'], 3)}"
        )
    print(
        f"  load average {load[0]:.2f} / {load[1]:.2f} before, {after[0]:.2f} / {after[1]:.2f} after, {os.cpu_count()} cores"
    )
    if args.cache is None:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(small, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
