"""Counting rules: from plain rows of the case registry to GLOTIP- and SDG 16.2.2-aligned tables.

Pure: no Django. The selector reads the registry into the rows below; these functions decide who
counts, once, in which year and in which category (research note §2 and §8.4; docs/statistics.md):

- a *victim detected* is a person with a victim role whose identification status is IDENTIFIED
  (POSSIBLE is counted apart), counted once, in the year of their first identification, whatever
  the number of cases or forms of exploitation;
- a person *in formal contact* (investigated) is a person with a suspect's role in a trafficking
  case, or charged with a trafficking offence, counted once in the year of the first contact;
  *prosecuted* once charged in a status at or after indictment, or once a first-instance court
  decided on a trafficking charge; *convicted* in the year of the first first-instance
  conviction for trafficking; *finally convicted* in the year of the first final one;
- *flows* go from origin (citizenship, else the country of recruitment) to the country of
  exploitation (else the country that detected the victim);
- *border crossings* are events on a route, counted per crossing and year.

Every table here holds each unit once per row and column, so its margins are true totals and the
disclosure-control core (``disclosure.Table``) can derive and protect them.
"""

from __future__ import annotations

import datetime
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

NOT_KNOWN = "NK"

# Party roles (code list party_role).
VICTIM_ROLES = frozenset({"VICTIM", "VICTIM_AND_SMUGGLED_MIGRANT", "VICTIM_AND_SUSPECT"})
SUSPECT_ROLES = frozenset({"SUSPECT", "DEFENDANT", "COOPERATING_DEFENDANT", "VICTIM_AND_SUSPECT"})
# Crime families (code list crime_family) that are trafficking in persons.
TRAFFICKING = frozenset({"TIP", "TIP_AND_SOM"})
# Charge statuses at or after indictment (code list charge_status).
PROSECUTED_STATUSES = frozenset({"INDICTED", "RECLASSIFIED", "ADJUDICATED"})
CONVICTION = "CONVICTED"  # a conviction for the offence charged (a reclassification is another offence)
FIRST_INSTANCE = "FIRST"

# GLOTIP's forms of exploitation from the registry's detailed ones (exploitation_form).
SEXUAL = frozenset({"SEXUAL_EXPLOITATION"})
LABOUR = frozenset({"FORCED_LABOUR_SERVICES", "SLAVERY_OR_SIMILAR_PRACTICES", "SERVITUDE", "CHILD_LABOUR"})
MIXED_CODE = "MIXED_SEXUAL_AND_LABOUR"
UNKNOWN_FORMS = frozenset({"NA", NOT_KNOWN})
FORM_GROUPS = ("SEXUAL", "LABOUR", "MIXED", "OTHER", NOT_KNOWN)

SEX_AGE_GROUPS = ("WOMEN", "MEN", "GIRLS", "BOYS", "OTHER", NOT_KNOWN)  # GLOTIP's women, men, girls, boys
SEX_GROUPS = ("F", "M", "X", NOT_KNOWN)
AGE_GROUPS = ("CHILD", "ADULT", NOT_KNOWN)
STAGES = ("INVESTIGATED", "PROSECUTED", "CONVICTED", "CONVICTED_FINAL")

# The network's member countries (the CCMP-8) and the other countries of the Americas (UN M49 019).
MEMBERS = frozenset({"GT", "HN", "SV", "NI", "CR", "PA", "BZ", "DO"})
AMERICAS = frozenset(
    {
        "AG",
        "AI",
        "AR",
        "AW",
        "BB",
        "BL",
        "BM",
        "BO",
        "BQ",
        "BR",
        "BS",
        "BZ",
        "CA",
        "CL",
        "CO",
        "CR",
        "CU",
        "CW",
        "DM",
        "DO",
        "EC",
        "FK",
        "GD",
        "GF",
        "GL",
        "GP",
        "GT",
        "GY",
        "HN",
        "HT",
        "JM",
        "KN",
        "KY",
        "LC",
        "MF",
        "MQ",
        "MS",
        "MX",
        "NI",
        "PA",
        "PE",
        "PM",
        "PR",
        "PY",
        "SR",
        "SV",
        "SX",
        "TC",
        "TT",
        "US",
        "UY",
        "VC",
        "VE",
        "VG",
        "VI",
    }
)
FLOW_KINDS = ("DOMESTIC", "MEMBERS", "AMERICAS", "TRANSREGIONAL", NOT_KNOWN)


