"""The audit pack's file layout, and reading a pack (zip or unzipped folder) for verification.

A pack is one zip whose entries all sit under one folder (`annexa-pack-FROM_TO/`):
    pack.json                     period, runs, controls, sample seed, tool
    SHA256SUMS                    `sha256sum -c` list of every other file
    SEAL.json                     the signed seal: SHA256SUMS's sha256, the period, the runs and the
                                  last run's manifest sha256 (so no file, period or run can change)
    evidence/manifests/N.json     the chain from run 1 to the period's last run
    evidence/timestamps/N.json    a manifest's RFC 3161 timestamp record, when the store has one
    evidence/objects/xx/<sha256>  the period's objects (and the deltas of earlier runs)
    evidence/signatures/N.*       each signed manifest's signed bytes and raw signature
    keys/<fingerprint>.pem        the public keys that signed the period
    index.html, controls/, soa.xlsx, nonconformities.*, VERIFY.md
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from annexa.errors import StoreError, UsageError
from annexa.evidence_store.canonical import canonical_bytes
from annexa.evidence_store.filehash import Folder, hash_folders, list_folder, read_file
from annexa.evidence_store.local import LocalBackend
from annexa.evidence_store.signing import signed_bytes
from annexa.evidence_store.trust import Trust
from annexa.evidence_store.verify import Head, StoreSource, VerifyReport, verify_chain

__all__ = [
    "MAX_MEMBER_BYTES",
    "PACK_FORMAT",
    "PACK_JSON",
    "SEAL",
    "SEAL_FORMAT",
    "SUMS",
    "PackCheck",
    "PackSource",
    "check_entry_name",
    "seal_body",
    "signature_paths",
    "verify_path",
]

PACK_FORMAT = "annexa.pack/1"
PACK_JSON = "pack.json"
SUMS = "SHA256SUMS"
SEAL = "SEAL.json"
SEAL_FORMAT = "annexa.pack-seal/1"
# A pack member is read whole into memory, so its declared size is checked first (a zip bomb
# declares gigabytes). Facts and manifests are kilobytes; the reports of a large estate, megabytes.
MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_PACK_BYTES = 16 * 1024 * 1024 * 1024
_MAX_RATIO = 1000  # deflate rarely beats 1000:1 on real files; a bomb does by design
EVIDENCE = "evidence"
_MANIFEST = re.compile(r"^evidence/manifests/(\d{8})\.json$")
_OBJECT = re.compile(r"^evidence/objects/[0-9a-f]{2}/([0-9a-f]{64})$")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SUMS_LINES = re.compile(r"(?:[0-9a-f]{64}  [A-Za-z0-9._:/-]+\n)*")  # names as check_entry_name allows them
_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")


def check_entry_name(name: str) -> str | None:
    """Why a zip entry name could escape or confuse the pack's folder, or None if it is safe."""
    if not name or name.startswith("/") or "\\" in name or re.match(r"^[A-Za-z]:", name):
        return "absolute or non-POSIX path"
    parts = PurePosixPath(name).parts
    if any(part in ("", ".", "..") for part in name.split("/")):
        return "empty, '.' or '..' path component"
    if not all(_SAFE_PART.match(part) for part in parts):
        return "unexpected characters"
    return None


def signature_paths(seq: int) -> tuple[str, str]:
    """The detached signed bytes and raw signature of run `seq`, for `openssl pkeyutl -verify`."""
    return f"evidence/signatures/{seq:08d}.signed.json", f"evidence/signatures/{seq:08d}.sig"


