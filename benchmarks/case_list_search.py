"""Benchmark: the case list, its filters and the people search with 100,000 cases in a node.

    .venv/bin/python benchmarks/case_list_search.py [--cases 100000] [--repeat 10]
        [--database-url postgres://postgres@127.0.0.1:5432/vinculo_bench] [--then-sql "DROP INDEX …"]

Fills a fresh node (SQLite in a temporary folder, or the PostgreSQL database named in
--database-url, which is dropped and created again and dropped at the end: its name must
contain "bench") with synthetic cases in the demo generator's mixes: a team per case, victims
and suspects with identities sealed in the vault and indexed with the vault's blind index,
exploitation facts for trafficking victims, and routes with border crossings. The bulk load
writes the rows the services would write (audit entries aside), without calling them one
by one. Then a prosecutor with a second factor (signed in the way the tests sign people in)
asks for each page through Django's test client: the time of each page (median and 95th
percentile over --repeat runs, after one warm-up) and its number of SQL queries.

--then-sql runs SQL statements (an index to try, or one to drop) after the first measurement
and measures every page again, to show what an index gains or costs. --only measures the pages
whose label contains a text; --keep keeps the database to look into. Compare runs on one machine.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHUNK = 2_000  # cases written per round of bulk inserts
LEADS = 20  # prosecutors of the office; the measuring one leads about 1 case in 20
TRAVELLER_EVERY = 500  # one case in this many also holds a person recorded in other cases
PASSWORD = "bench-password-not-secret"  # noqa: S105 - a throwaway database

# Trafficking victims' forms of exploitation, acts and means (code, weight).
PURPOSES = [
    ("SEXUAL_EXPLOITATION", 50),
    ("FORCED_LABOUR_SERVICES", 22),
    ("MIXED_SEXUAL_AND_LABOUR", 5),
    ("FORCED_CRIMINAL_ACTIVITY", 5),
    ("CHILD_LABOUR", 4),
    ("FORCED_BEGGING", 3),
    ("SERVITUDE", 3),
    ("FORCED_OR_SERVILE_MARRIAGE", 2),
    ("NK", 6),
]
ACTS = [("RECRUITMENT", 40), ("TRANSPORTATION", 25), ("HARBOURING", 15), ("RECEIPT", 15), ("TRANSFER", 5)]
MEANS = [("DECEPTION", 35), ("THREAT", 15), ("ABUSE_OF_POSITION_OF_VULNERABILITY", 25), ("DEBT", 10), ("FRAUD", 15)]
# Crossings on the routes through El Salvador and its neighbours (code, weight).
CROSSINGS = [
    ("GTM-SLV-01", 20),
    ("GTM-SLV-02", 15),
    ("GTM-SLV-03", 8),
    ("GTM-SLV-04", 5),
    ("SLV-HND-01", 15),
    ("SLV-HND-02", 10),
    ("GTM-MEX-01", 12),
    ("GTM-MEX-02", 5),
    ("GTM-MEX-03", 5),
    ("GULF-01", 5),
]
# Case summaries (no names, as the form asks): a few per crime family, for the text filter to search.
SUMMARIES = {
    "TIP": [
        "Oferta de empleo falsa difundida por redes sociales; la víctima fue trasladada a otro país y obligada a "
        "trabajar en un bar.",
        "Niña reclutada en su comunidad con promesa de estudios; explotación sexual en un centro nocturno cercano "
        "a la frontera.",
        "Grupo de trabajadores agrícolas retenidos con deudas impagables y sin documentos de identidad.",
        "Adolescente utilizado por una estructura criminal para el transporte de drogas bajo amenazas a su familia.",
        "Trabajo doméstico sin salario y con encierro en una vivienda particular.",
    ],
    "SOM": [
        "Grupo de migrantes interceptado en un camión de carga tras cruzar un punto ciego de la frontera.",
        "Red que cobraba por guiar a familias por rutas irregulares hacia el norte.",
        "Embarcación con migrantes detenida en el golfo; se investiga a los organizadores del viaje.",
        "Documentos de viaje falsificados vendidos a personas migrantes en una terminal de buses.",
    ],
    "RELATED": ["Lavado de dinero de las ganancias de una red de trata: compra de inmuebles a nombre de terceros."],
}
CROSSING_COUNTRY = {"GTM": "GT", "SLV": "SV", "HND": "HN", "MEX": "MX", "GUL": "SV"}


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


# --- The database ------------------------------------------------------------------------


def _postgres_admin(url: str) -> tuple[str, str]:
    """The maintenance database's URL and the benchmark database's name (refused unless it says "bench")."""
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql") or "bench" not in name:
        raise SystemExit("--database-url must be postgres://…/<name with 'bench'>: that database is dropped.")
    return urllib.parse.urlunsplit(parts._replace(path="/postgres")), name


def _recreate_postgres(url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _postgres_admin(url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not drop_only:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure(database_url: str | None, workdir: Path) -> None:
    if database_url:
        _recreate_postgres(database_url)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url or f"sqlite:///{workdir}/bench.sqlite3",
            "VINCULO_VAULT_KEYRING_FILE": str(workdir / "keyring.json"),
            "VINCULO_LOG_LEVEL": "WARNING",
            "VINCULO_DEBUG": "false",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- The people of the office --------------------------------------------------------------


def make_staff() -> dict[str, Any]:
    """The measuring prosecutor (second factor enrolled), the other leads and a few team members."""
    from django.utils import timezone

    from vinculo.accounts import totp
    from vinculo.accounts.roles import Role
    from vinculo.accounts.services import users
    from vinculo.accounts.services.authentication import TOTP_PURPOSE
    from vinculo.core.sealing import seal

    def person(username: str, role: Role) -> Any:
        user, _password = users.create_user(
            by=None, username=username, full_name=username, email="", roles=[role.value], password=PASSWORD
        )
        user.totp_secret_sealed = seal(totp.new_secret(), purpose=TOTP_PURPOSE)
        user.totp_confirmed_at = timezone.now()
        user.save(update_fields=["totp_secret_sealed", "totp_confirmed_at"])
        return user

    leads = [person(f"bench.fiscal{n:02d}", Role.PROSECUTOR) for n in range(LEADS)]
    return {
        "leads": leads,
        "investigators": [person(f"bench.investigador{n}", Role.INVESTIGATOR) for n in range(5)],
        "victim_care": [person(f"bench.victimas{n}", Role.VICTIM_CARE) for n in range(3)],
        "judges": [person(f"bench.juez{n}", Role.JUDGE) for n in range(3)],
    }


# --- The cases -------------------------------------------------------------------------------


@dataclass
class Sizes:
    cases: int = 0
    assignments: int = 0
    persons: int = 0
    parties: int = 0
    index_entries: int = 0
    exploitations: int = 0
    exploitation_codes: int = 0
    events: int = 0


@dataclass
class Samples:
    """Values taken from the generated data, for the searches to look for."""

    case_numbers: list[str]
    people: list[dict[str, Any]]
    # The first ones met, for runs too small to have drawn any of the above.
    few_numbers: list[str] = field(default_factory=list)
    few_people: list[dict[str, Any]] = field(default_factory=list)


def insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT rows (by attribute name) as the ORM would store them, without building model instances.

    Fields a row leaves out take their default (``auto_now`` ones: now), so the rows match what
    a service's ``save()`` writes; an auto-increment key left out is the database's to give.
    """
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.models import AutoField
    from django.utils import timezone

    if not rows:
        return
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs a lookup per value
    given = set(rows[0])
    fields = [
        field
        for field in model._meta.concrete_fields
        if field.attname in given or not (field.primary_key and isinstance(field, AutoField))
    ]
    now = timezone.now()
    plain = (int, str, type(None))

    def value(field: Any, row: dict[str, Any]) -> Any:
        if field.attname in row:
            raw = row[field.attname]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            raw = now
        else:
            raw = field.get_default()  # as a model instance would have it (NOT NULL without one fails loudly)
        # Numbers and text go in as they are; dates, times and UUIDs the way the field stores them.
        return raw if type(raw) in plain else field.get_db_prep_save(raw, connection)

    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608 - names from the models
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, 30_000 // len(fields))  # many rows per statement, under SQLite's 32,766 parameters
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            params = [value(field, row) for row in batch for field in fields]
            cursor.execute(head + ", ".join([one] * len(batch)), params)