# ---------------------------------------------------------------------------------------------
# Rows: what the selector reads from the registry (one row per fact, ids as text)


@dataclass(frozen=True, slots=True)
class PartyRow:
    """One person's role in one case, with the person's facts and the case's."""

    person: str
    case: str
    crime: str  # the case's crime family
    role: str
    identification: str  # identification status code, "" when none
    sex: str
    birth_year: int | None
    age_at_identification: int | None
    citizenships: tuple[str, ...]  # ISO alpha-2
    registered_on: datetime.date  # when the role was recorded
    detected_on: datetime.date | None  # first detection or rescue event naming the person
    case_reported_on: datetime.date | None
    arrested_on: datetime.date | None = None  # first arrest event naming the person
    purposes: tuple[str, ...] = ()  # forms of exploitation (victims)
    recruited_in: tuple[str, ...] = ()  # countries of recruitment events naming the person or the case
    exploited_in: tuple[str, ...] = ()  # countries of exploitation events naming the person or the case


@dataclass(frozen=True, slots=True)
class ChargeRow:
    """A charge against a person, with the decisions on it."""

    person: str
    crime: str  # the crime family of the charged provision
    status: str
    registered_on: datetime.date
    decisions: tuple[DecisionRow, ...] = ()
    case: str = ""
    iccs: str = ""  # the ICCS code of the charged provision, "" when the provision has none
    order: int = 0  # ties between charges registered the same day: the earlier record first


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """A court's decision on one charge."""

    instance: str  # court_instance code of the proceeding
    verdict: str
    decided_on: datetime.date
    is_final: bool


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A case file: its crime family and when it was reported (else registered)."""

    crime: str
    reported_on: datetime.date | None
    registered_on: datetime.date
    case: str = ""


@dataclass(frozen=True, slots=True)
class CrossingRow:
    """A border crossing on a case's route."""

    case: str
    crime: str
    crossing: str  # the reference list's code, or "" when only a country was given
    country: str  # ISO alpha-2, "" when not given
    occurred_on: datetime.date | None
    case_reported_on: datetime.date | None


@dataclass(frozen=True, slots=True)
class RequestRow:
    """One information request, as this office holds it (MoU performance)."""

    side: str  # "outgoing" or "incoming"
    counterpart: str
    sent_on: datetime.datetime | None
    due_at: datetime.datetime | None
    answered_at: datetime.datetime | None  # the first complete answer, or the refusal
    state: str


# ---------------------------------------------------------------------------------------------
# Persons as counted


@dataclass(frozen=True, slots=True)
class Victim:
    """A victim detected, counted once: the year of first identification and the categories."""

    person: str
    year: int
    sex: str
    age: str  # CHILD, ADULT, NK
    citizenship: str
    forms: frozenset[str]  # detailed forms (each counted once per person)
    form_group: str
    origin: str
    exploitation_country: str

    @property
    def sex_age(self) -> str:
        return sex_age_group(self.sex, self.age)


@dataclass(frozen=True)
class Offender:
    """A person in the criminal-justice system: the year each stage was first reached (None: not reached)."""

    person: str
    sex: str
    age: str
    citizenship: str
    years: Mapping[str, int | None] = field(default_factory=dict)


def year_of(day: datetime.date | None) -> int | None:
    return None if day is None else day.year


def age_group(age: int | None) -> str:
    if age is None:
        return NOT_KNOWN
    return "CHILD" if age < 18 else "ADULT"


