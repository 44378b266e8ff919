"""Verifying the stored chain: stream the entries in sequence order into `chain.verify`.

Reads only; recording that a verification happened is the job of `services.verify_trail`.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from vinculo.audit import chain
from vinculo.audit.chain import StoredEntry, Verdict
from vinculo.audit.models import AuditEntry, AuditHead

HEAD_PK = 1
# Rows fetched per round trip; a PostgreSQL server-side cursor keeps memory flat whatever the trail's length.
CHUNK_SIZE = 2000

REASONS: dict[str, Promise] = {
    "missing": _("Entry #%(seq)s is missing: it was deleted."),
    "out_of_order": _("Entry #%(seq)s is out of order."),
    "unlinked": _("Entry #%(seq)s does not follow the entry before it: an entry was removed, inserted or moved."),
    "altered": _("Entry #%(seq)s was altered after it was written: its hash does not match its content."),
    "head_missing": _("The record of the chain head is missing."),
    "truncated": _("Entries from #%(seq)s on were removed from the end of the chain."),
    "beyond_head": _("Entry #%(seq)s is beyond the chain head: it was not written by the audit service."),
    "head_mismatch": _("Entry #%(seq)s does not match the chain head: it was replaced, or the head was altered."),
}


def stored_entries(*, up_to_seq: int | None = None, chunk_size: int = CHUNK_SIZE) -> Iterator[StoredEntry]:
    """The stored entries in sequence order (up to ``up_to_seq``), fetched a chunk at a time."""
    entries = AuditEntry.objects.order_by("seq")
    if up_to_seq is not None:
        entries = entries.filter(seq__lte=up_to_seq)
    for entry in entries.iterator(chunk_size=chunk_size):
        yield StoredEntry(facts=entry.facts(), stored_hash=entry.entry_hash)


def verify_stored_chain(*, chunk_size: int = CHUNK_SIZE) -> Verdict:
    """Walk the whole stored chain from entry #1 and check it against the chain head."""
    # The head is read first, and the walk stops at the number it counts: the head and the
    # entries it counts are committed together, so entries appended while a long walk runs
    # are neither missed nor mistaken for a break.
    head = AuditHead.objects.filter(pk=HEAD_PK).first()
    if head is None:
        return chain.verify(stored_entries(chunk_size=chunk_size), head_seq=None, head_hash=None)
    verdict = chain.verify(
        stored_entries(up_to_seq=head.seq, chunk_size=chunk_size), head_seq=head.seq, head_hash=head.entry_hash
    )
    if not verdict.is_intact:
        return verdict
    return _check_nothing_beyond_head(verdict, counted=head.seq)


def _check_nothing_beyond_head(verdict: Verdict, *, counted: int) -> Verdict:
    """Entries numbered past the head read at the start must be counted by the head read now.

    An entry seen here was committed together with a head at least as far along, so an entry
    the current head does not count was written around the audit service (a forged append).
    These later entries' links are checked by the next verification.
    """
    later = AuditEntry.objects.filter(seq__gt=counted).aggregate(last=Max("seq"))["last"]
    if later is None:
        return verdict
    head = AuditHead.objects.filter(pk=HEAD_PK).values_list("seq", flat=True).first() or 0
    if later <= head:
        return verdict
    first = AuditEntry.objects.filter(seq__gt=max(head, counted)).order_by("seq").values_list("seq", flat=True).first()
    seq = first if first is not None else later
    reason = f"entry #{seq} is beyond the chain head (#{head}): the audit service did not write it"
    return Verdict(False, verdict.checked, seq, reason, verdict.last_hash, "beyond_head")


def describe(verdict: Verdict) -> str:
    """The verdict's reason in the active language (an empty string for an intact chain)."""
    if verdict.is_intact:
        return ""
    message = REASONS.get(verdict.code)
    if message is None:
        return verdict.reason
    return str(message) % {"seq": verdict.first_bad_seq}