class Generator:
    """Builds the rows the services would store, from the demo generator's mixes, and inserts them in bulk."""

    def __init__(self, staff: dict[str, Any], rng: random.Random) -> None:
        from django.utils import timezone

        from vinculo.accounts.models import Office
        from vinculo.demo.persons import new_person
        from vinculo.reference.models import BorderCrossing, Code, Country
        from vinculo.vault import keys

        self.staff = staff
        self.rng = rng
        self.office = Office.objects.get(pk=staff["leads"][0].office_id)
        self.country = self.office.country or "SV"
        self.codes = {(c.code_list.key, c.code): c.pk for c in Code.objects.select_related("code_list")}
        self.family_of = {pk: code for (key, code), pk in self.codes.items() if key == "crime_family"}
        self.countries = {c.iso2: c.pk for c in Country.objects.filter(iso2__in=["GT", "SV", "HN", "MX", "NI"])}
        self.crossings = {c.code: c.pk for c in BorderCrossing.objects.filter(code__in=[c for c, _ in CROSSINGS])}
        self.keyring = keys.current_keyring()
        self.now = timezone.now()
        self.today = timezone.localdate()
        pool = random.Random(f"{rng.random()}-travellers")  # noqa: S311 - synthetic data
        self.travellers = [
            new_person(pool, country=pool.choice(["GT", "SV", "HN"]), age=pool.randint(20, 45), on=self.today)
            for _ in range(20)
        ]
        self.sizes = Sizes()
        self.samples = Samples(case_numbers=[], people=[])
        self.next_party = 1
        self.next_exploitation = 1

    def code(self, list_key: str, value: str) -> int:
        return self.codes[(list_key, value)]

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def run(self, count: int, progress: Callable[[int], None]) -> None:
        from django.core.management.color import no_style
        from django.db import connection, transaction

        from vinculo.cases.models import CaseParty, Exploitation

        for start in range(0, count, CHUNK):
            with transaction.atomic():
                self._chunk(start, min(count, start + CHUNK))
            progress(min(count, start + CHUNK))
        # The keys given here explicitly: the sequences must go on after them (PostgreSQL).
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [CaseParty, Exploitation]):
                cursor.execute(statement)

    def _case(self, number: int) -> tuple[dict[str, Any], list[tuple[Any, str]]]:
        from vinculo.cases.models import TeamRole, known_part
        from vinculo.demo.plans import CRIME_FAMILY, EARLY_CLOSURES, ORGANIZATION, ORIGIN, STAGE_ORDER, STAGES

        rng = self.rng
        family = _pick(rng, CRIME_FAMILY)
        stage = _pick(rng, STAGES)
        reported = self.today - datetime.timedelta(days=rng.randint(20, 7 * 365))
        precision = rng.choices(["day", "month", "year"], weights=[85, 10, 5])[0]
        reported = known_part(reported, precision)
        closure, closed_on = None, None
        if stage == "FINAL":
            closure = "JUDGMENT_FINAL"
        elif stage in ("REPORTED", "PRELIMINARY_INVESTIGATION") and rng.random() < 0.25:
            closure = _pick(rng, EARLY_CLOSURES)
        if closure:
            closed_on = min(self.today, reported + datetime.timedelta(days=rng.randint(60, 900)))
        registered = datetime.datetime.combine(reported, datetime.time(8), tzinfo=datetime.UTC) + datetime.timedelta(
            days=rng.randint(0, 20), seconds=rng.randint(0, 36_000)
        )
        lead = rng.choice(self.staff["leads"])
        case = {
            "id": self.uuid(),
            "office_id": self.office.pk,
            "national_number": f"{self.office.code.split('-')[-1]}-{family.split('_')[0]}-{reported.year}-{number:06d}",
            "crime_family_id": self.code("crime_family", family),
            "origin_id": self.code("case_origin", _pick(rng, ORIGIN[family])),
            "stage_id": self.code("stage", stage),
            "closure_type_id": self.code("closure_type", closure) if closure else None,
            "closed_on": closed_on,
            "reported_on": reported,
            "reported_on_precision": precision,
            "organized_crime_id": self.code("yes_no", rng.choice(["YES", "NO", "NK"])),
            "trafficker_organization_id": self.code("trafficker_organization", _pick(rng, ORGANIZATION)),
            "summary": rng.choice(SUMMARIES[family.split("_")[0]]),
            "summary_language": "es",
            "visibility": rng.choice(["office", "office", "team"]),
            "created_at": min(registered, self.now),
            "created_by_id": lead.pk,
            "updated_by_id": lead.pk,
        }
        team = [(lead, TeamRole.LEAD)]
        if rng.random() < 0.7:
            team.append((rng.choice(self.staff["investigators"]), TeamRole.MEMBER))
        if family in ("TIP", "TIP_AND_SOM"):
            team.append((rng.choice(self.staff["victim_care"]), TeamRole.VICTIM_CARE))
        if STAGE_ORDER.index(stage) >= STAGE_ORDER.index("TRIAL"):
            team.append((rng.choice(self.staff["judges"]), TeamRole.JUDGE))
        return case, team

    def _people(self, number: int, case: dict[str, Any]) -> list[tuple[str, Any]]:
        """Victims and suspects as the demo makes them; now and then someone recorded in other cases too."""
        from vinculo.demo.persons import as_recorded, new_person

        rng = self.rng
        family = self.family_of[case["crime_family_id"]]
        victim_role = "SMUGGLED_MIGRANT" if family == "SOM" else "VICTIM"
        on = case["reported_on"]
        people: list[tuple[str, Any]] = []
        for _ in range(rng.randint(1, 3)):
            country = rng.choice([self.country, self.country, "GT", "HN", "NI", "MX"])
            people.append((victim_role, new_person(rng, country=country, age=rng.randint(12, 40), on=on)))
        for _ in range(rng.randint(0, 2)):
            people.append(("SUSPECT", new_person(rng, country=self.country, age=rng.randint(20, 55), on=on)))
        if number % TRAVELLER_EVERY == 0:
            index = (number // TRAVELLER_EVERY) % len(self.travellers)
            role = "SUSPECT" if index % 4 == 0 else victim_role
            people.append((role, as_recorded(self.travellers[index], rng, changes=1)))
        return people

    def _route(self, case: dict[str, Any]) -> list[dict[str, Any]]:
        """Recruitment, on half the routes a border crossing, and often the interception."""
        rng = self.rng
        home = self.countries.get(self.country)
        steps: list[tuple[str, int | None, int | None]] = [("RECRUITMENT", home, None)]
        if rng.random() < 0.5:
            crossing = _pick(rng, CROSSINGS)
            steps.append(
                ("BORDER_CROSSING", self.countries.get(CROSSING_COUNTRY[crossing[:3]]), self.crossings[crossing])
            )
        if rng.random() < 0.6:
            steps.append(("DETECTION_INTERCEPTION", home, None))
        base = case["reported_on"] or self.today
        return [
            {
                "case_id": case["id"],
                "event_type_id": self.code("event_type", kind),
                "occurred_on": min(self.today, base - datetime.timedelta(days=30 * (len(steps) - index))),
                "country_id": country,
                "border_crossing_id": crossing,
                "created_at": case["created_at"],
                "created_by_id": case["created_by_id"],
            }
            for index, (kind, country, crossing) in enumerate(steps)
        ]

    def _chunk(self, first: int, last: int) -> None:
        from vinculo.cases.models import (
            Case,
            CaseAssignment,
            CaseParty,
            Event,
            Exploitation,
            IdentityIndexEntry,
            Person,
            PersonIdentity,
        )
        from vinculo.vault import blind, crypto

        rng = self.rng
        victim = self.code("party_role", "VICTIM")
        # In the order the foreign keys need them.
        models = [Case, CaseAssignment, Event, Person, Person.citizenships.through, PersonIdentity]
        models += [IdentityIndexEntry, CaseParty, Exploitation]
        models += [getattr(Exploitation, field).through for field in ("purposes", "acts", "means")]
        rows: dict[Any, list[dict[str, Any]]] = {model: [] for model in models}
        for number in range(first + 1, last + 1):
            case, team = self._case(number)
            rows[Case].append(case)
            rows[CaseAssignment].extend(
                {
                    "case_id": case["id"],
                    "user_id": user.pk,
                    "role": role,
                    "assigned_at": case["created_at"],
                    "assigned_by_id": case["created_by_id"],
                }
                for user, role in team
            )
            rows[Event].extend(self._route(case))
            # Samples for the searches, from cases the measuring prosecutor sees (the office's, or theirs).
            visible = case["visibility"] == "office" or case["created_by_id"] == self.staff["leads"][0].pk
            if visible and (number % 997 == 0 or len(self.samples.few_numbers) < 3):
                (self.samples.case_numbers if number % 997 == 0 else self.samples.few_numbers).append(
                    case["national_number"]
                )
            for role, facts in self._people(number, case):
                person_id = self.uuid()
                born = facts.birth_year
                rows[Person].append(
                    {
                        "id": person_id,
                        "office_id": self.office.pk,
                        "sex_id": self.code("sex", facts.sex),
                        "birth_year": born,
                        "created_at": case["created_at"],
                        "created_by_id": case["created_by_id"],
                    }
                )
                if facts.nationality in self.countries:
                    rows[Person.citizenships.through].append(
                        {"person_id": person_id, "country_id": self.countries[facts.nationality]}
                    )
                identity = {field: str(getattr(facts, field, "")) for field in PersonIdentity.SEALED_FIELDS}
                sealed = {
                    field: crypto.seal(value, keyring=self.keyring, context=PersonIdentity.context(person_id, field))
                    if value
                    else ""
                    for field, value in identity.items()
                }
                rows[PersonIdentity].append({"person_id": person_id, **sealed})
                entries = blind.index_entries(
                    self.keyring.index_key,
                    names=(identity["given_names"], identity["first_surname"], identity["second_surname"]),
                    documents=identity["document_numbers"],
                    phones=identity["phones"],
                )
                rows[IdentityIndexEntry].extend(
                    {"person_id": person_id, "kind": kind, "digest": digest} for kind, digest in sorted(entries)
                )
                party_id = self.next_party
                self.next_party += 1
                role_id = self.code("party_role", role)
                reported_year = case["reported_on"].year if case["reported_on"] else 2025
                rows[CaseParty].append(
                    {
                        "id": party_id,
                        "case_id": case["id"],
                        "person_id": person_id,
                        "role_id": role_id,
                        "identification_status_id": self.code("identification_status", "IDENTIFIED")
                        if role == "VICTIM"
                        else None,
                        "age_at_identification": max(0, reported_year - born),
                        "created_at": case["created_at"],
                        "created_by_id": case["created_by_id"],
                    }
                )
                if role_id == victim:
                    self._exploitation(rows, party_id, case)
                if visible and identity["document_numbers"] and identity["phones"]:
                    if rng.random() < 0.01:
                        self.samples.people.append(identity)
                    elif len(self.samples.few_people) < 3:
                        self.samples.few_people.append(identity)
        for model, model_rows in rows.items():
            insert(model, model_rows)
        sizes = self.sizes
        sizes.cases += len(rows[Case])
        sizes.assignments += len(rows[CaseAssignment])
        sizes.persons += len(rows[Person])
        sizes.parties += len(rows[CaseParty])
        sizes.index_entries += len(rows[IdentityIndexEntry])
        sizes.exploitations += len(rows[Exploitation])
        sizes.exploitation_codes += sum(
            len(rows[getattr(Exploitation, field).through]) for field in ("purposes", "acts", "means")
        )
        sizes.events += len(rows[Event])

    def _exploitation(self, rows: dict[Any, list[dict[str, Any]]], party_id: int, case: dict[str, Any]) -> None:
        """A trafficking victim's form of exploitation, acts and means."""
        from vinculo.cases.models import Exploitation

        exploitation_id = self.next_exploitation
        self.next_exploitation += 1
        rows[Exploitation].append({"id": exploitation_id, "party_id": party_id, "updated_by_id": case["created_by_id"]})
        for codes, mix, list_key, most in (
            ("purposes", PURPOSES, "exploitation_form", 1),
            ("acts", ACTS, "act", 2),
            ("means", MEANS, "means", 2),
        ):
            chosen = {_pick(self.rng, mix) for _ in range(self.rng.randint(1, most))}
            rows[getattr(Exploitation, codes).through].extend(
                {"exploitation_id": exploitation_id, "code_id": self.code(list_key, value)} for value in chosen
            )


# --- Measuring -------------------------------------------------------------------------------


@dataclass
class Page:
    label: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str] | None = None


