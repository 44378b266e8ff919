"""The case file template for import and export (CSV and XLSX), without database access.

One row per case. Headers may be in Spanish or English (the export writes the reader's
choice); coded columns accept the code or its label in either language; dates are ISO
(YYYY-MM-DD). Parsing reports every problem by row, column and reason and never stops at the
first one, so a whole file can be fixed in one go.
"""

from __future__ import annotations

import csv
import datetime
import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

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
CHOICES = {
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


class FileProblem(ValueError):
    """The file as a whole cannot be read (size, encoding, format, headers)."""


@dataclass(frozen=True)
class Problem:
    row: int  # as a spreadsheet shows it: the header is row 1
    column: str
    reason: str


@dataclass
class Parsed:
    rows: list[dict[str, object]] = field(default_factory=list)  # row number → cleaned values
    problems: list[Problem] = field(default_factory=list)


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def header_map(headers: Iterable[str]) -> tuple[dict[int, Column], list[str], list[str]]:
    """Column positions by header (either language); unknown headers; missing required columns."""
    by_header: dict[str, Column] = {}
    for column in COLUMNS:
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
    missing = [column.header_en for column in COLUMNS if column.required and column.key not in present]
    return positions, unknown, missing


def read_csv(data: bytes) -> list[list[str]]:
    if len(data) > MAX_BYTES:
        raise FileProblem(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileProblem(f"the file is not UTF-8 text (byte {error.start} cannot be read)") from error
    if "\x00" in text:
        raise FileProblem("the file is not a CSV text file")
    try:
        return [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise FileProblem(f"the CSV cannot be read: {error}") from error


def read_xlsx(data: bytes) -> list[list[str]]:
    if len(data) > MAX_BYTES:
        raise FileProblem(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
        raise FileProblem("the file is not an Excel workbook (.xlsx)") from error
    sheet = workbook.worksheets[0]
    rows = []
    for values in sheet.iter_rows(values_only=True):
        cells = [
            "" if v is None else (v.date().isoformat() if isinstance(v, datetime.datetime) else str(v)) for v in values
        ]
        if any(cell.strip() for cell in cells):
            rows.append(cells)
    workbook.close()
    return rows


def parse(table: list[list[str]], *, codes: Mapping[str, Mapping[str, str]]) -> Parsed:
    """Check every row; ``codes[list_key]`` maps a folded code or label to its code."""
    if not table:
        raise FileProblem("the file is empty")
    positions, unknown, missing = header_map(table[0])
    if missing or unknown:
        parts = []
        if missing:
            parts.append("missing columns: " + ", ".join(missing))
        if unknown:
            parts.append("unknown columns: " + ", ".join(unknown))
        raise FileProblem("; ".join(parts))
    if len(table) - 1 > MAX_ROWS:
        raise FileProblem(f"more than {MAX_ROWS} rows")
    result = Parsed()
    seen: dict[str, int] = {}
    for number, raw in enumerate(table[1:], start=2):
        values: dict[str, object] = {"_row": number}
        problems: list[Problem] = []
        for position, column in positions.items():
            cell = raw[position].strip() if position < len(raw) else ""
            header = column.header_en
            if not cell:
                if column.required:
                    problems.append(Problem(number, header, "required"))
                values[column.key] = DEFAULTS.get(column.key, None if column.key in DATE_COLUMNS else "")
                continue
            if column.list_key:
                code = codes.get(column.list_key, {}).get(_key(cell))
                if code is None:
                    problems.append(Problem(number, header, f"unknown value {cell!r} for list {column.list_key}"))
                values[column.key] = code
            elif column.key in DATE_COLUMNS:
                try:
                    values[column.key] = datetime.date.fromisoformat(cell[:10])
                except ValueError:
                    problems.append(Problem(number, header, f"not a date (YYYY-MM-DD): {cell!r}"))
            elif column.key in CHOICES:
                if cell.lower() not in CHOICES[column.key]:
                    allowed = ", ".join(CHOICES[column.key])
                    problems.append(Problem(number, header, f"must be one of {allowed}, not {cell!r}"))
                values[column.key] = cell.lower()
            else:
                # Undo the quote the export puts before text a spreadsheet would run as a formula.
                if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@"):
                    cell = cell[1:]
                values[column.key] = cell
        for column in COLUMNS:
            values.setdefault(column.key, DEFAULTS.get(column.key, None if column.key in DATE_COLUMNS else ""))
        number_value = str(values.get("national_number") or "")
        if number_value:
            if number_value in seen:
                problems.append(
                    Problem(number, "national_case_number", f"the same number is already on row {seen[number_value]}")
                )
            else:
                seen[number_value] = number
        if problems:
            result.problems.extend(problems)
        else:
            result.rows.append(values)
    return result


def headers(language: str) -> list[str]:
    return [column.header_es if language == "es" else column.header_en for column in COLUMNS]


def write_csv(rows: Iterable[Mapping[str, object]], *, language: str) -> Iterator[str]:
    """CSV text in chunks (header first), for a streaming response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers(language))
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(row.get(column.key)) for column in COLUMNS])
        yield buffer.getvalue()


def write_xlsx(rows: Iterable[Mapping[str, object]], *, language: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("cases" if language == "en" else "expedientes")
    sheet.append(headers(language))
    for row in rows:
        sheet.append([_cell(row.get(column.key)) for column in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime.date) else str(value)
    # Spreadsheets run cells that start like a formula; a quote keeps them text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def template_markdown() -> str:
    """The column table of docs/case-import-template.md (a test keeps the two equal)."""
    lines = ["| Spanish header | English header | Required | Values |", "|---|---|---|---|"]
    for column in COLUMNS:
        if column.list_key:
            values = f"a code or label of the `{column.list_key}` list"
        elif column.key in DATE_COLUMNS:
            values = "date, YYYY-MM-DD"
        elif column.key in CHOICES:
            values = " / ".join(f"`{choice}`" for choice in CHOICES[column.key])
        else:
            values = "text"
        if column.key in DEFAULTS:
            values += f" (empty: `{DEFAULTS[column.key]}`)"
        required = "yes" if column.required else "no"
        lines.append(f"| `{column.header_es}` | `{column.header_en}` | {required} | {values} |")
    return "\n".join(lines) + "\n"
