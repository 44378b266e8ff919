"""Writing to the evidence log.

The inbox and outbox call ``record`` inside the transaction of what they record (an envelope
stored, a receipt kept, a delivery given up), so an entry exists if and only if that committed.
The worker calls ``sign_head`` periodically; ``record_peer_head`` keeps the heads peers send.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.audit.models import AuditHead
from vinculo.core.errors import AccessDenied
from vinculo.evidence import verification
from vinculo.evidence.chain import (
    AUDIT_CHECKPOINT,
    GENESIS_HASH,
    HEAD_DOCUMENT_KIND,
    HEAD_RECEIVED,
    HEAD_SIGNED,
    ChainEntry,
    Head,
    InvalidEntry,
    check_facts,
    check_references,
    entry_hash,
    read_head,
)
from vinculo.evidence.models import EvidenceEntry, EvidenceHead
from vinculo.evidence.verify import Verdict
from vinculo.federation.envelope import sha256_of
from vinculo.federation.signed import peek_key_id, sign_document, verify_document
from vinculo.federation.wire import EnvelopeRefused

if TYPE_CHECKING:
    from vinculo.accounts.models import User
    from vinculo.federation.jwk import SigningKey, VerifyKey

HEAD_PK = verification.HEAD_PK
AUDIT_HEAD_PK = 1

logger = logging.getLogger(__name__)


# Appends go through plain statements: the ORM's own work per query (about a millisecond each
# on a small server) would otherwise cost more than the append itself: measured on SQLite, 4.1 ms
# an append through the ORM against 1.1 ms so; on PostgreSQL, 3.3 ms with three statements against
# 1.9 ms with the insert and the head's update in one.
_HEAD_TABLE = EvidenceHead._meta.db_table
_ENTRY_TABLE = EvidenceEntry._meta.db_table
_ENTRY_COLUMNS = ("seq", "recorded_at", "kind", "message_id", "peer", "sha256", "facts", "prev_hash", "entry_hash")
_FIELDS: dict[str, Field[Any, Any]] = {field.name: field for field in EvidenceEntry._meta.concrete_fields}
# One row's placeholders; an insert of several entries repeats it ({rows}).
_ROW = f"({', '.join(['%s'] * len(_ENTRY_COLUMNS))})"
_INSERT_ROWS = f"INSERT INTO {_ENTRY_TABLE} ({', '.join(_ENTRY_COLUMNS)}) VALUES {{rows}} RETURNING seq, id"  # noqa: S608
_UPDATE_HEAD = f"UPDATE {_HEAD_TABLE} SET seq = %s, entry_hash = %s, updated_at = %s WHERE id = %s"  # noqa: S608
# PostgreSQL does both in one round trip (on SQLite, in the same process, two calls cost nothing).
_INSERT_AND_UPDATE_HEAD_ROWS = f"WITH entry AS ({{insert}}), head AS ({_UPDATE_HEAD}) SELECT seq, id FROM entry"  # noqa: S608
# Entries appended by one statement at most (SQLite allows 32,766 parameters, nine per entry).
MAX_ROWS_PER_INSERT = 500


def _locked_head() -> tuple[int, str]:
    """The head's number and hash, locked until the transaction ends (created if it is missing)."""
    # The head row serialises appends: whoever holds its lock writes the next number. On SQLite
    # the transaction's write lock (BEGIN IMMEDIATE) does that, and there is no FOR UPDATE.
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, entry_hash FROM {_HEAD_TABLE} WHERE id = %s{lock}", [HEAD_PK])  # noqa: S608
        head = cursor.fetchone()
    if head is None:
        # Missing (a database flushed since its migration): created once, whoever comes first;
        # the others wait for that row and lock it in turn.
        EvidenceHead.objects.bulk_create(
            [EvidenceHead(pk=HEAD_PK, seq=0, entry_hash=GENESIS_HASH)], ignore_conflicts=True
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT seq, entry_hash FROM {_HEAD_TABLE} WHERE id = %s{lock}", [HEAD_PK])  # noqa: S608
            head = cursor.fetchone()
    return int(head[0]), str(head[1])


def _append(entry: ChainEntry, digest: str) -> EvidenceEntry:
    return _append_all([(entry, digest)])[0]


def _append_all(entries: Sequence[tuple[ChainEntry, str]]) -> list[EvidenceEntry]:
    """Insert consecutive entries (one statement) and move the head to the last (on PostgreSQL, the same statement)."""
    rows = [
        EvidenceEntry(
            seq=entry.seq,
            recorded_at=entry.recorded_at,
            kind=entry.kind,
            message_id=entry.message_id or "",
            peer=entry.peer or "",
            sha256=entry.sha256 or "",
            facts=dict(entry.facts),
            prev_hash=entry.prev_hash,
            entry_hash=digest,
        )
        for entry, digest in entries
    ]
    # Only the time and the facts need converting; the other columns are plain numbers and text.
    values = []
    for row in rows:
        values += [
            row.seq,
            _FIELDS["recorded_at"].get_db_prep_save(row.recorded_at, connection),
            row.kind,
            row.message_id,
            row.peer,
            row.sha256,
            _FIELDS["facts"].get_db_prep_save(row.facts, connection),
            row.prev_hash,
            row.entry_hash,
        ]
    last = rows[-1]
    head = [last.seq, last.entry_hash, _FIELDS["recorded_at"].get_db_prep_save(last.recorded_at, connection), HEAD_PK]
    insert = _INSERT_ROWS.format(rows=", ".join([_ROW] * len(rows)))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_INSERT_AND_UPDATE_HEAD_ROWS.format(insert=insert), [*values, *head])
        else:
            cursor.execute(insert, values)
        ids = dict(cursor.fetchall())  # seq -> id (the order of RETURNING is not promised)
        if connection.vendor != "postgresql":
            cursor.execute(_UPDATE_HEAD, head)
    for row in rows:
        row.pk = ids[row.seq]
        row._state.adding = False
    return rows


