"""Whether systemd starts a unit, from Debian 12's unit files: enablement, masks, init, conditions."""

from __future__ import annotations

from pathlib import Path

from annexa.collectors.host.files import HostFiles
from annexa.collectors.host.systemd import detect_container, unit_runs

TIMESYNCD = "systemd-timesyncd.service"


def _runs(root: Path, unit: str = TIMESYNCD):
    return unit_runs(HostFiles(root), unit, aliases=("dbus-org.freedesktop.timesync1.service",))


def test_enabled_unit_with_conditions_that_hold(debian12):
    run = _runs(debian12("systemd-timesyncd"))
    assert (run.runs, run.enabled, run.reason) == (True, True, f"{TIMESYNCD} is enabled and its conditions hold")


def test_an_empty_condition_in_a_dropin_resets_them_all(debian12):
    dropin = "/etc/systemd/system/systemd-timesyncd.service.d/10-container.conf"
    root = debian12("systemd-timesyncd", files={"/.dockerenv": "", dropin: "[Unit]\nConditionVirtualization=\n"})
    assert _runs(root).runs is True


def test_runtime_mask_missing_unit_file_and_unknown_condition(debian12):
    masked = debian12("systemd-timesyncd", links={f"/run/systemd/system/{TIMESYNCD}": "/dev/null"})
    assert _runs(masked).reason == f"{TIMESYNCD} is masked"
    no_file = debian12("systemd-timesyncd", files={f"/lib/systemd/system/{TIMESYNCD}": None})
    assert _runs(no_file).runs is False and "no unit file" in _runs(no_file).reason
    dropin = "/etc/systemd/system/systemd-timesyncd.service.d/20-net.conf"
    unknown = debian12("systemd-timesyncd", files={dropin: "[Unit]\nConditionHost=ntp-*\n"})
    assert _runs(unknown).runs is None and "ConditionHost=ntp-*" in _runs(unknown).reason


def test_container_detection_follows_systemds_order(debian12):
    root = debian12("systemd-timesyncd", files={"/run/systemd/container": "lxc\n", "/.dockerenv": ""})
    assert detect_container(HostFiles(root)) == ("lxc", "/run/systemd/container says lxc")
    assert detect_container(HostFiles(debian12("systemd-timesyncd"))) == (None, "no container manager detected")


def test_kernel_command_line_of_an_image_comes_from_grub(debian12):
    """auditd.service: ConditionKernelCommandLine=!audit=0 (and !audit=off)."""
    grub = "/etc/default/grub"
    off = debian12("auditd", files={grub: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="audit=0"\n'})
    assert unit_runs(HostFiles(off), "auditd.service").runs is False
    on = debian12("auditd", files={grub: 'GRUB_CMDLINE_LINUX="audit=1 audit_backlog_limit=8192"\n'})
    assert unit_runs(HostFiles(on), "auditd.service").runs is True
