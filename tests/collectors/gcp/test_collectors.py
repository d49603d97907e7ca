"""The GCP collectors on the seeded fake: scope, verdicts, paging, errors as evidence, read-only."""

from __future__ import annotations

import re

import pytest
from fakes.gcp_world import DELETED, FOLDER, ORG, PROD, SANDBOX

from annexa.collectors.gcp.operations import OPERATIONS
from annexa.collectors.registry import load_registry

GCP = load_registry().for_provider("gcp")
SHOP_GKE = f"projects/{PROD}/locations/europe-west1/clusters/shop-gke"
LAB_GKE = f"projects/{SANDBOX}/locations/us-central1-a/clusters/lab-gke"
ALL_KINDS = {kind for collector in GCP for kind in collector.kinds}


def _status(collected, rule: str, resource: str) -> str:  # type: ignore[no-untyped-def]
    (result,) = [r for r in collected.results if r.rule == rule and r.resource == resource]
    return result.status


def _template_regex(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[a-z]+\\\}", "[^/]+", re.escape(path)) + "$")


def test_organisation_scope_reaches_every_project_and_records_the_skipped_one(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    collected = run_gcp(seeded.options())
    assert collected.errors == []
    projects = {f.resource: f.data for f in collected.facts if f.kind == "gcp.resourcemanager.project"}
    assert set(projects) == {f"projects/{PROD}", f"projects/{SANDBOX}", f"projects/{DELETED}"}
    assert projects[f"projects/{DELETED}"]["collected"] is False
    assert projects[f"projects/{DELETED}"]["skipped_reason"] == "project state DELETE_REQUESTED: not read"
    assert projects[f"projects/{PROD}"]["parent"] == f"folders/{FOLDER}"
    assert not any(DELETED in path for _, _, path in seeded.world.calls())
    assert {f.scope.get("project") for f in collected.facts} == {PROD, SANDBOX, DELETED, None}
    ancestors = {(f.resource, tuple(f.scope.items())) for f in collected.facts if "project" not in f.scope}
    assert ancestors == {
        (f"folders/{FOLDER}", (("provider", "gcp"), ("org", f"folders/{FOLDER}"))),
        (f"organizations/{ORG}", (("provider", "gcp"), ("org", f"organizations/{ORG}"))),
    }


def test_folder_scope_reads_only_the_projects_below_it(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    collected = run_gcp(seeded.options(organization=None, folder=FOLDER))
    assert collected.errors == []
    assert {f.scope["project"] for f in collected.facts if "project" in f.scope} == {PROD}
    # the folder's own ancestors are read upwards: the organisation's audit configuration applies
    assert {f.resource for f in collected.facts if f.kind == "gcp.iam.policy"} == {
        f"projects/{PROD}",
        f"folders/{FOLDER}",
        f"organizations/{ORG}",
    }
    assert _status(collected, "gcp.logging.data-access-audit-logs", f"projects/{PROD}") == "pass"


def test_a_named_project_that_cannot_be_read_is_an_error_for_every_kind(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    collected = run_gcp(seeded.options(organization=None, projects=[SANDBOX, "missing-proj-1"]))
    errors = [e for e in collected.errors if e.scope.get("project") == "missing-proj-1"]
    assert {kind for e in errors for kind in e.kinds} == ALL_KINDS
    assert {e.code for e in errors} == {"NOT_FOUND"}
    assert {e.resource for e in errors} == {"projects/missing-proj-1"}
    assert len(errors) == len(GCP)
    assert {f.scope.get("project") for f in collected.facts} == {SANDBOX, None}
    # the named project's ancestors are read upwards (project -> organisation): the audit config is judged
    assert _status(collected, "gcp.logging.data-access-audit-logs", f"projects/{SANDBOX}") == "pass"


@pytest.mark.parametrize(
    ("rule", "resource", "status"),
    [
        ("gcp.iam.no-basic-roles-for-users", f"projects/{PROD}", "fail"),
        ("gcp.iam.no-basic-roles-for-users", f"projects/{SANDBOX}", "pass"),
        ("gcp.iam.no-public-bindings", f"projects/{SANDBOX}", "fail"),
        (
            "gcp.iam.service-account-keys-rotated",
            f"projects/{PROD}/serviceAccounts/deployer@{PROD}.iam.gserviceaccount.com",
            "fail",
        ),
        (
            "gcp.iam.service-account-keys-rotated",
            f"projects/{PROD}/serviceAccounts/app-runtime@{PROD}.iam.gserviceaccount.com",
            "pass",
        ),
        (
            "gcp.iam.no-user-managed-keys",
            f"projects/{PROD}/serviceAccounts/reporting@{PROD}.iam.gserviceaccount.com",
            "pass",
        ),
        ("gcp.storage.no-public-bindings", "projects/_/buckets/prod-legacy-assets", "fail"),
        ("gcp.storage.public-access-prevention", "projects/_/buckets/sandbox-scratch", "fail"),
        ("gcp.storage.public-access-prevention", "projects/_/buckets/prod-records-4711", "pass"),
        ("gcp.storage.versioning", "projects/_/buckets/sandbox-scratch", "fail"),
        ("gcp.storage.retention-where-required", "projects/_/buckets/prod-records-4711", "pass"),
        ("gcp.storage.cmek-where-required", "projects/_/buckets/prod-legacy-assets", "fail"),
        ("gcp.storage.cmek-where-required", "projects/_/buckets/prod-cmk-exports", "pass"),
        ("gcp.logging.data-access-audit-logs", f"projects/{PROD}", "pass"),
        ("gcp.logging.sink-for-all-logs", f"projects/{PROD}", "pass"),
        ("gcp.logging.sink-for-all-logs", f"projects/{SANDBOX}", "fail"),
        ("gcp.logging.bucket-retention", f"projects/{PROD}/locations/global/buckets/_Required", "pass"),
        ("gcp.logging.bucket-retention", f"projects/{PROD}/locations/global/buckets/_Default", "fail"),
        ("gcp.logging.bucket-retention", f"projects/{SANDBOX}/locations/global/buckets/_Default", "fail"),
        ("gcp.logging.bucket-retention", f"projects/{PROD}/locations/europe-west1/buckets/audit-archive", "pass"),
        ("gcp.compute.project-os-login", f"projects/{SANDBOX}", "fail"),
        ("gcp.compute.instance-os-login", f"projects/{SANDBOX}/zones/us-central1-a/instances/test-vm", "fail"),
        ("gcp.compute.instance-os-login", f"projects/{PROD}/zones/europe-west1-c/instances/worker-1", "pass"),
        ("gcp.compute.serial-port-disabled", f"projects/{SANDBOX}/zones/us-central1-a/instances/test-vm", "fail"),
        ("gcp.compute.no-external-ip", f"projects/{PROD}/zones/europe-west1-b/instances/web-1", "fail"),
        ("gcp.compute.shielded-vm", f"projects/{PROD}/zones/europe-west1-c/instances/worker-1", "fail"),
        ("gcp.compute.shielded-vm", f"projects/{SANDBOX}/zones/us-central1-a/instances/test-vm", "error"),
        (
            "gcp.compute.default-service-account-full-scope",
            f"projects/{PROD}/zones/europe-west1-b/instances/web-1",
            "fail",
        ),
        ("gcp.compute.firewall-admin-ports", f"projects/{SANDBOX}/global/firewalls/default-allow-ssh", "fail"),
        ("gcp.compute.firewall-admin-ports", f"projects/{PROD}/global/firewalls/default-allow-rdp", "pass"),
        ("gcp.compute.firewall-database-ports", f"projects/{PROD}/global/firewalls/allow-postgres-anywhere", "fail"),
        ("gcp.compute.subnet-flow-logs", f"projects/{PROD}/regions/us-central1/subnetworks/default", "fail"),
        ("gcp.compute.subnet-flow-logs", f"projects/{PROD}/regions/europe-west1/subnetworks/default", "pass"),
        ("gcp.sql.no-world-authorized-networks", f"projects/{PROD}/instances/orders-db", "fail"),
        ("gcp.sql.ssl-required", f"projects/{PROD}/instances/orders-db", "fail"),
        ("gcp.sql.automated-backups", f"projects/{SANDBOX}/instances/legacy-mysql", "fail"),
        ("gcp.sql.point-in-time-recovery", f"projects/{SANDBOX}/instances/legacy-mysql", "fail"),
        ("gcp.container.apiserver-logs", SHOP_GKE, "pass"),
        ("gcp.container.apiserver-logs", LAB_GKE, "fail"),
        ("gcp.container.secrets-encryption", SHOP_GKE, "pass"),
        ("gcp.container.secrets-encryption", LAB_GKE, "fail"),
        ("gcp.container.control-plane-not-open", SHOP_GKE, "pass"),
        ("gcp.container.control-plane-not-open", LAB_GKE, "fail"),
        ("gcp.container.legacy-abac-disabled", SHOP_GKE, "pass"),
        ("gcp.container.legacy-abac-disabled", LAB_GKE, "fail"),
        ("gcp.kms.rotation-period", f"projects/{PROD}/locations/europe-west1/keyRings/app/cryptoKeys/data", "pass"),
        ("gcp.kms.rotation-period", f"projects/{PROD}/locations/europe-west1/keyRings/app/cryptoKeys/legacy", "fail"),
        ("gcp.kms.rotation-period", f"projects/{PROD}/locations/europe-west1/keyRings/app/cryptoKeys/yearly", "fail"),
        ("gcp.essentialcontacts.security-contact", f"projects/{SANDBOX}", "fail"),
        ("gcp.bigquery.no-public-datasets", f"projects/{SANDBOX}/datasets/open_data", "fail"),
        ("gcp.scc.activated", f"projects/{PROD}", "pass"),
        ("gcp.scc.activated", f"projects/{SANDBOX}", "fail"),
        ("gcp.orgpolicy.domain-restricted-sharing", f"projects/{PROD}/policies/iam.allowedPolicyMemberDomains", "pass"),
        (
            "gcp.orgpolicy.domain-restricted-sharing",
            f"projects/{SANDBOX}/policies/iam.allowedPolicyMemberDomains",
            "fail",
        ),
        (
            "gcp.orgpolicy.disable-service-account-key-creation",
            f"projects/{PROD}/policies/iam.disableServiceAccountKeyCreation",
            "pass",
        ),
        (
            "gcp.orgpolicy.disable-service-account-key-creation",
            f"projects/{SANDBOX}/policies/iam.disableServiceAccountKeyCreation",
            "fail",
        ),
        ("gcp.orgpolicy.require-os-login", f"projects/{PROD}/policies/compute.requireOsLogin", "fail"),
        (
            "gcp.orgpolicy.storage-public-access-prevention",
            f"projects/{PROD}/policies/storage.publicAccessPrevention",
            "pass",
        ),
        (
            "gcp.orgpolicy.storage-public-access-prevention",
            f"projects/{SANDBOX}/policies/storage.publicAccessPrevention",
            "fail",
        ),
    ],
)
def test_seeded_verdicts(seeded, run_gcp, rule: str, resource: str, status: str) -> None:  # type: ignore[no-untyped-def]
    assert _status(run_gcp(seeded.options()), rule, resource) == status


def test_rules_that_do_not_apply_yield_nothing(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    collected = run_gcp(seeded.options())
    judged = {(r.rule, r.resource) for r in collected.results}
    assert (
        "gcp.compute.subnet-flow-logs",
        f"projects/{PROD}/regions/europe-west1/subnetworks/proxy-only",
    ) not in judged
    assert ("gcp.sql.automated-backups", f"projects/{PROD}/instances/orders-db-replica") not in judged
    assert (
        "gcp.kms.rotation-period",
        f"projects/{PROD}/locations/europe-west1/keyRings/app/cryptoKeys/signing",
    ) not in judged
    assert ("gcp.storage.retention-where-required", "projects/_/buckets/sandbox-scratch") not in judged


# Every list the collectors read, and a fact that only its last page can produce. keys.list is not
# here: ListServiceAccountKeysResponse has no nextPageToken (iam v1 discovery document).
LAST_PAGE = {
    "/v3/projects": ("gcp.resourcemanager.project", f"projects/{DELETED}"),
    "/v3/folders": None,  # the second folder (Archive) is walked: its projects are listed
    "/v1/projects/{project}/serviceAccounts": (
        "gcp.iam.service_account",
        f"projects/{PROD}/serviceAccounts/reporting@{PROD}.iam.gserviceaccount.com",
    ),
    "/storage/v1/b": ("gcp.storage.bucket", "projects/_/buckets/prod-cmk-exports"),
    "/v2/projects/{project}/sinks": None,
    "/v2/folders/{folder}/sinks": None,
    "/v2/organizations/{organization}/sinks": None,
    "/v2/projects/{project}/locations/{location}/buckets": (
        "gcp.logging.bucket",
        f"projects/{PROD}/locations/europe-west1/buckets/audit-archive",
    ),
    "/compute/v1/projects/{project}/aggregated/instances": (
        "gcp.compute.instance",
        f"projects/{PROD}/zones/europe-west1-c/instances/worker-1",
    ),
    "/compute/v1/projects/{project}/global/firewalls": (
        "gcp.compute.firewall",
        f"projects/{PROD}/global/firewalls/deny-all-egress",
    ),
    "/compute/v1/projects/{project}/aggregated/subnetworks": (
        "gcp.compute.subnetwork",
        f"projects/{PROD}/regions/europe-west1/subnetworks/default",
    ),
    "/v1/projects/{project}/instances": ("gcp.sql.instance", f"projects/{PROD}/instances/orders-db-replica"),
    "/v1/projects/{project}/locations": None,  # the third location's key rings are listed
    "/v1/projects/{project}/locations/{location}/keyRings": None,  # the second ring's keys are listed
    "/v1/projects/{project}/locations/{location}/keyRings/{ring}/cryptoKeys": (
        "gcp.kms.crypto_key",
        f"projects/{PROD}/locations/europe-west1/keyRings/app/cryptoKeys/signing",
    ),
    "/v1/projects/{project}/contacts:compute": None,
    "/bigquery/v2/projects/{project}/datasets": ("gcp.bigquery.dataset", f"projects/{PROD}/datasets/audit"),
    "/v1/projects/{project}/sources": None,
}
LISTS = [op for op in OPERATIONS if op.path in LAST_PAGE]


def test_every_list_operation_is_covered_by_the_paging_test() -> None:
    gets = {op.path for op in OPERATIONS if op.method == "GET"}
    documents = {
        "/v3/projects/{project}",
        "/v3/folders/{folder}",
        "/storage/v1/b/{bucket}/iam",
        "/compute/v1/projects/{project}",
        "/bigquery/v2/projects/{project}/datasets/{dataset}",
        "/v1/projects/{project}/serviceAccounts/{account}/keys",
        "/v2/projects/{project}/policies/{constraint}:getEffectivePolicy",
        "/v1/projects/{project}/locations/-/clusters",  # ListClustersResponse has no nextPageToken
    }
    assert gets - documents == set(LAST_PAGE)


@pytest.mark.parametrize("op", LISTS, ids=lambda op: f"{op.service}{op.path}")
def test_every_list_is_read_to_its_last_page(seeded, run_gcp, op) -> None:  # type: ignore[no-untyped-def]
    collected = run_gcp(seeded.options())
    pattern = _template_regex(op.path)
    follow_ups = [
        r for r in seeded.world.requests if r.service == op.service and pattern.match(r.path) and "pageToken" in r.query
    ]
    assert follow_ups, f"no second page requested for {op.name}"
    expected = LAST_PAGE[op.path]
    if expected is not None:
        kind, resource = expected
        assert resource in {f.resource for f in collected.facts if f.kind == kind}
    sinks = {f.resource: f.data for f in collected.facts if f.kind == "gcp.logging.sinks"}
    assert "all-to-archive" in [s["name"] for s in sinks[f"projects/{PROD}"]["sinks"]]
    assert "org-own-logs" in [s["name"] for s in sinks[f"projects/{PROD}"]["ancestors"]]
    assert "folder-paused" in [s["name"] for s in sinks[f"projects/{PROD}"]["ancestors"]]
    contacts = {f.resource: f.data for f in collected.facts if f.kind == "gcp.essentialcontacts.security"}
    assert [c["email"] for c in contacts[f"projects/{PROD}"]["contacts"]] == [
        "security@example.com",
        "it-ops@example.com",
    ]
    called = {(r.service, r.path) for r in seeded.world.requests}
    assert ("cloudresourcemanager", "/v3/projects") in called
    assert ("cloudkms", f"/v1/projects/{PROD}/locations/us-central1/keyRings") in called
    assert ("cloudkms", f"/v1/projects/{PROD}/locations/europe-west1/keyRings/backup/cryptoKeys") in called
    assert any(r.query.get("parent") == "folders/998877665544" for r in seeded.world.requests)


def test_service_disabled_is_an_error_naming_the_api(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    seeded.world.disable("bigquery", f"/bigquery/v2/projects/{SANDBOX}/datasets", consumer=f"projects/{SANDBOX}")
    collected = run_gcp(seeded.options(), names=("gcp.bigquery",))
    (error,) = collected.errors
    assert error.kinds == ("gcp.bigquery.dataset",)
    assert error.code == "SERVICE_DISABLED"
    assert error.scope == {"provider": "gcp", "project": SANDBOX, "region": "global"}
    assert error.message.startswith(
        f"GET https://bigquery.googleapis.com/bigquery/v2/projects/{{project}}/datasets failed: HTTP 403 SERVICE_DISABLED: bigquery.googleapis.com has not been used in project {SANDBOX}"
    )
    assert error.message.endswith(
        "(annexa cannot tell what this API holds until bigquery.googleapis.com is enabled in the project)"
    )
    assert {r.resource: r.status for r in collected.results} == {
        f"projects/{PROD}/datasets/analytics": "pass",
        f"projects/{PROD}/datasets/audit": "pass",
        f"projects/{SANDBOX}": "error",
    }


def test_permission_denied_is_an_error_for_what_it_concerns(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    seeded.world.deny("sqladmin", f"/v1/projects/{PROD}/instances", "cloudsql.instances.list")
    seeded.world.deny("storage", "/storage/v1/b/prod-legacy-assets/iam", "storage.buckets.getIamPolicy")
    collected = run_gcp(seeded.options(), names=("gcp.sql", "gcp.storage"))
    by_resource = {(e.kinds, e.resource): e for e in collected.errors}
    assert set(by_resource) == {
        (("gcp.sql.instance",), f"projects/{PROD}"),
        (("gcp.storage.bucket",), "projects/_/buckets/prod-legacy-assets"),
    }
    assert {e.code for e in collected.errors} == {"IAM_PERMISSION_DENIED"}
    assert {f.resource for f in collected.facts if f.kind == "gcp.storage.bucket"} == {
        "projects/_/buckets/prod-records-4711",
        "projects/_/buckets/prod-cmk-exports",
        "projects/_/buckets/sandbox-scratch",
    }
    statuses = {r.status for r in collected.results if r.resource == "projects/_/buckets/prod-legacy-assets"}
    assert statuses == {"error"}


def test_an_unreadable_ancestor_makes_inheritance_an_error(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    seeded.world.deny(
        "cloudresourcemanager", f"/v3/folders/{FOLDER}:getIamPolicy", "resourcemanager.folders.getIamPolicy"
    )
    collected = run_gcp(seeded.options(), names=("gcp.logging",))
    (error,) = collected.errors
    assert (error.kinds, error.resource, error.code) == (
        ("gcp.logging.audit_config",),
        f"projects/{PROD}",
        "IAM_PERMISSION_DENIED",
    )
    assert _status(collected, "gcp.logging.data-access-audit-logs", f"projects/{PROD}") == "error"
    assert _status(collected, "gcp.logging.data-access-audit-logs", f"projects/{SANDBOX}") == "pass"


def test_throttling_is_retried(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    seeded.world.throttle("compute", f"/compute/v1/projects/{PROD}/global/firewalls", times=2)
    collected = run_gcp(seeded.options(), names=("gcp.compute",))
    assert collected.errors == []
    first_pages = [
        r
        for r in seeded.world.requests
        if r.path == f"/compute/v1/projects/{PROD}/global/firewalls" and "pageToken" not in r.query
    ]
    assert len(first_pages) == 3
    assert len([f for f in collected.facts if f.kind == "gcp.compute.firewall" and f.scope["project"] == PROD]) == 7


def test_a_paging_loop_is_an_error(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    seeded.world.paged("sqladmin", f"/v1/projects/{SANDBOX}/instances", [{"items": [], "nextPageToken": "page-0"}])
    collected = run_gcp(seeded.options(), names=("gcp.sql",))
    (error,) = collected.errors
    assert (error.code, error.scope["project"]) == ("PagingLoop", SANDBOX)


def test_calls_are_reads_only(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    """Only GET, and POST for exactly two documented non-mutating methods: Resource Manager's
    getIamPolicy (returns the policy; Google defines it as POST) and, with `impersonate:`, IAM
    Credentials' generateAccessToken (mints a short-lived token for the reader account)."""
    reader = f"annexa-reader@{PROD}.iam.gserviceaccount.com"
    seeded.world.impersonation_grants.add(reader)
    run_gcp(seeded.options())
    run_gcp(seeded.options(organization=None, projects=[PROD]))
    run_gcp(seeded.options(impersonate=reader))
    assert {r.method for r in seeded.world.requests} == {"GET", "POST"}
    posted = {(r.service, r.path) for r in seeded.world.requests if r.method == "POST"}
    assert posted == {
        ("cloudresourcemanager", f"/v3/projects/{PROD}:getIamPolicy"),
        ("cloudresourcemanager", f"/v3/projects/{SANDBOX}:getIamPolicy"),
        ("cloudresourcemanager", f"/v3/folders/{FOLDER}:getIamPolicy"),
        ("cloudresourcemanager", f"/v3/organizations/{ORG}:getIamPolicy"),
        ("iamcredentials", f"/v1/projects/-/serviceAccounts/{reader}:generateAccessToken"),
    }


def test_the_client_refuses_undeclared_and_writing_operations() -> None:
    from google.auth.credentials import AnonymousCredentials

    from annexa.collectors.gcp.client import GoogleApis, ReadOnlyViolation

    apis = GoogleApis(AnonymousCredentials(), "test", "http://127.0.0.1:9")
    with pytest.raises(
        ReadOnlyViolation, match="undeclared Google API operation: GET storage /storage/v1/b/{bucket}/o"
    ):
        apis.get("storage", "/storage/v1/b/{bucket}/o", bucket="x")
    with pytest.raises(
        ReadOnlyViolation,
        match="undeclared Google API operation: POST cloudresourcemanager /v3/projects/{project}:setIamPolicy",
    ):
        apis.get_iam_policy("/v3/projects/{project}:setIamPolicy", project="x")


def test_the_hierarchy_and_shared_policies_are_read_once_per_run(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    run_gcp(seeded.options())
    first_pages = [
        r
        for r in seeded.world.requests
        if r.path == "/v3/projects" and r.query.get("parent") == f"organizations/{ORG}" and "pageToken" not in r.query
    ]
    assert len(first_pages) == 1  # every GCP collector, one walk
    org_policy_reads = [r for r in seeded.world.requests if r.path == f"/v3/organizations/{ORG}:getIamPolicy"]
    assert len(org_policy_reads) == 1  # shared by the IAM and logging collectors and both projects


def test_a_sink_with_an_enabled_exclusion_does_not_export_everything(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    (pages,) = [v for k, v in seeded.world.pages.items() if k[1] == f"/v2/projects/{PROD}/sinks"]
    archive = pages[2]["sinks"][0]
    assert archive["name"] == "all-to-archive"
    archive["exclusions"] = [{"name": "no-debug", "filter": "severity<INFO"}]
    assert (
        _status(run_gcp(seeded.options(), names=("gcp.logging",)), "gcp.logging.sink-for-all-logs", f"projects/{PROD}")
        == "fail"
    )
    archive["exclusions"][0]["disabled"] = True
    assert (
        _status(run_gcp(seeded.options(), names=("gcp.logging",)), "gcp.logging.sink-for-all-logs", f"projects/{PROD}")
        == "pass"
    )


def test_a_bouncing_security_contact_does_not_count(seeded, run_gcp) -> None:  # type: ignore[no-untyped-def]
    (pages,) = [v for k, v in seeded.world.pages.items() if k[1] == f"/v1/projects/{PROD}/contacts:compute"]
    for page in pages:
        page["contacts"][0]["validationState"] = "INVALID"
    collected = run_gcp(seeded.options(), names=("gcp.essentialcontacts",))
    assert _status(collected, "gcp.essentialcontacts.security-contact", f"projects/{PROD}") == "fail"
