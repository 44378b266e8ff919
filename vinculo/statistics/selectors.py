"""Reads for statistics: the registry as plain rows for the counting rules, and the stored aggregates.

The registry is read for one office at a time, by the node itself (building a snapshot), in a
fixed number of queries whatever the number of cases: each query streams one kind of fact as
tuples, joined in Python by id. Readers see aggregates only, through ``latest_snapshot`` and
``received_reports``, which take the actor and decide its tier.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Count, Min, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Office, User
from vinculo.accounts.roles import Permission
from vinculo.cases.models import Case, CaseParty, Charge, Decision, Event, Exploitation, Person, Sentence
from vinculo.core.errors import AccessDenied
from vinculo.exchanges.lifecycle import State as RequestState
from vinculo.exchanges.models import InformationRequest
from vinculo.matching.models import CrossmatchNotice, Hit, IncomingQuery, QueryRecipient
from vinculo.reference.models import Code, Country, PopulationFigure
from vinculo.statistics import counting
from vinculo.statistics.disclosure import Tier
from vinculo.statistics.models import AggregateTable, Report, Snapshot

CHUNK = 20_000
NOT_YOURS = _("You may not see these statistics.")
ANSWERED_REQUEST_STATES = frozenset({RequestState.ANSWERED, RequestState.ANSWERED_PARTIAL})
EVENT_TYPES = ("RECRUITMENT", "EXPLOITATION", "DETECTION_INTERCEPTION", "RESCUE", "ARREST", "BORDER_CROSSING")


@dataclass
class RegistryRows:
    """The office's registry as the counting rules read it."""

    parties: list[counting.PartyRow]
    charges: list[counting.ChargeRow]
    crossings: list[counting.CrossingRow]
    cases: list[counting.CaseRow]
    requests: list[counting.RequestRow]
    case_count: int
    hits: list[counting.HitRow] = field(default_factory=list)
    amounts: list[counting.AmountRow] = field(default_factory=list)
    shared: dict[str, int] = field(default_factory=dict)  # persons a cross-match found another office holds too


def _raw(queryset: QuerySet[Any, Any]) -> Iterator[tuple[Any, ...]]:
    """The rows of a ``values_list`` query as the database driver gives them, in chunks.

    Skips the ORM's per-value converters (a UUID object for every id, a datetime for every
    timestamp), which cost more than the query with millions of rows: ids are only compared with
    ids read the same way, and dates go through ``_day``.
    """
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            yield from rows


