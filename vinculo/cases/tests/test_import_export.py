"""Import and export of case files: dry run by row and column, all or nothing, upsert, round trip."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from vinculo.accounts.models import User
from vinculo.audit.models import AuditEntry
from vinculo.cases import tabular
from vinculo.cases.models import Case, PendingImport
from vinculo.cases.services import imports
from vinculo.cases.tests.factories import open_case

GOOD_ES = (
    "numero_expediente,delito,etapa,fecha_denuncia,origen,crimen_organizado,resumen\n"
    "FGR-IMP-001,Trata de personas,Investigación preliminar,2025-03-04,POLICE_OPERATION,SÍ,Oferta de empleo falsa\n"
    'FGR-IMP-002,SOM,TRIAL,2024-11-30,,,=HYPERLINK("x")\n'
)


def _run(user: User, text: str, *, dry_run: bool, name: str = "cases.csv") -> imports.ImportReport:
    return imports.run_import(by=user, data=text.encode("utf-8"), file_name=name, dry_run=dry_run)


def test_a_dry_run_stores_nothing_and_the_real_run_stores_everything(prosecutor: User) -> None:
    report = _run(prosecutor, GOOD_ES, dry_run=True)
    assert report.ok, report.problems
    assert (report.created, report.updated) == (2, 0)
    assert not Case.objects.exists()
    report = _run(prosecutor, GOOD_ES, dry_run=False)
    assert report.created == 2
    first = Case.objects.get(national_number="FGR-IMP-001")
    assert first.crime_family.code == "TIP", "labels in Spanish are accepted"
    assert first.organized_crime.code == "YES"
    assert first.trafficker_organization.code == "NK", "a missing column takes its 'not known' default"
    assert AuditEntry.objects.get(action="case.imported").data["created"] == 2


def test_importing_the_same_file_twice_changes_nothing(prosecutor: User) -> None:
    _run(prosecutor, GOOD_ES, dry_run=False)
    versions = dict(Case.objects.values_list("national_number", "version"))
    report = _run(prosecutor, GOOD_ES, dry_run=False)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert dict(Case.objects.values_list("national_number", "version")) == versions


def test_every_problem_is_reported_by_row_and_column(prosecutor: User) -> None:
    text = (
        "national_case_number,crime,stage,reported_on,closure_type,closed_on,visibility\n"
        "A-1,TIP,NOT_A_STAGE,2025-02-30,,,team\n"
        "A-2,MURDER,TRIAL,2025-01-01,,,everyone\n"
        "A-1,TIP,TRIAL,,,,team\n"
        ",TIP,TRIAL,,,,team\n"
        "A-5,TIP,TRIAL,2025-01-01,,2025-02-01,team\n"
    )
    report = _run(prosecutor, text, dry_run=True)
    found = {(p.row, p.column) for p in report.problems}
    assert {(2, "stage"), (2, "reported_on"), (3, "crime"), (3, "visibility"), (4, "national_case_number"),
            (5, "national_case_number"), (6, "closure_type")} <= found  # fmt: skip
    assert not Case.objects.exists()
    # The real run of a file with problems stores nothing either.
    assert not _run(prosecutor, text, dry_run=False).ok
    assert not Case.objects.exists()
    assert not AuditEntry.objects.filter(action="case.opened").exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\xff\xfe\x00garbage", "cases.csv", "not UTF-8"),
        (b"PK\x03\x04 not really a workbook", "cases.xlsx", "not an Excel workbook"),
        (b"delito,etapa\nTIP,TRIAL\n", "cases.csv", "missing columns: national_case_number"),
        (b"national_case_number,crime,stage,colour\nA,TIP,TRIAL,red\n", "cases.csv", "unknown columns: colour"),
        (b"", "cases.csv", "empty"),
    ],
)
def test_unusable_files_get_a_clear_reason(prosecutor: User, data: bytes, name: str, message: str) -> None:
    with translation.override("en"), pytest.raises(tabular.FileProblem, match=message):
        imports.run_import(by=prosecutor, data=data, file_name=name, dry_run=True)


def test_a_huge_file_is_refused_before_reading(prosecutor: User) -> None:
    with translation.override("en"), pytest.raises(tabular.FileProblem, match="larger than 20 MB"):
        tabular.read_csv(b"x" * (tabular.MAX_BYTES + 1))
    with pytest.raises(tabular.FileProblem, match="pesa más de 20 MB"):  # in the importer's language
        tabular.read_csv(b"x" * (tabular.MAX_BYTES + 1))


def test_cases_the_importer_may_not_change_are_reported(prosecutor: User, colleague: User) -> None:
    open_case(colleague, "FGR-IMP-001")
    report = _run(prosecutor, GOOD_ES, dry_run=True)
    assert [(p.row, p.column) for p in report.problems] == [(2, "national_case_number")]


@pytest.mark.parametrize(("file_format", "language"), [("csv", "es"), ("csv", "en"), ("xlsx", "es"), ("xlsx", "en")])
def test_import_of_an_export_is_the_same_cases(prosecutor: User, file_format: str, language: str) -> None:
    _run(prosecutor, GOOD_ES, dry_run=False)
    open_case(prosecutor, "FGR-EXP-9", summary='línea con acentos, comas y "comillas"\notra línea', visibility="office")
    before = imports.export_rows(Case.objects.order_by("national_number"))
    if file_format == "csv":
        data = "".join(tabular.write_csv(before, language=language)).encode("utf-8")
    else:
        data = tabular.write_xlsx(before, language=language)
    table = imports.read_table(data, f"export.{file_format}")
    parsed = tabular.parse(table, codes=imports.code_tables())
    assert not parsed.problems
    again = [{k: v for k, v in row.items() if k != "_row"} for row in parsed.rows]
    assert again == before
    report = imports.run_import(by=prosecutor, data=data, file_name=f"export.{file_format}", dry_run=False)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)


def test_the_pages_check_then_import(client: Client, prosecutor: User) -> None:
    client.force_login(prosecutor)
    upload = SimpleUploadedFile("cases.csv", GOOD_ES.encode("utf-8"), content_type="text/csv")
    response = client.post(reverse("cases:import"), {"file": upload})
    assert response.status_code == 200
    assert not Case.objects.exists()
    pending = PendingImport.objects.get()
    response = client.post(reverse("cases:import_confirm", args=[pending.pk]))
    assert response.status_code == 302
    assert Case.objects.count() == 2
    assert not PendingImport.objects.exists()
    bad = SimpleUploadedFile(
        "cases.csv", b"national_case_number,crime,stage\nX,MURDER,TRIAL\n", content_type="text/csv"
    )
    response = client.post(reverse("cases:import"), {"file": bad})
    assert response.status_code == 400
    assert "MURDER" in response.content.decode()


def test_export_is_audited_and_covers_only_visible_cases(client: Client, prosecutor: User, colleague: User) -> None:
    open_case(prosecutor, "MINE-1")
    open_case(colleague, "THEIRS-1")
    client.force_login(prosecutor)
    response = client.get(reverse("cases:export_csv"), {"lang": "en"})
    body = response.content.decode("utf-8")
    assert "MINE-1" in body
    assert "THEIRS-1" not in body
    assert body.lstrip("\ufeff").startswith("national_case_number,crime,")
    assert AuditEntry.objects.get(action="case.exported").data == {"format": "csv", "cases": 1}
    xlsx = client.get(reverse("cases:export_xlsx"))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    assert sheet["A1"].value == "numero_expediente"


def test_the_published_template_matches_the_code() -> None:
    import re
    from pathlib import Path

    document = (Path(__file__).resolve().parents[3] / "docs" / "case-import-template.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- columns:start -->\n(.*?)<!-- columns:end -->", document, re.S)
    assert block is not None
    assert block.group(1).strip() == tabular.template_markdown().strip()
    persons = re.search(r"<!-- person-columns:start -->\n(.*?)<!-- person-columns:end -->", document, re.S)
    assert persons is not None
    assert persons.group(1).strip() == tabular.template_markdown(tabular.PERSONS).strip()
