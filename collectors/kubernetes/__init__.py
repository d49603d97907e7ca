"""Kubernetes collectors: RBAC, namespaces (Pod Security Admission labels, NetworkPolicies) and pods,
through one small read-only REST client (client.py) per cluster (kubeconfig contexts, the in-cluster
service account, or a server URL and a bearer token)."""
