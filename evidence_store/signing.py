"""Ed25519 signing of manifests.

What is signed, exactly: the canonical JSON bytes (evidence_store/canonical.py) of
the manifest with its `signature` member removed. The `signature` member records
the algorithm, the signing public key (DER SubjectPublicKeyInfo, base64) and its
fingerprint (`sha256:` + hex sha256 of that DER, what
`openssl pkey -pubin -outform DER | sha256sum` prints), so a store or an audit pack
is verifiable with nothing else. Trusting *which* key signed is the auditor's
decision: `annexa verify --public-key` pins it, and a key change mid-chain is flagged.
"""

from __future__ import annotations

import base64
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from annexa.errors import UsageError
from annexa.evidence_store.canonical import canonical_bytes, sha256_hex
from annexa.inputfiles import KEY_LIMIT, read_input

__all__ = [
    "ALGORITHM",
    "KeyPair",
    "Ed25519Signer",
    "fingerprint",
    "generate_keypair",
    "load_public_key",
    "signed_bytes",
    "verify_signature",
]

ALGORITHM = "ed25519"


def signed_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The exact bytes a manifest's signature covers."""
    return canonical_bytes({k: v for k, v in manifest.items() if k != "signature"})


def _spki_der(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PublicKey) -> str:
    return "sha256:" + sha256_hex(_spki_der(key))


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    public_path: Path
    fingerprint: str


def generate_keypair(private_path: Path) -> KeyPair:
    """Write a new private key (mode 0600, never overwritten) and `<name>.pub` beside it."""
    public_path = private_path.with_name(private_path.name + ".pub")
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for path in (private_path, public_path):
        if path.exists():
            raise UsageError(f"{path} already exists; refusing to overwrite a key")
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # 0600 from the first byte
        with os.fdopen(fd, "wb") as handle:
            handle.write(private)
        public_path.write_bytes(public_pem(key.public_key()))
    except OSError as err:
        raise UsageError(f"{err.filename or private_path}: cannot write the key: {err.strerror or err}") from None
    return KeyPair(private_path, public_path, fingerprint(key.public_key()))


class Ed25519Signer:
    """The Store's `signer`: canonical manifest bytes (without `signature`) -> the signature member."""

    def __init__(self, private_path: Path) -> None:
        pem = read_input(private_path, KEY_LIMIT, "signing.private_key", expected="a PEM key")
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as err:
            raise UsageError(
                f"signing.private_key {private_path}: not an unencrypted PEM private key ({err})"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise UsageError(
                f"signing.private_key {private_path}: not an Ed25519 key (create one with `annexa keygen`)"
            )
        self._key = key
        public = key.public_key()
        self._public = base64.b64encode(_spki_der(public)).decode("ascii")
        self.fingerprint = fingerprint(public)

    def __call__(self, payload: bytes) -> dict[str, Any]:
        return {
            "algorithm": ALGORITHM,
            "key_fingerprint": self.fingerprint,
            "public_key": self._public,
            "value": base64.b64encode(self._key.sign(payload)).decode("ascii"),
        }


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """A PEM or base64-DER Ed25519 public key; ValueError otherwise."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_der_public_key(base64.b64decode(data, validate=True))
    except (ValueError, TypeError) as err:
        raise ValueError(f"not a public key ({err})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


@functools.lru_cache(maxsize=64)
def _recorded_key(encoded: str) -> tuple[Ed25519PublicKey, str]:
    """A manifest's recorded key and its fingerprint, parsed once per key rather than once per run."""
    key = load_public_key(encoded.encode("ascii"))
    return key, fingerprint(key)


def verify_signature(manifest: Mapping[str, Any], signed: bytes | None = None) -> tuple[str | None, str | None]:
    """Check a manifest's signature against the key it names: (fingerprint, problem or None).
    `signed`: its `signed_bytes`, when the caller has them already."""
    sig = manifest.get("signature")
    if not isinstance(sig, Mapping):
        return None, "the signature member is not an object"
    if sig.get("algorithm") != ALGORITHM:
        return None, f"unsupported signature algorithm {sig.get('algorithm')!r}"
    try:
        key, actual = _recorded_key(str(sig.get("public_key", "")))
        value = base64.b64decode(str(sig.get("value", "")), validate=True)
    except (ValueError, UnicodeEncodeError) as err:
        return None, f"unreadable signature: {err}"
    if sig.get("key_fingerprint") != actual:
        return (
            actual,
            f"key_fingerprint {sig.get('key_fingerprint')!r} does not match the recorded public key ({actual})",
        )
    try:
        key.verify(value, signed_bytes(manifest) if signed is None else signed)
    except InvalidSignature:
        return actual, f"signature does not match the manifest (key {actual})"
    return actual, None
