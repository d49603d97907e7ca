"""Compute Engine: project metadata, instances, firewall rules and subnetworks."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.ingress import WATCHED_PORTS, WORLD_CIDRS
from annexa.collectors.gcp.client import GcpCallError, Reply
from annexa.collectors.gcp.collector import GcpCollector, Yield, fact, listed, pick
from annexa.collectors.gcp.session import GcpTarget, Project

PROJECT_METADATA = "gcp.compute.project_metadata"
INSTANCE = "gcp.compute.instance"
FIREWALL = "gcp.compute.firewall"
SUBNETWORK = "gcp.compute.subnetwork"
_INSTANCE_KEYS = ("name", "status", "shieldedInstanceConfig", "serviceAccounts", "labels", "canIpForward")
_FIREWALL_KEYS = (
    "name",
    "network",
    "direction",
    "priority",
    "disabled",
    "sourceRanges",
    "sourceTags",
    "sourceServiceAccounts",
    "allowed",
    "denied",
    "targetTags",
    "targetServiceAccounts",
    "logConfig",
)
_SUBNET_KEYS = (
    "name",
    "network",
    "ipCidrRange",
    "purpose",
    "role",
    "logConfig",
    "enableFlowLogs",
    "privateIpGoogleAccess",
)
_PORT_PROTOCOLS = ("tcp", "udp", "sctp", "all", "6", "17", "132")


# Metadata keys whose values are security settings. Other values (startup scripts, user data, SSH
# keys) can hold secrets and are never stored: only their keys are (`metadata_keys`).
SETTING_KEYS = frozenset(
    {
        "enable-oslogin",
        "enable-oslogin-2fa",
        "block-project-ssh-keys",
        "serial-port-enable",
        "serial-port-logging-enable",
    }
)


def metadata_items(metadata: Any) -> dict[str, str]:
    """The security settings of Compute metadata `{"items": [{"key", "value"}]}` as a map (a key
    never set is absent)."""
    items = (metadata or {}).get("items") or []
    return {
        str(item.get("key")): str(item.get("value", ""))
        for item in items
        if isinstance(item, dict) and item.get("key") in SETTING_KEYS
    }


def metadata_keys(metadata: Any) -> list[str]:
    """Every metadata key set, without values."""
    items = (metadata or {}).get("items") or []
    return sorted(str(item.get("key")) for item in items if isinstance(item, dict))


def _last(url: Any) -> str:
    return str(url or "").rstrip("/").rsplit("/", 1)[-1]


def _ports(spec: dict[str, Any]) -> list[int]:
    """The watched ports one `allowed` entry opens: no `ports` means every port of the protocol."""
    if str(spec.get("IPProtocol", "")).lower() not in _PORT_PROTOCOLS:
        return []
    if "ports" not in spec:
        return list(WATCHED_PORTS)
    opened = []
    for text in spec["ports"]:
        low, _, high = str(text).partition("-")
        if not (low.isdigit() and (high or low).isdigit()):
            return list(WATCHED_PORTS)  # a range annexa cannot read: assume it opens everything
        opened += [port for port in WATCHED_PORTS if int(low) <= port <= int(high or low)]
    return opened


def open_to_world_ports(rule: dict[str, Any]) -> list[int]:
    """Watched admin and database ports this rule lets in from anywhere (0.0.0.0/0 or ::/0).

    Ingress is the default direction and an enabled rule the default state (compute v1 Firewall:
    `direction` "If unspecified, defaults to INGRESS"; `disabled` "default is false"). A rule with no
    source at all is read as open to the world: never a false pass. Higher-priority deny rules are
    not subtracted (a possible false fail, stated in the rule's remediation)."""
    if rule.get("direction", "INGRESS") != "INGRESS" or rule.get("disabled") is True:
        return []
    sources = ("sourceRanges", "sourceTags", "sourceServiceAccounts")
    world = any(cidr in WORLD_CIDRS for cidr in rule.get("sourceRanges", [])) or not any(
        rule.get(key) for key in sources
    )
    if not world:
        return []
    return sorted({port for spec in rule.get("allowed", []) for port in _ports(spec)})


class ComputeCollector(GcpCollector):
    """Compute Engine settings of each project.

    - `gcp.compute.project_metadata` (`projects/<id>`): `metadata` (the project-wide security settings
      as a map: `enable-oslogin`, `enable-oslogin-2fa`, `block-project-ssh-keys`, `serial-port-enable`,
      `serial-port-logging-enable`; a key never set is absent) and `metadata_keys` (every key set;
      other values, such as startup scripts and SSH keys, are never stored).
    - `gcp.compute.instance` (`projects/<id>/zones/<zone>/instances/<name>`): `name`, `zone`, `status`,
      `metadata` and `metadata_keys` (the instance's own), `project_metadata` (the project's, which applies where the
      instance sets nothing), `external_ips` (the NAT IPs of its access configs), `access_configs`
      (how many), `shieldedInstanceConfig`, `serviceAccounts` (`email`, `scopes`), `labels`.
    - `gcp.compute.firewall` (`projects/<id>/global/firewalls/<name>`): the rule as returned, and
      `open_to_world_ports` (watched admin and database ports it lets in from anywhere).
    - `gcp.compute.subnetwork` (`projects/<id>/regions/<region>/subnetworks/<name>`): `name`, `network`,
      `ipCidrRange`, `purpose`, `logConfig`, `enableFlowLogs`, `privateIpGoogleAccess`.
    """

    name = "gcp.compute"
    kinds = (PROJECT_METADATA, INSTANCE, FIREWALL, SUBNETWORK)
    permissions = (
        "compute.projects.get",
        "compute.instances.list",
        "compute.firewalls.list",
        "compute.subnetworks.list",
    )

    def collect_project(self, gcp: GcpTarget, project: Project) -> Yield:
        try:
            info = gcp.apis.get("compute", "/compute/v1/projects/{project}", project=project.id)
        except GcpCallError as exc:
            yield exc.to_collection_error((PROJECT_METADATA, INSTANCE), project.scope(), project.resource)
        else:
            project_metadata = metadata_items(info.body.get("commonInstanceMetadata"))
            common = info.body.get("commonInstanceMetadata")
            data = {"metadata": project_metadata, "metadata_keys": metadata_keys(common)}
            yield fact(gcp, PROJECT_METADATA, project.resource, project.scope(), data, info)
            yield from self._instances(gcp, project, project_metadata, info)
        yield from self._firewalls(gcp, project)
        yield from self._subnetworks(gcp, project)

    def _instances(self, gcp: GcpTarget, project: Project, project_metadata: dict[str, str], info: Reply) -> Yield:
        try:
            reply = gcp.apis.pages("compute", "/compute/v1/projects/{project}/aggregated/instances", project=project.id)
        except GcpCallError as exc:
            yield exc.to_collection_error((INSTANCE,), project.scope(), project.resource)
            return
        for body in reply.body:
            for scoped in (body.get("items") or {}).values():
                for raw in scoped.get("instances", []):
                    zone = _last(raw.get("zone"))
                    interfaces = raw.get("networkInterfaces", [])
                    configs = [config for nic in interfaces for config in nic.get("accessConfigs", [])]
                    data = {
                        **pick(raw, _INSTANCE_KEYS),
                        "zone": zone,
                        "metadata": metadata_items(raw.get("metadata")),
                        "metadata_keys": metadata_keys(raw.get("metadata")),
                        "project_metadata": project_metadata,
                        "access_configs": len(configs),
                        "external_ips": [config["natIP"] for config in configs if config.get("natIP")],
                    }
                    resource = f"{project.resource}/zones/{zone}/instances/{raw.get('name', '')}"
                    yield fact(gcp, INSTANCE, resource, project.scope(zone), data, reply, info)

    def _firewalls(self, gcp: GcpTarget, project: Project) -> Yield:
        def rule(raw: dict[str, Any], listing: Reply) -> Yield:
            data = {**pick(raw, _FIREWALL_KEYS), "open_to_world_ports": open_to_world_ports(raw)}
            resource = f"{project.resource}/global/firewalls/{raw.get('name', '')}"
            yield fact(gcp, FIREWALL, resource, project.scope(), data, listing)

        yield from listed(
            gcp,
            project,
            (FIREWALL,),
            lambda: gcp.apis.items(
                "compute", "/compute/v1/projects/{project}/global/firewalls", "items", project=project.id
            ),
            rule,
        )

    def _subnetworks(self, gcp: GcpTarget, project: Project) -> Yield:
        try:
            reply = gcp.apis.pages(
                "compute", "/compute/v1/projects/{project}/aggregated/subnetworks", project=project.id
            )
        except GcpCallError as exc:
            yield exc.to_collection_error((SUBNETWORK,), project.scope(), project.resource)
            return
        for body in reply.body:
            for scoped in (body.get("items") or {}).values():
                for raw in scoped.get("subnetworks", []):
                    region = _last(raw.get("region"))
                    resource = f"{project.resource}/regions/{region}/subnetworks/{raw.get('name', '')}"
                    yield fact(gcp, SUBNETWORK, resource, project.scope(region), pick(raw, _SUBNET_KEYS), reply)
