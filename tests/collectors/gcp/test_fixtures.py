"""The seeded fake's response bodies have Google's shapes: every body it serves is checked against
the response schema of the method in Google's discovery documents (tests/data/gcp/discovery-schemas.json,
reduced from the documents shipped in google-api-python-client 2.202.0): every key is a documented
property, every value has the documented type, every enum value is a documented one. So a fixture
field the real API never returns, or a misspelt one, fails here rather than passing a rule."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fakes.gcp_world import new_world, seed

SCHEMAS = json.loads((Path(__file__).resolve().parents[2] / "data" / "gcp" / "discovery-schemas.json").read_text())
# (service, path template) -> (discovery document, response schema)
RESPONSES = {
    ("cloudresourcemanager", "/v3/projects"): ("cloudresourcemanager.v3", "ListProjectsResponse"),
    ("cloudresourcemanager", "/v3/folders"): ("cloudresourcemanager.v3", "ListFoldersResponse"),
    ("cloudresourcemanager", "/v3/projects/{}"): ("cloudresourcemanager.v3", "Project"),
    ("cloudresourcemanager", "/v3/folders/{}"): ("cloudresourcemanager.v3", "Folder"),
    ("cloudresourcemanager", "/v3/{}/{}:getIamPolicy"): ("cloudresourcemanager.v3", "Policy"),
    ("iam", "/v1/projects/{}/serviceAccounts"): ("iam.v1", "ListServiceAccountsResponse"),
    ("iam", "/v1/projects/{}/serviceAccounts/{}/keys"): ("iam.v1", "ListServiceAccountKeysResponse"),
    ("storage", "/storage/v1/b"): ("storage.v1", "Buckets"),
    ("storage", "/storage/v1/b/{}/iam"): ("storage.v1", "Policy"),
    ("logging", "/v2/{}/{}/sinks"): ("logging.v2", "ListSinksResponse"),
    ("logging", "/v2/projects/{}/locations/-/buckets"): ("logging.v2", "ListBucketsResponse"),
    ("compute", "/compute/v1/projects/{}"): ("compute.v1", "Project"),
    ("compute", "/compute/v1/projects/{}/aggregated/instances"): ("compute.v1", "InstanceAggregatedList"),
    ("compute", "/compute/v1/projects/{}/global/firewalls"): ("compute.v1", "FirewallList"),
    ("compute", "/compute/v1/projects/{}/aggregated/subnetworks"): ("compute.v1", "SubnetworkAggregatedList"),
    ("sqladmin", "/v1/projects/{}/instances"): ("sqladmin.v1", "InstancesListResponse"),
    ("container", "/v1/projects/{}/locations/-/clusters"): ("container.v1", "ListClustersResponse"),
    ("cloudkms", "/v1/projects/{}/locations"): ("cloudkms.v1", "ListLocationsResponse"),
    ("cloudkms", "/v1/projects/{}/locations/{}/keyRings"): ("cloudkms.v1", "ListKeyRingsResponse"),
    ("cloudkms", "/v1/projects/{}/locations/{}/keyRings/{}/cryptoKeys"): ("cloudkms.v1", "ListCryptoKeysResponse"),
    ("essentialcontacts", "/v1/projects/{}/contacts:compute"): (
        "essentialcontacts.v1",
        "GoogleCloudEssentialcontactsV1ComputeContactsResponse",
    ),
    ("bigquery", "/bigquery/v2/projects/{}/datasets"): ("bigquery.v2", "DatasetList"),
    ("securitycenter", "/v1/projects/{}/sources"): ("securitycenter.v1", "ListSourcesResponse"),
    ("orgpolicy", "/v2/projects/{}/policies/{}:getEffectivePolicy"): ("orgpolicy.v2", "GoogleCloudOrgpolicyV2Policy"),
    ("bigquery", "/bigquery/v2/projects/{}/datasets/{}"): ("bigquery.v2", "Dataset"),
}
_TYPES = {"string": str, "boolean": bool, "object": dict, "array": list}


def _schema_for(service: str, path: str) -> tuple[str, str]:
    for (svc, template), found in RESPONSES.items():
        regex = "^" + re.escape(template).replace(r"\{\}", "[^/:]+") + "$"
        if svc == service and re.match(regex, path):
            return found
    raise LookupError(f"no response schema declared for {service} {path}")


def problems(document: str, node: dict[str, Any], value: Any, where: str) -> list[str]:
    schemas = SCHEMAS["documents"][document]["schemas"]
    if "$ref" in node:
        return problems(document, schemas[node["$ref"]], value, where)
    kind = node.get("type")
    if kind == "any" or kind is None and "properties" not in node:
        return []
    if kind in ("integer", "number"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = ok or (isinstance(value, str) and node.get("format") in ("int64", "uint64") and value.isdigit())
        return [] if ok else [f"{where}: expected {kind}, got {value!r}"]
    if kind in _TYPES and not isinstance(value, _TYPES[kind]):
        return [f"{where}: expected {kind}, got {type(value).__name__}"]
    if "enum" in node and value not in node["enum"]:
        return [f"{where}: {value!r} is not one of the documented values"]
    found: list[str] = []
    if kind == "array":
        for index, item in enumerate(value):
            found += problems(document, node.get("items", {}), item, f"{where}[{index}]")
    elif isinstance(value, dict):
        properties = node.get("properties", {})
        extra = node.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                found += problems(document, properties[key], item, f"{where}.{key}")
            elif extra is not None:
                found += problems(document, extra, item, f"{where}.{key}")
            else:
                found.append(f"{where}: {key!r} is not a documented property")
    return found


def _bodies() -> list[tuple[str, str, Any]]:
    world = seed(new_world())
    out = [(service, path, body) for (service, path), body in world.documents.items()]
    out += [(service, path, body) for (service, path), body in world.policies.items()]
    out += [(service, path, body) for (service, path, _), bodies in world.pages.items() for body in bodies]
    return out


@pytest.mark.parametrize(("service", "path", "body"), _bodies(), ids=lambda v: v if isinstance(v, str) else "")
def test_fixture_matches_the_discovery_schema(service: str, path: str, body: Any) -> None:
    document, schema = _schema_for(service, path)
    assert problems(document, {"$ref": schema}, body, schema) == []


def test_the_checker_catches_an_undocumented_field_and_a_wrong_enum() -> None:
    bucket_list = {
        "items": [
            {"name": "b", "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": "yes"}}, "publicAccess": True}
        ]
    }
    assert problems("storage.v1", {"$ref": "Buckets"}, bucket_list, "Buckets") == [
        "Buckets.items[0].iamConfiguration.uniformBucketLevelAccess.enabled: expected boolean, got str",
        "Buckets.items[0]: 'publicAccess' is not a documented property",
    ]
    key = {"cryptoKeys": [{"purpose": "ENCRYPT"}]}
    assert problems("cloudkms.v1", {"$ref": "ListCryptoKeysResponse"}, key, "K") == [
        "K.cryptoKeys[0].purpose: 'ENCRYPT' is not one of the documented values"
    ]
