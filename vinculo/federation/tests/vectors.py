"""Builds docs/protocol-vectors.json, the protocol's test vectors.

    .venv/bin/python -m vinculo.federation.tests.vectors            # print
    .venv/bin/python -m vinculo.federation.tests.vectors --write    # rewrite docs/protocol-vectors.json

Every key, the ephemeral keys and the IVs are derived from fixed labels (SHA-256 of a phrase), so
the output is the same on every run: the keys are PUBLISHED TEST KEYS and must never serve a real
node. The negative vectors are crafted with the JOSE building blocks directly, the way a
damaged link, a careless implementation or an attacker would produce them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from vinculo.federation import jose
from vinculo.federation.directory_format import Directory, Member, Policy, PublishedKey
from vinculo.federation.envelope import (
    ENVELOPE_TYP,
    MESSAGE_TYP,
    PROTOCOL_VERSION,
    EncryptionKey,
    Header,
    SigningKey,
    open_envelope,
    seal,
    sign_document,
    sign_receipt,
)

PATH = Path(__file__).resolve().parents[3] / "docs" / "protocol-vectors.json"
WARNING = (
    "TEST KEYS ONLY. Every private key in this file is published and derived from a fixed phrase. "
    "Never configure a node with them; a node that trusts them trusts anyone."
)
SENDER, RECIPIENT, THIRD, HUB = "SV-FGR", "GT-MP", "HN-MP", "CCCMP-HUB"
NOW = 1767225600  # 2026-01-01T00:00:00Z
CONTEXT = {"recipient_id": RECIPIENT, "now": NOW + 42, "window": 600, "max_bytes": 65536}
PAYLOAD = (
    '{"asunto":"Solicitud de asistencia (vector de prueba)","texto":"Datos sintéticos: ninguna persona ni caso real."}'
).encode()


def _seed(label: str) -> bytes:
    return hashlib.sha256(f"vinculo protocol test vector: {label}".encode()).digest()


def signing_key(member: str) -> SigningKey:
    return SigningKey(Ed25519PrivateKey.from_private_bytes(_seed(f"{member} signing key")))


def encryption_key(member: str) -> EncryptionKey:
    return EncryptionKey(X25519PrivateKey.from_private_bytes(_seed(f"{member} encryption key")))


def ephemeral(label: str) -> EncryptionKey:
    return EncryptionKey(X25519PrivateKey.from_private_bytes(_seed(f"ephemeral key {label}")))


def iv(label: str) -> bytes:
    return _seed(f"iv {label}")[: jose.IV_BYTES]


def _private_jwk(key: SigningKey | EncryptionKey) -> dict[str, str]:
    raw = key.key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = key.public_jwk()
    return {"kty": "OKP", "crv": public["crv"], "x": public["x"], "d": jose.b64encode(raw)}


def _key_entry(key: SigningKey | EncryptionKey) -> dict[str, Any]:
    return {
        "private_pem": key.to_pem().decode("ascii"),
        "private_jwk": _private_jwk(key),
        "public_jwk": key.public_jwk(),
        "thumbprint": key.thumbprint(),
    }


def _member(member: str, name_es: str, name_en: str, *, roles: tuple[str, ...] = ("office",)) -> Member:
    return Member(
        id=member,
        name_es=name_es,
        name_en=name_en,
        country=member[:2] if roles == ("office",) else "SV",
        endpoint=f"https://{member.lower()}.example/",
        status="active",
        roles=roles,
        signing_keys=(PublishedKey(signing_key(member).public_jwk(), signing_key(member).thumbprint()),),
        encryption_keys=(PublishedKey(encryption_key(member).public_jwk(), encryption_key(member).thumbprint()),),
    )


def _directory() -> Directory:
    """A directory in the format of docs/protocol.md §14.1, as the hub publishes it."""
    return Directory(
        version=7,
        issued_at=NOW,
        expires_at=NOW + 7 * 86400,
        hub=HUB,
        members=(
            _member(HUB, "Centro de coordinación (prueba)", "Coordination hub (test)", roles=("hub",)),
            _member(SENDER, "Fiscalía General de la República (prueba)", "Attorney General's Office (test)"),
            _member(RECIPIENT, "Ministerio Público (prueba)", "Public Prosecutor's Office (test)"),
        ),
        policy=Policy.default(),
    )


def header(recipient: str = RECIPIENT, **changes: Any) -> Header:
    fields: dict[str, Any] = {
        "id": "5b0c2a8e-6f1d-4c3b-9e7a-2d4f6a8c0e1b",
        "type": "request.assistance",
        "sender": SENDER,
        "recipient": recipient,
        "created_at": NOW,
        "sender_key": signing_key(SENDER).thumbprint(),
        "recipient_key": encryption_key(recipient).thumbprint(),
        "conversation": "9d3e5f7a-1b2c-4d6e-8f0a-3c5e7a9b1d2f",
        "in_reply_to": None,
        "handling": ("H2",),
    }
    fields.update(changes)
    return Header(**fields)


def envelope_to(recipient: str, label: str) -> bytes:
    return seal(
        header(recipient),
        PAYLOAD,
        signing_key=signing_key(SENDER),
        recipient_key=encryption_key(recipient).recipient_key,
        _ephemeral=ephemeral(label),
        _iv=iv(label),
    )


def _replace_outer(envelope: bytes, **changes: Any) -> bytes:
    """The envelope with its clear header re-encoded with ``changes`` (the ciphertext is untouched)."""
    parts = envelope.decode("ascii").split(".")
    outer = json.loads(jose.b64decode(parts[0]))
    outer.update(changes)
    parts[0] = jose.b64encode(jose.canonical_json(outer))
    return ".".join(parts).encode("ascii")


def _flip(envelope: bytes, part: int, byte: int = 0) -> bytes:
    parts = envelope.decode("ascii").split(".")
    data = bytearray(jose.b64decode(parts[part]))
    data[byte] ^= 0x01
    parts[part] = jose.b64encode(bytes(data))
    return ".".join(parts).encode("ascii")


def _outer(hdr: Header) -> dict[str, Any]:
    return {
        "alg": jose.KEY_AGREEMENT_ALG,
        "enc": jose.CONTENT_ENC,
        "typ": ENVELOPE_TYP,
        "cty": MESSAGE_TYP,
        "v": PROTOCOL_VERSION,
        "id": hdr.id,
        "from": hdr.sender,
        "to": hdr.recipient,
        "iat": hdr.created_at,
        "kid": hdr.recipient_key,
        "skid": hdr.sender_key,
    }


def _encrypt(outer: dict[str, Any], plaintext: bytes, recipient: str, label: str) -> bytes:
    token = jose.jwe_encrypt(
        outer,
        plaintext,
        encryption_key(recipient).recipient_key.key,
        ephemeral=ephemeral(label).key,
        iv=iv(label),
    )
    return token.encode("ascii")


def _signed(hdr: Header, *, by: SigningKey, kid: str) -> str:
    inner = {"v": PROTOCOL_VERSION, **hdr.to_wire(), "body": jose.b64encode(PAYLOAD)}
    return jose.jws_sign(
        {"alg": jose.SIGNATURE_ALG, "kid": kid, "typ": MESSAGE_TYP}, jose.canonical_json(inner), by.key
    )


def negatives(valid: bytes) -> list[dict[str, Any]]:
    sender = signing_key(SENDER)
    tag_part = valid.decode("ascii").rsplit(".", 1)
    noncanonical_tag = tag_part[0] + "." + tag_part[1][:-1] + jose._ALPHABET[jose._ALPHABET.index(tag_part[1][-1]) | 1]

    # What GT-MP could do with a message SV-FGR sent it: decrypt it and pass the signed message on
    # to HN-MP in a new, self-consistent envelope. The inner "to" still says GT-MP.
    forwarded_header = header(recipient=THIRD)
    signed_for_gt = _signed(header(), by=sender, kid=sender.thumbprint())
    forwarded = _encrypt(_outer(forwarded_header), signed_for_gt.encode("ascii"), THIRD, "forwarded")

    # HN-MP signing a message with its own key while the headers claim SV-FGR's key.
    impersonation = _signed(header(), by=signing_key(THIRD), kid=sender.thumbprint())
    impersonated = _encrypt(_outer(header()), impersonation.encode("ascii"), RECIPIENT, "impersonated")

    # The signed message altered after signing (its payload part replaced), then encrypted again.
    jws_parts = signed_for_gt.split(".")
    altered_inner = json.loads(jose.b64decode(jws_parts[1]))
    altered_inner["to"] = "HN-MP"
    jws_parts[1] = jose.b64encode(jose.canonical_json(altered_inner))
    altered = _encrypt(_outer(header()), ".".join(jws_parts).encode("ascii"), RECIPIENT, "altered")

    # A sender whose clear header says one time and whose signed header says another.
    mismatched = _encrypt({**_outer(header()), "iat": NOW + 1}, signed_for_gt.encode("ascii"), RECIPIENT, "mismatched")

    cases: list[tuple[str, str, bytes, dict[str, Any], str]] = [
        ("too_large", "One byte over max_bytes.", valid, {"max_bytes": len(valid) - 1}, "too_large"),
        ("trailing_newline", "A newline after the last part.", valid + b"\n", {}, "malformed"),
        ("four_parts", "The tag part is missing.", valid.rsplit(b".", 1)[0], {}, "malformed"),
        (
            "noncanonical_base64",
            "An unused bit set in the tag's last character.",
            noncanonical_tag.encode(),
            {},
            "malformed",
        ),
        ("version_2", "Clear header says v 2.", _replace_outer(valid, v=2), {}, "unsupported_version"),
        (
            "other_recipient",
            "A valid envelope for HN-MP delivered to GT-MP.",
            envelope_to(THIRD, "third"),
            {},
            "wrong_recipient",
        ),
        (
            "clear_to_altered",
            "Clear header's to changed to HN-MP.",
            _replace_outer(valid, to=THIRD),
            {},
            "wrong_recipient",
        ),
        ("stale", "Opened 601 s after it was sealed.", valid, {"now": NOW + 601}, "stale"),
        ("future", "Opened 601 s before it was sealed.", valid, {"now": NOW - 601}, "stale"),
        ("unknown_sender", "The directory has no key for SV-FGR.", valid, {"known_senders": []}, "unknown_sender"),
        ("ciphertext_altered", "One bit of the ciphertext flipped.", _flip(valid, 3), {}, "undecryptable"),
        ("tag_altered", "One bit of the tag flipped.", _flip(valid, 4), {}, "undecryptable"),
        ("iv_altered", "One bit of the IV flipped.", _flip(valid, 2), {}, "undecryptable"),
        (
            "clear_iat_altered",
            "Clear header's iat moved by 1 s (re-encoded).",
            _replace_outer(valid, iat=NOW + 1),
            {},
            "undecryptable",
        ),
        (
            "forwarded",
            "GT-MP passes SV-FGR's signed message on to HN-MP.",
            forwarded,
            {"recipient_id": THIRD},
            "header_mismatch",
        ),
        ("clear_iat_differs", "The sender's clear iat differs from the signed one.", mismatched, {}, "header_mismatch"),
        ("impersonated", "Signed by HN-MP's key, labelled with SV-FGR's.", impersonated, {}, "bad_signature"),
        ("signed_altered", "The signed message changed after signing.", altered, {}, "bad_signature"),
    ]
    return [
        {
            "name": name,
            "description": text,
            "envelope": data.decode("ascii", "replace"),
            "open": changes,
            "refusal": code,
        }
        for name, text, data, changes, code in cases
    ]


def build() -> dict[str, Any]:
    members = {
        member: {"signing": _key_entry(signing_key(member)), "encryption": _key_entry(encryption_key(member))}
        for member in (SENDER, RECIPIENT, THIRD)
    }
    members[HUB] = {"signing": _key_entry(signing_key(HUB))}
    hdr = header()
    valid = envelope_to(RECIPIENT, "envelope")
    directory = {member: signing_key(member).verify_key for member in (SENDER, RECIPIENT, THIRD)}
    opened = open_envelope(
        valid,
        recipient_id=RECIPIENT,
        recipient_key=encryption_key(RECIPIENT),
        sender_keys=lambda member, kid: directory[member] if directory[member].thumbprint() == kid else None,
        now=CONTEXT["now"],
        window=CONTEXT["window"],
        max_bytes=CONTEXT["max_bytes"],
    )
    outer_segment = valid.decode("ascii").split(".")[0]
    jws_header, jws_payload, _signature = opened.signed.decode("ascii").split(".")
    eph = ephemeral("envelope")
    shared = eph.key.exchange(encryption_key(RECIPIENT).recipient_key.key)
    receipt_fields = {
        "message_id": hdr.id,
        "envelope_sha256": opened.sha256,
        "received_at": NOW + 42,
        "receiver": RECIPIENT,
        "sender": SENDER,
    }
    document = _directory().to_json()
    return {
        "description": "Test vectors for the Vínculo envelope protocol, version 1 (docs/protocol.md).",
        "warning": WARNING,
        "protocol_version": PROTOCOL_VERSION,
        "members": members,
        "context": {**CONTEXT, "known_senders": [SENDER, RECIPIENT, THIRD]},
        "envelope": {
            "header": {"v": PROTOCOL_VERSION, **hdr.to_wire()},
            "payload_base64url": jose.b64encode(PAYLOAD),
            "payload_utf8": PAYLOAD.decode("utf-8"),
            "ephemeral_private_jwk": _private_jwk(eph),
            "iv_base64url": jose.b64encode(iv("envelope")),
            "intermediate": {
                "signed_inner_json": jose.b64decode(jws_payload).decode("utf-8"),
                "jws_protected_header_json": jose.b64decode(jws_header).decode("utf-8"),
                "jws": opened.signed.decode("ascii"),
                "jwe_protected_header_json": jose.b64decode(outer_segment).decode("utf-8"),
                "shared_secret_hex": shared.hex(),
                "cek_hex": jose.derive_cek(shared).hex(),
            },
            "envelope": valid.decode("ascii"),
            "sha256": opened.sha256,
            "message_digest": opened.message_digest,
        },
        "receipt": {
            **receipt_fields,
            "signer": RECIPIENT,
            "token": sign_receipt(**receipt_fields, signing_key=signing_key(RECIPIENT)),
        },
        "document": {
            "kind": "directory",
            "signer": HUB,
            "object": document,
            "token": sign_document(document, signing_key(HUB), kind="directory"),
        },
        "negative": negatives(valid),
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help=f"rewrite {PATH.name}")
    args = parser.parse_args()
    if args.write:
        PATH.write_text(render(), encoding="utf-8")
    else:
        print(render(), end="")


if __name__ == "__main__":
    main()
