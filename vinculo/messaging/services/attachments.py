"""Attachments on the sending side, and reading received ones (docs/adr/0018, docs/protocol.md §16).

Sending a document with a message takes three steps, because encrypting a large file is slow
and must not hold a database transaction open:

1. ``prepare(source, size=…, name=…, media_type=…)`` before the business transaction: the file
   is encrypted chunk by chunk into this node's attachment directory (one chunk in memory at a
   time) and a ``Prepared`` blob comes back, holding its manifest (and key) in memory only.
2. ``outbox.send(..., attachments=[prepared])`` inside the transaction: the manifests are framed
   before the payload (so the keys are sealed in the vault with it) and the attachments recorded.
   A prepared blob that no committed message took is deleted by ``clean_up`` later.
3. The delivery worker calls ``upload_attachments`` before it posts the envelope: it asks the
   recipient which chunks it holds and uploads only the others, so an upload cut at any point
   resumes where it stopped; the envelope goes only when the recipient holds every chunk. Once the
   message is delivered (or given up), ``release_attachments`` deletes the chunk files.

A module handling a received message reads its attachments with ``attachments_of(message)`` and
``open_attachment(attachment)``, a stream that decrypts one chunk at a time.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import unicodedata
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.core.errors import DomainError
from vinculo.federation import blobs
from vinculo.federation.wire import matches
from vinculo.messaging import blob_store, network
from vinculo.messaging.models import (
    InboundAttachment,
    InboundChunk,
    InboundMessage,
    OutboundAttachment,
    OutboundMessage,
)
from vinculo.vault import crypto, keys

BLOBS_PATH = "messaging/blobs/"
HTTP_TIMEOUT_SECONDS = 30
# Answers to an upload that a later attempt can overcome; any other refusal is final.
TRANSIENT_UPLOAD_REFUSALS = frozenset(
    {"unknown_sender", "directory_expired", "no_directory", "stale", "unavailable", "digest_mismatch",
     "quota_exceeded", "rate_limited"}
)  # fmt: skip
# How long a prepared blob may wait for the message that sends it, and a stray file for its row.
UNCLAIMED_GRACE_SECONDS = 24 * 3600

ATTACHMENT_TOO_LARGE = _("The attachment is too large for the network (at most %(size)d bytes).")
ATTACHMENT_INVALID = _("The attachment cannot be sent: %(problem)s.")
TOO_MANY_ATTACHMENTS = _("A message carries at most %(count)d attachments.")
NOT_PREPARED = _("The attachment was not prepared on this node, or was already deleted.")
RESERVED_PAYLOAD = _("The message's content begins like an attachment frame, which is reserved.")
ALREADY_SENT = _("%(name)s was already sent to %(member)s with another message; prepare it again to send it anew.")


@dataclass(frozen=True)
class Prepared:
    """A blob encrypted into this node's attachment directory, ready to attach to messages."""

    manifest: blobs.Manifest = field(repr=False)

    @property
    def sha256(self) -> str:
        """The plaintext's SHA-256: what a message's payload names the attachment by."""
        return self.manifest.sha256


def _clean_name(name: str) -> str:
    """A file name fit for a manifest: the last path component, no control characters, at most 255 characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if unicodedata.category(char).startswith("C") else char for char in name).strip()
    if name in {"", ".", ".."}:
        return "attachment"
    if len(name) > blobs.MAX_NAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            return stem[: blobs.MAX_NAME_CHARS - len(extension) - 1] + "." + extension
        return name[: blobs.MAX_NAME_CHARS]
    return name


def prepare(
    source: blobs.Readable,
    *,
    size: int,
    name: str,
    media_type: str = "application/octet-stream",
    chunk_size: int = blobs.DEFAULT_CHUNK_SIZE,
) -> Prepared:
    """Encrypt ``size`` bytes of ``source`` into chunk files; call before the transaction that sends it."""
    limit = network.policy().max_attachment_bytes
    if size > limit:
        raise DomainError(ATTACHMENT_TOO_LARGE % {"size": limit}, code="attachment_too_large")
    media_type = media_type.lower().split(";", 1)[0].strip()
    if not matches(blobs.MEDIA_TYPE, media_type):
        media_type = "application/octet-stream"
    blob = str(uuid.uuid4())
    directory = blob_store.make_dir(blob_store.outgoing_dir(blob))
    try:
        manifest = blobs.encrypt_blob(
            source,
            size=size,
            write_chunk=lambda index, data: blob_store.write_chunk(directory / str(index), data),
            name=_clean_name(name),
            media_type=media_type,
            chunk_size=chunk_size,
            blob=blob,
        )
    except BaseException:
        blob_store.remove(directory)
        raise
    return Prepared(manifest=manifest)


def prepare_file(path: Path, *, name: str | None = None, media_type: str = "application/octet-stream") -> Prepared:
    """``prepare`` for a file on disk."""
    with path.open("rb") as source:
        return prepare(source, size=path.stat().st_size, name=name or path.name, media_type=media_type)


# --- hooks of outbox.send -----------------------------------------------------------------------


def frame_attachments(payload: bytes, attachments: Sequence[Prepared]) -> bytes:
    """The payload to seal: the attachments' manifests framed before it (the payload itself if none)."""
    if len(attachments) > blobs.MAX_ATTACHMENTS:
        raise DomainError(TOO_MANY_ATTACHMENTS % {"count": blobs.MAX_ATTACHMENTS}, code="too_many_attachments")
    for attachment in attachments:
        if not blob_store.outgoing_dir(attachment.manifest.blob).is_dir():
            raise DomainError(NOT_PREPARED, code="attachment_not_prepared")
    try:
        return blobs.frame(payload, [attachment.manifest for attachment in attachments])
    except ValueError as error:
        if not attachments:
            raise DomainError(RESERVED_PAYLOAD, code="reserved_payload") from None
        raise DomainError(ATTACHMENT_INVALID % {"problem": error}, code="attachment_invalid") from None


