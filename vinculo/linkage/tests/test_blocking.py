"""Blocking: keyed passes and LSH bands, measured on a small labelled set of made-up persons."""

from __future__ import annotations

import random

from vinculo.linkage.blocking import Blocker, blocking_quality, candidate_pairs
from vinculo.linkage.encoding import Encoder
from vinculo.linkage.record import BirthDate, PersonRecord, Sex
from vinculo.linkage.tests.test_encoding import person

KEY = bytes(range(32))
GIVEN = ["jose", "maria", "juan", "ana", "luis", "rosa", "carlos", "sonia", "pedro", "elena", "mario", "gloria"]
SURNAMES = ["perez", "garcia", "lopez", "hernandez", "martinez", "castillo", "ramos", "zelaya", "mejia", "cruz"]


def population(seed: int, size: int) -> list[PersonRecord]:
    rng = random.Random(seed)
    return [
        person(
            given=rng.choice(GIVEN),
            first=rng.choice(SURNAMES),
            second=rng.choice(SURNAMES),
            birth=BirthDate(rng.randint(1960, 2005), rng.randint(1, 12), rng.randint(1, 28)),
            sex=rng.choice([Sex.FEMALE, Sex.MALE]),
        )
        for _ in range(size)
    ]


def corrupt(record: PersonRecord, how: int) -> PersonRecord:
    name, birth = record.name, record.birth
    assert birth is not None
    given, first, second = " ".join(name.given), name.first_surname, name.second_surname
    if how == 0:
        return person(given=given, first=first, second="", birth=birth, sex=record.sex)  # second surname dropped
    if how == 1:
        return person(given=given, first=second, second=first, birth=birth, sex=record.sex)  # surnames swapped
    if how == 2:
        return person(given=given, first=first, second=second, birth=BirthDate(birth.year), sex=record.sex)
    if how == 3:  # year typo
        return person(given=given, first=first, second=second, birth=BirthDate(birth.year + 1), sex=record.sex)
    return person(given=given, first=first.replace("z", "s"), second=second, birth=birth, sex=record.sex)


def test_field_passes_find_every_corrupted_pair_and_cut_most_pairs() -> None:
    left = population(1, 400)
    right = [corrupt(r, i % 5) for i, r in enumerate(left)] + population(2, 400)
    truth = [(i, i) for i in range(len(left))]
    blocker = Blocker(KEY)
    pairs = candidate_pairs([blocker.keys(r) for r in left], [blocker.keys(r) for r in right])
    quality = blocking_quality(pairs, truth, len(left), len(right))
    assert quality.pairs_completeness == 1.0
    assert quality.reduction_ratio > 0.8
    assert quality.found_pairs == quality.true_pairs == 400


def test_lsh_bands_on_encodings_alone() -> None:
    left = population(3, 300)
    right = [corrupt(r, 2 if i % 2 else 4) for i, r in enumerate(left)] + population(4, 300)
    encoder = Encoder(KEY)
    blocker = Blocker(KEY)
    words_left, _ = encoder.encode_matrix(left)
    words_right, _ = encoder.encode_matrix(right)
    pairs = candidate_pairs(blocker.lsh_keys(words_left), blocker.lsh_keys(words_right))
    quality = blocking_quality(pairs, [(i, i) for i in range(len(left))], len(left), len(right))
    assert quality.pairs_completeness >= 0.9
    assert quality.reduction_ratio > 0.9


def test_blocking_keys_are_keyed_and_empty_records_have_none() -> None:
    record = person()
    assert Blocker(KEY).keys(record) == Blocker(KEY).keys(record)
    assert Blocker(KEY).keys(record).isdisjoint(Blocker(bytes(32)).keys(record))
    assert all("perez" not in key and "1990" not in key for key in Blocker(KEY).keys(record))
    empty = person(given="", first="", second="", birth=None)
    assert Blocker(KEY).keys(empty) == frozenset()


def test_quality_of_nothing() -> None:
    quality = blocking_quality(set(), [], 0, 0)
    assert quality.pairs_completeness == 1.0
    assert quality.reduction_ratio == 0.0
