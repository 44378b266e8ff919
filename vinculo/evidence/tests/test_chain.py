"""The chain's documents, hashes and heads, with plain data (no database)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from vinculo.evidence.chain import (
    GENESIS_HASH,
    KINDS,
    SCHEME,
    ChainEntry,
    Head,
    InvalidEntry,
    document,
    entry_hash,
    read_head,
)

ENTRY = ChainEntry(
    seq=1,
    recorded_at=datetime(2026, 11, 28, 4, 46, 0, 123456, tzinfo=timezone(timedelta(hours=-6))),
    kind="envelope_refused",
    message_id="0b7e4c1a-5f7d-4a8e-9c1e-2d3f4a5b6c7d",
    peer="GT-MP",
    sha256=None,
    facts={"code": "bad_signature", "attempt": 1},
    prev_hash=GENESIS_HASH,
)


def test_the_document_carries_the_published_names_and_utc_time() -> None:
    assert document(ENTRY) == {
        "scheme": SCHEME,
        "seq": 1,
        "at": "2026-11-28T10:46:00.123456Z",
        "kind": "envelope_refused",
        "message_id": "0b7e4c1a-5f7d-4a8e-9c1e-2d3f4a5b6c7d",
        "peer": "GT-MP",
        "sha256": None,
        "facts": {"code": "bad_signature", "attempt": 1},
        "prev": GENESIS_HASH,
    }


def test_anyone_can_recompute_the_hash_from_sorted_compact_json() -> None:
    text = json.dumps(document(ENTRY), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry_hash(ENTRY) == hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 2},
        {"kind": "envelope_sent"},
        {"peer": "HN-MP"},
        {"sha256": "0" * 64},
        {"facts": {"code": "bad_signature", "attempt": 2}},
        {"prev_hash": "1" * 64},
        {"recorded_at": datetime(2026, 11, 28, 10, 46, 0, 123457, tzinfo=UTC)},
    ],
)
def test_every_field_is_covered_by_the_hash(change: dict[str, object]) -> None:
    assert entry_hash(ChainEntry(**{**ENTRY.__dict__, **change})) != entry_hash(ENTRY)  # type: ignore[arg-type]


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(InvalidEntry, match="timezone-aware"):
        entry_hash(ChainEntry(**{**ENTRY.__dict__, "recorded_at": datetime(2026, 11, 28)}))  # noqa: DTZ001


def test_the_kinds_the_inbox_and_outbox_need_exist() -> None:
    assert {"envelope_sent", "envelope_received", "envelope_refused", "receipt_sent", "receipt_received"} <= set(KINDS)
    assert {"delivery_failed", "audit", "head_signed", "head_received"} <= set(KINDS)


def test_a_head_round_trips_and_anything_else_is_refused() -> None:
    head = Head(node="SV-FGR", seq=12, entry_hash="a" * 64, signed_at=1767225600)
    assert read_head(head.claims()) == head
    for claims in (
        {**head.claims(), "extra": 1},
        {**head.claims(), "v": 2},
        {**head.claims(), "node": "sv-fgr"},
        {**head.claims(), "seq": -1},
        {**head.claims(), "seq": True},
        {**head.claims(), "entry_hash": "A" * 64},
        {**head.claims(), "signed_at": "2026-01-01"},
    ):
        with pytest.raises(InvalidEntry):
            read_head(claims)


def test_the_chain_and_the_verifier_import_nothing_from_django() -> None:
    # Also checks imports inside functions, which a run without Django might never reach.
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[1]
    for name in ("chain.py", "verify.py"):
        for node in ast.walk(ast.parse((package / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                assert not module.startswith("django"), f"{name} imports {module}"
                if module.startswith("vinculo."):
                    assert module.startswith(("vinculo.evidence.chain", "vinculo.federation.")), f"{name}: {module}"
                    assert module not in {"vinculo.federation.keys", "vinculo.federation.directory"}, module
