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
import os
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from servers import moto_server

ANNEXA = str(Path(sys.executable).with_name("annexa"))
REGIONS = ("us-east-1", "eu-west-1")
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


def _session(**credentials: str) -> boto3.Session:
    return boto3.Session(region_name=REGIONS[0], **credentials)


def _member_session(management: boto3.Session, account: str) -> boto3.Session:
    c = management.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="seed"
    )["Credentials"]
    return _session(
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )


def _seed(management: boto3.Session) -> dict[str, Any]:
    """The organisation, and the (rule, account, region, resource, control) each violation must yield."""
    org = management.client("organizations")
    org.create_organization(FeatureSet="ALL")
    ids = {
        name: org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]["AccountId"]
        for name in ("prod", "dev", "sandbox", "legacy")
    }
    org.close_account(AccountId=ids["legacy"])
    violations = []

    prod = _member_session(management, ids["prod"])
    key = prod.client("kms", region_name="us-east-1").create_key(Description="never rotated")["KeyMetadata"]["Arn"]
    violations.append(("aws.kms.key-rotation", ids["prod"], "us-east-1", key, "A.8.24"))
    volume = prod.client("ec2", region_name="eu-west-1").create_volume(AvailabilityZone="eu-west-1a", Size=8)[
        "VolumeId"
    ]
    violations.append(
        (
            "aws.ec2.volume-encryption",
            ids["prod"],
            "eu-west-1",
            f"arn:aws:ec2:eu-west-1:{ids['prod']}:volume/{volume}",
            "A.8.24",
        )
    )

    dev = _member_session(management, ids["dev"])
    ec2 = dev.client("ec2", region_name="eu-west-1")
    group = ec2.create_security_group(GroupName="ssh-open", Description="ssh from anywhere")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    violations.append(
        (
            "aws.ec2.security-group-admin-ports",
            ids["dev"],
            "eu-west-1",
            f"arn:aws:ec2:eu-west-1:{ids['dev']}:security-group/{group}",
            "A.8.20",
        )
    )
    table = dev.client("dynamodb", region_name="us-east-1").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]["TableArn"]
    violations.append(("aws.dynamodb.table-pitr", ids["dev"], "us-east-1", table, "A.8.13"))
    return {"ids": ids, "violations": violations}


@pytest.fixture
def org_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    with moto_server() as upstream:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION=REGIONS[0],
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
            AWS_ENDPOINT_URL=upstream,
        )
        with pytest.MonkeyPatch.context() as mp:
            for key in [k for k in os.environ if k.startswith("AWS_")]:
                mp.delenv(key)
            for key, value in env.items():
                if key.startswith("AWS_"):
                    mp.setenv(key, value)
            seeded = _seed(_session())
        server, proxy = _denying_proxy(upstream, seeded["ids"]["sandbox"])
        try:
            yield {**env, "AWS_ENDPOINT_URL": proxy}, seeded
        finally:
            server.shutdown()


def test_organization_end_to_end(org_env, tmp_path: Path) -> None:
    env, seeded = org_env
    ids = seeded["ids"]
    (tmp_path / "annexa.yaml").write_text(
        "store: ./evidence\ntargets:\n"
        f"  - aws: {{organization: true, role_name: {ROLE}, session_name: annexa-e2e, external_id: e2e,\n"
        f"           regions: [{', '.join(REGIONS)}], collectors: [{COLLECTORS}]}}\n"
    )
    collect = subprocess.run([ANNEXA, "collect"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert collect.returncode == 1, collect.stderr[-3000:]  # partial: sandbox could not be entered
    findings = subprocess.run(
        [ANNEXA, "findings", "--format", "json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
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