def record_attachments(message: OutboundMessage, attachments: Sequence[Prepared]) -> None:
    """Record the attachments of a message just queued (in its transaction).

    A blob goes to each recipient with one message only (the recipient binds it to that message);
    the same prepared blob may go to several recipients.
    """
    blobs_sent = {uuid.UUID(attachment.manifest.blob): attachment for attachment in attachments}
    earlier = OutboundAttachment.objects.filter(blob__in=blobs_sent, message__recipient=message.recipient).first()
    if earlier is not None:
        name = blobs_sent[earlier.blob].manifest.name
        raise DomainError(ALREADY_SENT % {"name": name, "member": message.recipient}, code="attachment_already_sent")
    OutboundAttachment.objects.bulk_create(
        OutboundAttachment(
            message=message,
            position=position,
            blob=uuid.UUID(attachment.manifest.blob),
            size=attachment.manifest.size,
            chunk_size=attachment.manifest.chunk_size,
            chunk_digests=list(attachment.manifest.chunks),
            sha256=attachment.manifest.sha256,
            name=attachment.manifest.name,
            media_type=attachment.manifest.media_type,
        )
        for position, attachment in enumerate(attachments)
    )


# --- hooks of the delivery worker ----------------------------------------------------------------


@dataclass(frozen=True)
class UploadProblem:
    """Why the envelope cannot go yet (``final``: it never will)."""

    code: str
    detail: str = ""
    final: bool = False


class HttpTransport:
    """The two requests of an upload, straight to the peer (no proxy from the environment)."""

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _send(self, request: urllib.request.Request) -> tuple[int, bytes]:
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
                return response.status, response.read(1024 * 1024)
        except urllib.error.HTTPError as error:
            return error.code, error.read(64 * 1024)

    def get(self, url: str, token: str) -> tuple[int, bytes]:
        headers = {"Authorization": f"Vinculo {token}", "Accept": "application/json"}
        return self._send(urllib.request.Request(url, headers=headers, method="GET"))  # noqa: S310 - directory URL

    def put(self, url: str, data: bytes, token: str) -> tuple[int, bytes]:
        headers = {
            "Authorization": f"Vinculo {token}",
            "Content-Type": "application/octet-stream",
            "Accept": "application/json",
        }
        return self._send(urllib.request.Request(url, data=data, headers=headers, method="PUT"))  # noqa: S310


# Tests replace it with a network in one process.
TRANSPORT = HttpTransport()


def upload_attachments(message: OutboundMessage, member: network.Peer, worker: str) -> UploadProblem | None:
    """Make sure the recipient holds every chunk of the message's attachments; None when it does.

    Asked again before every attempt, even after a complete upload: a recipient that lost a chunk
    refuses the envelope (``attachment_incomplete``) and the next attempt sends that chunk again.
    """
    for attachment in OutboundAttachment.objects.filter(message=message).order_by("position"):
        problem = _upload(message, attachment, member, worker)
        if problem is not None:
            return problem
    return None


def _answer(body: bytes) -> dict[str, object]:
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return answer if isinstance(answer, dict) else {}


