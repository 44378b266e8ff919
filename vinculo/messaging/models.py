"""The outbox and the inbox: every envelope this node sends or accepts, with its delivery state.

A message's content is kept sealed in the identity vault (never in clear): the outbox needs it
to seal the envelope again when a retry comes after the replay window, and the inbox keeps
what arrived for the module that handles its type. Receipts are kept as the signed tokens
they are, so they can be shown to anyone as proof.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboundMessage(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be delivered")
        DELIVERED = "delivered", _("Delivered (receipt received)")
        FAILED = "failed", _("Not delivered (given up)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.CharField(_("recipient"), max_length=32, db_index=True)
    type = models.CharField(_("type"), max_length=64)
    conversation = models.CharField(max_length=128, blank=True)
    in_reply_to = models.UUIDField(null=True, blank=True)
    handling = models.JSONField(default=list, blank=True)
    payload = models.TextField(blank=True)  # vault token; erased once delivered or given up
    envelope = models.TextField(blank=True)  # the last sealed envelope (ASCII)
    sealed_at = models.PositiveBigIntegerField(null=True, blank=True)  # its created_at (Unix seconds)
    attempt_digests = models.JSONField(default=list, blank=True)  # SHA-256 of every envelope sealed for it
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    give_up_at = models.DateTimeField()
    receipt = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            # The pages of messages sent list them newest first (an index serves both directions).
            models.Index(fields=["created_at"], name="outbox_created"),
        ]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")

    def __str__(self) -> str:
        return f"{self.id} → {self.recipient} ({self.status})"

    @staticmethod
    def context(message_id: uuid.UUID | str) -> str:
        return f"messaging.outbound:{message_id}:payload"


class InboundMessage(models.Model):
    """An envelope this node accepted, once per (sender, id) whatever the retries."""

    sender = models.CharField(_("sender"), max_length=32)
    message_id = models.UUIDField(_("message id"))
    type = models.CharField(_("type"), max_length=64)
    conversation = models.CharField(max_length=128, blank=True)
    in_reply_to = models.UUIDField(null=True, blank=True)
    handling = models.JSONField(default=list, blank=True)
    message_digest = models.CharField(max_length=64)
    envelope_sha256 = models.CharField(max_length=64, db_index=True)
    # Vault token of the sender's inner JWS, the proof of what they sent: it holds the payload
    # (and any attachment keys) in base64, so it is sealed like the payload.
    signed = models.TextField()
    payload = models.TextField(blank=True)  # vault token
    receipt = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    processing_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["-received_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["sender", "message_id"], name="one_message_per_sender_and_id"),
        ]
        indexes: ClassVar = [
            # The worker's look for messages to hand on, without reading the whole inbox each time.
            models.Index(
                fields=["received_at"],
                name="inbox_to_handle",
                condition=models.Q(processed_at__isnull=True, processing_error=""),
            ),
        ]
        verbose_name = _("incoming message")
        verbose_name_plural = _("incoming messages")

    def __str__(self) -> str:
        return f"{self.message_id} ← {self.sender}"

    @staticmethod
    def context(sender: str, message_id: uuid.UUID | str) -> str:
        return f"messaging.inbound:{sender}:{message_id}:payload"

    @staticmethod
    def signed_context(sender: str, message_id: uuid.UUID | str) -> str:
        return f"messaging.inbound:{sender}:{message_id}:signed"


class RefusedEnvelope(models.Model):
    """An envelope refused at the inbox: what its clear header claimed, and why (no content kept)."""

    claimed_sender = models.CharField(max_length=64, blank=True)
    claimed_id = models.CharField(max_length=64, blank=True)
    envelope_sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    code = models.CharField(max_length=32)
    detail = models.CharField(max_length=300, blank=True)
    remote_address = models.GenericIPAddressField(null=True, blank=True)
    refused_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-refused_at"]
        indexes: ClassVar = [
            # The inbox's rate limiter counts each address's refusals this minute, on every refusal.
            models.Index(fields=["remote_address", "refused_at"], name="refused_by_address"),
        ]
        verbose_name = _("refused envelope")
        verbose_name_plural = _("refused envelopes")

    def __str__(self) -> str:
        return f"{self.code}: {self.claimed_sender}/{self.claimed_id}"


class OutboundAttachment(models.Model):
    """A blob attached to an outgoing message: its encrypted chunks wait on disk until delivered.

    The blob's key is not here: it is in the message's sealed payload (the frame of manifests),
    and leaves with it. ``chunk_digests`` lets the worker sign each upload and notice a chunk
    file damaged on disk before sending it.
    """

    message = models.ForeignKey(OutboundMessage, on_delete=models.CASCADE, related_name="attachments")
    position = models.PositiveSmallIntegerField()
    blob = models.UUIDField(db_index=True)
    size = models.PositiveBigIntegerField()
    chunk_size = models.PositiveIntegerField()
    chunk_digests = models.JSONField(default=list)
    sha256 = models.CharField(max_length=64)  # of the plaintext
    name = models.CharField(max_length=255)
    media_type = models.CharField(max_length=127)
    uploaded_at = models.DateTimeField(null=True, blank=True)  # the recipient held every chunk
    released_at = models.DateTimeField(null=True, blank=True)  # this node's chunk files deleted
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering: ClassVar = ["message", "position"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["message", "position"], name="one_attachment_per_position"),
            models.UniqueConstraint(fields=["message", "blob"], name="one_blob_per_outbound_message"),
        ]
        verbose_name = _("outgoing attachment")
        verbose_name_plural = _("outgoing attachments")

    def __str__(self) -> str:
        return f"{self.blob} ({self.size} bytes) for {self.message_id}"


class InboundAttachment(models.Model):
    """A blob a peer uploads to this node, chunk by chunk; once its message arrives, that message's attachment.

    Until then it is an *upload*: only its chunks are known, and it expires if no message claims
    it. The message's manifest then fills in what the blob is, and its key, sealed in the vault.
    """

    sender = models.CharField(_("sender"), max_length=32)
    blob = models.UUIDField()
    chunk_count = models.PositiveIntegerField()
    received_bytes = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)  # the last chunk stored
    verified_manifest = models.CharField(max_length=64, blank=True)  # the manifest it was checked against
    message = models.ForeignKey(
        InboundMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    position = models.PositiveSmallIntegerField(null=True, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    chunk_size = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)  # of the plaintext
    name = models.CharField(_("file name"), max_length=255, blank=True)
    media_type = models.CharField(_("media type"), max_length=127, blank=True)
    content_key = models.TextField(blank=True)  # vault token
    attached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["sender", "blob"], name="one_upload_per_sender_and_blob"),
        ]
        indexes: ClassVar = [models.Index(fields=["attached_at", "updated_at"], name="inbound_blob_expiry")]
        verbose_name = _("incoming attachment")
        verbose_name_plural = _("incoming attachments")

    def __str__(self) -> str:
        return f"{self.blob} ← {self.sender}"

    @staticmethod
    def context(sender: str, blob: uuid.UUID | str) -> str:
        return f"messaging.attachment:{sender}:{blob}:key"


class InboundChunk(models.Model):
    """One encrypted chunk stored for an incoming attachment (the file is named by its index and SHA-256)."""

    attachment = models.ForeignKey(InboundAttachment, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["attachment", "index"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["attachment", "index"], name="one_chunk_per_index"),
        ]

    def __str__(self) -> str:
        return f"{self.attachment_id}#{self.index}"