def record(
    kind: str,
    *,
    message_id: str | None = None,
    peer: str | None = None,
    sha256: str | None = None,
    facts: Mapping[str, Any] | None = None,
) -> EvidenceEntry:
    """Append one entry; call inside the transaction of what it records.

    ``kind`` is one of ``chain.KINDS``; ``message_id`` the envelope's UUID, ``peer`` the other
    member's id, ``sha256`` the hex digest of the envelope or receipt exactly as sent or received;
    ``facts`` a few codes and counters (a refusal code, an attempt number), never payload content
    or personal data. A malformed argument raises ``InvalidEntry`` (a bug in the caller).
    """
    check_references(kind=kind, message_id=message_id, peer=peer, sha256=sha256)
    check_facts(facts if facts is not None else {})
    payload = dict(facts or {})
    # No savepoint: a failed append must fail the caller's whole transaction, not just this step.
    with transaction.atomic(savepoint=False):
        seq, prev_hash = _locked_head()
        entry = ChainEntry(
            seq=seq + 1,
            recorded_at=timezone.now(),
            kind=kind,
            message_id=message_id,
            peer=peer,
            sha256=sha256,
            facts=payload,
            prev_hash=prev_hash,
        )
        return _append(entry, entry_hash(entry))


@dataclass(frozen=True)
class Fact:
    """One entry for ``record_many``: the arguments of ``record``."""

    kind: str
    message_id: str | None = None
    peer: str | None = None
    sha256: str | None = None
    facts: Mapping[str, Any] | None = None


def record_many(entries: Sequence[Fact]) -> list[EvidenceEntry]:
    """Append several entries in this order; call inside the transaction of what they record.

    The same entries as ``record`` called once for each, at the cost of one: the head is locked
    and moved once, and the rows are inserted together (the worker records a batch of envelopes,
    the inbox an envelope and its receipt).
    """
    for fact in entries:
        check_references(kind=fact.kind, message_id=fact.message_id, peer=fact.peer, sha256=fact.sha256)
        check_facts(fact.facts if fact.facts is not None else {})
    if not entries:
        return []
    appended: list[EvidenceEntry] = []
    with transaction.atomic(savepoint=False):
        seq, prev_hash = _locked_head()
        moment = timezone.now()
        for start in range(0, len(entries), MAX_ROWS_PER_INSERT):
            chained = []
            for fact in entries[start : start + MAX_ROWS_PER_INSERT]:
                seq += 1
                entry = ChainEntry(
                    seq=seq,
                    recorded_at=moment,
                    kind=fact.kind,
                    message_id=fact.message_id,
                    peer=fact.peer,
                    sha256=fact.sha256,
                    facts=dict(fact.facts or {}),
                    prev_hash=prev_hash,
                )
                prev_hash = entry_hash(entry)
                chained.append((entry, prev_hash))
            appended += _append_all(chained)
    return appended


def record_audit_checkpoint() -> EvidenceEntry | None:
    """Append an ``audit`` entry holding the audit chain's head, unless the last checkpoint holds it already.

    The audit head's hash covers every audit entry up to it, so this one entry binds the whole
    audit trail into the evidence chain (ADR 0016). Call inside a transaction.
    """
    audit_head = AuditHead.objects.filter(pk=AUDIT_HEAD_PK).values_list("seq", "entry_hash").first()
    if audit_head is None or audit_head[0] == 0:
        return None
    facts = {"audit_seq": audit_head[0], "audit_hash": audit_head[1]}
    last = EvidenceEntry.objects.filter(kind=AUDIT_CHECKPOINT).order_by("-seq").values_list("facts", flat=True).first()
    if last == facts:
        return None
    return record(AUDIT_CHECKPOINT, facts=facts)


def _node_signing_key() -> SigningKey:
    from vinculo.federation.keys import node_signing_key

    return node_signing_key()


def _node_id() -> str:
    from vinculo.federation.keys import node_id

    return node_id()


