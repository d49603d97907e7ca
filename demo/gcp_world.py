"""A seeded Google Cloud estate for the fake (demo/gcp_fake.py), and what rules should say about it.

`annexa demo` serves it (demo/gcp_fake.py `serve`); the tests reuse it through tests/fakes/gcp_world.py.

Organisation 123456789012 holds folder 456789012345 (project `prod-app-4711`), project
`sandbox-lab-2024` directly, and project `old-archive-77` pending deletion.

Sources of the bodies (each response's field names and enums are checked against Google's
discovery documents by tests/collectors/gcp/test_fixtures.py, using tests/data/gcp/discovery-schemas.json):

- Resource Manager v3 Project, Folder, ListProjectsResponse, ListFoldersResponse: cloudresourcemanager.v3
  discovery document; the IAM policies start from the documented JSON example in its `Policy` schema
  (`user:mike@example.com`, `group:admins@example.com`, etag `BwWWja0YfJA=`, version 3) and the
  organisation's audit configuration is the documented `AuditConfig` example (allServices: DATA_READ
  exempting `user:jose@example.com`, DATA_WRITE, ADMIN_READ).
- IAM v1 ServiceAccount and ServiceAccountKey (iam.v1 discovery document: keyType USER_MANAGED,
  keyOrigin GOOGLE_PROVIDED, keyAlgorithm KEY_ALG_RSA_2048).
- Cloud Storage v1 Bucket and Policy (storage.v1 discovery document; `kind` storage#bucket and
  storage#policy, `projectOwner:<project>` members as the legacy bucket roles document them).
- Logging v2 LogBucket (the `_Required` bucket's documented 400 days, locked; `_Default`'s 30) and
  LogSink (logging.v2 discovery document; destinations in its documented forms
  `storage.googleapis.com/[GCS_BUCKET]` and `bigquery.googleapis.com/projects/[PROJECT_ID]/datasets/[DATASET]`).
- Compute v1 Project, Instance, Firewall, Subnetwork and aggregated lists, with the `warning`
  NO_RESULTS_ON_PAGE that aggregated lists return for empty scopes (compute.v1 discovery document);
  the firewall rules are the default network's pre-populated rules (VPC docs: default-allow-internal
  10.128.0.0/9, default-allow-ssh, default-allow-rdp, default-allow-icmp) and the subnets the auto
  mode ranges (us-central1 10.128.0.0/20, europe-west1 10.132.0.0/20).
- Cloud SQL Admin v1 DatabaseInstance (sqladmin.v1 discovery document: sql#instance, RUNNABLE,
  SECOND_GEN, sslMode enum, sql#aclEntry).
- Cloud KMS v1 Location, KeyRing, CryptoKey (cloudkms.v1 discovery document; rotationPeriod as a
  Duration string, purposes ENCRYPT_DECRYPT and ASYMMETRIC_SIGN).
- Org Policy v2 GoogleCloudOrgpolicyV2Policy (orgpolicy.v2 discovery document: spec.rules with
  `enforce` for boolean constraints, `values.allowedValues` and `allowAll` for list constraints; a
  project where no policy sets the constraint answers with its name only).
- Security Command Center v1 ListSourcesResponse (securitycenter.v1 discovery document; the built-in
  sources' display names as the SCC documentation names them).
- Essential Contacts v1 ComputeContactsResponse (essentialcontacts.v1 discovery document).
- Kubernetes Engine v1 ListClustersResponse and Cluster (container.v1 discovery document, revision 20261027:
  databaseEncryption state ENCRYPTED/DECRYPTED with a Cloud KMS keyName, loggingConfig.componentConfig
  enableComponents, masterAuthorizedNetworksConfig cidrBlocks and gcpPublicCidrsAccessEnabled, privateClusterConfig,
  legacyAbac, nodePools with NodePool name/version/status/initialNodeCount/config). Versions in GKE's
  form (1.31.5-gke.1023000): the production cluster and its pool on 1.37, the sandbox's on 1.29. The sandbox
  cluster has the logging components GKE enables by default (SYSTEM_COMPONENTS, WORKLOADS; GKE docs,
  "About GKE logs") and legacy ABAC turned on (off by default for clusters created on 1.8 or later).
- BigQuery v2 DatasetList and Dataset (bigquery.v2 discovery document; access entries with
  specialGroup projectOwners/projectWriters/projectReaders/allAuthenticatedUsers and iamMember).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from annexa.demo.gcp_fake import FakeGoogle

__all__ = ["ORG", "FOLDER", "PROD", "SANDBOX", "DELETED", "TOKEN_ENV", "Collected", "Seeded", "new_world", "seed"]

ORG = "123456789012"
FOLDER = "456789012345"
PROD = "prod-app-4711"
SANDBOX = "sandbox-lab-2024"
DELETED = "old-archive-77"
NUMBERS = {PROD: "415104041262", SANDBOX: "778899001122", DELETED: "555666777888"}
TOKEN_ENV = "ANNEXA_TEST_GCP_TOKEN"
TOKEN = "fake-adc-token"
COMPUTE = "https://www.googleapis.com/compute/v1"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


@dataclass
class Collected:
    facts: list[Any] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    results: list[Any] = field(default_factory=list)


@dataclass
class Seeded:
    world: FakeGoogle

    def options(self, **extra: Any) -> dict[str, Any]:
        return {"organization": ORG, "endpoint": self.world.base_url, "access_token_env": TOKEN_ENV, **extra}


def new_world() -> FakeGoogle:
    return FakeGoogle(tokens={TOKEN})


def _id(*parts: str, digits: int = 19) -> str:
    """A stable numeric id (Compute and IAM ids are decimal strings)."""
    return str(int(hashlib.sha256("/".join(parts).encode()).hexdigest(), 16) % 10**digits).rjust(digits, "1")


def _ago(days: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _project(project_id: str, parent: str, state: str = "ACTIVE") -> dict[str, Any]:
    return {
        "name": f"projects/{NUMBERS[project_id]}",
        "parent": parent,
        "projectId": project_id,
        "state": state,
        "displayName": project_id.replace("-", " "),
        "createTime": "2024-02-01T09:00:00.000Z",
        "updateTime": "2024-02-01T09:00:00.000Z",
        "etag": 'W/"a1b2c3"',
        **({"deleteTime": "2026-11-20T10:00:00.000Z"} if state != "ACTIVE" else {}),
    }


def _hierarchy(world: FakeGoogle) -> None:
    crm = "cloudresourcemanager"
    folder = {
        "name": f"folders/{FOLDER}",
        "parent": f"organizations/{ORG}",
        "displayName": "Production",
        "state": "ACTIVE",
        "createTime": "2023-05-01T08:00:00.000Z",
        "etag": "BwWWja0YfJA=",
    }
    world.collection(
        crm,
        "/v3/projects",
        "projects",
        [_project(SANDBOX, f"organizations/{ORG}"), _project(DELETED, f"organizations/{ORG}", "DELETE_REQUESTED")],
        parent=f"organizations/{ORG}",
    )
    archive = {**folder, "name": "folders/998877665544", "displayName": "Archive"}
    world.collection(crm, "/v3/folders", "folders", [folder, archive], parent=f"organizations/{ORG}")
    world.collection(crm, "/v3/projects", "projects", [], parent="folders/998877665544")
    world.collection(crm, "/v3/folders", "folders", [], parent="folders/998877665544")
    world.collection(crm, "/v3/projects", "projects", [_project(PROD, f"folders/{FOLDER}")], parent=f"folders/{FOLDER}")
    world.collection(crm, "/v3/folders", "folders", [], parent=f"folders/{FOLDER}")
    world.document(crm, f"/v3/folders/{FOLDER}", folder)
    for project_id in (PROD, SANDBOX):
        parent = f"folders/{FOLDER}" if project_id == PROD else f"organizations/{ORG}"
        world.document(crm, f"/v3/projects/{project_id}", _project(project_id, parent))
    # Cloud Resource Manager v3 `Policy` documented example, and the documented `AuditConfig` example.
    world.policy(
        f"/v3/organizations/{ORG}:getIamPolicy",
        {
            "version": 3,
            "etag": "BwWWja0YfJA=",
            "bindings": [
                {
                    "role": "roles/resourcemanager.organizationAdmin",
                    "members": [
                        "user:mike@example.com",
                        "group:admins@example.com",
                        "domain:google.com",
                        "serviceAccount:my-project-id@appspot.gserviceaccount.com",
                    ],
                },
                {
                    "role": "roles/resourcemanager.organizationViewer",
                    "members": ["user:eve@example.com"],
                    "condition": {
                        "title": "expirable access",
                        "description": "Does not grant access after Sep 2020",
                        "expression": "request.time < timestamp('2020-10-01T00:00:00.000Z')",
                    },
                },
            ],
            "auditConfigs": [
                {
                    "service": "allServices",
                    "auditLogConfigs": [
                        {"logType": "DATA_READ", "exemptedMembers": ["user:jose@example.com"]},
                        {"logType": "DATA_WRITE"},
                        {"logType": "ADMIN_READ"},
                    ],
                },
                {
                    "service": "sampleservice.googleapis.com",
                    "auditLogConfigs": [
                        {"logType": "DATA_READ"},
                        {"logType": "DATA_WRITE", "exemptedMembers": ["user:aliya@example.com"]},
                    ],
                },
            ],
        },
    )
    world.policy(
        f"/v3/folders/{FOLDER}:getIamPolicy",
        {
            "version": 1,
            "etag": "BwWWja0YfJA=",
            "bindings": [{"role": "roles/resourcemanager.folderViewer", "members": ["group:admins@example.com"]}],
        },
    )
    world.policy(
        f"/v3/projects/{PROD}:getIamPolicy",
        {
            "version": 1,
            "etag": "BwWWja0YfJA=",
            "bindings": [
                {"role": "roles/owner", "members": ["user:mike@example.com", "group:admins@example.com"]},
                {
                    "role": "roles/editor",
                    "members": [f"serviceAccount:{NUMBERS[PROD]}@cloudservices.gserviceaccount.com"],
                },
            ],
        },
    )
    # No bindings key at all would be an empty policy; this one shares a viewer role with the internet.
    world.policy(
        f"/v3/projects/{SANDBOX}:getIamPolicy",
        {
            "version": 1,
            "etag": "BwWWja0YfJB=",
            "bindings": [
                {"role": "roles/owner", "members": ["group:admins@example.com"]},
                {"role": "roles/viewer", "members": ["allAuthenticatedUsers"]},
            ],
        },
    )


def _service_accounts(world: FakeGoogle) -> None:
    def account(project_id: str, name: str, display: str) -> dict[str, Any]:
        email = f"{name}@{project_id}.iam.gserviceaccount.com"
        return {
            "name": f"projects/{project_id}/serviceAccounts/{email}",
            "projectId": project_id,
            "uniqueId": _id(email, digits=21),
            "email": email,
            "displayName": display,
            "etag": "MDEwMjE5MjA=",
            "oauth2ClientId": "117249886476811118",
        }

    def key(email: str, key_id: str, days: float) -> dict[str, Any]:
        return {
            "name": f"projects/{PROD}/serviceAccounts/{email}/keys/{key_id}",
            "validAfterTime": _ago(days),
            "validBeforeTime": "9999-12-31T23:59:59Z",
            "keyAlgorithm": "KEY_ALG_RSA_2048",
            "keyOrigin": "GOOGLE_PROVIDED",
            "keyType": "USER_MANAGED",
        }

    accounts = [
        account(PROD, "deployer", "CI deployer"),
        account(PROD, "app-runtime", "Application runtime"),
        account(PROD, "reporting", "Reporting"),
    ]
    world.collection("iam", f"/v1/projects/{PROD}/serviceAccounts", "accounts", accounts)
    deployer, runtime, reporting = (a["email"] for a in accounts)
    world.document(
        "iam",
        f"/v1/projects/{PROD}/serviceAccounts/{deployer}/keys",
        {"keys": [key(deployer, "1f2e3d4c5b6a7980", 400)]},
    )
    world.document(
        "iam", f"/v1/projects/{PROD}/serviceAccounts/{runtime}/keys", {"keys": [key(runtime, "0a1b2c3d4e5f6071", 10)]}
    )
    world.document("iam", f"/v1/projects/{PROD}/serviceAccounts/{reporting}/keys", {})
    world.collection("iam", f"/v1/projects/{SANDBOX}/serviceAccounts", "accounts", [])


def _bucket(name: str, project_id: str, **settings: Any) -> dict[str, Any]:
    return {
        "kind": "storage#bucket",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
        "id": name,
        "name": name,
        "projectNumber": NUMBERS[project_id],
        "metageneration": "3",
        "location": "EU",
        "storageClass": "STANDARD",
        "etag": "CAM=",
        "timeCreated": "2024-03-04T10:11:12.345Z",
        "updated": "2024-03-04T10:11:12.345Z",
        "locationType": "multi-region",
        "rpo": "DEFAULT",
        "softDeletePolicy": {"retentionDurationSeconds": "604800", "effectiveTime": "2024-03-04T10:11:12.345Z"},
        **settings,
    }


def _iam_config(uniform: bool, prevention: str) -> dict[str, Any]:
    locked = {"lockedTime": "2024-06-02T10:11:12.345Z"} if uniform else {}
    return {
        "bucketPolicyOnly": {"enabled": uniform, **locked},
        "uniformBucketLevelAccess": {"enabled": uniform, **locked},
        "publicAccessPrevention": prevention,
    }


def _bucket_policy(name: str, project_id: str, *extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "storage#policy",
        "resourceId": f"projects/_/buckets/{name}",
        "version": 1,
        "etag": "CAE=",
        "bindings": [
            {
                "role": "roles/storage.legacyBucketOwner",
                "members": [f"projectEditor:{project_id}", f"projectOwner:{project_id}"],
            },
            {"role": "roles/storage.legacyBucketReader", "members": [f"projectViewer:{project_id}"]},
            *extra,
        ],
    }


def _storage(world: FakeGoogle) -> None:
    buckets = [
        _bucket(
            "prod-records-4711",
            PROD,
            iamConfiguration=_iam_config(True, "enforced"),
            versioning={"enabled": True},
            labels={"annexa-retention": "required"},
            retentionPolicy={
                "retentionPeriod": "31536000",
                "effectiveTime": "2024-03-04T10:11:12.345Z",
                "isLocked": True,
            },
        ),
        _bucket(
            "prod-legacy-assets",
            PROD,
            iamConfiguration=_iam_config(False, "inherited"),
            labels={"annexa-cmk": "required", "team": "web"},
        ),
        _bucket(
            "prod-cmk-exports",
            PROD,
            iamConfiguration=_iam_config(True, "enforced"),
            versioning={"enabled": False},
            labels={"annexa-cmk": "required"},
            encryption={"defaultKmsKeyName": f"projects/{PROD}/locations/europe-west1/keyRings/app/cryptoKeys/data"},
        ),
    ]
    world.collection("storage", "/storage/v1/b", "items", buckets, project=PROD)
    world.document("storage", "/storage/v1/b/prod-records-4711/iam", _bucket_policy("prod-records-4711", PROD))
    world.document(
        "storage",
        "/storage/v1/b/prod-legacy-assets/iam",
        _bucket_policy("prod-legacy-assets", PROD, {"role": "roles/storage.objectViewer", "members": ["allUsers"]}),
    )
    world.document("storage", "/storage/v1/b/prod-cmk-exports/iam", _bucket_policy("prod-cmk-exports", PROD))
    # A bucket created before public access prevention existed: no publicAccessPrevention, no versioning.
    old = _bucket(
        "sandbox-scratch",
        SANDBOX,
        iamConfiguration={"bucketPolicyOnly": {"enabled": False}, "uniformBucketLevelAccess": {"enabled": False}},
    )
    world.collection("storage", "/storage/v1/b", "items", [old], project=SANDBOX)
    world.document("storage", "/storage/v1/b/sandbox-scratch/iam", _bucket_policy("sandbox-scratch", SANDBOX))


def _sink(parent: str, name: str, destination: str, sink_filter: str = "", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "destination": destination,
        **({"filter": sink_filter} if sink_filter else {}),
        "writerIdentity": f"serviceAccount:service-{NUMBERS.get(parent, ORG)}@gcp-sa-logging.iam.gserviceaccount.com",
        "createTime": "2024-04-01T00:00:00Z",
        "updateTime": "2024-04-01T00:00:00Z",
        **extra,
    }


def _logging(world: FakeGoogle) -> None:
    world.collection(
        "logging",
        f"/v2/organizations/{ORG}/sinks",
        "sinks",
        [
            _sink(
                ORG,
                "org-audit-to-bq",
                f"bigquery.googleapis.com/projects/{PROD}/datasets/audit",
                'logName:"cloudaudit.googleapis.com"',
                includeChildren=True,
            ),
            _sink(ORG, "org-own-logs", "storage.googleapis.com/prod-records-4711"),
        ],
    )
    world.collection(
        "logging",
        f"/v2/folders/{FOLDER}/sinks",
        "sinks",
        [
            _sink(
                FOLDER,
                "folder-to-siem",
                "pubsub.googleapis.com/projects/prod-app-4711/topics/siem",
                "severity>=WARNING",
                includeChildren=True,
            ),
            _sink(
                FOLDER, "folder-paused", "storage.googleapis.com/prod-records-4711", includeChildren=True, disabled=True
            ),
        ],
    )
    world.collection(
        "logging",
        f"/v2/projects/{PROD}/sinks",
        "sinks",
        [
            _sink(
                PROD,
                "_Required",
                f"logging.googleapis.com/projects/{PROD}/locations/global/buckets/_Required",
                'LOG_ID("cloudaudit.googleapis.com/activity") OR LOG_ID("externalaudit.googleapis.com/activity")',
            ),
            _sink(
                PROD,
                "_Default",
                f"logging.googleapis.com/projects/{PROD}/locations/global/buckets/_Default",
                'NOT LOG_ID("cloudaudit.googleapis.com/activity")',
            ),
            _sink(PROD, "all-to-archive", "storage.googleapis.com/prod-records-4711"),
        ],
    )
    world.collection(
        "logging",
        f"/v2/projects/{SANDBOX}/sinks",
        "sinks",
        [
            _sink(
                SANDBOX,
                "_Default",
                f"logging.googleapis.com/projects/{SANDBOX}/locations/global/buckets/_Default",
                'NOT LOG_ID("cloudaudit.googleapis.com/activity")',
            ),
            _sink(SANDBOX, "everything-paused", "storage.googleapis.com/sandbox-scratch", disabled=True),
        ],
    )


def _log_buckets(world: FakeGoogle) -> None:
    def bucket(project_id: str, location: str, name: str, **settings: Any) -> dict[str, Any]:
        return {
            "name": f"projects/{project_id}/locations/{location}/buckets/{name}",
            "createTime": "2024-02-01T10:00:00.000000Z",
            "updateTime": "2024-02-01T10:00:00.000000Z",
            "lifecycleState": "ACTIVE",
            **settings,
        }

    required = {"description": "Audit bucket", "retentionDays": 400, "locked": True}
    world.collection(
        "logging",
        f"/v2/projects/{PROD}/locations/-/buckets",
        "buckets",
        [
            bucket(PROD, "global", "_Required", **required),
            bucket(PROD, "global", "_Default", description="Default bucket", retentionDays=30),
            bucket(
                PROD,
                "europe-west1",
                "audit-archive",
                description="Ten years",
                retentionDays=3650,
                locked=True,
                analyticsEnabled=True,
            ),
        ],
    )
    # a _Default bucket created with retention 0: the field is left out and 30 days apply
    world.collection(
        "logging",
        f"/v2/projects/{SANDBOX}/locations/-/buckets",
        "buckets",
        [
            bucket(SANDBOX, "global", "_Required", **required),
            bucket(SANDBOX, "global", "_Default", description="Default bucket"),
        ],
    )


def _metadata(**items: str) -> dict[str, Any]:
    return {
        "kind": "compute#metadata",
        "fingerprint": "4OGMCzOGd0s=",
        **({"items": [{"key": k, "value": v} for k, v in items.items()]} if items else {}),
    }


def _instance(project_id: str, zone: str, name: str, **settings: Any) -> dict[str, Any]:
    return {
        "kind": "compute#instance",
        "id": _id(project_id, name),
        "creationTimestamp": "2024-05-06T07:08:09.123-07:00",
        "name": name,
        "machineType": f"{COMPUTE}/projects/{project_id}/zones/{zone}/machineTypes/e2-medium",
        "status": "RUNNING",
        "zone": f"{COMPUTE}/projects/{project_id}/zones/{zone}",
        "canIpForward": False,
        "selfLink": f"{COMPUTE}/projects/{project_id}/zones/{zone}/instances/{name}",
        "labels": {"env": "prod" if project_id == PROD else "lab"},
        **settings,
    }


def _nic(project_id: str, region: str, external: str | None) -> dict[str, Any]:
    nic: dict[str, Any] = {
        "kind": "compute#networkInterface",
        "network": f"{COMPUTE}/projects/{project_id}/global/networks/default",
        "subnetwork": f"{COMPUTE}/projects/{project_id}/regions/{region}/subnetworks/default",
        "networkIP": "10.132.0.2",
        "name": "nic0",
        "stackType": "IPV4_ONLY",
    }
    if external:
        nic["accessConfigs"] = [
            {
                "kind": "compute#accessConfig",
                "type": "ONE_TO_ONE_NAT",
                "name": "External NAT",
                "natIP": external,
                "networkTier": "PREMIUM",
            }
        ]
    return nic


def _empty_scope(scope: str) -> dict[str, Any]:
    return {
        "warning": {
            "code": "NO_RESULTS_ON_PAGE",
            "message": f"There are no results for scope '{scope}' on this page.",
            "data": [{"key": "scope", "value": scope}],
        }
    }


def _compute(world: FakeGoogle) -> None:
    for project_id, metadata in (
        (PROD, _metadata(**{"enable-oslogin": "TRUE"})),
        (
            SANDBOX,
            _metadata(
                **{"ssh-keys": "alice:ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample alice", "serial-port-enable": "TRUE"}
            ),
        ),
    ):
        world.document(
            "compute",
            f"/compute/v1/projects/{project_id}",
            {
                "kind": "compute#project",
                "id": NUMBERS[project_id],
                "creationTimestamp": "2024-02-01T01:02:03.456-08:00",
                "name": project_id,
                "commonInstanceMetadata": metadata,
                "selfLink": f"{COMPUTE}/projects/{project_id}",
                "defaultServiceAccount": f"{NUMBERS[project_id]}-compute@developer.gserviceaccount.com",
                "xpnProjectStatus": "UNSPECIFIED_XPN_PROJECT_STATUS",
                "defaultNetworkTier": "PREMIUM",
            },
        )
    web = _instance(
        PROD,
        "europe-west1-b",
        "web-1",
        networkInterfaces=[_nic(PROD, "europe-west1", "203.0.113.10")],
        metadata=_metadata(),
        serviceAccounts=[
            {"email": f"{NUMBERS[PROD]}-compute@developer.gserviceaccount.com", "scopes": [CLOUD_PLATFORM]}
        ],
        shieldedInstanceConfig={"enableSecureBoot": True, "enableVtpm": True, "enableIntegrityMonitoring": True},
    )
    worker = _instance(
        PROD,
        "europe-west1-c",
        "worker-1",
        networkInterfaces=[_nic(PROD, "europe-west1", None)],
        metadata=_metadata(**{"block-project-ssh-keys": "TRUE"}),
        serviceAccounts=[{"email": f"app-runtime@{PROD}.iam.gserviceaccount.com", "scopes": [CLOUD_PLATFORM]}],
        shieldedInstanceConfig={"enableSecureBoot": False, "enableVtpm": True, "enableIntegrityMonitoring": True},
    )
    world.paged(
        "compute",
        f"/compute/v1/projects/{PROD}/aggregated/instances",
        [
            {
                "kind": "compute#instanceAggregatedList",
                "id": f"projects/{PROD}/aggregated/instances",
                "items": {
                    "zones/europe-west1-b": {"instances": [web]},
                    "zones/us-central1-a": _empty_scope("zones/us-central1-a"),
                },
                "selfLink": f"{COMPUTE}/projects/{PROD}/aggregated/instances",
            },
            {
                "kind": "compute#instanceAggregatedList",
                "id": f"projects/{PROD}/aggregated/instances",
                "items": {"zones/europe-west1-c": {"instances": [worker]}},
                "selfLink": f"{COMPUTE}/projects/{PROD}/aggregated/instances",
            },
        ],
    )
    lab = _instance(
        SANDBOX,
        "us-central1-a",
        "test-vm",
        networkInterfaces=[_nic(SANDBOX, "us-central1", "198.51.100.7")],
        metadata=_metadata(**{"enable-oslogin": "FALSE"}),
    )
    world.paged(
        "compute",
        f"/compute/v1/projects/{SANDBOX}/aggregated/instances",
        [
            {
                "kind": "compute#instanceAggregatedList",
                "id": f"projects/{SANDBOX}/aggregated/instances",
                "items": {"zones/us-central1-a": {"instances": [lab]}},
                "selfLink": f"{COMPUTE}/projects/{SANDBOX}/aggregated/instances",
            }
        ],
    )
    for project_id in (PROD, SANDBOX):
        world.collection(
            "compute", f"/compute/v1/projects/{project_id}/global/firewalls", "items", _firewalls(project_id)
        )
        world.paged("compute", f"/compute/v1/projects/{project_id}/aggregated/subnetworks", _subnetworks(project_id))


def _firewalls(project_id: str) -> list[dict[str, Any]]:
    def rule(
        name: str, ranges: list[str], allowed: list[dict[str, Any]], priority: int = 65534, **extra: Any
    ) -> dict[str, Any]:
        return {
            "kind": "compute#firewall",
            "id": _id(project_id, "firewall", name),
            "creationTimestamp": "2024-02-01T01:02:03.456-08:00",
            "name": name,
            "description": "",
            "network": f"{COMPUTE}/projects/{project_id}/global/networks/default",
            "priority": priority,
            "sourceRanges": ranges,
            "allowed": allowed,
            "direction": "INGRESS",
            "logConfig": {"enable": False},
            "disabled": False,
            "selfLink": f"{COMPUTE}/projects/{project_id}/global/firewalls/{name}",
            **extra,
        }

    rules = [
        rule(
            "default-allow-internal",
            ["10.128.0.0/9"],
            [
                {"IPProtocol": "tcp", "ports": ["0-65535"]},
                {"IPProtocol": "udp", "ports": ["0-65535"]},
                {"IPProtocol": "icmp"},
            ],
        ),
        rule("default-allow-icmp", ["0.0.0.0/0"], [{"IPProtocol": "icmp"}]),
        rule("default-allow-ssh", ["0.0.0.0/0"], [{"IPProtocol": "tcp", "ports": ["22"]}]),
        rule("default-allow-rdp", ["0.0.0.0/0"], [{"IPProtocol": "tcp", "ports": ["3389"]}], disabled=True)
        if project_id == PROD
        else rule("default-allow-rdp", ["0.0.0.0/0"], [{"IPProtocol": "tcp", "ports": ["3389"]}]),
    ]
    if project_id == PROD:
        rules[2] = rule("default-allow-ssh", ["35.235.240.0/20"], [{"IPProtocol": "tcp", "ports": ["22"]}])
        rules.append(
            rule(
                "allow-https",
                ["0.0.0.0/0"],
                [{"IPProtocol": "tcp", "ports": ["443"]}],
                1000,
                targetTags=["https-server"],
            )
        )
        rules.append(
            rule(
                "allow-postgres-anywhere", ["0.0.0.0/0", "::/0"], [{"IPProtocol": "tcp", "ports": ["5000-5500"]}], 1000
            )
        )
        rules.append(
            rule(
                "deny-all-egress",
                [],
                [],
                65535,
                direction="EGRESS",
                destinationRanges=["0.0.0.0/0"],
                denied=[{"IPProtocol": "all"}],
            )
        )
    return rules


def _subnetworks(project_id: str) -> list[dict[str, Any]]:
    def subnet(region: str, cidr: str, **extra: Any) -> dict[str, Any]:
        return {
            "kind": "compute#subnetwork",
            "id": _id(project_id, "subnet", region, cidr),
            "creationTimestamp": "2024-02-01T01:02:03.456-08:00",
            "name": extra.pop("name", "default"),
            "network": f"{COMPUTE}/projects/{project_id}/global/networks/default",
            "ipCidrRange": cidr,
            "gatewayAddress": cidr.replace("0/20", "1").replace(".0/23", ".1"),
            "region": f"{COMPUTE}/projects/{project_id}/regions/{region}",
            "selfLink": f"{COMPUTE}/projects/{project_id}/regions/{region}/subnetworks/default",
            "privateIpGoogleAccess": False,
            "fingerprint": "ExampleFp0=",
            "stackType": "IPV4_ONLY",
            **extra,
        }

    first = {
        "kind": "compute#subnetworkAggregatedList",
        "id": f"projects/{project_id}/aggregated/subnetworks",
        "items": {
            "regions/us-central1": {"subnetworks": [subnet("us-central1", "10.128.0.0/20", purpose="PRIVATE")]},
            "regions/asia-east1": _empty_scope("regions/asia-east1"),
        },
        "selfLink": f"{COMPUTE}/projects/{project_id}/aggregated/subnetworks",
    }
    europe = [
        subnet(
            "europe-west1",
            "10.132.0.0/20",
            logConfig={
                "enable": True,
                "aggregationInterval": "INTERVAL_5_SEC",
                "flowSampling": 0.5,
                "metadata": "INCLUDE_ALL_METADATA",
            },
            privateIpGoogleAccess=True,
        )
    ]
    if project_id == PROD:
        europe.append(
            subnet("europe-west1", "10.129.0.0/23", name="proxy-only", purpose="REGIONAL_MANAGED_PROXY", role="ACTIVE")
        )
    second = {
        "kind": "compute#subnetworkAggregatedList",
        "id": first["id"],
        "items": {"regions/europe-west1": {"subnetworks": europe}},
        "selfLink": first["selfLink"],
    }
    return [first, second]


def _sql_instance(
    project_id: str, name: str, version: str, ip: dict[str, Any], backup: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "kind": "sql#instance",
        "state": "RUNNABLE",
        "databaseVersion": version,
        "settings": {
            "kind": "sql#settings",
            "tier": "db-custom-2-7680",
            "settingsVersion": "4",
            "availabilityType": "REGIONAL",
            "pricingPlan": "PER_USE",
            "activationPolicy": "ALWAYS",
            "ipConfiguration": ip,
            "backupConfiguration": {
                "kind": "sql#backupConfiguration",
                "startTime": "03:00",
                "location": "eu",
                "transactionLogRetentionDays": 7,
                **backup,
            },
            "storageAutoResize": True,
            "dataDiskType": "PD_SSD",
            "dataDiskSizeGb": "100",
        },
        "etag": "ffd7f6c8c7d0b1c2",
        "ipAddresses": [{"type": "PRIMARY", "ipAddress": "203.0.113.20"}]
        if ip.get("ipv4Enabled")
        else [{"type": "PRIVATE", "ipAddress": "10.20.0.3"}],
        "instanceType": extra.pop("instanceType", "CLOUD_SQL_INSTANCE"),
        "project": project_id,
        "backendType": "SECOND_GEN",
        "selfLink": f"https://sqladmin.googleapis.com/v1/projects/{project_id}/instances/{name}",
        "connectionName": f"{project_id}:europe-west1:{name}",
        "name": name,
        "region": "europe-west1",
        "gceZone": "europe-west1-b",
        "createTime": "2024-05-06T07:08:09.123Z",
        **extra,
    }


def _sql(world: FakeGoogle) -> None:
    public = {
        "ipv4Enabled": True,
        "authorizedNetworks": [{"kind": "sql#aclEntry", "value": "0.0.0.0/0", "name": "anywhere"}],
        "requireSsl": False,
        "sslMode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
    }
    primary = _sql_instance(
        PROD, "orders-db", "POSTGRES_15", public, {"enabled": True, "pointInTimeRecoveryEnabled": True}
    )
    replica = _sql_instance(
        PROD,
        "orders-db-replica",
        "POSTGRES_15",
        {
            "ipv4Enabled": False,
            "privateNetwork": f"projects/{PROD}/global/networks/default",
            "sslMode": "ENCRYPTED_ONLY",
            "requireSsl": True,
        },
        {"enabled": False},
        instanceType="READ_REPLICA_INSTANCE",
        masterInstanceName=f"{PROD}:orders-db",
    )
    world.collection("sqladmin", f"/v1/projects/{PROD}/instances", "items", [primary, replica])
    legacy = _sql_instance(
        SANDBOX,
        "legacy-mysql",
        "MYSQL_8_0",
        {
            "ipv4Enabled": False,
            "privateNetwork": f"projects/{SANDBOX}/global/networks/default",
            "sslMode": "ENCRYPTED_ONLY",
            "requireSsl": True,
        },
        {"enabled": False},
    )
    world.collection("sqladmin", f"/v1/projects/{SANDBOX}/instances", "items", [legacy])


def _gke_cluster(project_id: str, name: str, location: str, **settings: Any) -> dict[str, Any]:
    return {
        "name": name,
        "location": location,
        "zone": location,
        "status": "RUNNING",
        "currentMasterVersion": settings["version"],
        "network": "default",
        "subnetwork": "default",
        "endpoint": settings.pop("endpoint"),
        "createTime": "2024-03-04T05:06:07+00:00",
        "selfLink": f"https://container.googleapis.com/v1/projects/{project_id}/locations/{location}/clusters/{name}",
        "nodePools": [
            {
                "name": "default-pool",
                "config": {"machineType": "e2-medium", "diskSizeGb": 100, "imageType": "COS_CONTAINERD"},
                "initialNodeCount": 3,
                "version": settings.pop("version"),
                "status": "RUNNING",
            }
        ],
        **settings,
    }


def _gke(world: FakeGoogle) -> None:
    shop = _gke_cluster(
        PROD,
        "shop-gke",
        "europe-west1",
        version="1.37.1-gke.1023000",
        endpoint="10.0.0.2",
        databaseEncryption={
            "state": "ENCRYPTED",
            "currentState": "CURRENT_STATE_ENCRYPTED",
            "keyName": f"projects/{PROD}/locations/europe-west1/keyRings/app/cryptoKeys/data",
        },
        loggingConfig={"componentConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"]}},
        masterAuthorizedNetworksConfig={
            "enabled": True,
            "cidrBlocks": [{"displayName": "office", "cidrBlock": "203.0.113.0/24"}],
            "gcpPublicCidrsAccessEnabled": False,
        },
        privateClusterConfig={
            "enablePrivateNodes": True,
            "enablePrivateEndpoint": True,
            "masterIpv4CidrBlock": "172.16.0.0/28",
            "privateEndpoint": "10.0.0.2",
        },
        legacyAbac={},
    )
    lab = _gke_cluster(
        SANDBOX,
        "lab-gke",
        "us-central1-a",
        version="1.29.8-gke.1211000",
        endpoint="198.51.100.7",
        databaseEncryption={"state": "DECRYPTED", "currentState": "CURRENT_STATE_DECRYPTED"},
        loggingConfig={"componentConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "WORKLOADS"]}},
        legacyAbac={"enabled": True},
    )
    # One call per project lists every location; the response has no paging (ListClustersResponse).
    world.document("container", f"/v1/projects/{PROD}/locations/-/clusters", {"clusters": [shop]})
    world.document("container", f"/v1/projects/{SANDBOX}/locations/-/clusters", {"clusters": [lab]})


def _kms(world: FakeGoogle) -> None:
    for project_id in (PROD, SANDBOX):
        locations = [
            {
                "name": f"projects/{project_id}/locations/{loc}",
                "locationId": loc,
                "displayName": display,
                "labels": {"cloud.googleapis.com/region": loc},
                "metadata": {
                    "@type": "type.googleapis.com/google.cloud.kms.v1.LocationMetadata",
                    "hsmAvailable": True,
                    "ekmAvailable": False,
                },
            }
            for loc, display in (("europe-west1", "Belgium"), ("global", "Global"), ("us-central1", "Iowa"))
        ]
        world.collection("cloudkms", f"/v1/projects/{project_id}/locations", "locations", locations)
        for loc in ("europe-west1", "global", "us-central1"):
            rings = (
                [
                    {
                        "name": f"projects/{project_id}/locations/{loc}/keyRings/{name}",
                        "createTime": "2024-02-01T10:00:00.000000Z",
                    }
                    for name in ("app", "backup")
                ]
                if (project_id, loc) == (PROD, "europe-west1")
                else []
            )
            world.collection("cloudkms", f"/v1/projects/{project_id}/locations/{loc}/keyRings", "keyRings", rings)
    ring = f"projects/{PROD}/locations/europe-west1/keyRings/app"
    template = {"protectionLevel": "SOFTWARE", "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION"}
    keys = [
        {
            "name": f"{ring}/cryptoKeys/data",
            "purpose": "ENCRYPT_DECRYPT",
            "createTime": "2024-02-01T10:00:00.000000Z",
            "nextRotationTime": "2027-01-01T00:00:00Z",
            "rotationPeriod": "7776000s",
            "versionTemplate": template,
            "destroyScheduledDuration": "86400s",
        },
        {
            "name": f"{ring}/cryptoKeys/legacy",
            "purpose": "ENCRYPT_DECRYPT",
            "createTime": "2024-02-01T10:00:00.000000Z",
            "versionTemplate": template,
            "destroyScheduledDuration": "86400s",
        },
        {
            "name": f"{ring}/cryptoKeys/yearly",
            "purpose": "ENCRYPT_DECRYPT",
            "createTime": "2024-02-01T10:00:00.000000Z",
            "nextRotationTime": "2027-01-01T00:00:00Z",
            "rotationPeriod": "63072000s",
            "versionTemplate": template,
            "destroyScheduledDuration": "86400s",
        },
        {
            "name": f"{ring}/cryptoKeys/signing",
            "purpose": "ASYMMETRIC_SIGN",
            "createTime": "2024-02-01T10:00:00.000000Z",
            "versionTemplate": {"protectionLevel": "HSM", "algorithm": "EC_SIGN_P256_SHA256"},
            "destroyScheduledDuration": "86400s",
        },
    ]
    world.collection("cloudkms", f"/v1/{ring}/cryptoKeys", "cryptoKeys", keys)
    world.collection(
        "cloudkms", f"/v1/projects/{PROD}/locations/europe-west1/keyRings/backup/cryptoKeys", "cryptoKeys", []
    )
    world.collection(
        "cloudkms", f"/v1/projects/{PROD}/locations/europe-west1/keyRings/backup/cryptoKeys", "cryptoKeys", []
    )


def _contacts(world: FakeGoogle) -> None:
    contact = {
        "name": f"organizations/{ORG}/contacts/1",
        "email": "security@example.com",
        "notificationCategorySubscriptions": ["SECURITY", "TECHNICAL"],
        "languageTag": "en-US",
        "validationState": "VALID",
        "validateTime": "2024-02-01T10:00:00Z",
    }
    legal = {
        **contact,
        "name": f"projects/{NUMBERS[PROD]}/contacts/7",
        "email": "it-ops@example.com",
        "notificationCategorySubscriptions": ["ALL"],
    }
    world.collection("essentialcontacts", f"/v1/projects/{PROD}/contacts:compute", "contacts", [contact, legal])
    world.collection("essentialcontacts", f"/v1/projects/{SANDBOX}/contacts:compute", "contacts", [])


def _dataset(project_id: str, name: str, *extra_access: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    reference = {"datasetId": name, "projectId": project_id}
    listed = {
        "kind": "bigquery#dataset",
        "id": f"{project_id}:{name}",
        "datasetReference": reference,
        "location": "EU",
        "type": "DEFAULT",
    }
    full = {
        "kind": "bigquery#dataset",
        "etag": "zSa9sTx0e9ILDE2GazqNyw==",
        "id": f"{project_id}:{name}",
        "selfLink": f"https://bigquery.googleapis.com/bigquery/v2/projects/{project_id}/datasets/{name}",
        "datasetReference": reference,
        "access": [
            {"role": "WRITER", "specialGroup": "projectWriters"},
            {"role": "OWNER", "specialGroup": "projectOwners"},
            {"role": "OWNER", "userByEmail": "mike@example.com"},
            {"role": "READER", "specialGroup": "projectReaders"},
            *extra_access,
        ],
        "creationTime": "1714000000000",
        "lastModifiedTime": "1714000000000",
        "location": "EU",
        "type": "DEFAULT",
    }
    return listed, full


def _bigquery(world: FakeGoogle) -> None:
    for project_id, datasets in (
        (PROD, [_dataset(PROD, "analytics"), _dataset(PROD, "audit")]),
        (
            SANDBOX,
            [
                _dataset(
                    SANDBOX,
                    "open_data",
                    {"role": "READER", "specialGroup": "allAuthenticatedUsers"},
                    {"role": "READER", "iamMember": "allUsers"},
                )
            ],
        ),
    ):
        world.collection(
            "bigquery",
            f"/bigquery/v2/projects/{project_id}/datasets",
            "datasets",
            [listed for listed, _ in datasets],
        )
        for listed, full in datasets:
            world.document(
                "bigquery",
                f"/bigquery/v2/projects/{project_id}/datasets/{listed['datasetReference']['datasetId']}",
                full,
            )


def _security_center(world: FakeGoogle) -> None:
    def source(source_id: str, display: str, description: str) -> dict[str, Any]:
        return {
            "name": f"organizations/{ORG}/sources/{source_id}",
            "displayName": display,
            "description": description,
            "canonicalName": f"projects/{NUMBERS[PROD]}/sources/{source_id}",
        }

    world.collection(
        "securitycenter",
        f"/v1/projects/{PROD}/sources",
        "sources",
        [
            source(
                "1986930501971458034", "Security Health Analytics", "Identifies misconfigurations and vulnerabilities."
            ),
            source("7221392891040128474", "Event Threat Detection", "Detects threats in Cloud Logging."),
        ],
    )
    world.collection("securitycenter", f"/v1/projects/{SANDBOX}/sources", "sources", [])


def _org_policy(world: FakeGoogle) -> None:
    effective = {
        PROD: {
            "iam.allowedPolicyMemberDomains": {"rules": [{"values": {"allowedValues": ["C0abc1234"]}}]},
            "iam.disableServiceAccountKeyCreation": {"rules": [{"enforce": True}]},
            "compute.requireOsLogin": None,
            "storage.publicAccessPrevention": {"rules": [{"enforce": True}]},
        },
        SANDBOX: {
            "iam.allowedPolicyMemberDomains": {"rules": [{"allowAll": True}]},
            "iam.disableServiceAccountKeyCreation": None,
            "compute.requireOsLogin": None,
            "storage.publicAccessPrevention": {"rules": [{"enforce": False}]},
        },
    }
    for project_id, constraints in effective.items():
        for constraint, spec in constraints.items():
            body: dict[str, Any] = {"name": f"projects/{NUMBERS[project_id]}/policies/{constraint}"}
            if spec is not None:
                body["spec"] = spec
            world.document("orgpolicy", f"/v2/projects/{project_id}/policies/{constraint}:getEffectivePolicy", body)


def seed(world: FakeGoogle) -> FakeGoogle:
    for part in (
        _org_policy,
        _security_center,
        _log_buckets,
        _hierarchy,
        _service_accounts,
        _storage,
        _logging,
        _compute,
        _sql,
        _gke,
        _kms,
        _contacts,
        _bigquery,
    ):
        part(world)
    return world
