"""The statistical report an office sends to the hub: its strict format, written and read here.

Pure: no Django. A report holds aggregates only, after the network tier's disclosure control:
for each table of a fixed catalogue its row and column labels (codes, years, ISO country codes,
crossing codes) and its cells (a count, or null with the reason it is hidden), and the MoU
performance per counterpart office (counts and medians; from version 2 also the hits and what
followed from them, as counts). Nothing else is allowed: ``read``
refuses any other key, any free text, any label outside the label pattern, any count that is not
a non-negative integer, and any table whose cells do not match its labels. Since a hidden cell is
null, a report never carries a value the network tier hides. The format is in docs/statistics.md.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vinculo.statistics import counting, disclosure
from vinculo.statistics.disclosure import TOTAL, Reason, Tier

MESSAGE_TYPE = "statistics.report"
FORMAT = "vinculo.statistics.report"
VERSION = 2
VERSIONS = (1, 2)  # the hub still reads version 1, sent by offices not yet updated (it has no hits)
TABLES = (
    "cases_recorded",
    "cases_recorded_iccs",
    "victims_sex_age",
    "victims_sex",
    "victims_age",
    "victims_form",
    "victims_citizenship",
    "victims_flow",
    "victims_origin_destination",
    "victims_per_form",
    "smuggled_migrants_sex_age",
    "smuggled_migrants_citizenship",
    "persons_investigated",
    "persons_prosecuted",
    "persons_convicted",
    "persons_convicted_final",
    "convicted_citizenship",
    "smugglers_investigated",
    "smugglers_prosecuted",
    "smugglers_convicted",
    "smugglers_convicted_final",
    "border_crossings",
)
KINDS = ("monthly", "on_demand")
LABEL = re.compile(r"\*|[A-Z0-9][A-Z0-9_?-]{0,39}")
MEMBER = re.compile(r"[A-Z]{2}-[A-Z0-9]{2,10}|[A-Z0-9]{2,8}-HUB")
COUNTRY = re.compile(r"[A-Z]{2}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_LABELS = 400  # rows or columns of one table
PERFORMANCE_COUNTS = ("sent", "received", "answered_sent", "answered_received", "on_time_sent", "on_time_received")
PERFORMANCE_MEDIANS = ("median_days_sent", "median_days_received")
HIT_STEPS = counting.FOLLOW_UP_STEPS
HIT_COUNTS = (*(f"{s}_sent" for s in HIT_STEPS), *(f"{s}_received" for s in HIT_STEPS), "shared")
TOP_KEYS_V1 = {
    "format",
    "version",
    "report_id",
    "member",
    "country",
    "kind",
    "as_of",
    "first_year",
    "last_year",
    "tier",
    "rules",
    "tables",
    "mou",
}
TOP_KEYS = TOP_KEYS_V1 | {"hits"}
RULE_KEYS = ("threshold", "rounding_base", "protection_width")


class ReportRefused(ValueError):
    """The bytes are not a report of this format (``field`` says where)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


@dataclass(frozen=True)
class ReportTable:
    key: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: Mapping[tuple[str, str], tuple[int | None, str]]  # (row, column) with margins -> (value, reason)

    def value(self, row: str, column: str) -> int | None:
        return self.cells[(row, column)][0]


@dataclass(frozen=True)
class Report:
    report_id: str
    member: str
    country: str
    kind: str
    as_of: datetime.date
    first_year: int
    last_year: int
    tables: Mapping[str, ReportTable]
    mou: tuple[Mapping[str, Any], ...]
    data: Mapping[str, Any]  # the report as read
    hits: tuple[Mapping[str, int | str], ...] = ()
    version: int = VERSION

    @property
    def reports_hits(self) -> bool:
        """Version 1 reports (offices not yet updated) say nothing of hits, which is not zero."""
        return self.version >= 2


