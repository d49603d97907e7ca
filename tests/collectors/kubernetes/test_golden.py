"""The Kubernetes collectors' evidence on the seeded fake cluster, against a golden file
(tests/golden.py says why and how to regenerate it): every fact, error and result in full."""

from __future__ import annotations

from golden import assert_matches_golden, evidence


def test_seeded_cluster_evidence_is_unchanged(cluster, options, run_kube) -> None:  # type: ignore[no-untyped-def]
    collected = run_kube(options())
    assert_matches_golden(
        "kubernetes-cluster", {"cluster": evidence(collected.facts, collected.errors, collected.results)}
    )
