"""The hub's batch cross-match: which persons are held by two or more offices, and nothing else.

Offices upload their index's encodings (filters and field flags, never tokens or names) under
fresh random references each time, so the hub cannot follow one person from one upload to the
next. The hub never holds the match key: it compares filters as they are. It finds pairs of
records of two offices that the engine would call a hit, and tells each office which of its own
references another office holds too, and which office. Each office then sees, for its own
person, "office X holds this person too" and can ask through a normal request.

Office side: ``upload`` (``vinculo matching crossmatch upload``). Hub side: ``receive_upload``
keeps the last upload of each office; ``run`` (``vinculo matching crossmatch run``) compares
every pair of offices' uploads made under the same key and scheme, and sends the notices.
"""

from __future__ import annotations

import io
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db import transaction
from django.utils import timezone

from vinculo.accounts.models import Office, User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.linkage import classify
from vinculo.linkage.compare import Index, all_pairs_above
from vinculo.linkage.encoding import FILTER_WORDS
from vinculo.matching import engine, wire
from vinculo.matching.models import CrossmatchNotice, CrossmatchRef, CrossmatchRun, CrossmatchUpload, IndexEntry
from vinculo.matching.services import keys
from vinculo.messaging import network
from vinculo.messaging.models import InboundMessage
from vinculo.messaging.services import attachments, outbox
from vinculo.notifications.services import notify, office_people_with

NOTICES_PER_MESSAGE = 5000

# --- office side ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Uploaded:
    count: int
    message_id: str


def upload(*, by: User | None) -> Uploaded:
    """Send every index entry made under the key in use to the hub, under new references."""
    fingerprint, _ = keys.require_active_key()
    entries = [
        (pk, scheme, fields, bytes(bloom))
        for pk, scheme, fields, bloom in IndexEntry.objects.filter(
            key_fingerprint=fingerprint, person__office__code=network.node_id()
        )
        .order_by("pk")
        .values_list("pk", "scheme", "fields", "bloom")
    ]
    schemes = {row[1] for row in entries}
    scheme = schemes.pop() if len(schemes) == 1 else (entries[0][1] if entries else "")
    entries = [row for row in entries if row[1] == scheme]
    references = [secrets.token_bytes(16) for _ in entries]
    data = wire.pack_rows(
        [(ref, fields, bytes(bloom)) for ref, (_, _, fields, bloom) in zip(references, entries, strict=True)]
    )
    prepared = attachments.prepare(io.BytesIO(data), size=len(data), name="crossmatch.bin")
    hub = network.hub_id()
    return _record_upload(by, hub, scheme, fingerprint, entries, references, prepared)


@transaction.atomic(durable=True)
def _record_upload(
    by: User | None,
    hub: str,
    scheme: str,
    fingerprint: str,
    entries: list[tuple[int, str, int, bytes]],
    references: list[bytes],
    prepared: attachments.Prepared,
) -> Uploaded:
    CrossmatchRef.objects.filter(entry__person__office__code=network.node_id()).delete()
    CrossmatchRef.objects.bulk_create(
        CrossmatchRef(entry_id=entry[0], reference=ref.hex()) for entry, ref in zip(entries, references, strict=True)
    )
    payload = wire.UploadPayload(
        scheme=scheme or "none", key=fingerprint, count=len(entries), attachment=prepared.sha256
    )
    message = outbox.send(
        type=wire.CROSSMATCH_UPLOAD, recipient=hub, payload=wire.dump(payload), sent_by=by, attachments=[prepared]
    )
    audit.record(action="match.crossmatch_uploaded", actor=by, data={"count": len(entries), "hub": hub})
    return Uploaded(count=len(entries), message_id=str(message.id))


def receive_notices(message: InboundMessage, payload: bytes) -> None:
    """``match.crossmatch_notice``: keep what the hub found, and tell the focal points."""
    data = wire.NoticePayload.read(payload)
    if message.sender != network.hub_id():
        raise wire.UnreadablePayload(f"{wire.CROSSMATCH_NOTICE}: only the hub sends cross-match notices")
    run_at = datetime.fromisoformat(data.run_at)
    refs = dict(
        CrossmatchRef.objects.filter(reference__in=[n.reference for n in data.notices]).values_list(
            "reference", "entry_id"
        )
    )
    created = 0
    others: set[str] = set()
    for notice in data.notices:
        _, made = CrossmatchNotice.objects.get_or_create(
            reference=notice.reference,
            other_member=notice.other,
            defaults={"entry_id": refs.get(notice.reference), "run_at": run_at},
        )
        if made:
            created += 1
            others.add(notice.other)
    audit.record(
        action="match.crossmatch_notices", actor=None,
        data={"from": message.sender, "notices": len(data.notices), "new": created},
    )  # fmt: skip
    if others:
        office = Office.objects.get(code=network.node_id())
        people = office_people_with(office.pk, Permission.MATCH_CONFIRM)
        for other in sorted(others):
            notify(people=people, kind="match.crossmatch", subject="", office=other, link=_notices_page())
    engine.forget()