def _day(value: object) -> datetime.date | None:
    """A date from a driver's date or timestamp (a ``datetime``, a ``date``, or SQLite's ISO text)."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).date() if value.tzinfo else value.date()
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


def registry_rows(office: Office) -> RegistryRows:
    """Every fact the counting rules need about ``office``'s cases, in a fixed number of streamed queries.

    A node holds its own office's cases only, and then each query reads its table without joining
    back to the cases to filter by office (on SQLite the joins were about half the reading time);
    where other offices' cases share the database (a test network), every query filters.
    """
    alone = not Case.objects.exclude(office=office).exists()  # parties, charges, events... all hang from cases

    def mine(queryset: QuerySet[Any, Any], path: str) -> QuerySet[Any, Any]:
        return queryset if alone else queryset.filter(**{path: office})

    codes = dict(Code.objects.values_list("pk", "code"))
    iso2 = dict(Country.objects.values_list("pk", "iso2"))
    crime_of: dict[object, str] = {}
    reported: dict[object, datetime.date | None] = {}
    cases = []
    for case_id, crime_id, reported_on, created_at in _raw(
        Case.objects.filter(office=office).values_list("pk", "crime_family_id", "reported_on", "created_at")
    ):
        crime_of[case_id] = codes[crime_id]
        reported[case_id] = _day(reported_on)
        registered = _day(created_at)
        assert registered is not None  # noqa: S101 - a NOT NULL column
        cases.append(counting.CaseRow(crime_of[case_id], reported[case_id], registered, str(case_id)))

    citizenships: dict[object, list[str]] = defaultdict(list)
    through = Person.citizenships.through
    for person_id, country_id in _raw(
        mine(through.objects.all(), "person__office").values_list("person_id", "country_id")
    ):
        citizenships[person_id].append(iso2[country_id])

    purposes: dict[int, list[str]] = defaultdict(list)
    for party_id, code_id in _raw(
        mine(Exploitation.purposes.through.objects.all(), "exploitation__party__case__office").values_list(
            "exploitation__party_id", "code_id"
        )
    ):
        purposes[party_id].append(codes[code_id])

    # Events that date or place a person: by the people they name, or the whole case when they name nobody.
    wanted = [pk for pk, code in codes.items() if code in EVENT_TYPES]
    events = mine(Event.objects.filter(event_type_id__in=wanted), "case__office")
    named: dict[int, list[int]] = defaultdict(list)
    for event_id, party_id in _raw(
        Event.parties.through.objects.filter(event__in=events).values_list("event_id", "caseparty_id")
    ):
        named[event_id].append(party_id)
    by_party: dict[int, list[tuple[str, datetime.date | None, str]]] = defaultdict(list)
    by_case: dict[object, list[tuple[str, datetime.date | None, str]]] = defaultdict(list)
    crossings = []
    for event_id, case_id, type_id, occurred_on, country_id, crossing_code in _raw(
        events.values_list("pk", "case_id", "event_type_id", "occurred_on", "country_id", "border_crossing__code")
    ):
        kind, country, day = codes[type_id], iso2.get(country_id, ""), _day(occurred_on)
        if kind == "BORDER_CROSSING":
            crossings.append(
                counting.CrossingRow(
                    str(case_id), crime_of[case_id], crossing_code or "", country, day, reported[case_id]
                )
            )
            continue
        fact = (kind, day, country)
        if named.get(event_id):
            for party_id in named[event_id]:
                by_party[party_id].append(fact)
        else:
            by_case[case_id].append(fact)

    parties = []
    no_facts: list[tuple[str, datetime.date | None, str]] = []
    for party_id, person_id, case_id, role_id, status_id, age, created_at, sex_id, birth_year in _raw(
        mine(CaseParty.objects.all(), "case__office").values_list(
            "pk",
            "person_id",
            "case_id",
            "role_id",
            "identification_status_id",
            "age_at_identification",
            "created_at",
            "person__sex_id",
            "person__birth_year",
        )
    ):
        facts = by_party.get(party_id, no_facts) + by_case.get(case_id, no_facts)
        registered = _day(created_at)
        assert registered is not None  # noqa: S101 - a NOT NULL column
        parties.append(
            counting.PartyRow(
                person=str(person_id),
                case=str(case_id),
                crime=crime_of[case_id],
                role=codes[role_id],
                identification=codes[status_id] if status_id else "",
                sex=codes[sex_id],
                birth_year=birth_year,
                age_at_identification=age,
                citizenships=tuple(citizenships.get(person_id, ())),
                registered_on=registered,
                detected_on=_first(facts, ("DETECTION_INTERCEPTION", "RESCUE")) if facts else None,
                case_reported_on=reported[case_id],
                arrested_on=_first(facts, ("ARREST",)) if facts else None,
                purposes=tuple(purposes.get(party_id, ())),
                recruited_in=tuple(sorted({c for k, _, c in facts if k == "RECRUITMENT" and c})),
                exploited_in=tuple(sorted({c for k, _, c in facts if k == "EXPLOITATION" and c})),
            )
        )

    decisions: dict[int, list[counting.DecisionRow]] = defaultdict(list)
    for charge_id, instance_id, verdict_id, decided_on, is_final in _raw(
        mine(Decision.objects.all(), "charge__party__case__office").values_list(
            "charge_id", "proceeding__instance_id", "verdict_id", "decided_on", "is_final"
        )
    ):
        day = _day(decided_on)
        assert day is not None  # noqa: S101 - a NOT NULL column
        decisions[charge_id].append(counting.DecisionRow(codes[instance_id], codes[verdict_id], day, bool(is_final)))
    charges = []
    for charge_id, person_id, crime_id, status_id, created_at, case_id, iccs in _raw(
        mine(Charge.objects.all(), "party__case__office").values_list(
            "pk",
            "party__person_id",
            "provision__crime_family_id",
            "status_id",
            "created_at",
            "party__case_id",
            "provision__iccs_code",
        )
    ):
        registered = _day(created_at)
        assert registered is not None  # noqa: S101 - a NOT NULL column
        charges.append(
            counting.ChargeRow(
                person=str(person_id),
                crime=codes[crime_id],
                status=codes[status_id],
                registered_on=registered,
                decisions=tuple(decisions.get(charge_id, ())),
                case=str(case_id),
                iccs=iccs or "",
                order=charge_id,
            )
        )
    amounts = []
    convictions = [pk for pk, code in codes.items() if code in Decision.CONVICTIONS]
    sentences = mine(
        Sentence.objects.filter(decision__verdict_id__in=convictions), "decision__charge__party__case__office"
    )
    for person_id, crime_id, decided_on, currency, fine, confiscated, reparation in _raw(
        sentences.values_list(
            "decision__charge__party__person_id",
            "decision__charge__provision__crime_family_id",
            "decision__decided_on",
            "currency",
            "fine_amount",
            "confiscated_value",
            "reparation_amount",
        )
    ):
        day = _day(decided_on)
        assert day is not None  # noqa: S101 - a NOT NULL column
        amounts.append(
            counting.AmountRow(
                str(person_id), codes[crime_id], day, currency, _units(fine), _units(confiscated), _units(reparation)
            )
        )
    return RegistryRows(
        parties,
        charges,
        crossings,
        cases,
        list(request_rows(office)),
        len(crime_of),
        hits=list(hit_rows(office)),
        shared=shared_persons(office),
        amounts=amounts,
    )


def _units(value: object) -> int | None:
    """Whole currency units from a driver's decimal (a ``Decimal``, or SQLite's number or text); half rounds up."""
    if value is None:
        return None
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _first(facts: list[tuple[str, datetime.date | None, str]], kinds: tuple[str, ...]) -> datetime.date | None:
    days = [day for kind, day, _ in facts if kind in kinds and day is not None]
    return min(days) if days else None


def request_rows(office: Office) -> Iterator[counting.RequestRow]:
    """The office's information requests with the first complete answer (or the refusal), for MoU performance."""
    requests = InformationRequest.objects.filter(office=office).annotate(
        answered=Min("answers__at", filter=Q(answers__is_complete=True)),
        refused=Min("events__at", filter=Q(events__state_after="refused")),
    )
    for side, counterpart, sent_at, due_at, answered, refused, state in requests.values_list(
        "side", "counterpart", "sent_at", "due_at", "answered", "refused", "state"
    ).iterator(CHUNK):
        done = [t for t in (answered, refused) if t is not None]
        yield counting.RequestRow(side, counterpart, sent_at, due_at, min(done) if done else None, state)


