"""Node keys: PEM round trips, public JWKs, RFC 7638 thumbprints (checked against RFC 8037's examples and joserfc)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from joserfc.jwk import OKPKey

from vinculo.federation import jose
from vinculo.federation.envelope import EncryptionKey, InvalidKey, RecipientKey, SigningKey, VerifyKey

# RFC 8037 Appendix A.1 (Ed25519 key), A.3 (its thumbprint), A.4 (a signature), A.6 (X25519 ECDH-ES).
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
RFC8037_JWS = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)
RFC8037_BOB_X25519 = "3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08"
RFC8037_EPHEMERAL_SECRET = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
RFC8037_SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"


def test_rfc8037_key_has_the_rfc_thumbprint_and_signs_the_rfc_example() -> None:
    key = SigningKey(Ed25519PrivateKey.from_private_bytes(jose.b64decode(RFC8037_D)))

    assert key.public_jwk()["x"] == RFC8037_X
    assert key.thumbprint() == RFC8037_THUMBPRINT
    assert jose.jws_sign({"alg": "EdDSA"}, b"Example of Ed25519 signing", key.key) == RFC8037_JWS
    assert jose.jws_verify(jose.jws_parse(RFC8037_JWS), key.verify_key.key)


def test_rfc8037_x25519_agreement() -> None:
    ephemeral = X25519PrivateKey.from_private_bytes(bytes.fromhex(RFC8037_EPHEMERAL_SECRET))
    bob = RecipientKey.from_jwk({"kty": "OKP", "crv": "X25519", "x": RFC8037_BOB_X25519})

    assert ephemeral.exchange(bob.key).hex() == RFC8037_SHARED


@pytest.mark.parametrize("key_class", [SigningKey, EncryptionKey])
def test_thumbprints_agree_with_joserfc(key_class: type[SigningKey] | type[EncryptionKey]) -> None:
    key = key_class.generate()

    assert key.thumbprint() == OKPKey.import_key(key.public_jwk()).thumbprint()


@pytest.mark.parametrize("key_class", [SigningKey, EncryptionKey])
def test_pem_round_trip_keeps_the_key(key_class: type[SigningKey] | type[EncryptionKey]) -> None:
    key = key_class.generate()
    pem = key.to_pem()

    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert key_class.from_pem(pem).thumbprint() == key.thumbprint()


def test_a_signing_pem_is_not_an_encryption_key_and_the_other_way_round() -> None:
    with pytest.raises(InvalidKey, match="X25519"):
        EncryptionKey.from_pem(SigningKey.generate().to_pem())
    with pytest.raises(InvalidKey, match="Ed25519"):
        SigningKey.from_pem(EncryptionKey.generate().to_pem())
    with pytest.raises(InvalidKey):
        SigningKey.from_pem(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")


def test_public_jwk_round_trip() -> None:
    signing, encryption = SigningKey.generate(), EncryptionKey.generate()

    assert VerifyKey.from_jwk(signing.public_jwk()) == signing.verify_key
    assert RecipientKey.from_jwk(encryption.public_jwk()) == encryption.recipient_key
    assert signing.public_jwk()["use"] == "sig"
    assert encryption.public_jwk()["use"] == "enc"
    assert "d" not in signing.public_jwk()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"d": "AAAA"}, "private key"),
        ({"kid": "somebody-else"}, "kid"),
        ({"use": "enc"}, "use"),
        ({"alg": "EdDSA"}, "alg"),
        ({"crv": "X25519"}, "Ed25519"),
        ({"x": "too-short"}, "32 bytes|base64url"),
        ({"x5c": ["..."]}, "unexpected"),
    ],
)
def test_a_doubtful_public_jwk_is_refused(change: dict[str, object], message: str) -> None:
    jwk = {**SigningKey.generate().public_jwk(), **change}

    with pytest.raises(InvalidKey, match=message):
        VerifyKey.from_jwk(jwk)


def test_a_verify_key_is_not_a_recipient_key() -> None:
    with pytest.raises(InvalidKey):
        RecipientKey.from_jwk(SigningKey.generate().public_jwk())
