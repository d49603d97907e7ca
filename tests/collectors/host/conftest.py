"""Shared helpers for the host collector tests: build file trees, run collectors."""

from __future__ import annotations

import importlib
import os
import pkgutil
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import structlog
import yaml

import annexa.collectors.host as host_package
import annexa.mappings as mappings_package
from annexa.collectors.base import Context, Target
from annexa.collectors.host.collector import HostCollector
from annexa.model import CollectionError, Fact

FIXTURES = Path(__file__).parent / "fixtures"
RULES_FILE = Path(mappings_package.__file__).parent / "rules" / "host.yaml"


def _host_collectors() -> list[type[HostCollector]]:
    """Every HostCollector subclass in the package, found by walking its modules."""
    for module in pkgutil.iter_modules(host_package.__path__):
        importlib.import_module(f"{host_package.__name__}.{module.name}")
    return sorted(HostCollector.__subclasses__(), key=lambda cls: cls.name)


@pytest.fixture
def host_collectors() -> list[type[HostCollector]]:
    return _host_collectors()


@pytest.fixture
def host_rules() -> dict[str, dict[str, Any]]:
    """The rules of mappings/rules/host.yaml by id, as plain YAML."""
    return {rule["id"]: rule for rule in yaml.safe_load(RULES_FILE.read_text())["rules"]}


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def tree(tmp_path: Path) -> Callable[..., Path]:
    """Write `{"/etc/x": "text"}` files and `{"/etc/link": "target"}` symlinks under a fresh root per call."""
    roots = iter(range(1_000_000))

    def build(files: dict[str, str] | None = None, links: dict[str, str] | None = None) -> Path:
        root = tmp_path / f"root{next(roots)}"
        root.mkdir()
        for path, text in (files or {}).items():
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        for path, link in (links or {}).items():
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(link)
        return root

    return build


_EMPTY_FOLDERS = {"openssh-server": ("etc/ssh/sshd_config.d",)}


@pytest.fixture
def debian12(tmp_path: Path) -> Callable[..., Path]:
    """A root with the named fixtures/debian12/<package> trees layered (files from Debian 12
    packages as their maintainer scripts install them, see fixtures/debian12/SOURCES.md) over
    systemd-sysv (every Debian 12 system boots with systemd as /sbin/init), then `files` written
    and `links` made over them (None as a file's text or link removes it)."""
    roots = iter(range(1_000_000))

    def build(
        *packages: str, files: dict[str, str | None] | None = None, links: dict[str, str | None] | None = None
    ) -> Path:
        root = tmp_path / f"debian12-{next(roots)}"
        root.mkdir()
        for package in dict.fromkeys(("systemd-sysv", *packages)):
            shutil.copytree(FIXTURES / "debian12" / package, root, symlinks=True, dirs_exist_ok=True)
            for folder in _EMPTY_FOLDERS.get(package, ()):  # shipped empty by the package; git keeps none
                (root / folder).mkdir(parents=True, exist_ok=True)
        for path, text in (files or {}).items():
            target = root / path.lstrip("/")
            if text is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink():
                target.unlink()
            target.write_text(text)
        for path, link in (links or {}).items():
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                target.unlink()
            if link is not None:
                target.symlink_to(link)
        return root

    return build


def real_sshd() -> str | None:
    """Why the real `sshd -T` cannot judge here, or None when it can."""
    if not Path("/usr/sbin/sshd").exists():
        return "OpenSSH's sshd is not installed (apt-get install openssh-server)"
    if not Path("/run/sshd").is_dir():
        return "sshd -T needs its privilege separation directory /run/sshd"
    if os.geteuid() != 0:
        return "sshd -T reads a host key and checks /run/sshd as root"
    return None


@pytest.fixture(scope="session")
def sshd_judge(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[dict[str, str] | None, str]]:
    """Run the real `sshd -T -f ROOT/etc/ssh/sshd_config [-C spec]` on a copy whose Include
    paths point into ROOT (sshd would otherwise read this machine's /etc/ssh): (settings or
    None when sshd refuses, its stderr). Skips with the reason when sshd cannot run here."""
    reason = real_sshd()
    if reason is not None:
        pytest.skip(reason)
    key = tmp_path_factory.mktemp("sshd-key") / "host_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)

    def judge(root: Path, spec: str | None = None) -> tuple[dict[str, str] | None, str]:
        copy = tmp_path_factory.mktemp("sshd-root")
        for path in (root / "etc").rglob("*"):
            if path.is_file():
                target = copy / path.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(_rebase_includes(path.read_bytes(), root, copy))
        command = ["/usr/sbin/sshd", "-T", "-f", str(copy / "etc/ssh/sshd_config"), "-h", str(key)]
        done = subprocess.run([*command, *(["-C", spec] if spec else [])], capture_output=True, text=True)
        if done.returncode != 0:
            return None, done.stderr
        return dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line), done.stderr

    return judge


def _rebase_includes(text: bytes, root: Path, copy: Path) -> bytes:
    """`Include` arguments made absolute under `copy` (relative ones are relative to /etc/ssh)."""
    lines = []
    for line in text.split(b"\n"):
        words = line.split()
        if words and words[0].lower() == b"include":
            rebased = [w if w.startswith(b"/") else b"/etc/ssh/" + w for w in words[1:]]
            line = b"Include " + b" ".join(str(copy).encode() + w for w in rebased)
        lines.append(line)
    return b"\n".join(lines)


@pytest.fixture
def collect() -> Callable[..., list[Fact | CollectionError]]:
    """Run one collector against a root directory (or other host options)."""

    def run(collector: type[HostCollector], root: Path | str, **options: Any) -> list[Fact | CollectionError]:
        target = Target(provider="host", options={"root": str(root), **options}, index=0)
        context = Context(run_id="test", log=structlog.get_logger())
        return list(collector().collect(target, context))

    return run


@pytest.fixture
def fact_data(collect: Callable[..., list[Fact | CollectionError]]) -> Callable[..., dict[str, Any]]:
    """Run one collector and return the data of its single fact (failing on errors)."""

    def run(collector: type[HostCollector], root: Path | str, **options: Any) -> dict[str, Any]:
        items = collect(collector, root, **options)
        assert len(items) == 1 and isinstance(items[0], Fact), items
        return items[0].data

    return run
