"""The audit chain's hashing and verification, with no Django imports.

Each entry's hash covers its own fields and the previous entry's hash, so editing,
deleting, inserting or reordering any stored entry changes a hash that a later entry (or
the chain head) still remembers. The verifier walks the chain in sequence order and names
the first entry where the stored facts and the recomputed ones disagree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
SCHEME = "vinculo-audit-v1"


class UnhashableData(ValueError):
    """Audit data must be JSON made of strings, integers, booleans, null, lists and objects."""


def check_data(value: Any, path: str = "data") -> None:
    """Refuse floats and other types whose JSON text a database may rewrite (breaking the hash)."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_data(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise UnhashableData(f"{path}: keys must be strings")
            check_data(item, f"{path}.{key}")
        return
    raise UnhashableData(f"{path}: {type(value).__name__} is not allowed in audit data")


@dataclass(frozen=True)
class EntryFacts:
    """What is hashed for one entry."""

    seq: int
    at: datetime
    actor_id: int | None
    actor_label: str
    office_code: str
    action: str
    target_type: str
    target_id: str
    data: Mapping[str, Any]
    request_id: str
    client_ip: str
    prev_hash: str


def _timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_document(facts: EntryFacts) -> dict[str, Any]:
    """The hashed fields under their published names (also what a JSONL export carries)."""
    return {
        "scheme": SCHEME,
        "seq": facts.seq,
        "at": _timestamp(facts.at),
        "actor_id": facts.actor_id,
        "actor_label": facts.actor_label,
        "office": facts.office_code,
        "action": facts.action,
        "target_type": facts.target_type,
        "target_id": facts.target_id,
        "data": facts.data,
        "request_id": facts.request_id,
        "client_ip": facts.client_ip,
        "prev": facts.prev_hash,
    }


def canonical_bytes(facts: EntryFacts) -> bytes:
    """The exact bytes hashed: sorted-key compact JSON, UTF-8, with a scheme label."""
    document = canonical_document(facts)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def entry_hash(facts: EntryFacts) -> str:
    return hashlib.sha256(canonical_bytes(facts)).hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    """An entry as read back from storage: its facts plus the hash stored beside them."""

    facts: EntryFacts
    stored_hash: str


@dataclass(frozen=True)
class Verdict:
    is_intact: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""
    last_hash: str = GENESIS_HASH
    # A stable name for the kind of break (see REASON_CODES), so a user interface can
    # say it in the reader's language; ``reason`` is the English sentence for logs and the CLI.
    code: str = ""


REASON_CODES = (
    "missing",
    "out_of_order",
    "unlinked",
    "altered",
    "head_missing",
    "truncated",
    "beyond_head",
    "head_mismatch",
)


def verify(entries: Iterable[StoredEntry], *, head_seq: int | None, head_hash: str | None) -> Verdict:
    """Check an ordered run of entries (by seq) from the start of the chain against its head."""
    expected_seq = 1
    previous = GENESIS_HASH
    checked = 0
    for entry in entries:
        facts = entry.facts
        if facts.seq != expected_seq:
            if facts.seq > expected_seq:
                reason = f"entry #{expected_seq} is missing (next stored entry is #{facts.seq})"
                return Verdict(False, checked, expected_seq, reason, previous, "missing")
            reason = f"entry #{facts.seq} is out of order (expected #{expected_seq})"
            return Verdict(False, checked, facts.seq, reason, previous, "out_of_order")
        if facts.prev_hash != previous:
            reason = f"entry #{facts.seq} does not follow the entry before it (an entry was removed, inserted or moved)"
            return Verdict(False, checked, facts.seq, reason, previous, "unlinked")
        recomputed = entry_hash(facts)
        if recomputed != entry.stored_hash:
            reason = f"entry #{facts.seq} was altered after it was written (its hash does not match its content)"
            return Verdict(False, checked, facts.seq, reason, previous, "altered")
        previous = entry.stored_hash
        expected_seq += 1
        checked += 1
    last_seq = expected_seq - 1
    if head_seq is None:
        if last_seq:
            return Verdict(False, checked, 1, "the chain head record is missing", previous, "head_missing")
        return Verdict(True, checked, last_hash=previous)
    if head_seq > last_seq:
        if head_seq == last_seq + 1:
            reason = f"entry #{head_seq} was removed from the end of the chain"
        else:
            reason = f"entries #{last_seq + 1} to #{head_seq} were removed from the end of the chain"
        return Verdict(False, checked, last_seq + 1, reason, previous, "truncated")
    if head_seq < last_seq:
        reason = (
            f"entry #{head_seq + 1} is beyond the chain head (#{head_seq}): it was not written by the audit service"
        )
        return Verdict(False, checked, head_seq + 1, reason, previous, "beyond_head")
    if head_hash != previous:
        if not last_seq:
            return Verdict(
                False, checked, 1, "the chain is empty but its head records a hash", previous, "head_mismatch"
            )
        reason = f"entry #{last_seq} does not match the chain head (it was replaced, or the head was altered)"
        return Verdict(False, checked, last_seq, reason, previous, "head_mismatch")
    return Verdict(True, checked, last_hash=previous)
