"""The parts of annexa.yaml that say where the store is and whose signatures it trusts.

`annexa verify` and `annexa head` need only these (`load_store_settings`): they check every
top-level key's name and these sections in full, but neither import nor validate the
collectors, the rules or the rest, so a short command stays short. config.py validates the
whole file with the same functions.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annexa.errors import UsageError, UsageErrors
from annexa.evidence_store.backend import RETENTION_MODES, Retention
from annexa.evidence_store.trust import parse_fingerprint
from annexa.evidence_store.urls import store_url_problem
from annexa.inputfiles import KEY_LIMIT, InputFileError, read_input
from annexa.words import did_you_mean
from annexa.yamlio import LineDict, line_of, load_yaml

__all__ = [
    "DEFAULT_STORE",
    "TOP_KEYS",
    "ConfigFile",
    "StoreSettings",
    "load_store_settings",
    "parse_signing",
    "parse_store",
    "parse_trust",
    "unknown_keys",
]

# -- evidence integrity: pinned keys and required signatures (one block, see parse_trust below) --
_TRUST_KEYS = ("trusted_keys", "require_signatures")


DEFAULT_STORE = "./evidence"
TOP_KEYS = (
    "store",
    "targets",
    "mappings",
    "scope",
    "max_age",
    "notify",
    "signing",
    *_TRUST_KEYS,
    "risks",
    "attesters",
    "attestations",
    "soa",
    "nonconformities",
    "pack",
    "policy",
)
_STORE_KEYS = ("url", "object_lock")
_MAX_RETENTION_DAYS = 36500  # S3's own limit is 100 years


@dataclass(frozen=True)
class StoreSettings:
    """`store`, `trusted_keys`, `require_signatures` and `signing`, as Config has them."""

    store: str = DEFAULT_STORE
    retention: Retention | None = None
    trusted_keys: tuple[str, ...] = ()
    require_signatures: bool | None = None
    signing_key: Path | None = None
    timestamp_url: str | None = None
    tsa_certificate: bytes | None = None


class ConfigFile:
    """An annexa.yaml read as a mapping, collecting every problem found while parsing its sections:
    a bad section does not hide a misspelt key elsewhere (`attempt` keeps its default instead)."""

    def __init__(self, path: Path) -> None:
        doc = load_yaml(path)
        if doc is None:
            doc = LineDict()
        if not isinstance(doc, dict):
            raise UsageError(
                f"{path}:{line_of(doc)}: the configuration must be a mapping of keys such as targets, store"
            )
        self.path = path
        self.doc: dict[str, Any] = doc
        self.problems: list[str] = unknown_keys(doc, self.at)

    def at(self, node: Any, key: Any = None) -> str:
        """`file:line` of `node` (or of its `key`), for a problem's first words."""
        return f"{self.path}:{line_of(node, key)}"

    def attempt(self, parse: Callable[[], Any], default: Any = None) -> Any:
        """`parse()`, or `default` with its problems kept for `raise_problems`."""
        try:
            return parse()
        except UsageErrors as err:
            self.problems.extend(err.lines)
        except UsageError as err:
            self.problems.append(str(err))
        return default

    def raise_problems(self) -> None:
        if self.problems:
            raise UsageErrors(self.problems)


def load_store_settings(path: Path, required: bool = True) -> StoreSettings:
    """The store and trust settings of `path` (UsageErrors naming every problem in them, or an
    unknown top-level key); a missing file is an error only when `required`."""
    if not path.exists() and not required:
        return StoreSettings()
    file = ConfigFile(path)
    doc, at = file.doc, file.at
    store, retention = file.attempt(lambda: parse_store(doc, path, at), (DEFAULT_STORE, None))
    trusted_keys, require_signatures = file.attempt(lambda: parse_trust(doc, at), ((), None))
    key, url, certificate = file.attempt(lambda: parse_signing(doc.get("signing"), path.parent, at), (None, None, None))
    file.raise_problems()
    return StoreSettings(store, retention, trusted_keys, require_signatures, key, url, certificate)


def unknown_keys(doc: Any, at: Any) -> list[str]:
    """A problem for each top-level key annexa.yaml does not have (a misspelt setting fails loudly)."""
    return [
        f"{at(doc, key)}: unknown key {key!r}{did_you_mean(str(key), TOP_KEYS)} (allowed: {', '.join(TOP_KEYS)})"
        for key in doc
        if key not in TOP_KEYS
    ]


def parse_store(doc: Any, path: Path, at: Any) -> tuple[str, Retention | None]:
    """`store:` as a URL or a path resolved against the config file's folder, and its retention."""
    store, retention = _store(doc.get("store", DEFAULT_STORE), lambda node, key=None: at(node, key), doc)
    if "://" not in store:
        store = str((path.parent / store).resolve()) if not Path(store).is_absolute() else store
    return store, retention


