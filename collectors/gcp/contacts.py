"""Essential Contacts: who Google notifies about security matters for each project."""

from __future__ import annotations

from annexa.collectors.gcp.client import GcpCallError
from annexa.collectors.gcp.collector import GcpCollector, Yield, fact, pick
from annexa.collectors.gcp.session import GcpTarget, Project

SECURITY_CONTACTS = "gcp.essentialcontacts.security"
_KEPT = ("email", "notificationCategorySubscriptions", "validationState", "languageTag")


class EssentialContactsCollector(GcpCollector):
    """The contacts that receive SECURITY notifications for each project, inherited from folders and
    the organisation included (contacts.compute with notificationCategories=SECURITY also returns
    contacts subscribed to ALL).

    - `gcp.essentialcontacts.security` (`projects/<id>`): `contacts` (`email`,
      `notificationCategorySubscriptions`, `validationState`, `languageTag`).
    """

    name = "gcp.essentialcontacts"
    kinds = (SECURITY_CONTACTS,)
    permissions = ("essentialcontacts.contacts.list",)

    def collect_project(self, gcp: GcpTarget, project: Project) -> Yield:
        try:
            found, reply = gcp.apis.items(
                "essentialcontacts",
                "/v1/projects/{project}/contacts:compute",
                "contacts",
                {"notificationCategories": "SECURITY"},
                project=project.id,
            )
        except GcpCallError as exc:
            yield exc.to_collection_error(self.kinds, project.scope(), project.resource)
            return
        data = {"contacts": [pick(contact, _KEPT) for contact in found]}
        yield fact(gcp, SECURITY_CONTACTS, project.resource, project.scope(), data, reply)
