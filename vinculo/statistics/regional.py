"""Regional figures at the hub, built only from the offices' reports (aggregates after disclosure control).

Pure: no Django. A regional cell is the sum of the published national cells; a national cell the
network tier hid adds nothing, and the regional cell says how many of its parts were hidden, so a
reader knows the sum is then a lower bound. Rates per 100,000 (SDG 16.2.2) are computed here from
the published national totals and the reference populations, by ``disclosure.rate_per_100k``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vinculo.statistics import counting, disclosure
from vinculo.statistics.disclosure import TOTAL, Tier
from vinculo.statistics.reports import HIT_COUNTS, Report


@dataclass(frozen=True)
class RegionalCell:
    value: int  # the sum of the published national cells
    hidden_parts: int  # national cells hidden by disclosure control (the sum is then at least this value)

    @property
    def is_lower_bound(self) -> bool:
        return self.hidden_parts > 0


@dataclass(frozen=True)
class RegionalTable:
    key: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: Mapping[tuple[str, str], RegionalCell]  # margins included (sums of the national margins)


def _union(groups: Sequence[Sequence[str]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        seen.update(dict.fromkeys(group))
    return tuple(seen)


def summed(reports: Sequence[Report], key: str) -> RegionalTable | None:
    """The table ``key`` summed over the reports that hold it, cell by cell."""
    tables = [r.tables[key] for r in reports if key in r.tables]
    if not tables:
        return None
    rows = _union([t.rows for t in tables])
    columns = _union([t.columns for t in tables])
    cells = {}
    for r in (*rows, TOTAL):
        for c in (*columns, TOTAL):
            value = hidden = 0
            for table in tables:
                if (r, c) not in table.cells:
                    continue  # the label did not occur in that office: a true zero
                published = table.cells[(r, c)][0]
                if published is None:
                    hidden += 1
                else:
                    value += published
            cells[(r, c)] = RegionalCell(value, hidden)
    return RegionalTable(key, rows, columns, cells)


def by_country(reports: Sequence[Report], key: str, row: str) -> tuple[tuple[str, ...], dict[str, list[int | None]]]:
    """One row (e.g. a year) of table ``key`` for each reporting office, to compare countries."""
    tables = {r.member: r.tables[key] for r in reports if key in r.tables}
    columns = _union([t.columns for t in tables.values()])
    result: dict[str, list[int | None]] = {}
    for member, table in tables.items():
        if row not in table.rows:
            result[member] = [0 for _ in (*columns, TOTAL)]
            continue
        values = [table.cells[(row, c)][0] if c in table.columns else 0 for c in columns]
        result[member] = [*values, table.cells[(row, TOTAL)][0]]
    return columns, result


@dataclass(frozen=True)
class RateRow:
    """A country's (or the region's) detected victims in a year and the rate per 100,000."""

    area: str  # a member id, or "" for the region
    country: str
    count: int | None  # None: hidden in the national report
    rate: disclosure.Rate
    is_partial: bool = False  # some country's count was hidden: the region is the others together


def victims_in_year(report: Report, year: str) -> int | None:
    table = report.tables.get("victims_sex_age")
    if table is None or year not in table.rows:
        return 0 if table is not None else None
    return table.cells[(year, TOTAL)][0]


def sdg_rates(reports: Sequence[Report], populations: Mapping[str, Mapping[int, int]], year: int) -> list[RateRow]:
    """SDG 16.2.2 per reporting country and for the region (the reporting countries together), network rules."""
    rules = disclosure.RULES[Tier.NETWORK]
    rows = []
    region_counts: dict[int, int] = {}
    region_population: dict[int, int] = {}
    hidden_somewhere = False
    for report in reports:
        counts = {}
        for y in range(report.first_year, report.last_year + 1):
            count = victims_in_year(report, str(y))
            if count is not None:
                counts[y] = count
            else:
                hidden_somewhere = hidden_somewhere or y == year
        population = populations.get(report.country, {})
        rate = disclosure.rate_per_100k(counts=counts, populations=population, year=year, rules=rules)
        rows.append(RateRow(report.member, report.country, counts.get(year), rate))
        for y, count in counts.items():
            if population.get(y):
                region_counts[y] = region_counts.get(y, 0) + count
                region_population[y] = region_population.get(y, 0) + population[y]
    if reports:
        rate = disclosure.rate_per_100k(counts=region_counts, populations=region_population, year=year, rules=rules)
        rows.append(RateRow("", "", region_counts.get(year), rate, hidden_somewhere))
    return rows


def network_performance(reports: Sequence[Report]) -> list[dict[str, object]]:
    """MoU performance for the whole network: each office's figures per counterpart, as reported."""
    return [{"member": r.member, **entry} for r in reports for entry in r.mou]


PERFORMANCE_SUMMED = ("sent", "received", "answered_sent", "answered_received", "on_time_sent", "on_time_received")


@dataclass(frozen=True)
class NetworkHits:
    """Hits and what followed, for the whole network, from the offices' reports."""

    rows: list[dict[str, object]]  # each reporting office's figures per counterpart
    per_office: list[dict[str, object]]  # each reporting office's figures summed over its counterparts
    total: dict[str, int]  # the network: every reporting office summed
    not_reporting: list[str]  # offices whose newest report is of version 1, which has no hits


def network_hits(reports: Sequence[Report]) -> NetworkHits:
    """Each office's hits per counterpart, each office's sum, and the network's sum.

    "Sent" columns are as the asking offices report them and "received" columns as the holding
    offices report them; with every office reporting the two agree, which makes a cross-check.
    """
    rows: list[dict[str, object]] = []
    per_office: list[dict[str, object]] = []
    not_reporting: list[str] = []
    for report in reports:
        if not report.reports_hits:
            not_reporting.append(report.member)
            continue
        rows.extend({"member": report.member, **entry} for entry in report.hits)
        per_office.append({"member": report.member, **counting.count_sums(report.hits, HIT_COUNTS)})
    return NetworkHits(rows, per_office, counting.count_sums(per_office, HIT_COUNTS), not_reporting)


def performance_total(reports: Sequence[Report]) -> dict[str, int]:
    """The MoU's information requests summed over every reporting office and counterpart."""
    return counting.count_sums([entry for report in reports for entry in report.mou], PERFORMANCE_SUMMED)
