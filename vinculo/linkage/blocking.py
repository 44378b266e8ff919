"""Blocking for batch linkage: keyed blocking tokens, LSH bands over the filters, and how good they are.

Batch cross-matching (nine offices, about 1M persons each) cannot compare every pair, so each
record gets a few blocking keys and only records that share a key are compared. Two families:

- **Keyed field passes** (``Blocker.keys``): HMAC tokens of phonetic name parts with the birth
  year, and of name parts without it, so that each common corruption leaves at least one pass
  intact: first surname + year (given-name variants, dropped or swapped second surname kept
  apart); first given name + year (surname variants, swaps); first + second surname (year
  errors); first given name + first surname (year errors, dropped second surname).
- **LSH bands** (``Blocker.lsh_keys``): Hamming LSH over the filters themselves: band b keeps
  ``LSH_BITS`` keyed positions, and two filters share the band's key when they agree on all of
  them. Works on encodings alone (what the hub holds), at the price of larger blocks.

Blocking tokens are keyed like everything else (never a clear phonetic code), and are only used
inside a batch job; they leak the equality of (phonetic surname, year) within the job.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from vinculo.linkage.encoding import FILTER_BITS, derive_key, spanish_key
from vinculo.linkage.record import PersonRecord

LSH_BANDS = 24
LSH_BITS = 14
BLOCK_TOKEN_BYTES = 8
MAX_BLOCK_SIZE = 5_000  # a key shared by more records than this is too common to block on


@dataclass(frozen=True)
class BlockingQuality:
    candidate_pairs: int
    true_pairs: int
    found_pairs: int
    pairs_completeness: float  # found true pairs / true pairs
    reduction_ratio: float  # 1 - candidates / all possible pairs


class Blocker:
    def __init__(self, match_key: bytes) -> None:
        self._key = derive_key(match_key, "blocking")
        rng_key = derive_key(match_key, "blocking/lsh")
        self._bands = _lsh_positions(rng_key, LSH_BANDS, LSH_BITS)

    def _token(self, name: str, *parts: str) -> str:
        mac = hmac.new(self._key, "\x1f".join((name, *parts)).encode(), hashlib.sha256)
        return f"{name}:{mac.digest()[:BLOCK_TOKEN_BYTES].hex()}"

    def keys(self, record: PersonRecord) -> frozenset[str]:
        """Keyed blocking tokens of one record (empty when it has nothing to block on)."""
        name = record.name
        given = ""
        if name.given_canonical and name.given_canonical[0]:
            given = spanish_key(name.given_canonical[0][0])
        elif name.given:
            given = spanish_key(name.given[0])
        first = spanish_key(name.first_surname) if name.first_surname else ""
        second = spanish_key(name.second_surname) if name.second_surname else ""
        year = str(record.birth.year) if record.birth is not None else ""
        keys = set()
        if first and year:
            keys.add(self._token("s1y", first, year))
        if given and year:
            keys.add(self._token("gy", given, year))
        if first and second:
            keys.add(self._token("s1s2", first, second))
        if given and first:
            keys.add(self._token("gs1", given, first))
        return frozenset(keys)

    def lsh_keys(self, words: np.ndarray) -> list[frozenset[str]]:
        """Hamming-LSH band keys of filters ``uint64[N, FILTER_WORDS]``: one set per row."""
        bits = np.unpackbits(np.ascontiguousarray(words, dtype="<u8").view(np.uint8), axis=1, bitorder="little")
        weights = (1 << np.arange(LSH_BITS, dtype=np.int64)).astype(np.int64)
        per_band = [bits[:, positions].astype(np.int64) @ weights for positions in self._bands]
        return [frozenset(f"lsh{b}:{int(per_band[b][i])}" for b in range(len(self._bands))) for i in range(len(bits))]


def _lsh_positions(key: bytes, bands: int, bits: int) -> list[np.ndarray]:
    out = []
    for band in range(bands):
        digest = b""
        counter = 0
        while len(digest) < 2 * bits:
            digest += hmac.new(key, f"{band}:{counter}".encode(), hashlib.sha256).digest()
            counter += 1
        positions = [int.from_bytes(digest[i : i + 2], "little") % FILTER_BITS for i in range(0, 2 * bits, 2)]
        out.append(np.asarray(positions, dtype=np.intp))
    return out


def candidate_pairs(
    keys_a: Sequence[Iterable[str]], keys_b: Sequence[Iterable[str]], *, max_block_size: int = MAX_BLOCK_SIZE
) -> set[tuple[int, int]]:
    """Pairs (row in a, row in b) that share at least one blocking key."""
    inverted: dict[str, list[int]] = {}
    for j, keys in enumerate(keys_b):
        for key in keys:
            inverted.setdefault(key, []).append(j)
    pairs: set[tuple[int, int]] = set()
    for i, keys in enumerate(keys_a):
        for key in keys:
            rows = inverted.get(key)
            if rows is not None and len(rows) <= max_block_size:
                pairs.update((i, j) for j in rows)
    return pairs


def blocking_quality(
    candidates: set[tuple[int, int]], true_pairs: Iterable[tuple[int, int]], size_a: int, size_b: int
) -> BlockingQuality:
    """Pairs completeness and reduction ratio of a candidate set against the ground truth."""
    truth = set(true_pairs)
    found = len(truth & candidates)
    total = size_a * size_b
    return BlockingQuality(
        candidate_pairs=len(candidates),
        true_pairs=len(truth),
        found_pairs=found,
        pairs_completeness=found / len(truth) if truth else 1.0,
        reduction_ratio=1.0 - len(candidates) / total if total else 0.0,
    )
