"""A local RFC 3161 timestamp authority for tests: HTTP on 127.0.0.1 answering
application/timestamp-query with a token signed by a key and certificate made here.

`mode` decides what it answers: `good`, `wrong_imprint` (a token over other bytes),
`wrong_nonce`, `other_cert` (signed by a second TSA, not the pinned one), `http_500`.
The shapes follow RFC 3161 section 2.4.2 (TimeStampResp, TSTInfo) and RFC 5652 (CMS
SignedData with signed attributes content-type and message-digest).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["LocalTsa", "make_tsa_identity", "running_tsa"]


@dataclass
class TsaIdentity:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


def make_tsa_identity(name: str = "annexa test TSA") -> TsaIdentity:
    """A self-signed P-256 certificate with the critical timeStamping EKU (RFC 3161 section 2.3)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    return TsaIdentity(key, cert)


def issue(request: bytes, identity: TsaIdentity, mode: str = "good", gen_time: datetime | None = None) -> bytes:
    """A TimeStampResp DER answering `request` (a TimeStampReq DER), altered as `mode` says."""
    req = tsp.TimeStampReq.load(request)
    imprint = req["message_imprint"]
    if mode == "wrong_imprint":
        imprint = tsp.MessageImprint(
            {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": hashlib.sha256(b"other").digest()}
        )
    nonce = req["nonce"].native
    if mode == "wrong_nonce":
        nonce += 1
    info = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.3.6.1.4.1.99999.1",
            "message_imprint": imprint,
            "serial_number": 1,
            "gen_time": (gen_time or datetime.now(timezone.utc)).replace(microsecond=0),
            "nonce": nonce,
        }
    )
    tst_der = info.dump()
    cert_der = identity.cert.public_bytes(serialization.Encoding.DER)
    cert = asn1_x509.Certificate.load(cert_der)
    # RFC 3161 section 2.4.1 (as updated by RFC 5816): the signer's certificate is named in a
    # signing-certificate attribute; OpenSSL's `ts -verify` refuses a token without it.
    ess_cert_id = {"hash_algorithm": {"algorithm": "sha256"}, "cert_hash": hashlib.sha256(cert_der).digest()}
    attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]}),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [{"certs": [ess_cert_id]}]}),
        ]
    )
    signature = identity.key.sign(attrs.dump(), ec.ECDSA(hashes.SHA256()))
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}}
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": attrs,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": signature,
        }
    )
    signed = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(tst_der)},
            "certificates": [cert] if req["cert_req"].native else [],
            "signer_infos": [signer],
        }
    )
    return tsp.TimeStampResp(
        {
            "status": {"status": "granted"},
            "time_stamp_token": {"content_type": "signed_data", "content": signed},
        }
    ).dump()


@dataclass
class LocalTsa:
    url: str
    identity: TsaIdentity  # the TSA's own (pinned) certificate
    other: TsaIdentity  # a second TSA: `other_cert` signs with it
    mode: str = "good"
    requests: list[bytes] = field(default_factory=list)


@contextmanager
def running_tsa() -> Iterator[LocalTsa]:
    identity, other = make_tsa_identity(), make_tsa_identity("another TSA")
    state: dict[str, LocalTsa] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            tsa = state["tsa"]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            tsa.requests.append(body)
            if tsa.mode == "http_500" or self.headers.get_content_type() != "application/timestamp-query":
                self.send_response(500)
                self.end_headers()
                return
            signer = tsa.other if tsa.mode == "other_cert" else tsa.identity
            answer = issue(body, signer, tsa.mode)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["tsa"] = LocalTsa(f"http://127.0.0.1:{server.server_address[1]}/tsa", identity, other)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["tsa"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
