"""The `notify:` section of annexa.yaml, validated with `file:line` errors.

```yaml
notify:
  when: changes          # regressions | changes (default) | always
  timeout: 10s           # per attempt: connecting, and each read of the answer
  retries: 2             # further attempts after a failure (timeouts, connection errors, 429, 5xx)
  webhooks:
    - {format: slack, url_env: SLACK_WEBHOOK_URL}    # the URL from the environment (recommended)
    - {format: teams, url: "https://example.webhook.office.com/..."}
    - {format: json, url: "https://siem.example.com/annexa"}
  email:
    host: smtp.example.com
    port: 587
    starttls: true
    from: annexa@example.com
    to: [security@example.com]
    username_env: SMTP_USER
    password_env: SMTP_PASSWORD
```
Webhook URLs carry their own credentials: prefer `url_env`; an inline `url` is
redacted (all but scheme and host) in the configuration copy stored in bundles. They
must be https (http only to 127.0.0.1, localhost or ::1), and a receiver's redirect is
never followed: the alert and the URL's secret go to the configured host only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from annexa.errors import UsageError
from annexa.origins import check_transport
from annexa.yamlio import line_of

__all__ = ["EmailSettings", "NotifySettings", "Webhook", "WHEN", "FORMATS", "parse_notify", "redact_notify"]

# `when`, not `on`: YAML 1.1 reads a bare `on` key as the boolean true.
WHEN = ("regressions", "changes", "always")
FORMATS = ("slack", "teams", "json")
_KEYS = ("when", "timeout", "retries", "webhooks", "email")
_WEBHOOK_KEYS = ("url", "url_env", "format")
_EMAIL_KEYS = ("host", "port", "starttls", "from", "to", "username_env", "password_env")


@dataclass(frozen=True)
class Webhook:
    format: str
    url: str | None = None
    url_env: str | None = None

    @property
    def label(self) -> str:
        """Where it goes, without the secret part of the URL (for logs)."""
        if self.url_env:
            return f"{self.format} webhook ${self.url_env}"
        parts = urlsplit(self.url or "")
        return f"{self.format} webhook {parts.scheme}://{parts.hostname}"


@dataclass(frozen=True)
class EmailSettings:
    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    starttls: bool = True
    username_env: str | None = None
    password_env: str | None = None


@dataclass(frozen=True)
class NotifySettings:
    when: str = "changes"
    timeout: timedelta = timedelta(seconds=10)
    retries: int = 2
    webhooks: tuple[Webhook, ...] = ()
    email: EmailSettings | None = None


def parse_notify(node: Any, path: Path, parse_duration: Callable[[Any], timedelta]) -> NotifySettings:
    def where(container: Any, key: Any = None) -> str:
        return f"{path}:{line_of(container, key, line_of(node))}"

    if not isinstance(node, dict):
        raise UsageError(f"{where(node)}: `notify` must be a mapping (when, timeout, retries, webhooks, email)")
    _known(node, _KEYS, "notify", where)
    when = node.get("when", "changes")
    if when not in WHEN:
        raise UsageError(f"{where(node, 'when')}: notify.when must be one of {', '.join(WHEN)}")
    try:
        timeout = parse_duration(node["timeout"]) if "timeout" in node else timedelta(seconds=10)
    except ValueError as err:
        raise UsageError(f"{where(node, 'timeout')}: notify.timeout: {err}") from None
    retries = node.get("retries", 2)
    if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 10:
        raise UsageError(f"{where(node, 'retries')}: notify.retries must be a whole number from 0 to 10")
    hooks = node.get("webhooks", [])
    if not isinstance(hooks, list):
        raise UsageError(f"{where(node, 'webhooks')}: notify.webhooks must be a list")
    webhooks = tuple(_webhook(item, _item_lines(path, hooks, i)) for i, item in enumerate(hooks))
    email = _email(node["email"], where) if "email" in node else None
    if not webhooks and email is None:
        raise UsageError(f"{where(node)}: `notify` needs at least one webhook or an email")
    return NotifySettings(when, timeout, retries, webhooks, email)


def _item_lines(path: Path, items: list[Any], index: int) -> Callable[[str | None], str]:
    """`file:line` of list item `index`, or of one of its keys."""

    def at(key: str | None = None) -> str:
        item_line = line_of(items, index)
        return f"{path}:{line_of(items[index], key, item_line) if key else item_line}"

    return at


def _known(node: dict[str, Any], allowed: tuple[str, ...], what: str, where: Callable[..., str]) -> None:
    for key in node:
        if key not in allowed:
            raise UsageError(f"{where(node, key)}: unknown {what} key {key!r} (allowed: {', '.join(allowed)})")


def _webhook(item: Any, where: Callable[..., str]) -> Webhook:
    if not isinstance(item, dict):
        raise UsageError(f"{where()}: each webhook is a mapping with `url` or `url_env`, and `format`")
    _known(item, _WEBHOOK_KEYS, "webhook", lambda _n, k: where(k))
    fmt = item.get("format", "json")
    if fmt not in FORMATS:
        raise UsageError(f"{where('format')}: webhook format must be one of {', '.join(FORMATS)}")
    url, url_env = item.get("url"), item.get("url_env")
    if (url is None) == (url_env is None):
        raise UsageError(f"{where()}: a webhook needs exactly one of `url` and `url_env`")
    if url is not None:
        try:
            check_transport(url, "webhook url")
        except ValueError as err:
            raise UsageError(f"{where('url')}: {err}") from None
    if url_env is not None and (not isinstance(url_env, str) or not url_env.strip()):
        raise UsageError(f"{where('url_env')}: url_env must name an environment variable")
    return Webhook(fmt, url, url_env)


def _email(node: Any, where: Callable[..., str]) -> EmailSettings:
    if not isinstance(node, dict):
        raise UsageError(f"{where(node)}: notify.email must be a mapping (host, port, from, to, ...)")
    _known(node, _EMAIL_KEYS, "email", where)
    for key in ("host", "from", "to"):
        if key not in node:
            raise UsageError(f"{where(node)}: notify.email needs `{key}`")
    to = node["to"] if isinstance(node["to"], list) else [node["to"]]
    if not all(isinstance(a, str) and "@" in a for a in to) or not to:
        raise UsageError(f"{where(node, 'to')}: notify.email.to must be one or more email addresses")
    port = node.get("port", 587)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise UsageError(f"{where(node, 'port')}: notify.email.port must be a port number")
    starttls = node.get("starttls", True)
    if not isinstance(starttls, bool):
        raise UsageError(f"{where(node, 'starttls')}: notify.email.starttls must be true or false")
    for key in ("host", "from", "username_env", "password_env"):
        if key in node and not isinstance(node[key], str):
            raise UsageError(f"{where(node, key)}: notify.email.{key} must be text")
    return EmailSettings(
        node["host"], port, node["from"], tuple(to), starttls, node.get("username_env"), node.get("password_env")
    )


def redact_notify(raw: dict[str, Any]) -> dict[str, Any]:
    """The plain `notify` section with inline webhook URLs cut to scheme and host (for bundles)."""
    out = dict(raw)
    hooks = []
    for hook in raw.get("webhooks") or []:
        if isinstance(hook, dict) and isinstance(hook.get("url"), str):
            parts = urlsplit(hook["url"])
            hook = {**hook, "url": f"{parts.scheme}://{parts.hostname}/[REDACTED]"}
        hooks.append(hook)
    if hooks:
        out["webhooks"] = hooks
    return out