def hit_rows(office: Office) -> Iterator[counting.HitRow]:
    """The office's hit/no-hit answers, both ways, each with the information request that cited it, if any."""
    followed: dict[tuple[str, str, str], bool] = {}  # (side, counterpart, hit reference) -> answered
    cited = (
        InformationRequest.objects.filter(office=office, sent_at__isnull=False)
        .exclude(hit_reference="")
        .exclude(state__in=(RequestState.DRAFT, RequestState.WITHDRAWN))
    )
    for side, counterpart, reference, state in cited.values_list("side", "counterpart", "hit_reference", "state"):
        key = (side, counterpart, reference)
        followed[key] = followed.get(key, False) or state in ANSWERED_REQUEST_STATES
    asked = QueryRecipient.objects.filter(query__office=office)
    for member, decision, status, reference in asked.values_list(
        "member", "decision", "hit_status", "hit_reference"
    ).iterator(CHUNK):
        answered = followed.get(("outgoing", member, reference)) if reference else None
        yield counting.HitRow("outgoing", member, decision, status, answered is not None, bool(answered))
    received = IncomingQuery.objects.filter(office=office)
    for member, decision, state, reference in received.values_list(
        "member", "decision", "hit__state", "hit__reference"
    ).iterator(CHUNK):
        status = state if state in (Hit.State.CONFIRMED, Hit.State.REJECTED) else ""
        answered = followed.get(("incoming", member, reference)) if reference else None
        yield counting.HitRow("incoming", member, decision, status, answered is not None, bool(answered))


