"""The audit pack: contents, offline verification, tampering, hostile names, a real browser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import browser
import openpyxl
import pytest

from annexa import cli
from annexa.evidence_store.packfile import check_entry_name
from annexa.evidence_store.store import Store

ROOT = "annexa-pack-2026-08-01_2026-08-31"


@pytest.fixture(scope="module")
def pack(signed_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pack") / "pack.zip"
    code = cli.main(
        [
            "pack",
            "--store",
            str(signed_store.backend.root),
            "--config",
            "/nonexistent.yaml",
            "--from",
            "2026-08-01",
            "--to",
            "2026-08-31",
            "-o",
            str(out),
        ]
    )
    assert code == 0
    return out


@pytest.fixture(scope="module")
def unpacked(pack: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(pack) as archive:
        archive.extractall(target)
    return target / ROOT


def _verify(capsys: pytest.CaptureFixture[str], target: Path) -> tuple[int, list[str]]:
    code = cli.main(["verify", str(target)])
    return code, capsys.readouterr().out.splitlines()


def test_pack_holds_reports_evidence_and_instructions(pack: Path, unpacked: Path) -> None:
    names = set(zipfile.ZipFile(pack).namelist())
    assert all(n.startswith(ROOT + "/") and check_entry_name(n) is None for n in names)
    for name in (
        "index.html",
        "soa.xlsx",
        "nonconformities.xlsx",
        "nonconformities.csv",
        "VERIFY.md",
        "SHA256SUMS",
        "pack.json",
        "controls/A.8.24.html",
        "evidence/manifests/00000008.json",
        "evidence/signatures/00000008.sig",
        "evidence/signatures/00000008.signed.json",
    ):
        assert f"{ROOT}/{name}" in names, name
    meta = json.loads((unpacked / "pack.json").read_text())
    assert meta["runs"]["first"] == 1 and meta["runs"]["last"] == 8 and len(meta["controls"]) == 93
    (key,) = meta["keys"]
    assert (unpacked / "keys" / (key.removeprefix("sha256:") + ".pem")).is_file()
    assert key in (unpacked / "VERIFY.md").read_text()


def test_untouched_pack_and_unzipped_folder_verify_clean(
    pack: Path, unpacked: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for target in (pack, unpacked):
        code, out = _verify(capsys, target)
        assert code == 0, out
        assert out[-1].startswith("OK (") and "8 signed manifests" in out[-1]


def test_a_flipped_byte_in_a_packed_object_is_named(
    pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(pack) as src, zipfile.ZipFile(bad, "w") as dst:
        victim = next(n for n in src.namelist() if "/evidence/objects/" in n)
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data[:-2] + bytes([data[-2] ^ 1]) + data[-1:] if info.filename == victim else data)
    code, out = _verify(capsys, bad)
    digest = victim.rsplit("/", 1)[1]
    assert code == 4
    assert any(line.startswith(f"problem: object {digest}: content does not match its name") for line in out)
    assert any(f"{digest}: sha256" in line and "does not match SHA256SUMS" in line for line in out)


def test_sha256sums_edits_in_an_unzipped_pack_are_each_named(
    unpacked: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / ROOT
    shutil.copytree(unpacked, folder)
    (folder / "extra.txt").write_text("not in the list")
    sums = folder / "SHA256SUMS"
    lines = sums.read_text().splitlines()
    dropped = lines[-1].split("  ", 1)[1]
    (folder / dropped).unlink()  # listed but missing
    sums.write_text("\n".join([lines[0], "not a line", *lines[1:]]) + "\n")
    code, out = _verify(capsys, folder)
    assert code == 4
    assert "problem: SHA256SUMS:2: not a `sha256sum` line" in out
    assert "problem: extra.txt: not listed in SHA256SUMS" in out
    assert f"problem: {dropped}: listed in SHA256SUMS but missing from the pack" in out


def test_zip_entries_that_escape_are_reported(pack: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "escape.zip"
    shutil.copy(pack, bad)
    with zipfile.ZipFile(bad, "a") as archive:
        archive.writestr("../evil.sh", "x")
        archive.writestr("/etc/cron.d/evil", "x")
    code, out = _verify(capsys, bad)
    assert code == 4
    assert "problem: zip entry '../evil.sh': empty, '.' or '..' path component (could escape the pack's folder)" in out
    assert any("'/etc/cron.d/evil': absolute" in line for line in out)


@pytest.mark.parametrize("name", ["../x", "a/../../x", "/abs", "C:/x", "a\\b", "a//b", "./a", ""])
def test_unsafe_entry_names_are_refused(name: str) -> None:
    assert check_entry_name(name) is not None


def test_hostile_names_are_text_in_every_format(unpacked: Path) -> None:
    pages = [unpacked / "index.html", *sorted((unpacked / "controls").glob("*.html"))]
    for page in pages:
        html = page.read_text()
        assert "<script" not in html and "<img" not in html and "<b>x</b>" not in html, page
    control = (unpacked / "controls" / "A.8.24.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in control and "../../etc/passwd" in control
    assert "&#34;&#39;&gt;&lt;img src=x onerror=alert(2)&gt;" in control
    csv_text = (unpacked / "nonconformities.csv").read_text()
    assert "'=cmd|' /C calc'!A0" in csv_text and "\n=cmd" not in csv_text and ",=cmd" not in csv_text
    sheet = openpyxl.load_workbook(unpacked / "nonconformities.xlsx").active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert {"=cmd|' /C calc'!A0", "@SUM(A1)", "+1+1", "-2+3"} <= {c.value for c in cells}
    assert all(c.data_type == "s" for c in cells if c.value is not None)


def test_sample_is_reproducible_and_recorded(signed_store: Store, tmp_path: Path) -> None:
    def build(name: str, seed: str) -> tuple[dict, str]:
        out = tmp_path / name
        argv = [
            "pack",
            "--store",
            str(signed_store.backend.root),
            "--config",
            "/nonexistent.yaml",
            "--from",
            "2026-08-01",
            "--to",
            "2026-08-08",
            "-o",
            str(out),
            "--controls",
            "A.8.2*",
            "--sample",
            "3",
            "--seed",
            seed,
        ]
        assert cli.main(argv) == 0
        with zipfile.ZipFile(out) as archive:
            root = "annexa-pack-2026-08-01_2026-08-08"
            return json.loads(archive.read(f"{root}/pack.json")), archive.read(f"{root}/controls/A.8.24.html").decode()

    meta, first = build("a.zip", "42")
    _, again = build("b.zip", "42")
    _, other = build("c.zip", "43")
    assert meta["sample"] == 3 and meta["seed"] == 42 and meta["controls"][0] == "A.8.2"
    # 8 resources judged on each of the 8 nights: 64 (resource, day) pairs to draw from
    assert "Sample of 3 of 64 (resource, day) pairs over 8 resources (seed 42)" in first

    def sample(page: str) -> str:
        return page[page.index("<h2>Sample across") : page.index("<h2>Findings")]

    assert sample(first) == sample(again) and sample(first) != sample(other)
    assert sample(first).count("<h3") == 3 and "judged by run" in sample(first)


def test_pack_rejects_bad_arguments(signed_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = [
        "pack",
        "--store",
        str(signed_store.backend.root),
        "--config",
        "/nonexistent.yaml",
        "-o",
        str(tmp_path / "p.zip"),
    ]
    assert cli.main([*base, "--from", "2026-08-01", "--to", "2026-08-31", "--controls", "A.9.*"]) == 2
    assert "--controls: no Annex A 2022 control matches 'A.9.*'" in capsys.readouterr().err
    assert cli.main([*base, "--from", "2026-10-01", "--to", "2026-10-31"]) == 2
    assert not (tmp_path / "p.zip").exists() and not list(tmp_path.glob(".p.zip*"))


def test_verify_md_commands_work_with_standard_tools(unpacked: Path) -> None:
    if not (shutil.which("sha256sum") and shutil.which("openssl")):
        pytest.skip("sha256sum and openssl are needed for the standard-tools check")
    subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=unpacked, check=True)
    (key,) = (unpacked / "keys").glob("*.pem")
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-in", str(key), "-outform", "DER"], capture_output=True, check=True
    )
    assert subprocess.run(["sha256sum"], input=der.stdout, capture_output=True, check=True).stdout.startswith(
        key.stem.encode()
    )
    for sig in sorted((unpacked / "evidence" / "signatures").glob("*.sig")):
        subprocess.run(
            [
                "openssl",
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                str(key),
                "-rawin",
                "-in",
                str(sig.with_suffix(".signed.json")),
                "-sigfile",
                str(sig),
            ],
            check=True,
            capture_output=True,
        )


def test_index_opens_offline_in_a_real_browser_without_console_errors(unpacked: Path, tmp_path: Path) -> None:
    dom, log = browser.load(unpacked / "index.html", tmp_path / "profile")
    assert browser.console_lines(log) == []
    meta = json.loads((unpacked / "pack.json").read_text())
    for control in meta["controls"]:
        assert f'href="controls/{control}.html"' in dom, control
    assert "<svg" in dom and "Controls × days" in dom
    dom, log = browser.load(unpacked / "controls" / "A.8.24.html", tmp_path / "profile")
    assert browser.console_lines(log) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and "<script" not in dom and "<img" not in dom


def test_pack_shows_the_soa_of_its_last_collection_run_with_evidence_classes(
    unpacked: Path, signed_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    meta = json.loads((unpacked / "pack.json").read_text())
    assert meta["soa_run"] == {"sequence": 8, "run_id": "night-007", "judged_at": "2026-08-08T02:05:00Z"}
    index = (unpacked / "index.html").read_text()
    assert "<th>Evidence class</th>" in index and "statuses are those of run 8" in index
    page = (unpacked / "controls" / "A.8.24.html").read_text()
    assert "<th>Evidence class</th><td>automated</td>" in page
    # each rule's rationale, as the run stored it, on the control page and in the SoA row
    assert "<td>27002:2022 8.24 asks that cryptography protect stored information.</td>" in page
    # the pack's workbook is the SoA `annexa soa --run 8` gives: same statuses, same classes
    assert cli.main(["soa", "--store", str(signed_store.backend.root), "--run", "8", "--format", "json"]) == 0
    rows = {row["control"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["A.8.24"]["rationale"] == {
        "fake.bucket-encrypted": "27002:2022 8.24 asks that cryptography protect stored information."
    }
    assert rows["A.8.13"]["rationale"] == {}  # fake.bucket-versioned gives none (user rules may omit it)
    # the workbook shows statuses as words (`no evidence`), JSON keeps the identifiers (`no_evidence`)
    soa = {control: (row["status"].replace("_", " "), row["evidence_class"]) for control, row in rows.items()}
    sheet = openpyxl.load_workbook(unpacked / "soa.xlsx")["Statement of Applicability"]
    headers = [c.value for c in sheet[1]]
    status, cls = headers.index("Implementation status"), headers.index("Evidence class")
    workbook = {row[0].value: (row[status].value, row[cls].value or None) for row in sheet.iter_rows(min_row=2)}
    assert workbook == soa and soa["A.7.4"] == ("excluded", None)


def test_an_unzipped_pack_hashed_in_forked_processes_reports_what_the_serial_one_does(
    unpacked: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from annexa.evidence_store import filehash
    from annexa.evidence_store.packfile import verify_path

    folder = tmp_path / ROOT
    shutil.copytree(unpacked, folder)
    victim = next((folder / "evidence" / "objects").rglob("*"))
    victim = victim if victim.is_file() else next(p for p in victim.iterdir())
    victim.write_bytes(victim.read_bytes() + b" ")
    serial = verify_path(folder).to_dict()
    forks: list[int] = []
    monkeypatch.setattr(filehash, "PARALLEL_FROM", 1)
    monkeypatch.setattr(filehash.threading, "active_count", lambda: 1)  # pytest may run threads of its own
    monkeypatch.setattr(os, "fork", lambda real=os.fork: forks.append(1) or real())
    forked = verify_path(folder).to_dict()
    assert forked == serial and forks
    assert any(p.startswith(f"object {victim.name}: content does not match") for p in serial["problems"])
    assert any(f"{victim.name}: sha256" in p and "does not match SHA256SUMS" in p for p in serial["problems"])
