"""azure-identity credentials from an azure target's `credential:` option.

A credential that cannot be built (a secret variable unset) or cannot produce a
token becomes error evidence for every kind the target's collectors read.
"""

from __future__ import annotations

import os
import time
from typing import Any

from azure.core.credentials import AccessToken, TokenCredential
from azure.identity import ClientSecretCredential, CredentialUnavailableError, DefaultAzureCredential

from annexa.collectors.azure.client import token_claims
from annexa.collectors.azure.settings import AzureSettings

__all__ = ["EnvTokenCredential", "build_credential"]


class EnvTokenCredential:
    """Bearer tokens read from environment variables, one per API scope.

    For runners that cannot reach Entra ID themselves: a token minted elsewhere
    (`az account get-access-token --resource-type arm --query accessToken -o tsv`) is
    handed over in the environment. Its expiry is read from the token's `exp` claim.
    """

    def __init__(self, env_by_scope: dict[str, str]) -> None:
        self._env_by_scope = env_by_scope

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        scope = scopes[0] if scopes else ""
        name = self._env_by_scope.get(scope)
        if name is None:
            raise CredentialUnavailableError(f"access_token_env names no variable for the scope {scope}")
        token = os.environ.get(name, "").strip()
        if not token:
            raise CredentialUnavailableError(f"the environment variable {name} (token for {scope}) is not set")
        expires = token_claims(token).get("exp")
        return AccessToken(token, int(expires) if isinstance(expires, (int, float)) else int(time.time()) + 3600)


def build_credential(settings: AzureSettings, arm_scope: str, graph_scope: str) -> TokenCredential:
    """The credential the settings ask for; CredentialUnavailableError when a named secret is missing."""
    spec = settings.credential
    authority = settings.authority
    if spec.type == "service_principal":
        assert spec.client_id and spec.client_secret_env  # checked by parse_settings
        secret = os.environ.get(spec.client_secret_env, "")
        if not secret:
            raise CredentialUnavailableError(
                f"the environment variable {spec.client_secret_env} (client secret) is not set"
            )
        assert settings.tenant_id  # checked by parse_settings
        return ClientSecretCredential(settings.tenant_id, spec.client_id, secret, authority=authority)
    if spec.type == "access_token_env":
        env_by_scope = {}
        if spec.arm_token_env:
            env_by_scope[arm_scope] = spec.arm_token_env
        if spec.graph_token_env:
            env_by_scope[graph_scope] = spec.graph_token_env
        return EnvTokenCredential(env_by_scope)
    allowed = [settings.tenant_id] if settings.tenant_id else []
    return DefaultAzureCredential(authority=authority, additionally_allowed_tenants=allowed)
