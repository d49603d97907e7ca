"""Disk encryption as far as configuration files can tell: crypttab, fstab, LVM metadata."""

from __future__ import annotations

import re
from typing import Any

from annexa.collectors.host.collector import HostCollector
from annexa.collectors.host.files import HostFiles

__all__ = ["DiskEncryptionCollector", "parse_table"]

_PLAIN_DISK = re.compile(r"^/dev/(sd|vd|xvd|hd|nvme|mmcblk)[a-z0-9]+$")
_LVM_PV_HINT = re.compile(r'device\s*=\s*"([^"]+)"')
_LVM_ID = re.compile(r'^\s*id\s*=\s*"([^"]+)"', re.MULTILINE)
_BY_LVM_UUID = re.compile(r"^/dev/disk/by-id/dm-uuid-LVM-([A-Za-z0-9]{32})([A-Za-z0-9]{32})$")
_NOT_KEYFILE = ("", "-", "none")


def parse_table(text: str | None, fields: int) -> list[list[str]]:
    """Whitespace-separated lines of fstab(5)/crypttab(5), padded to `fields`."""
    rows = []
    for line in (text or "").splitlines():
        words = line.split("#", 1)[0].split() if not line.lstrip().startswith("#") else []
        if words:
            words = [w.replace("\\040", " ") for w in words]
            rows.append((words + [""] * fields)[:fields])
    return rows


def _lvm_name(device: str) -> tuple[str, str] | None:
    """(vg, lv) of `/dev/mapper/vg-lv` or `/dev/disk/by-id/dm-name-vg-lv` (dashes in names
    doubled) or `/dev/vg/lv`."""
    for prefix in ("/dev/mapper/", "/dev/disk/by-id/dm-name-"):
        if device.startswith(prefix):
            parts = re.split(r"(?<!-)-(?!-)", device[len(prefix) :])
            return (parts[0].replace("--", "-"), parts[1].replace("--", "-")) if len(parts) == 2 else None
    parts = device.split("/")
    if len(parts) == 4 and parts[1] == "dev" and parts[2] not in ("disk", "mapper"):
        return parts[2], parts[3]
    return None


def _lvm_by_uuid(files: HostFiles, device: str) -> tuple[str, str] | None:
    """(vg, lv) of `/dev/disk/by-id/dm-uuid-LVM-<vg uuid><lv uuid>` (what curtin writes in
    fstab on Ubuntu 22.04 and later), found by the ids in /etc/lvm/backup/*."""
    found = _BY_LVM_UUID.match(device)
    if found is None:
        return None
    vg_id, lv_id = found.groups()
    for path in files.glob("/etc/lvm/backup/*"):
        text = files.read_text(path) or ""
        ids = [i.replace("-", "") for i in _LVM_ID.findall(text)]
        if vg_id in ids and lv_id in ids:
            lv = re.search(r'(\S+)\s*\{\s*\n\s*id\s*=\s*"' + "-?".join(lv_id) + '"', text)
            return path.rsplit("/", 1)[-1], lv.group(1) if lv else "?"
    return None


