"""The vault's pure crypto: round trips, binding to the field, tampering, rotation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vinculo.vault import crypto

RING = crypto.new_keyring("k1")
CONTEXT = "cases.personidentity:7:given_names"


@given(st.text(max_size=300))
def test_any_text_round_trips(text: str) -> None:
    token = crypto.seal(text, keyring=RING, context=CONTEXT)
    assert crypto.unseal(token, keyring=RING, context=CONTEXT) == text


def test_tokens_reveal_nothing_and_never_repeat() -> None:
    first = crypto.seal("María López", keyring=RING, context=CONTEXT)
    second = crypto.seal("María López", keyring=RING, context=CONTEXT)
    assert first != second
    assert "María" not in first
    assert first.startswith("vault1.k1.")


@pytest.mark.parametrize(
    "other_context",
    ["cases.personidentity:8:given_names", "cases.personidentity:7:first_surname", "cases.case:7:given_names"],
)
def test_a_token_moved_to_another_field_or_record_does_not_open(other_context: str) -> None:
    token = crypto.seal("Ana", keyring=RING, context=CONTEXT)
    with pytest.raises(crypto.VaultError):
        crypto.unseal(token, keyring=RING, context=other_context)


def test_tampering_is_detected() -> None:
    token = crypto.seal("Ana", keyring=RING, context=CONTEXT)
    prefix, key_id, body = token.split(".")
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    for bad in (f"{prefix}.{key_id}.{flipped}", f"{prefix}.{key_id}.abc", "plain text", f"vault2.{key_id}.{body}"):
        with pytest.raises(crypto.VaultError):
            crypto.unseal(bad, keyring=RING, context=CONTEXT)


def test_rotation_keeps_old_tokens_readable_and_reseals_them() -> None:
    old = crypto.seal("José", keyring=RING, context=CONTEXT)
    rotated = RING.with_new_key("k2")
    assert rotated.current.key_id == "k2"
    assert crypto.unseal(old, keyring=rotated, context=CONTEXT) == "José"
    fresh = crypto.reseal(old, keyring=rotated, context=CONTEXT)
    assert crypto.key_id_of(fresh) == "k2"
    assert crypto.reseal(fresh, keyring=rotated, context=CONTEXT) == fresh
    pruned = rotated.without("k1")
    assert crypto.unseal(fresh, keyring=pruned, context=CONTEXT) == "José"
    with pytest.raises(crypto.VaultError, match="not in the keyring"):
        crypto.unseal(old, keyring=pruned, context=CONTEXT)
    with pytest.raises(crypto.VaultError):
        pruned.without("k2")


def test_keyring_file_is_private_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "vault-keyring.json"
    crypto.write_keyring(path, RING.with_new_key("k2"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = crypto.Keyring.from_json(path.read_text())
    assert [key.key_id for key in loaded.keys] == ["k2", "k1"]


@pytest.mark.parametrize(
    "text",
    [
        '{"keys": []}',
        "not json",
        '{"keys": [{"id": "k1", "key": "c2hvcnQ="}]}',
        '{"keys": [{"id": "bad id!", "key": ""}]}',
    ],
)
def test_bad_keyrings_are_refused(text: str) -> None:
    with pytest.raises(crypto.VaultError):
        crypto.Keyring.from_json(text)


def test_the_index_key_survives_rotation_and_pruning(tmp_path: Path) -> None:
    ring = crypto.new_keyring("k1")
    assert len(ring.index_key) == 32
    rotated = ring.with_new_key("k2")
    assert rotated.index_key == ring.index_key
    assert rotated.without("k1").index_key == ring.index_key
    path = tmp_path / "ring.json"
    crypto.write_keyring(path, rotated)
    assert crypto.Keyring.from_json(path.read_text()).index_key == ring.index_key
