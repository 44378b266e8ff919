"""The evidence log: an append-only, hash-chained record of what this node sent and received."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.evidence.chain import ChainEntry


class EvidenceEntry(models.Model):
    """One exchange event or checkpoint. Rows are never updated or deleted (database triggers refuse it).

    Only references are kept (message id, peer, digest) and a few facts such as a refusal code:
    never a payload or personal data, so the log can be exported and shown to a court or a peer.
    """

    seq = models.PositiveBigIntegerField(_("number"), unique=True)
    recorded_at = models.DateTimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=32, db_index=True)
    message_id = models.CharField(_("message id"), max_length=36, blank=True, db_index=True)
    peer = models.CharField(_("peer"), max_length=20, blank=True, db_index=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    facts = models.JSONField(_("facts"), default=dict)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering: ClassVar = ["-seq"]
        verbose_name = _("evidence entry")
        verbose_name_plural = _("evidence entries")

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind}"

    def chain_entry(self) -> ChainEntry:
        """The hashed fields (absent references as None)."""
        return ChainEntry(
            seq=self.seq,
            recorded_at=self.recorded_at,
            kind=self.kind,
            message_id=self.message_id or None,
            peer=self.peer or None,
            sha256=self.sha256 or None,
            facts=self.facts,
            prev_hash=self.prev_hash,
        )


class EvidenceHead(models.Model):
    """The chain head (a single row): the last sequence number and hash, locked by each append."""

    seq = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("evidence chain head")
        verbose_name_plural = _("evidence chain heads")

    def __str__(self) -> str:
        return f"head #{self.seq}"
