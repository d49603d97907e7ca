"""Which signatures to trust: pinned key fingerprints, never a key taken from the evidence.

A manifest records the public key that signed it, so its signature proves only that
the manifest was not changed after someone signed it. Who that someone was is proven
only by comparing the key with one obtained out of band: `trusted_keys:` in
annexa.yaml, `annexa verify --trusted-key sha256:FINGERPRINT`.

With `require_signatures` (on by default once a key is pinned or `signing:` is set)
an unsigned run is a failure. Runs older than the first signed one are the exception:
a signed manifest commits to the sha256 of the one before it, which commits to the
one before that, so the first signed run vouches for every run under it (a store that
started signing later stays verifiable). The runs after it must each be signed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from annexa.evidence_store.signing import verify_signature

__all__ = ["FINGERPRINT", "Signed", "Trust", "parse_fingerprint", "shard_signature_problem"]

FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{64}$")


def parse_fingerprint(text: str) -> str:
    """`sha256:` + 64 hex digits (what `annexa keygen` prints); ValueError otherwise."""
    value = text.strip().lower()
    if not FINGERPRINT.match(value):
        raise ValueError(f"{text!r} is not a key fingerprint such as sha256:<64 hex digits> (see `annexa keygen`)")
    return value


@dataclass(frozen=True)
class Signed:
    """What a manifest's signature says: the key (None if unsigned), whether the signature is
    broken (`problem`), and whether a valid signature is by a key that is not pinned."""

    key: str | None
    problem: str | None = None
    untrusted: bool = False

    @property
    def unsigned(self) -> bool:
        return self.key is None and self.problem is None

    def refusal(self) -> str | None:
        """Why a reader must not accept the manifest on its own signature, or None."""
        if self.problem:
            return self.problem
        if self.untrusted:
            return f"signed by {self.key}, which is not a trusted key"
        return None


@dataclass(frozen=True)
class Trust:
    keys: frozenset[str] = frozenset()
    require_signatures: bool = False
    # Pinned TSA certificates (DER) that RFC 3161 tokens must be signed by (timestamps.py).
    tsa_certificates: tuple[bytes, ...] = ()

    @classmethod
    def of(
        cls, keys: Iterable[str] = (), require_signatures: bool | None = None, tsa_certificates: Iterable[bytes] = ()
    ) -> Trust:
        """Pinned keys; `require_signatures` defaults to on when any key is pinned."""
        pinned = frozenset(keys)
        return cls(pinned, bool(pinned) if require_signatures is None else require_signatures, tuple(tsa_certificates))

    @property
    def pinned(self) -> bool:
        return bool(self.keys)

    def check(self, manifest: Mapping[str, Any], signed: bytes | None = None) -> Signed:
        """The manifest's own signature against this policy (not whether an unsigned run is allowed:
        that depends on the runs after it, see `Trust` above); `signed`: its signed bytes, if known."""
        if "signature" not in manifest:
            return Signed(None)
        key, problem = verify_signature(manifest, signed)
        if problem:
            return Signed(key, problem)
        return Signed(key, untrusted=bool(self.keys) and key not in self.keys)

    def describe(self) -> str:
        if not self.keys:
            return "no trusted key pinned"
        return "trusted " + ", ".join(sorted(self.keys))


def shard_signature_problem(trust: Trust, body: Mapping[str, Any], run_signed: bool = False) -> str | None:
    """Why a shard manifest must not be merged or accepted, or None. A shard is outside the hash
    chain until sealed, so nothing later vouches for an unsigned one: with signatures required, or
    under a signed run, it must carry its own signature."""
    signed = trust.check(body)
    if signed.refusal():
        return f"is {signed.refusal()}" if signed.untrusted else f"has a bad signature: {signed.refusal()}"
    if signed.unsigned and (trust.require_signatures or run_signed):
        return "is not signed" + (f" (signatures are required: {trust.describe()})" if trust.require_signatures else "")
    return None
