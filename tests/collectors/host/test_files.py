"""HostFiles: chroot-style resolution, refusal of `..` escapes, error translation."""

from __future__ import annotations

import builtins
import errno
import os
import socket
from pathlib import Path

import pytest
import structlog

from annexa.collectors.base import Context, Target
from annexa.collectors.host.files import HostFiles, HostIdentity, HostReadError, HostTargetError, PathEscapeError
from annexa.collectors.host.login_defs import LoginDefsCollector
from annexa.collectors.host.os_release import OsReleaseCollector
from annexa.model import CollectionError, Fact


def test_reads_under_root_and_records_operations(tree):
    root = tree({"/etc/hostname": "box\n"})
    files = HostFiles(root)
    assert files.read_text("/etc/hostname") == "box\n"
    assert files.read_text("/etc/missing") is None
    assert files.source("me@here").operations == ("read /etc/hostname", "read /etc/missing")
    assert files.source("me@here").endpoint == f"file://{root}"


def test_dotdot_inside_root_is_fine_but_leaving_root_is_refused(tree):
    files = HostFiles(tree({"/etc/a": "A"}))
    assert files.read_text("/etc/ssh/../a") == "A"
    with pytest.raises(PathEscapeError):
        files.read_text("/etc/../../etc/passwd")
    with pytest.raises(PathEscapeError):
        files.glob("/../*")


def test_relative_symlink_climbing_out_of_root_is_refused(tree, tmp_path):
    (tmp_path / "outside").write_text("host secret")
    files = HostFiles(tree(links={"/etc/os-release": "../../outside"}))
    with pytest.raises(PathEscapeError):
        files.read_text("/etc/os-release")


