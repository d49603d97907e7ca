"""Credentials for a gcp target, through google-auth.

- Application Default Credentials (`google.auth.default`): GOOGLE_APPLICATION_CREDENTIALS (a service
  account key file or a workload identity federation config), `gcloud auth application-default
  login`, or the metadata server (GCE, GKE workload identity, Cloud Run).
- `impersonate:` a read-only service account: the ADC principal only needs
  `iam.serviceAccounts.getAccessToken` on it (roles/iam.serviceAccountTokenCreator), and every read
  is made as that account, whose role is policies/gcp-readonly-role.yaml.
- `access_token_env:` a bearer token obtained elsewhere (`gcloud auth print-access-token`), for
  air-gapped runners, CI and tests: ADC is then never consulted (no metadata server lookup).

The scope is `cloud-platform`: IAM, Cloud SQL Admin, Cloud KMS and Essential Contacts accept no
narrower one (their discovery documents list only `cloud-platform` for the methods annexa calls), so
what the token may do is bounded by the principal's IAM role, not by the OAuth scope.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import google.auth
import google.oauth2.credentials
from google.auth import impersonated_credentials
from google.auth.credentials import Credentials
from google.auth.exceptions import GoogleAuthError

from annexa.collectors.gcp.settings import GcpSettings

__all__ = ["SCOPES", "Identity", "build_credentials", "iamcredentials_url"]

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
_TOKEN_LIFETIME_S = 3600


class CredentialError(Exception):
    """No credential could be built: the reason, without any secret."""


@dataclass(frozen=True)
class Identity:
    credentials: Credentials
    principal: str  # who reads, as the evidence names it


def iamcredentials_url(settings: GcpSettings, account: str) -> str | None:
    """The generateAccessToken URL under a configured endpoint (google-auth's own otherwise)."""
    if settings.endpoint is None:
        return None
    return f"{settings.endpoint}/iamcredentials/v1/projects/-/serviceAccounts/{account}:generateAccessToken"


def _source(settings: GcpSettings) -> Identity:
    if settings.access_token_env:
        token = os.environ.get(settings.access_token_env)
        if not token:
            raise CredentialError(f"the environment variable {settings.access_token_env} holds no access token")
        return Identity(google.oauth2.credentials.Credentials(token), f"access token from ${settings.access_token_env}")
    try:
        credentials, _project = google.auth.default(scopes=list(SCOPES))
    except GoogleAuthError as exc:
        raise CredentialError(f"no Application Default Credentials: {exc}") from None
    email = getattr(credentials, "service_account_email", None)
    return Identity(credentials, str(email) if email and email != "default" else "application default credentials")


def build_credentials(settings: GcpSettings) -> Identity:
    """The credentials every read of this target uses; CredentialError names why there are none."""
    source = _source(settings)
    if not settings.impersonate:
        return source
    credentials = impersonated_credentials.Credentials(
        source_credentials=source.credentials,
        target_principal=settings.impersonate,
        target_scopes=list(SCOPES),
        lifetime=_TOKEN_LIFETIME_S,
        iam_endpoint_override=iamcredentials_url(settings, settings.impersonate),
    )
    return Identity(credentials, settings.impersonate)
