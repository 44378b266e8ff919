"""Attachments as encrypted blobs, with no Django imports: plain data in and out.

A blob is a file cut into fixed-size chunks. Each chunk is encrypted with AES-256-GCM under a
key made for that blob alone; the nonce is the chunk's index and the additional data names the
blob, the index and the number of chunks, so a chunk decrypts only in its own place of its own
blob, and a blob cut short or put together from another blob's chunks does not decrypt. The
blob's *manifest* (its id, sizes, the SHA-256 of every encrypted chunk and of the plaintext, the
key, media type and file name) travels inside the signed and encrypted envelope of the message
it belongs to, framed before the message's own payload; the chunks travel on their own, each
upload authenticated by a small document the sender signs.

docs/protocol.md §16 is the specification, docs/attachment-vectors.json its test vectors.
Nothing here holds a whole blob in memory: encryption reads and writes one chunk at a time, and
decryption yields one chunk at a time.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vinculo.federation.jose import JoseFormatError, b64decode, b64encode, canonical_json, jws_parse, parse_json
from vinculo.federation.jwk import SigningKey, VerifyKey
from vinculo.federation.signed import sign_document, verify_document
from vinculo.federation.wire import (
    KEY_ID,
    MEMBER_ID,
    MESSAGE_ID,
    PROTOCOL_VERSION,
    SHA256_HEX,
    EnvelopeRefused,
    check_members,
    check_version,
    is_safe_int,
    matches,
)

MIB = 1024 * 1024
DEFAULT_CHUNK_SIZE = 4 * MIB
MIN_CHUNK_SIZE = 1024
MAX_CHUNK_SIZE = 16 * MIB
MAX_CHUNKS = 4096
MAX_ATTACHMENTS = 32
KEY_BYTES = 32
TAG_BYTES = 16
MAX_NAME_CHARS = 255
# Lower case, so that a media type has one spelling; no parameters.
MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
BLOB_ID = MESSAGE_ID  # a random UUID in lower-case canonical form

# A payload that begins with these bytes carries attachments (§16.3); no plain payload may.
FRAME_MAGIC = b"\x00vinculo-attachments.v1\n"
MAX_FRAME_JSON_BYTES = 512 * 1024
AAD_PREFIX = "vinculo-blob-chunk.v1"

CHUNK_REQUEST_KIND = "blob-chunk"
STATUS_REQUEST_KIND = "blob-status"
CHUNK_REQUEST_MEMBERS = frozenset({"v", "from", "to", "blob", "index", "count", "size", "sha256", "iat"})
STATUS_REQUEST_MEMBERS = frozenset({"v", "from", "to", "blob", "iat"})
MANIFEST_MEMBERS = frozenset({"blob", "size", "chunk_size", "chunks", "sha256", "key", "media_type", "name"})

# What a damaged or forged blob is refused with, in the order ``decrypt_blob`` meets them.
BLOB_REFUSAL_CODES = ("malformed", "wrong_size", "digest_mismatch", "undecryptable", "content_mismatch")


class Readable(Protocol):
    """Where plaintext comes from: a file, an upload, any stream with ``read``."""

    def read(self, size: int = -1, /) -> bytes: ...


class BlobRefused(EnvelopeRefused):
    """A manifest, frame or chunk is not accepted; ``index`` names the chunk when there is one."""

    def __init__(self, code: str, detail: str, *, index: int | None = None) -> None:
        super().__init__(code, detail)
        self.index = index


def chunk_count(size: int, chunk_size: int) -> int:
    """How many chunks a blob of ``size`` bytes has: at least one (an empty file is one empty chunk)."""
    return max(1, -(-size // chunk_size))


def _check_members(obj: Mapping[str, Any], expected: frozenset[str], where: str) -> None:
    try:
        check_members(obj, expected, where)
    except EnvelopeRefused as refused:
        raise BlobRefused(refused.code, refused.detail) from None


def _valid_name(name: Any) -> bool:
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_CHARS or name in {".", ".."}:
        return False
    # A file name hint for people, never a path: no separators, no control characters.
    return not any(char in "/\\" or unicodedata.category(char).startswith("C") for char in name)


@dataclass(frozen=True)
class Manifest:
    """What a recipient needs to fetch, check and decrypt one blob (it holds the key: keep it sealed)."""

    blob: str
    size: int
    chunk_size: int
    chunks: tuple[str, ...]  # lower-case hex SHA-256 of each encrypted chunk, in order
    sha256: str  # of the plaintext: the digest a message's payload refers to
    key: bytes
    media_type: str
    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "chunks", tuple(self.chunks))
        problem = self.problem()
        if problem:
            raise ValueError(f"invalid manifest: {problem}")

    def __repr__(self) -> str:  # never the key, not even in a traceback
        return f"Manifest(blob={self.blob!r}, size={self.size}, sha256={self.sha256!r}, chunks={len(self.chunks)})"

    def problem(self) -> str:
        """What is wrong with this manifest, or "" (docs/protocol.md §16.2)."""
        checks = (
            (matches(BLOB_ID, self.blob), "blob must be a UUID in lower-case canonical form"),
            (is_safe_int(self.size), "size must be a non-negative integer"),
            (
                is_safe_int(self.chunk_size) and MIN_CHUNK_SIZE <= self.chunk_size <= MAX_CHUNK_SIZE,
                f"chunk_size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE}",
            ),
            (all(matches(SHA256_HEX, digest) for digest in self.chunks), "chunks must be SHA-256 digests"),
            (matches(SHA256_HEX, self.sha256), "sha256 must be 64 lower-case hex digits"),
            (isinstance(self.key, bytes) and len(self.key) == KEY_BYTES, "key must be 32 bytes"),
            (matches(MEDIA_TYPE, self.media_type), "media_type must be a lower-case type/subtype"),
            (_valid_name(self.name), "name must be 1-255 characters, no control characters, no / or \\"),
        )
        problem = next((message for ok, message in checks if not ok), "")
        if problem:
            return problem
        expected = chunk_count(self.size, self.chunk_size)
        if len(self.chunks) != expected or expected > MAX_CHUNKS:
            return f"{self.size} bytes in chunks of {self.chunk_size} make {expected} chunks (at most {MAX_CHUNKS})"
        return ""

    @property
    def count(self) -> int:
        return len(self.chunks)

    def plaintext_length(self, index: int) -> int:
        """Bytes of plaintext in chunk ``index``: ``chunk_size`` for all but the last."""
        if not 0 <= index < self.count:
            raise IndexError(index)
        return self.chunk_size if index < self.count - 1 else self.size - self.chunk_size * (self.count - 1)

    def ciphertext_length(self, index: int) -> int:
        return self.plaintext_length(index) + TAG_BYTES

    def to_wire(self) -> dict[str, Any]:
        return {
            "blob": self.blob,
            "size": self.size,
            "chunk_size": self.chunk_size,
            "chunks": list(self.chunks),
            "sha256": self.sha256,
            "key": b64encode(self.key),
            "media_type": self.media_type,
            "name": self.name,
        }

    @classmethod
    def from_wire(cls, obj: Any) -> Manifest:
        """A manifest from its JSON object; ``BlobRefused("malformed")`` if it is not one."""
        if not isinstance(obj, dict):
            raise BlobRefused("malformed", "a manifest is a JSON object")
        _check_members(obj, MANIFEST_MEMBERS, "manifest")
        try:
            key = b64decode(obj["key"]) if isinstance(obj["key"], str) else b""
            if not isinstance(obj["chunks"], list):
                raise ValueError("chunks must be an array")
            return cls(
                blob=obj["blob"],
                size=obj["size"],
                chunk_size=obj["chunk_size"],
                chunks=tuple(obj["chunks"]),
                sha256=obj["sha256"],
                key=key,
                media_type=obj["media_type"],
                name=obj["name"],
            )
        except (ValueError, TypeError, JoseFormatError) as error:
            raise BlobRefused("malformed", str(error)) from None

    def digest(self) -> str:
        """SHA-256 of the manifest's canonical JSON: names this exact manifest (a verification is kept by it)."""
        return hashlib.sha256(canonical_json(self.to_wire())).hexdigest()


