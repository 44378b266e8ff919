"""The JOSE building blocks: base64url is strict and canonical, JSON is strict."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vinculo.federation import jose


@given(st.binary(max_size=300))
def test_base64url_round_trips(data: bytes) -> None:
    assert jose.b64decode(jose.b64encode(data)) == data


@given(st.text(alphabet=jose._ALPHABET + "=+/ \n.é", max_size=40))
def test_only_the_canonical_spelling_decodes(text: str) -> None:
    try:
        decoded = jose.b64decode(text)
    except jose.JoseFormatError:
        # Refused: then either it is not base64url at all, or not the canonical spelling.
        try:
            lenient = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (ValueError, TypeError):
            return
        assert jose.b64encode(lenient) != text
    else:
        assert jose.b64encode(decoded) == text


@pytest.mark.parametrize(
    "raw",
    [b'{"a":1,"a":2}', b'{"a":NaN}', b'{"a":Infinity}', b"\xff", b"[" * 100_000, b'{"a":1} x'],
)
def test_strict_json_refuses(raw: bytes) -> None:
    with pytest.raises(jose.JoseFormatError):
        jose.parse_json(raw)


def test_canonical_json_sorts_members_and_keeps_utf8() -> None:
    assert jose.canonical_json({"b": 1, "a": ["Fiscalía", None, True]}) == '{"a":["Fiscalía",null,true],"b":1}'.encode()


def test_a_protected_header_is_bounded_before_it_is_parsed() -> None:
    with pytest.raises(jose.JoseFormatError, match="too long"):
        jose.parse_header(jose.b64encode(b'{"a":"' + b"x" * 3000 + b'"}'))


def test_the_content_key_is_one_sha256_as_the_protocol_document_says(vectors: dict[str, object]) -> None:
    intermediate = vectors["envelope"]["intermediate"]  # type: ignore[index]
    shared = bytes.fromhex(intermediate["shared_secret_hex"])
    other_info = (7).to_bytes(4, "big") + b"A256GCM" + bytes(8) + (256).to_bytes(4, "big")

    expected = hashlib.sha256((1).to_bytes(4, "big") + shared + other_info).hexdigest()

    assert jose.derive_cek(shared).hex() == expected == intermediate["cek_hex"]