class PackSource:
    """A pack's evidence as an EvidenceSource; hashes every entry once, for objects and SHA256SUMS alike."""

    def __init__(self, label: str, files: dict[str, Any], read: Any, folders: list[Folder] | None = None) -> None:
        self.label = label
        self.files = files  # relative name -> handle for `read`
        self._read = read
        self._folders = folders  # an unzipped pack's files by folder, hashed with plain os calls
        self.hashes: dict[str, str] = {}
        evidence = [n for n in files if n.startswith("evidence/")]  # the regular expressions only where they can match
        self.manifests = {int(m.group(1)): n for n in evidence if (m := _MANIFEST.match(n))}
        self.objects = {m.group(1): n for n in evidence if (m := _OBJECT.match(n))}

    def list_manifests(self) -> list[int]:
        return sorted(self.manifests)

    def get_manifest(self, sequence: int) -> bytes:
        if sequence not in self.manifests:
            raise StoreError(f"manifest {sequence:08d}.json is missing")
        return self.read(self.manifests[sequence])

    def has_object(self, digest: str) -> bool:
        return digest in self.objects

    def missing_objects(self, digests: Collection[str]) -> set[str]:
        return set(digests).difference(self.objects)

    def get_object(self, digest: str) -> bytes:
        if digest not in self.objects:
            raise StoreError(f"object {digest} is missing")
        return self.read(self.objects[digest])

    def get_timestamp(self, sequence: int) -> bytes | None:
        name = f"evidence/timestamps/{sequence:08d}.json"
        return self.read(name) if name in self.files else None

    def read(self, name: str) -> bytes:
        return bytes(self._read(self.files[name]))

    def object_hashes(self) -> Iterable[tuple[str, str, int]]:
        """Hash every file (SHA256SUMS needs them all); the objects among them. An unzipped pack's files
        are hashed from now on (many in child processes, filehash.py) while the chain is walked."""
        digests = {name: digest for digest, name in self.objects.items()}
        hashes = hash_folders(self._folders) if self._folders is not None else self._member_hashes()
        return _PackObjects(hashes, digests, self.hashes)

    def _member_hashes(self) -> Iterator[tuple[str, str, int]]:
        for name in sorted(self.files):
            data = self.read(name)
            yield name, hashlib.sha256(data).hexdigest(), len(data)


class _PackObjects:
    """The objects among a pack's hashed files, each file's hash recorded (`record`) for SHA256SUMS.
    `close` ends the hashing (its child processes), iterated or not."""

    def __init__(
        self, hashes: Iterable[tuple[str, str, int]], digests: Mapping[str, str], record: dict[str, str]
    ) -> None:
        self._hashes, self._digests, self._record = hashes, digests, record

    def __iter__(self) -> Iterator[tuple[str, str, int]]:
        for name, actual, size in self._hashes:
            self._record[name] = actual
            if name in self._digests:
                yield self._digests[name], actual, size

    def close(self) -> None:
        close = getattr(self._hashes, "close", None)
        if close is not None:
            close()


def _oversized(size: int, compressed: int) -> str | None:
    if size > MAX_MEMBER_BYTES:
        return f"declares {size} bytes uncompressed, over the limit of {MAX_MEMBER_BYTES}"
    if size > 16 * 1024 * 1024 and size > _MAX_RATIO * max(compressed, 1):
        return f"declares {size} bytes from {compressed} compressed (over {_MAX_RATIO}:1, a zip bomb)"
    return None


def _open_zip(path: Path, report: VerifyReport) -> PackSource:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError) as err:
        raise UsageError(f"{path}: not a readable zip file ({err})") from None
    roots = set()
    files: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in archive.infolist():
        problem = check_entry_name(info.filename.rstrip("/"))
        if problem:
            report.problems.append(f"zip entry {info.filename!r}: {problem} (could escape the pack's folder)")
            continue
        if info.is_dir():
            continue
        oversized = _oversized(info.file_size, info.compress_size)
        if oversized:  # never read: reported, and the pack fails
            report.problems.append(f"zip entry {info.filename!r} {oversized}: not read")
            continue
        total += info.file_size
        root, _, rest = info.filename.partition("/")
        roots.add(root)
        files[rest] = info
    if total > MAX_PACK_BYTES:
        raise UsageError(f"{path}: its members declare {total} bytes uncompressed, over the limit of {MAX_PACK_BYTES}")
    if len(roots) != 1:
        report.problems.append(f"{path}: entries must sit under one folder, found {sorted(roots) or 'none'}")

    def read(info: zipfile.ZipInfo) -> bytes:
        # At most the declared size, checked above: zipfile stops there and checks the CRC.
        try:
            return archive.read(info)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as err:
            raise StoreError(f"zip entry {info.filename!r} cannot be read ({err})") from None

    return PackSource(str(path), files, read)


def _read_file(path: str) -> bytes:
    if os.stat(path).st_size > MAX_MEMBER_BYTES:
        raise StoreError(f"{path} is larger than {MAX_MEMBER_BYTES} bytes")
    return read_file(path)


