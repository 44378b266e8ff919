"""Case documents: sealed in the vault, opened by the case team only, every opening audited."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import CaseDocument
from vinculo.cases.services import case_files, parties
from vinculo.cases.services import documents as services
from vinculo.cases.tests.factories import code, open_case
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.vault import crypto

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def case_with_people(prosecutor: User, colleague: User, victim_care: User, judge: User):
    case = open_case(prosecutor)
    case_files.assign(by=prosecutor, case=case, person=colleague, role="member")
    case_files.assign(by=prosecutor, case=case, person=victim_care, role="victim_care")
    case_files.assign(by=prosecutor, case=case, person=judge, role="judge")
    child = parties.add_party(
        by=prosecutor,
        case=case,
        role=code("party_role", "VICTIM"),
        sex=code("sex", "F"),
        identity=parties.Identity(given_names="Lucía", first_surname="Martínez"),
        age_at_identification=15,
    )
    suspect = parties.add_party(
        by=prosecutor,
        case=case,
        role=code("party_role", "SUSPECT"),
        sex=code("sex", "M"),
        identity=parties.Identity(given_names="Carlos", first_surname="Ramírez"),
    )
    return case, child, suspect


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF, "application/pdf"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 16, "image/jpeg"),
        (PNG, "image/png"),
        ("Declaración de la víctima".encode(), "text/plain"),
        (b"MZ\x90\x00\x03\x00", None),  # a Windows executable
        (b"PK\x03\x04 not really a zip", None),
        (b"<svg onload=alert(1)>\x00", None),
        ("caf\xe9".encode("latin-1"), None),  # not UTF-8 text
    ],
)
def test_the_file_type_comes_from_the_content(data: bytes, expected: str | None) -> None:
    assert services.detect_media_type(data) == expected


def test_office_files_are_recognised_inside_their_zip() -> None:
    assert services.detect_media_type(_docx()).endswith("wordprocessingml.document")


def test_a_document_is_stored_only_sealed_and_opened_with_an_audit(case_with_people, prosecutor: User) -> None:
    case, _child, suspect = case_with_people
    document = services.add_document(
        by=prosecutor, case=case, kind="police_report", title="Informe policial", file_name="informe-ramirez.pdf",
        data=PDF, party=suspect,
    )  # fmt: skip
    stored = CaseDocument.objects.get(pk=document.pk)
    assert stored.content.startswith("vault1.")
    assert b"PDF" not in stored.content.encode()
    assert "ramirez" not in stored.file_name
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    opened = services.open_document(by=prosecutor, document=stored)
    assert opened.content == PDF
    assert opened.file_name == "informe-ramirez.pdf"
    assert opened.media_type == "application/pdf"
    assert AuditEntry.objects.filter(action="case.document_opened").count() == 1
    # A token moved to another document's row does not open there (the vault binds it to its place).
    other = services.add_document(by=prosecutor, case=case, kind="other", title="Otro", file_name="b.txt", data=b"hola")
    CaseDocument.objects.filter(pk=other.pk).update(content=stored.content)
    with pytest.raises(crypto.VaultError):
        services.open_document(by=prosecutor, document=CaseDocument.objects.get(pk=other.pk))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": b""}, services.EMPTY),
        ({"data": b"%PDF-" + b"0" * services.MAX_BYTES}, services.TOO_LARGE),
        ({"data": b"MZ\x90\x00"}, services.UNKNOWN_TYPE),
        ({"title": "  "}, services.TITLE_NEEDED),
        ({"kind": "photo"}, services.PHOTO_NEEDS_PERSON),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(case_with_people, prosecutor: User, kwargs, message) -> None:
    case, _child, _suspect = case_with_people
    values = {"kind": "other", "title": "Algo", "file_name": "x.pdf", "data": PDF, **kwargs}
    with pytest.raises(DomainError) as refused:
        services.add_document(by=prosecutor, case=case, **values)
    assert refused.value.message == message
    assert not CaseDocument.objects.exists()
    assert not AuditEntry.objects.filter(action="case.document_added").exists()


def test_a_child_victims_photo_follows_the_identity_rules(
    case_with_people, prosecutor: User, colleague: User, victim_care: User, judge: User, analyst: User
) -> None:
    case, child, _suspect = case_with_people
    photo = services.add_document(
        by=victim_care, case=case, kind="photo", title="Fotografía", file_name="foto.png", data=PNG, party=child
    )
    with pytest.raises(DomainError):  # no reason given
        services.open_document(by=prosecutor, document=photo)
    assert services.open_document(by=prosecutor, document=photo, reason="Reconocimiento en audiencia").content == PNG
    assert services.open_document(by=victim_care, document=photo, reason="Seguimiento del albergue").content == PNG
    for outsider in (colleague, judge, analyst):  # a team member (not lead), a judge, someone off the team
        with pytest.raises(AccessDenied):
            services.open_document(by=outsider, document=photo, reason="Quiero ver la foto, por favor")
    reasons = [entry.data["reason"] for entry in AuditEntry.objects.filter(action="case.document_opened")]
    assert sorted(reasons) == ["Reconocimiento en audiencia", "Seguimiento del albergue"]


def test_victim_care_adds_documents_about_victims_only(case_with_people, victim_care: User) -> None:
    case, _child, suspect = case_with_people
    with pytest.raises(AccessDenied):
        services.add_document(
            by=victim_care, case=case, kind="other", title="Nota", file_name="n.txt", data=b"nota", party=suspect
        )
    with pytest.raises(AccessDenied):
        services.add_document(by=victim_care, case=case, kind="other", title="Nota", file_name="n.txt", data=b"nota")


def test_a_withdrawn_document_loses_its_content_but_keeps_its_record(case_with_people, prosecutor: User) -> None:
    case, _child, _suspect = case_with_people
    document = services.add_document(
        by=prosecutor, case=case, kind="other", title="Error", file_name="equivocado.txt", data=b"equivocado"
    )
    with pytest.raises(DomainError):
        services.withdraw_document(by=prosecutor, document=document, reason="no")
    services.withdraw_document(by=prosecutor, document=document, reason="Archivo de otro expediente")
    stored = CaseDocument.objects.get(pk=document.pk)
    assert stored.content == ""
    assert stored.file_name == ""
    assert stored.is_withdrawn
    assert stored.sha256 == hashlib.sha256(b"equivocado").hexdigest()
    with pytest.raises(DomainError) as refused:
        services.open_document(by=prosecutor, document=stored)
    assert refused.value.message == services.WITHDRAWN


def test_rotation_reseals_documents_and_they_still_open(case_with_people, prosecutor: User) -> None:
    case, _child, _suspect = case_with_people
    document = services.add_document(
        by=prosecutor, case=case, kind="court_document", title="Sentencia", file_name="s.pdf", data=PDF
    )
    before = CaseDocument.objects.get(pk=document.pk).content
    call_command("vault", "rotate", stdout=io.StringIO())
    after = CaseDocument.objects.get(pk=document.pk)
    assert crypto.key_id_of(after.content) != crypto.key_id_of(before)
    assert services.open_document(by=prosecutor, document=after).content == PDF


def test_documents_through_the_pages(client, case_with_people, prosecutor: User, victim_care: User) -> None:
    case, child, _suspect = case_with_people
    client.force_login(prosecutor)
    url = reverse("cases:document_add", args=[case.pk])
    refused = client.post(
        url, {"kind": "other", "title": "Programa", "file": SimpleUploadedFile("run.exe", b"MZ\x90\x00")}
    )
    assert refused.status_code == 400
    assert "no se acepta" in refused.content.decode()
    added = client.post(
        url,
        {"kind": "statement", "title": "Declaración", "party": child.pk, "file": SimpleUploadedFile("d.pdf", PDF)},
    )
    assert added.status_code == 302
    document = CaseDocument.objects.get()
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Declaración" in page
    assert "d.pdf" not in page
    download = client.post(reverse("cases:document_open", args=[case.pk, document.pk]), {"reason": "Preparar juicio"})
    assert download.status_code == 200
    assert download.content == PDF
    assert download["Content-Disposition"].startswith("attachment")
    assert download["Content-Type"] == "application/pdf"
    assert "no-store" in download["Cache-Control"]
    client.force_login(victim_care)
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Declaración" in page  # a document about a victim: victim care sees it
