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

import secrets
import time
import uuid
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
from vinculo.matching import blocking, engine, wire
from vinculo.matching.models import (
    CrossmatchNotice,
    CrossmatchPart,
    CrossmatchRef,
    CrossmatchRun,
    CrossmatchUpload,
    IndexEntry,
    IndexState,
)
from vinculo.matching.services import keys
from vinculo.messaging import network
from vinculo.messaging.models import InboundMessage
from vinculo.messaging.services import outbox
from vinculo.notifications.services import link_to, notify, office_people_with

NOTICES_PER_MESSAGE = 5000

# --- office side ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Uploaded:
    count: int
    message_id: str


def upload(*, by: User | None) -> Uploaded:
    """Send every index entry made under the key in use to the hub, under new references, in parts."""
    fingerprint, _ = keys.require_active_key()
    generation = IndexState.objects.get_or_create(pk=1)[0].generation
    entries = [
        (pk, scheme, fields, bytes(bloom))
        for pk, scheme, fields, bloom in IndexEntry.objects.filter(
            key_fingerprint=fingerprint, person__office__code=network.node_id()
        )
        .order_by("pk")
        .values_list("pk", "scheme", "fields", "bloom")
    ]
    schemes = {row[1] for row in entries}
    scheme = schemes.pop() if len(schemes) == 1 else (entries[0][1] if entries else "none")
    entries = [row for row in entries if row[1] == scheme]
    return _send_upload(by, network.hub_id(), scheme, fingerprint, entries, generation)