def sex_group(sex: str) -> str:
    return sex if sex in SEX_GROUPS else NOT_KNOWN


def sex_age_group(sex: str, age: str) -> str:
    """GLOTIP's women, men, girls and boys; other sexes and unknown ages kept apart."""
    if sex == "X":
        return "OTHER"
    if sex not in ("F", "M") or age == NOT_KNOWN:
        return NOT_KNOWN
    return {("F", "ADULT"): "WOMEN", ("M", "ADULT"): "MEN", ("F", "CHILD"): "GIRLS", ("M", "CHILD"): "BOYS"}[(sex, age)]


def form_group(forms: Iterable[str]) -> str:
    """One GLOTIP form per person: sexual and labour together count as mixed."""
    known = set(forms) - UNKNOWN_FORMS
    sexual = bool(known & SEXUAL)
    labour = bool(known & LABOUR)
    if MIXED_CODE in known or (sexual and labour):
        return "MIXED"
    if sexual:
        return "SEXUAL"
    if labour:
        return "LABOUR"
    return "OTHER" if known else NOT_KNOWN


def main_citizenship(citizenships: Iterable[str], home: str) -> str:
    """A person with several citizenships counts once: as a national when one of them is the office's country."""
    known = sorted(set(citizenships))
    if not known:
        return NOT_KNOWN
    return home if home in known else known[0]


def flow_kind(origin: str, destination: str) -> str:
    """Domestic, within the network's members, within the Americas, or transregional."""
    if NOT_KNOWN in (origin, destination):
        return NOT_KNOWN
    if origin == destination:
        return "DOMESTIC"
    if origin in MEMBERS and destination in MEMBERS:
        return "MEMBERS"
    if origin in AMERICAS and destination in AMERICAS:
        return "AMERICAS"
    return "TRANSREGIONAL"


def _detection_day(row: PartyRow) -> datetime.date:
    """When the person was identified: a detection or rescue event, else the case's report, else the record."""
    return row.detected_on or row.case_reported_on or row.registered_on


SMUGGLED_ROLES = frozenset({"SMUGGLED_MIGRANT", "VICTIM_AND_SMUGGLED_MIGRANT"})
SMUGGLING = frozenset({"SOM", "TIP_AND_SOM"})


def victims(
    rows: Iterable[PartyRow],
    *,
    home: str,
    identification: str | None = "IDENTIFIED",
    roles: frozenset[str] = VICTIM_ROLES,
    crimes: frozenset[str] = TRAFFICKING,
) -> list[Victim]:
    """Victims of trafficking detected by this office, each person once (research note §8.4).

    With ``roles=SMUGGLED_ROLES, crimes=SMUGGLING, identification=None``: the smuggled migrants
    identified, by the same rules (§8.4's SOM counts).
    """
    by_person: dict[str, list[PartyRow]] = defaultdict(list)
    for row in rows:
        if (
            row.role in roles
            and row.crime in crimes
            and (identification is None or row.identification == identification)
        ):
            by_person[row.person].append(row)
    counted = []
    for person, person_rows in by_person.items():
        first = min(person_rows, key=lambda r: (_detection_day(r), r.case))
        day = _detection_day(first)
        if first.age_at_identification is not None:
            age = age_group(first.age_at_identification)
        else:
            age = age_group(None if first.birth_year is None else day.year - first.birth_year)
        forms = frozenset(p for r in person_rows for p in r.purposes if p not in UNKNOWN_FORMS)
        citizenship = main_citizenship(first.citizenships, home)
        recruited = sorted({c for r in person_rows for c in r.recruited_in})
        exploited = sorted({c for r in person_rows for c in r.exploited_in})
        origin = citizenship if citizenship != NOT_KNOWN else (recruited[0] if recruited else NOT_KNOWN)
        counted.append(
            Victim(
                person=person,
                year=day.year,
                sex=sex_group(first.sex),
                age=age,
                citizenship=citizenship,
                forms=forms,
                form_group=form_group(r for row in person_rows for r in row.purposes),
                origin=origin,
                exploitation_country=_destination(exploited, origin, home),
            )
        )
    return sorted(counted, key=lambda v: (v.year, v.person))


