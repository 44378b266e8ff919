"""The case file templates for import and export (CSV and XLSX), without database access.

Two tables: cases (one row per case) and persons (one row per person in a case). Headers may
be in Spanish or English (the export writes the reader's choice); coded columns accept the
code or its label in either language; dates are ISO (YYYY-MM-DD). Parsing reports every
problem by row, column and reason and never stops at the first one, so a whole file can be
fixed in one go. A workbook carries both tables as sheets; a CSV file carries one, recognised
by its headers. Problems are worded in the active language (the importer's).
"""

from __future__ import annotations

import csv
import datetime
import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000


@dataclass(frozen=True)
class Column:
    key: str
    header_es: str
    header_en: str
    list_key: str = ""  # coded column: the code list it draws from
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("national_number", "numero_expediente", "national_case_number", required=True),
    Column("crime_family", "delito", "crime", "crime_family", required=True),
    Column("origin", "origen", "origin", "case_origin"),
    Column("stage", "etapa", "stage", "stage", required=True),
    Column("reported_on", "fecha_denuncia", "reported_on"),
    Column("reported_on_precision", "precision_fecha_denuncia", "reported_on_precision"),
    Column("organized_crime", "crimen_organizado", "organized_crime", "yes_no"),
    Column("trafficker_organization", "organizacion_tratante", "trafficker_organization", "trafficker_organization"),
    Column("closure_type", "forma_cierre", "closure_type", "closure_type"),
    Column("closed_on", "fecha_cierre", "closed_on"),
    Column("summary", "resumen", "summary"),
    Column("summary_language", "idioma_resumen", "summary_language"),
    Column("visibility", "visibilidad", "visibility"),
)
DATE_COLUMNS = frozenset({"reported_on", "closed_on"})
CHOICES: dict[str, tuple[str, ...]] = {
    "reported_on_precision": ("day", "month", "year"),
    "summary_language": ("es", "en"),
    "visibility": ("team", "office"),
}
DEFAULTS = {
    "origin": "NK",
    "organized_crime": "NK",
    "trafficker_organization": "NK",
    "reported_on_precision": "day",
    "summary_language": "es",
    "visibility": "team",
}

PERSON_COLUMNS: tuple[Column, ...] = (
    Column("national_number", "numero_expediente", "national_case_number", required=True),
    Column("reference", "referencia_persona", "person_reference", required=True),
    Column("role", "calidad", "role", "party_role", required=True),
    Column("sex", "sexo", "sex", "sex", required=True),
    Column("birth_year", "anio_nacimiento", "birth_year"),
    Column("citizenships", "nacionalidades", "citizenships"),
    Column("age_at_identification", "edad_al_identificar", "age_at_identification"),
    Column("identification_status", "condicion_victima", "victim_identification", "identification_status"),
    Column("given_names", "nombres", "given_names"),
    Column("first_surname", "primer_apellido", "first_surname"),
    Column("second_surname", "segundo_apellido", "second_surname"),
    Column("birth_date", "fecha_nacimiento", "birth_date"),
    Column("document_numbers", "documentos", "documents"),
    Column("phones", "telefonos", "phones"),
    Column("address", "direccion", "address"),
)
# The sealed identity: an empty cell leaves what is stored as it is (an export may mask it).
IDENTITY_KEYS = (
    "given_names",
    "first_surname",
    "second_surname",
    "birth_date",
    "document_numbers",
    "phones",
    "address",
)


@dataclass(frozen=True)
class Template:
    """One table of the import/export: its columns, how cells are read, and what keys a row."""

    name: str
    sheet_es: str
    sheet_en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    dates: frozenset[str] = frozenset()
    integers: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    country_lists: frozenset[str] = frozenset()
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)

    def empty(self, key: str) -> object:
        if key in self.defaults:
            return self.defaults[key]
        return None if key in self.dates or key in self.integers else ""


CASES = Template(
    name="cases",
    sheet_es="expedientes",
    sheet_en="cases",
    columns=COLUMNS,
    key=("national_number",),
    dates=DATE_COLUMNS,
    choices=CHOICES,
    defaults=DEFAULTS,
)
PERSONS = Template(
    name="persons",
    sheet_es="personas",
    sheet_en="persons",
    columns=PERSON_COLUMNS,
    key=("national_number", "reference", "role"),
    dates=frozenset({"birth_date"}),
    integers={"birth_year": (1900, 2100), "age_at_identification": (0, 120)},
    country_lists=frozenset({"citizenships"}),
)
TEMPLATES = (CASES, PERSONS)


class FileProblem(ValueError):
    """The file as a whole cannot be read (size, encoding, format, headers)."""


