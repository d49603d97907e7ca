"""What redaction costs per fact: annexa's previous redactor (its own regexes) against the current one
(detect-secrets' detectors, the wider key-name rules and the free-text rules).

The facts are real shapes: the embedded demo (a moto AWS account and this host) is collected
once into a temporary store and its fact objects are read back; copies are then made unique
(every string longer than 12 characters gets the copy number appended, as ids, ARNs and names
differ between resources) so the per-value caches help only where real runs would let them
(regions, states, enum values). Each round clears the caches (a new run) and redacts every fact
with A, then B, alternating; the figures are medians with min-max over the rounds.

Also times `redact_text` on collection-error messages (free text: the entropy rule runs too).

Run: `.venv/bin/python bench/redaction.py` (about a minute); `--facts 2000 --rounds 3` for a quick look.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from annexa.evidence_store import redact as current
from annexa.evidence_store.store import open_store

BASELINE_COMMIT = "09788f2"  # main before issue 17: the redactor with annexa's own patterns only
REPO = Path(__file__).resolve().parent.parent


def _baseline() -> Callable[[Any], Any]:
    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{BASELINE_COMMIT}:evidence_store/redact.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    spec = importlib.util.spec_from_loader("baseline_redact", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    exec(compile(source, "baseline_redact.py", "exec"), module.__dict__)  # noqa: S102 - our own file from git
    module._secret_key.cache_clear  # noqa: B018 - fail early if the baseline changed shape
    return module.redact  # type: ignore[no-any-return]


def _demo_facts() -> list[Any]:
    from annexa.demo.run import run_demo

    with tempfile.TemporaryDirectory() as folder:
        store_path = Path(folder) / "demo"
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            run_demo(store_path)
        store = open_store(str(store_path))
        return [fact.data for fact in store.facts(store.resolve("latest"))]


def _unique(value: Any, n: int) -> Any:
    if isinstance(value, dict):
        return {key: _unique(item, n) for key, item in value.items()}
    if isinstance(value, list):
        return [_unique(item, n) for item in value]
    if isinstance(value, str) and len(value) > 12:
        return f"{value}-{n}"
    return value


def _clear_caches(baseline: Callable[[Any], Any]) -> None:
    current._key_class.cache_clear()
    current._redact_short.cache_clear()
    baseline.__globals__["_secret_key"].cache_clear()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    baseline = _baseline()
    seeds = _demo_facts()
    facts = [_unique(seeds[i % len(seeds)], i // len(seeds)) for i in range(args.facts)]
    strings = sum(1 for fact in facts for _ in _strings(fact))
    print(f"{len(seeds)} demo facts, copied to {len(facts)} facts holding {strings} strings")

    timings: dict[str, list[float]] = {"baseline": [], "current": []}
    for _ in range(args.rounds):
        for name, fn in (("baseline", baseline), ("current", current.redact)):
            _clear_caches(baseline)
            began = time.perf_counter()
            for fact in facts:
                fn(fact)
            timings[name].append(time.perf_counter() - began)
    for name, values in timings.items():
        per_fact = [v / len(facts) * 1e6 for v in values]
        print(
            f"{name:9s} {statistics.median(values):7.2f} s for {len(facts)} facts; "
            f"{statistics.median(per_fact):6.1f} us/fact (min {min(per_fact):.1f}, max {max(per_fact):.1f})"
        )
    ratio = statistics.median(timings["current"]) / statistics.median(timings["baseline"])
    print(f"current / baseline: {ratio:.2f}x")

    messages = [
        "GetBucketEncryption failed: ServerSideEncryptionConfigurationNotFoundError: The server side encryption "
        f"configuration was not found (request id {n:08x}-4c1d-9e8f-3a2b1c0d9e8f)"
        for n in range(2000)
    ]
    began = time.perf_counter()
    for message in messages:
        current.redact_text(message)
    print(f"redact_text: {(time.perf_counter() - began) / len(messages) * 1e6:.1f} us per collection error message")
    return 0


def _strings(value: Any) -> Any:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


if __name__ == "__main__":
    sys.exit(main())