def _destination(exploited: Sequence[str], origin: str, home: str) -> str:
    """The country of exploitation: the one given; of several, the first not the origin; none, where detected."""
    if not exploited:
        return home
    abroad = [c for c in exploited if c != origin]
    return abroad[0] if abroad else exploited[0]


def offenders(
    parties: Iterable[PartyRow], charges: Iterable[ChargeRow], *, home: str, crimes: frozenset[str] = TRAFFICKING
) -> list[Offender]:
    """Persons investigated, prosecuted and convicted for trafficking (or ``crimes``: e.g. ``SMUGGLING``), with the
    year each stage was first reached."""
    facts: dict[str, PartyRow] = {}
    contact: dict[str, datetime.date] = {}
    for row in parties:
        if row.role in SUSPECT_ROLES and row.crime in crimes:
            day = min(d for d in (row.arrested_on, row.registered_on) if d is not None)
            contact[row.person] = min(contact.get(row.person, day), day)
        if row.person not in facts or row.registered_on < facts[row.person].registered_on:
            facts[row.person] = row
    prosecuted: dict[str, datetime.date] = {}
    convicted: dict[str, datetime.date] = {}
    final: dict[str, datetime.date] = {}

    def earliest(store: dict[str, datetime.date], person: str, day: datetime.date) -> None:
        store[person] = min(store.get(person, day), day)

    for charge in charges:
        if charge.crime not in crimes:
            continue
        earliest(contact, charge.person, charge.registered_on)
        if charge.status in PROSECUTED_STATUSES:
            earliest(prosecuted, charge.person, charge.registered_on)
        for decision in charge.decisions:
            if decision.instance == FIRST_INSTANCE:
                earliest(prosecuted, charge.person, decision.decided_on)
                if decision.verdict == CONVICTION:
                    earliest(convicted, charge.person, decision.decided_on)
            if decision.verdict == CONVICTION and decision.is_final:
                earliest(final, charge.person, decision.decided_on)
    # A later stage dates the earlier ones at the latest (a charge may be recorded after the
    # judgment, when an old case is entered): convicted means prosecuted, prosecuted means in contact.
    for person, day in final.items():
        earliest(prosecuted, person, day)
    for person, day in prosecuted.items():
        earliest(contact, person, day)
    counted = []
    for person in sorted(contact):
        known = facts.get(person)
        day = contact[person]
        age = NOT_KNOWN if known is None or known.birth_year is None else age_group(day.year - known.birth_year)
        counted.append(
            Offender(
                person=person,
                sex=sex_group(known.sex) if known else NOT_KNOWN,
                age=age,
                citizenship=main_citizenship(known.citizenships, home) if known else NOT_KNOWN,
                years={
                    "INVESTIGATED": day.year,
                    "PROSECUTED": year_of(prosecuted.get(person)),
                    "CONVICTED": year_of(convicted.get(person)),
                    "CONVICTED_FINAL": year_of(final.get(person)),
                },
            )
        )
    return counted


# ---------------------------------------------------------------------------------------------
# Tables: counts by row and column labels, each unit once


@dataclass(frozen=True)
class CountTable:
    """Interior counts of a one-way (``columns`` empty) or two-way table; margins are for disclosure control."""

    key: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    values: tuple[tuple[int, ...], ...]  # one tuple per row (one value per row in a one-way table)

    def value(self, row: str, column: str | None = None) -> int:
        i = self.rows.index(row)
        return self.values[i][0 if column is None else self.columns.index(column)]

    @property
    def total(self) -> int:
        return sum(sum(r) for r in self.values)

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "rows": list(self.rows),
            "columns": list(self.columns),
            "values": [list(r) for r in self.values],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CountTable:
        values = tuple(tuple(int(v) for v in r) for r in data["values"])
        return cls(str(data["key"]), tuple(map(str, data["rows"])), tuple(map(str, data["columns"])), values)


