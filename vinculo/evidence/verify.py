"""Verify an evidence log offline: an exported file on its own, with no Django and no database.

    python -m vinculo.evidence.verify FILE [--directory DIRECTORY_TOKEN_FILE --hub-key THUMBPRINT]

Exit status 0 when the log is intact, 1 naming the first bad entry (its number, its line, and
what is wrong: edited, missing, reordered, duplicated, unlinked, a bad head signature, a head
that does not match the chain), 2 when the file cannot be read as an export at all.

An export (format version 1) is UTF-8 JSON, one object a line:

1. the header: ``{"format": "vinculo-evidence-export", "version": 1, "node": "SV-FGR",
   "exported_at": "...", "entries": N, "signing_keys": [public JWK, ...]}``;
2. entries #1 to #N in order, each the hashed document of ``chain.document`` plus ``"hash"``;
3. the trailer: ``{"signed_head": "<compact JWS>"}`` (the latest head the node signed; null if none).

Checks, in order: each entry's number follows the one before; its hash is the SHA-256 of its
canonical JSON without ``hash``; its ``prev`` is the hash of the entry before; each ``head_signed``
entry holds a head signed with the key the entry names, for this node, naming the entry just
before it with that entry's hash; the trailer repeats the latest of those heads, signed with one
of the header's keys. With ``--directory`` and ``--hub-key``: the directory is signed by the hub
key with that thumbprint, and it lists the key of the latest head as this node's.

What it cannot see: someone who holds the node's signing key can rewrite the whole log and sign
it again. The heads this node sent its peers, kept in their logs, are what shows that.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from vinculo.evidence.chain import (
    GENESIS_HASH,
    HEAD_DOCUMENT_KIND,
    HEAD_SIGNED,
    KIND_SHAPE,
    SCHEME,
    TIMESTAMP,
    Head,
    InvalidEntry,
    hash_document,
    read_head,
)
from vinculo.federation.directory_trust import DirectoryRefused, verify_directory
from vinculo.federation.jose import JoseFormatError, parse_json
from vinculo.federation.jwk import InvalidKey, VerifyKey
from vinculo.federation.signed import verify_document
from vinculo.federation.wire import MEMBER_ID, MESSAGE_ID, SHA256_HEX, EnvelopeRefused, is_safe_int, matches

FORMAT = "vinculo-evidence-export"
FORMAT_VERSION = 1
HEADER_MEMBERS = frozenset({"format", "version", "node", "exported_at", "entries", "signing_keys"})
ENTRY_MEMBERS = frozenset({"scheme", "seq", "at", "kind", "message_id", "peer", "sha256", "facts", "prev", "hash"})
TRAILER_MEMBERS = frozenset({"signed_head"})

EXIT_INTACT, EXIT_BROKEN, EXIT_UNREADABLE = 0, 1, 2

# Stable names of what can be wrong, for a user interface to say in the reader's language.
CODES = (
    "malformed",  # an entry or line is not what the format says
    "missing",  # an entry number is absent: deleted
    "reordered",  # an entry stands where another should: moved
    "duplicate",  # an entry number comes a second time: inserted or copied
    "edited",  # the entry's hash does not match its content
    "unlinked",  # the entry does not name the hash of the one before
    "bad_head_signature",  # a signed head's signature does not verify
    "head_mismatch",  # a signed head names another hash than the chain holds
    "unknown_key",  # the latest head is signed with a key the header (or node) does not list
    "truncated",  # entries counted by the header or the head row are absent from the end
    "beyond_head",  # entries past the head row (written around the service)
    "trailer",  # the signed-head line is absent or does not repeat the latest head
    "directory",  # the directory check failed
    # Only in the database: the head row, and the audit trail the checkpoints count.
    "head_row",  # the last entry is not the one the head row names
    "audit_mismatch",  # an audit checkpoint no longer matches the audit trail
)


class Unreadable(Exception):
    """The file is not an evidence export at all (exit status 2)."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of a walk. ``reason`` is English, for logs and the console."""

    is_intact: bool
    checked: int = 0
    last_hash: str = GENESIS_HASH
    first_bad_seq: int | None = None
    line: int | None = None
    code: str = ""
    reason: str = ""
    signed_seq: int | None = None  # the latest signed head covers the entries up to this one
    signed_at: int | None = None
    signing_key: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class SignedHead:
    head: Head
    token: str
    key: VerifyKey
    entry_seq: int  # the head_signed entry that holds it


