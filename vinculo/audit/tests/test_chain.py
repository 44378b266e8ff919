"""The pure chain: canonical bytes, hashes, and the verifier's verdicts (no database)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.audit.chain import (
    GENESIS_HASH,
    EntryFacts,
    StoredEntry,
    UnhashableData,
    canonical_bytes,
    check_data,
    entry_hash,
    verify,
)

START = datetime(2026, 3, 1, 14, 30, 0, 123456, tzinfo=UTC)


def make_chain(length: int) -> list[StoredEntry]:
    """A well-formed chain of ``length`` entries."""
    entries: list[StoredEntry] = []
    previous = GENESIS_HASH
    for seq in range(1, length + 1):
        facts = EntryFacts(
            seq=seq,
            at=START + timedelta(seconds=seq),
            actor_id=7 if seq % 2 else None,
            actor_label="sv.fiscal" if seq % 2 else "system",
            office_code="SV-FGR",
            action="case.viewed",
            target_type="cases.case",
            target_id=str(100 + seq),
            data={"step": seq, "nota": "víctima"},
            request_id=f"req{seq:08d}",
            client_ip="192.0.2.10",
            prev_hash=previous,
        )
        digest = entry_hash(facts)
        entries.append(StoredEntry(facts=facts, stored_hash=digest))
        previous = digest
    return entries


def head_of(entries: list[StoredEntry]) -> dict[str, object]:
    if not entries:
        return {"head_seq": 0, "head_hash": GENESIS_HASH}
    return {"head_seq": entries[-1].facts.seq, "head_hash": entries[-1].stored_hash}


def with_facts(entry: StoredEntry, **changes: object) -> StoredEntry:
    return StoredEntry(facts=dataclasses.replace(entry.facts, **changes), stored_hash=entry.stored_hash)


def rehashed(entry: StoredEntry, **changes: object) -> StoredEntry:
    facts = dataclasses.replace(entry.facts, **changes)
    return StoredEntry(facts=facts, stored_hash=entry_hash(facts))


def test_canonical_bytes_are_pinned() -> None:
    # Changing the canonical form would break every chain already stored: this must not move.
    facts = make_chain(1)[0].facts
    assert canonical_bytes(facts) == (
        b'{"action":"case.viewed","actor_id":7,"actor_label":"sv.fiscal","at":"2026-03-01T14:30:01.123456Z",'
        b'"client_ip":"192.0.2.10","data":{"nota":"v\xc3\xadctima","step":1},"office":"SV-FGR",'
        b'"prev":"0000000000000000000000000000000000000000000000000000000000000000",'
        b'"request_id":"req00000001","scheme":"vinculo-audit-v1","seq":1,"target_id":"101",'
        b'"target_type":"cases.case"}'
    )


def test_the_time_is_hashed_in_utc_whatever_its_zone() -> None:
    facts = make_chain(1)[0].facts
    local = facts.at.astimezone(datetime.now(UTC).astimezone().tzinfo)
    assert entry_hash(dataclasses.replace(facts, at=local)) == entry_hash(facts)


def test_naive_times_are_refused() -> None:
    facts = dataclasses.replace(make_chain(1)[0].facts, at=START.replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        entry_hash(facts)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", 2),
        ("at", START + timedelta(microseconds=1)),
        ("actor_id", 8),
        ("actor_label", "sv.fiscal2"),
        ("office_code", "GT-MP"),
        ("action", "case.edited"),
        ("target_type", "cases.person"),
        ("target_id", "102"),
        ("data", {"step": 1, "nota": "victima"}),
        ("request_id", "req00000002"),
        ("client_ip", "192.0.2.11"),
        ("prev_hash", "1" * 64),
    ],
)
def test_every_field_is_covered_by_the_hash(field: str, value: object) -> None:
    facts = make_chain(1)[0].facts
    assert entry_hash(dataclasses.replace(facts, **{field: value})) != entry_hash(facts)


def test_data_key_order_does_not_matter() -> None:
    facts = make_chain(1)[0].facts
    assert list(facts.data) == ["step", "nota"]
    assert entry_hash(dataclasses.replace(facts, data={"nota": "víctima", "step": 1})) == entry_hash(facts)


@pytest.mark.parametrize(
    "value", [None, True, 0, -5, 10**20, "", "texto", [], [1, "a", None], {"a": {"b": [True, {"c": "d"}]}}]
)
def test_json_made_of_exact_values_is_accepted(value: object) -> None:
    check_data({"value": value})


@pytest.mark.parametrize("value", [1.5, float("nan"), {1: "a"}, {"a": {2, 3}}, (1, 2), b"bytes", START])
def test_values_a_database_may_rewrite_are_refused(value: object) -> None:
    with pytest.raises(UnhashableData):
        check_data({"value": value})


def test_an_intact_chain_passes() -> None:
    entries = make_chain(5)
    verdict = verify(entries, **head_of(entries))  # type: ignore[arg-type]
    assert verdict.is_intact
    assert verdict.checked == 5
    assert verdict.last_hash == entries[-1].stored_hash
    assert verdict.first_bad_seq is None


def test_an_empty_chain_passes_with_or_without_a_head() -> None:
    assert verify([], head_seq=0, head_hash=GENESIS_HASH).is_intact
    assert verify([], head_seq=None, head_hash=None).is_intact


def test_an_altered_entry_is_named() -> None:
    entries = make_chain(5)
    entries[2] = with_facts(entries[2], data={"step": 3, "nota": "cambiada"})
    verdict = verify(entries, **head_of(entries))  # type: ignore[arg-type]
    assert (verdict.is_intact, verdict.first_bad_seq, verdict.code, verdict.checked) == (False, 3, "altered", 2)
    assert "#3 was altered" in verdict.reason


def test_an_altered_and_rehashed_entry_breaks_the_next_link() -> None:
    entries = make_chain(5)
    entries[2] = rehashed(entries[2], actor_label="someone.else")
    verdict = verify(entries, **head_of(entries))  # type: ignore[arg-type]
    assert (verdict.first_bad_seq, verdict.code) == (4, "unlinked")


def test_a_missing_entry_is_named() -> None:
    entries = make_chain(5)
    del entries[2]
    verdict = verify(entries, head_seq=5, head_hash=make_chain(5)[-1].stored_hash)
    assert (verdict.first_bad_seq, verdict.code) == (3, "missing")
    assert "#3 is missing" in verdict.reason


def test_entries_out_of_order_are_named() -> None:
    entries = make_chain(5)
    entries[1], entries[2] = entries[2], entries[1]
    verdict = verify(entries, **head_of(make_chain(5)))  # type: ignore[arg-type]
    assert (verdict.first_bad_seq, verdict.code) == (2, "missing")
    entries = make_chain(5)
    entries.insert(3, entries[1])
    verdict = verify(entries, **head_of(make_chain(5)))  # type: ignore[arg-type]
    assert (verdict.first_bad_seq, verdict.code) == (2, "out_of_order")


def test_swapped_contents_break_the_link() -> None:
    entries = make_chain(5)
    second, third = entries[1], entries[2]
    entries[1] = StoredEntry(dataclasses.replace(third.facts, seq=2), third.stored_hash)
    entries[2] = StoredEntry(dataclasses.replace(second.facts, seq=3), second.stored_hash)
    verdict = verify(entries, **head_of(make_chain(5)))  # type: ignore[arg-type]
    assert (verdict.first_bad_seq, verdict.code) == (2, "unlinked")


def test_entries_removed_from_the_end_are_caught_by_the_head() -> None:
    full = make_chain(5)
    verdict = verify(full[:3], **head_of(full))  # type: ignore[arg-type]
    assert (verdict.first_bad_seq, verdict.code) == (4, "truncated")
    assert "#4 to #5" in verdict.reason
    verdict = verify(full[:4], **head_of(full))  # type: ignore[arg-type]
    assert "entry #5 was removed" in verdict.reason


def test_an_entry_beyond_the_head_is_named() -> None:
    full = make_chain(6)
    verdict = verify(full, **head_of(full[:5]))  # type: ignore[arg-type]
    assert (verdict.first_bad_seq, verdict.code) == (6, "beyond_head")


def test_a_replaced_last_entry_disagrees_with_the_head() -> None:
    entries = make_chain(5)
    head = head_of(entries)
    entries[4] = rehashed(entries[4], data={"step": 99})
    verdict = verify(entries, **head)  # type: ignore[arg-type]
    assert (verdict.first_bad_seq, verdict.code) == (5, "head_mismatch")


def test_a_missing_head_is_reported() -> None:
    verdict = verify(make_chain(2), head_seq=None, head_hash=None)
    assert (verdict.is_intact, verdict.first_bad_seq, verdict.code) == (False, 1, "head_missing")


@settings(deadline=None)  # hashing is fast, but a busy test machine is not
@given(length=st.integers(min_value=1, max_value=12), data=st.data())
def test_any_single_edit_is_caught_at_that_entry(length: int, data: st.DataObject) -> None:
    entries = make_chain(length)
    index = data.draw(st.integers(min_value=0, max_value=length - 1))
    field = data.draw(st.sampled_from(["actor_label", "action", "target_id", "request_id", "client_ip"]))
    new_value = data.draw(st.text(max_size=20).filter(lambda text: text != getattr(entries[index].facts, field)))
    head = head_of(entries)
    entries[index] = with_facts(entries[index], **{field: new_value})
    verdict = verify(entries, **head)  # type: ignore[arg-type]
    assert not verdict.is_intact
    assert verdict.first_bad_seq == index + 1
