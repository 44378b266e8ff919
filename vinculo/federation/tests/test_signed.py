"""Receipts and signed documents (the network directory, key announcements)."""

from __future__ import annotations

from typing import Any

import pytest

from vinculo.federation import jose
from vinculo.federation.directory_trust import DirectoryRefused, verify_directory
from vinculo.federation.envelope import (
    EnvelopeRefused,
    Receipt,
    SigningKey,
    peek_key_id,
    sign_document,
    sign_receipt,
    verify_document,
    verify_receipt,
)
from vinculo.federation.tests.conftest import Node, node

SHA = "93b76292d2747cf98c1f8d0ad592a360858d2bfe3f6133984410818aa9f8a2d9"
MESSAGE_ID = "5b0c2a8e-6f1d-4c3b-9e7a-2d4f6a8c0e1b"


def receipt_by(receiver: Node, /, **changes: Any) -> str:
    fields: dict[str, Any] = {
        "message_id": MESSAGE_ID,
        "envelope_sha256": SHA,
        "received_at": 1767225642,
        "receiver": receiver.member,
        "sender": "SV-FGR",
    }
    fields.update(changes)
    return sign_receipt(**fields, signing_key=receiver.signing)


def refusal_code(call: Any) -> str:
    with pytest.raises(EnvelopeRefused) as caught:
        call()
    return caught.value.code


def _replace_part(token: str, index: int, value: bytes) -> str:
    parts = token.split(".")
    parts[index] = jose.b64encode(value)
    return ".".join(parts)


def test_the_vector_receipt_is_reproduced_and_verifies(vectors: dict[str, Any]) -> None:
    vector = vectors["receipt"]
    receiver = node(vector["signer"])
    fields = {name: vector[name] for name in ("message_id", "envelope_sha256", "received_at", "receiver", "sender")}

    token = sign_receipt(**fields, signing_key=receiver.signing)

    assert token == vector["token"]
    assert verify_receipt(token, verify_key=receiver.signing.verify_key) == Receipt(
        **fields, key_id=receiver.signing.thumbprint()
    )


def test_the_same_acceptance_gives_the_same_receipt(gt: Node) -> None:
    assert receipt_by(gt) == receipt_by(gt)


def test_a_receipt_from_another_office_is_refused(gt: Node, hn: Node) -> None:
    assert refusal_code(lambda: verify_receipt(receipt_by(hn), verify_key=gt.signing.verify_key)) == "bad_signature"


def test_a_receipt_with_altered_claims_is_refused(gt: Node) -> None:
    token = receipt_by(gt)
    forged_claims = jose.canonical_json(
        {
            "v": 1,
            "message_id": MESSAGE_ID,
            "envelope_sha256": "0" * 64,
            "received_at": 1767225642,
            "receiver": "GT-MP",
            "sender": "SV-FGR",
        }
    )

    forged = _replace_part(token, 1, forged_claims)

    assert refusal_code(lambda: verify_receipt(forged, verify_key=gt.signing.verify_key)) == "bad_signature"


def test_a_receipt_signed_with_bad_claims_is_malformed(gt: Node) -> None:
    token = jose.jws_sign(
        {"alg": "Ed25519", "kid": gt.signing.thumbprint(), "typ": "vinculo-receipt+jws"},
        jose.canonical_json({"v": 1, "message_id": MESSAGE_ID}),
        gt.signing.key,
    )

    assert refusal_code(lambda: verify_receipt(token, verify_key=gt.signing.verify_key)) == "malformed"


@pytest.mark.parametrize("token", ["", "a.b", "not a token", "...", "eyJ9.e30.AAAA"])
def test_garbage_is_not_a_receipt(gt: Node, token: str) -> None:
    assert refusal_code(lambda: verify_receipt(token, verify_key=gt.signing.verify_key)) == "malformed"


