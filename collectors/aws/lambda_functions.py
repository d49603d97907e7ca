"""Lambda: functions and the runtime each one runs on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.listing import listed
from annexa.collectors.aws.session import AwsAccount
from annexa.model import CollectionError, Fact

FUNCTION = "aws.lambda.function"


class LambdaCollector(AwsCollector):
    """Vulnerability management evidence (A.8.8): which runtimes functions run on, per region.

    The collector records runtimes only; which runtimes are deprecated is a judgement
    kept in the rules (mappings/rules/aws.yaml), so updating it needs no code.

    - `aws.lambda.function` (function ARN): `name`, `runtime` (null for container
      images), `package_type`, `last_modified`, `architectures`, `kms_key_arn`.
    """

    name = "aws.lambda"
    kinds = (FUNCTION,)
    permissions = ("lambda:ListFunctions",)

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        yield from listed(
            account, region, FUNCTION, "lambda", "list_functions", "Functions", lambda f: f["FunctionArn"], _function
        )


def _function(function: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": function["FunctionName"],
        "runtime": function.get("Runtime"),
        "package_type": function.get("PackageType", "Zip"),
        "last_modified": function.get("LastModified"),
        "architectures": function.get("Architectures", []),
        "kms_key_arn": function.get("KMSKeyArn"),
    }
