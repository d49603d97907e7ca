"""RFC 3161 timestamps on manifests from a configured timestamp authority (TSA).

A signature proves who wrote a manifest, not when: whoever holds the key can write a
backdated chain. A token from a third party's TSA over the manifest's sha256 proves the
manifest existed at the token's `genTime`.

How it fits the chain. With `signing: {timestamp_url: URL, tsa_certificate: FILE}`, a run's
manifest commits (signed) to `timestamp: {tsa, nonce}` before it is published; right after,
a TimeStampReq (SHA-256 of the manifest bytes, certReq true, that nonce) goes to the TSA
and the answer is stored beside the manifest (`timestamps/<sequence>.json`, one record:
the TimeStampResp DER in base64, or the error). Because the manifest names the nonce, a
missing record is found, and a token cannot be taken from another request.

`annexa verify` checks each token offline: the response is granted, its message imprint is
SHA-256 of the manifest bytes, its nonce is the manifest's, the CMS signature over the
signed attributes (content type TSTInfo, message digest of the TSTInfo) verifies with a
pinned TSA certificate (`tsa_certificate`, `--tsa-certificate`; the certificates inside the
token are never trusted) that also names the signer, and genTime is not before the run
started. A run whose TSA failed at collect time keeps the error record: verify reports it as
a warning (its time is unproven; its integrity still rests on the signed chain).

ASN.1 with asn1crypto (TimeStampReq/Resp, CMS), signatures with cryptography.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

__all__ = [
    "TIMESTAMP_FORMAT",
    "TimestampError",
    "Timestamper",
    "certificate_der",
    "certificate_fingerprint",
    "check_record",
    "check_token",
    "fetch_response",
    "load_tsa_certificate",
    "request_der",
]

TIMESTAMP_FORMAT = "annexa.timestamp/1"
_TIMEOUT = 30  # seconds for the TSA's answer; the manifest is already published, nothing waits on it
_MAX_RESPONSE = 1 << 20  # a token is a few KiB (one certificate chain at most)
_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class TimestampError(Exception):
    """A TSA that could not be reached, or a token that does not prove what it must."""


def load_tsa_certificate(data: bytes) -> x509.Certificate:
    """A PEM or DER X.509 certificate; ValueError otherwise."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def certificate_fingerprint(cert: x509.Certificate) -> str:
    return "sha256:" + cert.fingerprint(hashes.SHA256()).hex()


def request_der(manifest_sha256: str, nonce: int) -> bytes:
    """TimeStampReq v1: SHA-256 imprint, the nonce, certReq true (RFC 3161 section 2.4.1)."""
    return tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": bytes.fromhex(manifest_sha256),
            },
            "nonce": nonce,
            "cert_req": True,
        }
    ).dump()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a TSA answers where it is configured; a redirect is an error, not a new address