def _shape_problem(document: Mapping[str, Any]) -> str | None:
    if set(document) != ENTRY_MEMBERS:
        missing = ", ".join(sorted(ENTRY_MEMBERS - set(document))) or "none"
        unexpected = ", ".join(sorted(set(document) - ENTRY_MEMBERS)) or "none"
        return f"members missing: {missing}; unexpected: {unexpected}"
    if document["scheme"] != SCHEME:
        return f"scheme {document['scheme']!r} is not {SCHEME!r}"
    checks = (
        (is_safe_int(document["seq"]) and document["seq"] >= 1, "seq"),
        (matches(TIMESTAMP, document["at"]), "at"),
        (matches(KIND_SHAPE, document["kind"]), "kind"),
        (document["message_id"] is None or matches(MESSAGE_ID, document["message_id"]), "message_id"),
        (document["peer"] is None or matches(MEMBER_ID, document["peer"]), "peer"),
        (document["sha256"] is None or matches(SHA256_HEX, document["sha256"]), "sha256"),
        (isinstance(document["facts"], dict), "facts"),
        (matches(SHA256_HEX, document["prev"]), "prev"),
        (matches(SHA256_HEX, document["hash"]), "hash"),
    )
    wrong = [name for is_right, name in checks if not is_right]
    return f"not well formed: {', '.join(wrong)}" if wrong else None


