"""Importing case files from the national system's CSV/XLSX export: dry run, then all or nothing.

A dry run performs the whole import inside a transaction and rolls it back, so it finds every
problem the real run would meet (bad values, rules of the case model, cases the importer may
not change) without storing anything. The real run stores everything or nothing. Rows are
matched to existing cases by national case number, and persons by the national system's
person reference, so importing the same file twice changes nothing the second time.

Persons' identities go straight into the vault. An empty identity cell keeps what is stored
(an export masks the identities its reader may not see), so import(export(x)) == x.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.cases import tabular
from vinculo.cases.models import CASE_CODE_LISTS, Case, CaseParty, Person
from vinculo.cases.selectors import can_edit
from vinculo.cases.services import parties
from vinculo.cases.services.case_files import apply_case_facts, create_case_in_transaction
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.core.validation import validate
from vinculo.reference.models import Code, Country

NOT_ON_TEAM = gettext_lazy("you are not on the team of this case")
NO_SUCH_CASE = gettext_lazy("no case with this number, in this file or in the node")


@dataclass
class ImportReport:
    file_sha256: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    persons_created: int = 0
    persons_updated: int = 0
    persons_unchanged: int = 0
    problems: list[tabular.Problem] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


PERSON_CODE_LISTS = {"role": "party_role", "sex": "sex", "identification_status": "identification_status"}


def code_tables() -> dict[str, dict[str, str]]:
    """For every list a case or person row uses: folded code and labels (both languages) → code."""
    tables: dict[str, dict[str, str]] = {}
    lists = set(CASE_CODE_LISTS.values()) | set(PERSON_CODE_LISTS.values())
    for code in Code.objects.filter(code_list__key__in=lists).select_related("code_list"):
        table = tables.setdefault(code.code_list.key, {})
        for text in (code.code, code.label_es, code.label_en):
            table[tabular._key(text)] = code.code
    return tables


def read_table(data: bytes, file_name: str) -> list[list[str]]:
    """The first (or only) table of a file."""
    return read_tables(data, file_name)[0][1]


def read_tables(data: bytes, file_name: str) -> list[tuple[tabular.Template, list[list[str]]]]:
    """The tables of a file, cases first: a workbook's sheets by name, or a CSV's one by its headers."""
    if not file_name.lower().endswith(".xlsx"):
        table = tabular.read_csv(data)
        return [(tabular.template_of(table[0] if table else []), table)]
    sheets = tabular.read_xlsx_sheets(data)
    by_name = {
        tabular._key(name): template
        for template in tabular.TEMPLATES
        for name in (template.sheet_es, template.sheet_en)
    }
    found: list[tuple[tabular.Template, list[list[str]]]] = []
    for position, (title, table) in enumerate(sheets.items()):
        template = by_name.get(title) or (tabular.template_of(table[0] if table else []) if position == 0 else None)
        if template is None:
            raise tabular.FileProblem(
                _("unknown sheet “%(sheet)s”: a workbook holds a cases sheet and a persons sheet") % {"sheet": title}
            )
        if any(known is template for known, _table in found):
            raise tabular.FileProblem(_("two sheets hold %(table)s") % {"table": template.name})
        found.append((template, table))
    if not found:
        raise tabular.FileProblem(_("the file is empty"))
    return sorted(found, key=lambda pair: tabular.TEMPLATES.index(pair[0]))


class _Rollback(Exception):
    pass


def run_import(*, by: User, data: bytes, file_name: str, dry_run: bool) -> ImportReport:
    """Check (``dry_run``) or import a file; a FileProblem means the file itself cannot be used."""
    if not by.has_permission(Permission.CASE_EDIT):
        raise AccessDenied("case.edit")
    report = ImportReport(file_sha256=hashlib.sha256(data).hexdigest(), dry_run=dry_run)
    codes_by_label = code_tables()
    countries = {country.iso2: country for country in Country.objects.all()}
    parsed_tables: list[tuple[tabular.Template, str, tabular.Parsed]] = []
    for template, table in read_tables(data, file_name):
        parsed = tabular.parse(table, codes=codes_by_label, template=template, countries=frozenset(countries))
        sheet = template.name if len(parsed_tables) or template is not tabular.CASES else ""
        report.problems.extend(dataclasses.replace(problem, sheet=sheet) for problem in parsed.problems)
        parsed_tables.append((template, sheet, parsed))
    codes = {(c.code_list.key, c.code): c for c in Code.objects.select_related("code_list")}
    try:
        with transaction.atomic(durable=True):
            for template, sheet, parsed in parsed_tables:
                for row in parsed.rows:
                    if template is tabular.CASES:
                        _import_row(by, row, codes, report)
                    else:
                        _import_person_row(by, row, codes, countries, report, sheet)
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
                    "persons_created": report.persons_created,
                    "persons_updated": report.persons_updated,
                    "persons_unchanged": report.persons_unchanged,
                },
            )
    except _Rollback:
        pass
    report.problems.sort(key=lambda problem: (problem.sheet, problem.row, problem.column))
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
        report.problems.append(tabular.Problem(line, "national_case_number", str(NOT_ON_TEAM)))
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


def _import_person_row(
    by: User,
    row: dict[str, Any],
    codes: dict[tuple[str, str], Code],
    countries: dict[str, Country],
    report: ImportReport,
    sheet: str,
) -> None:
    """A person in a case: the person found by their national reference (or created), then their role."""
    line = int(row["_row"])

    def problem(column: str, reason: object) -> None:
        report.problems.append(tabular.Problem(line, column, str(reason), sheet=sheet))

    case = Case.objects.filter(office_id=by.office_id, national_number=str(row["national_number"])).first()
    if case is None:
        problem("national_case_number", NO_SUCH_CASE)
        return
    if not can_edit(by, case):
        problem("national_case_number", NOT_ON_TEAM)
        return
    role = codes[("party_role", row["role"])]
    sex = codes[("sex", row["sex"])]
    status = codes[("identification_status", row["identification_status"])] if row["identification_status"] else None
    citizenships = sorted(filter(None, str(row["citizenships"]).split(";")))
    given = parties.Identity(
        **{
            key: row[key].isoformat() if key == "birth_date" and row[key] else (row[key] or "")
            for key in tabular.IDENTITY_KEYS
        }
    )
    try:
        with transaction.atomic():
            person = _person_by_reference(by.office_id, str(row["reference"]))
            changed = False
            if person is None:
                birth_year = parties.checked_birth_year(given, row["birth_year"])
                person = Person(
                    office_id=by.office_id, sex=sex, birth_year=birth_year, reference=row["reference"], created_by=by
                )
                validate(person)
                person.save()
                person.citizenships.set([countries[iso2] for iso2 in citizenships])
                parties.store_identity(person, given)
                report.persons_created += 1
                created = True
            else:
                created = False
                changed = _update_person(by, person, sex, row["birth_year"], citizenships, countries, given)
            party = CaseParty.objects.filter(case=case, person=person, role=role).first()
            if party is None:
                party = CaseParty(
                    case=case,
                    person=person,
                    role=role,
                    identification_status=status,
                    age_at_identification=row["age_at_identification"],
                    created_by=by,
                )
                validate(party)
                party.save()
                audit.record(
                    action="case.party_added", actor=by, target=case, data={"party": party.pk, "role": role.code}
                )
                changed = True
            elif (party.identification_status_id, party.age_at_identification) != (
                status.pk if status else None,
                row["age_at_identification"],
            ):
                party.identification_status = status
                party.age_at_identification = row["age_at_identification"]
                validate(party)
                party.save(update_fields=["identification_status", "age_at_identification"])
                audit.record(action="case.party_updated", actor=by, target=case, data={"party": party.pk})
                changed = True
            if not created:
                if changed:
                    report.persons_updated += 1
                else:
                    report.persons_unchanged += 1
    except DomainError as error:
        problem("birth_date" if error.code == "bad_birth_date" else "person_reference", error.message)
    except ValidationError as error:
        for model_field, messages in error.message_dict.items():
            column = next((c.header_en for c in tabular.PERSON_COLUMNS if c.key == model_field), model_field)
            problem(column, " ".join(str(m) for m in messages))


def _person_by_reference(office_id: int, reference: str) -> Person | None:
    """The office's person with this national reference; a person entered on the node (no
    reference) is exported under their record id, and found by it again."""
    people = Person.objects.select_for_update().filter(office_id=office_id)
    person = people.filter(reference=reference).first()
    if person is None:
        try:
            record_id = uuid.UUID(reference)
        except ValueError:
            return None
        person = people.filter(pk=record_id, reference="").first()
    return person


def _update_person(
    by: User,
    person: Person,
    sex: Code,
    birth_year: int | None,
    citizenships: list[str],
    countries: dict[str, Country],
    given: parties.Identity,
) -> bool:
    """Bring a known person in line with the row; empty identity cells keep what is stored."""
    stored = parties.unseal_identity(person.pk)
    # starting from what is stored: a value the file has no column for (vehicle plates) is kept
    merged = dataclasses.replace(
        stored, **{key: getattr(given, key) or getattr(stored, key) for key in tabular.IDENTITY_KEYS}
    )
    birth_year = parties.checked_birth_year(merged, birth_year if birth_year is not None else person.birth_year)
    fields = []
    if person.sex_id != sex.pk:
        person.sex = sex
        fields.append("sex")
    if person.birth_year != birth_year:
        person.birth_year = birth_year
        fields.append("birth_year")
    if fields:
        validate(person)
        person.save(update_fields=fields)
    if citizenships and sorted(person.citizenships.values_list("iso2", flat=True)) != citizenships:
        person.citizenships.set([countries[iso2] for iso2 in citizenships])
        fields.append("citizenships")
    if merged != stored:
        parties.store_identity(person, merged)
        fields.append("identity")
    if fields:
        # Which fields changed, never their values.
        audit.record(action="case.person_updated", actor=by, target=person, data={"fields": fields})
    return bool(fields)


@dataclass
class PersonExport:
    rows: list[dict[str, object]]
    revealed: int = 0
    masked: int = 0


def export_person_rows(*, by: User, cases: Any, reveal_reason: str | None = None) -> PersonExport:
    """Persons of ``cases`` as template rows; identities only with a reason, and only those ``by`` may reveal.

    Without ``reveal_reason`` every identity column is empty (the pseudonymous export). With it,
    each identity goes through the same checks as revealing it on the case page; the ones
    refused stay empty. The caller audits the export with the counts.
    """
    result = PersonExport(rows=[])
    parties_of_cases = (
        CaseParty.objects.filter(case__in=cases)
        .select_related("case", "person__sex", "role", "identification_status")
        .prefetch_related("person__citizenships")
        .order_by("case__national_number", "created_at")
    )
    for party in parties_of_cases:
        person = party.person
        row: dict[str, object] = {
            "national_number": party.case.national_number,
            "reference": person.reference or str(person.pk),
            "role": party.role.code,
            "sex": person.sex.code,
            "birth_year": person.birth_year,
            "citizenships": ";".join(sorted(country.iso2 for country in person.citizenships.all())),
            "age_at_identification": party.age_at_identification,
            "identification_status": party.identification_status.code if party.identification_status else "",
        }
        if reveal_reason is not None:
            try:
                parties.check_may_reveal(by, party, reveal_reason)
            except DomainError:
                result.masked += 1
            else:
                identity = parties.unseal_identity(person.pk)
                row.update({key: getattr(identity, key) for key in tabular.IDENTITY_KEYS})
                result.revealed += 1
        result.rows.append(row)
    return result


@transaction.atomic(durable=True)
def record_person_export(*, by: User, file_format: str, export: PersonExport, reason: str | None) -> None:
    """Every export of persons is audited: how many, how many identities in clear, and why."""
    data: dict[str, object] = {
        "format": file_format,
        "persons": len(export.rows),
        "identities": export.revealed,
        "masked": export.masked,
    }
    if reason is not None:
        data["reason"] = reason.strip()[:500]
    audit.record(action="case.persons_exported", actor=by, data=data)
