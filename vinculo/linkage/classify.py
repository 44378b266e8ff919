"""Hit / possible / no-hit from a Dice score and identifier-token agreement, and threshold calibration.

``HIT_THRESHOLD`` and ``POSSIBLE_THRESHOLD`` (the defaults of ``Thresholds()``) are the
provisional constants read off two preliminary 10,000-record runs under ``vinculo-bf-1`` (at
0.82, precision ≥ 0.998 and 0-1.2 absent-person queries per 1,000 reaching a hit; at 0.70, about
20 per 1,000 reaching a possible); hardened filters score unrelated records about 0.4-0.55 and
the same person written the same way 1.0. The service should use ``thresholds_for``, whose
numbers come from the calibration run of the quality benchmark under ``vinculo-bf-3`` (below).

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
(``CALIBRATED``), with the runner-up rule: below ``clear_hit`` a hit must stand ``min_gap``
above the best other candidate, since an absent person's lookalikes seldom come alone (a common
name, the same year) while a true match usually stands out. ``Thresholds()`` keeps the
provisional constants without that rule.

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

# Thresholds for scheme vinculo-bf-3 chosen by ``calibrate_runner_up`` (precision ≥ 0.99, ≤ 1
# false hit per 1,000 absent-person queries, scan down to 0.55) on the synthetic calibration set
# of each size (seed 101, half the queries for absent people), printed by
# ``benchmarks/linkage_quality.py --size N --systems vinculo`` (docs/matching.md, Quality
# benchmark): (index records, hit, clear_hit, min_gap). At 10,000 records the rule found no
# more true matches than the plain threshold, so clear_hit = hit there (the rule is off).
#   10,000 records,  5,000 queries: hit 0.7741, no runner-up rule
#  100,000 records, 10,000 queries: hit 0.8123, clear hit 0.895, min gap 0.20
# The same calibration under two other benchmark keys gave hit 0.8575 / clear hit 0.875 and
# hit 0.8034 / clear hit 0.885 / min gap 0.25 at 100,000: the thresholds move with the key by
# a few hundredths (docs/matching.md).
CALIBRATED: tuple[tuple[int, float, float, float], ...] = (
    (10_000, 0.774, 0.774, 0.20),
    (100_000, 0.812, 0.895, 0.20),
)
CALIBRATED_HIT: tuple[tuple[int, float], ...] = tuple((size, hit) for size, hit, _, _ in CALIBRATED)


class Decision(StrEnum):
    HIT = "hit"
    POSSIBLE = "possible"
    NO_HIT = "no-hit"


_RANK = {Decision.NO_HIT: 0, Decision.POSSIBLE: 1, Decision.HIT: 2}


@dataclass(frozen=True)
class Thresholds:
    """Where the decision changes.

    ``hit`` and ``possible`` as before. ``clear_hit`` and ``min_gap`` add the runner-up rule: a
    score from ``hit`` up to (not including) ``clear_hit`` is a hit only when it stands at least
    ``min_gap`` above the best score of any other candidate (the runner-up); otherwise it is a
    possible. A score ≥ ``clear_hit`` is a hit whatever the runner-up. ``clear_hit=None`` (the
    default) turns the rule off: every score ≥ ``hit`` is a hit.
    """

    hit: float = HIT_THRESHOLD
    possible: float = POSSIBLE_THRESHOLD
    clear_hit: float | None = None
    min_gap: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.possible <= self.hit <= 1.0:
            raise ValueError("thresholds must satisfy 0 <= possible <= hit <= 1")
        if self.clear_hit is not None and not self.hit <= self.clear_hit <= 1.0:
            raise ValueError("thresholds must satisfy hit <= clear_hit <= 1")
        if not 0.0 <= self.min_gap <= 1.0:
            raise ValueError("min_gap must be between 0 and 1")

    @property
    def scan(self) -> float:
        """The lowest score a scan (``top_matches``) must return for the decision to see the runner-up."""
        if self.clear_hit is None:
            return self.possible
        return max(0.0, min(self.possible, self.hit - self.min_gap))

    def is_hit(self, score: float, runner_up: float | None = None) -> bool:
        """Whether a score makes a hit, given the best score of any other candidate (None: none seen)."""
        if score < self.hit:
            return False
        if self.clear_hit is None or score >= self.clear_hit or runner_up is None:
            return True
        return score - runner_up >= self.min_gap


def thresholds_for(index_size: int) -> Thresholds:
    """Thresholds for a query compared against an index of ``index_size`` records.

    ``hit``, ``clear_hit`` and ``min_gap`` are interpolated linearly on log10(index_size)
    between the calibrated points of ``CALIBRATED`` and clamped at the ends: an index smaller
    than the smallest calibrated size gets that size's thresholds (stricter than it needs), a
    larger one the largest size's (not calibrated beyond 100,000 records: docs/matching.md names
    this as open). The possible threshold is ``POSSIBLE_THRESHOLD``, never above ``hit``. A
    larger index holds closer lookalikes of every absent person: what rises with the size is
    ``clear_hit``, the score at which a hit no longer has to stand out from the runner-up.
    The scan feeding ``decide`` must go down to the result's ``scan``.
    """
    if index_size < 0:
        raise ValueError("an index cannot have a negative size")
    sizes = [math.log10(size) for size, *_ in CALIBRATED]
    at = math.log10(max(index_size, 1))
    hit, clear_hit, min_gap = (float(np.interp(at, sizes, [row[i] for row in CALIBRATED])) for i in (1, 2, 3))
    return Thresholds(hit=hit, possible=min(POSSIBLE_THRESHOLD, hit), clear_hit=max(hit, clear_hit), min_gap=min_gap)


def _enough(fields: Fields) -> bool:
    return (fields & REQUIRED_FIELDS) == REQUIRED_FIELDS


def classify(
    score: float,
    *,
    query_fields: Fields,
    record_fields: Fields,
    shared_tokens: int = 0,
    thresholds: Thresholds | None = None,
    runner_up: float | None = None,
) -> Decision:
    """The decision for one (query, record) pair.

    ``runner_up`` is the best score the query reached on any other record that could make a
    decision (None when there is none): only used by the runner-up rule of ``Thresholds``.
    """
    limits = thresholds or Thresholds()
    enough = _enough(query_fields) and _enough(record_fields)
    by_score = Decision.NO_HIT
    if enough and limits.is_hit(score, runner_up):
        by_score = Decision.HIT
    elif enough and score >= limits.possible:
        by_score = Decision.POSSIBLE
    if shared_tokens > 0:
        return Decision.HIT if by_score is not Decision.NO_HIT else Decision.POSSIBLE
    return by_score


def decide(matches: Iterable[Match], *, query_fields: Fields, thresholds: Thresholds | None = None) -> Decision:
    """The answer for a query: the strongest decision over its candidate matches.

    Each candidate's runner-up is the best score among the other candidates that have the
    fields a decision needs; a candidate below another one can so be a hit only at
    ``clear_hit``. The matches must come from a scan down to ``thresholds.scan``.
    """
    found = list(matches)
    usable = [m.score for m in found if _enough(query_fields) and _enough(m.fields)]
    ranked = sorted(usable, reverse=True)
    best = Decision.NO_HIT
    for match in found:
        runner_up: float | None = None
        if _enough(query_fields) and _enough(match.fields):
            # the best score among the others: the top one, unless this match is the top one
            others = ranked[1:] if ranked and ranked[0] == match.score else ranked
            runner_up = others[0] if others else None
        decision = classify(
            match.score,
            query_fields=query_fields,
            record_fields=match.fields,
            shared_tokens=match.shared_tokens,
            thresholds=thresholds,
            runner_up=runner_up,
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


GAP_GRID = (0.05, 0.10, 0.15, 0.20, 0.25)
CLEAR_HIT_GRID = tuple(round(0.70 + 0.005 * i, 3) for i in range(61))  # 0.700, 0.705, ..., 1.000


def calibrate_runner_up(
    scores: Sequence[float],
    is_match: Sequence[bool],
    runner_ups: Sequence[float],
    *,
    absent_best_scores: Sequence[float],
    absent_runner_ups: Sequence[float],
    min_precision: float = 0.99,
    max_false_hits_per_1000: float = 1.0,
    possible_recall: float = 0.99,
    gaps: Sequence[float] = GAP_GRID,
    clear_hits: Sequence[float] = CLEAR_HIT_GRID,
    scan_floor: float = 0.0,
) -> Calibration:
    """``calibrate`` with the runner-up rule: (hit, clear_hit, min_gap) chosen together.

    ``scores`` are the best score of each query (``is_match``: that candidate is the true
    record), ``runner_ups`` the best score of any other candidate of the same query (-inf when
    there is none); the same for the queries of absent people. For every ``min_gap`` of
    ``gaps`` and ``clear_hit`` of ``clear_hits``, the hit threshold is the lowest one meeting
    both constraints of ``calibrate`` (precision ≥ ``min_precision``, ≤
    ``max_false_hits_per_1000`` absent-person queries per 1,000 a hit); the combination that
    hits the most true matches is kept, and the rule is left off unless it hits more than the
    plain threshold. ``possible`` as in ``calibrate``.

    ``scan_floor`` is the lowest score the scan returned: a runner-up below it was not seen
    (-inf). Only rules with ``hit - min_gap >= scan_floor`` are kept, so that a runner-up the
    scan did not return could not have broken the rule either; the scan that serves the
    thresholds must then go down to ``Thresholds.scan``.
    """
    values = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(is_match, dtype=bool)
    second = np.asarray(runner_ups, dtype=np.float64)
    absent = np.asarray(absent_best_scores, dtype=np.float64)
    absent_second = np.asarray(absent_runner_ups, dtype=np.float64)
    if values.shape != labels.shape or values.shape != second.shape or not labels.any():
        raise ValueError("calibration needs one label and one runner-up per score and at least one match")
    if absent.shape != absent_second.shape:
        raise ValueError("one runner-up per absent-person score")
    plain = calibrate(
        values.tolist(),
        labels.tolist(),
        min_precision=min_precision,
        absent_best_scores=absent.tolist(),
        max_false_hits_per_1000=max_false_hits_per_1000,
        possible_recall=possible_recall,
    )
    best_right = int((labels & (values >= plain.thresholds.hit)).sum())
    best: Thresholds = plain.thresholds
    for gap in gaps:
        for clear in clear_hits:
            allowed = (values >= clear) | (values - second >= gap)
            allowed_absent = (absent >= clear) | (absent - absent_second >= gap)
            hit = _lowest_passing(
                values[allowed],
                labels[allowed],
                absent[allowed_absent],
                absent.size,
                min_precision,
                max_false_hits_per_1000,
            )
            right = int((labels & allowed & (values >= hit)).sum())
            if right > best_right and hit - gap >= scan_floor:
                best_right = right
                best = Thresholds(
                    hit=hit, possible=min(plain.thresholds.possible, hit), clear_hit=max(clear, hit), min_gap=gap
                )
    return _calibration(best, values, labels, second, absent, absent_second)


def _lowest_passing(
    values: np.ndarray,
    labels: np.ndarray,
    absent: np.ndarray,
    absent_total: int,
    min_precision: float,
    max_false_hits_per_1000: float,
) -> float:
    """The lowest threshold over ``values`` (and 1.0) meeting both constraints of ``calibrate``; 1.0 if none."""
    candidates = np.unique(np.concatenate([values, [1.0]]))
    chosen = values.size - np.searchsorted(np.sort(values), candidates, side="left")
    right = labels.sum() - np.searchsorted(np.sort(values[labels]), candidates, side="left")
    wrong_absent = absent.size - np.searchsorted(np.sort(absent), candidates, side="left")
    precision = np.where(chosen > 0, right / np.maximum(chosen, 1), 1.0)
    false_hits = 1000.0 * wrong_absent / absent_total if absent_total else np.zeros(candidates.size)
    passing = np.flatnonzero((precision >= min_precision) & (false_hits <= max_false_hits_per_1000))
    return float(candidates[passing[0]]) if passing.size else 1.0


def _calibration(
    limits: Thresholds,
    values: np.ndarray,
    labels: np.ndarray,
    second: np.ndarray,
    absent: np.ndarray,
    absent_second: np.ndarray,
) -> Calibration:
    hit = np.array([limits.is_hit(float(v), float(s)) for v, s in zip(values, second, strict=True)], dtype=bool)
    absent_hit = [limits.is_hit(float(v), float(s)) for v, s in zip(absent, absent_second, strict=True)]
    return Calibration(
        thresholds=limits,
        hit_precision=float(labels[hit].mean()) if hit.any() else 1.0,
        hit_recall=float(hit[labels].mean()),
        possible_recall=float((values[labels] >= limits.possible).mean()),
        false_hits_per_1000_absent=1000.0 * float(np.mean(absent_hit)) if absent.size else None,
    )