def _notices_page() -> str:
    from django.urls import reverse

    return reverse("matching:crossmatch")


# --- hub side ------------------------------------------------------------------------------------


def receive_upload(message: InboundMessage, payload: bytes) -> None:
    """``match.crossmatch_upload`` (at the hub): replace this office's last upload."""
    data = wire.UploadPayload.read(payload)
    found = [a for a in attachments.attachments_of(message) if a.sha256 == data.attachment]
    if not found:
        raise wire.UnreadablePayload(f"{wire.CROSSMATCH_UPLOAD}: the attachment is missing")
    with attachments.open_attachment(found[0]) as stream:
        rows = stream.read()
    references, _, _ = wire.unpack_rows(rows, count=data.count)  # refuses a malformed file before storing it
    CrossmatchUpload.objects.update_or_create(
        member=message.sender,
        defaults={
            "scheme": f"{data.scheme}|{data.key}",
            "count": len(references),
            "data": rows,
            "uploaded_at": timezone.now(),
        },
    )
    audit.record(
        action="match.crossmatch_received", actor=None, data={"from": message.sender, "count": len(references)}
    )


@dataclass(frozen=True)
class Overlap:
    member_a: str
    reference_a: str
    member_b: str
    reference_b: str


def find_overlaps(uploads: dict[str, bytes], counts: dict[str, int]) -> list[Overlap]:
    """Pairs of records of two different offices that the engine would call a hit (pure over the rows)."""
    loaded = {}
    for member, rows in uploads.items():
        references, fields, filters = wire.unpack_rows(rows, count=counts[member])
        words = np.frombuffer(filters, dtype="<u8").reshape(-1, FILTER_WORDS)
        loaded[member] = (references, np.asarray(fields, dtype=np.uint8), words)
    members = sorted(loaded)
    required = int(classify.REQUIRED_FIELDS)
    found: list[Overlap] = []
    for i, a in enumerate(members):
        refs_a, fields_a, words_a = loaded[a]
        for b in members[i + 1 :]:
            refs_b, fields_b, words_b = loaded[b]
            if not len(refs_a) or not len(refs_b):
                continue
            index = Index("crossmatch", words_b, fields=fields_b)
            threshold = engine.thresholds_for_size(max(len(refs_a), len(refs_b))).hit
            rows_a, rows_b, _scores = all_pairs_above(index, words_a, threshold)
            for ra, rb in zip(rows_a.tolist(), rows_b.tolist(), strict=True):
                if (int(fields_a[ra]) & required) == required and (int(fields_b[rb]) & required) == required:
                    found.append(Overlap(a, refs_a[ra].hex(), b, refs_b[rb].hex()))
    return found


def run(*, by: User | None = None) -> CrossmatchRun:
    """Cross-match the uploads in force (those under the most common key and scheme) and send the notices."""
    started = time.perf_counter()
    uploads = list(CrossmatchUpload.objects.all())
    by_scheme: dict[str, list[CrossmatchUpload]] = defaultdict(list)
    for row in uploads:
        by_scheme[row.scheme].append(row)
    chosen = max(by_scheme.values(), key=len) if by_scheme else []
    overlaps = find_overlaps({u.member: bytes(u.data) for u in chosen}, {u.member: u.count for u in chosen})
    notices: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for overlap in overlaps:
        notices[overlap.member_a].add((overlap.reference_a, overlap.member_b))
        notices[overlap.member_b].add((overlap.reference_b, overlap.member_a))
    return _record_run(by, chosen, overlaps, notices, time.perf_counter() - started)


@transaction.atomic(durable=True)
def _record_run(
    by: User | None,
    chosen: list[CrossmatchUpload],
    overlaps: list[Overlap],
    notices: dict[str, set[tuple[str, str]]],
    seconds: float,
) -> CrossmatchRun:
    now = timezone.now()
    result = CrossmatchRun.objects.create(
        finished_at=now,
        members=sorted(u.member for u in chosen),
        records=sum(u.count for u in chosen),
        overlaps=len(overlaps),
        seconds=round(seconds, 3),
    )
    for member, found in sorted(notices.items()):
        ordered = sorted(found)
        for start in range(0, len(ordered), NOTICES_PER_MESSAGE):  # each message well within the envelope limit
            part = ordered[start : start + NOTICES_PER_MESSAGE]
            payload = wire.NoticePayload(
                run_at=now.isoformat(), notices=tuple(wire.Notice(reference=r, other=o) for r, o in part)
            )
            outbox.send(type=wire.CROSSMATCH_NOTICE, recipient=member, payload=wire.dump(payload), sent_by=by)
    audit.record(
        action="match.crossmatch_run", actor=by, target=result,
        data={"members": result.members, "records": result.records, "overlaps": result.overlaps},
    )  # fmt: skip
    return result
