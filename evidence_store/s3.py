"""The S3 backend: `s3://bucket/prefix` on AWS S3 or any S3-compatible service.

Same layout as the local store under the prefix:
    objects/<2 hex>/<sha256>               canonical JSON, content-addressed
    manifests/<sequence>.json              one per run, 8-digit zero-padded sequence
    shards/<run_id>/<K>-of-<N>.json        shard manifests of a sharded run
    timestamps/<sequence>.json             RFC 3161 timestamp record of a manifest, when configured
Every object is written once with a conditional put (`If-None-Match: *`): S3
refuses to replace an existing key, so a second writer can never overwrite
evidence, and a taken manifest slot is detected atomically by the service itself.
Uploads carry their SHA-256 (`x-amz-checksum-sha256`), so S3 rejects a body
damaged in transit. With `Retention`, each object is written under S3 Object Lock
(governance or compliance mode) and cannot be deleted before its retention ends.

The SQLite index is local (derived, never evidence): kept under
`$XDG_CACHE_HOME/annexa/s3/` per endpoint, bucket and prefix, and rebuilt from
the bucket when missing. `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`) points
boto3 at an S3-compatible service; credentials come from the default chain.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO

import boto3
import botocore.config
from botocore.exceptions import BotoCoreError, ClientError

from annexa.errors import StoreError
from annexa.evidence_store.backend import Retention, SlotTaken
from annexa.evidence_store.lock import LockHolder
from annexa.evidence_store.urls import parse_s3_url, store_url_problem

__all__ = ["S3Backend", "index_cache_dir"]

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_MANIFEST = re.compile(r"^(\d{8})\.json$")
_SHARD = re.compile(r"^(\d+-of-\d+)\.json$")
# A concurrent conditional write to the same key may get 409 instead of 412.
_TAKEN = ("PreconditionFailed", "ConditionalRequestConflict")
_MISSING = ("NoSuchKey", "404", "NotFound")


def index_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "annexa" / "s3"


class _ChainOnlyLock:
    """S3 has no lock that a crashed holder drops by itself, and annexa is given no delete right to
    clear one. Overlapping runs on S3 therefore both collect, and both land in the chain one after
    the other: the manifest slot's conditional put is what keeps the chain whole (see lock.py)."""

    def acquire(self, holder: LockHolder) -> LockHolder | None:
        return None

    def release(self) -> None:
        return None


