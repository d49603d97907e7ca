"""Organisation policy constraints as they apply to each project (the effective policy: the
hierarchy's policies merged, as Org Policy computes it)."""

from __future__ import annotations

from annexa.collectors.gcp.client import GcpCallError
from annexa.collectors.gcp.collector import GcpCollector, Yield, fact, pick
from annexa.collectors.gcp.session import GcpTarget, Project

EFFECTIVE = "gcp.orgpolicy.effective"
# The constraints the rules judge: domain-restricted sharing, no service account keys, OS Login
# everywhere, public access prevention on every bucket.
CONSTRAINTS = (
    "iam.allowedPolicyMemberDomains",
    "iam.disableServiceAccountKeyCreation",
    "compute.requireOsLogin",
    "storage.publicAccessPrevention",
)


class OrgPolicyCollector(GcpCollector):
    """The effective organisation policy of a few security constraints in each project.

    - `gcp.orgpolicy.effective` (`projects/<id>/policies/<constraint>`): `constraint` and `spec`
      (`rules`: `enforce` for boolean constraints, `values.allowedValues`/`deniedValues`, `allowAll`,
      `denyAll` for list constraints) as getEffectivePolicy returns it.
    """

    name = "gcp.orgpolicy"
    kinds = (EFFECTIVE,)
    permissions = ("orgpolicy.policies.get",)

    def collect_project(self, gcp: GcpTarget, project: Project) -> Yield:
        for constraint in CONSTRAINTS:
            resource = f"{project.resource}/policies/{constraint}"
            try:
                reply = gcp.apis.get(
                    "orgpolicy",
                    "/v2/projects/{project}/policies/{constraint}:getEffectivePolicy",
                    project=project.id,
                    constraint=constraint,
                )
            except GcpCallError as exc:
                yield exc.to_collection_error(self.kinds, project.scope(), resource)
                continue
            data = {"constraint": constraint, **pick(reply.body, ("spec",))}
            yield fact(gcp, EFFECTIVE, resource, project.scope(), data, reply)