def test_absolute_symlink_resolves_inside_root_not_on_this_machine(tree, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("must not be read")
    root = tree(
        {"/usr/lib/os-release": "ID=inside\n"}, links={"/etc/os-release": "/usr/lib/os-release", "/etc/x": str(outside)}
    )
    files = HostFiles(root)
    assert files.read_text("/etc/os-release") == "ID=inside\n"
    assert files.read_text("/etc/x") is None  # the same path under root does not exist


def test_relative_symlink_within_root_is_followed(tree):
    root = tree({"/usr/lib/os-release": "ID=rel\n"}, links={"/etc/os-release": "../usr/lib/os-release"})
    assert HostFiles(root).read_text("/etc/os-release") == "ID=rel\n"


def test_symlink_loop_is_an_error_not_a_hang(tree):
    files = HostFiles(tree(links={"/etc/a": "/etc/b", "/etc/b": "/etc/a"}))
    with pytest.raises(HostReadError) as raised:
        files.read_text("/etc/a")
    assert raised.value.code == "ELOOP"


def test_glob_sorts_skips_dotfiles_and_keeps_dangling_links(tree):
    root = tree(
        {"/etc/d/b.conf": "", "/etc/d/a.conf": "", "/etc/d/.hidden.conf": "", "/etc/d/c.txt": ""},
        links={"/etc/w/x.service": "/lib/systemd/system/x.service"},
    )
    files = HostFiles(root)
    assert files.glob("/etc/d/*.conf") == ["/etc/d/a.conf", "/etc/d/b.conf"]
    assert files.glob("/etc/*/x.service") == ["/etc/w/x.service"]
    assert files.glob("/etc/nowhere/*.conf") == []
    assert files.readlink("/etc/w/x.service") == "/lib/systemd/system/x.service"
    assert files.readlink("/etc/d/a.conf") is None


def test_directory_or_device_is_not_read_as_a_file(tree):
    files = HostFiles(tree({"/etc/ssh/sshd_config/x": ""}))
    with pytest.raises(HostReadError) as raised:
        files.read_text("/etc/ssh/sshd_config")
    assert raised.value.code in ("not_regular_file", "EISDIR")


def _deny(path_suffix: str):
    real_open = builtins.open

    def fake_open(file, *args, **kwargs):
        if str(file).endswith(path_suffix):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    return fake_open


def test_unreadable_file_becomes_a_collection_error(tree, collect, monkeypatch):
    root = tree({"/etc/login.defs": "PASS_MAX_DAYS 90\n"})
    monkeypatch.setattr("annexa.collectors.host.files.open", _deny("/etc/login.defs"), raising=False)
    items = collect(LoginDefsCollector, root)
    assert len(items) == 1 and isinstance(items[0], CollectionError)
    error = items[0]
    assert error.kinds == ("host.login_defs",)
    assert error.code == "EACCES"
    assert error.operation == "read /etc/login.defs"
    assert error.scope == {"provider": "host", "host": str(root)}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads mode-000 files; the monkeypatched test covers it")
def test_mode_000_file_becomes_a_collection_error(tree, collect):
    root = tree({"/etc/login.defs": "PASS_MAX_DAYS 90\n"})
    (root / "etc/login.defs").chmod(0)
    items = collect(LoginDefsCollector, root)
    assert isinstance(items[0], CollectionError) and items[0].code == "EACCES"


def test_unlistable_directory_becomes_a_collection_error(tree, collect, monkeypatch):
    root = tree({"/etc/security/pwquality.conf.d/a.conf": "minlen = 9\n"})

    def deny_listdir(path):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr("annexa.collectors.host.files.os.listdir", deny_listdir)
    items = collect(LoginDefsCollector, root)
    assert isinstance(items[0], CollectionError) and items[0].code == "EACCES"


def test_bad_root_is_an_error_for_every_kind(collect, tmp_path):
    items = collect(OsReleaseCollector, tmp_path / "absent")
    assert len(items) == 1 and isinstance(items[0], CollectionError)
    assert items[0].kinds == ("host.os",) and items[0].code == "bad_target"


def _identity(options: dict) -> HostIdentity:
    return HostIdentity.for_target(Target("host", options), Context(run_id="t", log=structlog.get_logger()))


def test_host_name_from_option_then_hostname_file_then_root(tree):
    root = tree({"/etc/hostname": "web-7\n# comment\n"})
    assert _identity({"root": str(root), "name": "prod-web-7"}).name == "prod-web-7"
    assert _identity({"root": str(root)}).name == "web-7"
    bare = root / "bare"
    bare.mkdir()
    assert _identity({"root": str(bare)}).name == str(bare)


def test_principal_is_the_local_user_at_this_machine(tree):
    identity = _identity({"root": str(tree())})
    assert identity.principal.endswith(f"@{socket.gethostname()}")
    assert identity.principal.split("@")[0]


def test_invalid_options_are_refused():
    with pytest.raises(HostTargetError):
        _identity({"root": 5})
    with pytest.raises(HostTargetError):
        _identity({"name": ""})


def test_fact_shape(tree, collect):
    root = tree({"/etc/hostname": "h1", "/etc/os-release": 'ID=debian\nVERSION_ID="12"\n'})
    (fact,) = collect(OsReleaseCollector, root)
    assert isinstance(fact, Fact)
    assert (fact.kind, fact.resource, dict(fact.scope)) == ("host.os", "host:h1", {"provider": "host", "host": "h1"})
    assert fact.source.operations == ("read /etc/os-release",)
    assert fact.source.principal.endswith(f"@{socket.gethostname()}")


def test_fifo_is_refused_without_blocking(tree):
    root = tree({"/etc/placeholder": ""})
    os.mkfifo(root / "etc/login.defs")
    with pytest.raises(HostReadError) as raised:
        HostFiles(root).read_text("/etc/login.defs")
    assert raised.value.code == "not_regular_file"


@pytest.mark.skipif(not Path("/proc/sys/kernel/osrelease").exists(), reason="needs Linux /proc")
def test_proc_files_that_refuse_one_large_read_are_read():
    """sysctl files answer a read of 16 MiB with ENOMEM; HostFiles reads in modest chunks."""
    text = HostFiles(Path("/")).read_text("/proc/sys/kernel/osrelease")
    assert text is not None and text.strip()