def two_way(key: str, pairs: Iterable[tuple[str, str]], rows: Sequence[str], columns: Sequence[str]) -> CountTable:
    """Count (row, column) pairs; labels outside ``rows``/``columns`` are kept after them, in order."""
    counts = Counter(pairs)
    all_rows = list(rows) + sorted({r for r, _ in counts} - set(rows))
    all_columns = list(columns) + sorted({c for _, c in counts} - set(columns))
    values = tuple(tuple(counts.get((r, c), 0) for c in all_columns) for r in all_rows)
    return CountTable(key, tuple(all_rows), tuple(all_columns), values)


def one_way(key: str, labels: Iterable[str], rows: Sequence[str] = ()) -> CountTable:
    counts = Counter(labels)
    all_rows = list(rows) + sorted(set(counts) - set(rows))
    return CountTable(key, tuple(all_rows), (), tuple((counts.get(r, 0),) for r in all_rows))


def years_between(first: int, last: int) -> list[str]:
    return [str(y) for y in range(first, last + 1)]


def victim_tables(counted: Sequence[Victim], years: Sequence[str]) -> list[CountTable]:
    """Victims detected by year and sex/age, form, citizenship and flow, each person once per table."""
    in_years = [v for v in counted if str(v.year) in years]
    return [
        two_way("victims_sex_age", ((str(v.year), v.sex_age) for v in in_years), years, SEX_AGE_GROUPS),
        two_way("victims_sex", ((str(v.year), v.sex) for v in in_years), years, SEX_GROUPS),
        two_way("victims_age", ((str(v.year), v.age) for v in in_years), years, AGE_GROUPS),
        two_way("victims_form", ((str(v.year), v.form_group) for v in in_years), years, FORM_GROUPS),
        two_way("victims_citizenship", ((v.citizenship, str(v.year)) for v in in_years), (), years),
        two_way(
            "victims_flow",
            ((str(v.year), flow_kind(v.origin, v.exploitation_country)) for v in in_years),
            years,
            FLOW_KINDS,
        ),
        two_way(
            "victims_origin_destination",
            ((v.origin, v.exploitation_country) for v in in_years),
            (),
            (),
        ),
    ]


def victims_per_form(counted: Sequence[Victim], years: Sequence[str]) -> CountTable:
    """Victims by detailed form of exploitation: a person counts once per form, so forms do not add up to the total."""
    return two_way(
        "victims_per_form", ((f, str(v.year)) for v in counted if str(v.year) in years for f in v.forms), (), years
    )


def offender_tables(counted: Sequence[Offender], years: Sequence[str], *, prefix: str = "persons") -> list[CountTable]:
    """Persons by stage reached: each stage's table by year and sex, each person once in the year they reached it."""
    tables = []
    for stage in STAGES:
        pairs = [(str(o.years[stage]), o.sex) for o in counted if o.years.get(stage) is not None]
        tables.append(two_way(f"{prefix}_{stage.lower()}", (p for p in pairs if p[0] in years), years, SEX_GROUPS))
    if prefix != "persons":
        return tables
    convicted = [o for o in counted if o.years.get("CONVICTED") is not None and str(o.years["CONVICTED"]) in years]
    tables.append(
        two_way("convicted_citizenship", ((o.citizenship, str(o.years["CONVICTED"])) for o in convicted), (), years)
    )
    return tables


def funnel(counted: Sequence[Offender], year: int | None = None) -> dict[str, int]:
    """Persons reaching each stage (in ``year``, or ever): the criminal-justice funnel."""
    return {
        stage: sum(1 for o in counted if o.years.get(stage) is not None and (year is None or o.years[stage] == year))
        for stage in STAGES
    }