@dataclass(frozen=True)
class Problem:
    row: int  # as a spreadsheet shows it: the header is row 1
    column: str
    reason: str  # in the reader's language
    sheet: str = ""  # which table, when a file holds several


@dataclass
class Parsed:
    rows: list[dict[str, object]] = field(default_factory=list)  # row number → cleaned values
    problems: list[Problem] = field(default_factory=list)


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def header_map(headers: Iterable[str], template: Template = CASES) -> tuple[dict[int, Column], list[str], list[str]]:
    """Column positions by header (either language); unknown headers; missing required columns."""
    by_header: dict[str, Column] = {}
    for column in template.columns:
        by_header[_key(column.header_es)] = column
        by_header[_key(column.header_en)] = column
    positions: dict[int, Column] = {}
    unknown: list[str] = []
    for position, header in enumerate(headers):
        found = by_header.get(_key(header))
        if found is None:
            if header.strip():
                unknown.append(header.strip())
            continue
        positions[position] = found
    present = {column.key for column in positions.values()}
    missing = [column.header_en for column in template.columns if column.required and column.key not in present]
    return positions, unknown, missing


def template_of(headers: Iterable[str]) -> Template:
    """Which table a CSV file holds, from its headers: persons if it names a person reference."""
    keys = {_key(header) for header in headers}
    reference = next(column for column in PERSON_COLUMNS if column.key == "reference")
    return PERSONS if {_key(reference.header_es), _key(reference.header_en)} & keys else CASES


