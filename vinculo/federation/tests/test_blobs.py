"""Attachments' pure core: chunks decrypt only in their own place of their own blob, and the vectors hold."""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.federation import blobs
from vinculo.federation.envelope import EnvelopeRefused, SigningKey, VerifyKey
from vinculo.federation.jose import b64decode
from vinculo.federation.tests import blob_vectors

ROOT = Path(__file__).resolve().parents[3]
SMALL = blobs.MIN_CHUNK_SIZE


def _encrypt(data: bytes, *, chunk_size: int = SMALL, **fields: object) -> tuple[blobs.Manifest, list[bytes]]:
    chunks: list[bytes] = []
    manifest = blobs.encrypt_blob(
        io.BytesIO(data), size=len(data), write_chunk=lambda index, chunk: chunks.append(chunk),
        name="informe.pdf", media_type="application/pdf", chunk_size=chunk_size, **fields,  # type: ignore[arg-type]
    )  # fmt: skip
    return manifest, chunks


def _refusal(manifest: blobs.Manifest, chunks: list[bytes], *, check_digests: bool = True) -> blobs.BlobRefused:
    with pytest.raises(blobs.BlobRefused) as refused:
        blobs.verify_blob(manifest, chunks.__getitem__, check_digests=check_digests)
    return refused.value


DOCUMENT = os.urandom(5 * SMALL + 123)


@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=6 * SMALL), chunk_size=st.integers(SMALL, 3 * SMALL))
def test_any_content_comes_back_whole_in_chunks_of_the_declared_size(data: bytes, chunk_size: int) -> None:
    manifest, chunks = _encrypt(data, chunk_size=chunk_size)
    assert manifest.count == blobs.chunk_count(len(data), chunk_size) == len(chunks)
    assert manifest.sha256 == hashlib.sha256(data).hexdigest()
    assert [len(chunk) for chunk in chunks] == [manifest.ciphertext_length(i) for i in range(manifest.count)]
    assert b"".join(blobs.decrypt_blob(manifest, chunks.__getitem__)) == data
    assert blobs.Manifest.from_wire(json.loads(json.dumps(manifest.to_wire()))) == manifest


def test_an_empty_file_is_one_chunk_of_nothing() -> None:
    manifest, chunks = _encrypt(b"")
    assert manifest.count == 1
    assert len(chunks[0]) == blobs.TAG_BYTES
    assert b"".join(blobs.decrypt_blob(manifest, chunks.__getitem__)) == b""


@settings(max_examples=30, deadline=None)
@given(index=st.integers(0, 5), position=st.integers(0, SMALL - 1), bit=st.integers(0, 7))
def test_a_flipped_bit_anywhere_is_refused(index: int, position: int, bit: int) -> None:
    manifest, chunks = _encrypt(DOCUMENT)
    damaged = bytearray(chunks[index])
    damaged[position % len(damaged)] ^= 1 << bit
    chunks[index] = bytes(damaged)
    assert _refusal(manifest, chunks).code == "digest_mismatch"
    refused = _refusal(manifest, chunks, check_digests=False)
    assert (refused.code, refused.index) == ("undecryptable", index), "the tag catches it without the digests"


@settings(max_examples=30, deadline=None)
@given(pair=st.lists(st.integers(0, 4), min_size=2, max_size=2, unique=True))
def test_reordered_chunks_are_refused_even_without_the_digests(pair: list[int]) -> None:
    manifest, chunks = _encrypt(DOCUMENT)
    first, second = pair
    chunks[first], chunks[second] = chunks[second], chunks[first]  # all full chunks: same length
    assert _refusal(manifest, chunks).code == "digest_mismatch"
    refused = _refusal(manifest, chunks, check_digests=False)
    assert (refused.code, refused.index) == ("undecryptable", min(pair))


def test_a_blob_cut_short_does_not_decrypt_even_with_a_manifest_to_match() -> None:
    manifest, chunks = _encrypt(DOCUMENT)
    kept = 3
    forged = replace(
        manifest, size=kept * SMALL, chunks=manifest.chunks[:kept],
        sha256=hashlib.sha256(DOCUMENT[: kept * SMALL]).hexdigest(),
    )  # fmt: skip
    refused = _refusal(forged, chunks[:kept])
    assert (refused.code, refused.index) == ("undecryptable", 0), "the chunk count is bound into every chunk"