def parse_trust(doc: Any, at: Any) -> tuple[tuple[str, ...], bool | None]:
    """`trusted_keys: [sha256:...]` and `require_signatures: bool`."""
    keys = doc.get("trusted_keys", [])
    if not isinstance(keys, list):
        raise UsageError(f"{at(doc, 'trusted_keys')}: `trusted_keys` must be a list of sha256:FINGERPRINT")
    trusted = []
    for index, key in enumerate(keys):
        try:
            trusted.append(parse_fingerprint(str(key)))
        except ValueError as err:
            raise UsageError(f"{at(keys, index)}: trusted_keys: {err}") from None
    require = doc.get("require_signatures")
    if require is not None and not isinstance(require, bool):
        raise UsageError(f"{at(doc, 'require_signatures')}: `require_signatures` must be true or false")
    if require and not trusted and doc.get("signing") is None:
        raise UsageError(
            f"{at(doc, 'require_signatures')}: `require_signatures` needs `trusted_keys` or `signing` "
            "(which signatures would be trusted?)"
        )
    return tuple(trusted), require


_SIGNING_SHAPE = (
    "`signing` must be `{private_key: PATH}`, optionally with `timestamp_url: URL` and `tsa_certificate: PATH` "
    "(create a key with `annexa keygen`)"
)


def parse_signing(section: Any, base: Path, at: Any) -> tuple[Path | None, str | None, bytes | None]:
    """`signing: {private_key: F[, timestamp_url: URL, tsa_certificate: F]}`: the key, the TSA, its certificate."""
    if section is None:
        return None, None, None
    if (
        not isinstance(section, dict)
        or "private_key" not in section
        or not set(section) <= {"private_key", "timestamp_url", "tsa_certificate"}
        or not all(isinstance(value, str) for value in section.values())
    ):
        raise UsageError(f"{at(section) if isinstance(section, dict) else at('signing')}: {_SIGNING_SHAPE}")
    key = Path(section["private_key"])
    key = key if key.is_absolute() else (base / key).resolve()
    if not key.is_file():
        raise UsageError(f"{at(section, 'private_key')}: signing key {section['private_key']!r} does not exist")
    if ("timestamp_url" in section) != ("tsa_certificate" in section):
        missing = "tsa_certificate" if "timestamp_url" in section else "timestamp_url"
        raise UsageError(
            f"{at(section, 'timestamp_url' if missing == 'tsa_certificate' else 'tsa_certificate')}: signing: "
            f"`{missing}` is needed too (a token is checked against the TSA's pinned certificate)"
        )
    if "timestamp_url" not in section:
        return key, None, None
    url = section["timestamp_url"]
    # http is allowed: a token is signed by the TSA and carries no secret (most public TSAs serve http).
    if urllib.parse.urlsplit(url).scheme not in ("http", "https") or not urllib.parse.urlsplit(url).hostname:
        raise UsageError(f"{at(section, 'timestamp_url')}: signing: timestamp_url {url!r} is not an http(s) URL")
    return key, url, _tsa_certificate(section, base, at)


def _tsa_certificate(section: Any, base: Path, at: Any) -> bytes:
    from annexa.evidence_store.timestamps import certificate_der, load_tsa_certificate

    value = section["tsa_certificate"]
    file = Path(value) if Path(value).is_absolute() else base / value
    try:
        return certificate_der(load_tsa_certificate(read_input(file, KEY_LIMIT, None, "a certificate")))
    except (InputFileError, ValueError) as err:
        raise UsageError(
            f"{at(section, 'tsa_certificate')}: signing: tsa_certificate {value!r} is not a PEM or DER certificate "
            f"({err})"
        ) from None


def _store(value: Any, at: Any, doc: Any) -> tuple[str, Retention | None]:
    """`store: URL` or `store: {url: s3://..., object_lock: {mode: governance|compliance, days: N}}`."""
    if isinstance(value, str) and value.strip():
        problem = store_url_problem(value)
        if problem is not None:
            raise UsageError(f"{at(doc, 'store')}: {problem}")
        return value, None
    if not isinstance(value, dict):
        raise UsageError(f"{at(doc, 'store')}: `store` must be a path or a URL such as s3://bucket/prefix")
    for key in value:
        if key not in _STORE_KEYS:
            raise UsageError(
                f"{at(value, key)}: unknown store key {key!r}{did_you_mean(str(key), _STORE_KEYS)} "
                f"(allowed: {', '.join(_STORE_KEYS)})"
            )
    url = value.get("url")
    if not isinstance(url, str) or not url.strip():
        raise UsageError(f"{at(doc, 'store')}: `store.url` must be a path or a URL such as s3://bucket/prefix")
    problem = store_url_problem(url)
    if problem is not None:
        raise UsageError(f"{at(value, 'url')}: {problem}")
    lock = value.get("object_lock")
    if lock is None:
        return url, None
    if not url.startswith("s3://"):
        raise UsageError(f"{at(value, 'object_lock')}: `object_lock` needs an s3:// store (S3 Object Lock)")
    if not isinstance(lock, dict) or set(lock) != {"mode", "days"}:
        raise UsageError(f"{at(value, 'object_lock')}: `object_lock` must be {{mode: governance|compliance, days: N}}")
    mode = str(lock["mode"]).lower()
    if mode not in RETENTION_MODES:
        raise UsageError(f"{at(lock, 'mode')}: object_lock mode must be governance or compliance, not {lock['mode']!r}")
    days = lock["days"]
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= _MAX_RETENTION_DAYS:
        raise UsageError(f"{at(lock, 'days')}: object_lock days must be a whole number from 1 to {_MAX_RETENTION_DAYS}")
    return url, Retention(mode, days)
