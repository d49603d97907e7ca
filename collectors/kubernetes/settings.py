"""The options of a `kubernetes:` target, checked when the config is loaded.

```yaml
- kubernetes:
    kubeconfig: ~/.kube/config        # optional: default $KUBECONFIG (its first file), else ~/.kube/config
    contexts: [prod-eu, prod-us]      # optional: these contexts (several clusters in one run); default current-context
- kubernetes: {in_cluster: true}      # the pod's service account (/var/run/secrets/kubernetes.io/serviceaccount)
- kubernetes:
    server: https://10.0.0.1:6443     # one API server, with a bearer token from an environment variable
    token_env: KUBE_TOKEN
    ca_file: /etc/annexa/cluster-ca.crt   # optional: the CA that signed the server's certificate
    name: prod                        # how the cluster is named in the evidence (default: the server's host)
```

Any of them may add `allowed_registries: [registry.example.com, ghcr.io/acme]`: the image
registries (or registry/path prefixes) workloads may pull from (A.8.19). Secrets never live in the
config: a token is named by the environment variable that holds it. `kubeconfig` and `ca_file` are
read as kubectl reads `--kubeconfig`: `~` expanded, a relative path from the working directory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from annexa.origins import check_transport

__all__ = ["KubeSettings", "TARGET_OPTIONS", "parse_settings"]

TARGET_OPTIONS: Mapping[str, type | tuple[type, ...]] = {
    "kubeconfig": str,
    "contexts": list,
    "in_cluster": bool,
    "server": str,
    "token_env": str,
    "ca_file": str,
    "name": str,
    "allowed_registries": list,
}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A registry host (with optional port) and an optional path prefix, as image references name them.
_REGISTRY = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(/[a-z0-9._/-]+)?$")


@dataclass(frozen=True)
class KubeSettings:
    kubeconfig: str | None = None
    contexts: tuple[str, ...] | None = None
    in_cluster: bool = False
    server: str | None = None
    token_env: str | None = None
    ca_file: str | None = None
    name: str | None = None
    allowed_registries: tuple[str, ...] | None = None


def parse_settings(options: Mapping[str, Any]) -> KubeSettings:
    """Validate a kubernetes target's options; ValueError names the option at fault."""
    modes = [
        mode
        for mode, given in (
            ("in_cluster", options.get("in_cluster") is True),
            ("server", options.get("server") is not None),
            ("kubeconfig", options.get("kubeconfig") is not None or options.get("contexts") is not None),
        )
        if given
    ]
    if len(modes) > 1:
        raise ValueError(
            f"a kubernetes target reads one of kubeconfig/contexts, in_cluster or server (got {', '.join(modes)})"
        )
    contexts = options.get("contexts")
    if contexts is not None:
        if not contexts or not all(isinstance(c, str) and c.strip() for c in contexts):
            raise ValueError(
                f"kubernetes option 'contexts' must be a non-empty list of context names, got {contexts!r}"
            )
        contexts = tuple(dict.fromkeys(contexts))
    server, token_env = options.get("server"), options.get("token_env")
    if server is not None:
        check_transport(server, "kubernetes option 'server'")
        if token_env is None:
            raise ValueError("kubernetes option 'server' needs 'token_env' (the variable holding a bearer token)")
        server = server.rstrip("/")
    elif token_env is not None or options.get("ca_file") is not None or options.get("name") is not None:
        raise ValueError("kubernetes options 'token_env', 'ca_file' and 'name' go with 'server'")
    if token_env is not None and not _ENV_NAME.match(token_env):
        raise ValueError(f"kubernetes option 'token_env' must name an environment variable, got {token_env!r}")
    registries = options.get("allowed_registries")
    if registries is not None:
        if not all(isinstance(r, str) and _REGISTRY.match(r.rstrip("/")) for r in registries):
            raise ValueError(
                "kubernetes option 'allowed_registries' must list registries such as registry.example.com or "
                f"ghcr.io/acme, got {registries!r}"
            )
        registries = tuple(r.rstrip("/") for r in registries)
    return KubeSettings(
        kubeconfig=options.get("kubeconfig"),
        contexts=contexts,
        in_cluster=options.get("in_cluster") is True,
        server=server,
        token_env=token_env,
        ca_file=options.get("ca_file"),
        name=options.get("name") or (urlsplit(server).hostname if server else None),
        allowed_registries=registries,
    )
