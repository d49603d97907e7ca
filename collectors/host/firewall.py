"""Host firewalls: nftables, ufw, firewalld and persisted iptables rules."""

from __future__ import annotations

import re
from typing import Any

from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.files import HostFiles, HostReadError
from annexa.collectors.host.login_defs import parse_key_values
from annexa.collectors.host.systemd import unit_enabled

__all__ = ["FirewallCollector", "nft_chains"]

_NFT_CONFIGS = ("/etc/nftables.conf", "/etc/sysconfig/nftables.conf")
_NFT_INCLUDE = re.compile(r'^\s*include\s+"([^"]+)"', re.MULTILINE)
_NFT_CHAIN = re.compile(r"\bchain\s+([^{};\n]+?)\s*\{")
_MAX_DEPTH = 4


def _balanced_body(text: str, start: int) -> str:
    """The text between the `{` just before `start` and its matching `}`."""
    depth = 1
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start:index]
    return text[start:]


def nft_chains(text: str) -> list[dict[str, Any]]:
    """Base and regular chains of an nft script: name, hook and policy."""
    text = re.sub(r"#[^\n]*", "", text)
    chains = []
    for match in _NFT_CHAIN.finditer(text):
        body = _balanced_body(text, match.end())
        hook = re.search(r"\bhook\s+(\w+)", body)
        policy = re.search(r"\bpolicy\s+(\w+)", body)
        chains.append(
            {
                "chain": match.group(1).split()[-1],
                "hook": hook.group(1) if hook else None,
                "policy": policy.group(1).lower() if policy else None,
            }
        )
    return chains


def _nft_read(files: HostFiles, path: str, read: list[str], depth: int = 0) -> str:
    if depth > _MAX_DEPTH:
        raise HostReadError(path, "include nested too deeply", "include_depth")
    text = files.read_text(path)
    if text is None:
        return ""
    read.append(path)
    parts = [text]
    for pattern in _NFT_INCLUDE.findall(text):
        absolute = pattern if pattern.startswith("/") else f"/etc/{pattern}"
        parts.extend(_nft_read(files, included, read, depth + 1) for included in files.glob(absolute))
    return "\n".join(parts)


def _iptables_default_deny(text: str) -> bool:
    """INPUT policy DROP in the filter table, or a final unconditional DROP/REJECT."""
    table, policy, last_input = None, None, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("*"):
            table = line[1:]
        elif table == "filter" and line.startswith(":INPUT"):
            policy = line.split()[1].upper()
        elif table == "filter" and line.startswith("-A INPUT"):
            last_input = line.split()
    return policy == "DROP" or last_input in (["-A", "INPUT", "-j", "DROP"], ["-A", "INPUT", "-j", "REJECT"])


class FirewallCollector(HostCollector):
    """Host firewalls and whether each is enabled at boot with inbound traffic
    denied by default. nftables: /etc/nftables.conf or /etc/sysconfig/nftables.conf
    (and included files), an `input` hook chain with `policy drop`, nftables.service
    enabled. ufw: ENABLED=yes in /etc/ufw/ufw.conf, DEFAULT_INPUT_POLICY in
    /etc/default/ufw, ufw.service enabled. firewalld: firewalld.service enabled,
    DefaultZone from /etc/firewalld/firewalld.conf (denies by default unless that
    zone's target is ACCEPT, as `trusted` is). iptables: /etc/iptables/rules.v4
    (netfilter-persistent) or /etc/sysconfig/iptables (iptables.service)."""

    name = "host.firewall"
    kinds = ("host.firewall",)
    permissions = (
        "read /etc/nftables.conf, /etc/sysconfig/nftables.conf and included files",
        "read /etc/ufw/ufw.conf, /etc/default/ufw",
        "read /etc/firewalld/firewalld.conf, /etc/firewalld/zones/*.xml",
        "read /etc/iptables/rules.v4, /etc/sysconfig/iptables",
        "readlink /etc/systemd/system/*.wants/*",
    )

    def read(self, files: HostFiles) -> dict[str, Any]:
        firewalls = [self._nftables(files), self._ufw(files), self._firewalld(files), *self._iptables(files)]
        return {
            "firewalls": firewalls,
            "active": [f["name"] for f in firewalls if f["enabled"] and f["default_deny_inbound"]],
        }

    @staticmethod
    def _nftables(files: HostFiles) -> dict[str, Any]:
        read: list[str] = []
        text = next((t for t in (_nft_read(files, p, read) for p in _NFT_CONFIGS) if t), "")
        chains = nft_chains(text)
        return {
            "name": "nftables",
            "installed": bool(read),
            "config_files": read,
            "enabled": bool(read) and unit_enabled(files, "nftables.service"),
            "chains": chains,
            "default_deny_inbound": any(c["hook"] == "input" and c["policy"] == "drop" for c in chains),
        }

    @staticmethod
    def _ufw(files: HostFiles) -> dict[str, Any]:
        conf = files.read_text("/etc/ufw/ufw.conf")
        defaults = files.read_text("/etc/default/ufw")
        switched_on = parse_key_values(conf or "", separator="=").get("ENABLED", "no").lower() == "yes"
        policy = parse_key_values(defaults or "", separator="=").get("DEFAULT_INPUT_POLICY")
        return {
            "name": "ufw",
            "installed": conf is not None,
            "enabled": switched_on and unit_enabled(files, "ufw.service"),
            "ufw_conf_enabled": switched_on,
            "default_input_policy": policy.upper() if policy else None,
            "default_deny_inbound": (policy or "").upper() in ("DROP", "REJECT"),
        }

    @staticmethod
    def _firewalld(files: HostFiles) -> dict[str, Any]:
        conf = files.read_text("/etc/firewalld/firewalld.conf")
        installed = conf is not None or files.exists("/usr/sbin/firewalld")
        zone = parse_key_values(conf or "", separator="=").get("DefaultZone") or "public"
        zone_xml = files.read_text(f"/etc/firewalld/zones/{zone}.xml") if "/" not in zone else None
        accepts = zone == "trusted" or bool(zone_xml and re.search(r'<zone[^>]*\btarget="ACCEPT"', zone_xml))
        return {
            "name": "firewalld",
            "installed": installed,
            "enabled": installed
            and unit_enabled(files, "firewalld.service", aliases=("dbus-org.fedoraproject.FirewallD1.service",)),
            "default_zone": zone if installed else None,
            "default_deny_inbound": installed and not accepts,
        }

    @staticmethod
    def _iptables(files: HostFiles) -> list[dict[str, Any]]:
        found = []
        for name, path, unit in (
            ("iptables-persistent", "/etc/iptables/rules.v4", "netfilter-persistent.service"),
            ("iptables-services", "/etc/sysconfig/iptables", "iptables.service"),
        ):
            text = files.read_text(path)
            found.append(
                {
                    "name": name,
                    "installed": text is not None,
                    "config_files": [path] if text is not None else [],
                    "enabled": text is not None and unit_enabled(files, unit),
                    "rule_count": sum(1 for line in (text or "").splitlines() if line.startswith("-A ")),
                    "default_deny_inbound": _iptables_default_deny(text or ""),
                }
            )
        return found
