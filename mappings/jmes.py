"""JMESPath as rules use it: compiled once, with annexa's extra functions.

`days_since(ts)` keeps evaluation pure: facts store raw timestamps (so they stay
identical, and deduplicated, night after night) and the evaluation time is passed in.
`policy(name)` is the organisation's policy setting `name` (policy.py), passed in the same
way; a name that is not a policy setting fails when the rule is loaded. `value_of(object, key)` is
the object's value under a key computed at evaluation (JMESPath has no dynamic index), e.g. the
value of the tag `policy('owner_tag')`: `value_of(tags, policy('owner_tag'))`.
`release_support(version, calendar)` is `{minor, ends, supported}` of a Kubernetes version on one of
the shipped release calendars (releases.py), at the evaluation time: `release_support(version,
'kubernetes').supported`. A calendar that does not exist fails when the rule is loaded; a version
that cannot be read or is not in the calendar makes the result `error` with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import jmespath
from jmespath import exceptions as jmes_errors
from jmespath import functions
from jmespath.visitor import TreeInterpreter

from annexa.mappings.policy import POLICY_DEFAULTS
from annexa.mappings.releases import ReleaseError, calendars, support
from annexa.model import parse_timestamp

__all__ = ["Expression", "compile_expression", "node_holds", "truthy"]


class _Unjudgeable(jmes_errors.JMESPathError):
    """A value annexa's function cannot judge: the rule's result is `error` with this message."""


class _Functions(functions.Functions):
    def __init__(self, now: datetime, policy: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self._now = now
        self._policy = POLICY_DEFAULTS if policy is None else policy

    @functions.signature({"types": ["string"]})
    def _func_policy(self, name: str) -> Any:
        if name not in POLICY_DEFAULTS:
            raise jmes_errors.UnknownFunctionError(
                f"policy({name!r}): not a policy setting (known: {', '.join(POLICY_DEFAULTS)})"
            )
        return self._policy.get(name, POLICY_DEFAULTS[name])

    @functions.signature({"types": ["object", "null"]}, {"types": ["string"]})
    def _func_value_of(self, obj: Mapping[str, Any] | None, key: str) -> Any:
        return None if obj is None else obj.get(key)

    @functions.signature({"types": ["string", "null"]}, {"types": ["string"]})
    def _func_release_support(self, version: str | None, calendar: str) -> dict[str, Any]:
        if calendar not in calendars():
            raise jmes_errors.UnknownFunctionError(
                f"release_support(..., {calendar!r}): not a release calendar (known: {', '.join(calendars())})"
            )
        if version is None:  # present but null: nothing to judge (an absent one never gets here)
            raise jmes_errors.JMESPathTypeError("release_support", version, "null", ["string"])
        try:
            return support(version, calendar, self._now)
        except ReleaseError as err:
            raise _Unjudgeable(str(err)) from None

    @functions.signature({"types": ["string", "null"]})
    def _func_days_since(self, value: str | None) -> float | None:
        if value is None or value in ("", "N/A", "no_information", "not_supported"):
            return None
        try:
            return (self._now - parse_timestamp(value)).total_seconds() / 86400.0
        except ValueError:
            return None


def truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null and empty string/list/object are false; 0 is true."""
    if value is None or value is False:
        return False
    if isinstance(value, (str, list, dict)) and len(value) == 0:
        return False
    return True


def node_holds(node: Any, value: Any, now: datetime, policy: Mapping[str, Any] | None = None) -> bool:
    """Whether a parsed sub-expression (a syntax tree node) is truthy on `value`, with annexa's functions."""
    interpreter = TreeInterpreter(jmespath.Options(custom_functions=_Functions(now, policy)))
    return truthy(interpreter.visit(node, value))


class Expression:
    """A compiled JMESPath expression that keeps its source text for messages."""

    __slots__ = ("text", "_parsed")

    def __init__(self, text: str) -> None:
        self.text = text
        self._parsed = jmespath.compile(text)

    def search(self, data: Any, now: datetime, policy: Mapping[str, Any] | None = None) -> Any:
        """`policy`: the organisation's policy settings (None: their defaults)."""
        return self._parsed.search(data, options=jmespath.Options(custom_functions=_Functions(now, policy)))

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


# Node types whose first child is the value the rest reads from: `!` binds tighter than `.`, `[`
# and `|`, so `!a.b` parses as `(!a).b`, a field of a boolean, which is always null; inside a
# filter (`xs[?!a.b]`) that silently matches nothing, and a rule counting offenders passes.
_READS_FROM_LEFT = {"subexpression", "index_expression", "pipe", "projection", "value_projection", "flatten"}


def _negation_read_as_object(node: Any) -> str | None:
    """The first `!x` that something then reads a field, index or pipe from, or None."""
    children = node.get("children", []) if isinstance(node, dict) else []
    if node.get("type") in _READS_FROM_LEFT and children and children[0].get("type") == "not_expression":
        inner = children[0]["children"][0]
        return inner.get("value") if inner.get("type") == "field" else inner.get("type")
    for child in children:
        found = _negation_read_as_object(child)
        if found is not None:
            return found
    return None


def compile_expression(text: str) -> Expression:
    """Compile or raise ValueError with JMESPath's own explanation."""
    try:
        expression = Expression(text)
        negated = _negation_read_as_object(expression._parsed.parsed)
        if negated is not None:
            raise ValueError(
                f"`!{negated}` is negated before the rest is read (JMESPath reads `!a.b` as `(!a).b`,"
                " which is always null); write `!(a.b)`"
            )
        # A dry run on empty data finds unknown functions and wrong argument counts,
        # which JMESPath only reports when a function is called; type errors on
        # missing fields are data-dependent and left to evaluation.
        expression.search({}, datetime.now(timezone.utc))
    except (jmes_errors.UnknownFunctionError, jmes_errors.ArityError) as err:
        raise ValueError(str(err).replace("\n", " ")) from None
    except jmes_errors.JMESPathTypeError:
        pass
    except jmes_errors.JMESPathError as err:
        raise ValueError(" ".join(str(err).split())) from None
    except RecursionError:
        raise ValueError("expression nested too deeply") from None
    return expression
