"""Files of protected tables: CSV and XLSX of any table, the SDG 16.2.2 series, and a GLOTIP-style workbook.

Only tables already protected for the reader's tier (``presentation.DisplayTable``) reach these
writers, so a file never holds more than the page shows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from vinculo.statistics import counting, disclosure
from vinculo.statistics.disclosure import TOTAL, Tier
from vinculo.statistics.presentation import DisplayTable, protect_table
from vinculo.statistics.reports import HIT_COUNTS


def _text(value: object) -> str:
    text = "" if value is None else str(value)
    # Spreadsheets run cells that start like a formula; a quote keeps them text ("<5" is safe).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([_text(v) for v in row])
    return out.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheets read the accents


def xlsx_bytes(sheets: Iterable[tuple[str, Iterable[Sequence[object]]]]) -> bytes:
    """A workbook with one sheet per (name, rows); names are cut to Excel's 31 characters."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, rows in sheets:
        sheet = workbook.create_sheet(name[:31])
        for row in rows:
            sheet.append([v if isinstance(v, int) else _text(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


PERFORMANCE_COLUMNS = (
    "counterpart",
    "sent",
    "answered_sent",
    "on_time_sent",
    "median_days_sent",
    "received",
    "answered_received",
    "on_time_received",
    "median_days_received",
)


def performance_rows(performance: Iterable[Mapping[str, object]], *, member: str = "") -> list[list[object]]:
    """MoU performance per counterpart, as rows with a header; ``member="*"``: with the reporting office first (hub)."""
    header: list[object] = [_("Office")] if member == "*" else []
    header += [
        _("Counterpart"),
        _("Sent"),
        _("Answered by them"),
        _("On time"),
        _("Median days to their answer"),
        _("Received"),
        _("Answered"),
        _("On time"),
        _("Median days to answer"),
    ]
    rows = [header]
    for entry in performance:
        row: list[object] = [entry.get("member", "")] if member == "*" else []
        row += ["" if entry.get(c) is None else entry.get(c) for c in PERFORMANCE_COLUMNS]
        rows.append(row)
    return rows


def hit_headers() -> list[str]:
    """The column titles of the hits table, after the counterpart (in ``reports.HIT_COUNTS``' order)."""
    return [
        _("Queries we sent"),
        _("Hits"),
        _("Confirmed by them"),
        _("Rejected by them"),
        _("Requests we sent on the hits"),
        _("Answered by them"),
        _("Queries we received"),
        _("Hits"),
        _("Confirmed by us"),
        _("Rejected by us"),
        _("Requests we received on the hits"),
        _("Answered by us"),
        _("Persons both offices hold (cross-match)"),
    ]


def hit_rows(
    hits: Iterable[Mapping[str, object]], *, member: str = "", total: Mapping[str, int] | None = None
) -> list[list[object]]:
    """Hits and what followed, per counterpart, as rows with a header; ``member="*"``: per reporting office (hub).

    ``total``, when given, is a last row of sums (the network's, at the hub).
    """
    header: list[object] = [_("Office")] if member == "*" else []
    header += [_("Counterpart"), *hit_headers()]
    rows = [header]
    for entry in hits:
        row: list[object] = [entry.get("member", "")] if member == "*" else []
        row += [entry.get("counterpart", ""), *(entry.get(name, "") for name in HIT_COUNTS)]
        rows.append(row)
    if total is not None:
        lead: list[object] = [_("Network"), ""] if member == "*" else [_("Total")]
        rows.append([*lead, *(total.get(name, "") for name in HIT_COUNTS)])
    return rows


# ---------------------------------------------------------------------------------------------
# SDG 16.2.2


@dataclass(frozen=True)
class SeriesRow:
    """One observation of the UN SDG global database's shape (series, area, year, sex, age)."""

    series: str
    area: str  # ISO 3166 alpha-3
    year: int
    sex: str  # FEMALE, MALE, ALLSEX
    age: str  # <18Y, 18Y+, ALLAGE
    value: str  # a count, a rate, or "" when hidden
    status: str
    note: str


SEX_AGE_SERIES = {  # GLOTIP groups -> (sex, age) of the SDG database
    "WOMEN": ("FEMALE", "18Y+"),
    "MEN": ("MALE", "18Y+"),
    "GIRLS": ("FEMALE", "<18Y"),
    "BOYS": ("MALE", "<18Y"),
}
FORM_SERIES = {"SEXUAL": "VC_HTF_DETVSX", "LABOUR": "VC_HTF_DETVFL", "OTHER": "VC_HTF_DETVOP"}


def sdg_series(
    *,
    sex_age: counting.CountTable,
    forms: counting.CountTable,
    area: str,
    populations: Mapping[int, int],
    tier: Tier,
) -> list[SeriesRow]:
    """Detected victims (VC_HTF_DETV, by sex and age; by form) and the rate per 100,000 (VC_HTF_DETVR).

    Counts are the protected cells of the tier; the rate is computed from unrounded counts and
    pooled over three years when the numerator is small (research note §2.2 and §9, R8).
    """
    rules = disclosure.RULES[tier]
    rows: list[SeriesRow] = []
    counts = {int(y): sum(sex_age.values[i]) for i, y in enumerate(sex_age.rows)}
    protected = protect_table(sex_age, tier)
    release = protected.release
    for year in sex_age.rows:
        if release is None:
            break
        total = release.cells[(year, TOTAL)]
        rows.append(_observation("VC_HTF_DETV", area, int(year), "ALLSEX", "ALLAGE", total))
        for group, (sex, age) in SEX_AGE_SERIES.items():
            if group in sex_age.columns:
                rows.append(_observation("VC_HTF_DETV", area, int(year), sex, age, release.cells[(year, group)]))
        rate = disclosure.rate_per_100k(counts=counts, populations=populations, year=int(year), rules=rules)
        period = str(rate.first_year) if rate.first_year == rate.last_year else f"{rate.first_year}-{rate.last_year}"
        rows.append(
            SeriesRow(
                "VC_HTF_DETVR",
                area,
                int(year),
                "ALLSEX",
                "ALLAGE",
                "" if rate.per_100k is None else str(rate.per_100k),
                rate.status.value,
                f"{rate.reason.value} {period}",
            )
        )
    form_release = protect_table(forms, tier).release
    for year in forms.rows:
        if form_release is None:
            break
        for group, series in FORM_SERIES.items():
            if group in forms.columns:
                rows.append(
                    _observation(series, area, int(year), "ALLSEX", "ALLAGE", form_release.cells[(year, group)])
                )
    return rows


def _observation(series: str, area: str, year: int, sex: str, age: str, cell: disclosure.Cell) -> SeriesRow:
    value = "" if cell.value is None else str(cell.value)
    return SeriesRow(series, area, year, sex, age, value, cell.status.value, cell.reason.value)


SERIES_HEADER = ["SeriesCode", "GeoAreaCode", "TimePeriod", "Sex", "Age", "Value", "Status", "Note"]


def series_rows(series: Iterable[SeriesRow]) -> list[list[object]]:
    header: list[object] = list(SERIES_HEADER)
    return [header] + [[s.series, s.area, s.year, s.sex, s.age, s.value, s.status, s.note] for s in series]


# ---------------------------------------------------------------------------------------------
# GLOTIP-style workbook


GLOTIP_SHEETS = (  # (sheet, table key): the questionnaire's parts in its order
    ("Q1 Offences recorded", "cases_recorded"),
    ("Q1b Offences ICCS", "cases_recorded_iccs"),
    ("Q2 Investigated", "persons_investigated"),
    ("Q3 Prosecuted", "persons_prosecuted"),
    ("Q4 Convicted", "persons_convicted"),
    ("Q4b Convicted final", "persons_convicted_final"),
    ("Q5 Convicted citizenship", "convicted_citizenship"),
    ("Q6 Victims sex age", "victims_sex_age"),
    ("Q7 Victims form", "victims_form"),
    ("Q8 Victims citizenship", "victims_citizenship"),
    ("Q9 Victims flows", "victims_flow"),
    ("Q10 Smuggled migrants", "smuggled_migrants_sex_age"),
    ("Q11 Smugglers prosecuted", "smugglers_prosecuted"),
    ("Q12 Smugglers convicted", "smugglers_convicted"),
)


def glotip_workbook(tables: Mapping[str, DisplayTable], *, office: str, tier_name: str) -> bytes:
    """One sheet per questionnaire part, each with its protected table, and a cover sheet."""
    cover = [
        [_("Vínculo: statistics in the shape of UNODC's GLOTIP questionnaire")],
        [_("Office"), office],
        [_("Disclosure control"), tier_name],
        [_("Counting rules: docs/statistics.md of the Vínculo source.")],
    ]
    sheets: list[tuple[str, Iterable[Sequence[object]]]] = [(_("Cover"), cover)]
    sheets += [(name, tables[key].as_rows()) for name, key in GLOTIP_SHEETS if key in tables]
    return xlsx_bytes(sheets)
