"""The loopback fake of a Kubernetes API server lives in the package (`annexa demo` serves it)."""

from annexa.demo.kubernetes_fake import CLUSTER, TOKEN, FakeKubernetes, Request, fake_kubernetes, seed_cluster, status

__all__ = ["CLUSTER", "TOKEN", "FakeKubernetes", "Request", "fake_kubernetes", "seed_cluster", "status"]
