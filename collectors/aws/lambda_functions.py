"""Lambda: functions and the runtime each one runs on."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.spec import Listing

FUNCTION = "aws.lambda.function"


def _function(function: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": function["FunctionName"],
        "runtime": function.get("Runtime"),
        "package_type": function.get("PackageType", "Zip"),
        "last_modified": function.get("LastModified"),
        "architectures": function.get("Architectures", []),
        "kms_key_arn": function.get("KMSKeyArn"),
    }


class LambdaCollector(AwsCollector):
    """Vulnerability management evidence (A.8.8): which runtimes functions run on, per region.

    The collector records runtimes only; which runtimes are deprecated is a judgement
    kept in the rules (mappings/rules/aws.yaml), so updating it needs no code.

    - `aws.lambda.function` (function ARN): `name`, `runtime` (null for container
      images), `package_type`, `last_modified`, `architectures`, `kms_key_arn`.
    """

    name = "aws.lambda"
    specs = (Listing(FUNCTION, "lambda", "ListFunctions", "Functions", resource="FunctionArn", data=_function),)
