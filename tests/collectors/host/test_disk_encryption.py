"""Disk encryption: honest true/false/null from crypttab, fstab and LVM metadata."""

from __future__ import annotations

import jmespath

from annexa.collectors.host.disk_encryption import DiskEncryptionCollector

_CRYPTTAB = "# name device key options\ncryptroot UUID=1111 none luks\ncrypthome /dev/sdb1 /etc/keys/home.key luks\n"


def test_root_directly_on_a_crypttab_mapping(tree, fact_data, host_rules):
    root = tree(
        {
            "/etc/crypttab": _CRYPTTAB,
            "/etc/fstab": (
                "/dev/mapper/cryptroot / ext4 defaults 0 1\n"
                "/dev/mapper/crypthome /home ext4 defaults 0 2\n"
                "UUID=2222 /boot ext4 defaults 0 2\n"
            ),
        }
    )
    data = fact_data(DiskEncryptionCollector, root)
    assert data["encrypted_root"] is True and data["detectable"] and data["root_device"] == "/dev/mapper/cryptroot"
    assert [m["encrypted"] for m in data["mounts"]] == [True, True, None]
    assert data["crypttab"][1] == {"name": "crypthome", "device": "/dev/sdb1", "keyfile": True, "options": ["luks"]}
    assert jmespath.search(host_rules["host.disk-encryption.root"]["expect"], data)


def test_no_fstab_cannot_be_told_and_the_rule_does_not_pass(tree, fact_data, host_rules):
    data = fact_data(DiskEncryptionCollector, tree({"/etc/hostname": "container"}))
    assert data["encrypted_root"] is None and data["detectable"] is False and data["reason"] == "no /etc/fstab"
    assert not jmespath.search(host_rules["host.disk-encryption.root"]["expect"], data)


def test_uuid_root_with_crypttab_entries_is_unknown_without_probing(tree, fact_data):
    data = fact_data(
        DiskEncryptionCollector, tree({"/etc/crypttab": _CRYPTTAB, "/etc/fstab": "UUID=abcd / ext4 defaults 0 1\n"})
    )
    assert data["encrypted_root"] is None


def test_uuid_root_without_any_crypttab_mapping_is_unencrypted(tree, fact_data):
    data = fact_data(DiskEncryptionCollector, tree({"/etc/fstab": "UUID=abcd / ext4 defaults 0 1\n"}))
    assert data["encrypted_root"] is False and data["reason"] == "no crypttab mappings exist"


def test_lvm_root_judged_from_metadata_backup(tree, fact_data):
    backup = 'vg {\n physical_volumes {\n  pv0 {\n   device = "/dev/sda2"\t# Hint only\n  }\n }\n}\n'
    files = {"/etc/crypttab": _CRYPTTAB, "/etc/fstab": "/dev/my--vg/root / ext4 defaults 0 1\n"}
    assert fact_data(DiskEncryptionCollector, tree(files))["encrypted_root"] is None  # no backup: unknown
    data = fact_data(DiskEncryptionCollector, tree({**files, "/etc/lvm/backup/my--vg": backup}))
    assert data["encrypted_root"] is False and "unencrypted physical volumes" in data["reason"]


def test_lvm_mapper_name_with_doubled_dashes(tree, fact_data):
    backup = 'data-vg {\n physical_volumes {\n  pv0 {\n   device = "/dev/mapper/cryptroot"\n  }\n }\n}\n'
    root = tree(
        {
            "/etc/crypttab": _CRYPTTAB,
            "/etc/fstab": "/dev/mapper/data--vg-root / ext4 defaults 0 1\n",
            "/etc/lvm/backup/data-vg": backup,
        }
    )
    assert fact_data(DiskEncryptionCollector, root)["encrypted_root"] is True