def test_chunks_swapped_between_two_blobs_under_the_same_key_do_not_decrypt() -> None:
    key = os.urandom(32)
    first, first_chunks = _encrypt(DOCUMENT, key=key)
    _second, second_chunks = _encrypt(os.urandom(len(DOCUMENT)), key=key)
    mixed = [*first_chunks[:2], second_chunks[2], *first_chunks[3:]]
    assert _refusal(first, mixed).code == "digest_mismatch"
    refused = _refusal(first, mixed, check_digests=False)
    assert (refused.code, refused.index) == ("undecryptable", 2), "the blob id is bound into every chunk"


def test_a_missing_or_short_chunk_and_a_wrong_plaintext_digest_are_refused() -> None:
    manifest, chunks = _encrypt(DOCUMENT)
    assert _refusal(manifest, [*chunks[:-1], chunks[-1][:-1]]).code == "wrong_size"
    with pytest.raises(IndexError):
        blobs.verify_blob(manifest, chunks[:-1].__getitem__)  # the store's own "missing" is the caller's
    other = replace(manifest, sha256=hashlib.sha256(b"otro documento").hexdigest())
    refused = _refusal(other, chunks)
    assert (refused.code, refused.index) == ("content_mismatch", None)


def test_decryption_reads_one_chunk_at_a_time() -> None:
    manifest, chunks = _encrypt(DOCUMENT)
    read: list[int] = []

    def read_chunk(index: int) -> bytes:
        read.append(index)
        return chunks[index]

    stream = blobs.decrypt_blob(manifest, read_chunk)
    next(stream)
    assert read == [0]
    next(stream)
    assert read == [0, 1]


def test_the_source_must_be_exactly_the_declared_size() -> None:
    with pytest.raises(ValueError, match="early"):
        blobs.encrypt_blob(
            io.BytesIO(b"x" * 10), size=11, write_chunk=lambda i, c: None, name="a", media_type="text/plain"
        )
    with pytest.raises(ValueError, match="longer"):
        blobs.encrypt_blob(
            io.BytesIO(b"x" * 10), size=9, write_chunk=lambda i, c: None, name="a", media_type="text/plain"
        )


def test_every_blob_has_its_own_key_and_id_and_nonces_never_repeat() -> None:
    first, _ = _encrypt(b"hola")
    second, _ = _encrypt(b"hola")
    assert first.key != second.key
    assert first.blob != second.blob
    assert len({blobs.chunk_nonce(index) for index in range(blobs.MAX_CHUNKS)}) == blobs.MAX_CHUNKS


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "../../etc/passwd"),
        ("name", "informe\n.pdf"),
        ("name", ""),
        ("name", "x" * 256),
        ("media_type", "Application/PDF"),
        ("media_type", "application/pdf; charset=x"),
        ("blob", "not-a-uuid"),
        ("key", b"short"),
        ("size", -1),
        ("chunk_size", 512),
    ],
)
def test_a_manifest_with_an_invalid_field_is_malformed(field: str, value: object) -> None:
    manifest, _ = _encrypt(b"hola")
    wire = manifest.to_wire()
    wire[field] = blobs.b64encode(value) if isinstance(value, bytes) else value
    with pytest.raises(blobs.BlobRefused) as refused:
        blobs.Manifest.from_wire(wire)
    assert refused.value.code == "malformed"


def test_a_manifest_whose_chunk_list_disagrees_with_its_size_is_malformed() -> None:
    manifest, _ = _encrypt(DOCUMENT)
    wire = manifest.to_wire()
    wire["chunks"] = wire["chunks"][:-1]
    with pytest.raises(blobs.BlobRefused, match="make 6 chunks"):
        blobs.Manifest.from_wire(wire)
    assert "key" not in repr(manifest), "the key never shows in logs or tracebacks"


# --- the frame -------------------------------------------------------------------------------------


