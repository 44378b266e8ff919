"""Adding legal provisions from a CSV file: checked first, then all or nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from vinculo.accounts.models import User
from vinculo.audit.models import AuditEntry
from vinculo.core.errors import AccessDenied
from vinculo.reference import services
from vinculo.reference.models import LegalProvision
from vinculo.reference.tests.factories import add_provision

IMPORT = reverse("reference:provision_import")
GOOD = (
    "instrument;article;title_es;title_en;iccs_code;crime_family\n"
    "Código Penal;367-A;Tráfico ilegal de personas;Smuggling of migrants;08051;SOM\n"
    "Ley Especial contra la Trata de Personas;Art. 54;Trata de personas;Trafficking in persons;02041;"
    "Trata de personas\n"  # the crime family by its name
)


def _upload(text: str, *, check_only: bool) -> dict[str, object]:
    data: dict[str, object] = {"file": SimpleUploadedFile("leyes.csv", text.encode("utf-8"), "text/csv")}
    if check_only:
        data["check_only"] = "on"
    return data


def test_a_check_stores_nothing_and_the_import_stores_every_line(client: Client, node_admin: User) -> None:
    client.force_login(node_admin)
    checked = client.post(IMPORT, _upload(GOOD, check_only=True))
    assert checked.status_code == 200
    assert checked.context["report"].added == [
        "Código Penal, art. 367-A",
        "Ley Especial contra la Trata de Personas, art. 54",
    ]
    assert not LegalProvision.objects.exists()
    assert not AuditEntry.objects.filter(action="reference.provision_added").exists()

    imported = client.post(IMPORT, _upload(GOOD, check_only=False))
    assert imported.status_code == 302
    stored = LegalProvision.objects.order_by("article")
    assert [(p.country.iso2, p.article, p.iccs_code, p.crime_family.code) for p in stored] == [
        ("SV", "367-A", "08051", "SOM"),
        ("SV", "54", "02041", "TIP"),
    ]
    entries = AuditEntry.objects.filter(action="reference.provision_added")
    assert sorted(entry.data["provision"] for entry in entries) == [str(p) for p in stored]
    assert {entry.data["source"] for entry in entries} == {"file"}


def test_one_bad_line_stores_nothing_and_every_problem_is_named_with_its_line(client: Client, node_admin: User) -> None:
    add_provision(node_admin, instrument="Código Penal", article="367-A", iccs_code="08051",
                  crime_family=services.selectors.codes_of("crime_family").get(code="SOM"))  # fmt: skip
    text = (
        "iccs_code,crime_family,instrument,article,title_es,title_en\n"  # any column order
        "02042,TIP,Ley Especial contra la Trata de Personas,55,Trata laboral,Labour trafficking\n"  # fine alone
        "08051,SOM,Código Penal,367-A,Tráfico,Smuggling\n"  # already in the list
        "0805,SOM,Código Penal,367-B,Tráfico agravado,Aggravated smuggling\n"  # not a smuggling code
        "02041,TRATA,Ley Especial contra la Trata de Personas,56,Trata,Trafficking\n"  # unknown family
        "02042,TIP,Ley Especial contra la Trata de Personas,art. 55,Otra vez,Again\n"  # twice in the file
        "\n"
        "2041,TIP,Código Penal,202,,Trafficking\n"  # leading zero lost, title missing
    )
    client.force_login(node_admin)
    with translation.override("en"):
        report = services.import_legal_provisions(by=node_admin, rows=_rows(text), check_only=False)
    lines = [line for line, _problem in report.problems]
    assert lines == [3, 4, 5, 6, 8, 8]
    assert report.added == []
    assert "Article: This article of this law is already in the list" in report.problems[0][1]
    assert "ICCS code: ICCS codes of “Smuggling of migrants” start with 08051" in report.problems[1][1]
    assert "“TRATA” is not a crime family" in report.problems[2][1]
    response = client.post(IMPORT, _upload(text, check_only=False))
    assert response.status_code == 400
    assert [line for line, _problem in response.context["report"].problems] == lines
    assert LegalProvision.objects.count() == 1
    assert AuditEntry.objects.filter(action="reference.provision_added").count() == 1


def _rows(text: str) -> list[tuple[int, dict[str, str]]]:
    from vinculo.reference.forms import ProvisionImportForm

    form = ProvisionImportForm({}, {"file": SimpleUploadedFile("f.csv", text.encode())})
    assert form.is_valid(), form.errors
    return form.cleaned_data["file"]


@pytest.mark.parametrize(
    "content",
    [
        b"instrument;article;title_es\nCodigo Penal;1;x\n",  # columns missing
        b"",  # empty
        b"instrument,article,title_es,title_en,iccs_code,crime_family\n",  # no provision
        "instrument,article\nCódigo".encode("latin-1"),  # not UTF-8
    ],
)
def test_a_file_that_cannot_be_used_is_refused_whole(client: Client, node_admin: User, content: bytes) -> None:
    client.force_login(node_admin)
    response = client.post(IMPORT, {"file": SimpleUploadedFile("x.csv", content)})
    assert response.status_code == 400
    assert "file" in response.context["form"].errors
    assert not LegalProvision.objects.exists()


def test_only_node_administrators_import(client: Client, prosecutor: User) -> None:
    client.force_login(prosecutor)
    assert client.get(IMPORT).status_code == 403
    assert client.post(IMPORT, _upload(GOOD, check_only=False)).status_code == 403
    with pytest.raises(AccessDenied):
        services.import_legal_provisions(by=prosecutor, rows=[], check_only=True)
    assert not LegalProvision.objects.exists()