def _refusal(status: int, body: bytes) -> UploadProblem:
    answer = _answer(body)
    code = str(answer.get("code") or f"http_{status}")
    final = 400 <= status < 500 and bool(answer.get("code")) and code not in TRANSIENT_UPLOAD_REFUSALS
    return UploadProblem(code, str(answer.get("detail", ""))[:150], final=final)


def _held_chunks(url: str, recipient: str, blob: str) -> dict[int, str] | UploadProblem:
    """Which chunks of ``blob`` the recipient holds, by index, with their SHA-256."""
    request = blobs.StatusRequest(sender=network.node_id(), recipient=recipient, blob=blob, issued_at=int(time.time()))
    status, body = TRANSPORT.get(url, blobs.sign_status_request(request, network.signing_key()))
    if status != 200:
        return _refusal(status, body)
    held: dict[int, str] = {}
    chunks = _answer(body).get("chunks")
    for entry in chunks if isinstance(chunks, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("index"), int) and isinstance(entry.get("sha256"), str):
            held[entry["index"]] = entry["sha256"]
    return held


def _keep_claim(message: OutboundMessage, worker: str) -> bool:
    """Extend the worker's claim on the message before each chunk: a large upload outlasts one claim."""
    until = timezone.now() + timedelta(seconds=settings.DELIVERY_CLAIM_SECONDS)
    pending = OutboundMessage.objects.filter(id=message.id, claimed_by=worker, status=OutboundMessage.Status.PENDING)
    if not pending.update(claimed_until=until):
        return False
    message.claimed_until = until  # the worker posts the envelope only while its claim lasts
    return True


def _upload(
    message: OutboundMessage, attachment: OutboundAttachment, member: network.Peer, worker: str
) -> UploadProblem | None:
    blob = str(attachment.blob)
    url = member.endpoint.rstrip("/") + "/" + BLOBS_PATH + blob
    digests: list[str] = list(attachment.chunk_digests)
    try:
        held = _held_chunks(url, message.recipient, blob)
        if isinstance(held, UploadProblem):
            return held
        for index, digest in enumerate(digests):
            if held.get(index) == digest:
                continue
            if index in held:
                return UploadProblem("chunk_conflict", f"the recipient holds another chunk {index}", final=True)
            if not _keep_claim(message, worker):
                return UploadProblem("claim_lost", "another worker took the message over")
            try:
                data = blob_store.outgoing_chunk(blob, index).read_bytes()
            except FileNotFoundError:
                data = b""
            if hashlib.sha256(data).hexdigest() != digest:
                return UploadProblem("attachment_damaged", f"chunk {index} of {blob} is missing or damaged", final=True)
            request = blobs.ChunkRequest(
                sender=network.node_id(), recipient=message.recipient, blob=blob, index=index, count=len(digests),
                size=len(data), sha256=digest, issued_at=int(time.time()),
            )  # fmt: skip
            status, body = TRANSPORT.put(
                f"{url}/{index}", data, blobs.sign_chunk_request(request, network.signing_key())
            )
            del data
            if status != 200:
                return _refusal(status, body)
    except OSError as error:  # connection refused, reset, timeout …
        return UploadProblem("unreachable", str(error)[:150])
    if attachment.uploaded_at is not None:
        return None
    with transaction.atomic():
        OutboundAttachment.objects.filter(pk=attachment.pk).update(uploaded_at=timezone.now())
        network.evidence(
            "attachment_sent", message_id=str(message.id), peer=message.recipient, sha256=attachment.sha256,
            facts={"blob": blob, "size": attachment.size, "chunks": len(digests)},
        )  # fmt: skip
    return None


def release_attachments(message: OutboundMessage) -> None:
    """Delete the chunk files of a message that is delivered or given up (unless another pending message sends them)."""
    _release(message.id)


def _release(message_id: uuid.UUID) -> None:
    for attachment in OutboundAttachment.objects.filter(message_id=message_id, released_at__isnull=True):
        still_needed = (
            OutboundAttachment.objects.filter(blob=attachment.blob, message__status=OutboundMessage.Status.PENDING)
            .exclude(pk=attachment.pk)
            .exists()
        )
        if not still_needed:
            blob_store.remove(blob_store.outgoing_dir(str(attachment.blob)))
        OutboundAttachment.objects.filter(pk=attachment.pk).update(released_at=timezone.now())


# --- reading what arrived --------------------------------------------------------------------------


class AttachmentDamaged(OSError):
    """A stored attachment no longer decrypts to what arrived (a disk fault): read it again from the sender."""


def attachments_of(message: InboundMessage) -> list[InboundAttachment]:
    """The attachments of an accepted message, in the order the sender listed them."""
    return list(InboundAttachment.objects.filter(message=message).order_by("position"))


