"""Attachments on the receiving side: chunks uploaded by peers, and the check before a receipt.

A peer uploads each chunk of a blob with a request it signs (``accept_chunk``) and asks which
chunks arrived (``held_chunks``); both are checked like an envelope's sender: a member of the
directory in force, active, with a valid key, within the replay window, addressed to this node.
A chunk is streamed to disk while its SHA-256 is computed, and kept only when it matches the
signed request. Until a message claims it, an upload is anonymous bytes: it is bounded by the
policy's maximum attachment size and a per-peer quota, and expires (``attachments.clean_up``).

When the message arrives, ``check_arrival`` (in the inbox, before the receipt is signed) makes
sure every attachment it names is complete, that each stored chunk is the one the signed
manifest names, and that the chunks decrypt to the manifest's plaintext digest, one chunk at a
time. ``keep_arrival`` then binds the uploads to the message, the keys sealed in the vault, in
the inbox's transaction.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from vinculo.federation import blobs, envelope
from vinculo.messaging import blob_store, network
from vinculo.messaging.models import InboundAttachment, InboundChunk, InboundMessage
from vinculo.messaging.services.attachments import chunk_reader
from vinculo.vault import crypto, keys

log = logging.getLogger(__name__)

# HTTP status of each refusal (the sender decides from the code whether to try again).
STATUS = {
    "unauthenticated": 401,
    "malformed": 400,
    "unsupported_version": 400,
    "stale": 400,
    "wrong_recipient": 403,
    "unknown_sender": 403,
    "suspended_sender": 403,
    "bad_signature": 403,
    "no_directory": 503,
    "directory_expired": 503,
    "too_large": 413,
    "digest_mismatch": 400,
    "blob_mismatch": 409,
    "chunk_conflict": 409,
    "quota_exceeded": 507,
    "attachment_incomplete": 409,
    "attachment_invalid": 400,
}


class UploadRefused(Exception):
    """A chunk, a status request or an arriving message's attachments are not accepted."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.status = STATUS.get(code, 400)


def _authenticate(token: str, *, blob: str, kind: str, now: int) -> blobs.ChunkRequest | blobs.StatusRequest:
    """The verified request, or ``UploadRefused``: checked like an envelope's sender (docs/protocol.md §16.4)."""
    if settings.NODE_ROLE != "office":
        raise UploadRefused("wrong_recipient", "the hub holds no case content and takes no attachments")
    try:
        policy = network.policy()
    except network.NetworkUnavailable as unavailable:
        raise UploadRefused(unavailable.code, unavailable.detail) from None
    if not token:
        raise UploadRefused("unauthenticated", "send the signed request in Authorization: Vinculo <token>")
    try:
        sender, kid = blobs.peek_request(token)
        verify_key = network.sender_keys(sender, kid)
        if verify_key is None:
            raise envelope.EnvelopeRefused("unknown_sender", f"no key {kid} for member {sender}")
        if kind == blobs.CHUNK_REQUEST_KIND:
            request: blobs.ChunkRequest | blobs.StatusRequest = blobs.verify_chunk_request(token, verify_key)
        else:
            request = blobs.verify_status_request(token, verify_key)
    except envelope.EnvelopeRefused as refused:
        raise UploadRefused(refused.code, refused.detail) from None
    if request.recipient != network.node_id():
        raise UploadRefused("wrong_recipient", f"addressed to {request.recipient}")
    if request.blob != blob:
        raise UploadRefused("malformed", "the signed request names another blob than the address")
    if abs(request.issued_at - now) > policy.replay_window_seconds:
        raise UploadRefused("stale", f"signed at {request.issued_at}, now is {now}")
    return request


def _upload_answer(upload: InboundAttachment | None, blob: str) -> dict[str, Any]:
    chunks = [] if upload is None else list(upload.chunks.order_by("index").values("index", "sha256"))
    return {
        "blob": blob,
        "count": None if upload is None else upload.chunk_count,
        "chunks": chunks,
        "attached": upload is not None and upload.message_id is not None,
    }


def held_chunks(*, blob: str, token: str, now: int | None = None) -> dict[str, Any]:
    """Which chunks of ``blob`` this node holds from the signed request's sender."""
    moment = int(time.time()) if now is None else now
    request = _authenticate(token, blob=blob, kind=blobs.STATUS_REQUEST_KIND, now=moment)
    upload = InboundAttachment.objects.filter(sender=request.sender, blob=uuid.UUID(blob)).first()
    return _upload_answer(upload, blob)


