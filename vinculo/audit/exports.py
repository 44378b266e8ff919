"""The trail as files: CSV for spreadsheets, JSONL for machines. Both are written lazily,
a batch of rows at a time, so a long trail is never held in memory."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from vinculo.audit.chain import canonical_document
from vinculo.audit.models import AuditEntry

FORMATS = ("csv", "jsonl")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
CSV_HEADER = [
    "seq",
    "time",
    "actor",
    "actor_id",
    "office",
    "action",
    "target_type",
    "target_id",
    "request_id",
    "client_ip",
    "data",
    "prev_hash",
    "entry_hash",
]
ROWS_PER_CHUNK = 200
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection);
# a leading apostrophe makes it text. Tab and carriage return are on OWASP's list too.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV as UTF-8 (and shows accented names right) only when it starts with a BOM.
BOM = "\ufeff"


def safe_cell(value: object) -> object:
    """The value, with text that a spreadsheet would run as a formula turned into plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _data_text(entry: AuditEntry) -> str:
    return json.dumps(entry.data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def csv_row(entry: AuditEntry) -> list[object]:
    """One entry as a CSV row (time in the node's time zone, with its offset)."""
    values: list[object] = [
        entry.seq,
        timezone.localtime(entry.at).isoformat(),
        entry.actor_label,
        entry.actor_id if entry.actor_id is not None else "",
        entry.office_code,
        entry.action,
        entry.target_type,
        entry.target_id,
        entry.request_id,
        entry.client_ip,
        _data_text(entry),
        entry.prev_hash,
        entry.entry_hash,
    ]
    return [safe_cell(value) for value in values]


class _Echo:
    """A file-like object whose write returns what it was given (csv.writer needs a file)."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """The CSV file, a batch of rows per chunk."""
    writer = csv.writer(_Echo())
    batch = [BOM + writer.writerow(CSV_HEADER)]
    for entry in entries:
        batch.append(writer.writerow(csv_row(entry)))
        if len(batch) >= ROWS_PER_CHUNK:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def jsonl_line(entry: AuditEntry) -> str:
    """One entry as a JSON line: exactly the hashed document plus its stored hash.

    Anyone holding a full export can recompute every hash and link without Vínculo:
    sha256 of the line minus "hash", as sorted-key compact UTF-8 JSON.
    """
    document = {**canonical_document(entry.facts()), "hash": entry.entry_hash}
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def jsonl_chunks(entries: Iterable[AuditEntry]) -> Iterator[str]:
    """The JSONL file, a batch of lines per chunk."""
    batch: list[str] = []
    for entry in entries:
        batch.append(jsonl_line(entry))
        if len(batch) >= ROWS_PER_CHUNK:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def chunks(file_format: str, entries: Iterable[AuditEntry]) -> Iterator[str]:
    if file_format == "csv":
        return csv_chunks(entries)
    if file_format == "jsonl":
        return jsonl_chunks(entries)
    raise ValueError(f"unknown export format {file_format!r}")


def filename(file_format: str, *, at: datetime | None = None) -> str:
    """For example vinculo-audit-SV-FGR-20261128T044600Z.csv (the node id and the time in UTC)."""
    moment = (at or timezone.now()).astimezone(UTC)
    return f"vinculo-audit-{settings.NODE_ID}-{moment:%Y%m%dT%H%M%SZ}.{file_format}"