class ChainWalk:
    """Check entries one at a time, in the order stored or written, from entry #1.

    ``locate(seq)`` says where a later copy of entry ``seq`` stands (a line number), or None:
    it tells an entry moved further down from one deleted. ``node`` is whose heads these are.
    """

    def __init__(self, *, node: str, locate: Callable[[int], int | None] | None = None) -> None:
        self.node = node
        self.locate = locate
        self.expected = 1
        self.previous = GENESIS_HASH
        self.checked = 0
        self.latest: SignedHead | None = None

    def broken(self, seq: int | None, code: str, reason: str, line: int | None = None) -> Verdict:
        where = f" (line {line})" if line is not None else ""
        label = f"entry #{seq}{where}" if seq is not None else f"line {line}"
        return Verdict(False, self.checked, self.previous, seq, line, code, f"{label}: {reason}")

    def step(self, document: Mapping[str, Any], *, line: int | None = None) -> Verdict | None:
        """Check the next entry; a broken verdict names what is wrong, None means it checks out."""
        problem = _shape_problem(document)
        seq = document.get("seq") if is_safe_int(document.get("seq")) else None
        if problem is not None:
            return self.broken(seq if seq is not None else self.expected, "malformed", problem, line)
        if seq != self.expected:
            return self._out_of_place(document["seq"], line)
        hashed = {name: value for name, value in document.items() if name != "hash"}
        try:
            recomputed = hash_document(hashed)
        except ValueError as error:  # a float or an oversized integer edited into the facts
            return self.broken(seq, "edited", f"its content is not canonical JSON ({error})", line)
        if recomputed != document["hash"]:
            return self.broken(seq, "edited", "edited after it was written: its hash does not match its content", line)
        if document["prev"] != self.previous:
            reason = (
                f"does not link to entry #{seq - 1}: one of the two was rewritten with a recomputed hash, "
                "or an entry was put between them"
            )
            return self.broken(seq, "unlinked", reason, line)
        if document["kind"] == HEAD_SIGNED:
            verdict = self._check_signed_head(document, line)
            if verdict is not None:
                return verdict
        self.previous = document["hash"]
        self.expected += 1
        self.checked += 1
        return None

    def _out_of_place(self, seq: int, line: int | None) -> Verdict:
        expected = self.expected
        if seq < expected:
            return self.broken(seq, "duplicate", f"comes again after entry #{expected - 1}: inserted or copied", line)
        here = f"line {line}" if line is not None else "its place"
        later = self.locate(expected) if self.locate is not None else None
        if later is not None:
            reason = f"is out of order: {here}, where it belongs, holds entry #{seq}; it was moved"
            return self.broken(expected, "reordered", reason, later)
        return self.broken(expected, "missing", f"is missing: {here}, where it belongs, holds entry #{seq}; deleted")

    def _check_signed_head(self, document: Mapping[str, Any], line: int | None) -> Verdict | None:
        seq, facts = document["seq"], document["facts"]
        token, jwk = facts.get("token"), facts.get("jwk")
        if not isinstance(token, str) or not isinstance(jwk, dict):
            return self.broken(seq, "malformed", "a head_signed entry holds the head's token and the key's JWK", line)
        try:
            key = VerifyKey.from_jwk(jwk)
            head = read_head(verify_document(token, key, kind=HEAD_DOCUMENT_KIND))
        except InvalidKey as error:
            return self.broken(seq, "malformed", f"the signed head's key is not a public signing key ({error})", line)
        except EnvelopeRefused as error:
            return self.broken(seq, "bad_head_signature", f"the signed head does not verify ({error.detail})", line)
        except InvalidEntry as error:
            return self.broken(seq, "malformed", f"the signed head is not a head ({error})", line)
        if head.node != self.node:
            return self.broken(seq, "head_mismatch", f"the signed head is {head.node}'s, not {self.node}'s", line)
        if head.seq != seq - 1 or head.entry_hash != self.previous:
            reason = (
                f"the head signed here names entry #{head.seq} with hash {head.entry_hash[:16]}…, "
                f"but the chain has {self.previous[:16]}… at #{seq - 1}: the entries before it were rewritten"
            )
            return self.broken(seq, "head_mismatch", reason, line)
        self.latest = SignedHead(head=head, token=token, key=key, entry_seq=seq)
        return None

    def intact(self, *, notes: Iterable[str] = ()) -> Verdict:
        latest = self.latest
        last_seq = self.expected - 1
        found = list(notes)
        if latest is None:
            found.append("no signed head: the log shows it is consistent, not that this node wrote it")
        elif latest.entry_seq < last_seq:  # the entry holding the head comes after what it signs
            found.append(
                f"entries #{latest.entry_seq + 1} to #{last_seq} come after the latest signed head: "
                "only the chain vouches for them"
            )
        return Verdict(
            True,
            self.checked,
            self.previous,
            signed_seq=latest.head.seq if latest else None,
            signed_at=latest.head.signed_at if latest else None,
            signing_key=latest.key.thumbprint() if latest else None,
            notes=tuple(found),
        )

    def check_latest_key(self, trusted: Iterable[str], *, whose: str) -> Verdict | None:
        """The latest head must be signed with one of ``trusted`` (thumbprints): the node's own keys."""
        latest = self.latest
        if latest is None or latest.key.thumbprint() in set(trusted):
            return None
        reason = f"the latest signed head is signed with key {latest.key.thumbprint()}, which {whose} does not list"
        return self.broken(latest.entry_seq, "unknown_key", reason)


# --- the export file --------------------------------------------------------------------------


def _read_line(raw: bytes, number: int) -> dict[str, Any]:
    try:
        obj = parse_json(raw.rstrip(b"\r\n"))
    except JoseFormatError as error:
        raise _LineError(number, f"not JSON ({error})") from None
    if not isinstance(obj, dict):
        raise _LineError(number, "not a JSON object")
    return obj