# --- chunks --------------------------------------------------------------------------------------


def chunk_nonce(index: int) -> bytes:
    """The AES-GCM nonce of chunk ``index``: four zero bytes, then the index as a 64-bit big-endian number."""
    return struct.pack(">IQ", 0, index)


def chunk_aad(blob: str, index: int, count: int) -> bytes:
    """The additional authenticated data of chunk ``index``: ``vinculo-blob-chunk.v1:<blob>:<index>:<count>``."""
    return f"{AAD_PREFIX}:{blob}:{index}:{count}".encode("ascii")


def encrypt_chunk(key: bytes, *, blob: str, index: int, count: int, plaintext: bytes) -> bytes:
    return AESGCM(key).encrypt(chunk_nonce(index), plaintext, chunk_aad(blob, index, count))


def decrypt_chunk(key: bytes, *, blob: str, index: int, count: int, ciphertext: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(chunk_nonce(index), ciphertext, chunk_aad(blob, index, count))
    except InvalidTag:
        raise BlobRefused(
            "undecryptable", f"chunk {index} does not decrypt in its place: altered, moved or from another blob",
            index=index,
        ) from None  # fmt: skip


def _read_exactly(source: Readable, length: int) -> bytes:
    pieces, got = [], 0
    while got < length:
        piece = source.read(length - got)
        if not piece:
            raise ValueError(f"the source ended {length - got} bytes early")
        pieces.append(piece)
        got += len(piece)
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def encrypt_blob(
    source: Readable,
    *,
    size: int,
    write_chunk: Callable[[int, bytes], None],
    name: str,
    media_type: str,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    blob: str | None = None,
    key: bytes | None = None,
) -> Manifest:
    """Encrypt ``size`` bytes read from ``source`` chunk by chunk, handing each to ``write_chunk(index, ciphertext)``.

    Holds one chunk of plaintext and one of ciphertext at a time. ``blob`` and ``key`` are fresh
    and random unless given (test vectors only: a key must never encrypt two blobs).
    ``ValueError`` when the source is shorter or longer than ``size``.
    """
    if not is_safe_int(size) or not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError("size must be a non-negative integer and chunk_size within the protocol's bounds")
    count = chunk_count(size, chunk_size)
    if count > MAX_CHUNKS:
        raise ValueError(f"{size} bytes in chunks of {chunk_size} is more than {MAX_CHUNKS} chunks")
    blob = blob if blob is not None else str(uuid.uuid4())
    key = key if key is not None else os.urandom(KEY_BYTES)
    aead = AESGCM(key)
    content = hashlib.sha256()
    digests = []
    for index in range(count):
        plaintext = _read_exactly(source, chunk_size if index < count - 1 else size - chunk_size * (count - 1))
        content.update(plaintext)
        ciphertext = aead.encrypt(chunk_nonce(index), plaintext, chunk_aad(blob, index, count))
        digests.append(hashlib.sha256(ciphertext).hexdigest())
        write_chunk(index, ciphertext)
    if source.read(1):
        raise ValueError(f"the source is longer than {size} bytes")
    return Manifest(
        blob=blob,
        size=size,
        chunk_size=chunk_size,
        chunks=tuple(digests),
        sha256=content.hexdigest(),
        key=key,
        media_type=media_type,
        name=name,
    )


def decrypt_blob(
    manifest: Manifest, read_chunk: Callable[[int], bytes], *, check_digests: bool = True
) -> Iterator[bytes]:
    """The blob's plaintext, chunk by chunk, each checked before it is yielded; ``BlobRefused`` otherwise.

    Every chunk is checked for its length, its SHA-256 against the manifest (unless the caller
    checked the stored chunks already: ``check_digests=False``) and its AES-GCM tag in its place.
    After the last chunk, the plaintext's SHA-256 and size are checked against the manifest: a
    consumer that must not act on content before that should read to the end first.
    """
    aead = AESGCM(manifest.key)
    content = hashlib.sha256()
    for index in range(manifest.count):
        ciphertext = read_chunk(index)
        if len(ciphertext) != manifest.ciphertext_length(index):
            raise BlobRefused(
                "wrong_size", f"chunk {index} is {len(ciphertext)} bytes, {manifest.ciphertext_length(index)} expected",
                index=index,
            )  # fmt: skip
        if check_digests and hashlib.sha256(ciphertext).hexdigest() != manifest.chunks[index]:
            raise BlobRefused("digest_mismatch", f"chunk {index} is not the one the manifest names", index=index)
        try:
            plaintext = aead.decrypt(chunk_nonce(index), ciphertext, chunk_aad(manifest.blob, index, manifest.count))
        except InvalidTag:
            raise BlobRefused(
                "undecryptable", f"chunk {index} does not decrypt in its place: altered, moved or from another blob",
                index=index,
            ) from None  # fmt: skip
        content.update(plaintext)
        yield plaintext
    if content.hexdigest() != manifest.sha256:
        raise BlobRefused("content_mismatch", "the decrypted content's SHA-256 differs from the manifest's")


def verify_blob(manifest: Manifest, read_chunk: Callable[[int], bytes], *, check_digests: bool = True) -> None:
    """Decrypt the whole blob and throw the plaintext away: ``BlobRefused`` unless every check passes."""
    for _plaintext in decrypt_blob(manifest, read_chunk, check_digests=check_digests):
        pass


# --- the frame: manifests before the message's payload ------------------------------------------


@dataclass(frozen=True)
class Framed:
    """A message's own payload and the manifests of its attachments (none for a plain payload)."""

    payload: bytes
    attachments: tuple[Manifest, ...] = ()


def frame(payload: bytes, manifests: Sequence[Manifest]) -> bytes:
    """The payload to seal: with manifests, ``FRAME_MAGIC || uint32be(n) || JSON (n bytes) || payload``.

    Without manifests the payload is returned as it is; ``ValueError`` if it begins like a frame
    (such a payload would be misread), if there are too many attachments or a blob appears twice.
    """
    if not manifests:
        if payload.startswith(FRAME_MAGIC):
            raise ValueError("a plain payload cannot begin with the attachment frame's prefix")
        return payload
    if len(manifests) > MAX_ATTACHMENTS:
        raise ValueError(f"at most {MAX_ATTACHMENTS} attachments per message")
    if len({manifest.blob for manifest in manifests}) != len(manifests):
        raise ValueError("the same blob is attached twice")
    document = canonical_json({"attachments": [manifest.to_wire() for manifest in manifests]})
    if len(document) > MAX_FRAME_JSON_BYTES:
        raise ValueError("the attachments' manifests are too large for one message")
    return FRAME_MAGIC + struct.pack(">I", len(document)) + document + payload


def unframe(data: bytes) -> Framed:
    """The payload and manifests of a sealed payload; ``BlobRefused("malformed")`` for a broken frame."""
    if not data.startswith(FRAME_MAGIC):
        return Framed(payload=data)
    start = len(FRAME_MAGIC) + 4
    if len(data) < start:
        raise BlobRefused("malformed", "attachment frame: cut short")
    (length,) = struct.unpack(">I", data[len(FRAME_MAGIC) : start])
    if length > MAX_FRAME_JSON_BYTES or len(data) < start + length:
        raise BlobRefused("malformed", "attachment frame: the manifests' length is not valid")
    try:
        document = parse_json(data[start : start + length])
    except JoseFormatError as error:
        raise BlobRefused("malformed", f"attachment frame: {error}") from None
    if not isinstance(document, dict):
        raise BlobRefused("malformed", "attachment frame: not a JSON object")
    _check_members(document, frozenset({"attachments"}), "attachment frame")
    entries = document["attachments"]
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_ATTACHMENTS:
        raise BlobRefused("malformed", f"attachment frame: 1 to {MAX_ATTACHMENTS} manifests")
    manifests = tuple(Manifest.from_wire(entry) for entry in entries)
    if len({manifest.blob for manifest in manifests}) != len(manifests):
        raise BlobRefused("malformed", "attachment frame: the same blob is attached twice")
    return Framed(payload=data[start + length :], attachments=manifests)


# --- signed requests: uploading a chunk, asking which chunks arrived ------------------------------


@dataclass(frozen=True)
class ChunkRequest:
    """The sender's signed statement that it uploads this chunk of this blob to ``recipient``."""

    sender: str
    recipient: str
    blob: str
    index: int
    count: int
    size: int  # bytes of ciphertext in the request's body
    sha256: str  # of those bytes
    issued_at: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "v": PROTOCOL_VERSION,
            "from": self.sender,
            "to": self.recipient,
            "blob": self.blob,
            "index": self.index,
            "count": self.count,
            "size": self.size,
            "sha256": self.sha256,
            "iat": self.issued_at,
        }


