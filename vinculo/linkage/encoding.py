"""Keyed, hardened Bloom-filter encodings of a person, and keyed tokens for exact identifiers.

Scheme ``vinculo-bf-3`` (every ``Encoding`` carries it; an index refuses to mix schemes).
``vinculo-bf-2`` salted the sex token with the birth year; ``vinculo-bf-3`` also salts the
month and day tokens of the birth date with it (only the year token is left unsalted) and weighs
the day more (the (month, day) token 24 bits instead of 14, the unordered pair 20 instead of
18), so that namesakes born the same year on another day fall further from each other. As the
scheme name is the HKDF salt of every derived key, every bit position changes with the scheme
and an index re-encodes under the new one:

1. **Keys.** One network match key (≥ 32 bytes, held by the member offices, never by the hub).
   Every purpose gets its own key, derived with HKDF-SHA256 (RFC 5869, salt = the scheme name,
   info = the purpose): one per field ("given", "surname1", "surname2", "surnames", "married",
   "birth", "sex"), one for the diffusion taps, one for identifier tokens. The raw key is never
   used directly, so a filter bit says nothing about another field's bits.
2. **Features** (designed for Hispanic names; normalised input from ``PersonRecord``):
   - given names: padded bigrams and a Spanish phonetic key of each canonical form
     (``given_canonical``: nicknames resolved; when a nickname has several candidates each gets
     a share of the bit budget), plus a position-tagged phonetic key of the first given name;
   - surnames as ORDERED parts: bigrams and phonetic key of the first surname under the
     "surname1" key and of the second under "surname2", so "Pérez García" and "García Pérez"
     set different bits; plus untagged bigrams of both under "surnames", so a swapped or dropped
     second surname still shares a good part of the filter; a married surname only adds
     untagged bigrams;
   - birth date: year, year-month, the ordered (month, day) and the unordered {day, month} pair
     (a day/month transposition keeps the year and the unordered pair); a year-only date sets
     only the year; every token but the year is salted with the year (``vinculo-bf-3``), which
     costs nothing in linkage (a record with another year shares none of them anyway);
   - sex: one token, salted with the birth year like the names (in ``vinculo-bf-1`` it was not,
     and the first principal component of the filters followed sex, r = 0.86 on the 10k set).
   Every token sets ``k`` bits (``BITS_PER_TOKEN``), positions taken from HMAC-SHA256(field key,
   salt ‖ token) in 16-bit slices mod 1024.
3. **Hardening** (against the frequency, pattern-mining and graph-matching attacks of the
   research, §1.4):
   - keyed hashing per field (no dictionary attack without the network key);
   - **salting** of every name token (and the sex token) with the birth year (Chen et al. 2022: salting is effective
     against pattern mining, a near-unique salt cut graph-matching re-identification from over
     97 % to under 0.5 %, and year of birth was the best single salt): the same surname sets
     different bits for people born in different years, so frequent-bigram patterns spread over
     ~80 salts. Recall cost: a record whose birth year is wrong shares little more than its
     (month, day) and sex bits with its match, its names being in another salt; a missing year
     uses its own salt, so such a record matches only other records without a year. On
     preliminary synthetic runs the salt raised recall at precision 0.99 (siblings and namesakes
     born in other years move apart) more than it lost (docs/matching.md);
   - **diffusion layer** (Armknecht, Heng & Schnell, PoPETs 2023): each of the 1024 output bits
     is the XOR of ``DIFFUSION_TAPS`` input bits chosen by keyed permutations. Single input bits
     (and so single bigrams) no longer map to output bits; output bits are set more evenly (29-73 %
     of records each on the 10k synthetic set, mean 39 %), but the popcount still follows how full
     the inner filter is (r = 0.88; docs/matching.md, Privacy evaluation). Dice on the diffused filters is a
     monotone function of the Hamming distance of the inner filters: unrelated records score
     about 0.5 instead of about 0.1, so thresholds sit higher (see ``classify``).
   Balancing (filter + complement) was not chosen because it doubles the filter to 256 bytes,
   over the 200-byte index budget.
4. **Exact identifiers** never go into Bloom filters: ``Identifier.key`` becomes a keyed token,
   HMAC-SHA256 under the token key truncated to 128 bits, prefixed with ``TOKEN_SCHEME``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntFlag

import numpy as np

from vinculo.linkage.record import BirthDate, Identifier, PersonRecord, Sex

SCHEME = "vinculo-bf-3"
TOKEN_SCHEME = "vinculo-tok-1"  # noqa: S105 (a scheme name, not a secret)

FILTER_BITS = 1024
FILTER_WORDS = FILTER_BITS // 64
FILTER_BYTES = FILTER_BITS // 8
MIN_KEY_BYTES = 32
TOKEN_BYTES = 16  # identifier tokens: HMAC-SHA256 truncated to 128 bits

# Bits set per token (before diffusion). Dates weigh more than a single bigram because two
# different people with a common name differ mostly there; sex weighs little (two values).
BITS_PER_TOKEN = {
    "given": 6,
    "given_phonetic": 8,
    "given_first": 8,
    "surname1": 4,
    "surname1_phonetic": 6,
    "surname2": 1,
    "surname2_phonetic": 1,
    "surnames": 3,
    "married": 3,
    "birth_year": 14,
    "birth_month": 16,
    "birth_md": 24,
    "birth_pair": 20,
    "sex": 6,
}
DIFFUSION_TAPS = 3
MAX_NAME_CHARS = 40  # longer name parts are cut before q-grams: a 10 kB name cannot saturate the filter
MAX_GIVEN_NAMES = 4
MAX_CANDIDATES = 3  # nickname candidates kept per given name
NO_YEAR_SALT = "-"
_CACHE_LIMIT = 500_000


class Fields(IntFlag):
    """Which fields contributed to a filter: carried with it so that thin records never make a hit."""

    NONE = 0
    GIVEN = 1
    FIRST_SURNAME = 2
    SECOND_SURNAME = 4
    BIRTH_YEAR = 8
    BIRTH_DAY = 16
    SEX = 32


# plain ints for the hot loop (IntFlag arithmetic goes through the enum machinery)
_GIVEN, _FIRST_SURNAME, _SECOND_SURNAME = int(Fields.GIVEN), int(Fields.FIRST_SURNAME), int(Fields.SECOND_SURNAME)
_BIRTH_YEAR, _BIRTH_DAY, _SEX = int(Fields.BIRTH_YEAR), int(Fields.BIRTH_DAY), int(Fields.SEX)


@dataclass(frozen=True)
class Hardening:
    """The hardening of a scheme. Only the default is ``SCHEME``; the others exist to measure what hardening costs."""

    salt_with_birth_year: bool = True
    diffusion_taps: int = DIFFUSION_TAPS

    @property
    def scheme(self) -> str:
        if self == Hardening():
            return SCHEME
        return f"{SCHEME};salt={int(self.salt_with_birth_year)};taps={self.diffusion_taps}"


@dataclass(frozen=True)
class Encoding:
    """What a query or an index carries for one person: no names, no dates, no identifiers."""

    scheme: str
    bloom: bytes  # FILTER_BYTES, little-endian words
    fields: Fields
    tokens: frozenset[str] = field(default_factory=frozenset)

    def words(self) -> np.ndarray:
        return np.frombuffer(self.bloom, dtype="<u8")


def derive_key(match_key: bytes, purpose: str) -> bytes:
    """HKDF-SHA256 (RFC 5869) of the network match key for one purpose: 32 bytes."""
    prk = hmac.new(SCHEME.encode(), match_key, hashlib.sha256).digest()
    return hmac.new(prk, f"{SCHEME}/{purpose}".encode() + b"\x01", hashlib.sha256).digest()


_VOWELS = frozenset("aeiou")
_NOT_LETTER = re.compile(r"[^a-z]")


def _plain(text: str) -> str:
    """Lower case a-z only: the normaliser already strips accents; this is the safety net for direct callers."""
    text = unicodedata.normalize("NFKD", text[: MAX_NAME_CHARS * 2].lower())
    return _NOT_LETTER.sub("", "".join(c for c in text if not unicodedata.combining(c)))[:MAX_NAME_CHARS]


def spanish_key(name: str) -> str:
    """A phonetic key for Latin-American Spanish: seseo, yeísmo, b/v, silent h, j/g/x, qu/k/c, gu/w, doubles.

    Used as one more token per name part, never as the decision (research §5.2).
    """
    s = _plain(name)
    out: list[str] = []
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        nxt = s[i + 1] if i + 1 < n else ""
        after = s[i + 2] if i + 2 < n else ""
        if c == "c" and nxt == "h":
            out.append("C")
            i += 2
            continue
        if c == "l" and nxt == "l":
            out.append("Y")
            i += 2
            continue
        if c == "q" and nxt == "u":
            out.append("K")
            i += 2
            continue
        if c == "g" and nxt == "u" and after in ("e", "i"):
            out.append("G")
            i += 2
            continue
        if c == "p" and nxt == "h":
            out.append("F")
            i += 2
            continue
        if c == "c":
            out.append("S" if nxt in ("e", "i") else "K")
        elif c == "g":
            out.append("J" if nxt in ("e", "i") else "G")
        elif c in ("s", "z"):
            out.append("S")
        elif c == "x":
            out.append("J" if i == 0 else "KS")
        elif c == "j":
            out.append("J")
        elif c == "h":
            pass
        elif c in ("b", "v"):
            out.append("B")
        elif c == "w":
            out.append("G")
        elif c == "k":
            out.append("K")
        elif c == "y":
            out.append("I" if (i == n - 1 or nxt not in _VOWELS) and i > 0 else "Y")
        elif c == "i" and nxt in _VOWELS and i == 0:
            out.append("Y")
        else:
            out.append(c.upper())
        i += 1
    key: list[str] = []
    for part in out:
        if not key or key[-1] != part:
            key.append(part)
    return "".join(key)


def bigrams(name: str) -> list[str]:
    padded = f"_{_plain(name)}_"
    return [padded[i : i + 2] for i in range(len(padded) - 1)] if len(padded) > 2 else []


class Encoder:
    """Encodes ``PersonRecord`` values under one network match key.

    Positions of each (field, salt, value) are cached: names repeat a lot, so most records cost
    a few dictionary look-ups and a vectorised scatter.
    """

    def __init__(self, match_key: bytes, *, hardening: Hardening | None = None) -> None:
        if not isinstance(match_key, bytes) or len(match_key) < MIN_KEY_BYTES:
            raise ValueError(f"the network match key must be at least {MIN_KEY_BYTES} bytes")
        self.hardening = hardening or Hardening()
        self.scheme = self.hardening.scheme
        self._field_macs = {f: hmac.new(derive_key(match_key, f"field/{f}"), digestmod=hashlib.sha256) for f in _FIELDS}
        self._token_key = derive_key(match_key, "identifier-token")
        self._taps = _diffusion_taps(derive_key(match_key, "diffusion"), self.hardening.diffusion_taps)
        self._cache: dict[tuple[object, ...], int] = {}

    # Exact identifiers -------------------------------------------------------------------------

    def identifier_token(self, identifier: Identifier) -> str:
        """A keyed token for an exact identifier: equal tokens mean the same canonical identifier."""
        mac = hmac.new(self._token_key, identifier.key.encode(), hashlib.sha256).digest()[:TOKEN_BYTES]
        return f"{TOKEN_SCHEME}:{mac.hex()}"

    # Bloom filters ------------------------------------------------------------------------------

    def encode(self, record: PersonRecord) -> Encoding:
        return self.encode_many([record])[0]

    def encode_many(self, records: Sequence[PersonRecord]) -> list[Encoding]:
        words, fields = self.encode_matrix(records)
        out: list[Encoding] = []
        for i, record in enumerate(records):
            tokens = frozenset(self.identifier_token(x) for x in record.identifiers)
            out.append(Encoding(self.scheme, words[i].tobytes(), Fields(int(fields[i])), tokens))
        return out

    def encode_matrix(self, records: Sequence[PersonRecord], *, chunk: int = 8192) -> tuple[np.ndarray, np.ndarray]:
        """Filters as one contiguous ``uint64[N, FILTER_WORDS]`` array and the ``Fields`` of each row."""
        n = len(records)
        words = np.zeros((n, FILTER_WORDS), dtype="<u8")
        fields = np.zeros(n, dtype=np.uint8)
        for start in range(0, n, chunk):
            part = records[start : start + chunk]
            inner: list[bytes] = []
            flags: list[int] = []
            for record in part:
                mask, flag = self._inner_filter(record)
                inner.append(mask.to_bytes(FILTER_BYTES, "little"))
                flags.append(flag)
            fields[start : start + len(part)] = flags
            packed = np.frombuffer(b"".join(inner), dtype=np.uint8).reshape(len(part), FILTER_BYTES)
            if self._taps is not None:
                bits = np.unpackbits(packed, axis=1, bitorder="little")
                # np.take along an axis is about 4x faster than fancy indexing bits[:, tap] here
                diffused = np.take(bits, self._taps[0], axis=1)
                for tap in self._taps[1:]:
                    diffused ^= np.take(bits, tap, axis=1)
                packed = np.packbits(diffused, axis=1, bitorder="little")
            words[start : start + len(part)] = np.ascontiguousarray(packed).view("<u8")
        return words, fields

    def _inner_filter(self, record: PersonRecord) -> tuple[int, int]:
        """The record's Bloom filter before diffusion, as a FILTER_BITS-bit integer, and its field flags.

        Each (field, salt, value) has its bits cached as an integer mask; a record is the OR of
        a handful of cached masks.
        """
        name = record.name
        birth = record.birth
        salt = NO_YEAR_SALT if birth is None else str(birth.year)
        if not self.hardening.salt_with_birth_year:
            salt = ""
        flags = 0
        mask = 0
        cache = self._cache
        # a field counts only if it set bits: a name of emoji or control characters has no
        # letters, sets nothing and so can never make a hit on its own
        if name.given:
            canonical = name.given_canonical or tuple((g,) for g in name.given)
            for index, candidates in enumerate(canonical[:MAX_GIVEN_NAMES]):
                key: tuple[object, ...] = ("given", salt, index == 0, candidates)
                cached = cache.get(key)
                if cached is None:
                    cached = self._store(key, self._given_mask(salt, index == 0, candidates))
                if cached:
                    mask |= cached
                    flags |= _GIVEN
        if name.first_surname:
            part = self._surname("surname1", salt, name.first_surname)
            if part:
                mask |= part
                flags |= _FIRST_SURNAME
        if name.second_surname:
            part = self._surname("surname2", salt, name.second_surname)
            if part:
                mask |= part
                flags |= _SECOND_SURNAME
        if name.married_surname and _plain(name.married_surname):
            key = ("married", salt, name.married_surname)
            cached = cache.get(key)
            if cached is None:
                cached = self._store(key, self._union_bigrams("married", salt, name.married_surname))
            mask |= cached
        if birth is not None:
            key = ("birth", birth.year, birth.month, birth.day)
            cached = cache.get(key)
            if cached is None:
                cached = self._store(key, self._birth_mask(birth))
            mask |= cached
            flags |= _BIRTH_YEAR
            if birth.day is not None:
                flags |= _BIRTH_DAY
        if record.sex is not Sex.UNKNOWN:
            # salted like the names (vinculo-bf-2): unsalted, the sex token set the same bits in
            # every record and the filters' first principal component followed sex (r = 0.86)
            key = ("sex", salt, str(record.sex))
            cached = cache.get(key)
            if cached is None:
                cached = self._store(key, self._token_mask("sex", salt, str(record.sex), BITS_PER_TOKEN["sex"]))
            mask |= cached
            flags |= _SEX
        return mask, flags

    def _store(self, key: tuple[object, ...], mask: int) -> int:
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = mask
        return mask

    def _surname(self, part: str, salt: str, surname: str) -> int:
        key = (part, salt, surname)
        cached = self._cache.get(key)
        if cached is None:
            mask = 0
            if not _plain(surname):
                return self._store(key, 0)
            for gram in bigrams(surname):
                mask |= self._token_mask(part, salt, gram, BITS_PER_TOKEN[part])
            phonetic = "#" + spanish_key(surname)
            mask |= self._token_mask(part, salt, phonetic, BITS_PER_TOKEN[f"{part}_phonetic"])
            mask |= self._union_bigrams("surnames", salt, surname)
            cached = self._store(key, mask)
        return cached

    def _union_bigrams(self, part: str, salt: str, surname: str) -> int:
        mask = 0
        k = BITS_PER_TOKEN[part]
        for gram in bigrams(surname):
            mask |= self._token_mask("surnames", salt, gram, k)
        return mask

    def _given_mask(self, salt: str, is_first: bool, candidates: tuple[str, ...]) -> int:
        mask = 0
        kept = [c for c in candidates[:MAX_CANDIDATES] if _plain(c)]
        share = len(kept)
        for candidate in kept:
            for gram in bigrams(candidate):
                mask |= self._token_mask("given", salt, gram, max(1, BITS_PER_TOKEN["given"] // share))
            phonetic = "#" + spanish_key(candidate)
            mask |= self._token_mask("given", salt, phonetic, max(1, BITS_PER_TOKEN["given_phonetic"] // share))
            if is_first:
                k = max(1, BITS_PER_TOKEN["given_first"] // share)
                mask |= self._token_mask("given", salt, "1" + phonetic, k)
        return mask

    def _birth_mask(self, birth: BirthDate) -> int:
        # the year token is the one left unsalted (it is the salt); since vinculo-bf-3 the month
        # and day tokens are salted with it, so a (month, day) sets other bits in every year
        salt = str(birth.year) if self.hardening.salt_with_birth_year else ""
        mask = self._token_mask("birth", "", f"y{birth.year}", BITS_PER_TOKEN["birth_year"])
        if birth.month is not None:
            mask |= self._token_mask("birth", salt, f"ym{birth.year}-{birth.month}", BITS_PER_TOKEN["birth_month"])
        if birth.month is not None and birth.day is not None:
            low, high = sorted((birth.month, birth.day))
            mask |= self._token_mask("birth", salt, f"md{birth.month}-{birth.day}", BITS_PER_TOKEN["birth_md"])
            mask |= self._token_mask("birth", salt, f"p{low}-{high}", BITS_PER_TOKEN["birth_pair"])
        return mask

    def _token_mask(self, part: str, salt: str, token: str, k: int) -> int:
        """``k`` positions from HMAC-SHA256(field key, salt ‖ token), 16-bit slices mod FILTER_BITS, as a bit mask."""
        mask = 0
        block = 0
        remaining = k
        while remaining > 0:
            mac = self._field_macs[part].copy()
            mac.update(f"{salt}\x1f{token}\x1f{block}".encode())
            for word in memoryview(mac.digest()).cast("H")[:remaining]:
                mask |= 1 << (word % FILTER_BITS)
            remaining -= 16
            block += 1
        return mask


_FIELDS = ("given", "surname1", "surname2", "surnames", "married", "birth", "sex")


def _diffusion_taps(key: bytes, taps: int) -> list[np.ndarray] | None:
    """``taps`` keyed permutations of the filter positions; output bit j = XOR of input[perm_t[j]].

    Each input bit feeds exactly ``taps`` outputs; the taps of one output are made distinct
    (a repeated tap would cancel itself).
    """
    if taps <= 0:
        return None
    perms = [_keyed_permutation(key, t) for t in range(taps)]
    for t in range(1, taps):
        perm = perms[t]

        def clashes(position: int, value: int, earlier: int = t) -> bool:
            return any(perms[u][position] == value for u in range(earlier))

        for j in range(FILTER_BITS):
            other = j
            while clashes(j, perm[j]):
                # swap with the next position whose value fits here and that accepts ours
                other = (other + 1) % FILTER_BITS
                if not clashes(j, perm[other]) and not clashes(other, perm[j]):
                    perm[j], perm[other] = perm[other], perm[j]
    return [np.asarray(p, dtype=np.intp) for p in perms]


def _keyed_permutation(key: bytes, index: int) -> list[int]:
    """Fisher-Yates shuffle of range(FILTER_BITS) driven by HMAC-SHA256(key, index ‖ counter)."""
    values = list(range(FILTER_BITS))
    stream: list[int] = []
    counter = 0
    for i in range(FILTER_BITS - 1, 0, -1):
        if not stream:
            digest = hmac.new(key, f"{index}:{counter}".encode(), hashlib.sha256).digest()
            stream = [int.from_bytes(digest[b : b + 4], "little") for b in range(0, 32, 4)]
            counter += 1
        j = stream.pop() % (i + 1)
        values[i], values[j] = values[j], values[i]
    return values


def scheme_of(encodings: Iterable[Encoding]) -> str:
    """The one scheme of a set of encodings; mixing schemes is an error, not a silent mismatch."""
    schemes = {e.scheme for e in encodings}
    if len(schemes) != 1:
        raise ValueError(f"encodings must share one scheme, got {sorted(schemes)}")
    return schemes.pop()
