"""Host firewalls: nftables, ufw, firewalld and persisted iptables rules."""

from __future__ import annotations

import re
import shlex
from typing import Any

from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.files import HostFiles, HostReadError
from annexa.collectors.host.keyvalue import FIREWALLD, SHELL, first_wins, last_wins, read_entries
from annexa.collectors.host.systemd import unit_runs

__all__ = ["FirewallCollector", "nft_chains"]

_NFT_CONFIGS = ("/etc/nftables.conf", "/etc/sysconfig/nftables.conf")
_NFT_INCLUDE = re.compile(r'^\s*include\s+"([^"]+)"', re.MULTILINE)
_NFT_CHAIN = re.compile(r"\bchain\s+([^{};\n]+?)\s*\{")
_MAX_DEPTH = 4
# Statements that neither match nor decide (nft(8) "STATEMENTS"), before a final verdict.
_NFT_PASSIVE = re.compile(
    r'(counter(\s+packets\s+\d+\s+bytes\s+\d+)?|log(\s+(prefix\s+"[^"]*"|level\s+\w+|flags\s+[\w,]+))*)'
)
_NFT_DENY = re.compile(r"(drop|reject(\s+with\s+.+)?)")


def _balanced_body(text: str, start: int) -> str:
    """The text between the `{` just before `start` and its matching `}`."""
    depth = 1
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start:index]
    return text[start:]


def _statements(body: str) -> list[str]:
    """A chain body split at newlines and `;` outside braces (sets, maps, nested blocks)."""
    statements, depth, current = [], 0, []
    for char in body:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and char in "\n;":
            statements.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    statements.append("".join(current).strip())
    return [s for s in statements if s]


def _unconditional_deny(statement: str) -> bool:
    """`drop`, `counter drop`, `log prefix "x" reject with icmp ...`: no match, a deny verdict."""
    words = statement.split()
    for cut in range(len(words)):
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        if (not head or _NFT_PASSIVE.fullmatch(head)) and _NFT_DENY.fullmatch(tail):
            return True
    return False


