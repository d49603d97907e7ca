"""What to say about a control id that is not an ISO/IEC 27001:2022 Annex A id.

Many teams still think in 2013 ids (`A.9.2.3`, three levels, sections A.5 to A.18). Their 2022
ids come from ISO/IEC 27002:2022 Annex B (`iso27001_2013.yaml` names its source and which entries
it leaves out); any other unknown id gets the closest 2022 id, if one is close.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from pathlib import Path

import yaml

from annexa.words import did_you_mean

__all__ = ["iso2013_to_2022", "unknown_control"]

_MAPPING = Path(__file__).parent / "iso27001_2013.yaml"
_ISO_2013_ID = re.compile(r"^A\.(?:[5-9]|1[0-8])\.\d{1,2}\.\d{1,2}$")


@functools.cache
def iso2013_to_2022() -> dict[str, tuple[str, ...]]:
    raw = yaml.safe_load(_MAPPING.read_text(encoding="utf-8"))
    return {str(old): tuple(str(new) for new in news) for old, news in raw.items()}


def unknown_control(control: str, known: Collection[str]) -> str:
    """The message for an id `known` (the 2022 catalog's ids) does not have."""
    text = f"unknown Annex A 2022 control id {control!r}"
    if _ISO_2013_ID.match(control):
        new = iso2013_to_2022().get(control)
        if new:
            return f"{text}: an ISO/IEC 27001:2013 id; in 2022 it is {', '.join(new)} (ISO/IEC 27002:2022 Annex B)"
        return f"{text}: an ISO/IEC 27001:2013 id; see ISO/IEC 27002:2022 Annex B for its 2022 id"
    return text + did_you_mean(control, known)