def accept_chunk(
    *, blob: str, index: int, token: str, body: blob_store.Readable, length: int, now: int | None = None
) -> dict[str, Any]:
    """Store one uploaded chunk (or recognise it again); ``UploadRefused`` otherwise."""
    moment = int(time.time()) if now is None else now
    request = _authenticate(token, blob=blob, kind=blobs.CHUNK_REQUEST_KIND, now=moment)
    assert isinstance(request, blobs.ChunkRequest)  # noqa: S101 - _authenticate returns the kind asked for
    if request.index != index:
        raise UploadRefused("malformed", "the signed request names another chunk than the address")
    if length != request.size:
        raise UploadRefused("malformed", f"the body is {length} bytes; the signed request says {request.size}")
    limit = network.policy().max_attachment_bytes + blobs.TAG_BYTES * request.count
    upload = InboundAttachment.objects.filter(sender=request.sender, blob=uuid.UUID(blob)).first()
    if upload is not None:
        _check_fits(upload, request, limit)
        known = upload.chunks.filter(index=index).values_list("sha256", flat=True).first()
        if known is not None:
            return _stored(upload, request, known, duplicate=True)
    elif request.size > limit:
        raise UploadRefused("too_large", f"an attachment is at most {limit} bytes")
    pending = (
        InboundAttachment.objects.filter(sender=request.sender, message__isnull=True).aggregate(
            total=Sum("received_bytes")
        )["total"]
        or 0
    )
    if pending + request.size > settings.ATTACHMENT_PENDING_BYTES_PER_PEER:
        raise UploadRefused("quota_exceeded", "too many unclaimed uploads from this member; send their messages first")
    temporary, digest, received = blob_store.receive_chunk(blob_store.incoming_dir(request.sender, blob), body, length)
    if received != request.size or digest != request.sha256:
        blob_store.remove(temporary)
        raise UploadRefused("digest_mismatch", f"chunk {index} arrived as {received} bytes with another SHA-256")
    blob_store.keep(temporary, blob_store.incoming_chunk(request.sender, blob, index, digest))
    return _record(request, digest)


def _check_fits(upload: InboundAttachment, request: blobs.ChunkRequest, limit: int) -> None:
    if upload.chunk_count != request.count:
        raise UploadRefused("blob_mismatch", f"this blob has {upload.chunk_count} chunks, not {request.count}")
    if upload.received_bytes + request.size > limit:
        raise UploadRefused("too_large", f"an attachment is at most {limit} bytes")


def _record(request: blobs.ChunkRequest, digest: str) -> dict[str, Any]:
    """Record a chunk whose file is in place (a race with the same chunk uploaded twice is a duplicate)."""
    with transaction.atomic():
        upload, _created = InboundAttachment.objects.get_or_create(
            sender=request.sender, blob=uuid.UUID(request.blob), defaults={"chunk_count": request.count}
        )
        _check_fits(upload, request, network.policy().max_attachment_bytes + blobs.TAG_BYTES * request.count)
        try:
            with transaction.atomic():
                InboundChunk.objects.create(attachment=upload, index=request.index, sha256=digest, size=request.size)
        except IntegrityError:
            known = upload.chunks.filter(index=request.index).values_list("sha256", flat=True).get()
            return _stored(upload, request, known, duplicate=True)
        InboundAttachment.objects.filter(pk=upload.pk).update(
            received_bytes=F("received_bytes") + request.size, updated_at=timezone.now()
        )
    return _stored(upload, request, digest, duplicate=False)


def _stored(upload: InboundAttachment, request: blobs.ChunkRequest, known: str, *, duplicate: bool) -> dict[str, Any]:
    if known != request.sha256:
        raise UploadRefused("chunk_conflict", f"chunk {request.index} arrived before with another SHA-256")
    return {
        "blob": request.blob,
        "index": request.index,
        "duplicate": duplicate,
        "received": upload.chunks.count(),
        "count": upload.chunk_count,
    }


# --- when the message arrives --------------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    """An opened message's own payload, and its attachments checked against the uploads that hold them."""

    payload: bytes
    attachments: tuple[tuple[blobs.Manifest, InboundAttachment], ...] = ()


