"""An answer with a file: encrypted in chunks before the answer, verified on arrival, opened by who may see it."""

from __future__ import annotations

import io

import pytest

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.core.errors import DomainError
from vinculo.exchanges import selectors
from vinculo.exchanges.models import ExchangeFile
from vinculo.exchanges.services import requests
from vinculo.exchanges.tests.test_requests import copies, deliver_all, draft
from vinculo.federation import blobs
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
