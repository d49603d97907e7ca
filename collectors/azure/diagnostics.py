"""Azure Monitor diagnostic settings, in one shape for every resource that has them."""

from __future__ import annotations

from typing import Any

from annexa.collectors.azure.util import props

__all__ = ["DIAGNOSTICS_API", "diagnostic_settings"]

DIAGNOSTICS_API = "2021-05-01-preview"


def diagnostic_settings(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each setting's destinations and the log categories (or category groups) it sends."""
    out = []
    for raw in items:
        properties = props(raw)
        logs = [log for log in properties.get("logs") or [] if isinstance(log, dict)]
        out.append(
            {
                "name": raw.get("name"),
                "workspace_id": properties.get("workspaceId"),
                "storage_account_id": properties.get("storageAccountId"),
                "event_hub_rule_id": properties.get("eventHubAuthorizationRuleId"),
                "categories": sorted(log["category"] for log in logs if log.get("enabled") and log.get("category")),
                "category_groups": sorted(
                    log["categoryGroup"] for log in logs if log.get("enabled") and log.get("categoryGroup")
                ),
            }
        )
    return sorted(out, key=lambda setting: str(setting["name"]))
