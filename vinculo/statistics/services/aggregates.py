"""Building a snapshot: the registry counted once, stored as tables the dashboards and reports read."""

from __future__ import annotations

import dataclasses
import gc
import time

from django.db import transaction
from django.utils import timezone

from vinculo.accounts.models import Office, User
from vinculo.audit import services as audit
from vinculo.statistics import counting, selectors
from vinculo.statistics.models import AggregateTable, Snapshot

YEARS_KEPT = 5  # the snapshot's years: this one and the four before
SNAPSHOTS_KEPT = 3  # older snapshots of the office are removed when a new one is stored


def count_tables(rows: selectors.RegistryRows, *, home: str, years: list[str]) -> dict[str, dict[str, object]]:
    """Every table of the catalogue from the registry's rows, as stored (``CountTable.as_dict``)."""
    victims = counting.victims(rows.parties, home=home)
    possible = counting.victims(rows.parties, home=home, identification="POSSIBLE")
    smuggled = counting.victim_tables(
        counting.victims(
            rows.parties, home=home, identification=None, roles=counting.SMUGGLED_ROLES, crimes=counting.SMUGGLING
        ),
        years,
    )
    offenders = counting.offenders(rows.parties, rows.charges, home=home)
    smugglers = counting.offenders(rows.parties, rows.charges, home=home, crimes=counting.SMUGGLING)
    tables = [
        *counting.victim_tables(victims, years),
        counting.victims_per_form(victims, years),
        dataclasses.replace(counting.victim_tables(possible, years)[0], key="possible_victims_sex_age"),
        dataclasses.replace(smuggled[0], key="smuggled_migrants_sex_age"),
        dataclasses.replace(smuggled[4], key="smuggled_migrants_citizenship"),
        *counting.offender_tables(offenders, years),
        *counting.offender_tables(smugglers, years, prefix="smugglers"),
        counting.crossing_table(rows.crossings, years),
        counting.case_table(rows.cases, years),
        counting.iccs_table(rows.cases, rows.charges, years),
    ]
    stored: dict[str, dict[str, object]] = {table.key: table.as_dict() for table in tables}
    amounts = counting.amount_table(rows.amounts, years)
    stored[amounts.key] = amounts.as_dict()
    stored["mou_performance"] = {
        "key": "mou_performance",
        "performance": [dataclasses.asdict(p) for p in counting.performance(rows.requests)],
        "hits": [dataclasses.asdict(h) for h in counting.hit_follow_up(rows.hits, rows.shared)],
    }
    return stored


def build_snapshot(*, by: User | None, office: Office, last_year: int | None = None) -> Snapshot:
    """Count the office's cases and store the tables; the registry is read before the write transaction opens.

    Reading a million cases takes seconds; holding the write lock (SQLite) or a long transaction
    that long is not needed, because the snapshot records when it was built and is never changed.
    """
    started = time.perf_counter()
    last = last_year or timezone.localdate().year
    years = counting.years_between(last - YEARS_KEPT + 1, last)
    # Millions of small, acyclic rows: the cycle collector's passes over them would cost more than
    # the counting, and there is nothing for it to collect until they are dropped.
    collecting = gc.isenabled()
    gc.disable()
    try:
        rows = selectors.registry_rows(office)
        tables = count_tables(rows, home=office.country or office.code[:2], years=years)
        case_count = rows.case_count
        del rows
    finally:
        if collecting:
            gc.enable()
    return _store(
        by=by,
        office=office,
        first_year=int(years[0]),
        last_year=last,
        case_count=case_count,
        tables=tables,
        build_ms=int((time.perf_counter() - started) * 1000),
    )


@transaction.atomic(durable=True)
def _store(
    *,
    by: User | None,
    office: Office,
    first_year: int,
    last_year: int,
    case_count: int,
    tables: dict[str, dict[str, object]],
    build_ms: int,
) -> Snapshot:
    snapshot = Snapshot.objects.create(
        office=office,
        built_by=by,
        first_year=first_year,
        last_year=last_year,
        case_count=case_count,
        build_ms=build_ms,
    )
    AggregateTable.objects.bulk_create(AggregateTable(snapshot=snapshot, key=k, data=d) for k, d in tables.items())
    old = Snapshot.objects.filter(office=office).order_by("-built_at", "-pk").values_list("pk", flat=True)
    Snapshot.objects.filter(pk__in=list(old[SNAPSHOTS_KEPT:])).delete()
    audit.record(
        action="statistics.snapshot_built",
        actor=by,
        target=snapshot,
        data={"cases": case_count, "first_year": first_year, "last_year": last_year, "ms": build_ms},
    )
    return snapshot
