"""The Jira records collector: one fact per ticket each configured JQL query matches, of the
query's record type (`jira.change`, `jira.incident`, `jira.access_review`, `jira.vulnerability`)."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import urlparse

from annexa.collectors.base import Collector, Context, Target
from annexa.collectors.jira.client import DEPLOYMENTS, JiraClient, JiraError
from annexa.collectors.tickets import TYPES, check_sla, iso, set_resolution, sla_days
from annexa.model import CollectionError, Fact, Source, parse_duration
from annexa.origins import check_transport

__all__ = ["JiraRecordsCollector"]

_KINDS = ("jira.change", "jira.incident", "jira.access_review", "jira.vulnerability", "jira.query")
_QUERY_KEYS = {
    "type": str,
    "jql": str,
    "approval": dict,  # change: {status: NAME} (changelog) or {field: ID, date_field: ID}
    "deployed": dict,  # change: {status: NAME}; default: the resolution date
    "author": str,  # change: the field naming who made it (assignee, reporter, creator)
    "severity_field": str,  # incident, vulnerability: default `priority`
    "review": dict,  # incident: {link_type: NAME} or {issue_type: NAME}
    "sla_days": dict,  # vulnerability (or incident): {severity: days}
    "every": str,  # access_review: how often one must be completed, e.g. 90d
}
_AUTHORS = ("assignee", "reporter", "creator")


class JiraRecordsCollector(Collector):
    """Tickets from Jira Cloud (REST v3) or Data Center (REST v2), one query per record type,
    each query's JQL from the config (`queries:`): change records with their approvals (a
    transition to the approval status read from the changelog, or an approver field with its
    date) and when they were deployed; incidents with severity and a linked post-incident
    review; access review tasks with due and resolution dates; vulnerability tickets with
    severity and the SLA the config sets for it. Facts: `jira.change`, `jira.incident`,
    `jira.access_review`, `jira.vulnerability` (collectors/tickets.py's record model), and
    `jira.query`, each query's count and newest resolution (access reviews: against the
    configured interval). Every search is paged
    to its end; a query that fails is an error for its records, never an empty pass."""

    name = "jira.records"
    provider = "jira"
    kinds = _KINDS
    permissions = ("Browse projects on the projects the queries read (a read-only user's API token or PAT)",)
    evidence_class = "record"  # operational records from a system of record
    target_options: ClassVar[Mapping[str, type]] = {
        "base_url": str,
        "deployment": str,
        "email": str,
        "token_env": str,
        "max_wait_seconds": int,
        "queries": dict,
    }

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        if not options.get("base_url"):
            raise ValueError("base_url is required (https://your-site.atlassian.net or your Data Center URL)")
        check_transport(str(options["base_url"]), "jira option 'base_url'")  # the token goes there
        deployment = options.get("deployment", "cloud")
        if deployment not in DEPLOYMENTS:
            raise ValueError(f"deployment must be one of {', '.join(DEPLOYMENTS)}, not {deployment!r}")
        if deployment == "cloud" and not options.get("email"):
            raise ValueError("email is required for Jira Cloud (basic auth with the account's e-mail and API token)")
        queries = options.get("queries")
        if not queries:
            raise ValueError("queries must name at least one query: {name: {type: ..., jql: ...}}")
        for name, query in queries.items():
            _check_query(f"queries.{name}", query)

    def collect(self, target: Target, context: Context) -> Iterator[Fact | CollectionError]:
        host = urlparse(str(target.options.get("base_url"))).hostname or "-"
        try:
            client = JiraClient.for_target(target.options, os.environ)
            principal = client.principal()
        except JiraError as err:
            scope = {"provider": "jira", "site": host}
            yield CollectionError(kinds=_KINDS, scope=scope, message=str(err), operation=err.operation, code=err.code)
            return
        for name, query in target.options["queries"].items():
            scope = {"provider": "jira", "site": host, "query": str(name)}
            try:
                records, operations, pages = _read(client, str(name), query)
            except JiraError as err:
                # this query's records are unknown: an error for them (and for its summary, which only access
                # reviews are judged on), never an empty list; the other queries' records stand
                kinds = (f"jira.{query['type']}",) + (("jira.query",) if query["type"] == "access_review" else ())
                yield CollectionError(
                    kinds=kinds, scope=scope, message=str(err), operation=err.operation, code=err.code
                )
                continue
            source = Source(tuple(operations), principal, pages=pages, endpoint=client.base_url)
            for record in records:
                yield Fact(f"jira.{query['type']}", f"jira:{host}/{record['key']}", scope, record, source)
            summary: dict[str, Any] = {
                "name": str(name),
                "type": query["type"],
                "jql": query["jql"],
                "count": len(records),
                "latest_resolved_at": max((r["resolved_at"] for r in records if r["resolved_at"]), default=None),
            }
            if "every" in query:
                summary["interval_days"] = parse_duration(query["every"]).days
            yield Fact("jira.query", f"jira:{host}/query/{name}", scope, summary, source)


def _check_query(where: str, query: Any) -> None:
    if not isinstance(query, Mapping):
        raise ValueError(f"{where} must be a mapping with type and jql")
    unknown = sorted(set(query) - set(_QUERY_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(_QUERY_KEYS)})")
    for key, kind in _QUERY_KEYS.items():
        if key in query and not isinstance(query[key], kind):
            raise ValueError(f"{where}.{key} must be a {kind.__name__}")
    if query.get("type") not in TYPES:
        raise ValueError(f"{where}.type must be one of {', '.join(TYPES)}, not {query.get('type')!r}")
    if not str(query.get("jql") or "").strip():
        raise ValueError(f"{where}.jql is required")
    approval = query.get("approval")
    if query["type"] == "change":
        if not approval or not ("status" in approval or {"field", "date_field"} <= set(approval)):
            raise ValueError(f"{where}.approval must be {{status: NAME}} or {{field: ID, date_field: ID}}")
        if "deployed" in query and "status" not in query["deployed"]:
            raise ValueError(f"{where}.deployed must be {{status: NAME}}")
        if query.get("author", "assignee") not in _AUTHORS:
            raise ValueError(f"{where}.author must be one of {', '.join(_AUTHORS)}")
    review = query.get("review")
    if review is not None and not ({"link_type"} == set(review) or {"issue_type"} == set(review)):
        raise ValueError(f"{where}.review must be {{link_type: NAME}} or {{issue_type: NAME}}")
    if query["type"] in ("incident", "vulnerability") and "sla_days" not in query:
        raise ValueError(f"{where}.sla_days is required for {query['type']} records: {{severity: days}}")
    if "sla_days" in query:
        check_sla(where, query["sla_days"])
    if query["type"] == "access_review":
        if "every" not in query:
            raise ValueError(f"{where}.every is required for access reviews (how often, e.g. 90d)")
        parse_duration(query["every"])


def _fields(query: Mapping[str, Any]) -> list[str]:
    fields = ["issuetype", "status", "created", "resolutiondate"]
    kind = query["type"]
    if kind == "change":
        fields.append(query.get("author", "assignee"))
        fields += [query["approval"][k] for k in ("field", "date_field") if k in query["approval"]]
    if kind in ("incident", "vulnerability"):
        fields.append(query.get("severity_field", "priority"))
    if kind == "incident" and "review" in query:
        fields.append("issuelinks")
    if kind == "access_review":
        fields.append("duedate")
    return fields


def _read(client: JiraClient, name: str, query: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str], int]:
    needs_changelog = query["type"] == "change" and (
        "status" in query["approval"] or "status" in query.get("deployed", {})
    )
    operations = [f"GET {client.api}/{'search/jql' if client.deployment == 'cloud' else 'search'}"]
    records, pages = [], 0
    for page in client.search(query["jql"], _fields(query), "changelog" if needs_changelog else None):
        pages += 1
        for issue in page:
            histories = _histories(client, issue, operations) if needs_changelog else None
            records.append(_record(name, query, issue, histories))
    return records, operations, pages


def _histories(client: JiraClient, issue: Mapping[str, Any], operations: list[str]) -> list[dict[str, Any]]:
    """The issue's whole status history: the search embeds at most a page of it (`total` says how
    many there are), the rest comes from the changelog endpoint (Cloud, noted in `operations`);
    Data Center embeds all of it."""
    changelog = issue.get("changelog")
    if not isinstance(changelog, Mapping) or not isinstance(changelog.get("histories"), list):
        raise JiraError("GET search", 200, "bad_response", f"{issue.get('key')}: no changelog in the answer")
    histories = list(changelog["histories"])
    if int(changelog.get("total", len(histories))) > len(histories):
        if client.deployment != "cloud":
            raise JiraError("GET search", 200, "truncated", f"{issue.get('key')}: the changelog is incomplete")
        histories = client.changelog(str(issue["key"]))
        if f"GET {client.api}/issue/{{key}}/changelog" not in operations:
            operations.append(f"GET {client.api}/issue/{{key}}/changelog")
    return histories


def _user(value: Any) -> str | None:
    """A user's id: Cloud's accountId, Data Center's user name (or key)."""
    if not isinstance(value, Mapping):
        return None
    return value.get("accountId") or value.get("name") or value.get("key") or None


