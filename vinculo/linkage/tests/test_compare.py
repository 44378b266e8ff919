"""Dice comparison: properties, and top_matches against a brute-force Python reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.linkage.compare import BLOCK_ROWS, Index, all_pairs_above, dice, scores, top_matches, top_matches_many
from vinculo.linkage.encoding import FILTER_WORDS, Encoder, Hardening
from vinculo.linkage.record import BirthDate, Identifier, IdentifierKind, PersonName, PersonRecord

filters = st.lists(st.integers(0, 2**64 - 1), min_size=FILTER_WORDS, max_size=FILTER_WORDS).map(
    lambda words: np.array(words, dtype=np.uint64)
)


def reference_dice(a: np.ndarray, b: np.ndarray) -> float:
    bits_a = sum(bin(int(w)).count("1") for w in a)
    bits_b = sum(bin(int(w)).count("1") for w in b)
    both = sum(bin(int(x) & int(y)).count("1") for x, y in zip(a, b, strict=True))
    return 2 * both / (bits_a + bits_b) if bits_a + bits_b else 0.0


@settings(max_examples=80)
@given(a=filters, b=filters)
def test_dice_is_symmetric_bounded_and_exact(a: np.ndarray, b: np.ndarray) -> None:
    value = dice(a, b)
    assert value == dice(b, a)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(reference_dice(a, b))


@settings(max_examples=40)
@given(a=filters)
def test_identical_filters_score_one(a: np.ndarray) -> None:
    assert dice(a, a) == (1.0 if a.any() else 0.0)


def random_filters(rng: np.random.Generator, n: int) -> np.ndarray:
    one = rng.integers(0, 2**64 - 1, size=(n, FILTER_WORDS), dtype=np.uint64, endpoint=True)
    two = rng.integers(0, 2**64 - 1, size=(n, FILTER_WORDS), dtype=np.uint64, endpoint=True)
    return one & two  # about 25 % of bits set, so popcounts vary and the popcount bound can act


@pytest.mark.parametrize(("size", "block_rows"), [(1, 64), (37, 16), (500, 64), (1000, 4096)])
@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5])
def test_top_matches_agrees_with_brute_force(size: int, block_rows: int, threshold: float) -> None:
    rng = np.random.default_rng(size)
    words = random_filters(rng, size)
    words[size // 2] = 0  # an empty filter in the index scores 0, never divides by zero
    ids = rng.permutation(size) + 1000
    index = Index("test", words, row_ids=ids, block_rows=block_rows)
    for q in (words[0], words[-1] ^ random_filters(rng, 1)[0], random_filters(rng, 1)[0]):
        if not q.any():  # an empty query (nothing could be read) matches nothing
            assert top_matches(index, q, k=7, threshold=threshold) == []
            continue
        expected = sorted(
            ((reference_dice(words[i], q), int(ids[i])) for i in range(size)), key=lambda t: (-t[0], t[1])
        )
        expected = [t for t in expected if t[0] >= threshold and (t[0] > 0 or threshold == 0.0)]
        got = top_matches(index, q, k=7, threshold=threshold)
        assert [m.row_id for m in got] == [i for _, i in expected[:7]]
        assert [m.score for m in got] == pytest.approx([s for s, _ in expected[:7]])


def test_scores_and_batch_apis_agree() -> None:
    rng = np.random.default_rng(7)
    words = random_filters(rng, 300)
    index = Index("test", words, block_rows=64)
    queries = words[:5]
    assert [r[0].row_id for r in top_matches_many(index, queries, k=1)] == [0, 1, 2, 3, 4]
    by_row = dict(zip(index.row_ids.tolist(), scores(index, queries[0]).tolist(), strict=True))
    assert by_row[0] == 1.0
    qi, rows, values = all_pairs_above(index, queries, 0.45)
    for q, row, value in zip(qi, rows, values, strict=True):
        assert value == pytest.approx(reference_dice(words[row], queries[q]))
        assert value >= 0.45
    expected = sum(1 for q in range(5) for i in range(300) if reference_dice(words[i], queries[q]) >= 0.45)
    assert len(qi) == expected


def test_index_refuses_another_scheme_and_counts_its_bytes() -> None:
    encoder = Encoder(bytes(32))
    record = PersonRecord("a", PersonName(given=("ana",), first_surname="lopez"), birth=BirthDate(1980))
    index = Index.from_encodings([encoder.encode(record)] * 3)
    other = Encoder(bytes(32), hardening=Hardening(diffusion_taps=0)).encode(record)
    with pytest.raises(ValueError, match="does not match the index scheme"):
        top_matches(index, other)
    assert index.nbytes / index.size <= 64 * 140 / 3  # a tiny index pads to 64 rows, not to a full block
    big = Index("test", np.zeros((2 * BLOCK_ROWS, FILTER_WORDS), dtype=np.uint64))
    assert big.nbytes / big.size <= 140  # 128 filter + 2 popcount + 1 flags + 8 row id


def test_a_shared_identifier_token_is_returned_even_under_the_threshold() -> None:
    encoder = Encoder(bytes(32))
    phone = Identifier(IdentifierKind.PHONE, "SV", "+50377778888")
    known = PersonRecord("a", PersonName(given=("ana",), first_surname="lopez"), identifiers=(phone,))
    stranger = PersonRecord("b", PersonName(given=("luis",), first_surname="mejia"), birth=BirthDate(1970))
    index = Index.from_encodings(encoder.encode_many([stranger, known]), row_ids=[10, 11])
    query = PersonRecord("q", PersonName(given=("rosa",), first_surname="zuniga"), identifiers=(phone,))
    matches = top_matches(index, encoder.encode(query), k=5, threshold=0.95)
    assert [(m.row_id, m.shared_tokens) for m in matches] == [(11, 1)]


@pytest.mark.parametrize("threshold", [0.3, 0.7, 0.8, 0.9])
def test_a_pair_at_exactly_the_threshold_is_kept(threshold: float) -> None:
    common = round(threshold * 10)  # 10 bits each, `common` shared: Dice = 2·common/20 = threshold
    a = np.zeros(FILTER_WORDS, dtype=np.uint64)
    b = np.zeros(FILTER_WORDS, dtype=np.uint64)
    a[0] = (1 << 10) - 1
    b[0] = ((1 << common) - 1) | (((1 << (10 - common)) - 1) << 20)
    index = Index("test", np.stack([b, np.zeros_like(b)]))
    assert dice(a, b) == pytest.approx(threshold)
    assert [m.row_id for m in top_matches(index, a, k=3, threshold=threshold)] == [0]
    assert all_pairs_above(index, a.reshape(1, -1), threshold)[1].tolist() == [0]