@transaction.atomic(durable=True)
def _send_upload(
    by: User | None,
    hub: str,
    scheme: str,
    fingerprint: str,
    entries: list[tuple[int, str, int, bytes]],
    generation: int,
) -> Uploaded:
    references = [secrets.token_bytes(16) for _ in entries]
    CrossmatchRef.objects.filter(entry__person__office__code=network.node_id()).delete()
    CrossmatchRef.objects.bulk_create(
        CrossmatchRef(entry_id=entry[0], reference=ref.hex()) for entry, ref in zip(entries, references, strict=True)
    )
    rows = [(ref, fields, bloom) for ref, (_, _, fields, bloom) in zip(references, entries, strict=True)]
    upload_id = str(uuid.uuid4())
    made_at = timezone.now().isoformat()
    parts = max(1, -(-len(rows) // wire.ROWS_PER_PART))
    first = None
    for part in range(parts):
        chunk = rows[part * wire.ROWS_PER_PART : (part + 1) * wire.ROWS_PER_PART]
        payload = wire.UploadPayload(
            scheme=scheme, key=fingerprint, upload=upload_id, made_at=made_at, part=part, parts=parts, count=len(chunk),
            rows=wire.b64(wire.pack_rows(chunk)),
        )  # fmt: skip
        message = outbox.send(
            type=wire.CROSSMATCH_UPLOAD, recipient=hub, payload=wire.dump(payload), conversation=upload_id, sent_by=by
        )
        first = first or message
    IndexState.objects.filter(pk=1).update(uploaded_generation=generation)
    audit.record(action="match.crossmatch_uploaded", actor=by, data={"count": len(rows), "parts": parts, "hub": hub})
    return Uploaded(count=len(rows), message_id=str(first.id) if first else "")


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
        entry_id = refs.get(notice.reference)
        # Each upload carries fresh references, so the same person comes back under a new one each
        # run: a person already known to be held by that office moves its notice on (newest
        # reference and run) instead of adding another, and nobody is told twice.
        known = (
            CrossmatchNotice.objects.filter(entry_id=entry_id, other_member=notice.other).first()
            if entry_id is not None
            else None
        )
        if known is not None:
            if known.reference != notice.reference and run_at >= known.run_at:
                known.reference, known.run_at, known.decision = notice.reference, run_at, notice.decision
                known.save(update_fields=["reference", "run_at", "decision"])
            continue
        _, made = CrossmatchNotice.objects.get_or_create(
            reference=notice.reference,
            other_member=notice.other,
            defaults={"entry_id": entry_id, "run_at": run_at, "decision": notice.decision},
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
        link = link_to("matching:crossmatch")
        for other in sorted(others):
            notify(people=people, kind="match.crossmatch", subject="", office=other, link=link)
    engine.forget()


# --- hub side ------------------------------------------------------------------------------------


def receive_upload(message: InboundMessage, payload: bytes) -> None:
    """``match.crossmatch_upload`` (at the hub): keep the part; with the last one, replace the office's upload."""
    data = wire.UploadPayload.read(payload)
    CrossmatchPart.objects.get_or_create(
        member=message.sender,
        upload=uuid.UUID(data.upload),
        part=data.part,
        defaults={
            "parts": data.parts, "scheme": f"{data.scheme}|{data.key}", "count": data.count, "data": data.row_bytes(),
            "made_at": datetime.fromisoformat(data.made_at),
        },
    )  # fmt: skip
    parts = list(CrossmatchPart.objects.filter(member=message.sender, upload=uuid.UUID(data.upload)).order_by("part"))
    if len(parts) < data.parts:
        return
    made_at = datetime.fromisoformat(data.made_at)
    held = CrossmatchUpload.objects.filter(member=message.sender).values_list("made_at", flat=True).first()
    if held is not None and held > made_at:  # an older upload completed after a newer one: dropped
        CrossmatchPart.objects.filter(member=message.sender, upload=uuid.UUID(data.upload)).delete()
        return
    if {(p.parts, p.scheme) for p in parts} != {(data.parts, f"{data.scheme}|{data.key}")}:
        raise wire.UnreadablePayload(f"{wire.CROSSMATCH_UPLOAD}: the parts of one upload disagree")
    rows: list[tuple[bytes, int, bytes]] = []
    for part in parts:
        references, fields, filters = wire.unpack_rows(bytes(part.data), count=part.count)
        size = len(filters) // max(1, len(references))
        rows.extend(
            (ref, flag, filters[i * size : (i + 1) * size])
            for i, (ref, flag) in enumerate(zip(references, fields, strict=True))
        )
    packed = wire.pack_rows(rows)
    wire.unpack_rows(packed, count=len(rows))  # a reference repeated across parts is refused here
    CrossmatchUpload.objects.update_or_create(
        member=message.sender,
        defaults={
            "scheme": parts[0].scheme, "count": len(rows), "data": packed, "uploaded_at": timezone.now(),
            "made_at": made_at,
        },
    )  # fmt: skip
    # this upload's parts, and those of older uploads left unfinished
    CrossmatchPart.objects.filter(member=message.sender, made_at__lte=made_at).delete()
    audit.record(action="match.crossmatch_received", actor=None, data={"from": message.sender, "count": len(rows)})


@dataclass(frozen=True)
class Overlap:
    member_a: str
    reference_a: str
    member_b: str
    reference_b: str
    decision: str  # "hit" or "possible", as a query would be answered


def find_overlaps(
    uploads: dict[str, bytes],
    counts: dict[str, int],
    *,
    rng: np.random.Generator | None = None,
    exact_pairs: int = blocking.EXACT_PAIRS,
) -> list[Overlap]:
    """Pairs of records of two different offices that the engine would call a hit or a possible hit.

    Two offices whose uploads make at most ``exact_pairs`` pairs are compared pair by pair; larger
    ones only on the candidates that LSH bands find (``vinculo.matching.blocking``, positions drawn
    from ``rng``, afresh for each run by default).
    """
    loaded = {}
    for member, rows in uploads.items():
        references, fields, filters = wire.unpack_rows(rows, count=counts[member])
        words = np.frombuffer(filters, dtype="<u8").reshape(-1, FILTER_WORDS)
        loaded[member] = (references, np.asarray(fields, dtype=np.uint8), words)
    members = sorted(loaded)
    required = int(classify.REQUIRED_FIELDS)
    positions = blocking.band_positions(rng or np.random.default_rng())
    keys: dict[str, np.ndarray] = {}
    found: list[Overlap] = []
    for i, a in enumerate(members):
        refs_a, fields_a, words_a = loaded[a]
        for b in members[i + 1 :]:
            refs_b, fields_b, words_b = loaded[b]
            if not len(refs_a) or not len(refs_b):
                continue
            limits = engine.thresholds_for_size(max(len(refs_a), len(refs_b)))
            if len(refs_a) * len(refs_b) <= exact_pairs:
                index = Index("crossmatch", words_b, fields=fields_b)
                rows_a, rows_b, scores = all_pairs_above(index, words_a, limits.possible)
            else:
                for member, words in ((a, words_a), (b, words_b)):
                    if member not in keys:
                        keys[member] = blocking.band_keys(words, positions)
                pairs = blocking.candidate_pairs(keys[a], keys[b])
                dice = blocking.dice_of_pairs(words_a, words_b, pairs)
                kept = dice >= limits.possible
                rows_a, rows_b, scores = pairs[kept, 0], pairs[kept, 1], dice[kept]
            for ra, rb, score in zip(rows_a.tolist(), rows_b.tolist(), scores.tolist(), strict=True):
                if (int(fields_a[ra]) & required) == required and (int(fields_b[rb]) & required) == required:
                    decision = "hit" if score >= limits.hit else "possible"
                    found.append(Overlap(a, refs_a[ra].hex(), b, refs_b[rb].hex(), decision))
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
    notices: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for overlap in overlaps:
        notices[overlap.member_a].add((overlap.reference_a, overlap.member_b, overlap.decision))
        notices[overlap.member_b].add((overlap.reference_b, overlap.member_a, overlap.decision))
    return _record_run(by, chosen, overlaps, notices, time.perf_counter() - started)


@transaction.atomic(durable=True)
def _record_run(
    by: User | None,
    chosen: list[CrossmatchUpload],
    overlaps: list[Overlap],
    notices: dict[str, set[tuple[str, str, str]]],
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
                run_at=now.isoformat(), notices=tuple(wire.Notice(reference=r, other=o, decision=d) for r, o, d in part)
            )
            outbox.send(type=wire.CROSSMATCH_NOTICE, recipient=member, payload=wire.dump(payload), sent_by=by)
    audit.record(
        action="match.crossmatch_run", actor=by, target=result,
        data={"members": result.members, "records": result.records, "overlaps": result.overlaps},
    )  # fmt: skip
    return result


# --- the delivery worker's rounds -----------------------------------------------------------------


def upload_if_changed() -> Uploaded | None:
    """An office's periodic job: upload when the index changed since the last upload (and a key is in use)."""
    state = IndexState.objects.filter(pk=1).first()
    if state is None or keys.active_key() is None or state.uploaded_generation == state.generation:
        return None
    if not IndexEntry.objects.filter(person__office__code=network.node_id()).exists():
        return None
    return upload(by=None)


def run_if_new_uploads() -> CrossmatchRun | None:
    """The hub's periodic job: run when an office uploaded since the last run."""
    last = CrossmatchRun.objects.order_by("-started_at").values_list("started_at", flat=True).first()
    newer = CrossmatchUpload.objects.all() if last is None else CrossmatchUpload.objects.filter(uploaded_at__gt=last)
    if not newer.exists():
        return None
    return run(by=None)