def read_csv(data: bytes) -> list[list[str]]:
    if len(data) > MAX_BYTES:
        raise FileProblem(_("the file is larger than %(size)d MB") % {"size": MAX_BYTES // (1024 * 1024)})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileProblem(
            _("the file is not UTF-8 text (byte %(byte)d cannot be read)") % {"byte": error.start}
        ) from error
    if "\x00" in text:
        raise FileProblem(_("the file is not a CSV text file"))
    try:
        return [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise FileProblem(_("the CSV cannot be read: %(error)s") % {"error": error}) from error


def read_xlsx(data: bytes) -> list[list[str]]:
    """The first sheet of a workbook."""
    return next(iter(read_xlsx_sheets(data).values()), [])


def read_xlsx_sheets(data: bytes) -> dict[str, list[list[str]]]:
    """Every sheet of a workbook, by its folded title, in order."""
    if len(data) > MAX_BYTES:
        raise FileProblem(_("the file is larger than %(size)d MB") % {"size": MAX_BYTES // (1024 * 1024)})
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise FileProblem(_("the file is not an Excel workbook (.xlsx)")) from error
    sheets: dict[str, list[list[str]]] = {}
    for sheet in workbook.worksheets:
        rows = []
        for values in sheet.iter_rows(values_only=True):
            cells = [
                "" if v is None else (v.date().isoformat() if isinstance(v, datetime.datetime) else str(v))
                for v in values
            ]
            if any(cell.strip() for cell in cells):
                rows.append(cells)
        sheets[_key(sheet.title)] = rows
    workbook.close()
    return sheets


def parse(
    table: list[list[str]],
    *,
    codes: Mapping[str, Mapping[str, str]],
    template: Template = CASES,
    countries: frozenset[str] = frozenset(),
) -> Parsed:
    """Check every row; ``codes[list_key]`` maps a folded code or label to its code.

    ``countries`` holds the ISO 3166 alpha-2 codes country columns may name.
    """
    if not table:
        raise FileProblem(_("the file is empty"))
    positions, unknown, missing = header_map(table[0], template)
    if missing or unknown:
        parts = []
        if missing:
            parts.append(_("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
        if unknown:
            parts.append(_("unknown columns: %(columns)s") % {"columns": ", ".join(unknown)})
        raise FileProblem("; ".join(parts))
    if len(table) - 1 > MAX_ROWS:
        raise FileProblem(_("more than %(rows)d rows") % {"rows": MAX_ROWS})
    result = Parsed()
    seen: dict[tuple[object, ...], int] = {}
    for number, raw in enumerate(table[1:], start=2):
        values: dict[str, object] = {"_row": number}
        problems: list[Problem] = []
        for position, column in positions.items():
            cell = raw[position].strip() if position < len(raw) else ""
            values[column.key] = _read_cell(template, column, cell, number, codes, countries, problems)
        for column in template.columns:
            values.setdefault(column.key, template.empty(column.key))
        row_key = tuple(values.get(key) for key in template.key)
        if all(row_key):
            if row_key in seen:
                first = template.columns[0].header_en
                problems.append(
                    Problem(number, first, _("the same row is already on row %(row)d") % {"row": seen[row_key]})
                )
            else:
                seen[row_key] = number
        if problems:
            result.problems.extend(problems)
        else:
            result.rows.append(values)
    return result


def _read_cell(
    template: Template,
    column: Column,
    cell: str,
    number: int,
    codes: Mapping[str, Mapping[str, str]],
    countries: frozenset[str],
    problems: list[Problem],
) -> object:
    header = column.header_en
    if not cell:
        if column.required:
            problems.append(Problem(number, header, _("required")))
        return template.empty(column.key)
    if column.list_key:
        code = codes.get(column.list_key, {}).get(_key(cell))
        if code is None:
            problems.append(
                Problem(
                    number,
                    header,
                    _("unknown value “%(value)s” for list %(list)s") % {"value": cell, "list": column.list_key},
                )
            )
        return code
    if column.key in template.dates:
        try:
            return datetime.date.fromisoformat(cell[:10])
        except ValueError:
            problems.append(Problem(number, header, _("not a date (YYYY-MM-DD): “%(value)s”") % {"value": cell}))
            return None
    if column.key in template.integers:
        low, high = template.integers[column.key]
        if not cell.isdigit() or not low <= int(cell) <= high:
            problems.append(
                Problem(
                    number,
                    header,
                    _("must be a whole number from %(low)d to %(high)d, not “%(value)s”")
                    % {"low": low, "high": high, "value": cell},
                )
            )
            return None
        return int(cell)
    if column.key in template.country_lists:
        named = sorted({part.strip().upper() for part in cell.replace(",", ";").split(";") if part.strip()})
        wrong = [code for code in named if code not in countries]
        if wrong:
            problems.append(
                Problem(
                    number,
                    header,
                    _("unknown country code(s) %(codes)s (ISO 3166 alpha-2)") % {"codes": ", ".join(wrong)},
                )
            )
        return ";".join(named)
    if column.key in template.choices:
        if cell.lower() not in template.choices[column.key]:
            allowed = ", ".join(template.choices[column.key])
            problems.append(
                Problem(
                    number,
                    header,
                    _("must be one of %(allowed)s, not “%(value)s”") % {"allowed": allowed, "value": cell},
                )
            )
        return cell.lower()
    # Undo the quote the export puts before text a spreadsheet would run as a formula.
    if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@"):
        cell = cell[1:]
    return cell


def headers(language: str, template: Template = CASES) -> list[str]:
    return [column.header_es if language == "es" else column.header_en for column in template.columns]


def write_csv(rows: Iterable[Mapping[str, object]], *, language: str, template: Template = CASES) -> Iterator[str]:
    """CSV text in chunks (header first), for a streaming response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers(language, template))
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(row.get(column.key)) for column in template.columns])
        yield buffer.getvalue()


def write_xlsx(
    rows: Iterable[Mapping[str, object]],
    *,
    language: str,
    persons: Iterable[Mapping[str, object]] | None = None,
) -> bytes:
    """A workbook with the cases sheet and, when ``persons`` is given, the persons sheet."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    tables = [(CASES, rows)] if persons is None else [(CASES, rows), (PERSONS, persons)]
    for template, table_rows in tables:
        sheet = workbook.create_sheet(template.sheet_en if language == "en" else template.sheet_es)
        sheet.append(headers(language, template))
        for row in table_rows:
            sheet.append([_cell(row.get(column.key)) for column in template.columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    # Spreadsheets run cells that start like a formula; a quote keeps them text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def template_markdown(template: Template = CASES) -> str:
    """The column table of docs/case-import-template.md (a test keeps the two equal)."""
    lines = ["| Spanish header | English header | Required | Values |", "|---|---|---|---|"]
    for column in template.columns:
        if column.list_key:
            values = f"a code or label of the `{column.list_key}` list"
        elif column.key in template.dates:
            values = "date, YYYY-MM-DD"
        elif column.key in template.integers:
            low, high = template.integers[column.key]
            values = f"whole number, {low}–{high}"
        elif column.key in template.country_lists:
            values = "ISO 3166 alpha-2 codes separated by `;`"
        elif column.key in template.choices:
            values = " / ".join(f"`{choice}`" for choice in template.choices[column.key])
        else:
            values = "text"
        if column.key in template.defaults:
            values += f" (empty: `{template.defaults[column.key]}`)"
        if column.key in IDENTITY_KEYS:
            values += "; sealed in the vault (empty: keep what is stored)"
        required = "yes" if column.required else "no"
        lines.append(f"| `{column.header_es}` | `{column.header_en}` | {required} | {values} |")
    return "\n".join(lines) + "\n"
