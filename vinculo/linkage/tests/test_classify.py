"""Hit / possible / no-hit: the documented thresholds on hand-made persons, and calibration."""

from __future__ import annotations

import pytest

from vinculo.linkage.classify import (
    HIT_THRESHOLD,
    POSSIBLE_THRESHOLD,
    Decision,
    Thresholds,
    calibrate,
    classify,
    decide,
)
from vinculo.linkage.compare import Index, Match, dice, top_matches
from vinculo.linkage.encoding import Encoder, Fields
from vinculo.linkage.record import BirthDate, Identifier, IdentifierKind, Sex
from vinculo.linkage.tests.test_encoding import person

FULL = Fields.GIVEN | Fields.FIRST_SURNAME | Fields.SECOND_SURNAME | Fields.BIRTH_YEAR | Fields.SEX
encoder = Encoder(bytes(range(32)))

SAME_PERSON = {
    "as written": (person(), Decision.HIT),
    "nickname": (person(given="chepe luis", canonical=(("jose",), ("luis",))), Decision.HIT),
    "spelling": (person(first="peres"), Decision.HIT),
    "second given name dropped": (person(given="jose"), Decision.HIT),
    "year-only birth date": (person(birth=BirthDate(1990)), Decision.HIT),
    "lost accents": (person(given="josé luis", first="pérez", second="garcía"), Decision.HIT),
    "day and month transposed": (person(birth=BirthDate(1990, 7, 3)), Decision.POSSIBLE),
    "second surname dropped": (person(second=""), Decision.POSSIBLE),
    "surnames swapped": (person(first="garcia", second="perez"), Decision.POSSIBLE),
}
OTHER_PEOPLE = {
    "brother": person(given="juan carlos", birth=BirthDate(1993, 5, 2)),
    "namesake, same year": person(given="jose", first="hernandez", second="lopez"),
    "same name, born a year later": person(birth=BirthDate(1991, 3, 7)),
    "stranger": person(given="maria", first="castillo", second="ramos", sex=Sex.FEMALE, birth=BirthDate(1975, 1, 30)),
}


def score(a: object, b: object) -> float:
    return dice(encoder.encode(a).words(), encoder.encode(b).words())  # type: ignore[arg-type]


@pytest.mark.parametrize("case", SAME_PERSON)
def test_the_same_person_written_differently_is_found(case: str) -> None:
    record, expected = SAME_PERSON[case]
    decision = classify(score(person(), record), query_fields=FULL, record_fields=FULL)
    # a variant may do better than documented, never worse
    assert {Decision.HIT: 2, Decision.POSSIBLE: 1, Decision.NO_HIT: 0}[decision] >= {
        Decision.HIT: 2,
        Decision.POSSIBLE: 1,
    }[expected], case


@pytest.mark.parametrize("case", OTHER_PEOPLE)
def test_other_people_are_no_hits(case: str) -> None:
    assert classify(score(person(), OTHER_PEOPLE[case]), query_fields=FULL, record_fields=FULL) is Decision.NO_HIT


def test_a_thin_record_never_makes_a_hit_on_its_own() -> None:
    assert classify(1.0, query_fields=Fields.SEX | Fields.BIRTH_YEAR, record_fields=FULL) is Decision.NO_HIT
    assert classify(1.0, query_fields=FULL, record_fields=Fields.FIRST_SURNAME) is Decision.NO_HIT
    empty = encoder.encode(person(given="", first="", second="", birth=None, sex=Sex.UNKNOWN))
    index = Index.from_encodings([empty, encoder.encode(person())])
    assert top_matches(index, empty, threshold=0.0) == []


def test_a_shared_identifier_is_strong_evidence_but_not_alone_a_hit() -> None:
    assert classify(0.5, query_fields=FULL, record_fields=FULL, shared_tokens=1) is Decision.POSSIBLE
    assert classify(POSSIBLE_THRESHOLD, query_fields=FULL, record_fields=FULL, shared_tokens=1) is Decision.HIT
    assert classify(0.0, query_fields=Fields.NONE, record_fields=FULL, shared_tokens=2) is Decision.POSSIBLE


def test_decide_takes_the_strongest_match() -> None:
    matches = [Match(1, 0.75, FULL), Match(2, 0.9, FULL), Match(3, 0.4, FULL)]
    assert decide(matches, query_fields=FULL) is Decision.HIT
    assert decide(matches[::2], query_fields=FULL) is Decision.POSSIBLE
    assert decide([], query_fields=FULL) is Decision.NO_HIT


