"""A node's keys and their public JWKs (RFC 7517, RFC 8037), with no Django imports.

Each node has an Ed25519 signing key (``SigningKey``; others hold its ``VerifyKey``) and an
X25519 encryption key (``EncryptionKey``; others encrypt to its ``RecipientKey``). A key is
named everywhere by its RFC 7638 thumbprint: SHA-256 over the JWK's required members in
lexicographic order, ``{"crv":...,"kty":"OKP","x":...}``, base64url without padding.

Private keys are stored as unencrypted PKCS #8 PEM; the files that hold them are protected by
their mode (0600), not by a passphrase.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from vinculo.federation.jose import (
    KEY_AGREEMENT_ALG,
    SIGNATURE_ALG,
    JoseFormatError,
    b64decode,
    b64encode,
    raw_public,
)

# The members a public JWK in the directory may carry; anything else (a private "d" above all)
# is refused rather than ignored.
PUBLIC_JWK_MEMBERS = frozenset({"kty", "crv", "x", "kid", "use", "alg"})


class InvalidKey(ValueError):
    """A PEM or JWK is not a key of the expected kind."""


def thumbprint(crv: str, x: str) -> str:
    """RFC 7638 SHA-256 thumbprint of an OKP key, base64url without padding."""
    required = f'{{"crv":"{crv}","kty":"OKP","x":"{x}"}}'
    return b64encode(hashlib.sha256(required.encode("ascii")).digest())


class _PublicKey:
    crv: ClassVar[str]
    use: ClassVar[str]
    alg: ClassVar[str]
    __slots__ = ("_raw", "_thumbprint", "_x")

    def __init__(self, raw: bytes) -> None:
        if len(raw) != 32:
            raise InvalidKey(f"an {self.crv} public key is 32 bytes")
        self._raw = raw
        self._x = b64encode(raw)
        self._thumbprint = thumbprint(self.crv, self._x)

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> Self:
        """The key a public JWK describes; ``kid``, ``use`` and ``alg`` are checked when present."""
        if not isinstance(jwk, Mapping):
            raise InvalidKey("a JWK is a JSON object")
        if "d" in jwk:
            raise InvalidKey("this JWK holds a private key; only public keys may be shared")
        unexpected = set(jwk) - PUBLIC_JWK_MEMBERS
        if unexpected:
            raise InvalidKey(f"unexpected JWK members: {', '.join(sorted(unexpected))}")
        if jwk.get("kty") != "OKP" or jwk.get("crv") != cls.crv:
            raise InvalidKey(f"expected an OKP key on {cls.crv}")
        x = jwk.get("x")
        if not isinstance(x, str):
            raise InvalidKey("the JWK has no x")
        try:
            key = cls(b64decode(x))
        except JoseFormatError as error:
            raise InvalidKey(f"the JWK's x is not base64url: {error}") from None
        for member, expected in (("kid", key._thumbprint), ("use", cls.use), ("alg", cls.alg)):
            if member in jwk and jwk[member] != expected:
                raise InvalidKey(f"the JWK's {member} is {jwk[member]!r}, expected {expected!r}")
        return key

    def public_jwk(self) -> dict[str, str]:
        """The public JWK, with ``kid`` (the thumbprint), ``use`` and ``alg``."""
        return {"kty": "OKP", "crv": self.crv, "x": self._x, "kid": self._thumbprint, "use": self.use, "alg": self.alg}

    def thumbprint(self) -> str:
        return self._thumbprint

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _PublicKey) and type(other) is type(self) and other._raw == self._raw

    def __hash__(self) -> int:
        return hash((self.crv, self._raw))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._thumbprint})"


class VerifyKey(_PublicKey):
    """Someone's Ed25519 public key: checks their signatures."""

    crv = "Ed25519"
    use = "sig"
    alg = SIGNATURE_ALG
    __slots__ = ("_key",)

    def __init__(self, raw: bytes) -> None:
        super().__init__(raw)
        self._key = Ed25519PublicKey.from_public_bytes(raw)

    @property
    def key(self) -> Ed25519PublicKey:
        return self._key


class RecipientKey(_PublicKey):
    """Someone's X25519 public key: envelopes to them are encrypted to it."""

    crv = "X25519"
    use = "enc"
    alg = KEY_AGREEMENT_ALG
    __slots__ = ("_key",)

    def __init__(self, raw: bytes) -> None:
        super().__init__(raw)
        self._key = X25519PublicKey.from_public_bytes(raw)

    @property
    def key(self) -> X25519PublicKey:
        return self._key


def _load_pem(data: bytes, expected: type) -> Any:
    try:
        key = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise InvalidKey(f"not an unencrypted PKCS #8 private key ({error})") from None
    if not isinstance(key, expected):
        raise InvalidKey(f"expected an {expected.__name__.removesuffix('PrivateKey')} private key")
    return key


def _to_pem(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


class SigningKey:
    """This node's Ed25519 private key: signs envelopes, receipts and documents."""

    __slots__ = ("_key", "_public")

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self._public = VerifyKey(raw_public(key.public_key()))

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, data: bytes) -> SigningKey:
        return cls(_load_pem(data, Ed25519PrivateKey))

    def to_pem(self) -> bytes:
        """Unencrypted PKCS #8 PEM (keep the file at mode 0600)."""
        return _to_pem(self._key)

    @property
    def verify_key(self) -> VerifyKey:
        return self._public

    def public_jwk(self) -> dict[str, str]:
        return self._public.public_jwk()

    def thumbprint(self) -> str:
        return self._public.thumbprint()

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    @property
    def key(self) -> Ed25519PrivateKey:
        return self._key

    def __repr__(self) -> str:
        return f"SigningKey({self.thumbprint()})"


class EncryptionKey:
    """This node's X25519 private key: opens envelopes sent to it."""

    __slots__ = ("_key", "_public")

    def __init__(self, key: X25519PrivateKey) -> None:
        self._key = key
        self._public = RecipientKey(raw_public(key.public_key()))

    @classmethod
    def generate(cls) -> EncryptionKey:
        return cls(X25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, data: bytes) -> EncryptionKey:
        return cls(_load_pem(data, X25519PrivateKey))

    def to_pem(self) -> bytes:
        """Unencrypted PKCS #8 PEM (keep the file at mode 0600)."""
        return _to_pem(self._key)

    @property
    def recipient_key(self) -> RecipientKey:
        return self._public

    def public_jwk(self) -> dict[str, str]:
        return self._public.public_jwk()

    def thumbprint(self) -> str:
        return self._public.thumbprint()

    @property
    def key(self) -> X25519PrivateKey:
        return self._key

    def __repr__(self) -> str:
        return f"EncryptionKey({self.thumbprint()})"
