"""The kinds of notification and their words (chosen when shown, in the reader's language)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    text: Promise  # with %(subject)s and %(office)s
    by_email: bool  # also e-mailed: what cannot wait for the next visit


KINDS: dict[str, Kind] = {
    "request.received": Kind(_("New information request from %(office)s: %(subject)s"), True),
    "request.assigned": Kind(_("An information request from %(office)s was assigned to you: %(subject)s"), True),
    "request.acknowledged": Kind(_("%(office)s acknowledged your request: %(subject)s"), False),
    "request.in_progress": Kind(_("%(office)s is working on your request: %(subject)s"), False),
    "request.answered": Kind(_("%(office)s answered your request: %(subject)s"), True),
    "request.partly_answered": Kind(_("%(office)s answered part of your request: %(subject)s"), True),
    "request.refused": Kind(_("%(office)s refused your request: %(subject)s"), True),
    "request.withdrawn": Kind(_("%(office)s withdrew its request: %(subject)s"), False),
    "request.clarification": Kind(_("%(office)s wrote about the request: %(subject)s"), False),
    "request.reminder": Kind(_("%(office)s sent a reminder about its request: %(subject)s"), True),
    # The deadline check e-mails these itself, with the due time (exchanges/services/deadlines.py).
    "request.due_soon": Kind(_("The request from %(office)s is due soon: %(subject)s"), False),
    "request.overdue": Kind(
        _("Overdue, escalated to the focal points: the request from %(office)s: %(subject)s"), False
    ),
    "alert.received": Kind(_("ALERT from %(office)s: %(subject)s"), True),
    "information.received": Kind(_("Spontaneous information from %(office)s: %(subject)s"), False),
    "consent.requested": Kind(_("%(office)s asks for permission about information you gave: %(subject)s"), True),
    "consent.answered": Kind(_("%(office)s answered your consent request: %(subject)s"), False),
    "team.formed": Kind(_("%(office)s added your office to the joint team %(subject)s"), False),
    "team.posted": Kind(_("New in the joint team %(subject)s (from %(office)s)"), False),
    "match.hit_received": Kind(
        _("A query from %(office)s hit your office's records (case %(subject)s): confirm or reject it"), True
    ),
    "match.hit": Kind(_("%(office)s holds records that match your query (case %(subject)s)"), True),
    "match.hit_confirmed": Kind(_("%(office)s confirmed the hit on your query (case %(subject)s)"), False),
    "match.hit_rejected": Kind(_("%(office)s rejected the hit on your query (case %(subject)s)"), False),
    "match.crossmatch": Kind(_("The network's cross-match found persons your office shares with %(office)s"), False),
}


def text_of(kind: str, facts: dict[str, str], office_names: Mapping[str, str] | None = None) -> str:
    """The notification's words; ``office_names`` turns the office's code into its name for the reader."""
    found = KINDS.get(kind)
    if found is None:
        return kind
    office = facts.get("office", "")
    return str(found.text) % {"subject": facts.get("subject", ""), "office": (office_names or {}).get(office, office)}
