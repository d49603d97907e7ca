"""Security group ingress rules, normalised so a rule can ask "is port N open to the world?"."""

from __future__ import annotations

from typing import Any

__all__ = ["WATCHED_PORTS", "WORLD_CIDRS", "normalise_permissions", "open_to_world_ports"]

# Remote administration (22 SSH, 3389 RDP) and database/search/cache ports (MySQL, PostgreSQL,
# SQL Server, Oracle, MongoDB, Redis, Elasticsearch) that must never face the internet.
WATCHED_PORTS = (22, 3389, 3306, 5432, 1433, 1521, 27017, 6379, 9200)
WORLD_CIDRS = ("0.0.0.0/0", "::/0")
_ALL_PROTOCOLS = "-1"
_PORT_PROTOCOLS = {"tcp", "udp", "6", "17"}


def normalise_permissions(permissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each IpPermission as protocol, port range (null = all ports) and its sources."""
    out = []
    for permission in permissions:
        protocol = str(permission.get("IpProtocol", ""))
        all_ports = protocol == _ALL_PROTOCOLS or "FromPort" not in permission
        out.append(
            {
                "protocol": "all" if protocol == _ALL_PROTOCOLS else protocol,
                "from_port": None if all_ports else permission["FromPort"],
                "to_port": None if all_ports else permission["ToPort"],
                "cidrs_v4": sorted(r["CidrIp"] for r in permission.get("IpRanges", [])),
                "cidrs_v6": sorted(r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])),
                "prefix_lists": sorted(p["PrefixListId"] for p in permission.get("PrefixListIds", [])),
                "security_groups": sorted(
                    g["GroupId"] for g in permission.get("UserIdGroupPairs", []) if "GroupId" in g
                ),
            }
        )
    return out


def _covers(rule: dict[str, Any], port: int) -> bool:
    if rule["protocol"] == "all":
        return True
    if rule["protocol"] not in _PORT_PROTOCOLS:  # ICMP and others have no ports
        return False
    if rule["from_port"] is None or rule["from_port"] == -1:
        return True
    return rule["from_port"] <= port <= rule["to_port"]


def open_to_world_ports(rules: list[dict[str, Any]]) -> list[int]:
    """The watched ports that some rule admits from 0.0.0.0/0 or ::/0, ranges and protocol -1 included."""
    open_ports = set()
    for rule in rules:
        if not any(cidr in WORLD_CIDRS for cidr in rule["cidrs_v4"] + rule["cidrs_v6"]):
            continue
        open_ports.update(port for port in WATCHED_PORTS if _covers(rule, port))
    return sorted(open_ports)