def test_query_end_to_end_with_an_identifier() -> None:
    phone = Identifier(IdentifierKind.PHONE, "HN", "+50499998888")
    indexed = [person(), OTHER_PEOPLE["stranger"], person(given="ana", first="zelaya", identifiers=(phone,))]
    index = Index.from_encodings(encoder.encode_many(indexed))
    query = encoder.encode(person(given="ana", first="selaya", identifiers=(phone,)))
    assert decide(top_matches(index, query, k=3, threshold=POSSIBLE_THRESHOLD), query_fields=query.fields) is (
        Decision.HIT
    )


def test_thresholds_are_ordered() -> None:
    assert POSSIBLE_THRESHOLD < HIT_THRESHOLD
    with pytest.raises(ValueError, match="possible <= hit"):
        Thresholds(hit=0.7, possible=0.8)


def test_calibration_on_hand_made_labelled_pairs() -> None:
    query = person()
    positives = [score(query, r) for r, _ in SAME_PERSON.values()]
    negatives = [score(query, r) for r in OTHER_PEOPLE.values()]
    absent = negatives + [score(OTHER_PEOPLE["stranger"], r) for r, _ in SAME_PERSON.values()]
    result = calibrate(
        positives + negatives, [True] * len(positives) + [False] * len(negatives), absent_best_scores=absent
    )
    assert result.hit_precision == 1.0
    assert result.false_hits_per_1000_absent == 0.0
    assert result.thresholds.hit > max(negatives)
    assert result.hit_recall == 1.0  # on this tiny set every variant outscores every other person
    assert result.thresholds.possible <= result.thresholds.hit


def test_calibration_trades_recall_for_precision() -> None:
    scores = [0.95, 0.9, 0.85, 0.8, 0.75, 0.88, 0.7, 0.6]
    labels = [True, True, True, True, True, False, False, False]
    strict = calibrate(scores, labels, min_precision=0.99)
    assert strict.thresholds.hit == 0.9  # 0.88 is a non-match: stop above it
    assert strict.hit_recall == pytest.approx(0.4)
    loose = calibrate(scores, labels, min_precision=0.8)
    assert loose.thresholds.hit == 0.75
    assert loose.hit_recall == 1.0
    capped = calibrate(scores, labels, min_precision=0.8, absent_best_scores=[0.5] * 998 + [0.8, 0.8])
    assert capped.thresholds.hit > 0.8
    with pytest.raises(ValueError, match="at least one match"):
        calibrate([0.1], [False])


def test_thresholds_follow_the_size_of_the_index() -> None:
    from vinculo.linkage.classify import CALIBRATED_HIT, thresholds_for

    (small, small_hit), (large, large_hit) = CALIBRATED_HIT[0], CALIBRATED_HIT[-1]
    assert thresholds_for(small).hit == pytest.approx(small_hit)
    assert thresholds_for(large).hit == pytest.approx(large_hit)
    # clamped at both ends
    assert thresholds_for(0).hit == pytest.approx(small_hit)
    assert thresholds_for(10).hit == pytest.approx(small_hit)
    assert thresholds_for(large * 100).hit == pytest.approx(large_hit)
    # interpolated on log10 of the size: the geometric mean of two points sits halfway
    middle = round((small * large) ** 0.5)
    assert thresholds_for(middle).hit == pytest.approx((small_hit + large_hit) / 2, abs=1e-4)
    sizes = [1, 1_000, 5_000, 20_000, 50_000, 300_000, 10**7]
    hits = [thresholds_for(n).hit for n in sizes]
    assert hits == sorted(hits)
    for n in sizes:
        t = thresholds_for(n)
        assert t.possible <= t.hit
        assert t.clear_hit is not None
        assert t.hit <= t.clear_hit
    # the runner-up rule of each calibrated point comes with it
    from vinculo.linkage.classify import CALIBRATED

    for size, hit, clear_hit, min_gap in CALIBRATED:
        t = thresholds_for(size)
        assert (t.hit, t.clear_hit, t.min_gap) == pytest.approx((hit, clear_hit, min_gap))
        assert t.scan <= t.hit - t.min_gap + 1e-9
    with pytest.raises(ValueError, match="negative"):
        thresholds_for(-1)


