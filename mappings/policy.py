"""The organisation's own policy settings that built-in rules judge against (`policy:` in annexa.yaml).

Some checks have no single right answer, only the organisation's decision: ISO/IEC 27001 asks that
authentication information be managed as the organisation's topic-specific policy says (A.5.17).
Such a decision is one key here, read by every rule that needs it through the JMESPath function
`policy('name')`, so two rules can never demand opposite things. The effective values (defaults
filled in) are stored with the run's configuration, so its results can be read with the policy they
were judged against.

- `password_max_age_days`: `none` (default) means passwords are not forced to change periodically,
  only on evidence of compromise, as NIST SP 800-63B (5.1.1.2) recommends and ISO/IEC 27002:2022
  5.17 allows ("change as needed", e.g. after an incident); a number N (1-3650) means every
  password must expire within N days. Rules see `none` as null.
- `owner_tag` (default `owner`) and `classification_tag` (default `data-classification`): the tag keys
  that name a cloud resource's owner (A.5.9) and its information classification (A.5.12, A.5.13).
  AWS tag keys are case-sensitive (AWS Tagging Best Practices), so the key is matched exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annexa.mappings.scope import ScopeError

__all__ = ["POLICY_DEFAULTS", "parse_policy", "policy_record"]

POLICY_DEFAULTS: Mapping[str, Any] = {
    "password_max_age_days": None,
    "owner_tag": "owner",
    "classification_tag": "data-classification",
}
_TAG_KEYS = ("owner_tag", "classification_tag")
_TAG_KEY_LIMIT = 128  # AWS: "tag key ... maximum length of 128 Unicode characters"
_MAX_AGE_LIMIT = 3650


def parse_policy(node: Any) -> dict[str, Any]:
    """`policy: {password_max_age_days: none | N}` as rules read it (None for `none`); ScopeError when invalid.

    Accepts the stored record too (`policy_record`), so a run's stored configuration parses the same way."""
    if node is None:
        return dict(POLICY_DEFAULTS)
    if not isinstance(node, Mapping):
        raise ScopeError("`policy` must be a mapping such as {password_max_age_days: none}", None, node)
    out = dict(POLICY_DEFAULTS)
    for key, value in node.items():
        if key not in POLICY_DEFAULTS:
            raise ScopeError(f"unknown policy key {key!r} (allowed: {', '.join(POLICY_DEFAULTS)})", key, node)
        out[key] = _tag_key(value, key, node) if key in _TAG_KEYS else _max_age(value, key, node)
    return out


def policy_record(policy: Mapping[str, Any]) -> dict[str, Any]:
    """The effective policy as stored with the run (`none` spelled out, as the user writes it)."""
    return {key: "none" if value is None else value for key, value in policy.items()}


def _tag_key(value: Any, key: str, node: Any) -> str:
    if isinstance(value, str) and value.strip() and len(value) <= _TAG_KEY_LIMIT:
        return value
    raise ScopeError(f"policy {key} must be a tag key (1 to {_TAG_KEY_LIMIT} characters), not {value!r}", key, node)


def _max_age(value: Any, key: str, node: Any) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= _MAX_AGE_LIMIT:
        return value
    raise ScopeError(
        f"policy {key} must be `none` (no periodic expiry) or a whole number of days from 1 to {_MAX_AGE_LIMIT},"
        f" not {value!r}",
        key,
        node,
    )
