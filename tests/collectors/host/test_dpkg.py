"""dpkg's status database: installed packages and their versions."""

from __future__ import annotations

from pathlib import Path

from annexa.collectors.host.dpkg import installed_packages


def test_installed_packages_from_debian12_status(fixtures_dir: Path):
    packages = installed_packages((fixtures_dir / "debian12/dpkg-status/var/lib/dpkg/status").read_text())
    assert packages["openssh-server"] == "1:9.2p1-2+deb12u10" and "unattended-upgrades" in packages
    half = "Package: a\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: b\nStatus: install ok installed\n"
    assert installed_packages(half) == {"b": ""} and installed_packages(None) == {}