def _text(value: Any) -> str | None:
    """A field's display value: an option's `value`, a priority's `name`, or the string itself."""
    if isinstance(value, Mapping):
        found = value.get("value") or value.get("name")
        return str(found) if found is not None else None
    return str(value) if value not in (None, "") else None


def _transitions(histories: list[dict[str, Any]], status: str) -> list[dict[str, Any]]:
    """Each move into `status` (case-insensitive), oldest first: who made it and when."""
    found = []
    for history in histories:
        for item in history.get("items") or []:
            if (item.get("fieldId") or item.get("field")) == "status" and str(item.get("toString")).lower() == (
                status.lower()
            ):
                found.append({"by": _user(history.get("author")), "at": iso(history.get("created"))})
    return sorted(found, key=lambda t: t["at"] or "")


def _record(
    name: str, query: Mapping[str, Any], issue: Mapping[str, Any], histories: list[dict[str, Any]] | None
) -> dict[str, Any]:
    fields = issue.get("fields") or {}
    kind = query["type"]
    record: dict[str, Any] = {
        "key": issue.get("key"),
        "type": kind,
        "query": name,
        "issue_type": _text(fields.get("issuetype")),
        "status": _text(fields.get("status")),
        "created_at": iso(fields.get("created")),
        "resolved_at": iso(fields.get("resolutiondate")),
    }
    if kind == "change":
        author = _user(fields.get(query.get("author", "assignee")))
        approval = query["approval"]
        if "status" in approval:
            approvals = _transitions(histories or [], approval["status"])
        else:
            value = fields.get(approval["field"])
            people = value if isinstance(value, list) else [value] if value else []
            approvals = [{"by": _user(p), "at": iso(fields.get(approval["date_field"]))} for p in people]
        independent = sorted(a["at"] for a in approvals if a["by"] and a["by"] != author and a["at"])
        deployed = query.get("deployed")
        moves = _transitions(histories or [], deployed["status"]) if deployed else []
        record.update(
            author=author,
            approvals=approvals,
            independent_approved_at=independent[0] if independent else None,
            deployed_at=(moves[0]["at"] if moves else None) if deployed else record["resolved_at"],
        )
    if kind in ("incident", "vulnerability"):
        record["severity"] = _text(fields.get(query.get("severity_field", "priority")))
        days = sla_days(query.get("sla_days"), record["severity"])
        if days is not None:
            record["sla_days"] = days
    if kind == "incident" and "review" in query:
        record["post_incident_review"] = _review(fields.get("issuelinks") or [], query["review"])
    if kind == "access_review" and fields.get("duedate"):
        # a due date is a day: the task is on time until that day ends (UTC)
        record["due_date"] = f"{str(fields['duedate'])[:10]}T23:59:59Z"
    return set_resolution(record)


def _review(links: list[Mapping[str, Any]], review: Mapping[str, str]) -> str | None:
    """The key of the first linked issue that is the post-incident review (by link type or issue type)."""
    for link in links:
        other = link.get("inwardIssue") or link.get("outwardIssue") or {}
        if "link_type" in review and str((link.get("type") or {}).get("name")).lower() == review["link_type"].lower():
            return other.get("key")
        issue_type = _text((other.get("fields") or {}).get("issuetype"))
        if "issue_type" in review and issue_type and issue_type.lower() == review["issue_type"].lower():
            return other.get("key")
    return None
