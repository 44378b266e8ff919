"""The only door to case files: every read takes the person asking and scopes to what they may see.

- Prosecutors, investigators and focal points (who hold ``case.edit`` or ``exchange.triage``)
  see their own office's cases where they are on the team, plus those the team opened to
  the whole office.
- Judges and victim-care professionals see only the cases they are assigned to.
- Nobody ever sees another office's cases here: those arrive only through exchanges.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.cases import palermo, route_diagram
from vinculo.cases.models import (
    Case,
    CaseAssignment,
    CaseDocument,
    CaseLink,
    CaseParty,
    Charge,
    Event,
    IdentityIndexEntry,
    Proceeding,
    TeamRole,
    Visibility,
)
from vinculo.reference.models import Code, Country
from vinculo.vault import blind, keys

EDITING_ROLES = (TeamRole.LEAD, TeamRole.MEMBER)
LIST_RELATED = ("crime_family", "stage", "closure_type", "origin")  # the codes a case list shows


def sees_office_cases(user: User) -> bool:
    return user.has_permission(Permission.CASE_EDIT) or user.has_permission(Permission.EXCHANGE_TRIAGE)


def _may_open(user: User, case: str = "") -> Q | None:
    """The cases this person may open, as a condition on a case, or on the case of a row (``case="case__"``).

    None when they may open none. The person's assignments are a subquery, not a join: a join
    repeats a case per matching row and needs a DISTINCT over every column, which with 100,000
    cases in a node made each list page, and its count, take seconds.
    """
    if not (user.has_permission(Permission.CASE_VIEW) or user.has_permission(Permission.VICTIM_SUPPORT)):
        return None
    own_office = Q(**{f"{case}office_id": user.office_id})
    assigned = Q(**{f"{case}pk__in": CaseAssignment.objects.filter(user=user).values("case_id")})
    if sees_office_cases(user):
        return own_office & (assigned | Q(**{f"{case}visibility": Visibility.OFFICE}))
    return own_office & assigned


def cases_visible_to(user: User) -> QuerySet[Case]:
    """Every case this person may open, each once."""
    condition = _may_open(user)
    return Case.objects.none() if condition is None else Case.objects.filter(condition)


def case_list(
    user: User,
    *,
    text: str = "",
    stage: str = "",
    crime_family: str = "",
    year: int | None = None,
    status: str = "",
    exploitation_form: str = "",
    border_crossing: str = "",
) -> QuerySet[Case]:
    """The filtered case list, newest first, with what the table shows loaded in advance.

    Filters on the people and events of a case are subqueries too, so a case with two matching
    victims is listed once without a DISTINCT.
    """
    cases = cases_visible_to(user).select_related(*LIST_RELATED)
    if text:
        cases = cases.filter(Q(national_number__icontains=text) | Q(summary__icontains=text))
    if stage:
        cases = cases.filter(stage__code=stage)
    if crime_family:
        cases = cases.filter(crime_family__code=crime_family)
    if year:
        cases = cases.filter(reported_on__year=year)
    if exploitation_form:
        # The code's id first, in a query of its own: as a subquery, SQLite joined the other way
        # round (every victim's forms of exploitation read) and PostgreSQL, not knowing how
        # common the form is, looked the victims up one by one (0.3 s instead of 0.1 s).
        purpose = (
            Code.objects.filter(code_list__key="exploitation_form", code=exploitation_form)
            .values_list("pk", flat=True)
            .first()
        )
        if purpose is None:
            return Case.objects.none()
        victims = CaseParty.objects.filter(exploitation__purposes=purpose)
        cases = cases.filter(pk__in=victims.values("case_id"))
    if border_crossing:
        crossed = Event.objects.filter(border_crossing__code=border_crossing)
        cases = cases.filter(pk__in=crossed.values("case_id"))
    if status == "open":
        cases = cases.filter(closed_on__isnull=True)
    elif status == "closed":
        cases = cases.filter(closed_on__isnull=False)
    return cases.order_by("-created_at")


def page_of_cases(cases: QuerySet[Case], number: Any, *, per_page: int = 50) -> Page[Case]:
    """One page of a case list (Django's paginator), its cases loaded by ``cases_of_page``."""
    page = Paginator(cases, per_page).get_page(number)
    start = (page.number - 1) * per_page
    page.object_list = cases_of_page(cases, slice(start, start + per_page))
    return page


def cases_by_key(keys: list[uuid.UUID], *related: str) -> list[Case]:
    """Cases whose keys a scoped query has just given (a page of a list), in that order, with ``related``.

    For lists that load many related rows: with the page's keys still a subquery, PostgreSQL
    joined every case with its seven codes before keeping the page's fifty.
    """
    found = Case.objects.select_related(*related).in_bulk(keys)
    return [found[key] for key in keys]


def cases_of_page(cases: QuerySet[Case], rows: slice) -> QuerySet[Case]:
    """The cases in ``rows`` of the ordered list ``cases``, with what a list shows, in one query.

    The page is picked by key and date only, then its cases are loaded whole: asking for whole
    rows (codes joined) made the database sort every row it skipped, and page 1,000 of 100,000
    cases took seconds.
    """
    keys = cases.values_list("pk", flat=True)[rows]
    return Case.objects.filter(pk__in=keys).select_related(*LIST_RELATED).order_by(*cases.query.order_by)


def case_for_user(user: User, case_id: uuid.UUID | str, *, need: Literal["view", "edit", "team"] = "view") -> Case:
    """One case: 404 when the person may not see it, 403 when they see it but may not do ``need``."""
    try:
        key = uuid.UUID(str(case_id))
    except ValueError:
        raise Http404 from None
    case = (
        cases_visible_to(user).select_related("office", "crime_family", "stage", "closure_type").filter(pk=key).first()
    )
    if case is None:
        raise Http404
    if need == "edit" and not can_edit(user, case):
        raise PermissionDenied("case.edit")
    if need == "team" and not can_manage_team(user, case):
        raise PermissionDenied("case.team")
    return case


def _role_in(user: User, case: Case) -> str | None:
    assignment = CaseAssignment.objects.filter(case=case, user=user).only("role").first()
    return assignment.role if assignment else None


def can_edit(user: User, case: Case) -> bool:
    return user.has_permission(Permission.CASE_EDIT) and _role_in(user, case) in EDITING_ROLES


def can_manage_team(user: User, case: Case) -> bool:
    return user.has_permission(Permission.CASE_EDIT) and _role_in(user, case) == TeamRole.LEAD


def team_of(case: Case) -> QuerySet[CaseAssignment]:
    return case.assignments.select_related("user").order_by("role", "user__full_name")


def assignable_people(case: Case) -> QuerySet[User]:
    """Active people of the case's office who are not on the team yet."""
    return (
        User.objects.filter(office_id=case.office_id, is_active=True)
        .exclude(case_assignments__case=case)
        .order_by("full_name")
    )


def sees_victims_only(user: User) -> bool:
    """Victim care works with victims and their services, never the suspects' side of a case."""
    return user.has_permission(Permission.VICTIM_SUPPORT) and not user.has_permission(Permission.CASE_VIEW)


def parties_of(case: Case, user: User | None = None) -> QuerySet[CaseParty]:
    """The people in a case the person may see (analytic side only; identities stay sealed)."""
    parties = case.parties.all()
    if user is not None and sees_victims_only(user):
        parties = parties.filter(role__code__in=CaseParty.VICTIM_ROLES)
    return (
        parties.select_related("role", "identification_status", "person__sex", "exploitation")
        .prefetch_related(
            "person__citizenships",
            "exploitation__purposes",
            "exploitation__acts",
            "exploitation__means",
            "support__kind",
            "consents",
            "charges__provision",
            "charges__status",
        )
        .order_by("created_at")
    )


def party_of(case: Case, party_id: int, user: User | None = None) -> CaseParty:
    party = parties_of(case, user).filter(pk=party_id).first()
    if party is None:
        raise Http404
    return party


def palermo_check(party: CaseParty) -> palermo.PalermoCheck:
    """The Palermo guidance for one victim (an empty check when nothing is recorded yet)."""
    exploitation = getattr(party, "exploitation", None)
    if exploitation is None:
        return palermo.check(acts=(), means=(), purposes=(), is_child=party.is_child)
    # .all() rather than values_list(), so codes prefetched by parties_of() are reused.
    return palermo.check(
        acts=[code.code for code in exploitation.acts.all()],
        means=[code.code for code in exploitation.means.all()],
        purposes=[code.code for code in exploitation.purposes.all()],
        is_child=party.is_child,
    )


def events_of(case: Case) -> QuerySet[Event]:
    """The case's events in date order (undated ones last)."""
    return case.events.select_related("event_type", "country", "border_crossing").prefetch_related("transport")


def route_of(case: Case) -> list[Country]:
    """The countries the case passed through, in order, without consecutive repeats."""
    route: list[Country] = []
    for event in events_of(case):
        if event.country is not None and (not route or route[-1].pk != event.country.pk):
            route.append(event.country)
    return route


def route_for_diagram(case: Case) -> route_diagram.Route:
    """The case's events as plain data for the route diagram, with country names in the active language."""
    events = events_of(case).prefetch_related("border_crossing__countries")
    names = {country.iso2: country.name for country in Country.objects.filter(iso2__in=route_diagram.POSITIONS)}
    return route_diagram.Route(events=tuple(_route_event(event) for event in events), country_names=names)


def _route_event(event: Event) -> route_diagram.RouteEvent:
    crossing = event.border_crossing
    return route_diagram.RouteEvent(
        type_code=event.event_type.code,
        type_label=event.event_type.label,
        country=event.country.iso2 if event.country else "",
        country_name=event.country.name if event.country else "",
        place=event.place,
        crossing=None
        if crossing is None
        else route_diagram.Crossing(
            code=crossing.code,
            name=crossing.name,
            latitude=None if crossing.latitude is None else float(crossing.latitude),
            longitude=None if crossing.longitude is None else float(crossing.longitude),
            coordinates_verified=crossing.coordinates_verified,
            countries=tuple(sorted(country.iso2 for country in crossing.countries.all())),
        ),
        occurred_on=event.occurred_on,
        precision=event.occurred_on_precision,
    )


def people_search(user: User, query: str) -> QuerySet[CaseParty]:
    """Parties, in cases the person may see, whose identity matches ``query``.

    Names: every word of the query must be one of the person's name words (so a missing second
    surname or an accent does not hide anyone). Numbers: a document or phone in any format.
    """
    kind, digests = blind.query_entries(keys.current_keyring().index_key, query)
    if not digests:
        return CaseParty.objects.none()
    entries = IdentityIndexEntry.objects.filter(digest__in=digests)
    persons: QuerySet[Any, Any]
    if kind == "name":
        # A plain count: an entry is unique per person, kind and digest (``unique_index_entry``),
        # and COUNT(DISTINCT) made PostgreSQL sort each person's entries again.
        persons = (
            entries.filter(kind="name")
            .values("person_id")
            .annotate(hits=Count("digest"))
            .filter(hits=len(digests))
            .values("person_id")
        )
    else:
        persons = entries.exclude(kind="name").values("person_id")
    # "Its case is visible" asked of each party found (EXISTS), not ``case__in=<the visible cases>``:
    # with that list of 70,000 cases SQLite probed every (case, person) pair and a name search
    # took a minute; this way the matching people drive the query.
    visible = cases_visible_to(user).filter(pk=OuterRef("case_id"))
    found = CaseParty.objects.filter(Exists(visible), person_id__in=persons)
    if sees_victims_only(user):
        found = found.filter(role__code__in=CaseParty.VICTIM_ROLES)
    return found.select_related("case", "role", "person__sex").order_by("-case__created_at")


def links_of(user: User, case: Case) -> list[tuple[CaseLink, Case | None]]:
    """The case's links both ways; a linked case the person may not see shows as such (None)."""
    visible = set(cases_visible_to(user).values_list("pk", flat=True))
    found: list[tuple[CaseLink, Case | None]] = []
    outgoing = case.links.select_related("link_type", "to_case")
    incoming = case.linked_from.select_related("link_type", "from_case")
    for link in outgoing:
        found.append((link, link.to_case if link.to_case_id in visible else None))
    for link in incoming:
        found.append((link, link.from_case if link.from_case_id in visible else None))
    return found


def proceedings_of(case: Case) -> QuerySet[Proceeding]:
    """The case's proceedings in order, each with its decisions and their sentences."""
    return case.proceedings.select_related("instance", "procedure_type").prefetch_related(
        "decisions__verdict",
        "decisions__acquittal_reason",
        "decisions__charge__provision",
        "decisions__charge__party__role",
        "decisions__sentence__sanctions",
    )


def charges_of(case: Case) -> QuerySet[Charge]:
    """Every charge in the case (for choosing which one a decision settles)."""
    return Charge.objects.filter(party__case=case).select_related("party__role", "provision", "status")


def documents_of(user: User, case: Case) -> QuerySet[CaseDocument]:
    """The case's documents (their records, never their sealed content); victim care sees victims' only."""
    documents = case.documents.defer("content", "file_name").select_related("party__role", "created_by")
    if sees_victims_only(user):
        documents = documents.filter(party__role__code__in=CaseParty.VICTIM_ROLES)
    return documents


def document_of(case: Case, document_id: uuid.UUID | str) -> CaseDocument:
    """One document of the case (with its sealed content), or 404."""
    try:
        return case.documents.select_related("party__role", "party__person").get(pk=document_id)
    except (CaseDocument.DoesNotExist, ValueError) as missing:
        raise Http404 from missing