def _open_folder(path: Path) -> PackSource:
    """Every regular file under the folder (no links, devices or FIFOs), listed folder by folder."""
    folders: list[Folder] = []
    pending = [(str(path), "")]
    while pending:
        folder, prefix = pending.pop()
        listed, subfolders = list_folder(folder, prefix)
        folders.append(listed)
        pending.extend((os.path.join(folder, name), f"{prefix}{name}/") for name in reversed(subfolders))
    files = {folder.prefix + name: f"{folder.path}/{name}" for folder in folders for name in folder.names}
    return PackSource(str(path), files, _read_file, folders)


# A check of a pack's reports against its evidence: (the pack, its pack.json, the report to add problems to).
# The audit-pack work plugs the recomputation of the SoA and control statuses from the signed evidence
# in here (issue 16, item 4); `annexa verify` passes the checks it has (commands/verify.py).
PackCheck = Callable[["PackSource", Mapping[str, Any], VerifyReport], None]


def verify_path(
    path: Path, trust: Trust | None = None, expect_head: Head | None = None, pack_checks: Sequence[PackCheck] = ()
) -> VerifyReport:
    """Verify a store folder, a pack zip or an unzipped pack folder."""
    trust = trust or Trust()
    if path.is_file():
        report = VerifyReport(str(path))
        return _verify_pack(_open_zip(path, report), trust, report, expect_head, pack_checks)
    if (path / PACK_JSON).is_file():
        return _verify_pack(_open_folder(path), trust, VerifyReport(str(path)), expect_head, pack_checks)
    if (path / "manifests").is_dir() or (path / "objects").is_dir():
        return verify_chain(StoreSource(LocalBackend(path)), trust=trust, expect_head=expect_head)
    raise UsageError(f"{path}: neither an evidence store, an audit pack (.zip) nor an unzipped pack")


def _verify_pack(
    source: PackSource,
    trust: Trust,
    report: VerifyReport,
    expect_head: Head | None,
    pack_checks: Sequence[PackCheck],
) -> VerifyReport:
    meta: dict[str, Any] = {}
    try:
        meta = json.loads(source.read(PACK_JSON))
        period = (int(meta["runs"]["first"]), int(meta["runs"]["last"]))
    except (KeyError, ValueError, TypeError, StoreError):
        report.problems.append(f"{PACK_JSON} is missing or unreadable: the pack's period is unknown")
        period = None
    try:
        verify_chain(source, period, trust, report, expect_head)
    except StoreError as err:  # a member too large to read
        report.problems.append(str(err))
        return report
    if period is not None and source.list_manifests() and source.list_manifests()[-1] != period[1]:
        report.problems.append(f"the pack's last run is {source.list_manifests()[-1]}, {PACK_JSON} says {period[1]}")
    _check_sums(source, report)
    _check_seal(source, meta, trust, report)
    _check_detached_signatures(source, report)
    for check in pack_checks:
        check(source, meta, report)
    return report


def seal_body(meta: Mapping[str, Any], sums: bytes | str, head_sha256: str, files: int) -> dict[str, Any]:
    """What a pack's seal says (signed like a manifest: signing.signed_bytes); `sums` is SHA256SUMS,
    or its sha256 in hex (a writer that streamed it)."""
    return {
        "format": SEAL_FORMAT,
        "period": dict(meta["period"]),
        "runs": dict(meta["runs"]),
        "head": {"sequence": meta["runs"]["last"], "sha256": head_sha256},
        "sums": {
            "file": SUMS,
            "sha256": sums if isinstance(sums, str) else hashlib.sha256(sums).hexdigest(),
            "files": files,
        },
        "generated_at": meta["generated_at"],
    }