def test_the_frame_carries_the_manifests_before_the_payload() -> None:
    first, _ = _encrypt(b"uno")
    second, _ = _encrypt(b"dos")
    payload = json.dumps({"documentos": [first.sha256, second.sha256]}).encode()
    framed = blobs.unframe(blobs.frame(payload, [first, second]))
    assert framed == blobs.Framed(payload=payload, attachments=(first, second))
    assert blobs.unframe(b'{"plain":true}') == blobs.Framed(payload=b'{"plain":true}')
    assert blobs.frame(b"plain", []) == b"plain"


def test_a_plain_payload_may_not_look_like_a_frame_and_a_blob_is_attached_once() -> None:
    manifest, _ = _encrypt(b"uno")
    with pytest.raises(ValueError, match="prefix"):
        blobs.frame(blobs.FRAME_MAGIC + b"trick", [])
    with pytest.raises(ValueError, match="twice"):
        blobs.frame(b"{}", [manifest, manifest])


@pytest.mark.parametrize(
    "damage",
    ["cut in the length", "length beyond the end", "not JSON", "extra member", "no attachments", "same blob twice"],
)
def test_a_broken_frame_is_malformed(damage: str) -> None:
    manifest, _ = _encrypt(b"uno")
    good = manifest.to_wire()
    document: object = {"attachments": [good]}
    if damage == "extra member":
        document = {"attachments": [good], "more": 1}
    elif damage == "no attachments":
        document = {"attachments": []}
    elif damage == "same blob twice":
        document = {"attachments": [good, good]}
    raw = json.dumps(document).encode() if damage != "not JSON" else b"{nope"
    data = blobs.FRAME_MAGIC + len(raw).to_bytes(4, "big") + raw + b"{}"
    if damage == "cut in the length":
        data = blobs.FRAME_MAGIC + b"\x00\x01"
    elif damage == "length beyond the end":
        data = blobs.FRAME_MAGIC + (len(raw) + 10).to_bytes(4, "big") + raw
    with pytest.raises(blobs.BlobRefused) as refused:
        blobs.unframe(data)
    assert refused.value.code == "malformed"


@settings(max_examples=200, deadline=None)
@given(rest=st.binary(max_size=300))
def test_any_bytes_after_the_frame_prefix_are_read_or_refused_never_crash(rest: bytes) -> None:
    codes = []
    try:
        blobs.unframe(blobs.FRAME_MAGIC + rest)
    except blobs.BlobRefused as refused:
        codes.append(refused.code)
    assert codes in ([], ["malformed"])


# --- signed requests -------------------------------------------------------------------------------


