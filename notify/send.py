"""Delivering alerts: webhooks through `requests` with a timeout and retries, email over SMTP.

Every delivery is attempted; each outcome is logged (`notify_sent`, `notify_failed`)
and returned, never raised, so an unreachable or hanging receiver cannot lose a run
or change its exit code. Logs name the receiver without the URL's secret part. Webhooks
go over https (http to the loopback only) and their redirects are not followed.
"""

from __future__ import annotations

import functools
import os
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import requests

from annexa.notify.message import email_text, payload, subject
from annexa.notify.settings import EmailSettings, NotifySettings, Webhook
from annexa.origins import check_transport, origin, redirect_target
from annexa.reports.drift import Drift

__all__ = ["Delivery", "notify", "notify_run", "should_notify"]

_BACKOFF_S = 1.0
_MAX_BACKOFF_S = 30.0


@dataclass(frozen=True)
class Delivery:
    target: str
    ok: bool
    attempts: int
    detail: str


def should_notify(settings: NotifySettings, drift: Drift, attention: Sequence[str] = ()) -> bool:
    """Per `notify.when`; an item that needs attention (overdue, risk acceptance expired) always alerts."""
    if settings.when == "always" or attention:
        return True
    if settings.when == "regressions":
        return drift.regressions > 0
    return drift.has_changes()


def notify(
    settings: NotifySettings,
    drift: Drift,
    store_url: str,
    log: Any,
    head: str | None = None,
    attention: Sequence[str] = (),
) -> list[Delivery]:
    """Send the drift summary (the non-conformities that need `attention`, and the chain's `head`, an
    anchor a third party then holds) to every configured receiver; returns what happened to each."""
    jobs: list[Callable[[], Delivery]] = [
        functools.partial(_webhook, hook, payload(hook.format, drift, store_url, head, attention), settings)
        for hook in settings.webhooks
    ]
    if settings.email is not None:
        jobs.append(functools.partial(_email, settings.email, drift, store_url, settings, head, attention))
    # In parallel, so one hanging receiver delays the others by nothing.
    with ThreadPoolExecutor(max_workers=min(8, len(jobs) or 1)) as pool:
        deliveries = list(pool.map(lambda job: job(), jobs))
    for delivery in deliveries:
        if delivery.ok:
            log.info("notify_sent", target=delivery.target, attempts=delivery.attempts)
        else:
            log.error("notify_failed", target=delivery.target, attempts=delivery.attempts, error=delivery.detail)
    return deliveries


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _webhook(hook: Webhook, body: dict[str, Any], settings: NotifySettings) -> Delivery:
    url = hook.url or os.environ.get(hook.url_env or "", "")
    if not url:
        return Delivery(hook.label, False, 0, f"environment variable {hook.url_env} is not set")
    try:
        check_transport(url, f"the URL in ${hook.url_env}" if hook.url_env else "webhook url")
    except ValueError as err:
        return Delivery(hook.label, False, 0, str(err))
    timeout = settings.timeout.total_seconds()
    detail = ""
    attempts = 0
    for attempt in range(settings.retries + 1):
        if attempt:
            time.sleep(min(_BACKOFF_S * 2 ** (attempt - 1), _MAX_BACKOFF_S))
        attempts += 1
        try:
            # Not followed: a 307/308 would re-send the alert, and a redirect the URL's secret, elsewhere.
            response = requests.post(url, json=body, timeout=(timeout, timeout), allow_redirects=False)
        except requests.RequestException as err:  # connection refused, DNS, TLS, timeouts: all retried
            detail = f"{type(err).__name__}: {' '.join(str(err).split())[:200]}"
            continue
        if response.status_code < 300:
            return Delivery(hook.label, True, attempts, f"HTTP {response.status_code}")
        if response.is_redirect:
            where = origin(redirect_target(url, response.headers.get("Location")) or url)
            return Delivery(
                hook.label, False, attempts, f"HTTP {response.status_code} redirects to {where}: not followed"
            )
        detail = f"HTTP {response.status_code}: {' '.join(response.text.split())[:200]}"
        if not _retryable(response.status_code):
            break
    return Delivery(hook.label, False, attempts, detail)


def _email(
    email: EmailSettings,
    drift: Drift,
    store_url: str,
    settings: NotifySettings,
    head: str | None = None,
    attention: Sequence[str] = (),
) -> Delivery:
    target = f"email via {email.host}:{email.port} to {', '.join(email.to)}"
    message = EmailMessage()
    message["Subject"] = subject(drift, store_url, attention)
    message["From"] = email.sender
    message["To"] = ", ".join(email.to)
    message.set_content(email_text(drift, store_url, head, attention))
    detail = ""
    for attempt in range(settings.retries + 1):
        if attempt:
            time.sleep(min(_BACKOFF_S * 2 ** (attempt - 1), _MAX_BACKOFF_S))
        try:
            with smtplib.SMTP(email.host, email.port, timeout=settings.timeout.total_seconds()) as smtp:
                if email.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if email.username_env:
                    smtp.login(os.environ.get(email.username_env, ""), os.environ.get(email.password_env or "", ""))
                smtp.send_message(message)
            return Delivery(target, True, attempt + 1, "sent")
        except (OSError, smtplib.SMTPException) as err:  # refused, timed out, rejected: retried, then logged
            detail = f"{type(err).__name__}: {err}"
    return Delivery(target, False, settings.retries + 1, detail)


def notify_run(
    settings: NotifySettings,
    drift: Drift | None,
    store_url: str,
    log: Any,
    head: str | None = None,
    attention: Sequence[str] = (),
) -> list[Delivery]:
    """Notify about a finished run's drift when `settings.when` asks for it, or when non-conformities
    need `attention` (None: no earlier run)."""
    if drift is None:
        log.info("notify_skipped", reason="first run in the store: nothing to compare")
        return []
    if not should_notify(settings, drift, attention):
        log.info("notify_skipped", reason=f"notify.when is {settings.when!r} and the drift has none", **drift.counts())
        return []
    return notify(settings, drift, store_url, log, head, attention)
