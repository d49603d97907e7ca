"""Network security group rules, evaluated the way Azure does: per port, the inbound rule
with the lowest priority number that matches decides, so a higher-priority deny closes a
port that a later allow opens."""

from __future__ import annotations

from typing import Any

__all__ = ["INTERNET_SOURCES", "WATCHED_PORTS", "normalise_rules", "open_to_internet_ports"]

# Remote administration (SSH, RDP, WinRM) and databases/caches/search that must never face the internet.
WATCHED_PORTS = (22, 3389, 5985, 5986, 1433, 3306, 5432, 1521, 27017, 6379, 9200)
INTERNET_SOURCES = frozenset({"*", "internet", "any", "0.0.0.0/0", "0.0.0.0", "::/0"})
_PORT_PROTOCOLS = frozenset({"tcp", "udp", "*", "any"})


def _listed(properties: dict[str, Any], single: str, plural: str) -> list[str]:
    values = [str(v) for v in properties.get(plural) or []]
    if properties.get(single):
        values.append(str(properties[single]))
    return sorted(set(values))


def normalise_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Security rules (custom and default) as name, direction, access, priority, protocol,
    sources and destination ports, sorted by priority."""
    out = []
    for rule in rules:
        p = rule.get("properties") or {}
        out.append(
            {
                "name": rule.get("name"),
                "direction": p.get("direction"),
                "access": p.get("access"),
                "priority": p.get("priority"),
                "protocol": p.get("protocol"),
                "sources": _listed(p, "sourceAddressPrefix", "sourceAddressPrefixes"),
                "ports": _listed(p, "destinationPortRange", "destinationPortRanges"),
            }
        )
    return sorted(
        out, key=lambda r: (str(r["direction"]), r["priority"] if isinstance(r["priority"], int) else 1 << 30)
    )


def _covers(ports: list[str], port: int) -> bool:
    for item in ports:
        if item == "*":
            return True
        low, _, high = item.partition("-")
        try:
            if int(low) <= port <= int(high or low):
                return True
        except ValueError:
            continue
    return False


def open_to_internet_ports(rules: list[dict[str, Any]]) -> list[int]:
    """Watched ports whose deciding inbound rule for internet traffic is an Allow."""
    inbound = [
        r
        for r in rules
        if str(r["direction"]).lower() == "inbound"
        and str(r["protocol"]).lower() in _PORT_PROTOCOLS
        and any(source.lower() in INTERNET_SOURCES for source in r["sources"])
    ]
    open_ports = []
    for port in WATCHED_PORTS:
        deciding = next((r for r in inbound if _covers(r["ports"], port)), None)
        if deciding is not None and str(deciding["access"]).lower() == "allow":
            open_ports.append(port)
    return open_ports
