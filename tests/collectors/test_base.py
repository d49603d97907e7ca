from __future__ import annotations

from annexa.collectors.base import Context, Shard
from annexa.model import scope_key


def test_shards_partition_work_units_deterministically() -> None:
    units = [("aws.s3", f"acct{a}", f"region{r}") for a in range(20) for r in range(5)]
    owners = [[i for i in range(4) if Shard(i, 4).owns(*unit)] for unit in units]
    assert all(len(o) == 1 for o in owners)  # every unit has exactly one owner
    assert len({o[0] for o in owners}) == 4  # and the work is spread over all shards
    assert owners == [[i for i in range(4) if Shard(i, 4).owns(*unit)] for unit in units]


def test_unsharded_context_owns_everything() -> None:
    assert Context(run_id="x", log=None).owns("anything")


def test_scope_key_is_readable_and_stable() -> None:
    assert scope_key({"region": "eu-west-1", "provider": "aws", "account": "1"}) == "aws/1/eu-west-1"
    assert scope_key({}) == "-"