CRIME_FAMILIES = ("TIP", "TIP_AND_SOM", "SOM", "RELATED")


def case_table(rows: Iterable[CaseRow], years: Sequence[str]) -> CountTable:
    """Cases recorded (GLOTIP's offences recorded), by year of the report (else of registration) and crime family."""
    pairs = ((str((row.reported_on or row.registered_on).year), row.crime) for row in rows)
    return two_way("cases_recorded", (p for p in pairs if p[0] in years), years, CRIME_FAMILIES)


NO_CHARGE = "NONE"  # a case with no charge yet: no main charge to classify it by


def main_charges(charges: Iterable[ChargeRow]) -> dict[str, ChargeRow]:
    """Each case's main charge: its earliest-registered trafficking or smuggling charge, else its earliest charge.

    The registry does not rank charges by seriousness; the charge that opened the case for the
    crimes this network exists for is the one GLOTIP's offences recorded are about.
    """
    main: dict[str, ChargeRow] = {}
    for charge in charges:
        if not charge.case:
            raise ValueError("a charge without its case cannot be a case's main charge")
        known = main.get(charge.case)
        if known is None or _charge_rank(charge) < _charge_rank(known):
            main[charge.case] = charge
    return main


def _charge_rank(charge: ChargeRow) -> tuple[bool, datetime.date, int]:
    return (charge.crime not in TRAFFICKING | SMUGGLING, charge.registered_on, charge.order)


def iccs_table(rows: Iterable[CaseRow], charges: Iterable[ChargeRow], years: Sequence[str]) -> CountTable:
    """Cases recorded by year (of the report, else of registration) and ICCS code of the main charge.

    A case with no charge yet counts under ``NO_CHARGE``, one whose main charge's provision has no
    ICCS code under ``NOT_KNOWN``: every case of ``case_table`` counts once here too.
    """
    main = main_charges(charges)
    pairs = []
    for row in rows:
        year = str((row.reported_on or row.registered_on).year)
        if year not in years:
            continue
        charge = main.get(row.case)
        pairs.append((year, NO_CHARGE if charge is None else (charge.iccs or NOT_KNOWN)))
    codes = sorted({code for _, code in pairs} - {NO_CHARGE, NOT_KNOWN})
    columns = [*codes, *(c for c in (NOT_KNOWN, NO_CHARGE) if any(code == c for _, code in pairs))]
    return two_way("cases_recorded_iccs", pairs, years, columns)


def crossing_table(rows: Iterable[CrossingRow], years: Sequence[str]) -> CountTable:
    """Border crossings on the routes of trafficking cases, by crossing point and year of the crossing."""
    pairs = []
    for row in rows:
        if row.crime not in TRAFFICKING:
            continue
        day = row.occurred_on or row.case_reported_on
        if day is None or str(day.year) not in years:
            continue
        pairs.append((row.crossing or f"{row.country or NOT_KNOWN}-?", str(day.year)))
    return two_way("border_crossings", pairs, (), years)


# ---------------------------------------------------------------------------------------------
# MoU performance


@dataclass(frozen=True)
class Performance:
    """Requests sent to or received from one counterpart, and how they were answered."""

    counterpart: str
    sent: int
    received: int
    answered_sent: int  # requests this office sent that the counterpart answered
    answered_received: int  # requests this office received and answered
    on_time_received: int  # ... of which on time (by the due date)
    on_time_sent: int
    median_days_received: float | None  # median days from sending to answer (this office answering)
    median_days_sent: float | None  # ... (the counterpart answering)


ANSWERED_STATES = frozenset({"answered", "answered_partial", "refused"})