@dataclass(frozen=True)
class StatusRequest:
    """The sender's signed question: which chunks of this blob does ``recipient`` hold?"""

    sender: str
    recipient: str
    blob: str
    issued_at: int

    def to_wire(self) -> dict[str, Any]:
        return {
            "v": PROTOCOL_VERSION,
            "from": self.sender,
            "to": self.recipient,
            "blob": self.blob,
            "iat": self.issued_at,
        }


def _request_problem(claims: Mapping[str, Any]) -> str:
    checks = [
        (matches(MEMBER_ID, claims["from"]), "from must be a member id"),
        (matches(MEMBER_ID, claims["to"]), "to must be a member id"),
        (matches(BLOB_ID, claims["blob"]), "blob must be a blob id"),
        (is_safe_int(claims["iat"]), "iat must be Unix seconds"),
    ]
    if "index" in claims:
        checks += [
            (is_safe_int(claims["count"]) and 1 <= claims["count"] <= MAX_CHUNKS, "count must be 1 to 4096"),
            (is_safe_int(claims["index"]) and claims["index"] < claims["count"], "index must be below count"),
            (
                is_safe_int(claims["size"]) and TAG_BYTES <= claims["size"] <= MAX_CHUNK_SIZE + TAG_BYTES,
                "size must be that of an encrypted chunk",
            ),
            (matches(SHA256_HEX, claims["sha256"]), "sha256 must be 64 lower-case hex digits"),
        ]
    return next((message for ok, message in checks if not ok), "")