def test_the_runner_up_rule_turns_a_close_second_into_a_possible() -> None:
    limits = Thresholds(hit=0.8, possible=0.7, clear_hit=0.9, min_gap=0.15)
    # well clear of the runner-up: a hit; close to it: a possible; at clear_hit: a hit anyway
    assert classify(0.85, query_fields=FULL, record_fields=FULL, thresholds=limits, runner_up=0.6) is Decision.HIT
    assert classify(0.85, query_fields=FULL, record_fields=FULL, thresholds=limits, runner_up=0.75) is (
        Decision.POSSIBLE
    )
    assert classify(0.92, query_fields=FULL, record_fields=FULL, thresholds=limits, runner_up=0.91) is Decision.HIT
    # no runner-up seen: the rule has nothing to compare with
    assert classify(0.85, query_fields=FULL, record_fields=FULL, thresholds=limits) is Decision.HIT
    # a shared identifier still makes a possible score a hit
    assert (
        classify(0.85, query_fields=FULL, record_fields=FULL, shared_tokens=1, thresholds=limits, runner_up=0.8)
        is Decision.HIT
    )
    # the default thresholds have no runner-up rule
    assert classify(0.85, query_fields=FULL, record_fields=FULL, runner_up=0.84) is Decision.HIT
    assert limits.scan == pytest.approx(0.65)
    with pytest.raises(ValueError, match="clear_hit"):
        Thresholds(hit=0.8, possible=0.7, clear_hit=0.75)


def test_decide_compares_the_best_match_with_the_next() -> None:
    limits = Thresholds(hit=0.8, possible=0.7, clear_hit=0.9, min_gap=0.15)
    assert decide([Match(1, 0.85, FULL), Match(2, 0.6, FULL)], query_fields=FULL, thresholds=limits) is Decision.HIT
    close = [Match(1, 0.85, FULL), Match(2, 0.78, FULL)]
    assert decide(close, query_fields=FULL, thresholds=limits) is Decision.POSSIBLE
    # a runner-up without the fields a decision needs does not count
    thin = [Match(1, 0.85, FULL), Match(2, 0.84, Fields.SEX | Fields.BIRTH_YEAR)]
    assert decide(thin, query_fields=FULL, thresholds=limits) is Decision.HIT
    # two records tied at the top: neither stands out
    assert decide([Match(1, 0.85, FULL), Match(2, 0.85, FULL)], query_fields=FULL, thresholds=limits) is (
        Decision.POSSIBLE
    )
    assert decide([Match(1, 0.95, FULL), Match(2, 0.95, FULL)], query_fields=FULL, thresholds=limits) is Decision.HIT


def test_runner_up_calibration_uses_the_gap_only_when_it_finds_more() -> None:
    from vinculo.linkage.classify import calibrate_runner_up

    # true matches stand out from their runner-up; absent people's best scores sit close to theirs
    matches = [0.95, 0.9, 0.86, 0.84, 0.82, 0.81]
    match_second = [0.6, 0.62, 0.6, 0.61, 0.6, 0.62]
    absent = [0.85, 0.83, 0.7, 0.65] + [0.6] * 996
    absent_second = [0.82, 0.8, 0.68, 0.6] + [0.55] * 996
    result = calibrate_runner_up(
        matches + absent[:4],
        [True] * 6 + [False] * 4,
        match_second + absent_second[:4],
        absent_best_scores=absent,
        absent_runner_ups=absent_second,
        max_false_hits_per_1000=0.0,
    )
    t = result.thresholds
    assert t.clear_hit is not None
    assert t.min_gap > 0.0
    assert result.hit_recall == 1.0
    assert result.false_hits_per_1000_absent == 0.0
    plain = calibrate(
        matches + absent[:4], [True] * 6 + [False] * 4, absent_best_scores=absent, max_false_hits_per_1000=0.0
    )
    assert plain.hit_recall < 1.0  # without the runner-up, 0.85 absent blocks every score below it
    # when the runner-up does not separate anyone, the plain threshold is kept
    same = calibrate_runner_up(
        matches,
        [True] * 6,
        [0.0] * 6,
        absent_best_scores=[0.5] * 10,
        absent_runner_ups=[0.0] * 10,
    )
    assert same.thresholds.clear_hit is None