class S3Backend:
    page_size = 1000  # S3's maximum keys per list page
    write_threads = 16  # object PUTs in flight at once (the client's pool holds 32 connections)

    def __init__(self, client: Any, bucket: str, prefix: str, retention: Retention | None = None) -> None:
        self._s3 = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.retention = retention
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"

    @classmethod
    def from_url(cls, url: str, retention: Retention | None = None) -> S3Backend:
        parsed = parse_s3_url(url)
        if parsed is None:
            raise StoreError(store_url_problem(url) or f"invalid store URL {url!r}")
        bucket, prefix = parsed
        config = botocore.config.Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=32)
        try:
            client = boto3.session.Session().client("s3", config=config)
        except BotoCoreError as err:
            raise StoreError(f"{url}: cannot create an S3 client: {err}") from None
        return cls(client, bucket, prefix, retention)

    # -- keys --------------------------------------------------------------------

    def _key(self, *parts: str) -> str:
        return "/".join([self.prefix, *parts] if self.prefix else parts)

    def _object_key(self, digest: str) -> str:
        if not _DIGEST.match(digest):
            raise StoreError(f"{self.url}: invalid object name {digest!r}")
        return self._key("objects", digest[:2], digest)

    # -- S3 calls ----------------------------------------------------------------

    def _call(self, operation: str, key: str, **params: Any) -> Any:
        """One S3 call; every failure becomes a one-line StoreError naming the key (ClientError passes)."""
        try:
            return getattr(self._s3, operation)(Bucket=self.bucket, **params)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in _TAKEN or code in _MISSING:
                raise
            message = err.response.get("Error", {}).get("Message", "") or str(err)
            raise StoreError(f"{self.url}: {operation} {key} failed: {code}: {message}") from None
        except BotoCoreError as err:
            raise StoreError(f"{self.url}: {operation} {key} failed: {err}") from None

    def _put_once(self, key: str, data: bytes | BinaryIO, sha256: bytes | None = None) -> None:
        """Create `key` with `data`; raise SlotTaken if the key exists (S3 refuses the overwrite).
        `sha256`: the data's, when known (an object's name), so a file need not be read twice."""
        params: dict[str, Any] = {
            "Key": key,
            "Body": data,
            "IfNoneMatch": "*",
            "ChecksumAlgorithm": "SHA256",
            "ChecksumSHA256": base64.b64encode(
                sha256 if sha256 is not None else hashlib.sha256(data).digest()
            ).decode(),
            "ContentType": "application/json",
        }
        if self.retention is not None:
            params["ObjectLockMode"] = self.retention.mode.upper()
            params["ObjectLockRetainUntilDate"] = datetime.now(timezone.utc) + timedelta(days=self.retention.days)
        try:
            self._call("put_object", key, **params)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _TAKEN:
                raise SlotTaken(key) from None
            raise StoreError(f"{self.url}: put_object {key} failed: {err}") from None

    def _get(self, key: str, what: str) -> bytes:
        try:
            return bytes(self._call("get_object", key, Key=key)["Body"].read())
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _MISSING:
                raise StoreError(f"{self.url}: {what} is missing") from None
            raise StoreError(f"{self.url}: get_object {key} failed: {err}") from None

    def _list(self, folder: str, start_after: str | None = None) -> list[str]:
        """Every key name under `folder/` (paged; relative to the folder)."""
        base = self._key(folder) + "/"
        params: dict[str, Any] = {"Prefix": base, "MaxKeys": self.page_size}
        if start_after:
            params["StartAfter"] = base + start_after
        names = []
        while True:
            try:
                page = self._call("list_objects_v2", base, **params)
            except ClientError as err:
                raise StoreError(f"{self.url}: list_objects_v2 {base} failed: {err}") from None
            names.extend(item["Key"][len(base) :] for item in page.get("Contents", []))
            if not page.get("IsTruncated"):
                return names
            params["ContinuationToken"] = page["NextContinuationToken"]

    # -- Backend -----------------------------------------------------------------

    def has_object(self, digest: str) -> bool:
        key = self._object_key(digest)
        try:
            self._call("head_object", key, Key=key)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _MISSING:
                return False
            raise StoreError(f"{self.url}: head_object {key} failed: {err}") from None
        return True

    def scratch(self) -> BinaryIO:
        """In memory: S3 takes a body whole, and a file on this machine would only be read back into it."""
        return io.BytesIO()

    def put_object(self, digest: str, data: bytes | BinaryIO) -> None:
        try:
            self._put_once(self._object_key(digest), data, bytes.fromhex(digest))
        except SlotTaken:
            return  # content-addressed: the same name holds the same bytes (`annexa verify` checks it)

    def get_object(self, digest: str) -> bytes:
        return self._get(self._object_key(digest), f"object {digest}")

    def iter_objects(self) -> list[str]:
        return sorted(
            name.rpartition("/")[2] for name in self._list("objects") if _DIGEST.match(name.rpartition("/")[2])
        )

    def publish_manifest(self, sequence: int, data: bytes) -> None:
        self._put_once(self._key("manifests", f"{sequence:08d}.json"), data)

    def get_manifest(self, sequence: int) -> bytes:
        return self._get(self._key("manifests", f"{sequence:08d}.json"), f"manifest {sequence:08d}.json")

    def list_manifests(self, after: int = 0) -> list[int]:
        # Keys sort like their numbers (zero-padded), so only newer manifests are listed.
        names = self._list("manifests", f"{after:08d}.json" if after else None)
        return sorted(int(m.group(1)) for name in names if (m := _MANIFEST.match(name)))

    def publish_shard(self, run_id: str, name: str, data: bytes) -> None:
        self._put_once(self._key("shards", run_id, f"{name}.json"), data)

    def get_shard(self, run_id: str, name: str) -> bytes:
        return self._get(self._key("shards", run_id, f"{name}.json"), f"shard {name} of run {run_id}")

    def list_shards(self, run_id: str) -> list[str]:
        return sorted(m.group(1) for name in self._list(f"shards/{run_id}") if (m := _SHARD.match(name)))

    def publish_timestamp(self, sequence: int, data: bytes) -> None:
        self._put_once(self._key("timestamps", f"{sequence:08d}.json"), data)

    def get_timestamp(self, sequence: int) -> bytes | None:
        key = self._key("timestamps", f"{sequence:08d}.json")
        try:
            return bytes(self._call("get_object", key, Key=key)["Body"].read())
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise StoreError(f"{self.url}: get_object timestamps/{sequence:08d}.json failed: {err}") from None

    def index_path(self) -> Path:
        endpoint = self._s3.meta.endpoint_url or ""
        tag = hashlib.sha256(f"{endpoint}\n{self.bucket}\n{self.prefix}".encode()).hexdigest()[:16]
        return index_cache_dir() / f"{self.bucket}-{tag}" / "index.sqlite"

    def run_lock(self) -> _ChainOnlyLock:
        return _ChainOnlyLock()


def check_object_lock(backend: S3Backend, retention: Retention, report: Any) -> None:
    """`store.object_lock` is configured: the bucket must really have Object Lock on, and every
    manifest must be under retention in the configured mode until at least `days` after it was
    written (a bucket without Object Lock would have let them be deleted). Adds to `report.problems`."""
    try:
        config = backend._s3.get_object_lock_configuration(Bucket=backend.bucket)["ObjectLockConfiguration"]
        enabled = config.get("ObjectLockEnabled") == "Enabled"
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "ObjectLockConfigurationNotFoundError":
            report.problems.append(f"{backend.url}: cannot read the bucket's Object Lock configuration: {err}")
            return
        enabled = False
    except BotoCoreError as err:
        report.problems.append(f"{backend.url}: cannot read the bucket's Object Lock configuration: {err}")
        return
    if not enabled:
        report.problems.append(
            f"{backend.url}: store.object_lock is configured, but bucket {backend.bucket} does not have Object Lock "
            "enabled: its evidence can be deleted"
        )
        return
    for seq in backend.list_manifests():
        key = backend._key("manifests", f"{seq:08d}.json")
        try:
            head = backend._s3.head_object(Bucket=backend.bucket, Key=key)
        except (ClientError, BotoCoreError) as err:
            report.problems.append(f"{backend.url}: cannot read the retention of {key}: {err}")
            continue
        mode, until = head.get("ObjectLockMode"), head.get("ObjectLockRetainUntilDate")
        wanted = head["LastModified"] + timedelta(days=retention.days) - timedelta(days=1)
        if mode != retention.mode.upper() or until is None or until < wanted:
            report.problems.append(
                f"{backend.url}: manifest {seq:08d}.json is under retention {mode or 'none'} until {until or '-'}, "
                f"not {retention.mode.upper()} for {retention.days} days"
            )
