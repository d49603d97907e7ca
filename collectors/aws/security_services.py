"""Regional security services that are either on or off: Security Hub, Inspector, Macie, AWS Config."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.listing import setting
from annexa.collectors.aws.session import AwsAccount, iso
from annexa.model import CollectionError, Fact

SECURITY_HUB = "aws.security_services.security_hub"
INSPECTOR = "aws.security_services.inspector"
MACIE = "aws.security_services.macie"
CONFIG_RECORDER = "aws.security_services.config_recorder"

# The codes these services answer when they were never enabled: a real "off", not a failed read.
_SECURITY_HUB_OFF = ("InvalidAccessException", "ResourceNotFoundException")
_MACIE_OFF = ("AccessDeniedException", "ResourceNotFoundException")


class SecurityServicesCollector(AwsCollector):
    """Detection and inventory services, one fact each per region (`<account>:<region>`).

    - `aws.security_services.security_hub` (A.8.16): `enabled`, `subscribed_at`,
      `auto_enable_controls`.
    - `aws.security_services.inspector` (A.8.8): Inspector v2 scanning `status` and
      per resource type (`ec2`, `ecr`, `lambda`) whether scanning is ENABLED.
    - `aws.security_services.macie` (A.8.12): `enabled` (Macie session ENABLED),
      `status`, `finding_frequency`.
    - `aws.security_services.config_recorder` (A.8.9): `recorders` (name, recording,
      all_supported, include_global_resource_types, last_status) and `recording`
      (at least one recorder is on and records every supported resource type).

    Macie answers AccessDenied when it is not enabled, so for Macie that code reads as
    `enabled: false`; give the role macie2:GetMacieSession and this stays accurate.
    """

    name = "aws.security_services"
    kinds = (SECURITY_HUB, INSPECTOR, MACIE, CONFIG_RECORDER)
    permissions = (
        "securityhub:DescribeHub",
        "inspector2:BatchGetAccountStatus",
        "macie2:GetMacieSession",
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
    )

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        yield setting(account, region, SECURITY_HUB, "securityhub", [("describe_hub", {})], _hub, _SECURITY_HUB_OFF)
        yield setting(
            account,
            region,
            INSPECTOR,
            "inspector2",
            [("batch_get_account_status", {"accountIds": [account.account_id]})],
            _inspector,
        )
        yield setting(account, region, MACIE, "macie2", [("get_macie_session", {})], _macie, _MACIE_OFF)
        yield setting(
            account,
            region,
            CONFIG_RECORDER,
            "config",
            [("describe_configuration_recorders", {}), ("describe_configuration_recorder_status", {})],
            _recorder,
        )


def _hub(answers: list[dict[str, Any] | None]) -> dict[str, Any]:
    hub = answers[0] or {}
    return {
        "enabled": bool(hub.get("HubArn")),
        "subscribed_at": hub.get("SubscribedAt"),
        "auto_enable_controls": hub.get("AutoEnableControls"),
    }


def _inspector(answers: list[dict[str, Any] | None]) -> dict[str, Any]:
    accounts = (answers[0] or {}).get("accounts") or [{}]
    state = accounts[0]
    types = state.get("resourceState") or {}
    return {
        "status": (state.get("state") or {}).get("status"),
        **{kind: (types.get(kind) or {}).get("status") == "ENABLED" for kind in ("ec2", "ecr", "lambda")},
    }


def _macie(answers: list[dict[str, Any] | None]) -> dict[str, Any]:
    session = answers[0] or {}
    return {
        "enabled": session.get("status") == "ENABLED",
        "status": session.get("status"),
        "finding_frequency": session.get("findingPublishingFrequency"),
    }


def _recorder(answers: list[dict[str, Any] | None]) -> dict[str, Any]:
    statuses = {s["name"]: s for s in (answers[1] or {}).get("ConfigurationRecordersStatus", [])}
    recorders = []
    for recorder in (answers[0] or {}).get("ConfigurationRecorders", []):
        group = recorder.get("recordingGroup") or {}
        status = statuses.get(recorder["name"], {})
        recorders.append(
            {
                "name": recorder["name"],
                "recording": bool(status.get("recording")),
                "all_supported": bool(group.get("allSupported")),
                "include_global_resource_types": bool(group.get("includeGlobalResourceTypes")),
                "last_status": status.get("lastStatus"),
                "last_start": iso(status.get("lastStartTime")),
            }
        )
    return {"recorders": recorders, "recording": any(r["recording"] and r["all_supported"] for r in recorders)}
