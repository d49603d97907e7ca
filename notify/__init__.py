"""Alerts: a drift summary sent to webhooks (Slack, Teams, generic JSON) and optionally by email.

`settings` parses the `notify:` configuration, `message` builds the bodies (pure),
`send` delivers them with retries and timeouts. Delivery never decides a run's
outcome: the bundle is written before anyone is notified, and a failed delivery
is logged, not raised.
"""
