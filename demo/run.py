"""`annexa demo`: the whole flow with no credentials.

An AWS account is faked in-process with moto and seeded with a realistic mix of
compliant and non-compliant settings; this Linux host is read as it is. The run is
written to a local store and summarised: controls by status, the worst findings.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from unittest import mock

import structlog

from annexa.collectors.base import Target
from annexa.commands.progress import progress_display
from annexa.config import Config
from annexa.errors import UsageError
from annexa.evidence_store.store import open_store
from annexa.mappings.rollup import ScopeDecision
from annexa.pipeline.runner import run_collection
from annexa.pipeline.workspace import load_workspace
from annexa.reports.findings import finding_rows
from annexa.reports.soa import soa_statuses

__all__ = ["DEMO_REGION", "demo_config", "run_demo"]

DEMO_REGION = "us-east-1"
# Environment that could point boto3 at a real account or endpoint is hidden during the demo.
_AWS_ENV = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")


def demo_config(store: Path, aws_collectors: list[str] | None = None) -> Config:
    aws = {"regions": [DEMO_REGION], **({"collectors": aws_collectors} if aws_collectors else {})}
    return Config(
        path=None,
        store=str(store),
        targets=(
            Target(provider="aws", options=aws, index=0),
            Target(provider="host", options={}, index=1),
        ),
        scope={
            "A.7.4": ScopeDecision(applicable=False, justification="Demo: no premises; fully remote company"),
        },
        raw={
            "store": str(store),
            "targets": [{"aws": aws}, {"host": {}}],
            "scope": {"A.7.4": {"applicable": False, "justification": "Demo: no premises; fully remote company"}},
        },
    )


def run_demo(store_path: Path) -> int:
    try:
        import boto3
        from moto import mock_aws
    except ImportError:
        raise UsageError("the demo needs moto: pip install 'annexa[demo]' (or run `make demo`)") from None
    from annexa.demo.aws import MOTO_UNSUPPORTED, seed

    store_path = store_path.resolve()
    workspace = load_workspace(Path("/nonexistent/annexa.yaml"), str(store_path), config_required=False)
    modelled = [c.name for c in workspace.registry.for_provider("aws") if c.name not in MOTO_UNSUPPORTED]
    config = demo_config(store_path, modelled)
    store = open_store(str(store_path))
    clean_env = {k: v for k, v in os.environ.items() if k not in _AWS_ENV}
    clean_env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=DEMO_REGION)
    with mock.patch.dict(os.environ, clean_env, clear=True), mock_aws():
        seed(boto3.Session(region_name=DEMO_REGION), DEMO_REGION)
        with progress_display() as progress:
            outcome = run_collection(
                config, workspace.registry, workspace.rules, workspace.catalog, store, structlog.get_logger(), progress
            )
    _print_summary(store, outcome.run, workspace.catalog)
    return 0


def _print_summary(store, run, catalog) -> None:  # type: ignore[no-untyped-def]
    statuses = soa_statuses(store, run, catalog)  # judged with the run's stored settings, as `annexa soa`
    by_status = Counter(s.status for s in statuses)
    findings = finding_rows(store, run, {"fail", "error"})
    print(f"\nannexa demo: run {run.run_id} written to {store.url}")
    print(f"  {run.facts} facts collected from a fake AWS account (moto) and this host")
    print("  controls by status: " + ", ".join(f"{n} {s}" for s, n in by_status.most_common()))
    print(f"\n  worst findings ({len(findings)} failing or errored results in all):")
    for row in findings[:10]:
        print(f"    {row['severity']:<8} {row['status']:<5} {row['rule']:<40} {row['resource']}")
    print(
        "\n  explore it:\n"
        f"    annexa findings --store {store.url} --status fail,error\n"
        f"    annexa soa --store {store.url} --format md\n"
        f"    annexa runs --store {store.url}"
    )
