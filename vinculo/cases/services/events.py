"""The events of a case, which draw its route across countries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.audit import services as audit
from vinculo.cases.models import Case, CaseParty, Event
from vinculo.cases.selectors import can_edit
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.core.validation import validate
from vinculo.reference.models import BorderCrossing, Code, Country

NOT_ALLOWED = _("You may not change this case.")
CROSSING_ELSEWHERE = _("That border crossing is not on a border of the country given.")
PEOPLE_OF_ANOTHER_CASE = _("Only people of this case can be involved in its events.")
WRONG_LIST = _("This code does not belong to the right list.")


@transaction.atomic(durable=True)
def add_event(
    *,
    by: User,
    case: Case,
    event_type: Code,
    occurred_on: date | None,
    occurred_on_precision: str,
    country: Country | None,
    place: str,
    border_crossing: BorderCrossing | None,
    transport: Iterable[Code] = (),
    parties: Iterable[CaseParty] = (),
    notes: str = "",
) -> Event:
    """Record one step of the case; a crossing fills in its country when none is given."""
    if not can_edit(by, case):
        raise AccessDenied(NOT_ALLOWED)
    transport, parties = list(transport), list(parties)
    if any(code.code_list.key != "transport_means" for code in transport):
        raise DomainError(WRONG_LIST)
    if any(party.case_id != case.pk for party in parties):
        raise DomainError(PEOPLE_OF_ANOTHER_CASE)
    if border_crossing is not None:
        crossing_countries = list(border_crossing.countries.all())
        if country is None and crossing_countries:
            country = crossing_countries[0]
        elif country is not None and country not in crossing_countries:
            raise DomainError(CROSSING_ELSEWHERE)
    event = Event(
        case=case,
        event_type=event_type,
        occurred_on=occurred_on,
        occurred_on_precision=occurred_on_precision,
        country=country,
        place=place.strip(),
        border_crossing=border_crossing,
        notes=notes.strip(),
        created_by=by,
    )
    validate(event)
    event.save()
    event.transport.set(transport)
    event.parties.set(parties)
    audit.record(
        action="case.event_added",
        actor=by,
        target=case,
        data={"event": event.pk, "type": event_type.code, "country": country.iso2 if country else ""},
    )
    return event


@transaction.atomic(durable=True)
def remove_event(*, by: User, event: Event) -> None:
    if not can_edit(by, event.case):
        raise AccessDenied(NOT_ALLOWED)
    data = {"event": event.pk, "type": event.event_type.code}
    case = event.case
    event.delete()
    audit.record(action="case.event_removed", actor=by, target=case, data=data)
