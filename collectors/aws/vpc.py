"""VPC networking: VPCs (default or not, in use, flow logs), subnets (public or not) and network ACLs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.ingress import WORLD_CIDRS, open_to_world_ports
from annexa.collectors.aws.session import AwsAccount, paginate, tag_dict
from annexa.model import CollectionError, Fact

VPC = "aws.vpc.vpc"
SUBNET = "aws.vpc.subnet"
NETWORK_ACL = "aws.vpc.network_acl"
_LISTS = (
    ("describe_vpcs", "Vpcs"),
    ("describe_subnets", "Subnets"),
    ("describe_network_acls", "NetworkAcls"),
    ("describe_route_tables", "RouteTables"),
    ("describe_flow_logs", "FlowLogs"),
    ("describe_network_interfaces", "NetworkInterfaces"),
)


class VpcCollector(AwsCollector):
    """Network segregation evidence (A.8.20, A.8.21, A.8.22) for each configured region.

    Six region-wide listings, no per-resource calls.

    - `aws.vpc.vpc` (VPC ARN): `vpc_id`, `cidr`, `is_default`, `network_interfaces`
      (how many ENIs live in it: a default VPC in use has some), `flow_logs` (id,
      status, traffic type, destination type) and `tags`.
    - `aws.vpc.subnet` (subnet ARN): `subnet_id`, `vpc_id`, `cidr`, `map_public_ip_on_launch`,
      `internet_route` (its route table, or the VPC's main one, sends 0.0.0.0/0 or ::/0
      to an internet gateway) and `tags`.
    - `aws.vpc.network_acl` (network ACL ARN): `network_acl_id`, `vpc_id`, `is_default`,
      `ingress` (inbound entries in rule order: number, action, protocol, ports, CIDR) and
      `open_to_world_ports` (watched admin/database ports an allow entry admits from the
      internet before any deny for them).
    """

    name = "aws.vpc"
    kinds = (VPC, SUBNET, NETWORK_ACL)
    permissions = tuple(f"ec2:{m.title().replace('_', '')}" for m, _ in _LISTS)

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        ec2 = account.client("ec2", region)
        listed: dict[str, list[dict[str, Any]]] = {}
        pages = 0
        try:
            for method, key in _LISTS:
                listed[key], read = paginate(ec2, method, key)
                pages += read
        except AwsCallError as exc:
            yield exc.to_collection_error(self.kinds, account.scope(region))
            return
        source = account.source(self.permissions, ec2, pages)
        arn = f"arn:{account.partition}:ec2:{region}:{account.account_id}:{{}}".format
        enis: dict[str, int] = {}
        for eni in listed["NetworkInterfaces"]:
            enis[eni.get("VpcId", "")] = enis.get(eni.get("VpcId", ""), 0) + 1
        for vpc in listed["Vpcs"]:
            flow_logs = [
                {
                    "id": f["FlowLogId"],
                    "status": f.get("FlowLogStatus"),
                    "traffic_type": f.get("TrafficType"),
                    "destination_type": f.get("LogDestinationType"),
                }
                for f in listed["FlowLogs"]
                if f.get("ResourceId") == vpc["VpcId"]
            ]
            data = {
                "vpc_id": vpc["VpcId"],
                "cidr": vpc.get("CidrBlock"),
                "is_default": bool(vpc.get("IsDefault")),
                "network_interfaces": enis.get(vpc["VpcId"], 0),
                "flow_logs": flow_logs,
                "tags": tag_dict(vpc.get("Tags")),
            }
            yield Fact(VPC, arn(f"vpc/{vpc['VpcId']}"), account.scope(region), data, source)
        public = _subnets_with_internet_route(listed["RouteTables"], listed["Subnets"])
        for subnet in listed["Subnets"]:
            data = {
                "subnet_id": subnet["SubnetId"],
                "vpc_id": subnet.get("VpcId"),
                "cidr": subnet.get("CidrBlock"),
                "map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch")),
                "internet_route": subnet["SubnetId"] in public,
                "tags": tag_dict(subnet.get("Tags")),
            }
            yield Fact(SUBNET, arn(f"subnet/{subnet['SubnetId']}"), account.scope(region), data, source)
        for acl in listed["NetworkAcls"]:
            ingress = sorted(
                (_entry(e) for e in acl.get("Entries", []) if not e.get("Egress")), key=lambda e: e["rule"]
            )
            data = {
                "network_acl_id": acl["NetworkAclId"],
                "vpc_id": acl.get("VpcId"),
                "is_default": bool(acl.get("IsDefault")),
                "ingress": ingress,
                "open_to_world_ports": _acl_open_ports(ingress),
            }
            yield Fact(NETWORK_ACL, arn(f"network-acl/{acl['NetworkAclId']}"), account.scope(region), data, source)


def _subnets_with_internet_route(tables: list[dict[str, Any]], subnets: list[dict[str, Any]]) -> set[str]:
    def to_internet(table: dict[str, Any]) -> bool:
        return any(
            str(r.get("GatewayId", "")).startswith("igw-")
            and (r.get("DestinationCidrBlock") in WORLD_CIDRS or r.get("DestinationIpv6CidrBlock") in WORLD_CIDRS)
            for r in table.get("Routes", [])
        )

    explicit = {a["SubnetId"]: t for t in tables for a in t.get("Associations", []) if a.get("SubnetId")}
    main = {t.get("VpcId"): t for t in tables for a in t.get("Associations", []) if a.get("Main")}
    public = set()
    for subnet in subnets:
        table = explicit.get(subnet["SubnetId"]) or main.get(subnet.get("VpcId"))
        if table is not None and to_internet(table):
            public.add(subnet["SubnetId"])
    return public


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    ports = entry.get("PortRange") or {}
    protocol = str(entry.get("Protocol", ""))
    return {
        "rule": entry.get("RuleNumber"),
        "action": entry.get("RuleAction"),
        "protocol": "all" if protocol == "-1" else protocol,
        "from_port": ports.get("From"),
        "to_port": ports.get("To"),
        "cidr": entry.get("CidrBlock") or entry.get("Ipv6CidrBlock"),
    }


def _acl_open_ports(ingress: list[dict[str, Any]]) -> list[int]:
    """NACL entries apply in rule order, first match wins: a port is open if an allow precedes any deny."""
    decided: dict[int, bool] = {}
    for entry in ingress:
        if entry["cidr"] not in WORLD_CIDRS:
            continue
        # Reuse the security-group port logic on a one-rule list; "6" is TCP, "17" UDP.
        rule = {
            "protocol": entry["protocol"],
            "from_port": entry["from_port"],
            "to_port": entry["to_port"],
            "cidrs_v4": [entry["cidr"]],
            "cidrs_v6": [],
        }
        for port in open_to_world_ports([rule]):
            decided.setdefault(port, entry["action"] == "allow")
    return sorted(port for port, allowed in decided.items() if allowed)
