"""Import and export of the persons in cases: matched by national reference, identities sealed, round trip."""

from __future__ import annotations

import dataclasses
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from vinculo.accounts.models import User
from vinculo.audit.models import AuditEntry
from vinculo.cases import selectors, tabular
from vinculo.cases.models import Case, CaseParty, Person, PersonIdentity
from vinculo.cases.services import case_files, imports, parties

CASES = [
    ["numero_expediente", "delito", "etapa"],
    ["FGR-P-001", "TIP", "PRELIMINARY_INVESTIGATION"],
    ["FGR-P-002", "SOM", "TRIAL"],
]
PERSONS = [
    ["numero_expediente", "referencia_persona", "calidad", "sexo", "anio_nacimiento", "nacionalidades",
     "edad_al_identificar", "condicion_victima", "nombres", "primer_apellido", "segundo_apellido",
     "fecha_nacimiento", "documentos", "telefonos", "direccion"],
    ["FGR-P-001", "P-100", "VICTIM", "F", "", "SV;GT", "17", "IDENTIFIED", "Ana Lucía", "Pérez", "Gómez",
     "2008-02-11", "DUI 01234567-8", "+503 7000 1111", ""],
    ["FGR-P-001", "P-200", "SUSPECT", "M", "1979", "SV", "", "", "José", "Hernández", "López", "", "", "", ""],
    # The same suspect in a second case: one person, two roles.
    ["FGR-P-002", "P-200", "DEFENDANT", "Masculino", "1979", "SV", "", "", "", "", "", "", "", "", ""],
]  # fmt: skip


