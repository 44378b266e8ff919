"""Keyed blind indexes over vault values, with no Django imports.

To find people by name, document or phone without decrypting everyone, each identity also
stores HMAC digests of its normalised parts. The key lives in the keyring file, so a database
dump alone cannot be searched or dictionary-attacked. Normalisation makes the search forgive
accents, case, particles ("de", "del", "de la") and a missing second surname: a query matches
a person when every word of the query is one of the person's name words.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable

PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "vda", "viuda"})
DIGEST_CHARS = 32


def fold(text: str) -> str:
    """Lower case, accents removed (ñ kept as n), anything else not a letter or digit as space."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


def name_words(*parts: str) -> set[str]:
    """The searchable words of a name: folded, without particles and one-letter initials."""
    words = set()
    for part in parts:
        for word in fold(part).split():
            if word not in PARTICLES and len(word) > 1:
                words.add(word)
    return words


def document_keys(text: str) -> set[str]:
    """Each document number as letters and digits only (``DUI 01234567-8`` → ``012345678``, and with the type)."""
    keys = set()
    for chunk in re.split(r"[;,\n]+", text):
        compact = re.sub(r"[^A-Za-z0-9]", "", chunk).upper()
        if len(compact) >= 4:
            keys.add(compact)
            digits = re.sub(r"[^0-9]", "", compact)
            if len(digits) >= 4 and digits != compact:
                keys.add(digits)
    return keys


def phone_keys(text: str) -> set[str]:
    """The last eight digits of each phone (so +503 7000-0000 and 70000000 meet)."""
    keys = set()
    for chunk in re.split(r"[;,/\n]+", text):
        digits = re.sub(r"[^0-9]", "", chunk)
        if len(digits) >= 7:
            keys.add(digits[-8:])
    return keys


def digest(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:DIGEST_CHARS]


def index_entries(key: bytes, *, names: Iterable[str], documents: str, phones: str) -> set[tuple[str, str]]:
    """(kind, digest) pairs to store for one identity."""
    entries = {("name", digest(key, "name", word)) for word in name_words(*names)}
    entries |= {("document", digest(key, "document", value)) for value in document_keys(documents)}
    entries |= {("phone", digest(key, "phone", value)) for value in phone_keys(phones)}
    return entries


def query_entries(key: bytes, query: str) -> tuple[str, set[str]]:
    """What a query looks for: ``("name", digests)`` all of which must match, or a document/phone."""
    if re.search(r"\d{4,}", query):
        digests = {digest(key, "document", value) for value in document_keys(query)}
        digests |= {digest(key, "phone", value) for value in phone_keys(query)}
        return "number", digests
    return "name", {digest(key, "name", word) for word in name_words(query)}
