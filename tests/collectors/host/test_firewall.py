"""Firewalls: Debian 12's nftables, ufw and firewalld files, rules that deny by default, boot enablement."""

from __future__ import annotations

import pytest

from annexa.collectors.host.firewall import FirewallCollector, nft_chains

SYSINIT = "/etc/systemd/system/sysinit.target.wants"
WANTS = "/etc/systemd/system/multi-user.target.wants"


def _firewall(data: dict, name: str) -> dict:
    return next(f for f in data["firewalls"] if f["name"] == name)


def test_debian_packages_as_installed_deny_nothing(debian12, fact_data):
    """nftables.conf has input chains without a policy (accept) and is not enabled on a fresh
    install; ufw ships DEFAULT_INPUT_POLICY="DROP" but ENABLED=no."""
    data = fact_data(FirewallCollector, debian12("nftables", "ufw"))
    nft, ufw = _firewall(data, "nftables"), _firewall(data, "ufw")
    assert nft["installed"] and nft["enabled"] is False and nft["default_deny_inbound"] is False
    assert ufw["default_input_policy"] == "DROP" and ufw["ufw_conf_enabled"] is False and ufw["enabled"] is False
    assert data["active"] == []


def test_ufw_enabled_as_ufw_init_reads_it(debian12, fact_data):
    root = debian12("ufw", files={"/etc/ufw/ufw.conf": "ENABLED=yes # after `ufw enable`\nLOGLEVEL=low\n"})
    assert fact_data(FirewallCollector, root)["active"] == ["ufw"]
    # ufw-init compares with `[ "$ENABLED" = "yes" ] || [ "$ENABLED" = "YES" ]`.
    mixed = debian12("ufw", files={"/etc/ufw/ufw.conf": "ENABLED=Yes\n"})
    assert fact_data(FirewallCollector, mixed)["active"] == []


@pytest.mark.parametrize(
    ("input_chain", "denies"),
    [
        ("type filter hook input priority filter;\n\t\ttcp dport 22 accept\n\t\tdrop", True),
        ("type filter hook input priority filter; policy accept;\n\t\ttcp dport 22 accept\n\t\tcounter drop", True),
        ('type filter hook input priority filter;\n\t\tlog prefix "in: " reject with icmpx admin-prohibited', True),
        ("type filter hook input priority filter; policy drop;\n\t\ttcp dport 22 accept", True),
        ("type filter hook input priority filter;\n\t\tdrop\n\t\ttcp dport 22 accept", False),
        ("type filter hook input priority filter;\n\t\tip saddr 192.0.2.0/24 drop", False),
        ("type filter hook input priority filter;\n\t\ttcp dport { 22, 80 } accept", False),
    ],
)
def test_nftables_input_chain_default_deny(debian12, fact_data, input_chain, denies):
    """Debian's /etc/nftables.conf with its input chain's body replaced; enabled as `systemctl enable nftables` does."""
    root = debian12("nftables", links={f"{SYSINIT}/nftables.service": "/lib/systemd/system/nftables.service"})
    path = root / "etc/nftables.conf"
    path.write_text(path.read_text().replace("type filter hook input priority filter;", input_chain, 1))
    data = fact_data(FirewallCollector, root)
    assert _firewall(data, "nftables")["default_deny_inbound"] is denies
    assert data["active"] == (["nftables"] if denies else [])


def test_nft_chains_handle_nested_sets_and_comments():
    text = (
        "table inet filter {\n"
        "  chain input { # policy accept in a comment\n"
        "    type filter hook input priority 0; policy drop;\n"
        "    tcp dport { 22, 443 } accept\n"
        "  }\n"
        "  chain allow_admin { ip saddr 10.0.0.0/8 accept }\n"
        "}\n"
    )
    assert nft_chains(text) == [
        {"chain": "input", "hook": "input", "policy": "drop", "final_deny": False},
        {"chain": "allow_admin", "hook": None, "policy": None, "final_deny": False},
    ]


def test_firewalld_default_zone_first_value_wins(debian12, fact_data):
    data = fact_data(FirewallCollector, debian12("firewalld"))
    firewalld = _firewall(data, "firewalld")
    assert firewalld["default_zone"] == "public" and firewalld["enabled"] and data["active"] == ["firewalld"]
    conf = "DefaultZone=trusted\nDefaultZone=public\n"  # firewalld logs the duplicate and keeps the first
    trusted = fact_data(FirewallCollector, debian12("firewalld", files={"/etc/firewalld/firewalld.conf": conf}))
    assert _firewall(trusted, "firewalld")["default_zone"] == "trusted" and trusted["active"] == []


def test_iptables_final_unconditional_reject_counts_as_default_deny(debian12, fact_data):
    rules = (
        "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n"
        '-A INPUT -m comment --comment "default deny" -j REJECT --reject-with icmp-host-prohibited\nCOMMIT\n'
    )
    unit = "[Unit]\nDescription=netfilter persistent configuration\n[Install]\nWantedBy=multi-user.target\n"
    root = debian12(
        "iptables-persistent",
        files={"/etc/iptables/rules.v4": rules, "/lib/systemd/system/netfilter-persistent.service": unit},
        links={f"{WANTS}/netfilter-persistent.service": "/lib/systemd/system/netfilter-persistent.service"},
    )
    data = fact_data(FirewallCollector, root)
    assert _firewall(data, "iptables-persistent")["default_deny_inbound"] and data["active"] == ["iptables-persistent"]