def write(
    *,
    report_id: uuid.UUID,
    member: str,
    country: str,
    kind: str,
    as_of: datetime.date,
    first_year: int,
    last_year: int,
    releases: Mapping[str, disclosure.Release],
    performance: Sequence[Mapping[str, Any]],
    hits: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """The report's bytes from releases of the network tier (refused if any other tier)."""
    rules = disclosure.RULES[Tier.NETWORK]
    tables = []
    for key in TABLES:
        release = releases.get(key)
        if release is None:
            continue
        if release.rules != rules:
            raise ValueError(f"{key}: a report holds network-tier releases only")
        cells = [
            [k[0], k[1], c.value, c.reason.value] for k, c in release.cells.items()
        ]  # hidden cells carry None: never their value
        tables.append({"key": key, "rows": list(release.rows), "columns": list(release.columns), "cells": cells})
    mou = [
        {
            "counterpart": p["counterpart"],
            **{name: int(p[name]) for name in PERFORMANCE_COUNTS},
            **{name: p[name] for name in PERFORMANCE_MEDIANS},
        }
        for p in performance
    ]
    hit_entries = [{"counterpart": h["counterpart"], **{name: int(h[name]) for name in HIT_COUNTS}} for h in hits]
    data = {
        "format": FORMAT,
        "version": VERSION,
        "report_id": str(report_id),
        "member": member,
        "country": country,
        "kind": kind,
        "as_of": as_of.isoformat(),
        "first_year": first_year,
        "last_year": last_year,
        "tier": Tier.NETWORK.value,
        "rules": {name: getattr(rules, name) for name in RULE_KEYS},
        "tables": tables,
        "mou": mou,
        "hits": hit_entries,
    }
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    read(encoded)  # never send what the hub would refuse
    return encoded


def _require(condition: bool, field: str, problem: str) -> None:
    if not condition:
        raise ReportRefused(field, problem)


def _int(value: object, field: str, *, low: int = 0, high: int = 10**9) -> int:
    _require(
        isinstance(value, int) and not isinstance(value, bool) and low <= value <= high,
        field,
        f"an integer from {low} to {high}",
    )
    assert isinstance(value, int)  # noqa: S101 - for the type checker; checked above
    return value


def _labels(value: object, field: str) -> tuple[str, ...]:
    _require(isinstance(value, list) and 0 < len(value) <= MAX_LABELS, field, "a non-empty list of labels")
    assert isinstance(value, list)  # noqa: S101 - for the type checker; checked above
    for label in value:
        _require(isinstance(label, str) and LABEL.fullmatch(label) is not None and label != TOTAL, field, "a code")
    _require(len(set(value)) == len(value), field, "labels must be unique")
    return tuple(value)


def read(data: bytes) -> Report:
    """Read a report strictly (``ReportRefused`` on anything outside the format)."""
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ReportRefused("report", "not JSON") from None
    _require(isinstance(obj, dict), "report", "a JSON object")
    version = obj.get("version")
    _require(
        obj.get("format") == FORMAT and type(version) is int and version in VERSIONS,
        "format",
        f"{FORMAT} version {' or '.join(map(str, VERSIONS))}",
    )
    keys = TOP_KEYS_V1 if version == 1 else TOP_KEYS
    _require(set(obj) == keys, "report", f"exactly the keys {sorted(keys)}")
    try:
        report_id = str(uuid.UUID(str(obj["report_id"])))
    except ValueError:
        raise ReportRefused("report_id", "a UUID") from None
    _require(report_id == obj["report_id"], "report_id", "a UUID in its canonical form")
    _require(isinstance(obj["member"], str) and MEMBER.fullmatch(obj["member"]) is not None, "member", "a member id")
    _require(isinstance(obj["country"], str) and COUNTRY.fullmatch(obj["country"]) is not None, "country", "ISO 3166")
    _require(obj["kind"] in KINDS, "kind", f"one of {KINDS}")
    _require(isinstance(obj["as_of"], str) and DATE.fullmatch(obj["as_of"]) is not None, "as_of", "a date")
    try:
        as_of = datetime.date.fromisoformat(obj["as_of"])
    except ValueError:
        raise ReportRefused("as_of", "a date") from None
    first = _int(obj["first_year"], "first_year", low=1900, high=2200)
    last = _int(obj["last_year"], "last_year", low=first, high=2200)
    _require(obj["tier"] == Tier.NETWORK.value, "tier", "network")
    rules = disclosure.RULES[Tier.NETWORK]
    expected_rules = {name: getattr(rules, name) for name in RULE_KEYS}
    _require(obj["rules"] == expected_rules, "rules", f"the network tier's {expected_rules}")
    _require(isinstance(obj["tables"], list), "tables", "a list")
    tables: dict[str, ReportTable] = {}
    reasons = {r.value for r in Reason}
    for n, table in enumerate(obj["tables"]):
        field = f"tables[{n}]"
        _require(isinstance(table, dict) and set(table) == {"key", "rows", "columns", "cells"}, field, "a table")
        _require(
            table["key"] in TABLES and table["key"] not in tables, f"{field}.key", "a table of the catalogue, once"
        )
        rows = _labels(table["rows"], f"{field}.rows")
        columns = _labels(table["columns"], f"{field}.columns")
        expected = {(r, c) for r in (*rows, TOTAL) for c in (*columns, TOTAL)}
        _require(
            isinstance(table["cells"], list) and len(table["cells"]) == len(expected), f"{field}.cells", "every cell"
        )
        cells: dict[tuple[str, str], tuple[int | None, str]] = {}
        for cell in table["cells"]:
            _require(isinstance(cell, list) and len(cell) == 4, f"{field}.cells", "[row, column, value, reason]")
            row, column, value, reason = cell
            _require((row, column) in expected and (row, column) not in cells, f"{field}.cells", "a cell of the table")
            _require(reason in reasons, f"{field}.cells", "a reason code")
            if value is None:
                _require(reason not in (Reason.PUBLISHED, Reason.ROUNDED), f"{field}.cells", "a hidden cell's reason")
            else:
                _int(value, f"{field}.cells")
                _require(reason == Reason.PUBLISHED, f"{field}.cells", "a published cell")
            cells[(row, column)] = (value, reason)
        tables[table["key"]] = ReportTable(table["key"], rows, columns, cells)
    _require(isinstance(obj["mou"], list) and len(obj["mou"]) <= MAX_LABELS, "mou", "a list")
    performance = []
    for n, entry in enumerate(obj["mou"]):
        field = f"mou[{n}]"
        keys = {"counterpart", *PERFORMANCE_COUNTS, *PERFORMANCE_MEDIANS}
        _require(isinstance(entry, dict) and set(entry) == keys, field, f"exactly the keys {sorted(keys)}")
        _require(
            isinstance(entry["counterpart"], str) and MEMBER.fullmatch(entry["counterpart"]) is not None,
            f"{field}.counterpart",
            "a member id",
        )
        for name in PERFORMANCE_COUNTS:
            _int(entry[name], f"{field}.{name}")
        for name in PERFORMANCE_MEDIANS:
            median = entry[name]
            _require(
                median is None or (type(median) in (int, float) and 0 <= median <= 100_000),
                f"{field}.{name}",
                "a number of days or null",
            )
        performance.append(entry)
    hits = _hits(obj["hits"]) if version >= 2 else ()
    return Report(
        report_id,
        obj["member"],
        obj["country"],
        obj["kind"],
        as_of,
        first,
        last,
        tables,
        tuple(performance),
        obj,
        hits,
        version,
    )


def _hits(value: object) -> tuple[Mapping[str, int | str], ...]:
    """The hits per counterpart: counts only, each step of the funnel within the one before it."""
    _require(isinstance(value, list) and len(value) <= MAX_LABELS, "hits", "a list")
    assert isinstance(value, list)  # noqa: S101 - for the type checker; checked above
    keys = {"counterpart", *HIT_COUNTS}
    seen: set[str] = set()
    entries = []
    for n, entry in enumerate(value):
        field = f"hits[{n}]"
        _require(isinstance(entry, dict) and set(entry) == keys, field, f"exactly the keys {sorted(keys)}")
        counterpart = entry["counterpart"]
        _require(
            isinstance(counterpart, str) and MEMBER.fullmatch(counterpart) is not None and counterpart not in seen,
            f"{field}.counterpart",
            "a member id, once",
        )
        seen.add(counterpart)
        for name in HIT_COUNTS:
            _int(entry[name], f"{field}.{name}")
        for way in ("sent", "received"):
            n_queries, n_hits, confirmed, rejected, requests, answered = (entry[f"{s}_{way}"] for s in HIT_STEPS)
            _require(
                n_hits <= n_queries and confirmed + rejected <= n_hits and requests <= n_hits and answered <= requests,
                f"{field}.{way}",
                "each step within the one before it",
            )
        entries.append(dict(entry))
    return tuple(entries)
