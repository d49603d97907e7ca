"""gcp.container (collectors/gcp/gke.py): one clusters.list per project over every location, its
settings as the API returned them, `missingZones` and refusals as errors, never as passes."""

from __future__ import annotations

from fakes.gcp_world import PROD, SANDBOX

from annexa.collectors.gcp.gke import GkeCollector

LIST = "/v1/projects/{}/locations/-/clusters"
SHOP = f"projects/{PROD}/locations/europe-west1/clusters/shop-gke"
LAB = f"projects/{SANDBOX}/locations/us-central1-a/clusters/lab-gke"
RULES = (
    "gcp.container.apiserver-logs",
    "gcp.container.secrets-encryption",
    "gcp.container.control-plane-not-open",
    "gcp.container.legacy-abac-disabled",
)


def _statuses(collected, resource: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {r.rule: r.status for r in collected.results if r.resource == resource}


def test_declares_one_list_call() -> None:
    assert GkeCollector.kinds == ("gcp.container.cluster",)
    assert GkeCollector.permissions == ("container.clusters.list",)


def test_one_call_per_project_lists_every_location(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    collected = run_gcp(seeded.options(), names=("gcp.container",))
    assert collected.errors == []
    clusters = {f.resource: f for f in collected.facts}
    assert set(clusters) == {SHOP, LAB}
    assert clusters[LAB].scope == {"provider": "gcp", "project": SANDBOX, "region": "us-central1-a"}
    assert clusters[LAB].data["databaseEncryption"]["state"] == "DECRYPTED"
    assert clusters[SHOP].data["currentMasterVersion"] == "1.31.5-gke.1023000"
    assert "selfLink" not in clusters[SHOP].data and "endpoint" not in clusters[SHOP].data
    calls = [c for c in seeded.world.calls() if c[1] == "container"]
    assert sorted(calls) == [("GET", "container", LIST.format(PROD)), ("GET", "container", LIST.format(SANDBOX))]
    assert _statuses(collected, SHOP) == dict.fromkeys(RULES, "pass")
    assert _statuses(collected, LAB) == dict.fromkeys(RULES, "fail")


def test_absent_settings_are_read_at_their_documented_defaults(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    """A cluster answered with none of the optional configs: no secrets encryption, no private endpoint
    or authorised networks; without loggingConfig or legacyAbac annexa cannot tell (error)."""
    bare = {"name": "bare", "location": "europe-west1", "status": "RUNNING", "currentMasterVersion": "1.30.1"}
    seeded.world.document("container", LIST.format(SANDBOX), {"clusters": [bare]})
    collected = run_gcp(seeded.options(organization=None, projects=[SANDBOX]), names=("gcp.container",))
    assert _statuses(collected, f"projects/{SANDBOX}/locations/europe-west1/clusters/bare") == {
        "gcp.container.apiserver-logs": "error",
        "gcp.container.secrets-encryption": "fail",
        "gcp.container.control-plane-not-open": "fail",
        "gcp.container.legacy-abac-disabled": "error",
    }


def test_missing_zones_are_an_error_naming_them(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    body = dict(seeded.world.documents[("container", LIST.format(PROD))])
    seeded.world.document("container", LIST.format(PROD), {**body, "missingZones": ["europe-west1-b", "us-east1-c"]})
    collected = run_gcp(seeded.options(organization=None, projects=[PROD]), names=("gcp.container",))
    [error] = collected.errors
    assert (error.kinds, error.resource, error.code) == (("gcp.container.cluster",), f"projects/{PROD}", "MissingZones")
    assert "zones europe-west1-b, us-east1-c" in error.message
    assert [f.resource for f in collected.facts] == [SHOP]
    # the cluster that was listed is judged; the project is an error for every cluster rule
    assert _statuses(collected, f"projects/{PROD}") == dict.fromkeys(RULES, "error")
    assert _statuses(collected, SHOP) == dict.fromkeys(RULES, "pass")


def test_a_denied_list_is_an_error_for_the_project(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    seeded.world.deny("container", LIST.format(SANDBOX), "container.clusters.list")
    collected = run_gcp(seeded.options(), names=("gcp.container",))
    [error] = collected.errors
    assert (error.kinds, error.resource) == (("gcp.container.cluster",), f"projects/{SANDBOX}")
    assert "container.clusters.list" in error.message
    assert [f.resource for f in collected.facts] == [SHOP]


def test_a_body_that_is_not_an_object_is_an_error_not_no_clusters(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    seeded.world.document("container", LIST.format(SANDBOX), [])
    collected = run_gcp(seeded.options(organization=None, projects=[SANDBOX]), names=("gcp.container",))
    [error] = collected.errors
    assert (error.resource, error.code, collected.facts) == (f"projects/{SANDBOX}", "InvalidResponse", [])
