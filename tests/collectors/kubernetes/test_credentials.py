"""Which clusters a target names and how annexa reaches each: kubeconfig contexts (several clusters
in one run), exec plugins, the in-cluster service account, and the refusals."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest
import yaml
from fakes.kubernetes import TOKEN

from annexa.collectors.kubernetes import credentials
from annexa.collectors.kubernetes.credentials import Cluster, ClusterError, clusters
from annexa.collectors.kubernetes.settings import parse_settings

CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def _kubeconfig(path: Path, server: str, **users: dict) -> Path:  # type: ignore[type-arg]
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "prod",
        "clusters": [
            {
                "name": "fake",
                "cluster": {"server": server, "certificate-authority-data": base64.b64encode(CA.encode()).decode()},
            }
        ],
        "users": [{"name": name, "user": user} for name, user in users.items()],
        "contexts": [{"name": name, "context": {"cluster": "fake", "user": name}} for name in users],
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def test_several_contexts_in_one_run(cluster, run_kube, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "token").write_text(TOKEN + "\n")
    config = _kubeconfig(tmp_path / "config", cluster.url, prod={"token": TOKEN}, staging={"tokenFile": "token"})
    out = run_kube({"kubeconfig": str(config), "contexts": ["prod", "staging"]}, names=("kubernetes.namespaces",))
    assert out.errors == []
    assert sorted({f.scope["cluster"] for f in out.facts}) == ["prod", "staging"]
    assert {f.source.principal for f in out.facts} == {"prod", "staging"}


def test_the_current_context_by_default_and_ca_data_written_privately(cluster, tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = _kubeconfig(tmp_path / "config", cluster.url, prod={"token": TOKEN})
    [found] = clusters(parse_settings({"kubeconfig": str(config)}))
    assert isinstance(found, Cluster)
    assert (found.name, found.token) == ("prod", TOKEN)
    assert Path(str(found.verify)).read_text() == CA
    assert Path(str(found.verify)).stat().st_mode & 0o777 == 0o600


def test_exec_plugin_token(cluster, run_kube, tmp_path) -> None:  # type: ignore[no-untyped-def]
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import json, os\n"
        "assert json.loads(os.environ['KUBERNETES_EXEC_INFO'])['spec']['interactive'] is False\n"
        "print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1', 'kind': 'ExecCredential',"
        " 'status': {'token': os.environ['FAKE_TOKEN']}}))\n"
    )
    user = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": [str(plugin)],
            "env": [{"name": "FAKE_TOKEN", "value": TOKEN}],
            "interactiveMode": "Never",
        }
    }
    config = _kubeconfig(tmp_path / "config", cluster.url, prod=user)
    out = run_kube({"kubeconfig": str(config)}, names=("kubernetes.rbac",))
    assert out.errors == []
    assert len(out.facts) == 6


@pytest.mark.parametrize(
    ("user", "cluster_extra", "message"),
    [
        ({"token": TOKEN}, {"insecure-skip-tls-verify": True}, "insecure-skip-tls-verify"),
        ({"username": "admin", "password": "x"}, {}, "'username', which Kubernetes removed"),
        ({"auth-provider": {"name": "gcp"}}, {}, "'auth-provider', which Kubernetes removed"),
        ({}, {}, "has no token, client certificate or exec plugin"),
        ({"exec": {"command": sys.executable, "args": ["-c", "import sys; sys.exit(3)"]}}, {}, "exited 3"),
    ],
)
def test_refused_credentials_are_an_error_for_that_cluster(tmp_path, user, cluster_extra, message) -> None:  # type: ignore[no-untyped-def]
    config = _kubeconfig(tmp_path / "config", "https://127.0.0.1:6443", prod=user)
    doc = yaml.safe_load(config.read_text())
    doc["clusters"][0]["cluster"].update(cluster_extra)
    config.write_text(yaml.safe_dump(doc))
    [found] = clusters(parse_settings({"kubeconfig": str(config)}))
    assert isinstance(found, ClusterError)
    assert message in found.message


def test_a_missing_context_or_kubeconfig_is_an_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = _kubeconfig(tmp_path / "config", "https://127.0.0.1:6443", prod={"token": TOKEN})
    found = clusters(parse_settings({"kubeconfig": str(config), "contexts": ["prod", "nope"]}))
    assert [type(f).__name__ for f in found] == ["Cluster", "ClusterError"]
    assert found[1].message == "the kubeconfig has no context 'nope'"  # type: ignore[union-attr]
    [missing] = clusters(parse_settings({}))  # KUBECONFIG points at a missing file (conftest)
    assert isinstance(missing, ClusterError)
    assert missing.code == "KubeconfigError"


def test_kubeconfig_files_merge_first_wins(cluster, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first = _kubeconfig(tmp_path / "a", cluster.url, prod={"token": TOKEN})
    second = _kubeconfig(tmp_path / "b", "https://other.example:6443", prod={"token": "other"}, extra={"token": "x"})
    monkeypatch.setenv("KUBECONFIG", f"{first}:{second}")
    found = clusters(parse_settings({"contexts": ["prod", "extra"]}))
    assert [(f.name, f.server, f.token) for f in found] == [  # type: ignore[union-attr]
        ("prod", cluster.url, TOKEN),
        ("extra", cluster.url, "x"),  # the cluster entry `fake` of the first file wins
    ]


def test_in_cluster_service_account(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "token").write_text("projected-token\n")
    (tmp_path / "namespace").write_text("annexa")
    (tmp_path / "ca.crt").write_text(CA)
    monkeypatch.setattr(credentials, "SERVICE_ACCOUNT_DIR", tmp_path)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    [found] = clusters(parse_settings({"in_cluster": True}))
    assert found == Cluster(
        "in-cluster", "https://10.96.0.1:443", "serviceaccount in annexa", "projected-token", str(tmp_path / "ca.crt")
    )


def test_in_cluster_outside_a_pod_is_an_error() -> None:
    [found] = clusters(parse_settings({"in_cluster": True}))
    assert found == ClusterError(
        "in-cluster", "KUBERNETES_SERVICE_HOST/PORT are not set: annexa is not running in a pod"
    )
