"""Attachments between nodes: chunks first, resumed after a cut, verified before the receipt, opened as a stream.

SV-FGR sends GT-MP a request with a scanned document attached. The chunks travel through the
real services of both nodes (signed requests, the inbox's checks), in one process: the fake
transport below hands each HTTP request to the recipient's service as that node.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from vinculo.core.errors import DomainError
from vinculo.federation import blobs, envelope
from vinculo.messaging import blob_store
from vinculo.messaging.models import (
    InboundAttachment,
    InboundChunk,
    InboundMessage,
    OutboundAttachment,
    OutboundMessage,
    RefusedEnvelope,
)
from vinculo.messaging.services import attachments, blob_uploads, inbox, outbox
from vinculo.messaging.tests.conftest import FakeNetwork

CHUNK = blobs.MIN_CHUNK_SIZE
DOCUMENT = os.urandom(7 * CHUNK + 300)  # eight chunks


class FakeTransport:
    """Hands the worker's GET and PUT requests to the recipient's upload service, as that node."""

    def __init__(self, net: FakeNetwork) -> None:
        self.net = net
        self.puts: list[tuple[str, int]] = []
        self.cut_after: int | None = None  # the link breaks after this many chunk uploads

    def _recipient(self, url: str) -> str:
        return next(node_id for node_id in self.net.nodes if f"//{node_id.lower()}.test/" in url)

    def get(self, url: str, token: str) -> tuple[int, bytes]:
        blob = url.rsplit("/", 1)[1]
        with self.net.as_node(self._recipient(url)):
            try:
                return 200, json.dumps(blob_uploads.held_chunks(blob=blob, token=token)).encode()
            except blob_uploads.UploadRefused as refused:
                return refused.status, json.dumps({"code": refused.code, "detail": refused.detail}).encode()

    def put(self, url: str, data: bytes, token: str) -> tuple[int, bytes]:
        if self.cut_after is not None and len(self.puts) >= self.cut_after:
            raise ConnectionResetError("the link was cut")
        blob, index = url.rsplit("/", 2)[-2:]
        self.puts.append((blob, int(index)))
        with self.net.as_node(self._recipient(url)):
            try:
                answer = blob_uploads.accept_chunk(
                    blob=blob, index=int(index), token=token, body=io.BytesIO(data), length=len(data)
                )
            except blob_uploads.UploadRefused as refused:
                return refused.status, json.dumps({"code": refused.code, "detail": refused.detail}).encode()
        return 200, json.dumps(answer).encode()


@pytest.fixture
def transport(net: FakeNetwork, monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> FakeTransport:
    settings.ATTACHMENT_DIR = tmp_path / "attachments"
    fake = FakeTransport(net)
    monkeypatch.setattr(attachments, "TRANSPORT", fake)
    return fake


def _prepare(data: bytes = DOCUMENT, *, name: str = "acta_señalamiento.pdf") -> attachments.Prepared:
    return attachments.prepare(
        io.BytesIO(data), size=len(data), name=name, media_type="application/pdf", chunk_size=CHUNK
    )


def _send(prepared: list[attachments.Prepared], recipient: str = "GT-MP") -> OutboundMessage:
    payload = json.dumps({"documentos": [item.sha256 for item in prepared]}).encode()
    with transaction.atomic():
        return outbox.send(type="system.ping", recipient=recipient, payload=payload, attachments=prepared)


def _work(net: FakeNetwork, **kwargs: Any) -> list[outbox.Outcome]:
    post = kwargs.get("post") or net.post_to_inbox
    return [outbox.deliver(message_id, "w1", post=post) for message_id in outbox.claim_due("w1")]


def _kinds(net: FakeNetwork, node: str) -> list[str]:
    return [kind for kind, at, _facts in net.evidence if at == node]


def test_a_document_travels_in_chunks_before_its_message_and_opens_as_a_stream(
    net: FakeNetwork, transport: FakeTransport
) -> None:
    prepared = _prepare()
    message = _send([prepared])
    assert message.payload.startswith("vault1."), "the manifests and their keys wait sealed with the payload"
    [outcome] = _work(net)
    assert outcome.delivered
    received = InboundMessage.objects.get(message_id=message.id)
    with net.as_node("GT-MP"):
        assert json.loads(inbox.payload_of(received)) == {"documentos": [prepared.sha256]}, "the handler's payload"
        [attachment] = attachments.attachments_of(received)
        assert (attachment.name, attachment.media_type, attachment.size) == (
            "acta_señalamiento.pdf", "application/pdf", len(DOCUMENT),
        )  # fmt: skip
        assert attachment.sha256 == hashlib.sha256(DOCUMENT).hexdigest()
        assert attachment.content_key.startswith("vault1."), "the blob's key is sealed in the vault"
        with attachments.open_attachment(attachment) as stream:
            assert stream.read(10) == DOCUMENT[:10]
            assert stream.read() == DOCUMENT[10:]
    assert sorted(index for _blob, index in transport.puts) == list(range(8)), "each chunk uploaded once"
    sent = _kinds(net, "SV-FGR")
    assert sent.index("attachment_sent") < sent.index("envelope_sent"), "the chunks went before the envelope"
    assert "attachment_received" in _kinds(net, "GT-MP")
    assert not blob_store.outgoing_dir(prepared.manifest.blob).exists(), "the sender's copy is deleted on delivery"
    assert OutboundAttachment.objects.get().released_at is not None


def test_an_upload_cut_in_the_middle_resumes_with_the_missing_chunks_only(
    net: FakeNetwork, transport: FakeTransport
) -> None:
    message = _send([_prepare()])
    transport.cut_after = 3
    [outcome] = _work(net)
    assert not outcome.delivered
    assert not outcome.final, "a cut link is retried"
    message.refresh_from_db()
    assert message.last_error.startswith("unreachable")
    assert message.envelope == "", "no envelope was posted while chunks were missing"
    assert InboundChunk.objects.count() == 3
    transport.cut_after = None
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        [outcome] = _work(net)
    assert outcome.delivered
    assert [index for _blob, index in transport.puts] == list(range(8)), "the second attempt sent chunks 3 to 7 only"


def test_the_receiver_refuses_the_envelope_until_a_chunk_damaged_on_its_disk_is_uploaded_again(
    net: FakeNetwork, transport: FakeTransport
) -> None:
    prepared = _prepare()
    _send([prepared])
    damaged = blob_store.incoming_chunk("SV-FGR", prepared.manifest.blob, 5, prepared.manifest.chunks[5])

    def damage_then_post(url: str, data: bytes) -> tuple[int, bytes]:
        if not InboundMessage.objects.exists() and damaged.exists():
            damaged.write_bytes(b"\x00" + damaged.read_bytes()[1:])  # a disk fault after the upload
        return net.post_to_inbox(url, data)

    [outcome] = _work(net, post=damage_then_post)
    assert not outcome.delivered
    assert not outcome.final
    assert RefusedEnvelope.objects.get().code == "attachment_incomplete"
    assert not InboundMessage.objects.exists(), "no receipt while an attachment is not verified"
    assert not damaged.exists(), "the damaged chunk was dropped"
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        [outcome] = _work(net)
    assert outcome.delivered
    assert transport.puts.count((prepared.manifest.blob, 5)) == 2, "only the damaged chunk went again"


def _signed_chunk(
    net: FakeNetwork, blob: str, index: int, data: bytes, *, count: int = 3, sender: str = "SV-FGR", **changes: Any
) -> str:
    request = blobs.ChunkRequest(
        sender=sender, recipient="GT-MP", blob=blob, index=index, count=count, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), issued_at=int(time.time()),
    )  # fmt: skip
    return blobs.sign_chunk_request(replace(request, **changes), net.nodes[sender].signing)


def _put(blob: str, index: int, data: bytes, token: str) -> dict[str, Any]:
    return blob_uploads.accept_chunk(blob=blob, index=index, token=token, body=io.BytesIO(data), length=len(data))


def _refused(blob: str, index: int, data: bytes, token: str) -> str:
    with pytest.raises(blob_uploads.UploadRefused) as refused:
        _put(blob, index, data, token)
    return refused.value.code


def test_a_chunk_sent_twice_is_recognised_and_another_chunk_in_its_place_conflicts(
    net: FakeNetwork, transport: FakeTransport
) -> None:
    blob, data = str(uuid.uuid4()), os.urandom(CHUNK + 16)
    with net.as_node("GT-MP"):
        first = _put(blob, 0, data, _signed_chunk(net, blob, 0, data))
        again = _put(blob, 0, data, _signed_chunk(net, blob, 0, data))
        assert (first["duplicate"], again["duplicate"], again["received"]) == (False, True, 1)
        other = os.urandom(CHUNK + 16)
        assert _refused(blob, 0, other, _signed_chunk(net, blob, 0, other)) == "chunk_conflict"
        assert _refused(blob, 1, data, _signed_chunk(net, blob, 1, data, count=4)) == "blob_mismatch"
    assert InboundChunk.objects.count() == 1


def test_a_chunk_whose_bytes_are_not_the_signed_ones_leaves_nothing(net: FakeNetwork, transport: FakeTransport) -> None:
    blob, data = str(uuid.uuid4()), os.urandom(CHUNK + 16)
    token = _signed_chunk(net, blob, 0, data)
    altered = bytes([data[0] ^ 1]) + data[1:]
    with net.as_node("GT-MP"):
        assert _refused(blob, 0, altered, token) == "digest_mismatch"
        assert _refused(blob, 1, data, token) == "malformed", "the request names chunk 0"
        assert _refused(str(uuid.uuid4()), 0, data, token) == "malformed", "the request names another blob"
        assert _refused(blob, 0, data[:-1], token) == "malformed", "the body is not the signed size"
    assert not InboundAttachment.objects.exists()
    assert not any(blob_store.incoming_dir("SV-FGR", blob).iterdir()), "no chunk or temporary file is left"


def test_unknown_suspended_stale_misaddressed_and_forged_requests_are_refused(
    net: FakeNetwork, transport: FakeTransport
) -> None:
    blob, data = str(uuid.uuid4()), os.urandom(CHUNK + 16)
    intruder = envelope.SigningKey.generate()
    unknown = blobs.sign_chunk_request(
        blobs.ChunkRequest(
            sender="PA-MP", recipient="GT-MP", blob=blob, index=0, count=1, size=len(data),
            sha256=hashlib.sha256(data).hexdigest(), issued_at=int(time.time()),
        ),
        intruder,
    )  # fmt: skip
    forged = blobs.sign_chunk_request(
        blobs.verify_chunk_request(_signed_chunk(net, blob, 0, data), net.nodes["SV-FGR"].signing.verify_key), intruder
    )
    with net.as_node("GT-MP"):
        assert _refused(blob, 0, data, unknown) == "unknown_sender"
        assert _refused(blob, 0, data, forged) == "unknown_sender", "SV's name with a key the directory does not list"
        assert _refused(blob, 0, data, _signed_chunk(net, blob, 0, data, issued_at=int(time.time()) - 3600)) == "stale"
        assert _refused(blob, 0, data, _signed_chunk(net, blob, 0, data, recipient="HN-MP")) == "wrong_recipient"
        assert _refused(blob, 0, data, "") == "unauthenticated"
        assert _refused(blob, 0, data, "not.a.token") == "malformed"
        net.nodes["SV-FGR"].status = "suspended"
        assert _refused(blob, 0, data, _signed_chunk(net, blob, 0, data)) == "suspended_sender"
    assert not InboundAttachment.objects.exists()


def test_sizes_are_bounded_by_the_policy_and_a_quota_per_peer(
    net: FakeNetwork, transport: FakeTransport, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    original = net.network_policy
    monkeypatch.setattr("vinculo.messaging.network.policy", lambda: replace(original(), max_attachment_bytes=3 * CHUNK))
    with pytest.raises(DomainError) as too_large:
        _prepare(os.urandom(3 * CHUNK + 1))
    assert too_large.value.code == "attachment_too_large"
    blob, data = str(uuid.uuid4()), os.urandom(CHUNK + 16)
    with net.as_node("GT-MP"):
        for index in range(3):
            _put(blob, index, data, _signed_chunk(net, blob, index, data, count=4))
        assert _refused(blob, 3, data, _signed_chunk(net, blob, 3, data, count=4)) == "too_large"
        settings.ATTACHMENT_PENDING_BYTES_PER_PEER = 3 * len(data)
        other = str(uuid.uuid4())
        assert _refused(other, 0, data, _signed_chunk(net, other, 0, data)) == "quota_exceeded"


def test_a_manifest_that_disagrees_with_the_uploaded_chunks_is_refused_for_good(
    net: FakeNetwork, transport: FakeTransport
) -> None:
    prepared = _prepare()
    message = _send([prepared])
    chunks = list(prepared.manifest.chunks)
    # SV's worker uploads the real chunks, but the envelope it signs names a different chunk 2.
    OutboundAttachment.objects.update(chunk_digests=chunks)
    forged = replace(prepared.manifest, chunks=(*chunks[:2], hashlib.sha256(b"x").hexdigest(), *chunks[3:]))
    with transaction.atomic():
        OutboundMessage.objects.filter(pk=message.pk).update(
            payload=outbox.crypto.seal_bytes(
                blobs.frame(b"{}", [forged]), keyring=outbox.keys.current_keyring(),
                context=OutboundMessage.context(message.id),
            )
        )  # fmt: skip
    [outcome] = _work(net)
    assert outcome.final
    assert not outcome.delivered
    assert outcome.error == "attachment_invalid"
    assert not InboundMessage.objects.exists()


def test_a_second_message_cannot_claim_an_attachment_another_message_took(
    net: FakeNetwork, transport: FakeTransport
) -> None:
    prepared = _prepare()
    _send([prepared])
    _work(net)
    sv, gt = net.nodes["SV-FGR"], net.nodes["GT-MP"]
    header = envelope.Header(
        id=str(uuid.uuid4()), type="system.ping", sender="SV-FGR", recipient="GT-MP",
        created_at=int(time.time()), sender_key=sv.signing.thumbprint(), recipient_key=gt.encryption.thumbprint(),
    )  # fmt: skip
    data = envelope.seal(
        header,
        blobs.frame(b"{}", [prepared.manifest]),
        signing_key=sv.signing,
        recipient_key=gt.encryption.recipient_key,
    )
    with net.as_node("GT-MP"), pytest.raises(inbox.Refused) as refused:
        inbox.receive(data)
    assert refused.value.code == "attachment_invalid"


def test_a_plain_payload_that_looks_like_a_frame_cannot_be_sent(net: FakeNetwork, transport: FakeTransport) -> None:
    with pytest.raises(DomainError) as reserved, transaction.atomic():
        outbox.send(type="system.ping", recipient="GT-MP", payload=blobs.FRAME_MAGIC + b"{}")
    assert reserved.value.code == "reserved_payload"


def test_clean_up_releases_sent_blobs_and_expires_what_nobody_claimed(
    net: FakeNetwork, transport: FakeTransport
) -> None:
    unsent = _prepare(b"nunca enviado")
    rolled_back = _prepare(b"revertido")

    def send_then_fail() -> None:
        with transaction.atomic():  # the business transaction fails after queueing the message
            _send([rolled_back])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        send_then_fail()
    blob, data = str(uuid.uuid4()), os.urandom(CHUNK + 16)
    with net.as_node("GT-MP"):
        _put(blob, 0, data, _signed_chunk(net, blob, 0, data))  # an upload whose message never comes
    delivered = _prepare()
    _send([delivered])
    _work(net)
    (blob_store.incoming_dir("SV-FGR", delivered.manifest.blob) / ".part-crashed").write_bytes(b"half a chunk")
    assert attachments.clean_up() == attachments.CleanUp(), "nothing is old enough yet"
    later = time.time() + attachments.UNCLAIMED_GRACE_SECONDS + 60
    with net.as_node("GT-MP"), time_machine.travel(timezone.now() + timedelta(days=8)):
        report = attachments.clean_up(now=later + 7 * 86400)
    assert (report.unsent, report.expired) == (2, 1)
    assert report.leftovers == 1, "the chunk the receiver was writing when it was killed"
    assert not blob_store.outgoing_dir(unsent.manifest.blob).exists()
    assert not blob_store.incoming_dir("SV-FGR", blob).exists()
    assert list(InboundAttachment.objects.values_list("blob", flat=True)) == [uuid.UUID(delivered.manifest.blob)]


def test_a_given_up_message_s_blob_is_released_by_clean_up(net: FakeNetwork, transport: FakeTransport) -> None:
    prepared = _prepare()
    message = _send([prepared])
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.FAILED)
    assert attachments.clean_up().released == 1
    assert not blob_store.outgoing_dir(prepared.manifest.blob).exists()


def test_a_stream_over_a_chunk_damaged_after_arrival_says_so(net: FakeNetwork, transport: FakeTransport) -> None:
    prepared = _prepare()
    message = _send([prepared])
    _work(net)
    path = blob_store.incoming_chunk("SV-FGR", prepared.manifest.blob, 7, prepared.manifest.chunks[7])
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    with net.as_node("GT-MP"):
        [attachment] = attachments.attachments_of(InboundMessage.objects.get(message_id=message.id))
        stream = attachments.open_attachment(attachment)
        assert stream.read(7 * CHUNK) == DOCUMENT[: 7 * CHUNK]
        with pytest.raises(attachments.AttachmentDamaged):
            stream.read()


# --- the endpoints ---------------------------------------------------------------------------------


@pytest.fixture
def as_gt(net: FakeNetwork) -> Iterator[None]:
    with net.as_node("GT-MP"):
        yield


def test_the_endpoints_take_chunks_and_say_which_arrived(
    net: FakeNetwork, transport: FakeTransport, client: Any, as_gt: None
) -> None:
    blob, data = str(uuid.uuid4()), os.urandom(CHUNK + 16)
    url = reverse("messaging:blob_chunk", kwargs={"blob": blob, "index": 1})
    auth = {"HTTP_AUTHORIZATION": f"Vinculo {_signed_chunk(net, blob, 1, data)}"}
    stored = client.put(url, data=data, content_type="application/octet-stream", **auth)
    assert stored.status_code == 200, stored.content
    assert stored.json()["received"] == 1
    assert client.put(url, data=data, content_type="application/json", **auth).status_code == 415
    assert client.put(url, data=data, content_type="application/octet-stream").json()["code"] == "unauthenticated"
    status_token = blobs.sign_status_request(
        blobs.StatusRequest(sender="SV-FGR", recipient="GT-MP", blob=blob, issued_at=int(time.time())),
        net.nodes["SV-FGR"].signing,
    )
    status = client.get(
        reverse("messaging:blob_status", kwargs={"blob": blob}), HTTP_AUTHORIZATION=f"Vinculo {status_token}"
    )
    assert status.status_code == 200
    assert status.json() == {
        "blob": blob, "count": 3, "chunks": [{"index": 1, "sha256": hashlib.sha256(data).hexdigest()}],
        "attached": False,
    }  # fmt: skip
    assert client.get(reverse("messaging:blob_status", kwargs={"blob": blob})).status_code == 401


def test_a_chunk_above_the_protocol_s_largest_is_refused_before_it_is_read(
    net: FakeNetwork, transport: FakeTransport, client: Any, as_gt: None
) -> None:
    url = reverse("messaging:blob_chunk", kwargs={"blob": str(uuid.uuid4()), "index": 0})
    answer = client.put(
        url, data=b"x", content_type="application/octet-stream", CONTENT_LENGTH=str(blobs.MAX_CHUNK_SIZE + 17)
    )
    assert (answer.status_code, answer.json()["code"]) == (413, "too_large")


# --- nothing that holds a key is stored in clear ---------------------------------------------------


def test_the_senders_signed_message_is_kept_sealed_since_it_holds_the_keys(
    net: FakeNetwork, transport: FakeTransport
) -> None:
    prepared = _prepare()
    message = _send([prepared])
    _work(net)
    received = InboundMessage.objects.get(message_id=message.id)
    assert received.signed.startswith("vault1.")
    with net.as_node("GT-MP"):
        signed = inbox.signed_message_of(received)
    header, payload = envelope.verify_signed_message(signed, verify_key=net.nodes["SV-FGR"].signing.verify_key)
    assert header.id == str(message.id)
    assert blobs.unframe(payload).attachments == (prepared.manifest,), "the proof holds the manifest, key included"


def test_signed_messages_stored_before_sealing_are_sealed_by_the_migration(net: FakeNetwork) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("vinculo.messaging.migrations.0003_seal_signed_messages")
    row = InboundMessage.objects.create(
        sender="SV-FGR", message_id=uuid.uuid4(), type="system.ping", message_digest="0" * 64,
        envelope_sha256="1" * 64, signed="eyJhbGciOiJFZDI1NTE5In0.e30.c2ln", receipt="r",
    )  # fmt: skip
    migration.seal_signed(apps, None)
    row.refresh_from_db()
    assert row.signed.startswith("vault1.")
    assert inbox.signed_message_of(row) == b"eyJhbGciOiJFZDI1NTE5In0.e30.c2ln"
    migration.unseal_signed(apps, None)
    row.refresh_from_db()
    assert row.signed == "eyJhbGciOiJFZDI1NTE5In0.e30.c2ln"


def test_the_housekeeping_command_cleans_and_reports(net: FakeNetwork, transport: FakeTransport) -> None:
    from django.core.management import call_command

    message = _send([_prepare()])
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.FAILED)
    out = io.StringIO()
    call_command("attachments", "status", stdout=out)
    assert f"1 waiting to be delivered, {len(DOCUMENT)} bytes" in out.getvalue()
    call_command("attachments", "clean", stdout=out)
    assert "Released 1 sent messages' blobs" in out.getvalue()


def test_an_upload_longer_than_a_claim_keeps_the_claim_and_posts_in_the_same_attempt(
    net: FakeNetwork, transport: FakeTransport, settings: Any
) -> None:
    settings.DELIVERY_CLAIM_SECONDS = 5
    message = _send([_prepare()])
    put = transport.put
    with time_machine.travel(timezone.now(), tick=False) as clock:

        def slow_put(url: str, data: bytes, token: str) -> tuple[int, bytes]:
            clock.shift(3)  # a slow link: eight chunks take 24 s, a claim lasts 5 s
            return put(url, data, token)

        transport.put = slow_put  # type: ignore[method-assign]
        [outcome] = _work(net)
        assert outcome.delivered
        message.refresh_from_db()
        assert message.attempts == 1


def test_one_prepared_blob_goes_to_several_members_but_once_to_each(net: FakeNetwork, transport: FakeTransport) -> None:
    prepared = _prepare()
    _send([prepared], recipient="GT-MP")
    to_hn = _send([prepared], recipient="HN-MP")  # a message to several members: one envelope each, one blob
    with pytest.raises(DomainError) as again:
        _send([prepared], recipient="GT-MP")
    assert again.value.code == "attachment_already_sent"
    net.nodes["HN-MP"].status = "suspended"  # HN's copy waits
    assert [outcome.delivered for outcome in _work(net)] == [True, False]
    assert blob_store.outgoing_dir(prepared.manifest.blob).exists(), "still needed for HN-MP"
    OutboundMessage.objects.filter(pk=to_hn.pk).update(status=OutboundMessage.Status.FAILED)
    attachments.clean_up()
    assert not blob_store.outgoing_dir(prepared.manifest.blob).exists(), "deleted once neither needs it"


def test_the_hub_takes_no_attachments(net: FakeNetwork, transport: FakeTransport, settings: Any) -> None:
    settings.NODE_ROLE = "hub"
    blob, data = str(uuid.uuid4()), os.urandom(CHUNK + 16)
    with net.as_node("GT-MP"):
        assert _refused(blob, 0, data, _signed_chunk(net, blob, 0, data)) == "wrong_recipient"


def test_a_file_on_disk_is_prepared_under_a_clean_name(
    net: FakeNetwork, transport: FakeTransport, tmp_path: Path
) -> None:
    path = tmp_path / "informe.pdf"
    path.write_bytes(DOCUMENT)
    prepared = attachments.prepare_file(
        path, name="C:\\Users\\fiscal\\informe\x07 final.pdf", media_type="Application/PDF"
    )
    assert (prepared.manifest.name, prepared.manifest.media_type) == ("informe  final.pdf", "application/pdf")
    assert prepared.sha256 == hashlib.sha256(DOCUMENT).hexdigest()
    long_name = attachments.prepare(io.BytesIO(b"x"), size=1, name="a" * 300 + ".docx", media_type="text/x; q=1")
    assert (len(long_name.manifest.name), long_name.manifest.name[-5:]) == (255, ".docx")
    assert long_name.manifest.media_type == "text/x"