def shared_persons(office: Office) -> dict[str, int]:
    """Per other office: how many of this office's persons the hub's cross-matches found it holds too."""
    notices = CrossmatchNotice.objects.filter(entry__person__office=office)
    return dict(
        notices.values("other_member")
        .annotate(persons=Count("entry__person", distinct=True))
        .values_list("other_member", "persons")
    )


# ---------------------------------------------------------------------------------------------
# What readers see


def home_office() -> Office | None:
    """The office this node serves (the hub's secretariat on the hub)."""
    return Office.objects.filter(code=settings.NODE_ID).first()


def tiers_for(user: User) -> list[Tier]:
    """The tiers a reader may choose, highest first: an office's own readers see its figures as they are.

    The lower tiers preview what the office's figures look like once they leave it.
    """
    if settings.NODE_ROLE == "hub":
        return [Tier.NETWORK, Tier.PUBLIC] if user.has_permission(Permission.STATS_REGIONAL) else []
    if user.has_permission(Permission.STATS_NATIONAL):
        return [Tier.OWNER, Tier.NETWORK, Tier.PUBLIC]
    return []


def latest_snapshot(user: User) -> Snapshot | None:
    """The newest snapshot of the reader's own office (only an office's own readers see its aggregates)."""
    if not user.has_permission(Permission.STATS_NATIONAL) or settings.NODE_ROLE == "hub":
        raise AccessDenied(NOT_YOURS)
    return Snapshot.objects.filter(office_id=user.office_id).first()


def snapshot_tables(snapshot: Snapshot) -> dict[str, dict[str, object]]:
    """Every table of a snapshot by key, in one query."""
    return dict(AggregateTable.objects.filter(snapshot=snapshot).values_list("key", "data"))


def sent_reports(user: User) -> list[Report]:
    if not user.has_permission(Permission.STATS_NATIONAL):
        raise AccessDenied(NOT_YOURS)
    return list(Report.objects.filter(side=Report.Side.SENT).defer("payload")[:50])


def received_reports(user: User) -> list[Report]:
    """The newest report of each office (the hub's regional figures are built from these only)."""
    if not user.has_permission(Permission.STATS_REGIONAL) or settings.NODE_ROLE != "hub":
        raise AccessDenied(NOT_YOURS)
    return latest_reports()


def latest_reports() -> list[Report]:
    reports = Report.objects.filter(side=Report.Side.RECEIVED).order_by("member", "-as_of", "-created_at", "-pk")
    newest: dict[str, Report] = {}
    for report in reports:
        newest.setdefault(report.member, report)
    return sorted(newest.values(), key=lambda r: r.member)


def populations() -> dict[str, dict[int, int]]:
    """Population by country (ISO alpha-2) and year, the denominators of SDG 16.2.2."""
    table: dict[str, dict[int, int]] = defaultdict(dict)
    for iso, year, population in PopulationFigure.objects.values_list("country__iso2", "year", "population"):
        table[iso][year] = population
    return dict(table)


def label_names() -> dict[str, str]:
    """Names for the labels of the tables: countries by ISO alpha-2 and forms of exploitation by code."""
    from django.utils import translation

    english = translation.get_language() == "en"
    names = {iso: en if english else es for iso, en, es in Country.objects.values_list("iso2", "name_en", "name_es")}
    forms = Code.objects.filter(code_list__key="exploitation_form").values_list("code", "label_en", "label_es")
    names.update({code: en if english else es for code, en, es in forms})
    return names


def iso3_of(iso2: str) -> str:
    return Country.objects.filter(iso2=iso2).values_list("iso3", flat=True).first() or iso2
