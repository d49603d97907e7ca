"""Hostile input through the real command line: each case is one clear line on stderr, exit 2,
nothing written, and it ends within a time bound (no hang); bugs exit 70 with a crash log;
what reaches a terminal shows control characters without obeying them."""

from __future__ import annotations

import io
import json
import os
import signal
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prowler_sample import prowler_finding, write_sample

from annexa import cli

HOST_ROOT = Path(__file__).parent.parent / "collectors" / "host" / "fixtures" / "hardened"
TIME_BOUND_S = 20


@contextmanager
def time_bound(seconds: int = TIME_BOUND_S) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM raises in the main thread after `seconds`."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds}s: a hang")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with time_bound():
        try:
            code = cli.main(["--log-format", "json", *argv])
        except SystemExit as stop:  # argparse's own errors
            code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _refused(capsys: pytest.CaptureFixture[str], *argv: str, needle: str) -> str:
    code, out, err = _cli(capsys, *argv)
    assert code == 2, (argv, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert needle in err, err
    return err


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, Path]:
    """Things that are not regular files: a device that never ends, a FIFO nobody writes, a folder."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    return {"device": Path("/dev/zero"), "fifo": fifo, "folder": folder}


KINDS = ("device", "fifo", "folder")
WHAT = {"device": "character device", "fifo": "named pipe", "folder": "folder"}


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "annexa.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def _no_bundle(store: Path) -> None:
    assert not (store / "manifests").exists() or not any((store / "manifests").iterdir())


@pytest.mark.parametrize("kind", KINDS)
def test_every_file_argument_refuses_what_is_not_a_regular_file(
    kind: str, bad_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = str(bad_files[kind])
    store = tmp_path / "evidence"
    good = _config(
        tmp_path,
        f"store: {store}\ntargets:\n  - host: {{root: {HOST_ROOT}}}\nattesters:\n  - {{name: Jo, role: Facilities manager}}\n",
    )
    needle = WHAT[kind]
    _refused(capsys, "check", "--config", bad, needle=needle)
    _refused(capsys, "findings", "--store", str(store), "--crosswalk", bad, needle=needle)
    _refused(capsys, "verify", str(store), "--public-key", bad, needle=needle)
    _refused(
        capsys,
        "attest",
        "A.7.4",
        "--by",
        "Jo",
        "--result",
        "effective",
        "--file",
        bad,
        "--config",
        str(good),
        needle=needle,
    )
    _refused(capsys, "import", "prowler", bad, "--store", str(store), needle=needle)
    _refused(capsys, "import", "generic", bad, "--mapping", bad, "--store", str(store), needle=needle)
    bodies = [f"targets:\n  - people: {{path: '{bad}', columns: {{id: ID}}}}\n"]
    if kind != "folder":  # a folder of rule files is what `mappings:` may name
        bodies.append(f"targets:\n  - host: {{}}\nmappings: ['{bad}']\n")
    for body in bodies:
        _refused(capsys, "check", "--config", str(_config(tmp_path, body)), needle=needle)
    if kind != "folder":  # a folder is not a key file: config loading says so by itself
        body = f"targets:\n  - host: {{}}\nsigning: {{private_key: '{bad}'}}\n"
        _refused(capsys, "collect", "--config", str(_config(tmp_path, body)), "--store", str(store), needle="signing")
    _no_bundle(store)


def test_a_200_mb_yaml_is_refused_by_size_before_it_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.write(b"targets: [{host: {}}]\n# ")
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MB on paper, nothing on disk
    _refused(capsys, "check", "--config", str(huge), needle="larger than the 1 MiB allowed")
    rules = _config(tmp_path, f"targets: [{{host: {{}}}}]\nmappings: ['{huge}']\n")
    _refused(capsys, "check", "--config", str(rules), needle="larger than the 1 MiB allowed")


def test_a_1_gb_import_is_streamed_not_read_whole(tmp_path: Path) -> None:
    """Under a 1 GiB address-space limit a whole read of a 1 GiB file cannot even be attempted;
    the streamed reader finds the broken item near the start and says where."""
    import subprocess

    big = tmp_path / "prowler.json"
    with big.open("wb") as handle:
        handle.write(b"[" + json.dumps(prowler_finding("s3_x", "logs", "PASS", ["A.8.24"])).encode() + b",\n")
        handle.truncate(1024**3)  # the rest: NUL bytes, sparse
    limit = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1024**3, 1024**3)); "
        "from annexa import cli; sys.exit(cli.main(sys.argv[1:]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", limit, "import", "prowler", str(big), "--store", str(tmp_path / "evidence")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert f"{big}:2: not valid JSON" in done.stderr
    _no_bundle(tmp_path / "evidence")


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (
            "max_age: 100000000000000000000d\n",
            "annexa.yaml:3: max_age: '100000000000000000000d' is longer than 36500 days",
        ),
        ("scope:\n  A.8.24: {max_age: 99999999999w}\n", "annexa.yaml:4: max_age"),
        ("scope:\n  A.8.24: {reviewed: 2026-13-45}\n", "annexa.yaml:4: '2026-13-45' is not a valid date"),
        ("scope:\n  A.8.24: {reviewed: '2026-02-30'}\n", "annexa.yaml:4: `reviewed` must be a date"),
    ],
)
def test_durations_and_dates_are_range_checked(
    body: str, needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, "targets:\n  - host: {}\n" + body)
    _refused(capsys, "check", "--config", str(config), needle=needle)


@pytest.mark.parametrize(
    ("start", "end", "needle"),
    [
        ("0001-01-01", "9999-12-31", "0001-01-01 is outside 1970-01-01 to 9998-12-31"),
        ("2026-01-01", "9999-12-31", "9999-12-31 is outside"),
        ("1970-01-01", "9998-12-31", "a period is at most 3660 days"),
    ],
)
def test_report_periods_are_range_checked(
    start: str, end: str, needle: str, demo_like_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pack.zip"
    _refused(
        capsys, "pack", "--store", str(demo_like_store), "--from", start, "--to", end, "-o", str(out), needle=needle
    )
    _refused(capsys, "nonconformities", "--store", str(demo_like_store), "--from", start, "--to", end, needle=needle)
    assert not out.exists()


@pytest.fixture
def demo_like_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A store with two imported runs; the second brings a resource whose names carry terminal
    escape sequences (an OSC 52 clipboard write, hidden text)."""
    (tmp_path / "mapping.yaml").write_text(
        "tool: {name: scan}\ncolumns: {resource: asset, check: check_id, status: result, controls: iso}\n"
        "status: {pass: [PASS], fail: [FAIL]}\n",
        encoding="utf-8",
    )
    store = tmp_path / "evidence"
    rows = ["web-1,tls,PASS,A.8.24\n", "evil\x1b]52;c;ZWNobyBwd25lZA==\x07bucket,tls\x1b[8mhidden\x1b[0m,FAIL,A.8.24\n"]
    for run in (1, 2):
        (tmp_path / "scan.csv").write_text("asset,check_id,result,iso\n" + "".join(rows[:run]), encoding="utf-8")
        code, _, err = _cli(
            capsys, "import", "generic", str(tmp_path / "scan.csv"), "--mapping", str(tmp_path / "mapping.yaml"),
            "--store", str(store),
        )  # fmt: skip
        assert code == 0, err
    return store


