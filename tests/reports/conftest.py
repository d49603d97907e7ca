"""A small signed history with hostile resource names, shared by the report tests."""

from __future__ import annotations

import pytest
from fakes import FAKE_RULES
from history import write_history

from annexa.evidence_store.signing import Ed25519Signer, generate_keypair
from annexa.evidence_store.store import Store, open_store

HOSTILE = (
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(2)>",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "../../etc/passwd",
)


# The configuration every run of the shared history stores: its SoA is judged with this scope.
HISTORY_CONFIG = {
    "targets": [{"fake": {}}],
    "scope": {
        "A.8.24": {"owner": '=HYPERLINK("x")', "reviewed": "2026-09-01"},
        "A.7.4": {"applicable": False, "justification": "<b>No premises</b>"},
    },
}


def hostile_nights(count: int) -> list[dict[str, dict]]:
    """Nights where every hostile bucket fails encryption; `good` fails on nights 2-3 then is fixed."""
    nights = []
    for night in range(count):
        buckets = {name: {"encrypted": False, "Tags": [{"Key": "<b>x</b>", "Value": name}]} for name in HOSTILE}
        buckets["good"] = {"encrypted": night not in (2, 3), "versioning": "Enabled"}
        nights.append(buckets)
    return nights


@pytest.fixture(scope="module")
def signed_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("history")
    rules = root / "rules.yaml"
    rules.write_text(FAKE_RULES)
    key = generate_keypair(root / "signing.key")
    store = open_store(str(root / "ev"), Ed25519Signer(key.private_path))
    write_history(store, rules, hostile_nights(8), config=HISTORY_CONFIG)
    return store
