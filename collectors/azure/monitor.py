"""The subscription's activity log: where it is exported, and how long the destination keeps it."""

from __future__ import annotations

from collections.abc import Iterator

from annexa.collectors.azure.client import AzureCallError
from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.diagnostics import DIAGNOSTICS_API, diagnostic_settings
from annexa.collectors.azure.session import Subscription
from annexa.collectors.azure.util import props
from annexa.model import CollectionError, Fact

ACTIVITY_LOG = "azure.monitor.activity_log"
WORKSPACE_API = "2022-10-01"


class MonitorCollector(SubscriptionCollector):
    """Activity log export of each subscription (the activity log itself keeps 90 days).

    - `azure.monitor.activity_log` (`/subscriptions/<id>`): `settings`, the subscription's
      diagnostic settings (`name`, `workspace_id`, `storage_account_id`, `event_hub_rule_id`,
      enabled `categories` such as Administrative, Security, Policy, Alert) each with
      `workspace_retention_days` (the Log Analytics workspace's retention; null without one).
    """

    name = "azure.monitor"
    kinds = (ACTIVITY_LOG,)
    permissions = ("Microsoft.Insights/diagnosticSettings/read", "Microsoft.OperationalInsights/workspaces/read")

    def collect_subscription(self, subscription: Subscription) -> Iterator[Fact | CollectionError]:
        try:
            reply = subscription.arm.list(
                "/subscriptions/{subscription}/providers/Microsoft.Insights/diagnosticSettings",
                {"api-version": DIAGNOSTICS_API},
                subscription=subscription.id,
            )
            replies = [reply]
            settings = diagnostic_settings(reply.body)
            for setting in settings:
                setting["workspace_retention_days"] = None
                if setting["workspace_id"]:
                    workspace = subscription.arm.get(
                        "{workspace}", {"api-version": WORKSPACE_API}, workspace=setting["workspace_id"]
                    )
                    replies.append(workspace)
                    setting["workspace_retention_days"] = props(workspace.body).get("retentionInDays")
        except AzureCallError as exc:
            yield exc.to_collection_error(self.kinds, subscription.scope(), subscription.resource)
            return
        yield Fact(
            kind=ACTIVITY_LOG,
            resource=subscription.resource,
            scope=subscription.scope(),
            data={"subscription": subscription.display_name, "settings": settings},
            source=subscription.source(*replies),
        )
