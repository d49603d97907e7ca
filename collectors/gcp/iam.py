"""Project IAM: who holds which role, and the service accounts' user-managed keys."""

from __future__ import annotations

from typing import Any

from annexa.collectors.gcp.client import GcpCallError, Reply
from annexa.collectors.gcp.collector import GcpCollector, Yield, fact, listed, pick
from annexa.collectors.gcp.session import GcpTarget, Project

POLICY = "gcp.iam.policy"
SERVICE_ACCOUNT = "gcp.iam.service_account"
_ACCOUNT_KEYS = ("email", "uniqueId", "displayName", "disabled")
_KEY_KEYS = ("name", "keyType", "keyOrigin", "validAfterTime", "validBeforeTime", "disabled")


class IamCollector(GcpCollector):
    """The project's IAM policy and its service accounts.

    - `gcp.iam.policy` (`projects/<id>`, and once per run each folder and organisation above the
      projects: `folders/<id>`, `organizations/<id>`, whose grants every project below inherits):
      `bindings` (`role`, `members`, `condition`) and `version`, as getIamPolicy (policy version 3)
      returns them.
    - `gcp.iam.service_account` (`projects/<id>/serviceAccounts/<email>`): `email`, `uniqueId`,
      `displayName`, `disabled` and `user_managed_keys` (keys.list with keyTypes=USER_MANAGED:
      `name`, `validAfterTime`, `validBeforeTime`, `disabled`, `keyOrigin`). Key material is never read.
    """

    name = "gcp.iam"
    kinds = (POLICY, SERVICE_ACCOUNT)
    permissions = (
        "resourcemanager.projects.getIamPolicy",
        "resourcemanager.folders.get",
        "resourcemanager.folders.getIamPolicy",
        "resourcemanager.organizations.getIamPolicy",
        "iam.serviceAccounts.list",
        "iam.serviceAccountKeys.list",
    )

    def collect_project(self, gcp: GcpTarget, project: Project) -> Yield:
        yield from self._policy(gcp, project.resource, project.scope())
        try:
            ancestors = gcp.ancestors(project)
        except GcpCallError as exc:
            yield exc.to_collection_error((POLICY,), project.scope(), project.parent)
            ancestors = ()
        for node in ancestors:
            if gcp.once(self.name, node):
                yield from self._policy(gcp, node, {"provider": "gcp", "org": node})

        def account(raw: dict[str, Any], listing: Reply) -> Yield:
            resource = f"{project.resource}/serviceAccounts/{raw.get('email', '')}"
            try:
                keys, reply = gcp.apis.items(
                    "iam",
                    "/v1/projects/{project}/serviceAccounts/{account}/keys",
                    "keys",
                    {"keyTypes": "USER_MANAGED"},
                    project=project.id,
                    account=str(raw.get("email", "")),
                )
            except GcpCallError as exc:
                yield exc.to_collection_error((SERVICE_ACCOUNT,), project.scope(), resource)
                return
            data = {**pick(raw, _ACCOUNT_KEYS), "user_managed_keys": [pick(key, _KEY_KEYS) for key in keys]}
            yield fact(gcp, SERVICE_ACCOUNT, resource, project.scope(), data, listing, reply)

        yield from listed(
            gcp,
            project,
            (SERVICE_ACCOUNT,),
            lambda: gcp.apis.items("iam", "/v1/projects/{project}/serviceAccounts", "accounts", project=project.id),
            account,
        )

    @staticmethod
    def _policy(gcp: GcpTarget, node: str, scope: dict[str, str]) -> Yield:
        try:
            reply = gcp.policy(node)
        except GcpCallError as exc:
            yield exc.to_collection_error((POLICY,), scope, node)
        else:
            yield fact(gcp, POLICY, node, scope, pick(reply.body, ("bindings", "version")), reply)
