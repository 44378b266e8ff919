"""Candidate pairs for the hub's cross-match of large uploads: Hamming LSH over the filters (no Django).

Comparing every pair between two offices of 100,000 persons each is 10^10 comparisons; the hub
instead compares only pairs that agree on every bit of at least one *band*, a set of ``BITS``
filter positions drawn at random (``BANDS`` bands). The hub needs no key for this: the positions
are its own, drawn afresh for each run, and say nothing about names.

On the hardened filters (about 45 % of bits set) two records of the same person at Dice 0.76 agree
on about 76 % of bits, unrelated records on about 51 %; with 16 bits per band and 192 bands a pair
agreeing on 76 % of bits becomes a candidate with probability 1 - (1 - 0.76^16)^192 ≈ 0.91, at
82 % with ≈ 1.0, and an unrelated pair with about 192 · 0.51^16 ≈ 0.004. Measured completeness on
planted pairs: docs/benchmarks.md (benchmarks/crossmatch_hub.py). Smaller uploads are compared
pair by pair (``EXACT_PAIRS``), so nothing is lost where exhaustive comparison is affordable.
"""

from __future__ import annotations

import numpy as np

from vinculo.linkage.encoding import FILTER_BITS

BANDS = 192
BITS = 16
# Pairs compared exhaustively below this many (a few seconds on one core); LSH above it.
EXACT_PAIRS = 200_000_000
# A band value shared by more rows than this on one side is too common to say anything.
MAX_BUCKET = 2_000


def band_positions(rng: np.random.Generator, *, bands: int = BANDS, bits: int = BITS) -> np.ndarray:
    """A ``bands`` by ``bits`` array: the distinct filter positions of each band."""
    return np.stack([rng.choice(FILTER_BITS, size=bits, replace=False) for _ in range(bands)])


def band_keys(words: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``uint32[rows, bands]``: each row's bits at each band's positions, packed into one integer."""
    if positions.shape[1] > 32:
        raise ValueError("a band has at most 32 bits")
    keys = np.zeros((words.shape[0], positions.shape[0]), dtype=np.uint32)
    for band, chosen in enumerate(positions):
        value = np.zeros(words.shape[0], dtype=np.uint64)
        for shift, position in enumerate(chosen):
            bit = (words[:, position // 64] >> np.uint64(position % 64)) & np.uint64(1)
            value |= bit << np.uint64(shift)
        keys[:, band] = value.astype(np.uint32)
    return keys


def candidate_pairs(keys_a: np.ndarray, keys_b: np.ndarray, *, max_bucket: int = MAX_BUCKET) -> np.ndarray:
    """``int64[pairs, 2]``: (row in a, row in b) agreeing on at least one band, each pair once."""
    n_b = keys_b.shape[0]
    found: list[np.ndarray] = []
    for band in range(keys_a.shape[1]):
        order = np.argsort(keys_b[:, band], kind="stable")
        sorted_b = keys_b[order, band]
        left = np.searchsorted(sorted_b, keys_a[:, band], side="left")
        right = np.searchsorted(sorted_b, keys_a[:, band], side="right")
        counts = right - left
        counts[counts > max_bucket] = 0
        total = int(counts.sum())
        if total == 0:
            continue
        rows_a = np.repeat(np.arange(keys_a.shape[0], dtype=np.int64), counts)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        within = np.arange(total, dtype=np.int64) - starts
        rows_b = order[np.repeat(left, counts) + within]
        found.append(rows_a * n_b + rows_b)
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    codes = np.concatenate(found)
    codes.sort()  # sorting and dropping repeats is several times faster than np.unique's hashing here
    codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))]
    return np.stack([codes // n_b, codes % n_b], axis=1)


def dice_of_pairs(words_a: np.ndarray, words_b: np.ndarray, pairs: np.ndarray, *, chunk: int = 1_000_000) -> np.ndarray:
    """Dice of each candidate pair (float64), computed in chunks to bound memory."""
    pop_a = np.bitwise_count(words_a).sum(axis=1, dtype=np.int64)
    pop_b = np.bitwise_count(words_b).sum(axis=1, dtype=np.int64)
    out = np.empty(pairs.shape[0], dtype=np.float64)
    for start in range(0, pairs.shape[0], chunk):
        part = pairs[start : start + chunk]
        common = np.bitwise_count(words_a[part[:, 0]] & words_b[part[:, 1]]).sum(axis=1, dtype=np.int64)
        total = pop_a[part[:, 0]] + pop_b[part[:, 1]]
        out[start : start + chunk] = np.where(total > 0, 2.0 * common / np.maximum(total, 1), 0.0)
    return out
