"""The audit trail: an append-only, hash-chained record of who did what on this node."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.audit.chain import EntryFacts


class AuditEntry(models.Model):
    """One action. Rows are never updated or deleted (database triggers refuse it)."""

    seq = models.PositiveBigIntegerField(_("number"), unique=True)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=200, help_text=_("Username at the time, or 'system'."))
    office_code = models.CharField(_("office"), max_length=20)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target"), max_length=64, blank=True)
    data = models.JSONField(_("data"), default=dict)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    client_ip = models.CharField(_("client address"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering: ClassVar = ["-seq"]
        indexes: ClassVar = [
            models.Index(fields=["at"], name="audit_entry_at"),
            models.Index(fields=["actor", "at"], name="audit_entry_actor_at"),
            models.Index(fields=["target_type", "target_id"], name="audit_entry_target"),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"

    def facts(self) -> EntryFacts:
        return EntryFacts(
            seq=self.seq,
            at=self.at,
            actor_id=self.actor_id,
            actor_label=self.actor_label,
            office_code=self.office_code,
            action=self.action,
            target_type=self.target_type,
            target_id=self.target_id,
            data=self.data,
            request_id=self.request_id,
            client_ip=self.client_ip,
            prev_hash=self.prev_hash,
        )


class AuditHead(models.Model):
    """The chain head (a single row): the last sequence number and hash, locked by each append."""

    seq = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain heads")

    def __str__(self) -> str:
        return f"head #{self.seq}"
