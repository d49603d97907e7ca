from __future__ import annotations

import pytest

from annexa.collectors.kubernetes.settings import KubeSettings, parse_settings


def test_modes_and_defaults() -> None:
    assert parse_settings({}) == KubeSettings()
    assert parse_settings({"contexts": ["a", "b", "a"]}).contexts == ("a", "b")
    server = parse_settings({"server": "https://k8s.example:6443/", "token_env": "T"})
    assert (server.server, server.name) == ("https://k8s.example:6443", "k8s.example")
    assert parse_settings({"allowed_registries": ["ghcr.io/acme/", "registry.example:5000"]}).allowed_registries == (
        "ghcr.io/acme",
        "registry.example:5000",
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"in_cluster": True, "contexts": ["a"]},
            "one of kubeconfig/contexts, in_cluster or server (got in_cluster, kubeconfig)",
        ),
        ({"server": "https://x.example"}, "needs 'token_env'"),
        ({"server": "http://k8s.example", "token_env": "T"}, "must use https://"),
        ({"token_env": "T"}, "go with 'server'"),
        ({"server": "https://x.example", "token_env": "not a name"}, "must name an environment variable"),
        ({"contexts": []}, "non-empty list of context names"),
        ({"allowed_registries": ["https://ghcr.io"]}, "must list registries"),
    ],
)
def test_bad_options_name_the_option(options, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_settings(options)