def stored_manifest(attachment: InboundAttachment) -> blobs.Manifest:
    """The manifest of a received attachment, with its key unsealed from the vault."""
    key = crypto.unseal_bytes(
        attachment.content_key,
        keyring=keys.current_keyring(),
        context=InboundAttachment.context(attachment.sender, attachment.blob),
    )
    digests = list(
        InboundChunk.objects.filter(attachment=attachment).order_by("index").values_list("sha256", flat=True)
    )
    return blobs.Manifest(
        blob=str(attachment.blob),
        size=attachment.size or 0,
        chunk_size=attachment.chunk_size or blobs.DEFAULT_CHUNK_SIZE,
        chunks=tuple(digests),
        sha256=attachment.sha256,
        key=key,
        media_type=attachment.media_type,
        name=attachment.name,
    )


def chunk_reader(attachment: InboundAttachment, digests: Sequence[str]) -> Callable[[int], bytes]:
    """Reads stored chunk ``index`` of a received blob (``FileNotFoundError`` when it is gone)."""

    def read(index: int) -> bytes:
        return blob_store.incoming_chunk(attachment.sender, str(attachment.blob), index, digests[index]).read_bytes()

    return read


class _PlaintextStream(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, target: memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            try:
                self._buffer = memoryview(next(self._chunks))
            except StopIteration:
                return 0
            except (blobs.BlobRefused, FileNotFoundError) as error:
                raise AttachmentDamaged(f"the stored attachment is damaged: {error}") from None
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count


def open_attachment(attachment: InboundAttachment) -> io.BufferedReader:
    """The attachment's content as a binary stream, decrypted and checked one chunk at a time.

    Reading to the end also checks the whole content's SHA-256 again; ``AttachmentDamaged`` if the
    stored chunks changed since they were verified on arrival.
    """
    if attachment.message_id is None:
        raise ValueError("only an attachment of an accepted message can be opened")
    manifest = stored_manifest(attachment)
    chunks = blobs.decrypt_blob(manifest, chunk_reader(attachment, manifest.chunks), check_digests=False)
    return io.BufferedReader(_PlaintextStream(chunks), buffer_size=64 * 1024)


# --- clean-up ------------------------------------------------------------------------------------


@dataclass
class CleanUp:
    released: int = 0  # outgoing blobs of messages delivered or given up
    unsent: int = 0  # prepared blobs no message took
    expired: int = 0  # incoming uploads no message claimed in time
    strays: int = 0  # directories with no record at all
    leftovers: int = 0  # temporary files of chunks cut off mid-write


def clean_up(*, now: float | None = None) -> CleanUp:
    """Delete what is no longer needed: run daily (``vinculo attachments clean``); safe to run any time."""
    moment = time.time() if now is None else now
    report = CleanUp()
    finished = OutboundAttachment.objects.filter(released_at__isnull=True).exclude(
        message__status=OutboundMessage.Status.PENDING
    )
    for message_id in set(finished.values_list("message_id", flat=True)):
        _release(message_id)
        report.released += 1
    known_outgoing = {str(blob) for blob in OutboundAttachment.objects.values_list("blob", flat=True)}
    for blob, directory in blob_store.outgoing_blobs():
        report.leftovers += blob_store.remove_leftovers(directory, older_than=UNCLAIMED_GRACE_SECONDS, now=moment)
        # Prepared for a message whose transaction rolled back, or never sent: nothing refers to it.
        if blob not in known_outgoing and blob_store.age_seconds(directory, moment) > UNCLAIMED_GRACE_SECONDS:
            blob_store.remove(directory)
            report.unsent += 1
    max_age = network.policy().max_delivery_age_seconds
    cutoff = timezone.now() - timedelta(seconds=max_age)
    for upload in InboundAttachment.objects.filter(message__isnull=True, updated_at__lt=cutoff):
        # The sender gives up after the same age: no message can claim this upload any more.
        blob_store.remove(blob_store.incoming_dir(upload.sender, str(upload.blob)))
        upload.delete()
        report.expired += 1
    for sender, blob, directory in blob_store.incoming_blobs():
        report.leftovers += blob_store.remove_leftovers(directory, older_than=UNCLAIMED_GRACE_SECONDS, now=moment)
        blob_id = _uuid_or_none(blob)
        known = blob_id is not None and InboundAttachment.objects.filter(sender=sender, blob=blob_id).exists()
        if not known and blob_store.age_seconds(directory, moment) > UNCLAIMED_GRACE_SECONDS:
            blob_store.remove(directory)
            report.strays += 1
    return report


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
