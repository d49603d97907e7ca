"""Networking: NSG rules open to the internet, and Network Watcher flow logs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.azure.client import AzureCallError, Reply
from annexa.collectors.azure.collector import SubscriptionCollector
from annexa.collectors.azure.nsg_rules import normalise_rules, open_to_internet_ports
from annexa.collectors.azure.session import Subscription
from annexa.collectors.azure.util import arm_common, parent_id, props, region_of, same_id
from annexa.model import CollectionError, Fact

NSG = "azure.network.nsg"
FLOW_LOG = "azure.network.flow_log"
NSG_FLOW_LOGGING = "azure.network.nsg_flow_logging"
API = "2024-05-01"


class NetworkCollector(SubscriptionCollector):
    """Network security groups and Network Watcher flow logs of each subscription.

    - `azure.network.nsg` (NSG id): `name`, `location`, `tags`, `rules` (custom and default
      security rules: direction, access, priority, protocol, sources, destination ports),
      `open_to_internet_ports` (which of SSH, RDP, WinRM and database ports an inbound
      rule admits from `*`/`Internet`/`0.0.0.0/0`, with Azure's priority order applied),
      `subnets` and `network_interfaces` (ids).
    - `azure.network.flow_log` (flow log id): `name`, `location`, `target_resource_id` (an NSG
      or a virtual network), `enabled`, `retention_policy` (`enabled`, `days`; 0 days keeps
      logs forever), `storage_id` and `format`.
    - `azure.network.nsg_flow_logging` (NSG id): `flow_logs`, the flow logs that cover the
      NSG directly or through the virtual network of one of its subnets (id, enabled, via).
    """

    name = "azure.network"
    kinds = (NSG, FLOW_LOG, NSG_FLOW_LOGGING)
    permissions = (
        "Microsoft.Network/networkSecurityGroups/read",
        "Microsoft.Network/networkWatchers/read",
        "Microsoft.Network/networkWatchers/flowLogs/read",
    )

    def collect_subscription(self, subscription: Subscription) -> Iterator[Fact | CollectionError]:
        scope = subscription.scope()
        try:
            nsgs = subscription.list(
                "/subscriptions/{subscription}/providers/Microsoft.Network/networkSecurityGroups", API
            )
        except AzureCallError as exc:
            yield exc.to_collection_error((NSG, NSG_FLOW_LOGGING), scope)
            nsgs = None
        if nsgs is not None:
            for raw in nsgs.body:
                yield self._nsg(subscription, raw, nsgs)
        try:
            flow_logs, replies = self._flow_logs(subscription)
        except AzureCallError as exc:
            yield exc.to_collection_error((FLOW_LOG, NSG_FLOW_LOGGING), scope)
            return
        for raw in flow_logs:
            p = props(raw)
            yield Fact(
                kind=FLOW_LOG,
                resource=raw["id"],
                scope=subscription.scope(region_of(raw)),
                data={
                    "name": raw.get("name"),
                    "location": region_of(raw),
                    "target_resource_id": p.get("targetResourceId"),
                    "enabled": bool(p.get("enabled")),
                    "retention_policy": p.get("retentionPolicy"),
                    "storage_id": p.get("storageId"),
                    "format": p.get("format"),
                },
                source=subscription.source(*replies),
            )
        if nsgs is not None:
            for raw in nsgs.body:
                yield Fact(
                    kind=NSG_FLOW_LOGGING,
                    resource=raw["id"],
                    scope=subscription.scope(region_of(raw)),
                    data={"nsg": raw.get("name"), "flow_logs": _covering(raw, flow_logs)},
                    source=subscription.source(nsgs, *replies),
                )

    @staticmethod
    def _nsg(subscription: Subscription, raw: dict[str, Any], reply: Reply) -> Fact:
        p = props(raw)
        rules = normalise_rules([*(p.get("securityRules") or []), *(p.get("defaultSecurityRules") or [])])
        return Fact(
            kind=NSG,
            resource=raw["id"],
            scope=subscription.scope(region_of(raw)),
            data={
                **arm_common(raw),
                "rules": rules,
                "open_to_internet_ports": open_to_internet_ports(rules),
                "subnets": sorted(s["id"] for s in p.get("subnets") or [] if s.get("id")),
                "network_interfaces": sorted(n["id"] for n in p.get("networkInterfaces") or [] if n.get("id")),
            },
            source=subscription.source(reply),
        )

    @staticmethod
    def _flow_logs(subscription: Subscription) -> tuple[list[dict[str, Any]], list[Reply]]:
        watchers = subscription.list("/subscriptions/{subscription}/providers/Microsoft.Network/networkWatchers", API)
        replies = [watchers]
        flow_logs: list[dict[str, Any]] = []
        for watcher in watchers.body:
            reply = subscription.arm.list("{watcher}/flowLogs", {"api-version": API}, watcher=watcher["id"])
            replies.append(reply)
            flow_logs.extend(reply.body)
        return flow_logs, replies


def _covering(nsg: dict[str, Any], flow_logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    vnets = {parent_id(subnet["id"]).lower() for subnet in props(nsg).get("subnets") or [] if subnet.get("id")}
    out = []
    for raw in flow_logs:
        target = str(props(raw).get("targetResourceId") or "")
        via = "nsg" if same_id(target, nsg["id"]) else "vnet" if target.lower() in vnets else None
        if via:
            out.append({"id": raw["id"], "enabled": bool(props(raw).get("enabled")), "via": via})
    return out
