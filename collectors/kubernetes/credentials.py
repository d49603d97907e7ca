"""Which clusters a `kubernetes:` target names, and how to reach each: kubeconfig contexts, the
in-cluster service account, or a server URL with a bearer token.

A kubeconfig is read as kubectl reads it (kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig):
$KUBECONFIG may list several files, merged with the first file to set a name winning; relative
paths are relative to the file that holds them; `*-data` fields are base64 PEM (written to a private
temporary folder for the TLS stack). Users authenticate by `token`/`tokenFile`, a client certificate,
or an `exec` credential plugin (client.authentication.k8s.io ExecCredential: what EKS, GKE and AKS
kubeconfigs use; its `status.token` or client certificate is used). annexa refuses, as an error for
that cluster: `insecure-skip-tls-verify` (a token sent to an unverified server), basic auth and
`auth-provider` (both removed from Kubernetes).

In-cluster (kubernetes.io/docs/tasks/run-application/access-api-from-pod): KUBERNETES_SERVICE_HOST
and KUBERNETES_SERVICE_PORT, and the projected token and CA under
/var/run/secrets/kubernetes.io/serviceaccount, read once per run (the kubelet rotates the projected
token; one that expires mid-run makes the remaining lists 401 errors, never passes).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from annexa.collectors.kubernetes.settings import KubeSettings

__all__ = ["Cluster", "ClusterError", "SERVICE_ACCOUNT_DIR", "clusters"]

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
_EXEC_TIMEOUT_S = 60


@dataclass
class Cluster:
    name: str  # the context (or the target's name): the `cluster` of every fact's scope
    server: str
    principal: str  # the kubeconfig user, or the in-cluster service account
    token: str | None = None
    verify: bool | str = True  # True: the system CAs; else a CA bundle file
    cert: tuple[str, str] | None = None
    files: Any = field(default=None, repr=False)  # the TemporaryDirectory holding `*-data` files, kept alive


@dataclass(frozen=True)
class ClusterError:
    name: str
    message: str
    code: str = "CredentialsError"


def clusters(settings: KubeSettings) -> list[Cluster | ClusterError]:
    if settings.in_cluster:
        return [_in_cluster()]
    if settings.server:
        token = os.environ.get(settings.token_env or "")
        name = settings.name or settings.server
        if not token:
            return [ClusterError(name, f"the environment variable {settings.token_env} holding the token is not set")]
        return [
            Cluster(
                name,
                settings.server,
                f"token from ${settings.token_env}",
                token,
                str(Path(settings.ca_file).expanduser()) if settings.ca_file else True,
            )
        ]
    try:
        config = _load_kubeconfig(settings.kubeconfig)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return [ClusterError("kubeconfig", f"cannot read the kubeconfig: {exc}", "KubeconfigError")]
    names = settings.contexts or ((config["current-context"],) if config.get("current-context") else ())
    if not names:
        return [
            ClusterError(
                "kubeconfig", "the kubeconfig sets no current-context: name the contexts to read", "KubeconfigError"
            )
        ]
    return [_from_context(config, name) for name in names]


def _in_cluster() -> Cluster | ClusterError:
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        return ClusterError("in-cluster", "KUBERNETES_SERVICE_HOST/PORT are not set: annexa is not running in a pod")
    try:
        token = (SERVICE_ACCOUNT_DIR / "token").read_text().strip()
    except OSError as exc:
        return ClusterError("in-cluster", f"cannot read the service account token: {exc}")
    namespace = _read(SERVICE_ACCOUNT_DIR / "namespace") or "?"
    host = f"[{host}]" if ":" in host else host  # an IPv6 service address
    return Cluster(
        "in-cluster",
        f"https://{host}:{port}",
        f"serviceaccount in {namespace}",
        token,
        str(SERVICE_ACCOUNT_DIR / "ca.crt"),
    )


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _load_kubeconfig(path: str | None) -> dict[str, Any]:
    """The merged kubeconfig, each named entry carrying the folder its relative paths resolve against."""
    files = [Path(path).expanduser()] if path else None
    if files is None:
        listed = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
        files = [Path(p).expanduser() for p in listed] or [Path("~/.kube/config").expanduser()]
        files = [f for f in files if f.exists()] or files[:1]
    merged: dict[str, Any] = {"clusters": {}, "users": {}, "contexts": {}}
    for file in files:
        doc = yaml.safe_load(file.read_text()) or {}
        if not isinstance(doc, dict):
            raise ValueError(f"{file}: not a kubeconfig (a YAML mapping)")
        if not merged.get("current-context"):
            merged["current-context"] = doc.get("current-context") or None
        for section, key in (("clusters", "cluster"), ("users", "user"), ("contexts", "context")):
            for entry in doc.get(section) or []:
                if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                    body = dict(entry.get(key) or {})
                    merged[section].setdefault(entry["name"], {**body, "_dir": file.parent})
    return merged


def _from_context(config: dict[str, Any], name: str) -> Cluster | ClusterError:
    context = config["contexts"].get(name)
    if context is None:
        return ClusterError(name, f"the kubeconfig has no context {name!r}", "KubeconfigError")
    cluster = config["clusters"].get(context.get("cluster"))
    user = config["users"].get(context.get("user"), {}) if context.get("user") else {}
    if cluster is None or not cluster.get("server"):
        return ClusterError(name, f"context {name!r} names no cluster with a server", "KubeconfigError")
    if cluster.get("insecure-skip-tls-verify"):
        return ClusterError(
            name, "the cluster sets insecure-skip-tls-verify: annexa sends no token to an unverified server"
        )
    for refused in ("username", "auth-provider"):
        if user.get(refused):
            return ClusterError(
                name,
                f"the user authenticates by {refused!r}, which Kubernetes removed",
            )
    files = tempfile.TemporaryDirectory(prefix="annexa-kube-")
    out = Cluster(name, str(cluster["server"]).rstrip("/"), str(context.get("user") or "?"), files=files)
    try:
        ca = _file(cluster, "certificate-authority", files.name)
        out.verify = ca or True
        cert, key = _file(user, "client-certificate", files.name), _file(user, "client-key", files.name)
        if user.get("exec"):
            token, cert, key = _exec(user["exec"], out.server, files.name)
            out.token = token
        elif user.get("token"):
            out.token = str(user["token"])
        elif user.get("tokenFile"):
            out.token = (user["_dir"] / str(user["tokenFile"])).read_text().strip()
        if cert and key:
            out.cert = (cert, key)
    except (OSError, ValueError, KeyError, TypeError, binascii.Error, subprocess.SubprocessError) as exc:
        return ClusterError(name, f"credentials of context {name!r}: {exc}")
    if out.token is None and out.cert is None:
        return ClusterError(name, f"context {name!r} has no token, client certificate or exec plugin")
    return out


def _file(entry: dict[str, Any], key: str, folder: str) -> str | None:
    """The path of `key`, or of `key-data` written to `folder` (0600)."""
    if entry.get(f"{key}-data"):
        path = Path(folder) / key
        path.write_bytes(base64.b64decode(str(entry[f"{key}-data"]), validate=True))
        path.chmod(0o600)
        return str(path)
    if entry.get(key):
        return str(entry["_dir"] / str(entry[key]))
    return None


def _exec(spec: dict[str, Any], server: str, folder: str) -> tuple[str | None, str | None, str | None]:
    """Run an exec credential plugin (client.authentication.k8s.io/v1 or v1beta1) non-interactively."""
    info = {
        "apiVersion": spec.get("apiVersion", "client.authentication.k8s.io/v1"),
        "kind": "ExecCredential",
        "spec": {"interactive": False},
    }
    env = {**os.environ, "KUBERNETES_EXEC_INFO": json.dumps(info)}
    env.update({str(e["name"]): str(e["value"]) for e in spec.get("env") or [] if isinstance(e, dict) and "name" in e})
    done = subprocess.run(
        [str(spec["command"]), *[str(a) for a in spec.get("args") or []]],
        env=env,
        capture_output=True,
        text=True,
        timeout=_EXEC_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        raise ValueError(f"exec plugin {spec['command']!r} exited {done.returncode}: {done.stderr.strip()[:300]}")
    status = (json.loads(done.stdout) or {}).get("status") or {}
    cert = key = None
    if status.get("clientCertificateData") and status.get("clientKeyData"):
        cert, key = str(Path(folder) / "exec.crt"), str(Path(folder) / "exec.key")
        Path(cert).write_text(status["clientCertificateData"])
        Path(key).write_text(status["clientKeyData"])
        os.chmod(key, 0o600)
    if not status.get("token") and cert is None:
        raise ValueError(f"exec plugin {spec['command']!r} returned neither a token nor a client certificate")
    return status.get("token"), cert, key
