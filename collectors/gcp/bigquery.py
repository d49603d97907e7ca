"""BigQuery datasets and who may read them."""

from __future__ import annotations

from typing import Any

from annexa.collectors.gcp.client import GcpCallError, Reply
from annexa.collectors.gcp.collector import GcpCollector, Yield, fact, listed, pick
from annexa.collectors.gcp.session import GcpTarget, Project

DATASET = "gcp.bigquery.dataset"
_KEPT = ("id", "location", "access", "defaultEncryptionConfiguration", "labels")


class BigQueryCollector(GcpCollector):
    """Every dataset of each project (datasets.list, then datasets.get for its access list).

    - `gcp.bigquery.dataset` (`projects/<id>/datasets/<dataset>`): `id`, `location`, `access`
      (`role`, `userByEmail`, `groupByEmail`, `domain`, `specialGroup`, `iamMember`, `view`...),
      `defaultEncryptionConfiguration`, `labels`.
    """

    name = "gcp.bigquery"
    kinds = (DATASET,)
    permissions = ("bigquery.datasets.get",)

    def collect_project(self, gcp: GcpTarget, project: Project) -> Yield:
        def dataset(raw: dict[str, Any], listing: Reply) -> Yield:
            name = str((raw.get("datasetReference") or {}).get("datasetId", ""))
            resource = f"{project.resource}/datasets/{name}"
            scope = project.scope(str(raw.get("location") or "global"))
            try:
                reply = gcp.apis.get(
                    "bigquery", "/bigquery/v2/projects/{project}/datasets/{dataset}", project=project.id, dataset=name
                )
            except GcpCallError as exc:
                yield exc.to_collection_error(self.kinds, scope, resource)
                return
            yield fact(gcp, DATASET, resource, scope, pick(reply.body, _KEPT), listing, reply)

        yield from listed(
            gcp,
            project,
            self.kinds,
            lambda: gcp.apis.items(
                "bigquery", "/bigquery/v2/projects/{project}/datasets", "datasets", {"all": "true"}, project=project.id
            ),
            dataset,
        )
