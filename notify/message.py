"""Alert bodies built from a Drift: Slack, Teams (Adaptive Card), generic JSON and email text. Pure.

`attention` lines (reports.nonconformities.alert_lines: overdue non-conformities, expired risk
acceptances) follow the drift's lines, so the nightly alert keeps reminding until someone acts.

Resource names and tags come from the systems annexa reads, so they are
untrusted: Slack control characters (`&`, `<`, `>`) are escaped so a hostile
bucket name cannot smuggle a link or a mention into the channel.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from annexa.reports.drift import Drift

__all__ = ["MAX_LINES", "email_text", "payload", "subject", "summary_lines"]

MAX_LINES = 20


def subject(drift: Drift, store_url: str, attention: Sequence[str] = ()) -> str:
    to = drift.to_run
    if drift.regressions:
        head = f"{drift.regressions} regression{'s' if drift.regressions != 1 else ''}"
    elif drift.has_changes():
        head = "changes, no regressions"
    else:
        head = "no changes"
    items = sum(1 for line in attention if not line.startswith("..."))
    if items:
        head += f", {items} non-conformit{'ies' if items != 1 else 'y'} overdue or past its risk acceptance"
    return f"annexa: {head} in run #{to.sequence} {to.run_id} ({to.status}) of {store_url}"


def head_line(head: str) -> str:
    """The chain's head (`SEQ:SHA256`, as `annexa head` prints it): a copy held outside the store."""
    return f"evidence head {head} (check later with: annexa verify --expect-head {head})"


def summary_lines(drift: Drift) -> list[str]:
    """One line per control change and result change, regressions first, with the changed fields."""
    fields = {(f.kind, f.resource): f.fields for f in drift.facts}
    lines = [
        f"{'REGRESSED' if c.regression else 'changed'} control {c.control} {c.title}: {c.old_status} -> {c.new_status}"
        for c in drift.controls
    ]
    for r in drift.results:
        line = (
            f"{r.change.upper() if r.regression else r.change} {r.rule} on {r.resource}: "
            f"{r.old_status or 'absent'} -> {r.new_status or 'absent'}"
        )
        changed = fields.get((r.kind, r.resource), ())
        if changed:
            line += " (" + ", ".join(f.path for f in changed[:3]) + (", ..." if len(changed) > 3 else "") + ")"
        lines.append(line)
    if len(lines) > MAX_LINES:
        lines = [*lines[:MAX_LINES], f"... and {len(lines) - MAX_LINES} more (annexa drift --to {drift.to_run.run_id})"]
    lines += [f"note: {note}" for note in drift.notes]
    return lines


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attention_lines(attention: Sequence[str]) -> list[str]:
    return [f"ATTENTION {line}" for line in attention]


def payload(
    fmt: str, drift: Drift, store_url: str, head: str | None = None, attention: Sequence[str] = ()
) -> dict[str, Any]:
    title = subject(drift, store_url, attention)
    lines = summary_lines(drift) + _attention_lines(attention) + ([head_line(head)] if head else [])
    if fmt == "slack":
        body = "\n".join(f"• {_slack_escape(line)}" for line in lines)
        return {"text": f"*{_slack_escape(title)}*" + (f"\n{body}" if body else "")}
    if fmt == "teams":
        blocks: list[dict[str, Any]] = [{"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True}]
        blocks += [{"type": "TextBlock", "text": line, "wrap": True, "spacing": "None"} for line in lines]
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": blocks,
        }
        return {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
            ],
        }
    return {
        "event": "annexa.drift",
        "title": title,
        "store": store_url,
        "head": head,
        **drift.to_dict(),
        "attention": list(attention),
    }


def email_text(drift: Drift, store_url: str, head: str | None = None, attention: Sequence[str] = ()) -> str:
    lines = [
        subject(drift, store_url, attention),
        "",
        *summary_lines(drift),
        *_attention_lines(attention),
        *([head_line(head)] if head else []),
    ]
    return "\n".join([*lines, "", json.dumps(drift.counts(), sort_keys=True)]) + "\n"
