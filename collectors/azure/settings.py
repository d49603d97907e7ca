"""The options of an `azure:` target, checked when the config is loaded.

```yaml
- azure:
    subscriptions: [00000000-0000-0000-0000-000000000000]   # omitted: every subscription the principal sees
    tenant_id: 11111111-1111-1111-1111-111111111111           # optional; the token's tenant otherwise
    credential: {type: default}                               # see CREDENTIAL_TYPES
    arm_endpoint: https://management.azure.com                # sovereign clouds: their ARM, Graph and
    graph_endpoint: https://graph.microsoft.com               # login endpoints
    authority: https://login.microsoftonline.com
    break_glass_accounts: [33333333-3333-4333-8333-333333333333]  # emergency-access object ids
```

`break_glass_accounts`: the object ids of emergency-access (break-glass) users or groups that
a Conditional Access policy may exclude and still count as "MFA required for all users".
Microsoft recommends excluding them (Manage emergency access accounts in Microsoft Entra ID);
annexa allows no exclusion it was not told about, so the list is empty unless configured.

Secrets never live in the config: a service principal names the environment
variable that holds its secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["AzureSettings", "CREDENTIAL_TYPES", "CredentialSpec", "TARGET_OPTIONS", "parse_settings"]

TARGET_OPTIONS: Mapping[str, type] = {
    "subscriptions": list,
    "tenant_id": str,
    "credential": dict,
    "arm_endpoint": str,
    "graph_endpoint": str,
    "authority": str,
    "break_glass_accounts": list,
}
CREDENTIAL_TYPES = {
    # DefaultAzureCredential: environment, workload identity, managed identity, Azure CLI, ...
    "default": (),
    # A service principal with a client secret read from the environment variable `client_secret_env`.
    "service_principal": ("client_id", "client_secret_env"),
    # Bearer tokens obtained elsewhere (`az account get-access-token`), read from environment
    # variables: for air-gapped runners, CI and tests. Either may be omitted; its API then fails.
    "access_token_env": (),
}
_OPTIONAL_CREDENTIAL_KEYS = {"access_token_env": ("arm_token_env", "graph_token_env")}
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class CredentialSpec:
    type: str = "default"
    client_id: str | None = None
    client_secret_env: str | None = None
    arm_token_env: str | None = None
    graph_token_env: str | None = None


@dataclass(frozen=True)
class AzureSettings:
    subscriptions: tuple[str, ...] | None = None
    tenant_id: str | None = None
    credential: CredentialSpec = CredentialSpec()
    arm_endpoint: str = "https://management.azure.com"
    graph_endpoint: str = "https://graph.microsoft.com"
    authority: str = "https://login.microsoftonline.com"
    break_glass_accounts: tuple[str, ...] = ()


def _endpoint(name: str, value: Any) -> str:
    """https, or plain http on the loopback only (a local fake): a bearer token never crosses a
    network in clear text."""
    parts = urlsplit(value)
    local = parts.scheme == "http" and parts.hostname in _LOOPBACK
    if not parts.netloc or not (parts.scheme == "https" or local) or parts.query or parts.fragment:
        raise ValueError(
            f"azure option {name!r} must be an https:// URL such as https://management.azure.com, got {value!r}"
        )
    return value.rstrip("/")


def _credential(raw: Mapping[str, Any]) -> CredentialSpec:
    kind = raw.get("type", "default")
    if kind not in CREDENTIAL_TYPES:
        raise ValueError(f"azure credential type {kind!r} is not one of {', '.join(CREDENTIAL_TYPES)}")
    required = CREDENTIAL_TYPES[kind]
    allowed = {"type", *required, *_OPTIONAL_CREDENTIAL_KEYS.get(kind, ())}
    for key in raw:
        if key not in allowed:
            hint = " (name the environment variable that holds it: client_secret_env)" if "secret" in str(key) else ""
            raise ValueError(f"azure credential key {key!r} is not allowed for type {kind}{hint}")
    for key in required:
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise ValueError(f"azure credential type {kind} needs {key!r}")
    for key in ("client_secret_env", "arm_token_env", "graph_token_env"):
        if key in raw and not (isinstance(raw[key], str) and _ENV_NAME.match(raw[key])):
            raise ValueError(f"azure credential {key!r} must name an environment variable, got {raw[key]!r}")
    if kind == "access_token_env" and not ({"arm_token_env", "graph_token_env"} & set(raw)):
        raise ValueError("azure credential type access_token_env needs arm_token_env and/or graph_token_env")
    return CredentialSpec(
        type=kind,
        client_id=raw.get("client_id"),
        client_secret_env=raw.get("client_secret_env"),
        arm_token_env=raw.get("arm_token_env"),
        graph_token_env=raw.get("graph_token_env"),
    )


def parse_settings(options: Mapping[str, Any]) -> AzureSettings:
    """Validate an azure target's options; ValueError names the option at fault."""
    subscriptions = options.get("subscriptions")
    if subscriptions is not None:
        if not subscriptions or not all(isinstance(s, str) and _GUID.match(s) for s in subscriptions):
            raise ValueError(
                f"azure option 'subscriptions' must be a non-empty list of subscription ids, got {subscriptions!r}"
            )
        subscriptions = tuple(s.lower() for s in subscriptions)
    tenant_id = options.get("tenant_id")
    if tenant_id is not None and not _GUID.match(tenant_id):
        raise ValueError(f"azure option 'tenant_id' must be a tenant id (a GUID), got {tenant_id!r}")
    credential = _credential(options.get("credential") or {})
    if credential.type == "service_principal" and not tenant_id:
        raise ValueError("an azure service_principal credential needs the target's 'tenant_id'")
    break_glass = options.get("break_glass_accounts", [])
    if not all(isinstance(b, str) and _GUID.match(b) for b in break_glass):
        raise ValueError(
            f"azure option 'break_glass_accounts' must list object ids (GUIDs) of emergency-access "
            f"users or groups, got {break_glass!r}"
        )
    defaults = AzureSettings()
    return AzureSettings(
        subscriptions=subscriptions,
        tenant_id=tenant_id.lower() if tenant_id else None,
        credential=credential,
        arm_endpoint=_endpoint("arm_endpoint", options.get("arm_endpoint", defaults.arm_endpoint)),
        graph_endpoint=_endpoint("graph_endpoint", options.get("graph_endpoint", defaults.graph_endpoint)),
        authority=_endpoint("authority", options.get("authority", defaults.authority)),
        break_glass_accounts=tuple(sorted(b.lower() for b in break_glass)),
    )
