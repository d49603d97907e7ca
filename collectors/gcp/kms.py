"""Cloud KMS keys and their automatic rotation."""

from __future__ import annotations

import re
from typing import Any

from annexa.collectors.gcp.client import GcpCallError
from annexa.collectors.gcp.collector import GcpCollector, Yield, fact, pick
from annexa.collectors.gcp.session import GcpTarget, Project

KEY = "gcp.kms.crypto_key"
_KEPT = ("name", "purpose", "rotationPeriod", "nextRotationTime", "createTime", "versionTemplate", "labels")
_SECONDS = re.compile(r"^(\d+)(\.\d+)?s$")


def _seconds(duration: Any) -> int | None:
    """A protobuf Duration in JSON (`"7776000s"`) as whole seconds."""
    match = _SECONDS.match(str(duration)) if duration is not None else None
    return int(match.group(1)) if match else None


class KmsCollector(GcpCollector):
    """Every crypto key of each project: locations.list, then key rings per location, then keys.

    - `gcp.kms.crypto_key` (the key's resource name): `name`, `purpose`, `rotationPeriod` (absent: no
      automatic rotation), `rotation_period_days` (the same in days, when set), `nextRotationTime`,
      `createTime`, `versionTemplate`, `labels`.
    """

    name = "gcp.kms"
    kinds = (KEY,)
    permissions = ("cloudkms.locations.list", "cloudkms.keyRings.list", "cloudkms.cryptoKeys.list")

    def collect_project(self, gcp: GcpTarget, project: Project) -> Yield:
        apis = gcp.apis
        try:
            locations, located = apis.items(
                "cloudkms", "/v1/projects/{project}/locations", "locations", project=project.id
            )
        except GcpCallError as exc:
            yield exc.to_collection_error(self.kinds, project.scope(), project.resource)
            return
        for location in locations:
            region = str(location.get("locationId", ""))
            try:
                rings, ringed = apis.items(
                    "cloudkms",
                    "/v1/projects/{project}/locations/{location}/keyRings",
                    "keyRings",
                    project=project.id,
                    location=region,
                )
            except GcpCallError as exc:
                yield exc.to_collection_error(
                    self.kinds, project.scope(region), f"{project.resource}/locations/{region}"
                )
                continue
            for ring in rings:
                ring_id = _last(ring.get("name"))
                try:
                    keys, keyed = apis.items(
                        "cloudkms",
                        "/v1/projects/{project}/locations/{location}/keyRings/{ring}/cryptoKeys",
                        "cryptoKeys",
                        project=project.id,
                        location=region,
                        ring=ring_id,
                    )
                except GcpCallError as exc:
                    yield exc.to_collection_error(self.kinds, project.scope(region), str(ring.get("name", "")))
                    continue
                for raw in keys:
                    data = pick(raw, _KEPT)
                    seconds = _seconds(raw.get("rotationPeriod"))
                    if seconds is not None:
                        data["rotation_period_days"] = seconds / 86400
                    yield fact(gcp, KEY, str(raw.get("name", "")), project.scope(region), data, located, ringed, keyed)


def _last(name: Any) -> str:
    return str(name or "").rsplit("/", 1)[-1]
