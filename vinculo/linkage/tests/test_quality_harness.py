"""The quality benchmark's pure parts (benchmarks/linkage_quality.py): answers, metrics, sweeps, calibration.

The peers (Splink, recordlinkage, clkhash, anonlink) are not needed: the harness imports them
lazily, and these tests check that loading it imports none of them.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"
PEER_PACKAGES = ("splink", "duckdb", "recordlinkage", "clkhash", "anonlink", "pandas")


def _load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


quality = _load("linkage_quality")
peers = _load("linkage_peers")
Answers = quality.Answers


def test_loading_the_harness_imports_no_peer() -> None:
    # pandas may come in through another test in the same process; the peers themselves must not
    loaded = [p for p in PEER_PACKAGES[:-1] if p in sys.modules]
    assert loaded == []


def small() -> Answers:
    # q0 present, right at 0.9; q1 present, wrong (a sibling) at 0.8; q2 present, no candidate;
    # q3 absent at 0.85 (a false hit above 0.85); q4 absent at 0.5
    return Answers(
        score=np.array([0.9, 0.8, np.nan, 0.85, 0.5]),
        correct=np.array([True, False, False, False, False]),
        present=np.array([True, True, True, False, False]),
    )


def test_metrics_at_a_threshold() -> None:
    m = quality.metrics_at(small(), 0.8)
    assert (m.queries, m.present, m.absent) == (5, 3, 2)
    assert (m.hits, m.right, m.wrong_present, m.false_absent) == (3, 1, 1, 1)
    assert m.precision == pytest.approx(1 / 3)
    assert m.recall == pytest.approx(1 / 3)
    assert m.f1 == pytest.approx(1 / 3)
    assert m.false_hits_per_1000_absent == pytest.approx(500.0)

    strict = quality.metrics_at(small(), 0.86)
    assert (strict.hits, strict.right, strict.false_absent) == (1, 1, 0)
    assert strict.precision == 1.0
    assert strict.false_hits_per_1000_absent == 0.0


def test_no_hit_at_all_has_precision_one_and_recall_zero() -> None:
    m = quality.metrics_at(small(), 2.0)
    assert (m.hits, m.precision, m.recall, m.f1) == (0, 1.0, 0.0, 0.0)


def test_an_absent_person_cannot_have_a_right_answer() -> None:
    with pytest.raises(ValueError, match="absent"):
        Answers(score=np.array([0.9]), correct=np.array([True]), present=np.array([False]))
    with pytest.raises(ValueError, match="one value per query"):
        Answers(score=np.array([0.9, 0.1]), correct=np.array([True]), present=np.array([True, True]))


def test_fallback_hits_count_whatever_the_threshold() -> None:
    answers = Answers(
        score=np.array([0.5, 0.4, -np.inf]),
        correct=np.array([False, False, False]),
        present=np.array([True, False, True]),
        fallback=np.array([True, True, False]),
        fallback_correct=np.array([True, False, False]),
    )
    m = quality.metrics_at(answers, 0.9)
    assert (m.hits, m.right, m.false_absent) == (2, 1, 1)
    # at a low threshold the top candidate answers instead (here: wrong)
    low = quality.metrics_at(answers, 0.3)
    assert (low.hits, low.right, low.wrong_present, low.false_absent) == (2, 0, 1, 1)


def random_answers(rng: np.random.Generator, n: int) -> Answers:
    present = rng.random(n) < 0.5
    score = np.round(rng.random(n), 2)  # ties on purpose
    score[rng.random(n) < 0.1] = -np.inf
    correct = present & (rng.random(n) < 0.8) & np.isfinite(score)
    fallback = rng.random(n) < 0.2
    fallback_correct = fallback & present & (rng.random(n) < 0.7)
    return Answers(score, correct, present, fallback, fallback_correct)


@pytest.mark.parametrize("seed", range(5))
def test_sweep_agrees_with_metrics_at_every_threshold(seed: int) -> None:
    answers = random_answers(np.random.default_rng(seed), 300)
    thresholds, table = quality.sweep(answers)
    assert thresholds[0] == math.inf
    assert list(thresholds[1:]) == sorted(set(answers.score[np.isfinite(answers.score)].tolist()), reverse=True)
    for t, m in zip(thresholds, table, strict=True):
        assert m == quality.metrics_at(answers, t)


def test_recall_at_precision_and_best_f1() -> None:
    answers = small()
    recall, at = quality.recall_at_precision(answers, 0.99)
    assert (recall, at) == (pytest.approx(1 / 3), 0.9)
    f1, at = quality.best_f1(answers)
    assert at == 0.9
    assert f1 == pytest.approx(0.5)
    nothing = Answers(np.array([0.9]), np.array([False]), np.array([False]))
    assert quality.recall_at_precision(nothing) == (0.0, math.inf)


def test_at_recall_reads_the_false_hits_where_recall_first_reaches_the_goal() -> None:
    m, at = quality.at_recall(small(), 1 / 3)
    assert at == 0.9
    assert (m.right, m.false_absent) == (1, 0)
    m, at = quality.at_recall(small(), 0.95)  # q1 is never right, q2 has no candidate
    assert m is None
    assert math.isnan(at)


def test_calibrate_threshold_takes_the_lowest_that_passes() -> None:
    # present and right at 0.95, 0.9, 0.8; an absent person at 0.85; 1,000 absent people at 0.1
    n_absent = 1000
    score = np.concatenate([[0.95, 0.9, 0.8, 0.85], np.full(n_absent, 0.1)])
    correct = np.concatenate([[True, True, True, False], np.zeros(n_absent, bool)])
    present = np.concatenate([[True, True, True, False], np.zeros(n_absent, bool)])
    answers = Answers(score, correct, present)
    # at 0.8 precision is 3/4: not enough; 0.9 is the lowest with precision 1 and no false hit
    assert quality.calibrate_threshold(answers) == 0.9
    # allowing 1 false hit per 1,000 absent is not enough either at 0.85 (precision 2/3)
    assert quality.calibrate_threshold(answers, min_precision=0.5, max_false_hits_per_1000=0.5) == 0.9
    assert quality.calibrate_threshold(answers, min_precision=0.5, max_false_hits_per_1000=1.0) == 0.8
    # nothing passes: no threshold
    never = Answers(np.array([0.9]), np.array([False]), np.array([True]))
    assert quality.calibrate_threshold(never) == math.inf


def test_breakdown_by_label() -> None:
    labels = [("typo",), ("typo", "nickname"), (), ("absent_sibling",), ("absent_random", "typo")]
    per = quality.breakdown(small(), 0.8, labels)
    assert set(per) == {"typo", "nickname", "absent_sibling", "absent_random"}
    assert (per["typo"].present, per["typo"].right, per["typo"].wrong_present) == (2, 1, 1)
    assert per["typo"].absent == 1
    assert per["absent_sibling"].false_absent == 1
    assert per["absent_random"].false_absent == 0


def test_office_country_from_synthetic_ids() -> None:
    assert quality.office_country("GT-4839201") == "GT"
    assert quality.office_country("Q-CR-000001") == "CR"
    assert quality.office_country("rec-1070-org") == ""


def test_best_per_query_keeps_the_highest_score_and_breaks_ties_by_position() -> None:
    query = np.array([0, 0, 1, 1, 1])
    index = np.array([7, 3, 4, 2, 9])
    score = np.array([0.5, 0.9, 0.7, 0.7, 0.1])
    best, best_score = peers._best_per_query(query, index, score, 3)
    assert best.tolist() == [3, 2, -1]
    assert best_score[:2].tolist() == [0.9, 0.7]
    assert math.isnan(best_score[2])


def test_clkhash_schema_names_every_clear_column_in_order() -> None:
    schema = peers.clkhash_schema()
    identifiers = [f["identifier"] for f in schema["features"]]
    assert identifiers == ["uid", "given", "surname1", "surname2", "dob", "sex"]
    assert schema["clkConfig"]["l"] == 1024
