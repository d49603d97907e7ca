"""aws.rds (collectors/aws/rds.py): every database instance and every DB cluster, and for a standalone
instance the parameter that makes it refuse connections without TLS."""

from __future__ import annotations

import pytest
from fakes.aws_api import assert_pages_and_errors, verdicts

from annexa.collectors.aws.rds import RdsCollector

TLS_RULE = "aws.rds.instance-tls-required"


def test_reads_instances_and_clusters() -> None:
    assert RdsCollector.kinds == ("aws.rds.instance", "aws.rds.cluster")
    assert RdsCollector.permissions == (
        "rds:DescribeDBInstances",
        "rds:DescribeDBParameters",
        "rds:DescribeDBClusters",
    )


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(RdsCollector())


def _instance(session, name: str, engine: str, family: str | None, parameter: str | None, value: str | None) -> str:
    rds = session.client("rds")
    extra = {}
    if family:
        rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=family, Description=name)
        rds.modify_db_parameter_group(
            DBParameterGroupName=name,
            Parameters=[{"ParameterName": parameter, "ParameterValue": value, "ApplyMethod": "immediate"}],
        )
        extra["DBParameterGroupName"] = name
    return rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine=engine,
        MasterUsername="admin",
        MasterUserPassword="Passw0rd-Passw0rd",
        AllocatedStorage=20,
        **extra,
    )["DBInstance"]["DBInstanceArn"]


@pytest.mark.parametrize(
    ("engine", "family", "parameter", "value", "status"),
    [
        ("postgres", "postgres16", "rds.force_ssl", "1", "pass"),
        ("postgres", "postgres13", "rds.force_ssl", "0", "fail"),
        ("mysql", "mysql8.0", "require_secure_transport", "ON", "pass"),
        ("mysql", "mysql8.0", "require_secure_transport", "OFF", "fail"),
        ("mysql", "mysql8.0", "max_connections", "100", "error"),  # the group leaves TLS at the engine default
        ("oracle-ee", None, None, None, "error"),  # Oracle: TLS is an option group setting, not read
    ],
    ids=["pg-forced", "pg-off", "mysql-on", "mysql-off", "mysql-default", "oracle"],
)
def test_tls_is_judged_from_the_parameter_group(mocked, run, engine, family, parameter, value, status):
    arn = _instance(mocked, "db1", engine, family, parameter, value)
    out = run(RdsCollector())
    assert out.errors == []
    assert verdicts(out.facts)[(TLS_RULE, arn)] == status


def test_unreadable_parameters_are_an_error_for_that_instance(mocked, run, deny):
    arn = _instance(mocked, "db1", "postgres", "postgres16", "rds.force_ssl", "1")
    deny("rds", "DescribeDBParameters")
    out = run(RdsCollector())
    assert [(e.resource, e.operation) for e in out.errors] == [(arn, "rds:DescribeDBParameters")]
    assert out.of("aws.rds.instance") == []
