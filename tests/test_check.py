"""`annexa check`: every problem of the configuration in one pass, with did-you-mean and hints;
regions checked against botocore's partition data; store URLs; which collectors will run."""

from __future__ import annotations

from pathlib import Path

import botocore
import pytest
from fakes import run_cli

from annexa.collectors.aws.session import known_regions
from annexa.collectors.registry import load_registry

pytestmark = pytest.mark.usefixtures("fake_collector_installed")


def _check(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> tuple[int, str, list[str]]:
    config = tmp_path / "annexa.yaml"
    config.write_text(text)
    code, out, err = run_cli(capsys, "check", "--config", str(config))
    return code, out, [line.replace(str(config), "annexa.yaml") for line in err.splitlines()]


def test_every_problem_of_the_config_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _check(
        tmp_path,
        capsys,
        "stor: ./evidence\n"
        "targets:\n"
        "  - aws: {regions: [eu-west-9], colectors: [aws.s3]}\n"
        "  - aws: {collectors: [aws.s4]}\n"
        "scope:\n"
        "  A.9.2.3: {applicable: true}\n"
        "  A.6.1.3: {applicable: true}\n"
        "  A.8.204: {applicable: true}\n",
    )
    assert (code, out) == (2, "")
    aws = sorted(c.name for c in load_registry().for_provider("aws"))
    options = "accounts, call_timeout, collectors, external_id, log_retention_days, max_attempts, max_workers, organization, profile, "
    assert err == [
        "annexa: error: annexa.yaml:1: unknown key 'stor' (did you mean 'store'?) (allowed: store, targets, "
        "mappings, scope, max_age, notify, signing, trusted_keys, require_signatures, risks, attesters, "
        "attestations, soa, nonconformities, pack, policy)",
        "annexa: error: annexa.yaml:3: unknown aws option 'colectors' (did you mean 'collectors'?) (allowed: "
        + options
        + "regions, role_name, session_name)",
        "annexa: error: annexa.yaml:3: aws target option 'regions': unknown region 'eu-west-9' (did you mean "
        f"'eu-west-3'?) (botocore {botocore.__version__} knows {len(known_regions())} regions in all partitions; "
        "a region opened after that release needs a newer boto3)",
        "annexa: error: annexa.yaml:4: unknown aws collector 'aws.s4' (did you mean 'aws.s3'?) (available: "
        + ", ".join(aws)
        + ")",
        "annexa: error: annexa.yaml:6: unknown Annex A 2022 control id 'A.9.2.3': an ISO/IEC 27001:2013 id; "
        "in 2022 it is A.8.2 (ISO/IEC 27002:2022 Annex B)",
        "annexa: error: annexa.yaml:7: unknown Annex A 2022 control id 'A.6.1.3': an ISO/IEC 27001:2013 id; "
        "see ISO/IEC 27002:2022 Annex B for its 2022 id",
        "annexa: error: annexa.yaml:8: unknown Annex A 2022 control id 'A.8.204' (did you mean 'A.8.24'?)",
    ]


@pytest.mark.parametrize(
    "regions",
    [
        ["af-south-1", "ap-east-1", "me-south-1"],  # opt-in regions of the aws partition
        ["cn-north-1", "cn-northwest-1"],  # aws-cn
        ["us-gov-west-1", "us-gov-east-1"],  # aws-us-gov
        ["us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "us-isof-south-1"],  # isolated partitions
    ],
)
def test_regions_of_every_partition_are_known(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], regions: list[str]
) -> None:
    code, out, err = _check(tmp_path, capsys, f"targets:\n  - aws: {{regions: [{', '.join(regions)}]}}\n")
    assert code == 0, err
    assert out.startswith("ok: ")


def test_known_regions_come_from_botocore_and_exclude_pseudo_regions() -> None:
    regions = known_regions()
    assert {"us-east-1", "eu-west-1", "af-south-1", "cn-north-1", "us-gov-west-1"} <= regions
    assert not {r for r in regions if r.endswith("-global")}
    assert "eu-west-9" not in regions


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("s3://", "store URL 's3://' names no bucket (use s3://BUCKET/PREFIX)"),
        ("s3:///prefix", "store URL 's3:///prefix' names no bucket (use s3://BUCKET/PREFIX)"),
        (
            "s3://Bad_Bucket/x",
            "invalid store URL 's3://Bad_Bucket/x' (use s3://BUCKET/PREFIX with a valid bucket name)",
        ),
        ("gs://bucket", "unsupported store URL 'gs://bucket' (use a path, file://PATH or s3://BUCKET/PREFIX)"),
        ("{url: 's3://'}", "store URL 's3://' names no bucket (use s3://BUCKET/PREFIX)"),
    ],
)
def test_store_urls_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str], store: str, message: str) -> None:
    value = store if store.startswith("{") else f"'{store}'"
    code, out, err = _check(tmp_path, capsys, f"store: {value}\ntargets:\n  - fake: {{}}\n")
    assert (code, out, err) == (2, "", [f"annexa: error: annexa.yaml:1: {message}"])


def test_a_store_url_without_a_bucket_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "runs", "--store", "s3://", "--config", str(tmp_path / "none.yaml"))
    assert (code, out, err) == (2, "", "annexa: error: store URL 's3://' names no bucket (use s3://BUCKET/PREFIX)\n")


def test_check_says_which_collectors_will_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _check(
        tmp_path,
        capsys,
        "targets:\n  - aws: {regions: [eu-west-1], collectors: [aws.s3, aws.iam]}\n  - fake: {}\n",
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"ok: {tmp_path / 'annexa.yaml'}: 2 targets, 3 collectors will run, ")
    assert lines[1:] == [
        "  targets[0] (aws): 2 collectors: aws.iam, aws.s3",
        "  targets[1] (fake): 1 collector: fake.buckets",
    ]