def test_sign_receipt_refuses_invalid_fields(gt: Node) -> None:
    with pytest.raises(ValueError, match="envelope_sha256"):
        receipt_by(gt, envelope_sha256="ABC")
    with pytest.raises(ValueError, match="receiver"):
        receipt_by(gt, receiver="nobody")


def test_the_vector_document_is_reproduced_and_verifies(vectors: dict[str, Any]) -> None:
    vector = vectors["document"]
    hub = SigningKey.from_pem(vectors["members"][vector["signer"]]["signing"]["private_pem"].encode("ascii"))

    token = sign_document(vector["object"], hub, kind=vector["kind"])

    assert token == vector["token"]
    assert verify_document(token, hub.verify_key, kind="directory") == vector["object"]
    assert peek_key_id(token) == hub.thumbprint()


def test_a_document_of_one_kind_is_not_accepted_as_another(gt: Node) -> None:
    announcement = sign_document({"new_key": "..."}, gt.signing, kind="key-rotation")

    assert refusal_code(lambda: verify_document(announcement, gt.signing.verify_key, kind="directory")) == "malformed"
    assert refusal_code(lambda: verify_receipt(announcement, verify_key=gt.signing.verify_key)) == "malformed"
    assert refusal_code(lambda: verify_document(receipt_by(gt), gt.signing.verify_key)) == "malformed"


def test_envelope_and_receipt_are_not_document_kinds(gt: Node) -> None:
    for kind in ("envelope", "receipt", "Directory", ""):
        with pytest.raises(ValueError, match="kind"):
            sign_document({}, gt.signing, kind=kind)


def test_a_document_signed_by_someone_else_is_refused(gt: Node, hn: Node) -> None:
    token = sign_document({"members": []}, hn.signing, kind="directory")

    assert refusal_code(lambda: verify_document(token, gt.signing.verify_key, kind="directory")) == "bad_signature"


def test_documents_hold_only_exact_json_values(gt: Node) -> None:
    with pytest.raises(ValueError, match="float"):
        sign_document({"ratio": 0.5}, gt.signing)
    with pytest.raises(ValueError, match="too large"):
        sign_document({"n": 2**60}, gt.signing)


def test_a_document_keeps_spanish_text(gt: Node) -> None:
    document = {"name": {"es": "Fiscalía de Sección de Trata", "en": "Trafficking Section"}}

    assert verify_document(sign_document(document, gt.signing), gt.signing.verify_key) == document


def test_a_document_with_duplicate_members_is_malformed(gt: Node) -> None:
    token = jose.jws_sign(
        {"alg": "Ed25519", "kid": gt.signing.thumbprint(), "typ": "vinculo-document+jws"},
        b'{"version":1,"version":2}',
        gt.signing.key,
    )

    assert refusal_code(lambda: verify_document(token, gt.signing.verify_key)) == "malformed"


def test_the_vector_directory_is_accepted_by_a_node_pinning_the_hub_key(vectors: dict[str, Any]) -> None:
    """The sample directory is in the format of docs/protocol.md §14.1 and passes every check of §14.2."""
    vector = vectors["document"]
    pin = vectors["members"][vector["signer"]]["signing"]["thumbprint"]
    issued = vector["object"]["issued_at"]

    verified = verify_directory(vector["token"], pinned=pin, held=None, now=issued + 60)

    assert verified.is_new
    assert verified.directory.to_json() == vector["object"]
    assert [member.id for member in verified.directory.members] == ["CCCMP-HUB", "SV-FGR", "GT-MP"]
    for member in verified.directory.members:
        keys = vectors["members"][member.id]
        assert member.current_signing_kid() == keys["signing"]["thumbprint"]
        if "encryption" in keys:  # the hub's encryption key is not among the published test keys
            assert member.recipient_key().thumbprint() == keys["encryption"]["thumbprint"]
    with pytest.raises(DirectoryRefused) as expired:
        verify_directory(vector["token"], pinned=pin, held=None, now=vector["object"]["expires_at"] + 1)
    assert expired.value.code == "expired"
