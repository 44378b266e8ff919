"""Builds docs/attachment-vectors.json, the test vectors of attachments (docs/protocol.md §16).

    .venv/bin/python -m vinculo.federation.tests.blob_vectors            # print
    .venv/bin/python -m vinculo.federation.tests.blob_vectors --write    # rewrite docs/attachment-vectors.json

The blob's key, id and content are fixed, and the requests are signed with SV-FGR's published
test key from docs/protocol-vectors.json, so the output is the same on every run. The negative
vectors present damaged chunks or a forged manifest the way a broken disk, a careless
implementation or an attacker would, each with the refusal code it must produce.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
from pathlib import Path
from typing import Any

from vinculo.federation import blobs
from vinculo.federation.jose import b64encode, canonical_json
from vinculo.federation.tests.vectors import NOW, RECIPIENT, SENDER, WARNING, signing_key

PATH = Path(__file__).resolve().parents[3] / "docs" / "attachment-vectors.json"
KEY = hashlib.sha256(b"vinculo attachment test vector: content key").digest()
BLOB = "0b7e3c52-9a41-4d8e-b6f0-5c2d7a19e843"
CHUNK_SIZE = 1024
SIZE = 2600  # three chunks: 1024, 1024 and 552 bytes of plaintext
NAME = "acta_señalamiento.pdf"
MEDIA_TYPE = "application/pdf"


def plaintext() -> bytes:
    """SIZE bytes: SHA-256 of a counter, block after block (anyone can regenerate them)."""
    blocks = (hashlib.sha256(f"vinculo attachment test vector: block {n}".encode()).digest() for n in range(82))
    return b"".join(blocks)[:SIZE]


def _case(
    description: str,
    manifest: blobs.Manifest,
    chunks: list[bytes],
    *,
    check_digests: bool,
    code: str,
    index: int | None,
) -> dict[str, Any]:
    return {
        "description": description,
        "manifest": manifest.to_wire(),
        "chunks": [b64encode(chunk) for chunk in chunks],
        "check_digests": check_digests,
        "code": code,
        "index": index,
    }


def _negative(manifest: blobs.Manifest, chunks: list[bytes]) -> list[dict[str, Any]]:
    flipped = bytearray(chunks[1])
    flipped[100] ^= 0x01
    damaged = [chunks[0], bytes(flipped), chunks[2]]
    swapped = [chunks[1], chunks[0], chunks[2]]
    # A manifest that claims the blob ends after two chunks (an attacker who knew the key and wanted
    # to cut the document short): the additional data bound the count, so chunk 0 no longer decrypts.
    truncated = blobs.Manifest(
        blob=manifest.blob, size=2 * CHUNK_SIZE, chunk_size=CHUNK_SIZE, chunks=manifest.chunks[:2],
        sha256=hashlib.sha256(plaintext()[: 2 * CHUNK_SIZE]).hexdigest(), key=KEY, media_type=MEDIA_TYPE, name=NAME,
    )  # fmt: skip
    # The same chunks under another blob's id (as if copied from one upload into another).
    other_blob = blobs.Manifest(**{**_fields(manifest), "blob": "6f1d2c3b-4a59-4e8f-9d0c-1b2a3c4d5e6f"})
    wrong_digest = blobs.Manifest(**{**_fields(manifest), "sha256": hashlib.sha256(b"another document").hexdigest()})
    cases = (
        # description, manifest, chunks presented, check_digests, code, index
        ("one bit of chunk 1 flipped", manifest, damaged, True, "digest_mismatch", 1),
        ("one bit of chunk 1 flipped, digests not checked", manifest, damaged, False, "undecryptable", 1),
        ("chunks 0 and 1 swapped", manifest, swapped, True, "digest_mismatch", 0),
        ("chunks 0 and 1 swapped, digests not checked", manifest, swapped, False, "undecryptable", 0),
        ("a manifest cutting the blob after two chunks", truncated, chunks[:2], True, "undecryptable", 0),
        ("the chunks presented as another blob's", other_blob, chunks, True, "undecryptable", 0),
        ("chunk 2 one byte short", manifest, [*chunks[:2], chunks[2][:-1]], True, "wrong_size", 2),
        ("a manifest naming another plaintext digest", wrong_digest, chunks, True, "content_mismatch", None),
    )
    return [
        _case(description, forged, presented, check_digests=check, code=code, index=index)
        for description, forged, presented, check, code, index in cases
    ]


def _fields(manifest: blobs.Manifest) -> dict[str, Any]:
    return {name: getattr(manifest, name) for name in blobs.Manifest.__dataclass_fields__}


def build() -> dict[str, Any]:
    chunks: list[bytes] = []
    manifest = blobs.encrypt_blob(
        io.BytesIO(plaintext()), size=SIZE, write_chunk=lambda _index, data: chunks.append(data),
        name=NAME, media_type=MEDIA_TYPE, chunk_size=CHUNK_SIZE, blob=BLOB, key=KEY,
    )  # fmt: skip
    payload = json.dumps({"documentos": [{"sha256": manifest.sha256}]}, separators=(",", ":")).encode()
    framed = blobs.frame(payload, [manifest])
    sv = signing_key(SENDER)
    chunk_request = blobs.ChunkRequest(
        sender=SENDER, recipient=RECIPIENT, blob=BLOB, index=1, count=manifest.count, size=len(chunks[1]),
        sha256=manifest.chunks[1], issued_at=NOW,
    )  # fmt: skip
    status_request = blobs.StatusRequest(sender=SENDER, recipient=RECIPIENT, blob=BLOB, issued_at=NOW)
    return {
        "description": "Vínculo attachments (docs/protocol.md §16): one blob, its frame and its signed requests.",
        "warning": WARNING,
        "blob": {
            "key": b64encode(KEY),
            "blob": BLOB,
            "chunk_size": CHUNK_SIZE,
            "plaintext": b64encode(plaintext()),
            "plaintext_sha256": manifest.sha256,
            "chunks": [
                {
                    "index": index,
                    "nonce": blobs.chunk_nonce(index).hex(),
                    "aad": blobs.chunk_aad(BLOB, index, manifest.count).decode("ascii"),
                    "ciphertext": b64encode(chunk),
                    "sha256": manifest.chunks[index],
                }
                for index, chunk in enumerate(chunks)
            ],
            "manifest": manifest.to_wire(),
            "manifest_json": canonical_json(manifest.to_wire()).decode("utf-8"),
        },
        "frame": {"payload": payload.decode("utf-8"), "framed": b64encode(framed)},
        "requests": {
            "signer": SENDER,
            "signer_jwk": sv.public_jwk(),
            "chunk": {"claims": chunk_request.to_wire(), "token": blobs.sign_chunk_request(chunk_request, sv)},
            "status": {"claims": status_request.to_wire(), "token": blobs.sign_status_request(status_request, sv)},
        },
        "negative": _negative(manifest, chunks),
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"write {PATH.name} instead of printing")
    arguments = parser.parse_args()
    if arguments.write:
        PATH.write_text(render(), encoding="utf-8")
    else:
        print(render(), end="")


if __name__ == "__main__":
    main()