def _chunk_request(**changes: object) -> blobs.ChunkRequest:
    fields: dict[str, object] = {
        "sender": "SV-FGR", "recipient": "GT-MP", "blob": "0b7e3c52-9a41-4d8e-b6f0-5c2d7a19e843", "index": 2,
        "count": 3, "size": 1040, "sha256": "a" * 64, "issued_at": 1767225600,
    }  # fmt: skip
    return blobs.ChunkRequest(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_chunk_request_is_verified_with_the_senders_key_and_only_as_its_kind() -> None:
    sv, hn = SigningKey.generate(), SigningKey.generate()
    request = _chunk_request()
    token = blobs.sign_chunk_request(request, sv)
    assert blobs.peek_request(token) == ("SV-FGR", sv.thumbprint())
    assert blobs.verify_chunk_request(token, sv.verify_key) == request
    with pytest.raises(EnvelopeRefused) as other_key:
        blobs.verify_chunk_request(token, hn.verify_key)
    assert other_key.value.code == "bad_signature"
    with pytest.raises(EnvelopeRefused) as as_status:
        blobs.verify_status_request(token, sv.verify_key)
    assert as_status.value.code == "malformed", "a chunk request is never taken for a status request"
    header, payload, signature = token.split(".")
    forged = ".".join([header, blobs.b64encode(b64decode(payload).replace(b'"index":2', b'"index":1')), signature])
    with pytest.raises(EnvelopeRefused) as tampered:
        blobs.verify_chunk_request(forged, sv.verify_key)
    assert tampered.value.code == "bad_signature"


@pytest.mark.parametrize(
    "changes", [{"index": 3}, {"count": 0}, {"size": 8}, {"sha256": "A" * 64}, {"recipient": "gt"}, {"blob": "x"}]
)
def test_an_invalid_chunk_request_is_not_signed(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="invalid chunk request"):
        blobs.sign_chunk_request(_chunk_request(**changes), SigningKey.generate())


def test_peeking_at_something_that_is_not_a_request_is_malformed() -> None:
    for token in ["", "a.b.c", "not a token"]:
        with pytest.raises(EnvelopeRefused) as refused:
            blobs.peek_request(token)
        assert refused.value.code == "malformed"


# --- the published vectors -------------------------------------------------------------------------


def _vectors() -> dict:  # type: ignore[type-arg]
    return json.loads((ROOT / "docs" / "attachment-vectors.json").read_text(encoding="utf-8"))


def test_the_vector_file_is_what_the_generator_writes() -> None:
    assert (ROOT / "docs" / "attachment-vectors.json").read_text(encoding="utf-8") == blob_vectors.render()


def test_the_vectors_decrypt_with_plain_aes_gcm_and_the_requests_verify() -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    vectors = _vectors()
    blob = vectors["blob"]
    key = b64decode(blob["key"])
    plaintext = b"".join(
        AESGCM(key).decrypt(bytes.fromhex(chunk["nonce"]), b64decode(chunk["ciphertext"]), chunk["aad"].encode())
        for chunk in blob["chunks"]
    )
    assert plaintext == b64decode(blob["plaintext"])
    assert hashlib.sha256(plaintext).hexdigest() == blob["plaintext_sha256"] == blob["manifest"]["sha256"]
    framed = blobs.unframe(b64decode(vectors["frame"]["framed"]))
    assert framed.payload.decode() == vectors["frame"]["payload"]
    assert framed.attachments[0].to_wire() == blob["manifest"]
    signer = VerifyKey.from_jwk(vectors["requests"]["signer_jwk"])
    chunk = blobs.verify_chunk_request(vectors["requests"]["chunk"]["token"], signer)
    assert chunk.to_wire() == vectors["requests"]["chunk"]["claims"]
    status = blobs.verify_status_request(vectors["requests"]["status"]["token"], signer)
    assert status.to_wire() == vectors["requests"]["status"]["claims"]


def test_every_negative_vector_gets_its_code() -> None:
    cases = _vectors()["negative"]
    assert {case["code"] for case in cases} == set(blobs.BLOB_REFUSAL_CODES) - {"malformed"}
    for case in cases:
        manifest = blobs.Manifest.from_wire(case["manifest"])
        chunks = [b64decode(chunk) for chunk in case["chunks"]]
        refused = _refusal(manifest, chunks, check_digests=case["check_digests"])
        assert (refused.code, refused.index) == (case["code"], case["index"]), case["description"]


# --- purity ----------------------------------------------------------------------------------------


def test_the_blob_core_imports_nothing_from_django() -> None:
    tree = ast.parse((ROOT / "vinculo" / "federation" / "blobs.py").read_text(encoding="utf-8"))
    for statement in ast.walk(tree):
        if isinstance(statement, ast.ImportFrom):
            module = statement.module or ""
            assert not module.startswith("django"), module
            if module.startswith("vinculo"):
                assert module in {
                    "vinculo.federation.jose", "vinculo.federation.jwk", "vinculo.federation.signed",
                    "vinculo.federation.wire",
                }, module  # fmt: skip
        elif isinstance(statement, ast.Import):
            assert not any(alias.name.startswith("django") for alias in statement.names)
    script = (
        "import io, sys\nfrom vinculo.federation import blobs\n"
        "c = {}\nm = blobs.encrypt_blob(io.BytesIO(b'ok'), size=2, write_chunk=c.__setitem__, name='a', "
        "media_type='text/plain')\nprint(b''.join(blobs.decrypt_blob(m, c.__getitem__)).decode(), "
        "sorted(n for n in sys.modules if n.split('.')[0] == 'django'))"
    )
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.split() == ["ok", "[]"], result.stderr