def sign_chunk_request(request: ChunkRequest, signing_key: SigningKey) -> str:
    problem = _request_problem(request.to_wire())
    if problem:
        raise ValueError(f"invalid chunk request: {problem}")
    return sign_document(request.to_wire(), signing_key, kind=CHUNK_REQUEST_KIND)


def sign_status_request(request: StatusRequest, signing_key: SigningKey) -> str:
    problem = _request_problem(request.to_wire())
    if problem:
        raise ValueError(f"invalid status request: {problem}")
    return sign_document(request.to_wire(), signing_key, kind=STATUS_REQUEST_KIND)


def peek_request(token: str) -> tuple[str, str]:
    """The claimed sender and the ``kid`` of a signed request, unverified: to look the sender's key up.

    ``EnvelopeRefused("malformed")`` when it is not a compact JWS with a JSON object naming a member.
    """
    try:
        jws = jws_parse(token)
        claims = parse_json(jws.payload)
    except JoseFormatError as error:
        raise EnvelopeRefused("malformed", f"not a signed request: {error}") from None
    kid = jws.header.get("kid")
    sender = claims.get("from") if isinstance(claims, dict) else None
    if not matches(KEY_ID, kid) or not matches(MEMBER_ID, sender):
        raise EnvelopeRefused("malformed", "a signed request names its signer's key and member id")
    return str(sender), str(kid)


