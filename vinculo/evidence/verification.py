"""Verifying the stored log: the rows, in order, through the same walk as an exported file.

Beyond what a file shows, the database has the head row (entries removed from the end, or
written around the service) and the audit trail (each checkpoint must still match it).
Reads only; recording that a verification happened is the job of ``services.verify_log``.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db.models import Max
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from vinculo.audit.models import AuditEntry
from vinculo.evidence.chain import AUDIT_CHECKPOINT, document, hash_document
from vinculo.evidence.models import EvidenceEntry, EvidenceHead
from vinculo.evidence.verify import ChainWalk, Verdict

HEAD_PK = 1
CHUNK_SIZE = 2000
CHECKPOINT_BATCH = 500

REASONS: dict[str, Promise] = {
    "malformed": _("Entry #%(seq)s is not well formed."),
    "missing": _("Entry #%(seq)s is missing: it was deleted."),
    "reordered": _("Entry #%(seq)s is out of order: it was moved."),
    "duplicate": _("Entry #%(seq)s comes a second time: an entry was inserted or copied."),
    "edited": _("Entry #%(seq)s was edited after it was written: its hash does not match its content."),
    "unlinked": _("Entry #%(seq)s does not follow the entry before it: one of them was rewritten."),
    "bad_head_signature": _("The signed head in entry #%(seq)s has a bad signature."),
    "head_mismatch": _("The signed head in entry #%(seq)s does not match the chain: earlier entries were rewritten."),
    "unknown_key": _("The latest signed head (entry #%(seq)s) is signed with a key that is not this node's."),
    "truncated": _("Entries from #%(seq)s on were removed from the end of the log."),
    "head_row": _("Entry #%(seq)s does not match the chain head: it was replaced, or the head was altered."),
    "beyond_head": _("Entry #%(seq)s is beyond the chain head: it was not written by the evidence service."),
    "audit_mismatch": _("The audit checkpoint in entry #%(seq)s no longer matches the audit trail: it was rewritten."),
}


def stored_documents(*, up_to_seq: int, chunk_size: int = CHUNK_SIZE) -> Iterator[dict[str, object]]:
    """The stored entries up to ``up_to_seq`` as export documents (hashed fields plus ``hash``), in order."""
    rows = EvidenceEntry.objects.filter(seq__lte=up_to_seq).order_by("seq")
    for row in rows.iterator(chunk_size=chunk_size):
        yield {**document(row.chain_entry()), "hash": row.entry_hash}


def node_key_thumbprints() -> list[str] | None:
    """The thumbprints this node's heads may be signed with: the directory's keys for this node,
    else the current key; None when neither is known (keys not created yet)."""
    from django.core.exceptions import ImproperlyConfigured

    from vinculo.federation.directory import held_directory
    from vinculo.federation.keys import node_signing_key

    directory = held_directory()
    member = directory.member(settings.NODE_ID) if directory is not None else None
    if member is not None:
        return [key.kid for key in member.signing_keys]
    try:
        return [node_signing_key().thumbprint()]
    except ImproperlyConfigured:
        return None


def verify_stored_log(*, chunk_size: int = CHUNK_SIZE) -> Verdict:
    """Walk the whole stored log from entry #1 and check it against the head row and the audit trail."""
    # As for the audit trail: the head is read first and the walk stops at the number it counts,
    # so entries appended while the walk runs are neither missed nor mistaken for a break.
    head = EvidenceHead.objects.filter(pk=HEAD_PK).values_list("seq", "entry_hash").first() or (0, "")
    counted, head_hash = head
    walk = ChainWalk(node=settings.NODE_ID)
    for entry in stored_documents(up_to_seq=counted, chunk_size=chunk_size):
        verdict = walk.step(entry)
        if verdict is not None:
            return _moved(walk, entry, verdict)
    last_seq = walk.expected - 1
    if last_seq < counted:
        return walk.broken(last_seq + 1, "truncated", f"entries #{last_seq + 1} to #{counted} are missing")
    if counted and walk.previous != head_hash:
        return walk.broken(counted, "head_row", "does not match the chain head: replaced, or the head altered")
    verdict = _check_nothing_beyond_head(walk, counted=counted) or _check_audit_checkpoints(walk, up_to_seq=counted)
    if verdict is not None:
        return verdict
    trusted = node_key_thumbprints()
    if trusted is None:
        return walk.intact(notes=["this node has no signing key, so whose the heads are was not checked"])
    return walk.check_latest_key(trusted, whose="this node") or walk.intact()


