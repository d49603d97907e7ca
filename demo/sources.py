"""The loopback fakes the full demo serves in place of each SaaS and cloud API.

One module per source, listed in SOURCES. Each has `serve(shift_days) -> ContextManager[Served]`:
it starts its fake on 127.0.0.1 (a free port), seeds it with its vendor's published examples
(dates moved by `shift_days`, so the demo is always as of today) and says how demo/acme/annexa.yaml
points at it. AWS is not here: moto patches boto3 in process (demo/aws.py).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

__all__ = ["SOURCES", "Served", "serve_all"]

# Modules with a `serve(shift_days)` context manager, in the order the demo starts them.
SOURCES: tuple[str, ...] = (
    "annexa.demo.github_fake",
    "annexa.demo.jira_fake",
    "annexa.demo.okta_fake",
    "annexa.demo.workspace_fake",
    "annexa.demo.gcp_fake",
    "annexa.demo.kubernetes_fake",
    "annexa.demo.fleet_fake",
    "annexa.demo.intune_fake",
)


@dataclass(frozen=True)
class Served:
    """One fake while it runs."""

    name: str  # how the demo's summary names it, e.g. "a fake GitHub organisation"
    replacements: dict[str, str] = field(default_factory=dict)  # text in annexa.yaml -> what points at the fake
    env: dict[str, str] = field(default_factory=dict)  # the fake credentials it accepts (never a real one)


@contextmanager
def serve_all(shift_days: int) -> Iterator[list[Served]]:
    """Every source's fake, started; their credentials are put in os.environ (the caller restores it)."""
    with ExitStack() as stack:
        served: list[Served] = []
        for module in SOURCES:
            one: Served = stack.enter_context(importlib.import_module(module).serve(shift_days))
            taken = {old for other in served for old in other.replacements}
            if clash := taken & one.replacements.keys():
                raise AssertionError(f"{module} points {sorted(clash)} at its fake, which another source already does")
            os.environ.update(one.env)
            served.append(one)
        yield served
