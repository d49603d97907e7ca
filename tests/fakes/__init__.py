"""A tiny fake collector world for tests, independent of any real platform."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from annexa.collectors.base import Collector, Context, Target
from annexa.model import CollectionError, Fact, Source, utc_now

FAKE_SCOPE = {"provider": "fake", "account": "111122223333", "region": "eu-west-1"}


def fake_fact(resource: str, data: object, kind: str = "fake.bucket", at: str = "2026-11-01T00:00:00Z") -> Fact:
    return Fact(
        kind=kind,
        resource=resource,
        scope=FAKE_SCOPE,
        data=data,
        source=Source(operations=("fake:ListBuckets",), principal="arn:fake:user/auditor", pages=1),
        collected_at=at,
    )


class FakeCollector(Collector):
    """Fake buckets, configured by the target's `buckets` option; `fail` makes the listing fail."""

    name = "fake.buckets"
    provider = "fake"
    kinds = ("fake.bucket",)
    permissions = ("fake:ListBuckets",)
    target_options = {"buckets": dict, "fail": bool}

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        if target.options.get("fail"):
            yield CollectionError(
                kinds=self.kinds, scope=FAKE_SCOPE, message="denied", code="AccessDenied", operation="fake:ListBuckets"
            )
            return
        for name, data in target.options.get("buckets", {}).items():
            yield fake_fact(f"arn:fake:bucket/{name}", data, at=utc_now())


FAKE_RULES = """\
rules:
  - id: fake.bucket-encrypted
    title: Buckets are encrypted
    controls: [A.8.24]
    rationale: 27002:2022 8.24 asks that cryptography protect stored information.
    fact: fake.bucket
    expect: "encrypted == `true`"
    observe: encrypted
    severity: high
    remediation: Turn on encryption.
  - id: fake.bucket-versioned
    title: Buckets are versioned
    controls: [A.8.13, A.8.24]
    fact: fake.bucket
    where: "!scratch"
    defaults: {scratch: false, versioning: Disabled}  # like S3: never-versioned buckets report no status
    expect: versioning == 'Enabled'
    severity: medium
    remediation: Turn on versioning.
"""


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the real CLI in process with JSON logs; returns (exit code, stdout, stderr)."""
    from annexa import cli

    code = cli.main(["--log-format", "json", *argv])
    out, err = capsys.readouterr()
    return code, out, err
