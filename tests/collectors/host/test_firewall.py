"""Firewalls: nftables chains and includes, ufw, firewalld zones, iptables rules."""

from __future__ import annotations

from annexa.collectors.host.firewall import FirewallCollector, nft_chains

_WANTS = "/etc/systemd/system/multi-user.target.wants"


def _firewall(data: dict, name: str) -> dict:
    return next(f for f in data["firewalls"] if f["name"] == name)


def test_nft_chains_handle_nested_sets_and_comments():
    text = (
        "table inet filter {\n"
        "  chain input { # policy accept in a comment\n"
        "    type filter hook input priority 0; policy drop;\n"
        "    tcp dport { 22, 443 } accept\n"
        "  }\n"
        "  chain allow_admin { ip saddr 10.0.0.0/8 accept }\n"
        "}\n"
        "add chain ip nat postrouting { type nat hook postrouting priority 100; policy accept; }\n"
    )
    assert nft_chains(text) == [
        {"chain": "input", "hook": "input", "policy": "drop"},
        {"chain": "allow_admin", "hook": None, "policy": None},
        {"chain": "postrouting", "hook": "postrouting", "policy": "accept"},
    ]


def test_nftables_rhel_layout_with_include(tree, fact_data):
    root = tree(
        {
            "/etc/sysconfig/nftables.conf": 'include "/etc/nftables/main.nft"\n',
            "/etc/nftables/main.nft": "table inet f { chain in { type filter hook input priority 0; policy drop; } }\n",
        },
        links={f"{_WANTS}/nftables.service": "/usr/lib/systemd/system/nftables.service"},
    )
    data = fact_data(FirewallCollector, root)
    nft = _firewall(data, "nftables")
    assert nft["config_files"] == ["/etc/sysconfig/nftables.conf", "/etc/nftables/main.nft"]
    assert nft["default_deny_inbound"] and data["active"] == ["nftables"]


def test_ufw_needs_enabled_yes_and_its_service(tree, fact_data):
    files = {
        "/etc/ufw/ufw.conf": "# comment\nENABLED=yes\nLOGLEVEL=low\n",
        "/etc/default/ufw": 'DEFAULT_INPUT_POLICY="DROP"\n',
    }
    assert fact_data(FirewallCollector, tree(files))["active"] == []  # ufw.service not enabled
    root = tree(files, links={f"{_WANTS}/ufw.service": "/lib/systemd/system/ufw.service"})
    ufw = _firewall(fact_data(FirewallCollector, root), "ufw")
    assert ufw["enabled"] and ufw["default_input_policy"] == "DROP" and ufw["default_deny_inbound"]


def test_firewalld_zone_with_accept_target_does_not_deny(tree, fact_data):
    root = tree(
        {
            "/etc/firewalld/firewalld.conf": "DefaultZone=office\n",
            "/etc/firewalld/zones/office.xml": '<?xml version="1.0"?>\n<zone target="ACCEPT"><short>Office</short></zone>\n',
        },
        links={
            "/etc/systemd/system/dbus-org.fedoraproject.FirewallD1.service": "/usr/lib/systemd/system/firewalld.service"
        },
    )
    firewalld = _firewall(fact_data(FirewallCollector, root), "firewalld")
    assert firewalld["enabled"] and firewalld["default_zone"] == "office"
    assert firewalld["default_deny_inbound"] is False


def test_firewalld_default_public_zone_denies(tree, fact_data):
    root = tree(
        {"/usr/sbin/firewalld": ""}, links={f"{_WANTS}/firewalld.service": "/usr/lib/systemd/system/firewalld.service"}
    )
    data = fact_data(FirewallCollector, root)
    assert _firewall(data, "firewalld")["default_zone"] == "public" and data["active"] == ["firewalld"]


def test_iptables_final_unconditional_drop_counts_as_default_deny(tree, fact_data):
    rules = (
        "*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n"
        "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -j REJECT\nCOMMIT\n"
    )
    root = tree(
        {"/etc/sysconfig/iptables": rules},
        links={f"{_WANTS}/iptables.service": "/usr/lib/systemd/system/iptables.service"},
    )
    data = fact_data(FirewallCollector, root)
    iptables = _firewall(data, "iptables-services")
    assert iptables["rule_count"] == 2 and iptables["default_deny_inbound"]
    assert data["active"] == ["iptables-services"]
