"""Which management events a CloudTrail trail records, read from its event selectors.

GetEventSelectors answers either basic `EventSelectors` or `AdvancedEventSelectors`, never both
(CloudTrail API Reference, PutEventSelectors). A trail records management events through:

- a basic selector with `IncludeManagementEvents` true: its `ReadWriteType` (`All`, `ReadOnly`,
  `WriteOnly`) says which, and `ExcludeManagementEventSources` drops some sources (KMS, RDS Data API);
- an advanced selector whose `eventCategory` equals `Management`: a `readOnly` field equal to
  `true` or `false` keeps only reads or writes, an `eventSource` NotEquals drops sources, and any
  other condition narrows it to some events.

The result says what is recorded, as data: `read`, `write`, `excluded_sources` and `narrowed`
(a condition other than those), so a rule can ask for every management event.
"""

from __future__ import annotations

from typing import Any

__all__ = ["management_events"]

_READ_WRITE = {"All": (True, True), "ReadOnly": (True, False), "WriteOnly": (False, True)}


def management_events(answer: dict[str, Any]) -> dict[str, Any]:
    read = write = narrowed = False
    excluded: set[str] = set()
    for selector in answer.get("EventSelectors") or []:
        if not selector.get("IncludeManagementEvents", True):  # documented default: true
            continue
        # ReadWriteType is optional in the model; its documented default is All.
        r, w = _READ_WRITE.get(selector.get("ReadWriteType", "All"), (False, False))
        read, write = read or r, write or w
        excluded.update(selector.get("ExcludeManagementEventSources") or [])
    for selector in answer.get("AdvancedEventSelectors") or []:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors") or []}
        if "Management" not in ((fields.get("eventCategory") or {}).get("Equals") or []):
            continue
        only = (fields.get("readOnly") or {}).get("Equals") or ["true", "false"]
        read, write = read or "true" in only, write or "false" in only
        source = fields.get("eventSource") or {}
        excluded.update(source.get("NotEquals") or [])
        others = set(fields) - {"eventCategory", "readOnly", "eventSource"}
        narrowed = narrowed or bool(others) or any(k not in ("Field", "NotEquals") for k in source)
    return {"read": read, "write": write, "excluded_sources": sorted(excluded), "narrowed": narrowed}
