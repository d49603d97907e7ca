"""Readable causes of collection errors, with what to do about them.

A failed read is recorded with the provider's own error code (`NoCredentialsError`,
`ExpiredToken`, `ClientAuthenticationError`). People need the cause in words and the fix:
the collect log says it once per target, and `annexa findings` groups the results that
one cause made `error` into one line. Pure data, importable by every layer (a report
shows it without loading any provider SDK).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Cause", "cause_of"]


@dataclass(frozen=True)
class Cause:
    summary: str  # "no AWS credentials"
    hint: str  # what to do: "set AWS_PROFILE or the target's `profile:`"


_AWS_CREDENTIALS = Cause(
    "no AWS credentials",
    "set AWS_PROFILE or the target's `profile:`, or run where a role provides them (`aws sts get-caller-identity` "
    "must work)",
)
_AWS_REJECTED = Cause(
    "AWS rejected the credentials", "check the access key or profile (and the partition of `regions:`)"
)
_AWS_EXPIRED = Cause("the AWS credentials expired", "renew them (`aws sso login`, or fresh keys) and run again")
_AWS_UNREACHABLE = Cause(
    "the AWS endpoint could not be reached", "check the network, a proxy, the region name or AWS_ENDPOINT_URL"
)
_AWS_DENIED = Cause(
    "AWS denied a read", "grant the read-only permissions the README lists (e.g. the SecurityAudit managed policy)"
)
_AZURE_CREDENTIALS = Cause(
    "no usable Azure credentials",
    "run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or a workload identity)",
)

# provider -> error code -> cause. Codes are those the collectors record (collectors/*/errors.py, client.py).
_CAUSES: dict[str, dict[str, Cause]] = {
    "aws": {
        "NoCredentialsError": _AWS_CREDENTIALS,
        "PartialCredentialsError": _AWS_CREDENTIALS,
        "ProfileNotFound": Cause("the AWS profile does not exist", "check the target's `profile:` and ~/.aws/config"),
        "SSOTokenLoadError": _AWS_EXPIRED,
        "UnauthorizedSSOTokenError": _AWS_EXPIRED,
        "ExpiredToken": _AWS_EXPIRED,
        "ExpiredTokenException": _AWS_EXPIRED,
        "RequestExpired": _AWS_EXPIRED,
        "InvalidClientTokenId": _AWS_REJECTED,
        "UnrecognizedClientException": _AWS_REJECTED,
        "SignatureDoesNotMatch": _AWS_REJECTED,
        "AuthFailure": _AWS_REJECTED,
        "EndpointConnectionError": _AWS_UNREACHABLE,
        "ConnectTimeoutError": _AWS_UNREACHABLE,
        "ConnectionClosedError": _AWS_UNREACHABLE,
        "ReadTimeoutError": _AWS_UNREACHABLE,
        "AccessDenied": _AWS_DENIED,
        "AccessDeniedException": _AWS_DENIED,
        "UnauthorizedOperation": _AWS_DENIED,
    },
    "azure": {
        "ClientAuthenticationError": _AZURE_CREDENTIALS,
        "CredentialUnavailableError": _AZURE_CREDENTIALS,
        "HTTP401": _AZURE_CREDENTIALS,
        "AuthorizationFailed": Cause("Azure denied a read", "assign the Reader role on the subscription"),
    },
    "github": {
        "no_credentials": Cause("no GitHub credentials", "set the token variable the target's `token_env:` names"),
    },
}


def cause_of(provider: str, code: str | None) -> Cause | None:
    """The readable cause of a `provider` error code, or None when there is nothing to add to the code."""
    return _CAUSES.get(provider, {}).get(code or "")