def _check_seal(source: PackSource, meta: Mapping[str, Any], trust: Trust, report: VerifyReport) -> None:
    """The signed seal binds SHA256SUMS (so every file), the period, the runs and the last run."""
    if SEAL not in source.files:
        message = f"the pack is not sealed ({SEAL} is missing): its files, period and runs are not bound to a signature"
        (report.problems if trust.require_signatures else report.notes).append(message)
        report.pinned = False
        return
    try:
        seal = json.loads(source.read(SEAL))
        if not isinstance(seal, dict) or seal.get("format") != SEAL_FORMAT:
            raise ValueError(f"not an {SEAL_FORMAT} document")
        if canonical_bytes(seal) != source.read(SEAL):
            raise ValueError("not in canonical form")
    except (ValueError, StoreError) as err:
        report.problems.append(f"{SEAL} is unreadable ({err})")
        return
    signed = trust.check(seal)
    if signed.unsigned or signed.refusal():
        report.problems.append(f"{SEAL}: {signed.refusal() or 'not signed'}")
        return
    if not trust.pinned and report.keys and signed.key not in report.keys:
        report.problems.append(
            f"{SEAL}: sealed by {signed.key}, but the evidence is signed by {', '.join(report.keys)} "
            "(a pack re-sealed by someone else: pin the trusted keys with --trusted-key)"
        )
    sums = source.read(SUMS) if SUMS in source.files else b""
    listed = sum(1 for name in source.files if name not in (SUMS, SEAL))
    head_name = source.manifests.get(int((seal.get("head") or {}).get("sequence") or 0))
    expected = {
        "period": meta.get("period"),
        "runs": meta.get("runs"),
        "head": {
            "sequence": (meta.get("runs") or {}).get("last"),
            "sha256": source.hashes.get(head_name) if head_name else None,
        },
        "sums": {"file": SUMS, "sha256": hashlib.sha256(sums).hexdigest(), "files": listed},
    }
    for field_name, value in expected.items():
        if seal.get(field_name) != value:
            report.problems.append(
                f"{SEAL}: the signed {field_name} is {json.dumps(seal.get(field_name), sort_keys=True)}, "
                f"the pack has {json.dumps(value, sort_keys=True)} (a file, the period or a run was changed)"
            )


def _check_sums(source: PackSource, report: VerifyReport) -> None:
    if SUMS not in source.files:
        report.problems.append(f"{SUMS} is missing")
        return
    text = source.read(SUMS).decode("utf-8", "replace")
    listed: dict[str, str] = {}
    if _SUMS_LINES.fullmatch(text):  # the usual case, every line well formed: parsed without a loop per line
        listed = {line[66:]: line[:64] for line in text.splitlines()}
    else:
        for number, line in enumerate(text.splitlines(), 1):
            digest, sep, name = line.partition("  ")
            if not sep or not _HEX64.fullmatch(digest):
                report.problems.append(f"{SUMS}:{number}: not a `sha256sum` line")
                continue
            listed[name] = digest
    hashed = dict(source.hashes)
    hashed.pop(SUMS, None)
    hashed.pop(SEAL, None)
    if listed == hashed:
        return  # every file listed with its sha256, nothing else listed
    for name, actual in sorted(source.hashes.items()):
        if name in (SUMS, SEAL):  # the seal covers SHA256SUMS, so it cannot be listed in it
            continue
        if name not in listed:
            report.problems.append(f"{name}: not listed in {SUMS}")
        elif listed[name] != actual:
            report.problems.append(f"{name}: sha256 {actual} does not match {SUMS} ({listed[name]})")
    for name in sorted(set(listed) - set(source.hashes)):
        report.problems.append(f"{name}: listed in {SUMS} but missing from the pack")


def _check_detached_signatures(source: PackSource, report: VerifyReport) -> None:
    """The files for `openssl pkeyutl -verify` must say exactly what the manifests say."""
    for seq in source.list_manifests():
        payload_name, sig_name = signature_paths(seq)
        try:
            manifest = json.loads(source.get_manifest(seq))
        except ValueError:
            continue  # already reported by the chain check
        signature = manifest.get("signature") if isinstance(manifest, dict) else None
        if not isinstance(signature, dict):
            continue
        if payload_name not in source.files or sig_name not in source.files:
            report.problems.append(f"run {seq}: {payload_name} or {sig_name} is missing")
            continue
        if source.read(payload_name) != signed_bytes(manifest):
            report.problems.append(f"run {seq}: {payload_name} is not the manifest's signed bytes")
        try:
            value = base64.b64decode(str(signature.get("value", "")), validate=True)
        except ValueError:
            continue  # already reported as an unreadable signature
        if source.read(sig_name) != value:
            report.problems.append(f"run {seq}: {sig_name} is not the manifest's signature")
