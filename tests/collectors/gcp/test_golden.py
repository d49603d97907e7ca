"""The GCP collectors' evidence on the seeded fake, against golden files (tests/golden.py says why and
how to regenerate them): the whole estate in full, and fault variants in short (which facts exist,
every error in full, each result's status)."""

from __future__ import annotations

from collections.abc import Callable

from fakes.gcp import FakeGoogle
from fakes.gcp_world import FOLDER, PROD, SANDBOX
from golden import assert_matches_golden, evidence, identities


def test_seeded_estate_evidence_is_unchanged(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    collected = run_gcp(seeded.options())
    assert_matches_golden("gcp-estate", {"estate": evidence(collected.facts, collected.errors, collected.results)})


def test_fault_variants_are_unchanged(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    world: FakeGoogle = seeded.world
    variants: dict[str, tuple[Callable[[], None], dict[str, object]]] = {
        "folder only": (lambda: None, {"organization": None, "folder": FOLDER}),
        "named projects, one missing": (lambda: None, {"organization": None, "projects": [PROD, "missing-proj-1"]}),
        "bigquery disabled in the sandbox": (
            lambda: world.disable("bigquery", f"/bigquery/v2/projects/{SANDBOX}/datasets", f"projects/{SANDBOX}"),
            {},
        ),
        "cloud sql denied in prod": (
            lambda: world.deny("sqladmin", f"/v1/projects/{PROD}/instances", "cloudsql.instances.list"),
            {},
        ),
        "folder policy denied": (
            lambda: world.deny(
                "cloudresourcemanager", f"/v3/folders/{FOLDER}:getIamPolicy", "resourcemanager.folders.getIamPolicy"
            ),
            {},
        ),
    }
    scenarios = {}
    for name, (change, options) in variants.items():
        saved = dict(world.faults)
        change()
        collected = run_gcp(seeded.options(**options))
        world.faults = saved
        scenarios[name] = identities(collected.facts, collected.errors, collected.results)
    assert_matches_golden("gcp-faults", scenarios)