class _LineError(Exception):
    def __init__(self, number: int, reason: str) -> None:
        super().__init__(reason)
        self.number = number
        self.reason = reason


@dataclass(frozen=True)
class ExportHeader:
    node: str
    entries: int
    exported_at: str
    signing_keys: tuple[VerifyKey, ...]


def read_header(obj: Mapping[str, Any]) -> ExportHeader:
    """The export's first line; ``Unreadable`` when it is not this format's header."""
    if obj.get("format") != FORMAT:
        raise Unreadable(f"the first line is not a {FORMAT} header")
    if obj.get("version") != FORMAT_VERSION:
        raise Unreadable(f"export format version {obj.get('version')!r}; this verifier reads {FORMAT_VERSION}")
    if set(obj) != HEADER_MEMBERS:
        raise Unreadable(f"the header has exactly the members {', '.join(sorted(HEADER_MEMBERS))}")
    if (
        not matches(MEMBER_ID, obj["node"])
        or not is_safe_int(obj["entries"])
        or not isinstance(obj["exported_at"], str)
    ):
        raise Unreadable("the header's node, entries or exported_at is not well formed")
    if not isinstance(obj["signing_keys"], list):
        raise Unreadable("the header's signing_keys is not a list of JWKs")
    try:
        keys = tuple(VerifyKey.from_jwk(jwk) for jwk in obj["signing_keys"])
    except InvalidKey as error:
        raise Unreadable(f"a header signing key is not a public Ed25519 JWK ({error})") from None
    return ExportHeader(obj["node"], obj["entries"], obj["exported_at"], keys)