def performance(rows: Iterable[RequestRow]) -> list[Performance]:
    """MoU performance per counterpart office; drafts and withdrawn requests are left out."""
    grouped: dict[str, list[RequestRow]] = defaultdict(list)
    for row in rows:
        if row.sent_on is not None and row.state not in ("draft", "withdrawn"):
            grouped[row.counterpart].append(row)
    results = []
    for counterpart in sorted(grouped):
        sides: dict[str, tuple[int, int, int, float | None]] = {}
        for side in ("outgoing", "incoming"):
            mine = [r for r in grouped[counterpart] if r.side == side]
            answered = [r for r in mine if r.answered_at is not None and r.sent_on is not None]
            on_time = [r for r in answered if r.due_at is None or r.answered_at <= r.due_at]  # type: ignore[operator]
            days = [(r.answered_at - r.sent_on).total_seconds() / 86400 for r in answered]  # type: ignore[operator]
            sides[side] = (len(mine), len(answered), len(on_time), round(statistics.median(days), 1) if days else None)
        out, inc = sides["outgoing"], sides["incoming"]
        results.append(Performance(counterpart, out[0], inc[0], out[1], inc[1], inc[2], out[2], inc[3], out[3]))
    return results


@dataclass(frozen=True, slots=True)
class HitRow:
    """One hit/no-hit answer, as this office holds it: a query it sent (outgoing) or answered (incoming)."""

    side: str  # "outgoing" or "incoming"
    counterpart: str
    decision: str  # "hit", "possible", "no-hit", "refused", or "" while unanswered
    status: str  # the holder's decision on a hit: "confirmed", "rejected", or "" (pending, or not a hit)
    requested: bool  # an information request citing the hit was sent (drafts and withdrawn requests do not count)
    answered: bool  # ... and it was answered (wholly or in part; a refusal is not an answer)


@dataclass(frozen=True)
class HitFollowUp:
    """Hits between this office and one counterpart, and what followed from them.

    ``*_sent``: queries this office sent and the counterpart answered; ``*_received``: queries the
    counterpart sent and this office answered. A hit is a "hit" or "possible" answer; confirmed and
    rejected are the holder's decisions on it; requests are information requests that cite a hit, and
    answered those of them answered. ``shared`` is how many of this office's persons the newest
    cross-match at the hub says the counterpart holds too.
    """

    counterpart: str
    queries_sent: int
    hits_sent: int
    confirmed_sent: int
    rejected_sent: int
    requests_sent: int
    answered_sent: int
    queries_received: int
    hits_received: int
    confirmed_received: int
    rejected_received: int
    requests_received: int
    answered_received: int
    shared: int


def count_sums(entries: Sequence[Mapping[str, object]], names: Sequence[str]) -> dict[str, int]:
    """The sum of each named count over ``entries`` (counts only: medians do not add up)."""
    return {name: sum(int(entry[name]) for entry in entries) for name in names}  # type: ignore[call-overload]


HIT_DECISIONS = frozenset({"hit", "possible"})
FOLLOW_UP_STEPS = ("queries", "hits", "confirmed", "rejected", "requests", "answered")


def hit_follow_up(rows: Iterable[HitRow], shared: Mapping[str, int] | None = None) -> list[HitFollowUp]:
    """Per counterpart office: queries, hits, the holder's confirmations and rejections, requests and answers.

    Each step counts within the one before it: a confirmation, rejection or request counts only for a
    hit, an answer only for a request. So the columns read as a funnel, and a request citing a
    reference that was never a hit (which the exchanges refuse anyway) is not counted.
    """
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * len(FOLLOW_UP_STEPS))
    for row in rows:
        if row.side not in ("outgoing", "incoming"):
            raise ValueError(f"side: {row.side!r}")
        step = counts[(row.counterpart, row.side)]
        step[0] += 1
        if row.decision not in HIT_DECISIONS:
            continue
        step[1] += 1
        step[2] += row.status == "confirmed"
        step[3] += row.status == "rejected"
        if row.requested:
            step[4] += 1
            step[5] += row.answered
    shared = shared or {}
    results = []
    for counterpart in sorted({c for c, _ in counts} | {c for c, n in shared.items() if n}):
        out = counts.get((counterpart, "outgoing"), [0] * len(FOLLOW_UP_STEPS))
        inc = counts.get((counterpart, "incoming"), [0] * len(FOLLOW_UP_STEPS))
        named = {f"{step}_sent": n for step, n in zip(FOLLOW_UP_STEPS, out, strict=True)}
        named |= {f"{step}_received": n for step, n in zip(FOLLOW_UP_STEPS, inc, strict=True)}
        results.append(HitFollowUp(counterpart=counterpart, shared=shared.get(counterpart, 0), **named))
    return results


