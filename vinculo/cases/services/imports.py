"""Importing case files from the national system's CSV/XLSX export: dry run, then all or nothing.

A dry run performs the whole import inside a transaction and rolls it back, so it finds every
problem the real run would meet (bad values, rules of the case model, cases the importer may
not change) without storing anything. The real run stores everything or nothing. Rows are
matched to existing cases by national case number, so importing the same file twice changes
nothing the second time.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.cases import tabular
from vinculo.cases.models import CASE_CODE_LISTS, Case
from vinculo.cases.selectors import can_edit
from vinculo.cases.services.case_files import apply_case_facts, create_case_in_transaction
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.reference.models import Code


@dataclass
class ImportReport:
    file_sha256: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[tabular.Problem] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def code_tables() -> dict[str, dict[str, str]]:
    """For every list a case uses: folded code and labels (both languages) → code."""
    tables: dict[str, dict[str, str]] = {}
    for code in Code.objects.filter(code_list__key__in=set(CASE_CODE_LISTS.values())).select_related("code_list"):
        table = tables.setdefault(code.code_list.key, {})
        for text in (code.code, code.label_es, code.label_en):
            table[tabular._key(text)] = code.code
    return tables


def read_table(data: bytes, file_name: str) -> list[list[str]]:
    if file_name.lower().endswith(".xlsx"):
        return tabular.read_xlsx(data)
    return tabular.read_csv(data)


class _Rollback(Exception):
    pass


def run_import(*, by: User, data: bytes, file_name: str, dry_run: bool) -> ImportReport:
    """Check (``dry_run``) or import a file; a FileProblem means the file itself cannot be used."""
    if not by.has_permission(Permission.CASE_EDIT):
        raise AccessDenied("case.edit")
    report = ImportReport(file_sha256=hashlib.sha256(data).hexdigest(), dry_run=dry_run)
    parsed = tabular.parse(read_table(data, file_name), codes=code_tables())
    report.problems.extend(parsed.problems)
    codes = {(c.code_list.key, c.code): c for c in Code.objects.select_related("code_list")}
    try:
        with transaction.atomic(durable=True):
            for row in parsed.rows:
                _import_row(by, row, codes, report)
            if report.problems or dry_run:
                raise _Rollback
            audit.record(
                action="case.imported",
                actor=by,
                data={
                    "file_sha256": report.file_sha256,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                },
            )
    except _Rollback:
        pass
    report.problems.sort(key=lambda problem: (problem.row, problem.column))
    return report


def _import_row(by: User, row: dict[str, Any], codes: dict[tuple[str, str], Code], report: ImportReport) -> None:
    number = str(row["national_number"])
    facts = {
        field: codes[(list_key, row[field])] if row.get(field) else None for field, list_key in CASE_CODE_LISTS.items()
    }
    for field in ("closed_on", "reported_on", "reported_on_precision", "summary", "summary_language", "visibility"):
        facts[field] = row[field]
    line = int(row["_row"])
    try:
        with transaction.atomic():
            existing = Case.objects.select_for_update().filter(office_id=by.office_id, national_number=number).first()
            if existing is None:
                create_case_in_transaction(by=by, national_number=number, facts=facts)
                report.created += 1
                return
            if not can_edit(by, existing):
                raise AccessDenied("case.edit")
            before = existing.version
            apply_case_facts(by=by, case=existing, facts=facts)
            if existing.version == before:
                report.unchanged += 1
            else:
                report.updated += 1
    except AccessDenied:
        report.problems.append(tabular.Problem(line, "national_case_number", "you are not on the team of this case"))
    except DomainError as error:
        report.problems.append(tabular.Problem(line, "national_case_number", str(error.message)))
    except ValidationError as error:
        for model_field, messages in error.message_dict.items():
            column = next((c.header_en for c in tabular.COLUMNS if c.key == model_field), model_field)
            report.problems.append(tabular.Problem(line, column, " ".join(str(m) for m in messages)))


def export_rows(cases: Any) -> list[dict[str, object]]:
    """Cases as template rows (codes, ISO dates), the same shape the import reads."""
    rows = []
    for case in cases.select_related(*CASE_CODE_LISTS):
        row: dict[str, object] = {"national_number": case.national_number}
        for field in CASE_CODE_LISTS:
            code = getattr(case, field)
            row[field] = code.code if code else ""
        for field in ("closed_on", "reported_on", "reported_on_precision", "summary", "summary_language", "visibility"):
            row[field] = getattr(case, field)
        rows.append(row)
    return rows