@transaction.atomic(durable=True)
def sign_head(*, signing_key: SigningKey | None = None, node: str | None = None, force: bool = False) -> EvidenceEntry:
    """Checkpoint the audit trail, then sign the chain head and append it as a ``head_signed`` entry.

    The entry returned holds the token to send to peers (``entry.facts["token"]``). When nothing
    was appended since the last signed head (and the key is the same), that head is returned and
    nothing is written, so a periodic job may call this as often as it likes; ``force`` signs anyway.
    ``signing_key`` and ``node`` default to this node's (``federation.keys``).
    """
    key = signing_key if signing_key is not None else _node_signing_key()
    node = node if node is not None else _node_id()
    _locked_head()
    record_audit_checkpoint()
    seq, last_hash = _locked_head()  # re-read after the checkpoint
    latest = EvidenceEntry.objects.filter(seq=seq).first()
    if (
        not force
        and latest is not None
        and latest.kind == HEAD_SIGNED
        and latest.facts.get("jwk", {}).get("kid") == key.thumbprint()
    ):
        return latest
    claims = Head(node=node, seq=seq, entry_hash=last_hash, signed_at=int(timezone.now().timestamp()))
    token = sign_document(claims.claims(), key, kind=HEAD_DOCUMENT_KIND)
    return record(HEAD_SIGNED, sha256=sha256_of(token.encode("ascii")), facts={"token": token, "jwk": key.public_jwk()})


def latest_signed_head() -> str | None:
    """The token of the latest head this node signed (what to send to peers), or None."""
    facts = EvidenceEntry.objects.filter(kind=HEAD_SIGNED).order_by("-seq").values_list("facts", flat=True).first()
    return facts["token"] if facts else None


def _directory_key(member: str, kid: str) -> VerifyKey:
    from vinculo.federation.directory import in_force

    found = in_force().member(member)
    key = found.verify_key(kid) if found is not None else None
    if key is None:
        raise EnvelopeRefused("unknown_sender", f"the directory in force lists no signing key {kid} for {member}")
    return key


def record_peer_head(token: str, member: str, *, verify_key: VerifyKey | None = None) -> EvidenceEntry:
    """Verify a head that peer ``member`` signed and append it (``head_received``); call inside a transaction.

    The key is the member's in the directory in force (``DirectoryUnavailable`` when there is none),
    or ``verify_key``. Refused with ``EnvelopeRefused``: malformed, bad_signature, unknown_sender.
    The same token again returns its first entry. A head naming a number the member already
    signed with another hash is recorded too, with ``facts["conflicts_with"]`` naming the entry
    of the earlier head: the member's log was rewritten between the two.
    """
    key = verify_key if verify_key is not None else _directory_key(member, peek_key_id(token))
    claims = verify_document(token, key, kind=HEAD_DOCUMENT_KIND)
    try:
        head = read_head(claims)
    except InvalidEntry as error:
        raise EnvelopeRefused("malformed", str(error)) from None
    if head.node != member:
        raise EnvelopeRefused("malformed", f"the head is {head.node}'s, not {member}'s")
    digest = sha256_of(token.encode("ascii"))
    with transaction.atomic():
        _locked_head()  # two copies of one head arriving together are recorded once
        earlier = EvidenceEntry.objects.filter(kind=HEAD_RECEIVED, peer=member)
        existing = earlier.filter(sha256=digest).first()
        if existing is not None:
            return existing
        facts: dict[str, Any] = {
            "token": token,
            "seq": head.seq,
            "entry_hash": head.entry_hash,
            "signed_at": head.signed_at,
        }
        conflict = earlier.filter(facts__seq=head.seq).exclude(facts__entry_hash=head.entry_hash).first()
        if conflict is not None:
            facts["conflicts_with"] = conflict.seq
            logger.error(
                "%s signed two heads for its evidence entry #%s (first kept in our entry #%s): its log was rewritten",
                member,
                head.seq,
                conflict.seq,
            )
        return record(HEAD_RECEIVED, peer=member, sha256=digest, facts=facts)


# --- verifying and exporting, as people do it (audited) -------------------------------------


def verify_log(*, actor: User | None) -> Verdict:
    """Verify the stored log (chain, head row, signed heads, audit checkpoints); audit an intact result."""
    if actor is not None and not actor.has_permission(Permission.AUDIT_VIEW):
        raise AccessDenied(Permission.AUDIT_VIEW.value)
    # Outside any transaction, like the audit verification: a long walk must not hold the write lock.
    verdict = verification.verify_stored_log()
    if verdict.is_intact:
        _record_verified(actor=actor, verdict=verdict)
    else:
        logger.error("evidence log broken: %s", verdict.reason)
    return verdict


@transaction.atomic(durable=True)
def _record_verified(*, actor: User | None, verdict: Verdict) -> None:
    audit.record(
        action="evidence.verified",
        actor=actor,
        data={"entries": verdict.checked, "head_hash": verdict.last_hash, "signed_seq": verdict.signed_seq},
    )


@transaction.atomic(durable=True)
def record_log_exported(*, actor: User | None, count: int, signed_seq: int | None) -> None:
    """Note that ``actor`` (None: the operator at the console) exported the log's ``count`` entries."""
    audit.record(action="evidence.exported", actor=actor, data={"count": count, "signed_seq": signed_seq})