def _store_files(store: Path) -> list[str]:
    """What a command may have written into the store (the SQLite index's own side files aside)."""
    return sorted(str(p.relative_to(store)) for p in store.rglob("*") if not p.name.startswith("index.sqlite"))


def _device(path: Path) -> Path:
    """A character device of our own (the null device's numbers) in the test's folder: if a broken
    `-o` replaced it, nothing of the system would be lost, unlike /dev/full."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    return path


@pytest.mark.parametrize("target", ["device", "store", "store/objects", "folder"])
def test_output_must_be_a_regular_file_outside_the_store(
    target: str, demo_like_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "folder").mkdir()
    output = {
        "device": str(_device(tmp_path / "full")) if target == "device" else "",
        "store": str(demo_like_store / "report.csv"),
        "store/objects": str(demo_like_store / "objects"),
        "folder": str(tmp_path / "folder"),
    }[target]
    before = _store_files(demo_like_store)
    for argv in (["findings", "--format", "csv"], ["soa", "--format", "csv"], ["nonconformities", "--format", "csv"]):
        _refused(capsys, *argv, "--store", str(demo_like_store), "-o", output, needle="--output")
    day = json.loads(sorted((demo_like_store / "manifests").iterdir())[-1].read_text())["started_at"][:10]
    _refused(
        capsys, "pack", "--store", str(demo_like_store), "--from", day, "--to", day, "-o", output, needle="--output"
    )
    assert _store_files(demo_like_store) == before
    if target == "device":
        assert Path(output).is_char_device()  # still the device, not a file put in its place
    code, _, err = _cli(capsys, "findings", "--store", str(demo_like_store), "-o", str(tmp_path / "ok.txt"))
    assert code == 0 and (tmp_path / "ok.txt").is_file(), err


@pytest.mark.parametrize("run_id", ["../..", "../../etc", "abc\n", "a/b", "", "-x", "x" * 200])
def test_run_ids_are_validated_everywhere(run_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "evidence"
    config = _config(tmp_path, f"store: {store}\ntargets:\n  - host: {{root: {HOST_ROOT}}}\n")
    sample = write_sample(tmp_path / "prowler.json")
    for argv in (
        ["collect", "--config", str(config), "--run-id", run_id],
        ["collect", "--config", str(config), "--run-id", run_id, "--shard", "0/2"],
        ["seal", "--config", str(config), "--run-id", run_id],
        ["import", "prowler", str(sample), "--store", str(store), "--run-id", run_id],
    ):
        _refused(capsys, *argv, needle="--run-id")
    _no_bundle(store)
    assert not (store / "shards").exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_control_characters_are_shown_not_obeyed_on_a_terminal(
    demo_like_store: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ["findings"],
        ["findings", "--format", "csv"],
        ["nonconformities"],
        ["runs"],
        ["soa", "--format", "md"],
        ["drift"],
    ):
        terminal = _Terminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        code = cli.main(["--log-format", "json", *argv, "--store", str(demo_like_store)])
        printed = terminal.getvalue()
        assert code in (0, 3), (argv, capsys.readouterr().err)
        assert "\x1b" not in printed and "\x07" not in printed, argv
        if argv[0] in ("findings", "nonconformities", "drift"):
            assert "\\x1b]52;c;ZWNobyBwd25lZA==\\x07" in printed  # visible, so the reader knows
    monkeypatch.undo()
    capsys.readouterr()
    # errors name hostile arguments the same way
    err = _refused(capsys, "check", "--config", "evil\x1b]52;c;aGk=\x07.yaml", needle="file not found")
    assert "\x1b" not in err and "\\x1b]52" in err
    # and a pipe keeps the bytes as they are (CSV consumers get the real name)
    code, out, _ = _cli(capsys, "findings", "--format", "csv", "--store", str(demo_like_store))
    assert code == 0 and "\x1b]52;c;" in out


def test_import_refuses_a_scan_time_in_the_future(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    future = prowler_finding("s3_x", "logs", "PASS", ["A.8.24"], time=253402214400000)  # 9999-12-31, in ms
    sample = write_sample(tmp_path / "prowler.json", [future])
    store = tmp_path / "evidence"
    _refused(
        capsys, "import", "prowler", str(sample), "--store", str(store), needle="9999-12-31T00:00:00Z is in the future"
    )
    (tmp_path / "scan.csv").write_text("asset,check_id,result,iso,at\nweb,tls,PASS,A.8.24,2999-01-01T00:00:00Z\n")
    (tmp_path / "mapping.yaml").write_text(
        "tool: {name: scan}\ncolumns: {resource: asset, check: check_id, status: result, controls: iso, observed_at: at}\n"
        "status: {pass: [PASS], fail: [FAIL]}\n"
    )
    _refused(
        capsys, "import", "generic", str(tmp_path / "scan.csv"), "--mapping", str(tmp_path / "mapping.yaml"),
        "--store", str(store), needle="scan.csv:2: at 2999-01-01T00:00:00Z is in the future",
    )  # fmt: skip
    _no_bundle(store)


def test_import_duplicates_keep_the_worst_status_and_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fail = prowler_finding("s3_bucket_default_encryption", "exports", "FAIL", ["A.8.24"])
    passed = prowler_finding("s3_bucket_default_encryption", "exports", "PASS", ["A.8.24"])
    sample = write_sample(tmp_path / "prowler.json", [fail, passed])
    store = tmp_path / "evidence"
    code, out, err = _cli(capsys, "import", "prowler", str(sample), "--store", str(store))
    assert code == 0, err
    assert "imported 1 prowler results" in out and "1 listed more than once: the worst status of each kept" in out
    code, out, _ = _cli(capsys, "findings", "--store", str(store), "--format", "json")
    (finding,) = json.loads(out)
    assert finding["status"] == "fail"


def test_a_bug_exits_70_with_one_line_and_a_crash_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from annexa.commands import runs

    def broken(args: object) -> int:
        raise RuntimeError("internal invariant broken near token ghp_16C7e42F292c6912E7710c838347Ae178B4a")

    monkeypatch.setattr(runs, "run", broken)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    code, out, err = _cli(capsys, "runs", "--store", str(tmp_path / "evidence"))
    assert code == 70 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "internal error" in err
    (log,) = (tmp_path / "state" / "annexa").iterdir()
    assert str(log) in err
    text = log.read_text()
    assert "Traceback" in text and "RuntimeError: internal invariant broken" in text
    assert "ghp_16C7e42F292c6912E7710c838347Ae178B4a" not in text + err  # crash logs are redacted too
    assert oct(log.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("argv", [["check", "--config"], ["runs", "--store"], ["findings", "--crosswalk"]])
def test_a_path_the_system_refuses_is_one_line_not_a_crash(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _refused(capsys, *argv, "x" * 300, needle="File name too long")
    (tmp_path / "annexa.yaml").write_text("targets: [{host: {}}]\n")
    _refused(capsys, "runs", "--store", str(tmp_path / "annexa.yaml"), needle="not a folder")
