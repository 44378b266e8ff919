"""An answer with a file: encrypted in chunks before the answer, verified on arrival, opened by who may see it."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.core.errors import DomainError
from vinculo.exchanges import selectors, wire
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import ExchangeFile, InformationRequest
from vinculo.exchanges.services import requests
from vinculo.exchanges.services.files import media_type_of
from vinculo.exchanges.tests.test_pages import compose
from vinculo.exchanges.tests.test_requests import copies, deliver_all, draft
from vinculo.federation import blobs
from vinculo.messaging import network
from vinculo.messaging.services import attachments
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture
from vinculo.messaging.tests.test_attachments import FakeTransport, transport  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
REPORT = ("Informe migratorio (documento sintético de demostración)\n" * 2000).encode()


def test_an_answer_brings_a_file_that_only_the_requesters_may_open(
    net: FakeNetwork,  # noqa: F811
    transport: FakeTransport,  # noqa: F811
    prosecutor: User,
    colleague: User,
) -> None:
    gt_desk = UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=prosecutor, draft=draft())
        request = requests.send_request(by=prosecutor, request=request, expected_version=request.version)
    deliver_all(net)
    _outgoing, incoming = copies(request)
    with net.as_node("GT-MP"):
        prepared = attachments.prepare(
            io.BytesIO(REPORT), size=len(REPORT), name="informe_migratorio.txt", media_type="text/plain",
            chunk_size=blobs.MIN_CHUNK_SIZE,
        )  # fmt: skip
        requests.answer(
            by=gt_desk, request=incoming, expected_version=incoming.version, text="Adjuntamos el informe.",
            is_complete=True, attachments=[prepared],
        )  # fmt: skip
    assert len(transport.puts) == 0  # nothing leaves before the worker runs
    deliver_all(net)
    assert len(transport.puts) > 1  # in several chunks
    outgoing, incoming = copies(request)
    received = ExchangeFile.objects.get(request=outgoing)
    assert received.is_received
    assert (received.name, received.size, received.media_type) == ("informe_migratorio.txt", len(REPORT), "text/plain")
    assert received.answer == outgoing.answers.get()
    sent = ExchangeFile.objects.get(request=incoming)
    assert not sent.is_received
    assert sent.sha256 == received.sha256

    visible = selectors.request_for(prosecutor, outgoing.pk)
    with requests.open_file(by=prosecutor, file=visible.files.get()) as stream:
        assert stream.read() == REPORT
    assert AuditEntry.objects.filter(action="exchange.file_opened", actor=prosecutor).exists()
    with pytest.raises(DomainError) as not_here:
        requests.open_file(by=gt_desk, file=sent)
    assert not_here.value.code == "not_kept_here"
    assert not selectors.requests_visible_to(colleague).filter(pk=outgoing.pk).exists()


def test_the_api_lists_and_streams_a_received_file(
    client: object,
    net: FakeNetwork,  # noqa: F811
    transport: FakeTransport,  # noqa: F811
    prosecutor: User,
) -> None:
    from django.test import Client

    from vinculo.exchanges.tests.test_api import token_for

    assert isinstance(client, Client)
    gt_desk = UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=prosecutor, draft=draft())
        request = requests.send_request(by=prosecutor, request=request, expected_version=request.version)
    deliver_all(net)
    _outgoing, incoming = copies(request)
    with net.as_node("GT-MP"):
        prepared = attachments.prepare(
            io.BytesIO(REPORT), size=len(REPORT), name="informe.txt", media_type="text/plain"
        )
        requests.answer(
            by=gt_desk, request=incoming, expected_version=incoming.version, text="Va el informe.", is_complete=True,
            attachments=[prepared],
        )  # fmt: skip
    deliver_all(net)
    headers = token_for(prosecutor)
    body = client.get(f"/api/v1/exchanges/requests/{request.pk}", headers=headers).json()
    file = body["answers"][0]["files"][0]
    assert (file["name"], file["received"]) == ("informe.txt", True)
    download = client.get(f"/api/v1/exchanges/requests/{request.pk}/files/{file['id']}", headers=headers)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == REPORT  # type: ignore[attr-defined]
    missing = client.get(f"/api/v1/exchanges/requests/{request.pk}/files/{incoming.pk}", headers=headers)
    assert missing.status_code == 404


# --- files chosen in the pages and sent through the API ---------------------------------------------

PDF = b"%PDF-1.7\n" + b"synthetic demonstration report\n" * 300 + b"%%EOF\n"


@pytest.mark.parametrize(
    ("head", "complete", "expected"),
    [
        (b"%PDF-1.7\n...", True, "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", True, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", True, "image/jpeg"),
        (b"PK\x03\x04\x14\x00", True, "application/zip"),
        ("Informe de situación\n".encode(), True, "text/plain"),
        ("Informe ñ".encode()[:-1], False, "text/plain"),  # a character cut where the head ends
        ("Informe ñ".encode()[:-1], True, "application/octet-stream"),  # the whole file: not text
        (b"MZ\x90\x00\x03\x00", True, "application/octet-stream"),  # a program, whatever its name says
        (b"", True, "application/octet-stream"),
    ],
)
def test_the_media_type_comes_from_the_content(head: bytes, complete: bool, expected: str) -> None:
    assert media_type_of(head, complete=complete) == expected


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_files_chosen_in_the_pages_go_with_the_request_and_the_answer(
    net: FakeNetwork,  # noqa: F811
    transport: FakeTransport,  # noqa: F811
    prosecutor: User,
) -> None:
    gt_desk = UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)
    sv, gt = _signed_in(prosecutor), _signed_in(gt_desk)
    with net.as_node("SV-FGR"):
        response = sv.post(
            reverse("exchanges:request_create"),
            {**compose(), "files": [SimpleUploadedFile("pasaporte.exe.pdf", PDF, content_type="application/x-evil")]},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    deliver_all(net)
    outgoing = InformationRequest.objects.get(side=Side.OUTGOING)
    incoming = InformationRequest.objects.get(side=Side.INCOMING)
    sent = ExchangeFile.objects.get(request=outgoing)
    arrived = ExchangeFile.objects.get(request=incoming)
    assert (sent.answer, sent.is_received) == (None, False)
    # The type is the content's, not what the browser said.
    assert (arrived.name, arrived.media_type, arrived.size) == ("pasaporte.exe.pdf", "application/pdf", len(PDF))
    assert arrived.is_received
    assert arrived.answer is None
    assert arrived.sha256 == sent.sha256

    with net.as_node("GT-MP"):
        page = gt.get(reverse("exchanges:request_detail", args=[incoming.pk]))
        link = reverse("exchanges:request_file", args=[incoming.pk, arrived.pk])
        assert link in page.content.decode()
        download = gt.get(link)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
        assert download["Cache-Control"] == "no-store, private"
        assert AuditEntry.objects.filter(action="exchange.file_opened", actor=gt_desk).count() == 1
        incoming.refresh_from_db()
        answered = gt.post(
            reverse("exchanges:request_step", args=[incoming.pk, "answer"]),
            {
                "version": incoming.version, "text": "Adjuntamos el informe.", "completeness": "complete",
                "language": "es", "files": [
                    SimpleUploadedFile("informe.txt", REPORT), SimpleUploadedFile("foto.png", b"\x89PNG\r\n\x1a\nxx"),
                ],
            },
        )  # fmt: skip
        assert answered.status_code == 302
    deliver_all(net)
    answer_files = ExchangeFile.objects.filter(request=outgoing, answer__isnull=False).order_by("name")
    assert [(f.name, f.media_type, f.is_received) for f in answer_files] == [
        ("foto.png", "image/png", True),
        ("informe.txt", "text/plain", True),
    ]
    with net.as_node("SV-FGR"):
        page = sv.get(reverse("exchanges:request_detail", args=[outgoing.pk])).content.decode()
        for file in answer_files:
            assert reverse("exchanges:request_file", args=[outgoing.pk, file.pk]) in page
        # What SV sent itself is listed, but not kept here to download.
        assert reverse("exchanges:request_file", args=[outgoing.pk, sent.pk]) not in page
        assert "pasaporte.exe.pdf" in page
        assert sv.get(reverse("exchanges:request_file", args=[outgoing.pk, sent.pk])).status_code == 302
        other = reverse("exchanges:request_file", args=[outgoing.pk, arrived.pk])  # a file of GT's copy
        assert sv.get(other).status_code == 404


def test_bad_files_are_refused_in_the_user_language_and_nothing_is_stored(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sv = _signed_in(prosecutor)
    with net.as_node("SV-FGR"):
        empty = sv.post(reverse("exchanges:request_create"), {**compose(), "files": [SimpleUploadedFile("a.txt", b"")]})
        assert empty.status_code == 400
        with translation.override("es"):
            assert translation.gettext("The file “%(name)s” is empty.") % {"name": "a.txt"} in [
                str(e) for e in empty.context["form"].errors["files"]
            ]
        draft_with_files = sv.post(
            reverse("exchanges:request_create"),
            {**compose(then="draft"), "files": [SimpleUploadedFile("a.txt", b"texto")]},
        )
        assert draft_with_files.status_code == 400
        assert "files" in draft_with_files.context["form"].errors
        original = network.policy
        monkeypatch.setattr(network, "policy", lambda: replace(original(), max_attachment_bytes=10))
        too_big = sv.post(
            reverse("exchanges:request_create"), {**compose(), "files": [SimpleUploadedFile("b.txt", b"x" * 11)]}
        )
        assert too_big.status_code == 400
    assert not InformationRequest.objects.exists()
    assert not ExchangeFile.objects.exists()


def test_the_api_sends_and_answers_with_files(
    client: Client,
    net: FakeNetwork,  # noqa: F811
    transport: FakeTransport,  # noqa: F811
    prosecutor: User,
) -> None:
    from vinculo.exchanges.tests.test_api import token_for

    gt_desk = UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=prosecutor, draft=draft())
        sent = client.post(
            f"/api/v1/exchanges/requests/{request.pk}/send-with-files",
            {"version": request.version, "files": [SimpleUploadedFile("lista.txt", b"pasaportes sinteticos\n")]},
            headers=token_for(prosecutor),
        )
        assert sent.status_code == 200, sent.content
        assert [f["name"] for f in sent.json()["files"]] == ["lista.txt"]
    deliver_all(net)
    _outgoing, incoming = copies(request)
    gt_headers = token_for(gt_desk)
    with net.as_node("GT-MP"):
        body = client.get(f"/api/v1/exchanges/requests/{incoming.pk}", headers=gt_headers).json()
        assert [(f["name"], f["received"]) for f in body["files"]] == [("lista.txt", True)]
        empty = client.post(
            f"/api/v1/exchanges/requests/{incoming.pk}/answer-with-files",
            {
                "version": incoming.version,
                "text": "Informe",
                "is_complete": "true",
                "files": [SimpleUploadedFile("v.txt", b"")],
            },
            headers=gt_headers,
        )
        assert empty.status_code == 400
        assert empty.json()["code"] == "invalid_files"
        answered = client.post(
            f"/api/v1/exchanges/requests/{incoming.pk}/answer-with-files",
            {
                "version": incoming.version, "text": "Informe adjunto", "is_complete": "true",
                "handling": ["H1", "H2"], "files": [SimpleUploadedFile("informe.txt", REPORT)],
            },
            headers=gt_headers,
        )  # fmt: skip
        assert answered.status_code == 200, answered.content
        assert answered.json()["answers"][0]["handling"] == ["H1", "H2"]
    deliver_all(net)
    body = client.get(f"/api/v1/exchanges/requests/{request.pk}", headers=token_for(prosecutor)).json()
    assert [(f["name"], f["size"], f["received"]) for f in body["answers"][0]["files"]] == [
        ("informe.txt", len(REPORT), True)
    ]


def test_a_request_from_a_node_without_files_still_reads() -> None:
    payload = json.loads(wire.dump(wire.RequestPayload.read(_request_bytes())))
    del payload["attachments"]
    assert wire.RequestPayload.read(json.dumps(payload).encode()).attachments == ()
    payload["attachments"] = ["not a digest"]
    with pytest.raises(wire.UnreadablePayload):
        wire.RequestPayload.read(json.dumps(payload).encode())


def _request_bytes() -> bytes:
    return wire.dump(
        wire.RequestPayload(
            exchange_id=str(uuid.uuid4()),
            request_type="identification",
            subject="Identificación",
            legal_basis="MoU art. 4",
            urgency="normal",
            deadline_seconds=604800,
            text="Texto",
            items=("Uno",),
            language="es",
            handling=(),
            purpose="",
            conditions="",
            evaluation="",
        )
    )
