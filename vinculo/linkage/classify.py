"""Hit / possible / no-hit from a Dice score and identifier-token agreement, and threshold calibration.

The thresholds below are for scheme ``vinculo-bf-1`` (hardened: unrelated records score about
0.4-0.55, the same person written the same way 1.0). They are provisional, read off two
preliminary runs on 10,000-record synthetic sets (seeds 7 and 11, 5,000 queries each, half of
them absent people; Bloom score only, no identifier tokens): at 0.82, precision ≥ 0.998 and
0-1.2 absent-person queries per 1,000 reach a hit; at 0.70, about 20 per 1,000 reach a possible
and 86-91 % of present people are at least a possible. The hand-made persons of the tests
(``test_classify``) agree. The calibration run on the finished benchmark, through ``calibrate``,
is still to be written (see docs/matching.md, "Encodings and hardening").

Rules, strongest first:

1. A shared identifier token (same phone, document, plate, e-mail or handle, canonical and
   keyed) is strong evidence: with a score at least ``possible`` it is a hit; alone it is a
   possible (a shared phone may be a family's or a smuggler's, not the same person).
2. The Bloom score decides only when both sides have at least a given name and a first surname
   (``REQUIRED_FIELDS``): a thin record (sex and a year, an empty or unreadable name) never
   makes a hit or a possible on its own.
3. score ≥ ``HIT_THRESHOLD`` → hit; ≥ ``POSSIBLE_THRESHOLD`` → possible; else no-hit.

The hit threshold depends on the size of the index a query is compared against: a larger index
holds closer lookalikes of every absent person, so the same false-hit rate needs a higher
threshold. ``thresholds_for(index_size)`` gives thresholds calibrated at the size of the index
(``CALIBRATED_HIT``); ``Thresholds()`` keeps the provisional constants.

The answer to another office is only the decision: never the score (scores fingerprint people,
research §1.4).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from vinculo.linkage.compare import Match
from vinculo.linkage.encoding import Fields

HIT_THRESHOLD = 0.82
POSSIBLE_THRESHOLD = 0.70
REQUIRED_FIELDS = Fields.GIVEN | Fields.FIRST_SURNAME

# (index records, hit threshold) chosen by ``calibrate`` (precision ≥ 0.99, ≤ 1 false hit per
# 1,000 absent-person queries) on the synthetic calibration set of that size (seed 101, half
# the queries absent people), scheme vinculo-bf-1, with
# ``benchmarks/linkage_quality.py --size N --systems vinculo`` (docs/matching.md, Quality
# benchmark): 0.7749 at 10,000 records (5,000 queries), 0.8738 at 100,000 (10,000 queries).
CALIBRATED_HIT: tuple[tuple[int, float], ...] = ((10_000, 0.775), (100_000, 0.874))


class Decision(StrEnum):
    HIT = "hit"
    POSSIBLE = "possible"
    NO_HIT = "no-hit"


_RANK = {Decision.NO_HIT: 0, Decision.POSSIBLE: 1, Decision.HIT: 2}


@dataclass(frozen=True)
class Thresholds:
    hit: float = HIT_THRESHOLD
    possible: float = POSSIBLE_THRESHOLD

    def __post_init__(self) -> None:
        if not 0.0 <= self.possible <= self.hit <= 1.0:
            raise ValueError("thresholds must satisfy 0 <= possible <= hit <= 1")


def thresholds_for(index_size: int) -> Thresholds:
    """Thresholds for a query compared against an index of ``index_size`` records.

    The hit threshold is interpolated linearly on log10(index_size) between the calibrated
    points of ``CALIBRATED_HIT`` and clamped at the ends: an index smaller than the smallest
    calibrated size gets that size's threshold (a stricter one than it needs), a larger one the
    largest size's (not calibrated beyond it: docs/matching.md names this as open). The
    possible threshold is ``POSSIBLE_THRESHOLD``, never above the hit threshold.
    """
    if index_size < 0:
        raise ValueError("an index cannot have a negative size")
    sizes = [math.log10(size) for size, _ in CALIBRATED_HIT]
    hits = [hit for _, hit in CALIBRATED_HIT]
    hit = float(np.interp(math.log10(max(index_size, 1)), sizes, hits))
    return Thresholds(hit=hit, possible=min(POSSIBLE_THRESHOLD, hit))


def classify(
    score: float,
    *,
    query_fields: Fields,
    record_fields: Fields,
    shared_tokens: int = 0,
    thresholds: Thresholds | None = None,
) -> Decision:
    """The decision for one (query, record) pair."""
    limits = thresholds or Thresholds()
    enough = (query_fields & REQUIRED_FIELDS) == REQUIRED_FIELDS and (
        record_fields & REQUIRED_FIELDS
    ) == REQUIRED_FIELDS
    by_score = Decision.NO_HIT
    if enough and score >= limits.hit:
        by_score = Decision.HIT
    elif enough and score >= limits.possible:
        by_score = Decision.POSSIBLE
    if shared_tokens > 0:
        return Decision.HIT if by_score is not Decision.NO_HIT else Decision.POSSIBLE
    return by_score


def decide(matches: Iterable[Match], *, query_fields: Fields, thresholds: Thresholds | None = None) -> Decision:
    """The answer for a query: the strongest decision over its candidate matches."""
    best = Decision.NO_HIT
    for match in matches:
        decision = classify(
            match.score,
            query_fields=query_fields,
            record_fields=match.fields,
            shared_tokens=match.shared_tokens,
            thresholds=thresholds,
        )
        if _RANK[decision] > _RANK[best]:
            best = decision
    return best


@dataclass(frozen=True)
class Calibration:
    """Thresholds chosen on labelled data, with what they achieve on it."""

    thresholds: Thresholds
    hit_precision: float
    hit_recall: float
    possible_recall: float
    false_hits_per_1000_absent: float | None


def calibrate(
    scores: Sequence[float],
    is_match: Sequence[bool],
    *,
    min_precision: float = 0.99,
    absent_best_scores: Sequence[float] | None = None,
    max_false_hits_per_1000: float = 1.0,
    possible_recall: float = 0.99,
) -> Calibration:
    """Choose thresholds on labelled pairs.

    ``hit``: the lowest threshold at which pairs scoring at or above it are matches with precision
    ≥ ``min_precision`` and, when ``absent_best_scores`` is given (the best score each query for
    an absent person reached), at most ``max_false_hits_per_1000`` of those queries per 1,000
    would be a hit. The lowest such threshold maximises recall under both constraints.
    ``possible``: the highest threshold that keeps ``possible_recall`` of the true matches at
    or above it, never above ``hit``.
    """
    values = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(is_match, dtype=bool)
    if values.shape != labels.shape or not labels.any():
        raise ValueError("calibration needs as many labels as scores and at least one match")
    absent = None if absent_best_scores is None else np.asarray(absent_best_scores, dtype=np.float64)
    candidates = np.unique(np.concatenate([values, [1.0]]))
    hit = 1.0
    # precision is not monotone in the threshold: test them all and keep the lowest that passes
    for threshold in candidates:
        chosen = values >= threshold
        precision = labels[chosen].mean() if chosen.any() else 1.0
        false_hits = 1000.0 * float((absent >= threshold).mean()) if absent is not None and absent.size else 0.0
        if precision >= min_precision and false_hits <= max_false_hits_per_1000:
            hit = float(threshold)
            break
    match_scores = np.sort(values[labels])
    keep = int(np.floor((1.0 - possible_recall) * match_scores.size))
    possible = min(hit, float(match_scores[keep]))
    chosen = values >= hit
    return Calibration(
        thresholds=Thresholds(hit=hit, possible=possible),
        hit_precision=float(labels[chosen].mean()) if chosen.any() else 1.0,
        hit_recall=float((values[labels] >= hit).mean()),
        possible_recall=float((values[labels] >= possible).mean()),
        false_hits_per_1000_absent=(
            1000.0 * float((absent >= hit).mean()) if absent is not None and absent.size else None
        ),
    )