# ---------------------------------------------------------------------------------------------
# Money amounts (magnitude tables: disclosure control by contributors, dominance and p-%)

AMOUNT_KINDS = ("FINE", "CONFISCATED", "REPARATION")


@dataclass(frozen=True, slots=True)
class AmountRow:
    """What one conviction's sentence imposed, in whole units of its currency (None: not imposed)."""

    person: str
    crime: str  # the crime family of the charge the conviction is on
    decided_on: datetime.date
    currency: str
    fine: int | None
    confiscated: int | None
    reparation: int | None


@dataclass(frozen=True)
class AmountTable:
    """Amounts by year and kind, kept as each contributor's amount (a convicted person's sum in the year).

    Disclosure control of amounts needs the contributions, not only the sums: a cell one person
    dominates gives that person's amount away. One currency per table: the one most of the
    office's sentences use; ``other_currencies`` counts the sentences left out because they use another.
    """

    key: str
    currency: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    contributions: tuple[tuple[tuple[int, ...], ...], ...]  # per row, per column: the contributors' amounts
    other_currencies: int = 0

    def value(self, row: str, column: str) -> int:
        return sum(self.contributions[self.rows.index(row)][self.columns.index(column)])

    def contributors(self, row: str, column: str) -> int:
        return len(self.contributions[self.rows.index(row)][self.columns.index(column)])

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "currency": self.currency,
            "rows": list(self.rows),
            "columns": list(self.columns),
            "contributions": [[list(cell) for cell in row] for row in self.contributions],
            "other_currencies": self.other_currencies,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AmountTable:
        contributions = tuple(tuple(tuple(int(x) for x in cell) for cell in row) for row in data["contributions"])
        return cls(
            str(data["key"]),
            str(data["currency"]),
            tuple(map(str, data["rows"])),
            tuple(map(str, data["columns"])),
            contributions,
            int(data.get("other_currencies", 0)),
        )


def amount_table(rows: Iterable[AmountRow], years: Sequence[str]) -> AmountTable:
    """Fines, confiscated assets and reparations imposed by convictions for trafficking or smuggling.

    By year of the judgment. A person convicted twice in a year is one contributor, with the sum;
    a cell holds only contributors with an amount above zero. Sentences in other currencies than
    the most used one are left out and counted (amounts in different currencies do not add up).
    """
    relevant = [r for r in rows if r.crime in TRAFFICKING | SMUGGLING and str(r.decided_on.year) in years]
    used = Counter(r.currency for r in relevant)
    currency = min(used, key=lambda c: (-used[c], c)) if used else ""
    sums: dict[tuple[str, str, str], int] = defaultdict(int)
    for row in relevant:
        if row.currency != currency:
            continue
        year = str(row.decided_on.year)
        for kind, amount in zip(AMOUNT_KINDS, (row.fine, row.confiscated, row.reparation), strict=True):
            if amount:
                sums[(year, kind, row.person)] += amount
    cells: dict[tuple[str, str], list[int]] = defaultdict(list)
    for (year, kind, _person), amount in sums.items():
        cells[(year, kind)].append(amount)
    contributions = tuple(
        tuple(tuple(sorted(cells.get((year, kind), ()), reverse=True)) for kind in AMOUNT_KINDS) for year in years
    )
    other = sum(n for c, n in used.items() if c != currency)
    return AmountTable("amounts_imposed", currency, tuple(years), AMOUNT_KINDS, contributions, other)
