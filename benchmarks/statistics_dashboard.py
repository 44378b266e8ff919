"""Benchmark: statistics with a million cases in a node (aggregates, monthly report, national dashboard).

    .venv/bin/python benchmarks/statistics_dashboard.py [--cases 1000000] [--repeat 10]
        [--database-url postgres://postgres@127.0.0.1:5432/vinculo_bench]

Fills a fresh node (SQLite in a temporary folder, or the PostgreSQL database named in
--database-url, dropped and created again and dropped at the end: its name must contain "bench")
with synthetic cases written directly in bulk: trafficking and smuggling cases over seven years,
one to three victims each (identified or possible, with sex, age, citizenship and forms of
exploitation), up to two suspects with a trafficking charge, some tried at first instance
(convicted or acquitted, some convictions final), and events that date and place them (rescue,
exploitation abroad, border crossings). No identities are written: statistics never read them.

Then it measures, as the office's prosecutor:
- building the aggregates (``services.aggregates.build_snapshot``: read the registry, count, store);
- building the monthly report from them (``services.reports.report_bytes``: protect every table
  for the network tier and write the report), and the whole monthly run (count afresh + report);
- rendering the national dashboard (``GET /statistics/``) in the owner's tier and as previews in
  the network and public tiers: median and 95th percentile over --repeat runs after a warm-up.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from case_list_search import (  # noqa: E402
    PASSWORD,
    _database_description,
    _recreate_postgres,
    configure,
    insert,
    make_staff,
)

CHUNK = 5_000  # cases per round of bulk inserts
FORMS = [
    ("SEXUAL_EXPLOITATION", 50),
    ("FORCED_LABOUR_SERVICES", 22),
    ("MIXED_SEXUAL_AND_LABOUR", 4),
    ("FORCED_CRIMINAL_ACTIVITY", 5),
    ("CHILD_LABOUR", 4),
    ("FORCED_BEGGING", 4),
    ("SERVITUDE", 3),
    ("FORCED_OR_SERVILE_MARRIAGE", 2),
    ("NK", 6),
]
CITIZENSHIPS = [("SV", 60), ("GT", 12), ("HN", 12), ("NI", 8), ("MX", 4), ("CO", 2), ("CN", 2)]
EXPLOITED_IN = [("SV", 50), ("GT", 20), ("MX", 15), ("US", 15)]
CROSSINGS = ["GTM-SLV-01", "GTM-SLV-02", "SLV-HND-01", "SLV-HND-02", "GTM-MEX-01"]


def pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


class Generator:
    """The rows the services would store, inserted in bulk; identities and audit entries left out."""

    def __init__(self, user: Any, admin: Any, rng: random.Random) -> None:
        from django.utils import timezone

        from vinculo.reference import services as reference_services
        from vinculo.reference.models import BorderCrossing, Code, Country

        self.user = user
        self.rng = rng
        self.office = user.office
        self.codes = {(c.code_list.key, c.code): c.pk for c in Code.objects.select_related("code_list")}
        self.countries = dict(Country.objects.values_list("iso2", "pk"))
        self.crossings = dict(BorderCrossing.objects.filter(code__in=CROSSINGS).values_list("code", "pk"))
        self.provision = reference_services.add_legal_provision(
            by=admin,
            instrument="Ley Especial contra la Trata de Personas",
            article="54",
            title_es="Trata de personas",
            title_en="Trafficking in persons",
            iccs_code="02041",
            crime_family=Code.objects.get(code_list__key="crime_family", code="TIP"),
        )
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.ids = {"party": 0, "exploitation": 0, "charge": 0, "proceeding": 0}
        self.sizes: dict[str, int] = {}

    def code(self, list_key: str, value: str) -> int:
        return self.codes[(list_key, value)]

    def next_id(self, kind: str) -> int:
        self.ids[kind] += 1
        return self.ids[kind]

    def run(self, count: int) -> None:
        from django.core.management.color import no_style
        from django.db import connection, transaction

        from vinculo.cases.models import CaseParty, Charge, Exploitation, Proceeding

        started = time.perf_counter()
        for first in range(0, count, CHUNK):
            with transaction.atomic():
                self._chunk(min(CHUNK, count - first))
            done = min(count, first + CHUNK)
            if done % 100_000 == 0 or done == count:
                print(f"  {done:,} cases ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(
                no_style(), [CaseParty, Exploitation, Charge, Proceeding]
            ):
                cursor.execute(statement)

    def _chunk(self, cases: int) -> None:
        from vinculo.cases.models import Case, CaseParty, Charge, Decision, Event, Exploitation, Person, Proceeding

        rng, user = self.rng, self.user
        models = [Case, Event, Person, Person.citizenships.through, CaseParty, Exploitation]
        models += [Exploitation.purposes.through, Charge, Proceeding, Decision]
        rows: dict[Any, list[dict[str, Any]]] = {model: [] for model in models}
        for _ in range(cases):
            family = pick(rng, [("TIP", 80), ("SOM", 15), ("TIP_AND_SOM", 5)])
            reported = self.today - datetime.timedelta(days=rng.randint(1, 7 * 365))
            created = datetime.datetime.combine(reported, datetime.time(9), tzinfo=datetime.UTC)
            case_id = uuid.UUID(int=rng.getrandbits(128), version=4)
            rows[Case].append(
                {
                    "id": case_id,
                    "office_id": self.office.pk,
                    "national_number": f"B-{case_id.hex[:16]}",
                    "crime_family_id": self.code("crime_family", family),
                    "origin_id": self.code("case_origin", "NK"),
                    "stage_id": self.code("stage", "PRELIMINARY_INVESTIGATION"),
                    "reported_on": reported,
                    "organized_crime_id": self.code("yes_no", "NK"),
                    "trafficker_organization_id": self.code("trafficker_organization", "NK"),
                    "created_at": min(created, self.now),
                    "created_by_id": user.pk,
                    "updated_by_id": user.pk,
                }
            )
            base = {"case_id": case_id, "created_at": min(created, self.now), "created_by_id": user.pk}
            if rng.random() < 0.6:
                rescued = reported - datetime.timedelta(days=rng.randint(0, 60))
                rows[Event].append({**base, "event_type_id": self.code("event_type", "RESCUE"), "occurred_on": rescued})
            if rng.random() < 0.5:
                country = self.countries[pick(rng, EXPLOITED_IN)]
                rows[Event].append(
                    {**base, "event_type_id": self.code("event_type", "EXPLOITATION"), "country_id": country}
                )
            if rng.random() < 0.4:
                crossing = self.crossings.get(rng.choice(CROSSINGS))
                rows[Event].append(
                    {
                        **base,
                        "event_type_id": self.code("event_type", "BORDER_CROSSING"),
                        "occurred_on": reported - datetime.timedelta(days=rng.randint(30, 200)),
                        "border_crossing_id": crossing,
                    }
                )
            victim_role = "SMUGGLED_MIGRANT" if family == "SOM" else "VICTIM"
            for _n in range(rng.randint(1, 3)):
                party = self._person(rows, base, victim_role, age=rng.randint(8, 45))
                if family != "SOM":
                    exploitation = self.next_id("exploitation")
                    rows[Exploitation].append({"id": exploitation, "party_id": party, "updated_by_id": user.pk})
                    for form in {pick(rng, FORMS) for _f in range(rng.choice([1, 1, 1, 2]))}:
                        rows[Exploitation.purposes.through].append(
                            {"exploitation_id": exploitation, "code_id": self.code("exploitation_form", form)}
                        )
            for _n in range(rng.randint(0, 2)):
                party = self._person(rows, base, rng.choice(["SUSPECT", "DEFENDANT"]), age=None)
                self._charge(rows, base, party, reported)
        self.insert_all(rows)

    def _person(self, rows: dict[Any, list[dict[str, Any]]], base: dict[str, Any], role: str, age: int | None) -> int:
        from vinculo.cases.models import CaseParty, Person

        rng = self.rng
        person_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        victim = role != "SUSPECT" and role != "DEFENDANT"
        sex = pick(rng, [("F", 70), ("M", 29), ("X", 1)]) if victim else pick(rng, [("M", 75), ("F", 25)])
        rows[Person].append(
            {
                "id": person_id,
                "office_id": self.office.pk,
                "sex_id": self.code("sex", sex),
                "birth_year": self.today.year - (age or rng.randint(20, 60)),
                "created_at": base["created_at"],
                "created_by_id": self.user.pk,
            }
        )
        rows[Person.citizenships.through].append(
            {"person_id": person_id, "country_id": self.countries[pick(rng, CITIZENSHIPS)]}
        )
        party = self.next_id("party")
        status = pick(rng, [("IDENTIFIED", 80), ("POSSIBLE", 20)]) if victim else None
        rows[CaseParty].append(
            {
                "id": party,
                "case_id": base["case_id"],
                "person_id": person_id,
                "role_id": self.code("party_role", role),
                "identification_status_id": self.code("identification_status", status) if status else None,
                "age_at_identification": age,
                "created_at": base["created_at"],
                "created_by_id": self.user.pk,
            }
        )
        return party

    def _charge(
        self, rows: dict[Any, list[dict[str, Any]]], base: dict[str, Any], party: int, reported: datetime.date
    ) -> None:
        from vinculo.cases.models import Charge, Decision, Proceeding

        rng = self.rng
        tried = rng.random() < 0.35
        charge = self.next_id("charge")
        status = "ADJUDICATED" if tried else pick(rng, [("CHARGED", 50), ("INDICTED", 40), ("UNDER_INVESTIGATION", 10)])
        rows[Charge].append(
            {
                "id": charge,
                "party_id": party,
                "provision_id": self.provision.pk,
                "participation_id": self.code("offence_participation", "PRINCIPAL"),
                "status_id": self.code("charge_status", status),
                "created_at": base["created_at"],
                "created_by_id": self.user.pk,
            }
        )
        if not tried:
            return
        started = min(self.today, reported + datetime.timedelta(days=rng.randint(90, 500)))
        proceeding = self.next_id("proceeding")
        rows[Proceeding].append(
            {
                "id": proceeding,
                "case_id": base["case_id"],
                "instance_id": self.code("court_instance", "FIRST"),
                "procedure_type_id": self.code("procedure_type", "ORDINARY"),
                "court": "Tribunal de Sentencia",
                "started_on": started,
                "created_at": base["created_at"],
                "created_by_id": self.user.pk,
            }
        )
        convicted = rng.random() < 0.6
        rows[Decision].append(
            {
                "proceeding_id": proceeding,
                "charge_id": charge,
                "decided_on": min(self.today, started + datetime.timedelta(days=rng.randint(30, 200))),
                "verdict_id": self.code("verdict", "CONVICTED" if convicted else "ACQUITTED"),
                "acquittal_reason_id": self.code("acquittal_reason", "NA" if convicted else "NK"),
                "is_final": convicted and rng.random() < 0.4,
                "created_at": base["created_at"],
                "created_by_id": self.user.pk,
            }
        )

    def insert_all(self, rows: dict[Any, list[dict[str, Any]]]) -> None:
        for model, model_rows in rows.items():
            insert(model, model_rows)
            self.sizes[model._meta.label] = self.sizes.get(model._meta.label, 0) + len(model_rows)


def _timed(label: str, action: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.2f} s", file=sys.stderr, flush=True)
    return result, seconds


def measure_page(user: Any, path: str, repeat: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    response = client.get(path)  # warm-up
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    count = len(queries)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], count


def run(args: argparse.Namespace) -> None:
    import uuid as uuid_module

    from vinculo.statistics.models import Report
    from vinculo.statistics.services import aggregates, reports

    rng = random.Random(args.seed)  # noqa: S311 - synthetic data
    from vinculo.accounts.services import users

    user = make_staff()["leads"][0]
    admin, _password = users.create_user(
        by=None, username="bench.admin", full_name="bench.admin", email="", roles=["node_admin"], password=PASSWORD
    )
    generator = Generator(user, admin, rng)
    started = time.perf_counter()
    generator.run(args.cases)
    generated = time.perf_counter() - started
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    sizes = ", ".join(f"{n:,} {label.split('.')[-1]}" for label, n in generator.sizes.items())
    print(f"data: {sizes}")
    print(f"generated in {generated:.0f} s; {_database_description()}")
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")

    snapshot, build_seconds = _timed("aggregates built", lambda: aggregates.build_snapshot(by=user, office=user.office))
    payload, report_seconds = _timed(
        "monthly report from the aggregates",
        lambda: reports.report_bytes(
            snapshot=snapshot,
            report_id=uuid_module.uuid4(),
            kind=Report.Kind.MONTHLY,
            member=user.office.code,
            country=user.office.country,
        ),
    )

    def monthly() -> bytes:
        fresh = aggregates.build_snapshot(by=None, office=user.office)
        return reports.report_bytes(
            snapshot=fresh,
            report_id=uuid_module.uuid4(),
            kind=Report.Kind.MONTHLY,
            member=user.office.code,
            country=user.office.country,
        )

    _, monthly_seconds = _timed("monthly run (count afresh + report)", monthly)
    print(f"\naggregates built: {build_seconds:.1f} s ({snapshot.case_count:,} cases read)")
    print(f"monthly report from the aggregates: {report_seconds:.2f} s ({len(payload):,} bytes)")
    print(f"monthly run, counting afresh: {monthly_seconds:.1f} s")
    print("\n| Page | median ms | p95 ms | SQL queries |\n|---|---|---|---|")
    for tier in ("owner", "network", "public"):
        median, p95, count = measure_page(user, f"/statistics/?tier={tier}", args.repeat)
        print(f"| national dashboard, {tier} tier | {median:.0f} | {p95:.0f} | {count} |")
    print(f"\n{args.repeat} timed runs per page after one warm-up.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per page (after one warm-up)")
    parser.add_argument("--database-url", help="postgres://…/<name with 'bench'> (dropped and created again)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="vinculo-bench-stats-"))
    configure(args.database_url, workdir)
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if args.database_url:
            _recreate_postgres(args.database_url, drop_only=True)
        shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