def check_arrival(opened: envelope.Opened) -> Arrival:
    """The message's payload once every attachment it names is here and verified; ``UploadRefused`` otherwise.

    ``attachment_incomplete`` (a chunk is missing, or was damaged on this node's disk and is
    dropped so that the sender uploads it again) is transient; ``attachment_invalid`` (the stored
    chunks are the sender's but do not make what its manifest says) and ``malformed`` are final.
    """
    try:
        framed = blobs.unframe(opened.payload)
    except blobs.BlobRefused as refused:
        raise UploadRefused("malformed", refused.detail) from None
    sender = opened.header.sender
    limit = network.policy().max_attachment_bytes
    checked = []
    for manifest in framed.attachments:
        if manifest.size > limit:
            raise UploadRefused("too_large", f"attachment {manifest.blob} is {manifest.size} bytes; at most {limit}")
        upload = InboundAttachment.objects.filter(sender=sender, blob=uuid.UUID(manifest.blob)).first()
        if upload is None:
            raise UploadRefused("attachment_incomplete", f"no chunk of attachment {manifest.blob} has arrived")
        if upload.message_id is not None:
            raise UploadRefused("attachment_invalid", f"attachment {manifest.blob} belongs to another message")
        if upload.chunk_count != manifest.count:
            raise UploadRefused("attachment_invalid", f"attachment {manifest.blob} was uploaded in other chunks")
        held = dict(upload.chunks.values_list("index", "sha256"))
        missing = [index for index in range(manifest.count) if index not in held]
        if missing:
            raise UploadRefused(
                "attachment_incomplete",
                f"{len(missing)} of {manifest.count} chunks of {manifest.blob} missing (first: {missing[0]})",
            )
        different = [index for index, digest in enumerate(manifest.chunks) if held[index] != digest]
        if different:
            raise UploadRefused("attachment_invalid", f"chunk {different[0]} of {manifest.blob} is not the signed one")
        if upload.verified_manifest != manifest.digest():
            _verify(upload, manifest)
        checked.append((manifest, upload))
    return Arrival(payload=framed.payload, attachments=tuple(checked))


def _verify(upload: InboundAttachment, manifest: blobs.Manifest) -> None:
    """Decrypt the stored blob chunk by chunk against its manifest; remember the result for a retry."""
    read = chunk_reader(upload, manifest.chunks)
    try:
        # The stored chunks' digests were checked on upload and against the manifest just now; the
        # AES-GCM tag of each chunk catches any change since, so the digests are not recomputed.
        blobs.verify_blob(manifest, read, check_digests=False)
    except FileNotFoundError as lost:
        _drop_damaged(upload, manifest, lost)
    except blobs.BlobRefused as refused:
        if refused.index is not None and _is_damaged_here(upload, manifest, refused.index):
            _drop_damaged(upload, manifest, refused)
        raise UploadRefused(
            "attachment_invalid", f"attachment {manifest.blob}: {refused.code}: {refused.detail}"
        ) from None
    InboundAttachment.objects.filter(pk=upload.pk).update(verified_manifest=manifest.digest())


def _is_damaged_here(upload: InboundAttachment, manifest: blobs.Manifest, index: int) -> bool:
    """Whether chunk ``index`` changed on this node's disk since it arrived (rather than being sent wrong)."""
    path = blob_store.incoming_chunk(upload.sender, str(upload.blob), index, manifest.chunks[index])
    try:
        return blob_store.sha256_of_file(path) != manifest.chunks[index]
    except FileNotFoundError:
        return True


def _drop_damaged(upload: InboundAttachment, manifest: blobs.Manifest, error: Exception) -> None:
    """Forget every chunk whose file is gone or changed, so that the sender uploads them again."""
    dropped = []
    for index, digest in enumerate(manifest.chunks):
        path = blob_store.incoming_chunk(upload.sender, str(upload.blob), index, digest)
        with contextlib.suppress(FileNotFoundError):
            if blob_store.sha256_of_file(path) == digest:
                continue
        blob_store.remove(path)
        dropped.append(index)
    with transaction.atomic():
        removed = InboundChunk.objects.filter(attachment=upload, index__in=dropped)
        lost = removed.aggregate(total=Sum("size"))["total"] or 0
        removed.delete()
        InboundAttachment.objects.filter(pk=upload.pk).update(received_bytes=F("received_bytes") - lost)
    log.warning("attachment %s from %s: chunks %s damaged on disk (%s)", upload.blob, upload.sender, dropped, error)
    raise UploadRefused(
        "attachment_incomplete", f"{len(dropped)} chunks of attachment {manifest.blob} must be uploaded again"
    )


def keep_arrival(message: InboundMessage, arrival: Arrival) -> None:
    """Bind the checked uploads to the message just stored, keys sealed in the vault (in the inbox's transaction)."""
    keyring = keys.current_keyring()
    for position, (manifest, upload) in enumerate(arrival.attachments):
        claimed = InboundAttachment.objects.filter(pk=upload.pk, message__isnull=True).update(
            message=message,
            position=position,
            size=manifest.size,
            chunk_size=manifest.chunk_size,
            sha256=manifest.sha256,
            name=manifest.name,
            media_type=manifest.media_type,
            content_key=crypto.seal_bytes(
                manifest.key, keyring=keyring, context=InboundAttachment.context(upload.sender, upload.blob)
            ),
            attached_at=timezone.now(),
        )
        if not claimed:  # another message of the same sender claimed the blob a moment ago
            raise IntegrityError(f"attachment {manifest.blob} was claimed by another message")
        network.evidence(
            "attachment_received", message_id=str(message.message_id), peer=message.sender, sha256=manifest.sha256,
            facts={"blob": manifest.blob, "size": manifest.size, "chunks": manifest.count},
        )  # fmt: skip
