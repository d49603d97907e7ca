"""Run orchestration: one collection run, shards and seal, recorded statements (attestations)."""
