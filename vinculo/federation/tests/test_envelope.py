"""The envelope protocol: the published test vectors, then properties over many envelopes.

SV-FGR seals a message to GT-MP; HN-MP is a third office. Every refusal is checked by its code.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jwe, jws
from joserfc.jwk import OKPKey

from vinculo.federation import jose
from vinculo.federation.envelope import (
    CONVERSATION,
    HANDLING_CODE,
    MEMBER_ID,
    MESSAGE_TYPE,
    REFUSAL_CODES,
    EncryptionKey,
    EnvelopeRefused,
    Header,
    Opened,
    open_envelope,
    read_routing,
    seal,
    sha256_of,
    verify_signed_message,
)
from vinculo.federation.tests import vectors as generator
from vinculo.federation.tests.conftest import Node, directory, load_vectors, node

NOW = 1767225600
MAX = 1 << 20
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def header_for(sender: Node, recipient: Node, /, **changes: Any) -> Header:
    fields: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "type": "request.assistance",
        "sender": sender.member,
        "recipient": recipient.member,
        "created_at": NOW,
        "sender_key": sender.signing.thumbprint(),
        "recipient_key": recipient.encryption.thumbprint(),
        "handling": ("H2",),
    }
    fields.update(changes)
    return Header(**fields)


def seal_from(sender: Node, recipient: Node, payload: bytes = b"payload", /, **changes: Any) -> bytes:
    return seal(
        header_for(sender, recipient, **changes),
        payload,
        signing_key=sender.signing,
        recipient_key=recipient.encryption.recipient_key,
    )


def open_at(receiver: Node, data: bytes, *senders: Node, now: int = NOW, **options: Any) -> Opened:
    return open_envelope(
        data,
        recipient_id=receiver.member,
        recipient_key=receiver.encryption,
        sender_keys=directory(*(senders or (node("SV-FGR"),))),
        now=now,
        max_bytes=options.pop("max_bytes", MAX),
        **options,
    )


def refusal(call: Any) -> str:
    with pytest.raises(EnvelopeRefused) as caught:
        call()
    assert caught.value.code in REFUSAL_CODES
    return caught.value.code


# --- the published vectors --------------------------------------------------------------------


def test_the_vectors_file_is_what_the_generator_writes(vectors: dict[str, Any]) -> None:
    assert json.loads(generator.render()) == vectors


def test_the_vectors_warn_that_their_keys_are_published(vectors: dict[str, Any]) -> None:
    assert "TEST KEYS ONLY" in vectors["warning"]


def test_vector_keys_match_their_public_jwks_and_thumbprints(vectors: dict[str, Any]) -> None:
    for member, keys in vectors["members"].items():
        for purpose, entry in keys.items():
            key_class = generator.SigningKey if purpose == "signing" else EncryptionKey
            key = key_class.from_pem(entry["private_pem"].encode("ascii"))
            assert key.public_jwk() == entry["public_jwk"], (member, purpose)
            assert key.thumbprint() == entry["thumbprint"] == entry["public_jwk"]["kid"]
            # The private JWK is the same key as the PEM (an implementation may load either).
            assert OKPKey.import_key(entry["private_jwk"]).thumbprint() == key.thumbprint()


def test_seal_reproduces_the_vector_envelope_byte_for_byte(vectors: dict[str, Any], sv: Node, gt: Node) -> None:
    vector = vectors["envelope"]
    wire = vector["header"]
    header = Header.from_wire(wire)
    ephemeral = EncryptionKey(X25519PrivateKey.from_private_bytes(jose.b64decode(vector["ephemeral_private_jwk"]["d"])))

    envelope = seal(
        header,
        jose.b64decode(vector["payload_base64url"]),
        signing_key=sv.signing,
        recipient_key=gt.encryption.recipient_key,
        _ephemeral=ephemeral,
        _iv=jose.b64decode(vector["iv_base64url"]),
    )

    assert envelope.decode("ascii") == vector["envelope"]
    assert sha256_of(envelope) == vector["sha256"]
    assert (
        envelope.split(b".")[0] == jose.b64encode(vector["intermediate"]["jwe_protected_header_json"].encode()).encode()
    )


def test_the_recipient_opens_the_vector_envelope(vectors: dict[str, Any], sv: Node, gt: Node) -> None:
    vector, context = vectors["envelope"], vectors["context"]

    opened = open_at(gt, vector["envelope"].encode("ascii"), sv, now=context["now"], max_bytes=context["max_bytes"])

    assert opened.header == Header.from_wire(vector["header"])
    assert opened.payload.decode("utf-8") == vector["payload_utf8"]
    assert opened.sha256 == vector["sha256"]
    assert opened.message_digest == vector["message_digest"]
    assert opened.signed.decode("ascii") == vector["intermediate"]["jws"]
    assert json.loads(jose.b64decode(vector["intermediate"]["jws"].split(".")[1])) == json.loads(
        vector["intermediate"]["signed_inner_json"]
    )


def test_the_vector_intermediate_values_follow_from_the_keys(vectors: dict[str, Any], gt: Node) -> None:
    vector = vectors["envelope"]
    ephemeral = X25519PublicKey.from_public_bytes(jose.b64decode(vector["ephemeral_private_jwk"]["x"]))
    shared = gt.encryption.key.exchange(ephemeral)

    assert shared.hex() == vector["intermediate"]["shared_secret_hex"]
    assert jose.derive_cek(shared).hex() == vector["intermediate"]["cek_hex"]


@pytest.mark.parametrize("case", load_vectors()["negative"], ids=lambda case: case["name"])
def test_negative_vectors_are_refused_with_their_code(case: dict[str, Any]) -> None:
    context = {**load_vectors()["context"], **case["open"]}
    receiver = node(context["recipient_id"])
    known = [node(member) for member in context["known_senders"]]

    def attempt() -> Opened:
        return open_envelope(
            case["envelope"].encode("ascii"),
            recipient_id=receiver.member,
            recipient_key=receiver.encryption,
            sender_keys=directory(*known),
            now=context["now"],
            window=context["window"],
            max_bytes=context["max_bytes"],
        )

    assert refusal(attempt) == case["refusal"]


def test_every_refusal_code_has_a_negative_vector(vectors: dict[str, Any]) -> None:
    assert {case["refusal"] for case in vectors["negative"]} == set(REFUSAL_CODES)


# --- interoperability with an independent JOSE implementation (joserfc) -------------------------


def test_joserfc_decrypts_and_verifies_our_envelope(sv: Node, gt: Node) -> None:
    envelope = seal_from(sv, gt, b"hola")
    registry = jwe.JWERegistry(algorithms=["ECDH-ES", "A256GCM"], strict_check_header=False)

    decrypted = jwe.decrypt_compact(envelope, OKPKey.import_key(gt.encryption.to_pem()), registry=registry)
    assert decrypted.plaintext is not None
    verified = jws.deserialize_compact(
        decrypted.plaintext, OKPKey.import_key(sv.signing.public_jwk()), algorithms=["Ed25519"]
    )

    inner = json.loads(verified.payload)
    assert (inner["from"], inner["to"], jose.b64decode(inner["body"])) == ("SV-FGR", "GT-MP", b"hola")
    assert decrypted.protected["kid"] == gt.encryption.thumbprint()


def test_an_envelope_built_with_joserfc_opens(sv: Node, gt: Node) -> None:
    header = header_for(sv, gt)
    inner = {"v": 1, **header.to_wire(), "body": jose.b64encode(b"from another implementation")}
    signed = jws.serialize_compact(
        {"typ": "vinculo-envelope+jws", "kid": header.sender_key, "alg": "Ed25519"},
        json.dumps(inner, indent=1),  # any valid JSON: receivers never re-serialise
        OKPKey.import_key(sv.signing.to_pem()),
        algorithms=["Ed25519"],
    )
    outer = {
        "alg": "ECDH-ES",
        "enc": "A256GCM",
        "typ": "vinculo-envelope+jwe",
        "cty": "vinculo-envelope+jws",
        "v": 1,
        "id": header.id,
        "from": header.sender,
        "to": header.recipient,
        "iat": header.created_at,
        "kid": header.recipient_key,
        "skid": header.sender_key,
    }
    registry = jwe.JWERegistry(algorithms=["ECDH-ES", "A256GCM"], strict_check_header=False)
    envelope = jwe.encrypt_compact(outer, signed, OKPKey.import_key(gt.encryption.public_jwk()), registry=registry)

    opened = open_at(gt, envelope.encode("ascii"), sv)

    assert (opened.header, opened.payload) == (header, b"from another implementation")


# --- sealing and opening ----------------------------------------------------------------------


def test_seal_refuses_keys_that_the_header_does_not_name(sv: Node, gt: Node, hn: Node) -> None:
    with pytest.raises(ValueError, match="recipient_key"):
        seal(header_for(sv, gt), b"x", signing_key=sv.signing, recipient_key=hn.encryption.recipient_key)
    with pytest.raises(ValueError, match="sender_key"):
        seal(header_for(sv, gt), b"x", signing_key=hn.signing, recipient_key=gt.encryption.recipient_key)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "5B0C2A8E-6F1D-4C3B-9E7A-2D4F6A8C0E1B"),  # upper case is not the canonical form
        ("id", "not-a-uuid"),
        ("type", "Request"),
        ("sender", "sv-fgr"),
        ("recipient", "GUATEMALA"),
        ("created_at", -1),
        ("created_at", True),
        ("created_at", 2**53),
        ("sender_key", "short"),
        ("conversation", ""),
        ("in_reply_to", "yesterday"),
        ("handling", ("H2", "H2")),
        ("handling", ("h2",)),
    ],
)
def test_a_header_with_an_invalid_field_is_refused(sv: Node, gt: Node, field: str, value: Any) -> None:
    with pytest.raises(ValueError, match="invalid envelope header"):
        header_for(sv, gt, **{field: value})


def test_two_seals_of_the_same_message_differ_and_both_open(sv: Node, gt: Node) -> None:
    header = header_for(sv, gt)
    first = seal(header, b"same", signing_key=sv.signing, recipient_key=gt.encryption.recipient_key)
    second = seal(header, b"same", signing_key=sv.signing, recipient_key=gt.encryption.recipient_key)

    assert first != second
    assert first.split(b".")[2] != second.split(b".")[2]  # fresh IV
    opened = [open_at(gt, data, sv) for data in (first, second)]
    assert opened[0].payload == opened[1].payload == b"same"
    assert opened[0].signed == opened[1].signed  # Ed25519 is deterministic: same signed message
    assert opened[0].sha256 != opened[1].sha256


def test_a_retry_sealed_later_keeps_its_message_digest(sv: Node, gt: Node) -> None:
    header = header_for(sv, gt)
    retry = dataclasses.replace(header, created_at=NOW + 3600)
    other_content = header_for(sv, gt, id=header.id)

    first = open_at(gt, seal(header, b"x", signing_key=sv.signing, recipient_key=gt.encryption.recipient_key), sv)
    again = open_at(
        gt, seal(retry, b"x", signing_key=sv.signing, recipient_key=gt.encryption.recipient_key), sv, now=NOW + 3600
    )
    reused = open_at(
        gt, seal(other_content, b"y", signing_key=sv.signing, recipient_key=gt.encryption.recipient_key), sv
    )

    assert first.message_digest == again.message_digest
    assert first.sha256 != again.sha256
    assert reused.message_digest != first.message_digest  # same id, different content


def test_an_envelope_replayed_to_another_office_is_refused(sv: Node, gt: Node, hn: Node) -> None:
    envelope = seal_from(sv, gt)

    assert refusal(lambda: open_at(hn, envelope, sv)) == "wrong_recipient"


def test_an_envelope_encrypted_to_a_key_we_do_not_hold_is_refused(sv: Node, gt: Node) -> None:
    retired = EncryptionKey.generate()
    envelope = seal(
        header_for(sv, gt, recipient_key=retired.thumbprint()),
        b"x",
        signing_key=sv.signing,
        recipient_key=retired.recipient_key,
    )

    assert refusal(lambda: open_at(gt, envelope, sv)) == "wrong_recipient"


def test_during_a_rotation_either_encryption_key_opens(sv: Node, gt: Node) -> None:
    new_key = EncryptionKey.generate()
    to_new = seal(
        header_for(sv, gt, recipient_key=new_key.thumbprint()),
        b"new",
        signing_key=sv.signing,
        recipient_key=new_key.recipient_key,
    )
    to_old = seal_from(sv, gt, b"old")

    for data, payload in ((to_new, b"new"), (to_old, b"old")):
        opened = open_envelope(
            data,
            recipient_id="GT-MP",
            recipient_key=[gt.encryption, new_key],
            sender_keys=directory(sv),
            now=NOW,
            max_bytes=MAX,
        )
        assert opened.payload == payload


def test_sender_keys_is_asked_for_the_sender_and_its_key_id(sv: Node, gt: Node) -> None:
    asked: list[tuple[str, str]] = []

    def sender_keys(member: str, key_id: str) -> Any:
        asked.append((member, key_id))
        return sv.signing.verify_key

    open_envelope(
        seal_from(sv, gt),
        recipient_id="GT-MP",
        recipient_key=gt.encryption,
        sender_keys=sender_keys,
        now=NOW,
        max_bytes=MAX,
    )

    assert asked == [("SV-FGR", sv.signing.thumbprint())]


def test_a_refusal_raised_by_sender_keys_passes_through(sv: Node, gt: Node) -> None:
    def suspended(member: str, key_id: str) -> Any:
        raise EnvelopeRefused("suspended_sender", f"{member} is suspended")

    with pytest.raises(EnvelopeRefused) as caught:
        open_envelope(
            seal_from(sv, gt),
            recipient_id="GT-MP",
            recipient_key=gt.encryption,
            sender_keys=suspended,
            now=NOW,
            max_bytes=MAX,
        )
    assert caught.value.code == "suspended_sender"


def test_a_directory_answering_with_another_key_is_an_unknown_sender(sv: Node, gt: Node, hn: Node) -> None:
    def confused(member: str, key_id: str) -> Any:
        return hn.signing.verify_key

    envelope = seal_from(sv, gt)
    assert (
        refusal(
            lambda: open_envelope(
                envelope,
                recipient_id="GT-MP",
                recipient_key=gt.encryption,
                sender_keys=confused,
                now=NOW,
                max_bytes=MAX,
            )
        )
        == "unknown_sender"
    )


@pytest.mark.parametrize(("offset", "accepted"), [(-600, True), (600, True), (-601, False), (601, False)])
def test_the_window_is_inclusive(sv: Node, gt: Node, offset: int, accepted: bool) -> None:
    envelope = seal_from(sv, gt)

    if accepted:
        assert open_at(gt, envelope, sv, now=NOW + offset).payload == b"payload"
    else:
        assert refusal(lambda: open_at(gt, envelope, sv, now=NOW + offset)) == "stale"


def test_the_size_limit_is_inclusive(sv: Node, gt: Node) -> None:
    envelope = seal_from(sv, gt)

    assert open_at(gt, envelope, sv, max_bytes=len(envelope)).payload == b"payload"
    assert refusal(lambda: open_at(gt, envelope, sv, max_bytes=len(envelope) - 1)) == "too_large"


def test_read_routing_states_the_clear_fields_without_keys(sv: Node, gt: Node) -> None:
    header = header_for(sv, gt)
    envelope = seal(header, b"x", signing_key=sv.signing, recipient_key=gt.encryption.recipient_key)

    routing = read_routing(envelope, max_bytes=MAX)

    assert (routing.id, routing.sender, routing.recipient, routing.created_at) == (header.id, "SV-FGR", "GT-MP", NOW)
    assert (routing.sender_key, routing.recipient_key) == (header.sender_key, header.recipient_key)


def test_the_clear_header_holds_no_conversation_type_or_handling(sv: Node, gt: Node) -> None:
    envelope = seal_from(sv, gt, conversation="case-2026-0042", handling=("H3",), type="alert.victim")
    clear = json.loads(jose.b64decode(envelope.split(b".")[0].decode("ascii")))

    # Compare whole fields, not substrings: a random base64 key can hold "H3" by chance.
    fields = set(clear) | {value for value in clear.values() if isinstance(value, str)}
    assert not {"conversation", "type", "handling", "payload"} & set(clear)
    assert not {"case-2026-0042", "H3", "alert.victim", "payload"} & fields
    assert not any(secret in value for value in fields for secret in ("case-2026-0042", "alert.victim"))


def test_the_signed_message_can_be_checked_again_offline(sv: Node, gt: Node, hn: Node) -> None:
    opened = open_at(gt, seal_from(sv, gt, b"evidence"), sv)

    header, payload = verify_signed_message(opened.signed, verify_key=sv.signing.verify_key)

    assert (header, payload) == (opened.header, b"evidence")
    with pytest.raises(EnvelopeRefused) as caught:
        verify_signed_message(opened.signed, verify_key=hn.signing.verify_key)
    assert caught.value.code == "bad_signature"


# --- properties -------------------------------------------------------------------------------


def _vector_envelope() -> bytes:
    return load_vectors()["envelope"]["envelope"].encode("ascii")


def _open_vector(data: bytes) -> Opened:
    context = load_vectors()["context"]
    return open_envelope(
        data,
        recipient_id="GT-MP",
        recipient_key=node("GT-MP").encryption,
        sender_keys=directory(node("SV-FGR")),
        now=context["now"],
        max_bytes=context["max_bytes"],
    )


def test_the_unaltered_vector_envelope_opens() -> None:
    # The control for the properties below: without it they could pass on an envelope that never opens.
    assert _open_vector(_vector_envelope()).payload.startswith(b'{"asunto"')


@PROPERTY_SETTINGS
@given(data=st.data())
def test_any_single_byte_change_is_refused(data: st.DataObject) -> None:
    envelope = bytearray(_vector_envelope())
    position = data.draw(st.integers(0, len(envelope) - 1), label="position")
    value = data.draw(st.integers(0, 255).filter(lambda byte: byte != envelope[position]), label="value")
    envelope[position] = value

    assert refusal(lambda: _open_vector(bytes(envelope)))


@PROPERTY_SETTINGS
@given(data=st.data())
def test_any_inserted_or_deleted_byte_is_refused(data: st.DataObject) -> None:
    envelope = bytearray(_vector_envelope())
    position = data.draw(st.integers(0, len(envelope)), label="position")
    if data.draw(st.booleans(), label="insert"):
        envelope.insert(position, data.draw(st.integers(0, 255), label="value"))
    else:
        del envelope[min(position, len(envelope) - 1)]

    assert refusal(lambda: _open_vector(bytes(envelope)))


headers = st.builds(
    dict,
    id=st.uuids().map(str),
    type=st.from_regex(MESSAGE_TYPE, fullmatch=True),
    created_at=st.integers(0, 2**53 - 1),
    conversation=st.none() | st.from_regex(CONVERSATION, fullmatch=True),
    in_reply_to=st.none() | st.uuids().map(str),
    handling=st.lists(st.from_regex(HANDLING_CODE, fullmatch=True), unique=True, max_size=4).map(tuple),
)


@settings(max_examples=100, deadline=None)
@given(fields=headers, payload=st.binary(max_size=2048), sender_id=st.from_regex(MEMBER_ID, fullmatch=True))
def test_whatever_is_sealed_opens_as_it_was(fields: dict[str, Any], payload: bytes, sender_id: str) -> None:
    sender, receiver = node("SV-FGR"), node("GT-MP")
    sender = dataclasses.replace(sender, member=sender_id)
    header = header_for(sender, receiver, **fields)
    envelope = seal(header, payload, signing_key=sender.signing, recipient_key=receiver.encryption.recipient_key)

    opened = open_at(receiver, envelope, sender, now=header.created_at)

    assert (opened.header, opened.payload, opened.sha256) == (header, payload, sha256_of(envelope))


@settings(max_examples=50, deadline=None)
@given(fields=headers)
def test_no_envelope_for_one_office_opens_at_another(fields: dict[str, Any]) -> None:
    sv, gt, hn = node("SV-FGR"), node("GT-MP"), node("HN-MP")
    envelope = seal(
        header_for(sv, gt, **fields), b"x", signing_key=sv.signing, recipient_key=gt.encryption.recipient_key
    )

    assert refusal(lambda: open_at(hn, envelope, sv, now=fields["created_at"])) == "wrong_recipient"
    # Even HN-MP's own node id with GT-MP's key: only GT-MP's private key decrypts.
    assert (
        refusal(
            lambda: open_envelope(
                envelope,
                recipient_id="GT-MP",
                recipient_key=hn.encryption,
                sender_keys=directory(sv),
                now=fields["created_at"],
                max_bytes=MAX,
            )
        )
        == "wrong_recipient"
    )


def test_every_other_last_character_of_every_part_is_refused() -> None:
    # The last character of a base64url part may carry unused bits: a random single-byte change
    # rarely lands there, so every alternative is tried.
    parts = _vector_envelope().decode("ascii").split(".")
    tried = 0
    for index, part in enumerate(parts):
        if not part:
            continue  # the empty encrypted key
        for character in jose._ALPHABET.replace(part[-1], ""):
            altered = [*parts[:index], part[:-1] + character, *parts[index + 1 :]]
            assert refusal(lambda altered=altered: _open_vector(".".join(altered).encode("ascii")))
            tried += 1
    assert tried == 4 * 63


def test_a_later_version_is_named_even_when_the_rest_has_another_shape(gt: Node) -> None:
    later = jose.b64encode(jose.canonical_json({"v": 2, "whatever": "comes next"})) + ".only-two-parts"

    assert refusal(lambda: open_at(gt, later.encode("ascii"))) == "unsupported_version"