def _moved(walk: ChainWalk, entry: dict[str, object], verdict: Verdict) -> Verdict:
    """An "edited" entry whose hash matches its content under another number was moved, not edited.

    In a file an entry keeps its number when its line moves; in the table its number is its place,
    so moving a row means giving it another number, which its hash covers. The number it was written
    with is the one after the entry its ``prev`` names, or the one before the entry naming it.
    """
    seq, digest = entry["seq"], entry["hash"]
    if verdict.code != "edited" or not isinstance(seq, int):
        return verdict
    before = EvidenceEntry.objects.filter(entry_hash=entry["prev"]).values_list("seq", flat=True).first()
    after = EvidenceEntry.objects.filter(prev_hash=digest).values_list("seq", flat=True).first()
    hashed = {name: value for name, value in entry.items() if name != "hash"}
    for written in sorted({before + 1 if before is not None else 0, after - 1 if after is not None else 0}):
        if written >= 1 and written != seq and hash_document({**hashed, "seq": written}) == digest:
            return walk.broken(seq, "reordered", f"is out of order: its place holds entry #{written}; it was moved")
    return verdict


def _check_nothing_beyond_head(walk: ChainWalk, *, counted: int) -> Verdict | None:
    """An entry past the head read at the start must be counted by the head read now (else it was forged)."""
    later = EvidenceEntry.objects.filter(seq__gt=counted).aggregate(last=Max("seq"))["last"]
    if later is None:
        return None
    head = EvidenceHead.objects.filter(pk=HEAD_PK).values_list("seq", flat=True).first() or 0
    if later <= head:
        return None
    return walk.broken(max(head, counted) + 1, "beyond_head", f"is beyond the chain head (#{head})")


def _check_audit_checkpoints(walk: ChainWalk, *, up_to_seq: int) -> Verdict | None:
    """Each audit checkpoint must still name the hash the audit entry it counts has now."""
    checkpoints = (
        EvidenceEntry.objects.filter(kind=AUDIT_CHECKPOINT, seq__lte=up_to_seq)
        .order_by("seq")
        .values_list("seq", "facts")
    )
    batch: list[tuple[int, dict[str, object]]] = []
    for checkpoint in checkpoints.iterator(chunk_size=CHECKPOINT_BATCH):
        batch.append(checkpoint)
        if len(batch) == CHECKPOINT_BATCH:
            verdict = _check_checkpoint_batch(walk, batch)
            if verdict is not None:
                return verdict
            batch = []
    return _check_checkpoint_batch(walk, batch) if batch else None


def _check_checkpoint_batch(walk: ChainWalk, batch: list[tuple[int, dict[str, object]]]) -> Verdict | None:
    audit_seqs = [seq for _, facts in batch if isinstance(seq := facts.get("audit_seq"), int)]
    stored = dict(AuditEntry.objects.filter(seq__in=audit_seqs).values_list("seq", "entry_hash"))
    for seq, facts in batch:
        audit_seq = facts.get("audit_seq")
        if audit_seq not in stored:
            return walk.broken(seq, "audit_mismatch", f"the audit entry #{audit_seq} it counts is missing")
        if stored[audit_seq] != facts.get("audit_hash"):
            return walk.broken(seq, "audit_mismatch", f"the audit entry #{audit_seq} it counts has another hash now")
    return None


def describe(verdict: Verdict) -> str:
    """The verdict's reason in the active language (an empty string for an intact log)."""
    if verdict.is_intact:
        return ""
    message = REASONS.get(verdict.code)
    if message is None or verdict.first_bad_seq is None:
        return verdict.reason
    return str(message) % {"seq": verdict.first_bad_seq}