@dataclass
class Result:
    label: str
    matches: str
    queries: int
    median_ms: float
    p95_ms: float
    cpu_ms: float  # this process's CPU time (median): with SQLite, the database's work too


def _fold(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def pages_to_measure(samples: Samples, cases: int) -> list[Page]:
    from django.urls import reverse

    listing = reverse("cases:case_list")
    people = reverse("cases:people_search")
    api = "/api/v1/cases"
    people_found = samples.people or samples.few_people
    numbers = samples.case_numbers or samples.few_numbers
    someone = people_found[len(people_found) // 2]
    other = people_found[-1]
    document = "".join(ch for ch in str(someone["document_numbers"]).split(";")[0] if ch.isdigit())
    phone = "".join(ch for ch in str(other["phones"]) if ch.isdigit())[-8:]
    number = numbers[len(numbers) // 2]
    year = int(number.split("-")[2])
    deep = max(1, cases // 2 // 50)
    return [
        Page("case list, first page", listing, {}),
        Page("case list, htmx rows only", listing, {}, {"HX-Request": "true"}),
        Page(f"case list, page {deep}", listing, {"page": deep}),
        Page("filter: stage (trial)", listing, {"stage": "TRIAL"}),
        Page("filter: crime family (smuggling)", listing, {"crime_family": "SOM"}),
        Page(f"filter: year reported ({year})", listing, {"year": year}),
        Page("filter: form of exploitation (forced labour)", listing, {"exploitation_form": "FORCED_LABOUR_SERVICES"}),
        Page("filter: border crossing (SLV-HND-02)", listing, {"border_crossing": "SLV-HND-02"}),
        Page(
            "filter: open, stage and year",
            listing,
            {"status": "open", "stage": "PRELIMINARY_INVESTIGATION", "year": year},
        ),
        Page("text: a word of the summaries", listing, {"text": "frontera"}),
        Page("text: a whole case number", listing, {"text": number}),
        Page("text: a number nobody has", listing, {"text": "XX-0000-000"}),
        Page(
            "people: given name + first surname, no accents",
            people,
            {"q": _fold(f"{someone['given_names']} {someone['first_surname']}").upper()},
        ),
        Page(
            "people: full name with accents",
            people,
            {"q": f"{other['given_names']} {other['first_surname']} {other['second_surname']}"},
        ),
        Page("people: a name nobody has", people, {"q": "Zoila Quintanilla"}),
        Page("people: document number, digits only", people, {"q": document}),
        Page("people: phone, 8 digits", people, {"q": phone}),
        Page("API: case list, first page", api, {}),
        Page(f"API: case list, page {deep}", api, {"page": deep}),
        Page("API: stage (trial)", api, {"stage": "TRIAL"}),
    ]


def _matches(response: Any) -> str:
    """What a page found: the list's total, the search's rows, or the API's count."""
    import json
    import re

    if response["Content-Type"].startswith("application/json"):
        return str(json.loads(response.content)["count"])
    text = response.content.decode()
    found = re.search(r'<p class="muted">\s*([\d.,\u00a0]+)', text)
    if found:
        return re.sub(r"\D", "", found.group(1))
    caption = re.search(r"<caption>\s*(\d+)", text)
    return caption.group(1) if caption else "?"


def measure(user: Any, pages: list[Page], repeat: int) -> list[Result]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    results = []
    for page in pages:
        headers = page.headers or {}
        response = client.get(page.path, page.params, headers=headers)  # warm-up
        if response.status_code != 200:
            raise SystemExit(f"{page.label}: {page.path} answered {response.status_code}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(page.path, page.params, headers=headers)
        count = len(queries)  # now: the captured list is read from the log, which the next request clears
        times, cpu = [], []
        for _ in range(repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(page.path, page.params, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        median = statistics.median(times)
        results.append(Result(page.label, _matches(response), count, median, p95, statistics.median(cpu)))
        print(f"  {page.label}: {median:.0f} ms", file=sys.stderr, flush=True)
    return results


def _database_description() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("select sqlite_version()")
            version = cursor.fetchone()[0]
            size = Path(connection.settings_dict["NAME"]).stat().st_size
            return f"SQLite {version}, {size / 1e6:.0f} MB file"
        cursor.execute("show server_version")
        version = cursor.fetchone()[0]
        cursor.execute("select pg_database_size(current_database())")
        return f"PostgreSQL {version}, {cursor.fetchone()[0] / 1e6:.0f} MB database"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per page (after one warm-up)")
    parser.add_argument("--database-url", help="postgres://…/<name with 'bench'> (dropped and created again)")
    parser.add_argument(
        "--then-sql", action="append", default=[], help="SQL to run after measuring, before measuring again"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database (and its keyring) to look into")
    parser.add_argument("--only", default="", help="measure only the pages whose label contains this")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="vinculo-bench-list-"))
    configure(args.database_url, workdir)
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept: {args.database_url or workdir} (keyring in {workdir})", file=sys.stderr)
        else:
            if args.database_url:
                _recreate_postgres(args.database_url, drop_only=True)
            shutil.rmtree(workdir)


def run(args: argparse.Namespace) -> None:
    from django.db import connection

    rng = random.Random(args.seed)  # noqa: S311 - synthetic data
    staff = make_staff()
    generator = Generator(staff, rng)
    started = time.perf_counter()

    def progress(done: int) -> None:
        if done % 20_000 == 0 or done == args.cases:
            print(f"  {done} cases ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)

    generator.run(args.cases, progress)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum would have done by the time people use the node
    generated = time.perf_counter() - started
    sizes = generator.sizes
    print(
        f"data: {sizes.cases:,} cases, {sizes.assignments:,} team assignments, {sizes.persons:,} persons "
        f"(identities sealed), {sizes.parties:,} parties, {sizes.index_entries:,} identity index entries, "
        f"{sizes.exploitations:,} exploitations ({sizes.exploitation_codes:,} coded facts), {sizes.events:,} events"
    )
    print(f"generated in {generated:.0f} s; {_database_description()}; {platform.processor() or platform.machine()}")
    user = staff["leads"][0]
    pages = [
        page for page in pages_to_measure(generator.samples, args.cases) if args.only.lower() in page.label.lower()
    ]
    results = measure(user, pages, args.repeat)
    then: list[Result] = []
    if args.then_sql:
        with connection.cursor() as cursor:
            for statement in args.then_sql:
                cursor.execute(statement)
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE")
        print("then after: " + "; ".join(args.then_sql), file=sys.stderr)
        then = measure(user, pages, args.repeat)
    _print_table(results, then)
    print(
        f"\n{args.repeat} timed runs per page after one warm-up, as {user.username} (prosecutor); "
        "cpu: this process's CPU time (median), with SQLite the database's too."
    )
    if then:
        print("then: the same pages again after " + "; ".join(args.then_sql))


def _print_table(results: list[Result], then: list[Result]) -> None:
    if not results:
        return
    width = max(len(result.label) for result in results)
    head = f"{'page':<{width}}  {'matches':>8}  {'queries':>7}  {'median ms':>9}  {'p95 ms':>7}  {'cpu ms':>6}"
    if then:
        head += f"  {'then median':>11}  {'then p95':>8}  {'then cpu':>8}"
    print("\n" + head)
    for index, result in enumerate(results):
        line = (
            f"{result.label:<{width}}  {result.matches:>8}  {result.queries:>7}  "
            f"{result.median_ms:>9.0f}  {result.p95_ms:>7.0f}  {result.cpu_ms:>6.0f}"
        )
        if then:
            other = then[index]
            line += f"  {other.median_ms:>11.0f}  {other.p95_ms:>8.0f}  {other.cpu_ms:>8.0f}"
        print(line)


if __name__ == "__main__":
    main()
