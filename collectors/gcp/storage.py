"""Cloud Storage buckets: public access prevention, uniform access, versioning, retention, keys."""

from __future__ import annotations

from typing import Any

from annexa.collectors.gcp.client import GcpCallError, Reply
from annexa.collectors.gcp.collector import GcpCollector, Yield, fact, listed, pick
from annexa.collectors.gcp.session import GcpTarget, Project

BUCKET = "gcp.storage.bucket"
_KEPT = (
    "name",
    "location",
    "locationType",
    "storageClass",
    "iamConfiguration",
    "versioning",
    "retentionPolicy",
    "softDeletePolicy",
    "encryption",
    "labels",
    "logging",
)


class StorageCollector(GcpCollector):
    """Every bucket of each project (buckets.list, then the bucket's IAM policy).

    - `gcp.storage.bucket` (`projects/_/buckets/<name>`): `name`, `location`, `locationType`,
      `storageClass`, `iamConfiguration` (`publicAccessPrevention`, `uniformBucketLevelAccess`),
      `versioning`, `retentionPolicy`, `softDeletePolicy`, `encryption` (`defaultKmsKeyName`),
      `labels`, `logging`, as the JSON API returns them (absent when never set), and `iam_bindings`
      (the bucket IAM policy's `bindings`).
    """

    name = "gcp.storage"
    kinds = (BUCKET,)
    permissions = ("storage.buckets.list", "storage.buckets.getIamPolicy")

    def collect_project(self, gcp: GcpTarget, project: Project) -> Yield:
        def bucket(raw: dict[str, Any], listing: Reply) -> Yield:
            name = str(raw.get("name", ""))
            resource = f"projects/_/buckets/{name}"
            scope = project.scope(str(raw.get("location") or "global"))
            try:
                policy = gcp.apis.get(
                    "storage", "/storage/v1/b/{bucket}/iam", {"optionsRequestedPolicyVersion": "3"}, bucket=name
                )
            except GcpCallError as exc:
                yield exc.to_collection_error(self.kinds, scope, resource)
                return
            data = {**pick(raw, _KEPT), "iam_bindings": policy.body.get("bindings", [])}
            yield fact(gcp, BUCKET, resource, scope, data, listing, policy)

        yield from listed(
            gcp,
            project,
            self.kinds,
            lambda: gcp.apis.items("storage", "/storage/v1/b", "items", {"project": project.id}),
            bucket,
        )