def _seq_line(path: str, seq: int, *, after: int) -> int | None:
    """The line number of entry ``seq`` further down the file (a second pass, only after a break)."""
    with open(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            if number <= after:
                continue
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if isinstance(obj, dict) and "scheme" in obj and obj.get("seq") == seq:
                return number
    return None


def _lines(path: str) -> Iterator[tuple[int, bytes]]:
    with open(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            if raw.strip():
                yield number, raw


def verify_file(path: str, *, directory: str | None = None, hub_key: str | None = None) -> Verdict:
    """Verify an export; ``directory`` (the token's text) and ``hub_key`` check the node's key too.

    Raises ``Unreadable`` (or ``OSError``) when the file is not an export at all.
    """
    lines = _lines(path)
    first = next(lines, None)
    if first is None:
        raise Unreadable("the file is empty")
    try:
        header = read_header(_read_line(first[1], first[0]))
    except _LineError as error:
        raise Unreadable(f"line {error.number}: {error.reason}") from None
    current = [first[0]]
    walk = ChainWalk(node=header.node, locate=lambda seq: _seq_line(path, seq, after=current[0]))
    trailer: tuple[int, Mapping[str, Any]] | None = None
    for number, raw in lines:
        current[0] = number
        try:
            obj = _read_line(raw, number)
        except _LineError as error:
            return walk.broken(None, "malformed", error.reason, number)
        if trailer is not None:
            return walk.broken(None, "trailer", "a line follows the signed-head line", number)
        if set(obj) == TRAILER_MEMBERS:
            trailer = (number, obj)
            continue
        verdict = walk.step(obj, line=number)
        if verdict is not None:
            return verdict
    return _finish_file(walk, header, trailer, directory=directory, hub_key=hub_key)


def _finish_file(
    walk: ChainWalk,
    header: ExportHeader,
    trailer: tuple[int, Mapping[str, Any]] | None,
    *,
    directory: str | None,
    hub_key: str | None,
) -> Verdict:
    last_seq = walk.expected - 1
    if last_seq < header.entries:
        reason = f"is missing: the header counts {header.entries} entries, the file ends after #{last_seq}"
        return walk.broken(last_seq + 1, "truncated", reason)
    if last_seq > header.entries:
        reason = f"is beyond the {header.entries} entries the header counts: added after the export"
        return walk.broken(header.entries + 1, "beyond_head", reason)
    if trailer is None:
        return walk.broken(None, "trailer", "the file ends without its signed-head line: it was cut short")
    number, obj = trailer
    latest_token = walk.latest.token if walk.latest is not None else None
    if obj["signed_head"] != latest_token:
        reason = "the signed-head line does not repeat the latest head signed in the log"
        return walk.broken(walk.latest.entry_seq if walk.latest else None, "trailer", reason, number)
    verdict = walk.check_latest_key((key.thumbprint() for key in header.signing_keys), whose="the header")
    if verdict is not None:
        return verdict
    notes: list[str] = []
    if directory is not None:
        if hub_key is None:
            raise Unreadable("--directory needs --hub-key, the thumbprint of the hub key this node pins")
        verdict, note = check_directory(walk, directory, hub_key=hub_key)
        if verdict is not None:
            return verdict
        notes.append(note)
    return walk.intact(notes=notes)


# --- the network directory --------------------------------------------------------------------


def check_directory(walk: ChainWalk, token: str, *, hub_key: str) -> tuple[Verdict | None, str]:
    """The directory is the hub's (pinned key, or keys it rotated to) and lists the latest head's key as this node's.

    The directory is checked as a node checks one it fetches (``directory_trust``), at the time the
    latest head was signed: it must have been in force then, and the key must have been the node's.
    """
    latest = walk.latest
    if latest is None:
        return walk.broken(None, "directory", "the log has no signed head to check against the directory"), ""
    moment = latest.head.signed_at
    try:
        directory = verify_directory(token, pinned=hub_key, held=None, now=moment).directory
    except DirectoryRefused as error:
        return walk.broken(None, "directory", f"the directory is refused ({error.code}: {error.detail})"), ""
    member = directory.member(walk.node)
    if member is None:
        return walk.broken(None, "directory", f"{walk.node} is not a member in the directory"), ""
    listed = member.verify_key(latest.key.thumbprint(), now=moment)
    verdict = walk.check_latest_key([listed.thumbprint()] if listed else [], whose=f"the directory (for {walk.node})")
    note = f"the directory (version {directory.version}, signed by the hub) lists the head's key as {walk.node}'s"
    return verdict, note


# --- the command ------------------------------------------------------------------------------


def describe_signed_head(verdict: Verdict) -> str:
    if verdict.signed_seq is None or verdict.signed_at is None:
        return "no signed head"
    moment = datetime.fromtimestamp(verdict.signed_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"signed head #{verdict.signed_seq} at {moment} with key {verdict.signing_key}"


def report(verdict: Verdict) -> str:
    """The verdict as the console shows it."""
    if not verdict.is_intact:
        return f"Evidence log BROKEN at {verdict.reason}"
    lines = [
        f"Evidence log intact: {verdict.checked} entries, last hash {verdict.last_hash}; "
        f"{describe_signed_head(verdict)}."
    ]
    lines.extend(f"Note: {note}." for note in verdict.notes)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vinculo.evidence.verify", description="Verify an exported evidence log, offline."
    )
    parser.add_argument("file", help="the export (vinculo evidence export FILE)")
    parser.add_argument("--directory", help="a file holding the signed network directory (its compact JWS)")
    parser.add_argument("--hub-key", help="the thumbprint of the hub's signing key, as pinned at install")
    options = parser.parse_args(argv)
    try:
        directory = None
        if options.directory is not None:
            with open(options.directory, encoding="ascii") as file:
                directory = file.read()
        verdict = verify_file(options.file, directory=directory, hub_key=options.hub_key)
    except (OSError, UnicodeDecodeError, Unreadable) as error:
        print(f"Cannot verify: {error}", file=sys.stderr)
        return EXIT_UNREADABLE
    if verdict.is_intact:
        print(report(verdict))
        return EXIT_INTACT
    print(report(verdict), file=sys.stderr)
    return EXIT_BROKEN


if __name__ == "__main__":
    sys.exit(main())
