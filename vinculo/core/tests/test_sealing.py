"""Sealed secrets: unreadable without the key, bound to their purpose, survive key rotation."""

from __future__ import annotations

import pytest

from vinculo.core.sealing import UnsealError, seal, unseal


def test_round_trip_and_no_plaintext_in_the_token() -> None:
    token = seal("JBSWY3DPEHPK3PXP", purpose="test.field")
    assert "JBSWY3DPEHPK3PXP" not in token
    assert unseal(token, purpose="test.field") == "JBSWY3DPEHPK3PXP"
    assert seal("same", purpose="p") != seal("same", purpose="p"), "a fresh nonce every time"


def test_a_sealed_value_cannot_be_moved_to_another_field() -> None:
    token = seal("secret", purpose="accounts.user.totp_secret")
    with pytest.raises(UnsealError):
        unseal(token, purpose="cases.person.name")


def test_tampering_is_detected() -> None:
    token = seal("secret", purpose="p")
    version, body = token.split(":", 1)
    flipped = body[:-4] + ("AAAA" if body[-4:] != "AAAA" else "BBBB")
    with pytest.raises(UnsealError):
        unseal(f"{version}:{flipped}", purpose="p")
    with pytest.raises(UnsealError):
        unseal("v0:" + body, purpose="p")


def test_old_values_stay_readable_after_key_rotation(settings) -> None:
    token = seal("secret", purpose="p")
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-key-" + "x" * 40
    with pytest.raises(UnsealError):
        unseal(token, purpose="p")
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert unseal(token, purpose="p") == "secret"
