"""Loading the shipped reference data into the node (idempotent; local edits are kept).

Parsing is separate from storing: the ``parse_*`` functions take the rows of a file and
return plain records or raise ``ReferenceDataError`` naming the file, row and column, so a
bad data file stops the load before anything is written.
"""

from __future__ import annotations

import csv
import gettext
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pycountry
from django.db import transaction

DATA = Path(__file__).resolve().parent / "data"
CODELISTS = DATA / "codelists"
MEMBER_ISO2 = ("GT", "SV", "HN", "NI", "CR", "PA", "BZ", "DO")
# The data files write an en dash (U+2013) for an unknown value and between the countries of a crossing.
UNKNOWN = {"", "–", "-", "—"}
CODELIST_HEADER = [
    "code",
    "label_es",
    "label_en",
    "definition_es",
    "definition_en",
    "htcds",
    "ctdc",
    "glotip",
    "iccs",
    "sort",
]
INDEX_HEADER = ["key", "name_es", "name_en", "description_en", "source", "is_multi_valued", "has_na", "has_nk"]
MAPPING_COLUMNS = ("htcds", "ctdc", "glotip", "iccs")


class ReferenceDataError(ValueError):
    """A shipped data file is malformed; the message names the file, row and column."""


def _rows(path: Path, header: list[str] | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if header is not None and reader.fieldnames != header:
            raise ReferenceDataError(f"{path.name}: header must be {','.join(header)}; found {reader.fieldnames}")
        for number, row in enumerate(reader, start=2):
            yield number, {key: (value or "").strip() for key, value in row.items() if key is not None}


def _bool(path: Path, line: int, column: str, value: str) -> bool:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ReferenceDataError(f"{path.name} row {line}, {column}: expected true or false, got {value!r}")


# --- Countries -------------------------------------------------------------------------


@dataclass(frozen=True)
class CountryRecord:
    iso2: str
    iso3: str
    m49: str
    name_es: str
    name_en: str
    is_member: bool


def country_records() -> list[CountryRecord]:
    """Every ISO 3166-1 country with its common English name and its Spanish name."""
    spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"])
    records = []
    for country in pycountry.countries:
        english = getattr(country, "common_name", None) or country.name
        records.append(
            CountryRecord(
                iso2=country.alpha_2,
                iso3=country.alpha_3,
                m49=country.numeric,
                name_es=spanish.gettext(country.name),
                name_en=english,
                is_member=country.alpha_2 in MEMBER_ISO2,
            )
        )
    return records


# --- Border crossings ------------------------------------------------------------------


@dataclass(frozen=True)
class CrossingRecord:
    code: str
    name: str
    countries_iso3: tuple[str, ...]
    kind: str
    latitude: Decimal | None
    longitude: Decimal | None
    other_points: list[list[str]] = field(default_factory=list)
    notes: str = ""
    coordinates_verified: bool = False


def _coordinates(path: Path, line: int, column: str, value: str, low: int, high: int) -> list[Decimal | None]:
    if value in UNKNOWN:
        return [None]
    points: list[Decimal | None] = []
    for part in value.split("/"):
        try:
            number = Decimal(part.strip())
        except InvalidOperation:
            raise ReferenceDataError(f"{path.name} row {line}, {column}: not a number: {part.strip()!r}") from None
        if not low <= number <= high:
            raise ReferenceDataError(f"{path.name} row {line}, {column}: {number} is outside {low}..{high}")
        points.append(number)
    return points


def _kind(notes: str, countries: int) -> str:
    lowered = notes.lower()
    if "irregular" in lowered:
        return "irregular_known_point"
    if "maritime" in lowered or "sea" in lowered:
        return "official_sea"
    if "air" in lowered.split("/"):
        return "official_air"
    return "official_land" if countries == 2 else "official_sea"


def parse_crossings(path: Path) -> list[CrossingRecord]:
    records = []
    for line, row in _rows(path, ["id", "name", "countries_iso3", "lat", "lon", "notes", "coordinates_verified"]):
        countries = tuple(part.strip() for part in row["countries_iso3"].replace("—", "–").split("–"))
        if not row["id"] or not row["name"] or any(len(c) != 3 for c in countries):
            raise ReferenceDataError(f"{path.name} row {line}: needs an id, a name and ISO alpha-3 countries")
        latitudes = _coordinates(path, line, "lat", row["lat"], -90, 90)
        longitudes = _coordinates(path, line, "lon", row["lon"], -180, 180)
        if len(latitudes) != len(longitudes):
            raise ReferenceDataError(f"{path.name} row {line}: as many latitudes as longitudes are needed")
        other = [[str(lat), str(lon)] for lat, lon in zip(latitudes[1:], longitudes[1:], strict=True)]
        records.append(
            CrossingRecord(
                code=row["id"],
                name=row["name"],
                countries_iso3=countries,
                kind=_kind(row["notes"], len(countries)),
                latitude=latitudes[0],
                longitude=longitudes[0],
                other_points=other,
                notes=row["notes"],
                coordinates_verified=_bool(path, line, "coordinates_verified", row["coordinates_verified"]),
            )
        )
    return records


# --- Populations -----------------------------------------------------------------------


@dataclass(frozen=True)
class PopulationRecord:
    iso2: str
    year: int
    population: int
    source: str


def parse_populations(path: Path) -> list[PopulationRecord]:
    records = []
    seen: set[tuple[str, int]] = set()
    for line, row in _rows(path, ["iso3", "iso2", "country_en", "country_es", "year", "population", "source"]):
        if not (row["year"].isdigit() and row["population"].isdigit()):
            raise ReferenceDataError(f"{path.name} row {line}: year and population must be whole numbers")
        key = (row["iso2"], int(row["year"]))
        if key in seen:
            raise ReferenceDataError(f"{path.name} row {line}: {row['iso2']} {row['year']} appears twice")
        seen.add(key)
        records.append(PopulationRecord(row["iso2"], int(row["year"]), int(row["population"]), row["source"]))
    return records


# --- Code lists --------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeRecord:
    code: str
    label_es: str
    label_en: str
    definition_es: str
    definition_en: str
    mappings: dict[str, str]
    sort: int


@dataclass(frozen=True)
class CodeListRecord:
    key: str
    name_es: str
    name_en: str
    description: str
    source: str
    is_multi_valued: bool
    codes: list[CodeRecord]


def parse_code_lists(directory: Path) -> list[CodeListRecord]:
    """Every list named in index.csv, each from <key>.csv; NA/NK present where the index says."""
    index = directory / "index.csv"
    if not index.exists():
        return []
    lists = []
    listed: set[str] = set()
    for line, row in _rows(index, INDEX_HEADER):
        key = row["key"]
        path = directory / f"{key}.csv"
        if not path.exists():
            raise ReferenceDataError(f"index.csv row {line}: {path.name} does not exist")
        listed.add(key)
        codes: list[CodeRecord] = []
        for code_line, code_row in _rows(path, CODELIST_HEADER):
            if not code_row["code"] or not code_row["label_es"] or not code_row["label_en"]:
                raise ReferenceDataError(f"{path.name} row {code_line}: code, label_es and label_en are required")
            if not code_row["sort"].isdigit():
                raise ReferenceDataError(f"{path.name} row {code_line}, sort: must be a whole number")
            codes.append(
                CodeRecord(
                    code=code_row["code"],
                    label_es=code_row["label_es"],
                    label_en=code_row["label_en"],
                    definition_es=code_row["definition_es"],
                    definition_en=code_row["definition_en"],
                    mappings={name: code_row[name] for name in MAPPING_COLUMNS if code_row[name]},
                    sort=int(code_row["sort"]),
                )
            )
        names = [c.code for c in codes]
        if len(set(names)) != len(names):
            raise ReferenceDataError(f"{path.name}: a code appears twice")
        for reserved, column in (("NA", "has_na"), ("NK", "has_nk")):
            if _bool(index, line, column, row[column]) and reserved not in names:
                raise ReferenceDataError(f"{path.name}: index.csv says it has {reserved}, but it does not")
        lists.append(
            CodeListRecord(
                key=key,
                name_es=row["name_es"],
                name_en=row["name_en"],
                description=row["description_en"],
                source=row["source"],
                is_multi_valued=_bool(index, line, "is_multi_valued", row["is_multi_valued"]),
                codes=codes,
            )
        )
    unlisted = {p.stem for p in directory.glob("*.csv")} - listed - {"index"}
    if unlisted:
        raise ReferenceDataError(f"code list files missing from index.csv: {', '.join(sorted(unlisted))}")
    return lists


# --- Storing -------------------------------------------------------------------------------


@dataclass
class LoadReport:
    countries: int = 0
    crossings: int = 0
    crossings_kept: int = 0
    populations: int = 0
    code_lists: int = 0
    codes: int = 0
    codes_kept: int = 0

    def lines(self) -> list[str]:
        return [
            f"countries: {self.countries}",
            f"border crossings: {self.crossings} (kept as edited on this node: {self.crossings_kept})",
            f"population figures: {self.populations}",
            f"code lists: {self.code_lists}, codes: {self.codes} (kept as edited on this node: {self.codes_kept})",
        ]


def _store_countries(records: Iterable[CountryRecord], report: LoadReport) -> None:
    from vinculo.reference.models import Country

    existing = {c.iso2: c for c in Country.objects.all()}
    if not existing:  # a new node, or after a flush: one insert instead of hundreds
        created = Country.objects.bulk_create(Country(**vars(record)) for record in records)
        report.countries += len(created)
        return
    for record in records:
        values = {
            "iso3": record.iso3,
            "m49": record.m49,
            "name_es": record.name_es,
            "name_en": record.name_en,
            "is_member": record.is_member,
        }
        current = existing.get(record.iso2)
        if current is None:
            Country.objects.create(iso2=record.iso2, **values)
        elif any(getattr(current, k) != v for k, v in values.items()):
            Country.objects.filter(pk=current.pk).update(**values)
        report.countries += 1


def _store_crossings(records: Iterable[CrossingRecord], report: LoadReport) -> None:
    from vinculo.reference.models import BorderCrossing, Country

    countries = {c.iso3: c for c in Country.objects.all()}
    for record in records:
        crossing = BorderCrossing.objects.filter(code=record.code).first()
        if crossing is not None and crossing.edited_on_node:
            report.crossings_kept += 1
            continue
        missing = [iso3 for iso3 in record.countries_iso3 if iso3 not in countries]
        if missing:
            raise ReferenceDataError(f"border crossing {record.code}: unknown countries {missing}")
        values: dict[str, Any] = {
            "name": record.name,
            "kind": record.kind,
            "latitude": record.latitude,
            "longitude": record.longitude,
            "other_points": record.other_points,
            "notes": record.notes,
            "coordinates_verified": record.coordinates_verified,
        }
        crossing, _created = BorderCrossing.objects.update_or_create(code=record.code, defaults=values)
        crossing.countries.set([countries[iso3] for iso3 in record.countries_iso3])
        report.crossings += 1


def _store_populations(records: Iterable[PopulationRecord], report: LoadReport) -> None:
    from vinculo.reference.models import Country, PopulationFigure

    countries = {c.iso2: c for c in Country.objects.all()}
    for record in records:
        PopulationFigure.objects.update_or_create(
            country=countries[record.iso2],
            year=record.year,
            defaults={"population": record.population, "source": record.source},
        )
        report.populations += 1


def _store_code_lists(records: Iterable[CodeListRecord], report: LoadReport) -> None:
    from vinculo.reference.models import Code, CodeList

    for record in records:
        code_list, _created = CodeList.objects.update_or_create(
            key=record.key,
            defaults={
                "name_es": record.name_es,
                "name_en": record.name_en,
                "description": record.description,
                "source": record.source,
                "is_multi_valued": record.is_multi_valued,
            },
        )
        report.code_lists += 1
        if not code_list.codes.exists():
            created = Code.objects.bulk_create(
                Code(
                    code_list=code_list,
                    code=code.code,
                    label_es=code.label_es,
                    label_en=code.label_en,
                    definition_es=code.definition_es,
                    definition_en=code.definition_en,
                    mappings=code.mappings,
                    sort=code.sort,
                )
                for code in record.codes
            )
            report.codes += len(created)
            continue
        edited = set(code_list.codes.filter(edited_on_node=True).values_list("code", flat=True))
        for code in record.codes:
            if code.code in edited:
                report.codes_kept += 1
                continue
            Code.objects.update_or_create(
                code_list=code_list,
                code=code.code,
                defaults={
                    "label_es": code.label_es,
                    "label_en": code.label_en,
                    "definition_es": code.definition_es,
                    "definition_en": code.definition_en,
                    "mappings": code.mappings,
                    "sort": code.sort,
                },
            )
            report.codes += 1


def load_reference_data() -> LoadReport:
    """Parse every shipped file, then store it all in one transaction (nothing half-loaded)."""
    countries = country_records()
    crossings = parse_crossings(DATA / "border_crossings.csv")
    populations = parse_populations(DATA / "populations.csv")
    code_lists = parse_code_lists(CODELISTS)
    report = LoadReport()
    with transaction.atomic():
        _store_countries(countries, report)
        _store_crossings(crossings, report)
        _store_populations(populations, report)
        _store_code_lists(code_lists, report)
    return report


def sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate: bring the shipped reference data in (new nodes, upgrades, and after flush)."""
    load_reference_data()
