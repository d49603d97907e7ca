"""Disk encryption: honest true/false/null from crypttab, fstab and LVM metadata."""

from __future__ import annotations

import jmespath

from annexa.collectors.host.disk_encryption import DiskEncryptionCollector
from annexa.model import CollectionError, Fact

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


def _undetermined(items) -> tuple[dict, CollectionError]:
    """The fact is kept as evidence, and an error for the host makes the rule `error` with the reason."""
    fact, error = items
    assert isinstance(fact, Fact) and isinstance(error, CollectionError)
    assert error.code == "undetermined" and error.resource == fact.resource and error.kinds == (fact.kind,)
    assert fact.data["encrypted_root"] is None and fact.data["detectable"] is False
    assert error.message.endswith(fact.data["reason"])
    return fact.data, error


def test_no_fstab_cannot_be_told_and_is_an_error_not_a_fail(tree, collect):
    data, _ = _undetermined(collect(DiskEncryptionCollector, tree({"/etc/hostname": "container"})))
    assert data["reason"] == "no /etc/fstab"


def test_uuid_root_with_crypttab_entries_is_an_error_without_probing(tree, collect):
    files = {"/etc/crypttab": _CRYPTTAB, "/etc/fstab": "UUID=abcd / ext4 defaults 0 1\n"}
    data, error = _undetermined(collect(DiskEncryptionCollector, tree(files)))
    assert "cannot be matched to crypttab without probing" in error.message


def test_ubuntu_luks_on_lvm_root_named_by_dm_uuid_is_encrypted(fact_data, fixtures_dir, host_rules):
    """fixtures/hardened: the fstab curtin writes (root by /dev/disk/by-id/dm-uuid-LVM-<vg id><lv id>),
    its crypttab, and the LVM metadata backup whose ids those are."""
    data = fact_data(DiskEncryptionCollector, fixtures_dir / "hardened")
    assert data["root_device"].startswith("/dev/disk/by-id/dm-uuid-LVM-M2cqwVXBkOrJx8Sgzq9X22zuIukgGpm3")
    assert data["encrypted_root"] is True and data["reason"] == "LVM volume group ubuntu-vg on crypttab mappings"
    assert jmespath.search(host_rules["host.disk-encryption.root"]["expect"], data)


def test_dm_uuid_root_without_matching_lvm_metadata_is_an_error(tree, collect):
    device = "/dev/disk/by-id/dm-uuid-LVM-" + "A" * 64
    files = {"/etc/crypttab": _CRYPTTAB, "/etc/fstab": f"{device} / ext4 defaults 0 1\n"}
    _, error = _undetermined(collect(DiskEncryptionCollector, tree(files)))
    assert "no LVM metadata backup in /etc/lvm/backup has these volume ids" in error.message


def test_dm_name_root_is_read_as_an_lvm_name(tree, fact_data):
    backup = 'vg0 {\n physical_volumes {\n  pv0 {\n   device = "/dev/mapper/cryptroot"\n  }\n }\n}\n'
    files = {
        "/etc/crypttab": _CRYPTTAB,
        "/etc/fstab": "/dev/disk/by-id/dm-name-vg0-root / ext4 defaults 0 1\n",
        "/etc/lvm/backup/vg0": backup,
    }
    assert fact_data(DiskEncryptionCollector, tree(files))["encrypted_root"] is True


def test_uuid_root_without_any_crypttab_mapping_is_unencrypted(tree, fact_data):
    data = fact_data(DiskEncryptionCollector, tree({"/etc/fstab": "UUID=abcd / ext4 defaults 0 1\n"}))
    assert data["encrypted_root"] is False and data["reason"] == "no crypttab mappings exist"


def test_lvm_root_judged_from_metadata_backup(tree, collect, fact_data):
    backup = 'vg {\n physical_volumes {\n  pv0 {\n   device = "/dev/sda2"\t# Hint only\n  }\n }\n}\n'
    files = {"/etc/crypttab": _CRYPTTAB, "/etc/fstab": "/dev/my--vg/root / ext4 defaults 0 1\n"}
    _undetermined(collect(DiskEncryptionCollector, tree(files)))  # no backup: unknown
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
