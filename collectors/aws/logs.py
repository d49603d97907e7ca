"""CloudWatch Logs: every log group of each region and how long it keeps its events."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.session import AwsAccount, iso
from annexa.collectors.aws.spec import Listing
from annexa.collectors.base import Target
from annexa.model import CollectionError, Fact

LOG_GROUP = "aws.logs.log_group"
DEFAULT_RETENTION_DAYS = 365


def _log_group(group: dict[str, Any]) -> dict[str, Any]:
    # DescribeLogGroups leaves retentionInDays out of a group whose events never expire (CloudWatch Logs
    # API Reference, LogGroup.retentionInDays; PutRetentionPolicy: without a policy "events never expire").
    return {
        "name": group["logGroupName"],
        # creationTime: milliseconds since the epoch
        "created": iso(datetime.fromtimestamp(group["creationTime"] / 1000, timezone.utc))
        if isinstance(group.get("creationTime"), int)
        else None,
        "never_expires": "retentionInDays" not in group,
        "retention_days": group.get("retentionInDays"),
        "kms_key_id": group.get("kmsKeyId"),
        "log_group_class": group.get("logGroupClass"),
    }


class LogsCollector(AwsCollector):
    """Log retention evidence (A.8.15) for every log group of each configured region.

    - `aws.logs.log_group` (log group ARN, without the trailing `:*`): `name`, `created`,
      `never_expires`, `retention_days` (null when the events never expire), `kms_key_id`,
      `log_group_class`, and `required_retention_days`: the retention the target asks for
      (target option `log_retention_days`, default 365), recorded with the evidence so the
      judgement can be re-derived from the bundle alone.
    """

    name = "aws.logs"
    specs = (
        Listing(
            LOG_GROUP,
            "logs",
            "DescribeLogGroups",
            "logGroups",
            resource=lambda group, unit: unit.arn("logs", f"log-group:{group['logGroupName']}"),
            data=_log_group,
        ),
    )

    required: int = DEFAULT_RETENTION_DAYS

    def prepare(self, target: Target) -> None:
        self.required = int(target.options.get("log_retention_days", DEFAULT_RETENTION_DAYS))

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        for item in super().collect_unit(account, region):
            if isinstance(item, Fact) and item.kind == LOG_GROUP:
                item = dataclasses.replace(item, data={**item.data, "required_retention_days": self.required})
            yield item