def _verify_request(token: str, verify_key: VerifyKey, kind: str, members: frozenset[str]) -> dict[str, Any]:
    claims = verify_document(token, verify_key, kind=kind)
    check_version(claims, kind)
    check_members(claims, members, kind)
    problem = _request_problem(claims)
    if problem:
        raise EnvelopeRefused("malformed", f"{kind}: {problem}")
    return claims


def verify_chunk_request(token: str, verify_key: VerifyKey) -> ChunkRequest:
    """The request, if ``verify_key`` signed it; ``EnvelopeRefused`` (malformed, unsupported_version, bad_signature)."""
    claims = _verify_request(token, verify_key, CHUNK_REQUEST_KIND, CHUNK_REQUEST_MEMBERS)
    return ChunkRequest(
        sender=claims["from"],
        recipient=claims["to"],
        blob=claims["blob"],
        index=claims["index"],
        count=claims["count"],
        size=claims["size"],
        sha256=claims["sha256"],
        issued_at=claims["iat"],
    )


def verify_status_request(token: str, verify_key: VerifyKey) -> StatusRequest:
    """The request, if ``verify_key`` signed it; ``EnvelopeRefused`` (malformed, unsupported_version, bad_signature)."""
    claims = _verify_request(token, verify_key, STATUS_REQUEST_KIND, STATUS_REQUEST_MEMBERS)
    return StatusRequest(sender=claims["from"], recipient=claims["to"], blob=claims["blob"], issued_at=claims["iat"])