class DiskEncryptionCollector(HostCollector):
    """Disk encryption evidence readable from configuration alone: /etc/crypttab
    mappings, /etc/fstab mounts and the root filesystem's device. A mount counts
    as encrypted when its device is /dev/mapper/<crypttab name>, or an LVM volume
    (/dev/mapper/vg-lv, /dev/vg/lv, /dev/disk/by-id/dm-name-vg-lv, or the
    /dev/disk/by-id/dm-uuid-LVM-<ids> name Ubuntu's installer writes, matched by the ids in
    /etc/lvm/backup) whose physical volumes (device hints in /etc/lvm/backup/<vg>) are all
    crypttab mappings. `encrypted_root` is null (`detectable: false`) when files cannot
    tell, e.g. no /etc/fstab (containers), a root given as UUID= while crypttab has
    entries, or ZFS/overlay roots; `reason` says which case applied, and the rule is then
    `error` with that reason, never `fail`. Volumes encrypted below the OS (cloud provider,
    self-encrypting drives) are invisible here."""

    name = "host.disk_encryption"
    kinds = ("host.disk_encryption",)
    permissions = ("read /etc/crypttab", "read /etc/fstab", "read /etc/lvm/backup/*")

    def read(self, files: HostFiles) -> dict[str, Any]:
        crypttab_text = files.read_text("/etc/crypttab")
        fstab_text = files.read_text("/etc/fstab")
        crypttab: list[dict[str, Any]] = [
            {"name": n, "device": d, "keyfile": k not in _NOT_KEYFILE, "options": [o for o in opts.split(",") if o]}
            for n, d, k, opts in parse_table(crypttab_text, 4)
        ]
        names: set[str] = {entry["name"] for entry in crypttab}
        mounts: list[dict[str, Any]] = []
        for device, mountpoint, fstype, _options in parse_table(fstab_text, 4):
            encrypted, reason = self._classify(files, device, fstype, names)
            mounts.append(
                {"device": device, "mountpoint": mountpoint, "fstype": fstype, "encrypted": encrypted, "reason": reason}
            )
        root = next((m for m in mounts if m["mountpoint"] == "/"), None)
        encrypted_root: bool | None = None
        if root is not None:
            encrypted_root, reason = root["encrypted"], root["reason"]
        else:
            reason = "no /etc/fstab" if fstab_text is None else "no root (/) entry in /etc/fstab"
        return {
            "crypttab_present": crypttab_text is not None,
            "crypttab": crypttab,
            "fstab_present": fstab_text is not None,
            "mounts": mounts,
            "root_device": root["device"] if root else None,
            "encrypted_root": encrypted_root,
            "detectable": encrypted_root is not None,
            "reason": reason,
        }

    def unsettled(self, data: dict[str, Any]) -> str | None:
        if data["encrypted_root"] is not None:
            return None
        return f"files cannot tell whether the root filesystem is encrypted: {data['reason']}"

    @staticmethod
    def _classify(files: HostFiles, device: str, fstype: str, names: set[str]) -> tuple[bool | None, str]:
        mapper = device.removeprefix("/dev/mapper/") if device.startswith("/dev/mapper/") else None
        if mapper in names:
            return True, f"on crypttab mapping {mapper}"
        if _PLAIN_DISK.match(device):
            return False, "on a plain disk partition"
        lvm = _lvm_name(device) or _lvm_by_uuid(files, device)
        if lvm is None and _BY_LVM_UUID.match(device):
            return None, f"{device}: no LVM metadata backup in /etc/lvm/backup has these volume ids"
        if lvm is not None:
            backup = (
                files.read_text(f"/etc/lvm/backup/{lvm[0]}")
                if "/" not in lvm[0] and lvm[0] not in (".", "..")
                else None
            )
            hints = _LVM_PV_HINT.findall(backup or "")
            if not hints:
                return None, f"LVM volume group {lvm[0]}: no metadata backup to name its physical volumes"
            crypt_pvs = [h for h in hints if h.removeprefix("/dev/mapper/") in names and h.startswith("/dev/mapper/")]
            if len(crypt_pvs) == len(hints):
                return True, f"LVM volume group {lvm[0]} on crypttab mappings"
            if any(_PLAIN_DISK.match(h) for h in hints):
                return False, f"LVM volume group {lvm[0]} has unencrypted physical volumes"
            return None, f"LVM volume group {lvm[0]}: physical volumes not identifiable"
        if device.split("=", 1)[0] in ("UUID", "LABEL", "PARTUUID", "PARTLABEL") or device.startswith("/dev/disk/"):
            if not names:
                return False, "no crypttab mappings exist"
            return None, "device named by UUID/LABEL cannot be matched to crypttab without probing"
        return None, f"{fstype or 'unknown'} filesystem on {device!r} cannot be judged from files"
