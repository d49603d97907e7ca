"""Regional security services that are either on or off: Security Hub, Inspector, Macie, AWS Config."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.session import iso
from annexa.collectors.aws.spec import Detail, Setting

SECURITY_HUB = "aws.security_services.security_hub"
INSPECTOR = "aws.security_services.inspector"
MACIE = "aws.security_services.macie"
CONFIG_RECORDER = "aws.security_services.config_recorder"

# The codes these services answer when they were never enabled: a real "off", not a failed read.
# Security Hub answers InvalidAccessException for other refusals too; only "Account ... is not
# subscribed to AWS Security Hub" means never enabled (or disabled): anything else is an error.
_SECURITY_HUB_OFF = ("InvalidAccessException: is not subscribed to AWS Security Hub",)
_MACIE_OFF = ("AccessDeniedException", "ResourceNotFoundException")


def _hub(hub: dict[str, Any] | None) -> dict[str, Any]:
    hub = hub or {}
    return {
        "enabled": bool(hub.get("HubArn")),
        "subscribed_at": hub.get("SubscribedAt"),
        "auto_enable_controls": hub.get("AutoEnableControls"),
    }


def _inspector(status: dict[str, Any]) -> dict[str, Any]:
    accounts = status.get("accounts") or [{}]
    state = accounts[0]
    types = state.get("resourceState") or {}
    return {
        "status": (state.get("state") or {}).get("status"),
        **{kind: (types.get(kind) or {}).get("status") == "ENABLED" for kind in ("ec2", "ecr", "lambda")},
    }


def _macie(session: dict[str, Any] | None) -> dict[str, Any]:
    session = session or {}
    return {
        "enabled": session.get("status") == "ENABLED",
        "status": session.get("status"),
        "finding_frequency": session.get("findingPublishingFrequency"),
    }


def _recorder(described: dict[str, Any], recording: dict[str, Any]) -> dict[str, Any]:
    statuses = {s["name"]: s for s in recording.get("ConfigurationRecordersStatus", [])}
    recorders = []
    for recorder in described.get("ConfigurationRecorders", []):
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
    specs = (
        Setting(SECURITY_HUB, "securityhub", (Detail("DescribeHub", absent=_SECURITY_HUB_OFF),), data=_hub),
        Setting(
            INSPECTOR,
            "inspector2",
            (Detail("BatchGetAccountStatus", lambda unit: {"accountIds": [unit.account_id]}),),
            data=_inspector,
        ),
        Setting(MACIE, "macie2", (Detail("GetMacieSession", absent=_MACIE_OFF),), data=_macie),
        Setting(
            CONFIG_RECORDER,
            "config",
            (Detail("DescribeConfigurationRecorders"), Detail("DescribeConfigurationRecorderStatus")),
            data=_recorder,
        ),
    )
