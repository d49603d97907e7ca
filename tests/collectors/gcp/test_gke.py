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
    "gcp.container.supported-release",
)
OPEN = "gcp.container.control-plane-not-open"
RELEASE = "gcp.container.supported-release"


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
    assert clusters[SHOP].data["currentMasterVersion"] == "1.37.1-gke.1023000"
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
        "gcp.container.supported-release": "fail",  # 1.30: end of life 2025-07-15; no nodePools: none to judge
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


def _cluster(name: str, **settings: object) -> dict[str, object]:
    return {
        "name": name,
        "location": "europe-west1",
        "status": "RUNNING",
        "currentMasterVersion": "1.37.1-gke.1",
        **settings,
    }


def _judge(seeded, run_gcp, *clusters: dict[str, object]) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    seeded.world.document("container", LIST.format(SANDBOX), {"clusters": list(clusters)})
    collected = run_gcp(seeded.options(organization=None, projects=[SANDBOX]), names=("gcp.container",))
    assert collected.errors == []
    return {
        str(c["name"]): _statuses(collected, f"projects/{SANDBOX}/locations/europe-west1/clusters/{c['name']}")
        for c in clusters
    }


def test_google_cloud_public_ips_reaching_the_control_plane_fail_it(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    """MasterAuthorizedNetworksConfig (container v1): enabled authorised networks still let in "Google Compute
    Engine Public IPs" unless gcpPublicCidrsAccessEnabled is false; absent, they get in."""
    office = [{"displayName": "office", "cidrBlock": "203.0.113.0/24"}]
    statuses = _judge(
        seeded,
        run_gcp,
        _cluster(
            "closed",
            masterAuthorizedNetworksConfig={
                "enabled": True,
                "cidrBlocks": office,
                "gcpPublicCidrsAccessEnabled": False,
            },
        ),
        _cluster(
            "gcp-ips-on",
            masterAuthorizedNetworksConfig={"enabled": True, "cidrBlocks": office, "gcpPublicCidrsAccessEnabled": True},
        ),
        _cluster("gcp-ips-absent", masterAuthorizedNetworksConfig={"enabled": True, "cidrBlocks": office}),
        _cluster(
            "private-endpoint",
            masterAuthorizedNetworksConfig={"enabled": True, "gcpPublicCidrsAccessEnabled": True},
            privateClusterConfig={"enablePrivateNodes": True, "enablePrivateEndpoint": True},
        ),
    )
    assert {name: s[OPEN] for name, s in statuses.items()} == {
        "closed": "pass",
        "gcp-ips-on": "fail",
        "gcp-ips-absent": "fail",
        "private-endpoint": "pass",  # no public endpoint at all
    }


def test_master_and_node_pool_versions_against_supported_releases(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    def pools(*versions: str) -> list[dict[str, str]]:
        return [{"name": f"pool-{i}", "version": v, "status": "RUNNING"} for i, v in enumerate(versions)]

    statuses = _judge(
        seeded,
        run_gcp,
        _cluster("current", nodePools=pools("1.37.1-gke.1", "1.36.4-gke.2")),
        _cluster("old-pool", nodePools=pools("1.37.1-gke.1", "1.33.5-gke.1")),
        _cluster("old-master", currentMasterVersion="1.31.5-gke.1023000", nodePools=pools("1.37.1-gke.1")),
        _cluster("unknown-pool", nodePools=pools("1.32.4-gke.1")),  # 1.32 is not in the table
        _cluster("unreadable-master", currentMasterVersion="latest"),
        _cluster("pool-without-version", nodePools=[{"name": "p", "status": "PROVISIONING"}]),
    )
    assert {name: s[RELEASE] for name, s in statuses.items()} == {
        "current": "pass",
        "old-pool": "fail",
        "old-master": "fail",
        "unknown-pool": "error",
        "unreadable-master": "error",
        "pool-without-version": "error",
    }