def nft_chains(text: str) -> list[dict[str, Any]]:
    """Base and regular chains of an nft script: name, hook, policy, and whether the last rule
    is an unconditional drop/reject (which denies by default whatever the policy says)."""
    text = re.sub(r"#[^\n]*", "", text)
    chains = []
    for match in _NFT_CHAIN.finditer(text):
        body = _balanced_body(text, match.end())
        hook = re.search(r"\bhook\s+(\w+)", body)
        policy = re.search(r"\bpolicy\s+(\w+)", body)
        rules = [s for s in _statements(body) if not re.match(r"(type|policy|comment)\b", s)]
        chains.append(
            {
                "chain": match.group(1).split()[-1],
                "hook": hook.group(1) if hook else None,
                "policy": policy.group(1).lower() if policy else None,
                "final_deny": bool(rules) and _unconditional_deny(rules[-1]),
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


def _iptables_unconditional_deny(words: list[str]) -> bool:
    """`-A INPUT [-m comment --comment X] -j DROP|REJECT [--reject-with Y]`: no match, a deny."""
    rest = words[2:]
    if rest[:2] == ["-m", "comment"] and len(rest) >= 4 and rest[2] == "--comment":
        rest = rest[4:]
    if rest[:1] != ["-j"] or rest[1:2] not in (["DROP"], ["REJECT"]):
        return False
    return rest[2:] == [] or (rest[1] == "REJECT" and len(rest) == 4 and rest[2] == "--reject-with")


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
            try:
                last_input = shlex.split(line)
            except ValueError:
                last_input = line.split()
    return policy == "DROP" or (last_input is not None and _iptables_unconditional_deny(last_input))


class FirewallCollector(HostCollector):
    """Host firewalls and whether each starts at boot with inbound traffic denied by default
    (its unit enabled, not masked, its file present and its conditions holding; see
    collectors.host.systemd). nftables: /etc/nftables.conf or /etc/sysconfig/nftables.conf
    (and included files): an `input` hook chain with `policy drop`, or whose last rule is
    an unconditional `drop`/`reject` (as netfilter applies a drop in any input base chain).
    ufw: read as ufw-init sources its files with sh: ENABLED=yes (or YES) in
    /etc/ufw/ufw.conf and DEFAULT_INPUT_POLICY DROP or REJECT in /etc/default/ufw.
    firewalld: DefaultZone from /etc/firewalld/firewalld.conf as firewalld reads it (first
    value wins, `public` when unset); it denies by default unless that zone's target
    (/etc/firewalld/zones or /usr/lib/firewalld/zones) is ACCEPT, as `trusted` is.
    iptables: /etc/iptables/rules.v4 (netfilter-persistent) or /etc/sysconfig/iptables
    (iptables.service): INPUT policy DROP or an unconditional final DROP/REJECT."""

    name = "host.firewall"
    kinds = ("host.firewall",)
    permissions = (
        "read /etc/nftables.conf, /etc/sysconfig/nftables.conf and included files",
        "read /etc/ufw/ufw.conf, /etc/default/ufw",
        "read /etc/firewalld/firewalld.conf, /etc/firewalld/zones/*.xml, /usr/lib/firewalld/zones/*.xml",
        "read /etc/iptables/rules.v4, /etc/sysconfig/iptables",
        "readlink /etc/systemd/system/*.wants/*",
        "read systemd unit files and drop-ins",
    )

    def read(self, files: HostFiles) -> dict[str, Any]:
        firewalls = [self._nftables(files), self._ufw(files), self._firewalld(files), *self._iptables(files)]
        return {
            "firewalls": firewalls,
            "active": [f["name"] for f in firewalls if f["enabled"] is True and f["default_deny_inbound"]],
        }

    def unsettled(self, data: dict[str, Any]) -> str | None:
        if data["active"]:
            return None
        unknown = [f["reason"] for f in data["firewalls"] if f["enabled"] is None and f["default_deny_inbound"]]
        return "; ".join(unknown) if unknown else None

    @staticmethod
    def _nftables(files: HostFiles) -> dict[str, Any]:
        read: list[str] = []
        text = next((t for t in (_nft_read(files, p, read) for p in _NFT_CONFIGS) if t), "")
        chains = nft_chains(text)
        run = unit_runs(files, "nftables.service")
        return {
            "name": "nftables",
            "installed": bool(read),
            "config_files": read,
            "enabled": run.runs if read else False,
            "reason": run.reason,
            "chains": chains,
            "default_deny_inbound": any(
                c["hook"] == "input" and (c["policy"] == "drop" or c["final_deny"]) for c in chains
            ),
        }

    @staticmethod
    def _ufw(files: HostFiles) -> dict[str, Any]:
        conf = files.read_text("/etc/ufw/ufw.conf")
        defaults = files.read_text("/etc/default/ufw")
        # ufw-init-functions sources /etc/default/ufw, then /etc/ufw/ufw.conf.
        values = last_wins(read_entries(f"{defaults or ''}\n{conf or ''}", SHELL))
        switched_on = values["ENABLED"].value in ("yes", "YES") if "ENABLED" in values else False
        policy = values["DEFAULT_INPUT_POLICY"].value if "DEFAULT_INPUT_POLICY" in values else None
        run = unit_runs(files, "ufw.service")
        return {
            "name": "ufw",
            "installed": conf is not None,
            "enabled": run.runs if switched_on else False,
            "reason": run.reason if switched_on else "ENABLED is not yes in /etc/ufw/ufw.conf",
            "ufw_conf_enabled": switched_on,
            "default_input_policy": policy,
            "default_deny_inbound": policy in ("DROP", "REJECT"),
        }

    @staticmethod
    def _firewalld(files: HostFiles) -> dict[str, Any]:
        conf = files.read_text("/etc/firewalld/firewalld.conf")
        installed = conf is not None or files.exists("/usr/sbin/firewalld")
        settings = first_wins(read_entries(conf or "", FIREWALLD))
        zone = settings["DefaultZone"].value if "DefaultZone" in settings else "public"
        zone_xml = None
        if "/" not in zone:
            zone_xml = files.read_text(f"/etc/firewalld/zones/{zone}.xml")
            if zone_xml is None:
                zone_xml = files.read_text(f"/usr/lib/firewalld/zones/{zone}.xml")
        accepts = zone == "trusted" or bool(zone_xml and re.search(r'<zone[^>]*\btarget="ACCEPT"', zone_xml))
        run = unit_runs(files, "firewalld.service", aliases=("dbus-org.fedoraproject.FirewallD1.service",))
        return {
            "name": "firewalld",
            "installed": installed,
            "enabled": run.runs if installed else False,
            "reason": run.reason,
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
            run = unit_runs(files, unit)
            found.append(
                {
                    "name": name,
                    "installed": text is not None,
                    "config_files": [path] if text is not None else [],
                    "enabled": run.runs if text is not None else False,
                    "reason": run.reason,
                    "rule_count": sum(1 for line in (text or "").splitlines() if line.startswith("-A ")),
                    "default_deny_inbound": _iptables_default_deny(text or ""),
                }
            )
        return found
