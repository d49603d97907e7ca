"""End to end over real HTTP: an AWS Organization in moto_server, the real `annexa collect`.

The organisation has a management account and four members in two regions: `prod` and
`dev` carry seeded violations, `sandbox` refuses the audit role (a small proxy on
127.0.0.1 in front of moto_server answers its AssumeRole with AccessDenied: moto itself
lets any role be assumed), and `legacy` is closed (SUSPENDED). Every seeded violation
must be found for the right account, region, resource and control; `sandbox` must show
up as `error`, and `legacy` only in the coverage record.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from fakes.aws import ORG_REGIONS, seed_organization

REGIONS = ORG_REGIONS
ROLE = "annexa-audit"
COLLECTORS = "aws.ec2, aws.kms, aws.dynamodb, aws.organizations"


def _denying_proxy(upstream: str, denied_account: str) -> tuple[ThreadingHTTPServer, str]:
    """Forward every request to moto_server, except AssumeRole into `denied_account`."""

    class Proxy(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            if form.get("Action") == ["AssumeRole"] and f"::{denied_account}:" in form.get("RoleArn", [""])[0]:
                error = (
                    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                    b"<Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error>"
                    b"<RequestId>denied</RequestId></ErrorResponse>"
                )
                self._reply(403, {"Content-Type": "text/xml"}, error)
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            answer = requests.request(self.command, upstream + self.path, headers=headers, data=body, timeout=60)
            keep = {
                k: v
                for k, v in answer.headers.items()
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")
            }
            self._reply(answer.status_code, keep, answer.content)

        def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def org_env(aws_cli_env: dict[str, str], moto_endpoint: str) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    seeded = seed_organization(boto3.Session(region_name=REGIONS[0]))
    server, proxy = _denying_proxy(moto_endpoint, seeded["ids"]["sandbox"])
    try:
        yield {**aws_cli_env, "AWS_ENDPOINT_URL": proxy}, seeded
    finally:
        server.shutdown()


def test_organization_end_to_end(org_env, run_annexa, tmp_path: Path) -> None:
    env, seeded = org_env
    ids = seeded["ids"]
    (tmp_path / "annexa.yaml").write_text(
        "store: ./evidence\ntargets:\n"
        f"  - aws: {{organization: true, role_name: {ROLE}, session_name: annexa-e2e, external_id: e2e,\n"
        f"           regions: [{', '.join(REGIONS)}], collectors: [{COLLECTORS}]}}\n"
    )
    collect = run_annexa(env, tmp_path, "collect")
    assert collect.returncode == 1, collect.stderr[-3000:]  # partial: sandbox could not be entered
    findings = run_annexa(env, tmp_path, "findings", "--format", "json")
    results = json.loads(findings.stdout)

    by_key = {(r["rule"], r["resource"]): r for r in results}
    for rule, account, region, resource, control in seeded["violations"]:
        found = by_key.get((rule, resource))
        assert found is not None, (rule, resource)
        assert found["status"] == "fail", found
        assert (found["scope"]["account"], found["scope"]["region"]) == (account, region)
        assert control in found["controls"]

    sandbox = [r for r in results if r["scope"].get("account") == ids["sandbox"]]
    assert sandbox and {r["status"] for r in sandbox} == {"error"}
    assert {r["rule"] for r in sandbox} >= {
        "aws.kms.key-rotation",
        "aws.ec2.volume-encryption",
        "aws.dynamodb.table-pitr",
    }
    assert all("AccessDenied" in r["message"] for r in sandbox)
    assert not [r for r in results if r["scope"].get("account") == ids["legacy"]]
    # Nothing else errored: the other accounts and both regions were read in full.
    assert [r for r in results if r["status"] == "error" and r["scope"].get("account") != ids["sandbox"]] == []
    regions_read = {
        (r["scope"]["account"], r["scope"].get("region")) for r in results if r["rule"].startswith("aws.ec2.ebs")
    }
    assert {(ids[name], region) for name in ("prod", "dev") for region in REGIONS} <= regions_read

    # The coverage record names every account, why legacy and sandbox were not read, and the role used.
    facts = _coverage(tmp_path)
    assert facts[ids["legacy"]]["status"] == "SUSPENDED" and not facts[ids["legacy"]]["collected"]
    assert "AccessDenied" in facts[ids["sandbox"]]["not_collected_reason"]
    assert facts[ids["prod"]]["principal"] == f"arn:aws:sts::{ids['prod']}:assumed-role/{ROLE}/annexa-e2e"


def _coverage(root: Path) -> dict[str, dict[str, Any]]:
    coverage = {}
    for path in (root / "evidence").rglob("*"):
        if path.is_file() and "objects" in path.parts:
            try:
                doc = json.loads(path.read_bytes())
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(doc, dict) and doc.get("kind") == "aws.organizations.account":
                coverage[doc["resource"]] = doc["data"]
    return coverage