def fetch_response(url: str, request: bytes, timeout: float = _TIMEOUT) -> bytes:
    """POST the request (RFC 3161 section 3.4); TimestampError naming what went wrong."""
    opener = urllib.request.build_opener(_NoRedirect)
    http = urllib.request.Request(
        url,
        data=request,
        method="POST",
        headers={"Content-Type": "application/timestamp-query", "Accept": "application/timestamp-reply"},
    )
    try:
        with opener.open(http, timeout=timeout) as answer:
            kind = answer.headers.get_content_type()
            body = answer.read(_MAX_RESPONSE + 1)
    except urllib.error.HTTPError as err:
        raise TimestampError(f"the TSA {url} answered HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise TimestampError(f"the TSA {url} could not be reached ({reason})") from None
    if kind != "application/timestamp-reply":
        raise TimestampError(f"the TSA {url} answered {kind}, not application/timestamp-reply")
    if len(body) > _MAX_RESPONSE:
        raise TimestampError(f"the TSA {url} answered more than {_MAX_RESPONSE} bytes")
    return body


def check_token(
    response: bytes,
    manifest_sha256: str,
    nonce: int,
    not_before: datetime,
    certificates: Sequence[x509.Certificate],
) -> datetime:
    """The token's genTime, once everything it must prove holds; TimestampError naming the first failure.

    With no `certificates` (none pinned) the signature is checked against the certificate the
    token carries: integrity of the token only, not that a trusted TSA issued it."""
    try:
        resp = tsp.TimeStampResp.load(response)
        status = resp["status"]["status"].native
        if status not in ("granted", "granted_with_mods"):
            texts = resp["status"]["status_string"].native or []
            raise TimestampError(f"the TSA refused: {status}{': ' + '; '.join(texts) if texts else ''}")
        token = resp["time_stamp_token"]
        if token["content_type"].native != "signed_data":
            raise TimestampError("the token is not CMS SignedData")
        signed = token["content"]
        encap = signed["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise TimestampError("the token's content is not a TSTInfo")
        tst_der = encap["content"].contents
        info = tsp.TSTInfo.load(tst_der)
        imprint = info["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if algorithm != "sha256" or imprint["hashed_message"].native != bytes.fromhex(manifest_sha256):
            raise TimestampError(
                f"the token's message imprint ({algorithm} {imprint['hashed_message'].native.hex()}) is not "
                f"the manifest's sha256 {manifest_sha256}"
            )
        if info["nonce"].native != nonce:
            raise TimestampError(f"the token's nonce {info['nonce'].native} is not the request's {nonce}")
        gen_time: datetime = info["gen_time"].native
        infos = signed["signer_infos"]
        if len(infos) != 1:
            raise TimestampError(f"the token has {len(infos)} signers, not one")
        signer = infos[0]
        cert = _signer_certificate(signer, certificates, signed)
        _check_signature(signer, tst_der, cert)
    except TimestampError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise TimestampError(f"the token is not a readable RFC 3161 response ({type(err).__name__}: {err})") from None
    if gen_time < not_before:
        raise TimestampError(f"the token's genTime {gen_time.isoformat()} is before the run started ({not_before})")
    return gen_time


def _names(signer: Any, cert: x509.Certificate) -> bool:
    """Whether the SignerInfo's sid identifies `cert` (issuer and serial, or subject key identifier)."""
    sid = signer["sid"]
    if sid.name == "issuer_and_serial_number":
        issuer = sid.chosen["issuer"].dump()
        serial = sid.chosen["serial_number"].native
        return serial == cert.serial_number and issuer == cert.issuer.public_bytes()
    try:
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return False
    return bool(sid.chosen.native == ski)


def _signer_certificate(signer: Any, pinned: Sequence[x509.Certificate], signed: Any) -> x509.Certificate:
    if pinned:
        for cert in pinned:
            if _names(signer, cert):
                return cert
        raise TimestampError(
            "the token is signed by a TSA certificate that is not the pinned one "
            f"({', '.join(certificate_fingerprint(c) for c in pinned)})"
        )
    for choice in signed["certificates"] or ():
        if choice.name == "certificate":
            cert = x509.load_der_x509_certificate(choice.chosen.dump())
            if _names(signer, cert):
                return cert
    raise TimestampError("the token does not carry its signer's certificate, and no TSA certificate is pinned")


def _check_signature(signer: Any, tst_der: bytes, cert: x509.Certificate) -> None:
    """CMS (RFC 5652 section 5.4): the signed attributes carry the content type and the TSTInfo's
    digest, and the signature covers the attributes' DER as a SET OF."""
    digest_name = signer["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        raise TimestampError(f"unsupported digest algorithm {digest_name}")
    attrs = signer["signed_attrs"]
    if not attrs:
        raise TimestampError("the token's signature has no signed attributes")
    values = {attr["type"].native: attr["values"] for attr in attrs}
    if "content_type" not in values or values["content_type"][0].native != "tst_info":
        raise TimestampError("the signed attributes do not name TSTInfo as the content type")
    if "message_digest" not in values:
        raise TimestampError("the signed attributes carry no message digest")
    actual = hashlib.new(digest_name, tst_der).digest()
    if values["message_digest"][0].native != actual:
        raise TimestampError("the signed message digest is not the TSTInfo's: the token was altered")
    data = attrs.untag().dump()  # the same bytes under the universal SET OF tag: what the signature covers
    signature = signer["signature"].native
    key = cert.public_key()
    hash_algorithm = _HASHES[digest_name]()
    scheme = signer["signature_algorithm"].signature_algo
    try:
        if isinstance(key, rsa.RSAPublicKey):
            pad: padding.AsymmetricPadding = padding.PKCS1v15()
            if scheme == "rsassa_pss":
                pad = padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=padding.PSS.AUTO)
            key.verify(signature, data, pad, hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hash_algorithm))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            raise TimestampError(f"unsupported TSA key type {type(key).__name__}")
    except InvalidSignature:
        raise TimestampError(
            f"the TSA's signature does not verify with certificate {certificate_fingerprint(cert)}"
        ) from None


@dataclass(frozen=True)
class Timestamper:
    """The store's timestamp client: the TSA's URL and its pinned certificate (DER)."""

    url: str
    certificate: bytes

    @staticmethod
    def nonce() -> int:
        return secrets.randbits(63) | 1  # positive and never zero

    def stamp(self, sequence: int, manifest_sha256: str, nonce: int, started_at: datetime) -> dict[str, Any]:
        """The record stored beside manifest `sequence`: the checked token, or the error."""
        record: dict[str, Any] = {
            "format": TIMESTAMP_FORMAT,
            "sequence": sequence,
            "manifest_sha256": manifest_sha256,
            "tsa": self.url,
        }
        try:
            response = fetch_response(self.url, request_der(manifest_sha256, nonce))
            cert = x509.load_der_x509_certificate(self.certificate)
            gen_time = check_token(response, manifest_sha256, nonce, started_at, [cert])
        except TimestampError as err:
            record["error"] = str(err)
            return record
        record["gen_time"] = gen_time.strftime("%Y-%m-%dT%H:%M:%SZ")
        record["response"] = base64.b64encode(response).decode("ascii")
        return record


def check_record(
    record: Mapping[str, Any] | None,
    manifest: Mapping[str, Any],
    manifest_sha256: str,
    not_before: datetime,
    certificates: Sequence[x509.Certificate],
) -> tuple[str | None, str | None]:
    """A manifest's timestamp record against what the signed manifest committed to:
    (problem, warning). A failed TSA request recorded at collect time is a warning."""
    promised = manifest.get("timestamp")
    if not isinstance(promised, Mapping):
        return None, None
    if record is None:
        return "its timestamp record is missing (the manifest commits to one)", None
    if record.get("manifest_sha256") != manifest_sha256 or record.get("sequence") != manifest.get("sequence"):
        return "its timestamp record names another manifest", None
    if "response" not in record:
        return None, f"not timestamped: {record.get('error', 'no token and no error recorded')}"
    try:
        response = base64.b64decode(str(record["response"]), validate=True)
        nonce = int(str(promised.get("nonce")))
    except ValueError as err:
        return f"its timestamp record is unreadable ({err})", None
    try:
        check_token(response, manifest_sha256, nonce, not_before, certificates)
    except TimestampError as err:
        return f"timestamp: {err}", None
    return None, None


def certificate_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)
