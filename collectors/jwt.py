"""RS256 JSON Web Tokens, for the OAuth flows where annexa proves who it is with a private key
(a GitHub App's JWT, an Okta service app's client assertion, RFC 7523)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["rs256_jwt"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rs256_jwt(claims: Mapping[str, Any], private_key_pem: bytes, headers: Mapping[str, Any] | None = None) -> str:
    """`claims` signed with an RSA private key (PEM); ValueError for a key that is not RSA.

    ImportError when `cryptography` is missing: it is optional (only key-based auth needs it)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the private key must be an RSA key")
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT", **(headers or {})}, separators=(",", ":")).encode())
    payload = _b64(json.dumps(dict(claims), separators=(",", ":")).encode())
    signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{payload}.{_b64(signature)}"
