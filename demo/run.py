"""`annexa demo --quick`: one run with no credentials.

An AWS account is faked in-process with moto and seeded with a realistic mix of
compliant and non-compliant settings; this Linux host is read as it is. The run is
added to a local store and summarised: controls by status, the worst findings.
moto's ids are seeded and its clock is frozen at midnight,
so a second run the same day sees the same account and `annexa drift` reports nothing.
(The full demo is demo/full.py.)
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

import structlog

from annexa.collectors.base import Progress, Target
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


def run_demo(store_path: Path, progress: Progress | None = None) -> str:
    """Collect the fake account and this host into `store_path`; returns the summary to print."""
    try:
        import boto3
        from freezegun import freeze_time
        from moto import mock_aws
        from moto.moto_api._internal import mock_random
    except ImportError:
        raise UsageError("the demo needs moto and freezegun: pip install 'annexa[demo]' (or run `make demo`)") from None
    from annexa.demo.aws import MOTO_UNSUPPORTED, seed
    from annexa.demo.aws_services import self_signed
    from annexa.demo.full import MOTO_SEED

    store_path = store_path.resolve()
    workspace = load_workspace(Path("/nonexistent/annexa.yaml"), str(store_path), config_required=False)
    modelled = [c.name for c in workspace.registry.for_provider("aws") if c.name not in MOTO_UNSUPPORTED]
    config = demo_config(store_path, modelled)
    store = open_store(str(store_path))
    clean_env = {k: v for k, v in os.environ.items() if k not in _AWS_ENV}
    clean_env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=DEMO_REGION)
    midnight = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    # moto's clock stays at midnight (values it computes when read, such as RDS's latest restorable time,
    # included); annexa's own clock (collection and run times) is left alone.
    self_signed("warm-up.example", 1)  # before the clock is frozen (see self_signed)
    frozen = freeze_time(midnight, ignore=["annexa.", "rich."])  # rich: the progress display's clock
    with mock.patch.dict(os.environ, clean_env, clear=True), mock_aws(), frozen:
        mock_random.seed(MOTO_SEED)
        seed(boto3.Session(region_name=DEMO_REGION), DEMO_REGION)
        if progress is not None:
            progress.phase("collecting the fake AWS account and this host")
        outcome = run_collection(
            config, workspace.registry, workspace.rules, workspace.catalog, store, structlog.get_logger(), progress
        )
    return _summary(store, outcome.run, workspace.catalog)


def _summary(store, run, catalog) -> str:  # type: ignore[no-untyped-def]
    statuses = soa_statuses(store, run, catalog)  # judged with the run's stored settings, as `annexa soa`
    by_status = Counter(s.status for s in statuses)
    findings = finding_rows(store, run, {"fail", "error"})
    from annexa.demo.full import command_prefix

    annexa = command_prefix()
    lines = [
        f"\nannexa demo: run {run.run_id} written to {store.url}",
        f"  {run.facts} facts collected from a fake AWS account (moto) and this host",
        "  controls by status: " + ", ".join(f"{n} {s}" for s, n in by_status.most_common()),
        f"\n  worst findings ({len(findings)} failing or errored results in all):",
    ]
    for row in findings[:10]:
        lines.append(f"    {row['severity']:<8} {row['status']:<5} {row['rule']:<40} {row['resource']}")
    lines.append(
        "\n  explore it:\n"
        f"    {annexa} findings --store {store.url} --status fail,error\n"
        f"    {annexa} soa --store {store.url} --format md\n"
        f"    {annexa} drift --store {store.url}\n"
        f"    {annexa} runs --store {store.url}"
    )
    return "\n".join(lines) + "\n"
