"""The options of a `gcp:` target, checked when the config is loaded.

```yaml
- gcp:
    organization: "123456789012"     # every project under the organisation (folders walked), or
    folder: "456789012345"           # every project under one folder, or
    projects: [my-project, other]    # these projects (ids)
    impersonate: annexa-reader@my-project.iam.gserviceaccount.com   # optional: read as this account
    endpoint: http://127.0.0.1:8080  # optional: every API at <endpoint>/<service> (a local fake)
    access_token_env: GCP_ACCESS_TOKEN   # optional: a bearer token from this variable instead of ADC
```

Exactly one of organization, folder and projects. Secrets never live in the config: a token is
named by the environment variable that holds it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from annexa.origins import check_transport

__all__ = ["GcpSettings", "TARGET_OPTIONS", "parse_settings"]

TARGET_OPTIONS: Mapping[str, type | tuple[type, ...]] = {
    "organization": (str, int),  # YAML reads an unquoted organisation id as a number
    "folder": (str, int),
    "projects": list,
    "impersonate": str,
    "endpoint": str,
    "access_token_env": str,
}
# Project ids: 6 to 30 lowercase letters, digits and hyphens, starting with a letter
# (Resource Manager, Project.projectId); a few legacy ids carry a `domain:` prefix.
_PROJECT_ID = re.compile(r"^([a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_NUMERIC = re.compile(r"^\d{1,20}$")
_SERVICE_ACCOUNT = re.compile(r"^[^@\s]+@[a-z0-9.-]+\.gserviceaccount\.com$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class GcpSettings:
    organization: str | None = None  # organizations/<id>
    folder: str | None = None  # folders/<id>
    projects: tuple[str, ...] | None = None
    impersonate: str | None = None
    endpoint: str | None = None
    access_token_env: str | None = None

    @property
    def root(self) -> str | None:
        """The Resource Manager node whose descendants are read, when not a list of projects."""
        return self.organization or self.folder


def _node(name: str, prefix: str, value: Any) -> str:
    text = str(value).strip()
    text = text[len(prefix) + 1 :] if text.startswith(prefix + "/") else text
    if isinstance(value, bool) or not _NUMERIC.match(text):
        raise ValueError(f"gcp option {name!r} must be a numeric {name} id such as 123456789012, got {value!r}")
    return f"{prefix}/{text}"


def parse_settings(options: Mapping[str, Any]) -> GcpSettings:
    """Validate a gcp target's options; ValueError names the option at fault."""
    given = [key for key in ("organization", "folder", "projects") if options.get(key) is not None]
    if len(given) != 1:
        raise ValueError(
            "a gcp target needs exactly one of 'organization', 'folder' or 'projects'"
            + (f" (got {', '.join(given)})" if given else "")
        )
    projects = options.get("projects")
    if projects is not None:
        if not projects or not all(isinstance(p, str) and _PROJECT_ID.match(p) for p in projects):
            raise ValueError(f"gcp option 'projects' must be a non-empty list of project ids, got {projects!r}")
        projects = tuple(dict.fromkeys(projects))
    impersonate = options.get("impersonate")
    if impersonate is not None and not _SERVICE_ACCOUNT.match(impersonate):
        raise ValueError(
            "gcp option 'impersonate' must be a service account email (name@project.iam.gserviceaccount.com), "
            f"got {impersonate!r}"
        )
    token_env = options.get("access_token_env")
    if token_env is not None and not _ENV_NAME.match(token_env):
        raise ValueError(f"gcp option 'access_token_env' must name an environment variable, got {token_env!r}")
    endpoint = options.get("endpoint")
    if endpoint is not None:
        try:
            check_transport(endpoint, "gcp option 'endpoint'")
        except ValueError as exc:
            raise ValueError(str(exc)) from None
        endpoint = endpoint.rstrip("/")
    return GcpSettings(
        organization=_node("organization", "organizations", options["organization"])
        if options.get("organization") is not None
        else None,
        folder=_node("folder", "folders", options["folder"]) if options.get("folder") is not None else None,
        projects=projects,
        impersonate=impersonate,
        endpoint=endpoint,
        access_token_env=token_env,
    )
