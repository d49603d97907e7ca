"""The loopback fake of the Jira REST API lives in the package (`annexa demo` serves it)."""

from annexa.demo.jira_fake import (
    ACCESS_REVIEWS,
    CHANGES,
    EMAIL,
    INCIDENTS,
    TOKEN,
    VULNERABILITIES,
    FakeJira,
    Ticket,
    fake_jira,
    issue,
    seeded_site,
)

__all__ = [
    "ACCESS_REVIEWS",
    "CHANGES",
    "EMAIL",
    "INCIDENTS",
    "TOKEN",
    "VULNERABILITIES",
    "FakeJira",
    "Ticket",
    "fake_jira",
    "issue",
    "seeded_site",
]
