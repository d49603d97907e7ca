"""Alerts go to the configured receiver only: a receiver's redirect (to another port on
127.0.0.1, another origin) is not followed, so neither the alert nor the webhook URL's secret
reaches another host; plain http is refused except to the loopback, at load and at send time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import structlog
from scripted_http import Scripted, scripted_http

from annexa.errors import UsageError
from annexa.notify.send import notify
from annexa.notify.settings import NotifySettings, Webhook, parse_notify
from annexa.reports.drift import Drift, RunRef
from annexa.yamlio import parse_yaml

RUN = RunRef(1, "r1", "complete", "2026-11-22T00:00:00Z", 0)
DRIFT = Drift(RUN, RunRef(2, "r2", "complete", "2026-11-23T00:00:00Z", 0), (), (), ())


@pytest.fixture
def hosts() -> Iterator[tuple[Scripted, Scripted]]:
    with scripted_http() as receiver, scripted_http() as elsewhere:
        yield receiver, elsewhere


@pytest.mark.parametrize("status", [302, 307, 308])
def test_a_receivers_redirect_is_not_followed(hosts: tuple[Scripted, Scripted], status: int) -> None:
    receiver, elsewhere = hosts
    receiver.redirect("/hook/T000/s3cr3t", f"{elsewhere.url}/collect", status=status)
    settings = NotifySettings(
        timeout=timedelta(seconds=5), retries=0, webhooks=(Webhook("json", f"{receiver.url}/hook/T000/s3cr3t"),)
    )
    (delivery,) = notify(settings, DRIFT, "./evidence", structlog.get_logger())
    assert not delivery.ok and f"HTTP {status}" in delivery.detail and "not followed" in delivery.detail
    assert elsewhere.url.removeprefix("http://") in delivery.detail and "s3cr3t" not in delivery.detail
    assert elsewhere.requests == [] and len(receiver.requests) == 1


def test_a_url_from_the_environment_must_be_https(
    monkeypatch: pytest.MonkeyPatch, hosts: tuple[Scripted, Scripted]
) -> None:
    monkeypatch.setenv("ANNEXA_TEST_HOOK", "http://hooks.example.com/services/T000/B000/s3cr3t")
    settings = NotifySettings(
        timeout=timedelta(seconds=5), retries=0, webhooks=(Webhook("slack", url_env="ANNEXA_TEST_HOOK"),)
    )
    (delivery,) = notify(settings, DRIFT, "./evidence", structlog.get_logger())
    assert (
        not delivery.ok and delivery.attempts == 0 and "https://" in delivery.detail and "s3cr3t" not in delivery.detail
    )


@pytest.mark.parametrize(
    "url", ["http://siem.example.com/hook/s3cr3t", "file:///etc/passwd", "ftp://siem.example.com/x"]
)
def test_config_refuses_webhooks_that_are_not_https(url: str) -> None:
    node = parse_yaml(f"webhooks:\n  - {{format: json, url: '{url}'}}\n", "annexa.yaml")
    with pytest.raises(UsageError) as info:
        parse_notify(node, Path("annexa.yaml"), lambda text: timedelta(seconds=10))
    assert "annexa.yaml:2:" in str(info.value) and "https://" in str(info.value) and "s3cr3t" not in str(info.value)
    node = parse_yaml("webhooks:\n  - {format: json, url: 'http://127.0.0.1:8080/hook'}\n", "annexa.yaml")
    assert parse_notify(node, Path("annexa.yaml"), lambda text: timedelta(seconds=10)).webhooks[0].url