def _workbook(*sheets: tuple[str, list[list[str]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(row) for row in rows).encode("utf-8")


def _import(user: User, data: bytes, name: str, *, dry_run: bool = False) -> imports.ImportReport:
    return imports.run_import(by=user, data=data, file_name=name, dry_run=dry_run)


def test_a_workbook_brings_cases_and_their_persons_and_a_second_run_changes_nothing(prosecutor: User) -> None:
    data = _workbook(("expedientes", CASES), ("personas", PERSONS))
    checked = _import(prosecutor, data, "f.xlsx", dry_run=True)
    assert checked.ok, checked.problems
    assert (checked.created, checked.persons_created) == (2, 2)
    assert not Person.objects.exists()
    report = _import(prosecutor, data, "f.xlsx")
    # P-200's second row adds a role to a person the file has just created: an update.
    assert (report.created, report.persons_created, report.persons_updated) == (2, 2, 1)
    suspect = Person.objects.get(reference="P-200")
    assert sorted(suspect.parties.values_list("role__code", flat=True)) == ["DEFENDANT", "SUSPECT"]
    victim = Person.objects.get(reference="P-100")
    assert victim.birth_year == 2008, "the year comes from the exact date, which stays sealed"
    assert sorted(victim.citizenships.values_list("iso2", flat=True)) == ["GT", "SV"]
    sealed = PersonIdentity.objects.get(person=victim)
    assert "Pérez" not in sealed.first_surname
    assert sealed.first_surname.startswith("vault1.")
    found = selectors.people_search(prosecutor, "ana lucia perez")
    assert [party.person_id for party in found] == [victim.pk]
    assert [party.person_id for party in selectors.people_search(prosecutor, "7000-1111")] == [victim.pk]
    again = _import(prosecutor, data, "f.xlsx")
    assert (again.created, again.persons_created, again.persons_updated, again.persons_unchanged) == (0, 0, 0, 3)
    assert CaseParty.objects.count() == 3


def test_a_changed_phone_updates_the_sealed_identity_and_the_search(prosecutor: User) -> None:
    _import(prosecutor, _workbook(("expedientes", CASES), ("personas", PERSONS)), "f.xlsx")
    rows = [list(row) for row in PERSONS[:2]]
    rows[1][13] = "+503 7999 2222"
    report = _import(prosecutor, _csv(rows), "personas.csv")
    assert report.ok, report.problems
    assert (report.persons_updated, report.persons_unchanged) == (1, 0)
    victim = Person.objects.get(reference="P-100")
    assert parties.unseal_identity(victim.pk).phones == "+503 7999 2222"
    assert parties.unseal_identity(victim.pk).given_names == "Ana Lucía", "cells not changed keep their values"
    assert not selectors.people_search(prosecutor, "70001111").exists()
    assert selectors.people_search(prosecutor, "79992222").exists()
    entry = AuditEntry.objects.filter(action="case.person_updated").get()
    assert entry.data == {"fields": ["identity"]}, "the audit names what changed, never the values"


def test_bad_person_rows_are_reported_by_table_row_and_column_and_nothing_is_stored(prosecutor: User) -> None:
    rows = [
        PERSONS[0],
        ["FGR-P-001", "P-1", "ASTRONAUT", "F", "", "", "", "", "", "", "", "", "", "", ""],
        ["FGR-P-001", "P-2", "VICTIM", "F", "18o5", "XX;SV", "200", "", "", "", "", "2030-13-01", "", "", ""],
        ["FGR-NOPE", "P-3", "VICTIM", "F", "", "", "", "", "", "", "", "", "", "", ""],
        ["FGR-P-001", "P-4", "VICTIM", "F", "", "", "", "", "", "", "", "", "", "", ""],
        ["FGR-P-001", "P-4", "VICTIM", "F", "", "", "", "", "", "", "", "", "", "", ""],
        ["FGR-P-001", "P-5", "VICTIM", "F", "", "", "", "", "", "", "", "2999-01-01", "", "", ""],
    ]
    data = _workbook(("expedientes", CASES), ("personas", rows))
    with translation.override("en"):
        report = _import(prosecutor, data, "f.xlsx")
    found = {(problem.sheet, problem.row, problem.column) for problem in report.problems}
    assert {
        ("persons", 2, "role"),
        ("persons", 3, "birth_year"),
        ("persons", 3, "citizenships"),
        ("persons", 3, "age_at_identification"),
        ("persons", 3, "birth_date"),
        ("persons", 4, "national_case_number"),
        ("persons", 6, "national_case_number"),
        ("persons", 7, "birth_date"),
    } <= found
    assert any("XX" in problem.reason for problem in report.problems)
    assert not Case.objects.exists(), "the cases sheet was fine, but the file is all or nothing"
    assert not Person.objects.exists()


def test_persons_of_a_case_one_may_not_change_are_refused(prosecutor: User, colleague: User) -> None:
    imports.run_import(by=colleague, data=_csv(CASES), file_name="c.csv", dry_run=False)
    with translation.override("en"):
        report = _import(prosecutor, _csv(PERSONS[:2]), "personas.csv")
    assert [(problem.row, problem.column) for problem in report.problems] == [(2, "national_case_number")]
    assert "team" in report.problems[0].reason


def test_a_workbook_with_an_unknown_sheet_is_refused(prosecutor: User) -> None:
    data = _workbook(("expedientes", CASES), ("notas", [["a"], ["b"]]))
    with translation.override("en"), pytest.raises(tabular.FileProblem, match="unknown sheet"):
        _import(prosecutor, data, "f.xlsx")


def test_the_pseudonymous_export_reimports_without_erasing_identities(prosecutor: User) -> None:
    _import(prosecutor, _workbook(("expedientes", CASES), ("personas", PERSONS)), "f.xlsx")
    cases = Case.objects.order_by("national_number")
    export = imports.export_person_rows(by=prosecutor, cases=cases)
    assert all(not row.get("given_names") for row in export.rows)
    data = tabular.write_xlsx(imports.export_rows(cases), language="en", persons=export.rows)
    report = _import(prosecutor, data, "export.xlsx")
    assert report.ok, report.problems
    assert (report.unchanged, report.persons_updated, report.persons_unchanged) == (2, 0, 3)
    assert parties.unseal_identity(Person.objects.get(reference="P-100").pk).first_surname == "Pérez"


def test_import_of_an_export_with_identities_is_the_same_persons(prosecutor: User) -> None:
    _import(prosecutor, _workbook(("expedientes", CASES), ("personas", PERSONS)), "f.xlsx")
    cases = Case.objects.order_by("national_number")
    before = imports.export_person_rows(by=prosecutor, cases=cases, reveal_reason="Traslado al sistema nacional")
    assert (before.revealed, before.masked) == (3, 0)
    text = "".join(tabular.write_csv(before.rows, language="es", template=tabular.PERSONS))
    table = imports.read_table(text.encode("utf-8"), "personas.csv")
    parsed = tabular.parse(
        table, codes=imports.code_tables(), template=tabular.PERSONS, countries=frozenset({"SV", "GT"})
    )
    assert not parsed.problems
    again = [{key: value for key, value in row.items() if key != "_row"} for row in parsed.rows]
    for row in again:
        row["birth_date"] = row["birth_date"].isoformat() if row["birth_date"] else ""
    assert again == before.rows
    report = _import(prosecutor, text.encode("utf-8"), "personas.csv")
    assert (report.persons_updated, report.persons_unchanged) == (0, 3)


def test_identities_in_an_export_follow_the_reveal_rules(prosecutor: User, colleague: User) -> None:
    _import(prosecutor, _workbook(("expedientes", CASES), ("personas", PERSONS)), "f.xlsx")
    case = Case.objects.get(national_number="FGR-P-001")
    case_files.assign(by=prosecutor, case=case, person=colleague, role="member")
    export = imports.export_person_rows(
        by=colleague, cases=Case.objects.filter(pk=case.pk), reveal_reason="Preparar la audiencia"
    )
    by_reference = {row["reference"]: row for row in export.rows}
    assert by_reference["P-200"]["first_surname"] == "Hernández"
    assert not by_reference["P-100"].get("first_surname"), "a child victim's identity is for the lead only"
    assert (export.revealed, export.masked) == (1, 1)


def test_the_persons_export_page_needs_a_reason_for_identities_and_is_audited(client: Client, prosecutor: User) -> None:
    _import(prosecutor, _workbook(("expedientes", CASES), ("personas", PERSONS)), "f.xlsx")
    client.force_login(prosecutor)
    plain = client.get(reverse("cases:export_persons"), {"lang": "en"})
    body = plain.content.decode("utf-8")
    assert body.lstrip("\ufeff").startswith("national_case_number,person_reference,role")
    assert "Pérez" not in body
    refused = client.post(reverse("cases:export_persons"), {"reason": "x"})
    assert refused.status_code == 302
    full = client.post(reverse("cases:export_persons"), {"reason": "Traslado al sistema nacional", "lang": "es"})
    assert "Pérez" in full.content.decode("utf-8")
    assert "no-store" in full["Cache-Control"]
    entries = list(AuditEntry.objects.filter(action="case.persons_exported").order_by("seq"))
    assert [entry.data.get("identities") for entry in entries] == [0, 3]
    assert entries[1].data["reason"] == "Traslado al sistema nacional"


def test_persons_entered_on_the_node_come_back_to_themselves(prosecutor: User) -> None:
    from vinculo.cases.tests.factories import code, open_case

    case = open_case(prosecutor, "FGR-UI-1")
    parties.add_party(
        by=prosecutor,
        case=case,
        role=code("party_role", "WITNESS"),
        sex=code("sex", "F"),
        identity=parties.Identity(given_names="Marta", first_surname="Ruiz"),
    )
    export = imports.export_person_rows(by=prosecutor, cases=Case.objects.all(), reveal_reason="Copia de respaldo")
    text = "".join(tabular.write_csv(export.rows, language="en", template=tabular.PERSONS))
    report = _import(prosecutor, text.encode("utf-8"), "persons.csv")
    assert report.ok, report.problems
    assert (report.persons_created, report.persons_updated, report.persons_unchanged) == (0, 0, 1)
    assert Person.objects.count() == 1


def test_an_update_by_import_keeps_what_the_file_has_no_column_for(prosecutor: User) -> None:
    _import(prosecutor, _workbook(("expedientes", CASES), ("personas", PERSONS)), "f.xlsx")
    victim = Person.objects.get(reference="P-100")
    stored = parties.unseal_identity(victim.pk)
    parties.store_identity(victim, dataclasses.replace(stored, vehicle_plates="SV P 12345"))
    rows = [list(row) for row in PERSONS[:2]]
    rows[1][13] = "+503 7999 2222"
    assert _import(prosecutor, _csv(rows), "personas.csv").ok
    assert parties.unseal_identity(victim.pk).vehicle_plates == "SV P 12345"
    assert parties.unseal_identity(victim.pk).phones == "+503 7999 2222"
