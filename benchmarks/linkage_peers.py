"""The peers of the quality benchmark (benchmarks/linkage_quality.py): Splink, recordlinkage, clkhash + anonlink.

None of them is a project dependency: `make bench-peers-install` installs the pinned versions of
benchmarks/requirements-peers.txt into the venv, and every import here is lazy, so the project's
tests never need them.

Every peer gets the same clear-text input, the columns of ``clear_frame``: Vínculo's own reading
of each record (``normalise``: accents and case folded, particles split off, a married form
"López de Pérez" read as the maiden surname, full names split into parts, dates in every house
layout read with their precision). This is generous to the peers: it gives them our parser for
free, and only leaves out what is Vínculo's own matching knowledge (nickname resolution, the
Spanish phonetic key, identifier tokens). A peer given raw text would do worse, not better.

Each ``run_*`` function links queries to an index and returns, for every query, the position of
its best index candidate (-1 when it has none) and that candidate's score, on the peer's own
scale (Splink: match weight; recordlinkage: ECM match probability; anonlink: Dice after the
greedy 1:1 solver). The harness turns those into hits with a threshold.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import types
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import numpy as np

from vinculo.linkage.record import PersonRecord

BLOCKING_PASSES = (
    ("surname1", "birth_year"),
    ("given1", "birth_year"),
    ("surname1", "surname2"),
    ("given1", "surname1"),
)
"""The blocking passes Splink and recordlinkage use: the same four as Vínculo's ``Blocker.keys``
(in clear text and without the phonetic key), so that no peer loses a pair to blocking that
Vínculo's batch blocking would keep."""


@dataclass
class PeerRun:
    """What one peer produced for one data set."""

    best: np.ndarray  # int64[Q]: index position of the best candidate, -1 for none
    score: np.ndarray  # float64[Q]: its score (nan for none)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    pairs: int = 0  # candidate pairs scored
    notes: list[str] = field(default_factory=list)
    extra_scores: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # variants: (best, score)
    model: dict[str, Any] | None = None  # a trained model, where the peer has one to carry over


def versions() -> dict[str, str]:
    """Installed versions of the peers (and what they run on), for the report."""
    out = {}
    for name in ("splink", "duckdb", "recordlinkage", "pandas", "clkhash", "anonlink", "bitarray", "jellyfish"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


# ----------------------------------------------------------------------------------------------
# Clear-text input
# ----------------------------------------------------------------------------------------------


def clear_rows(records: list[PersonRecord]) -> dict[str, list[Any]]:
    """Column lists of the clear-text input every peer reads (None where the record has nothing)."""
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "uid",
            "given",
            "given1",
            "surname1",
            "surname2",
            "dob",
            "birth_year",
            "birth_month",
            "birth_day",
            "sex",
        )
    }
    for i, record in enumerate(records):
        name = record.name
        birth = record.birth
        cols["uid"].append(i)
        cols["given"].append(" ".join(name.given) or None)
        cols["given1"].append(name.given[0] if name.given else None)
        cols["surname1"].append(name.first_surname or None)
        cols["surname2"].append(name.second_surname or None)
        full = birth is not None and birth.month is not None and birth.day is not None
        cols["dob"].append(f"{birth.year:04d}-{birth.month:02d}-{birth.day:02d}" if full and birth else None)
        cols["birth_year"].append(birth.year if birth else None)
        cols["birth_month"].append(birth.month if birth else None)
        cols["birth_day"].append(birth.day if birth else None)
        cols["sex"].append(str(record.sex.value) or None)
    return cols


def clear_frame(records: list[PersonRecord]) -> Any:
    import pandas as pd

    frame = pd.DataFrame(clear_rows(records))
    for column in ("birth_year", "birth_month", "birth_day"):
        frame[column] = frame[column].astype("Int64")
    return frame


def _best_per_query(query_pos: np.ndarray, index_pos: np.ndarray, score: np.ndarray, n_queries: int) -> tuple:
    """The highest-scoring pair of each query (ties: the lower index position)."""
    best = np.full(n_queries, -1, dtype=np.int64)
    best_score = np.full(n_queries, np.nan)
    if query_pos.size == 0:
        return best, best_score
    order = np.lexsort((index_pos, -score, query_pos))
    q_sorted = query_pos[order]
    first = np.ones(q_sorted.size, dtype=bool)
    first[1:] = q_sorted[1:] != q_sorted[:-1]
    chosen = order[first]
    best[query_pos[chosen]] = index_pos[chosen]
    best_score[query_pos[chosen]] = score[chosen]
    return best, best_score


# ----------------------------------------------------------------------------------------------
# Splink (DuckDB backend)
# ----------------------------------------------------------------------------------------------

SPLINK_MODEL = """NameComparison(given1, TF), NameComparison(surname1, TF), NameComparison(surname2),
JaroWinkler(given, 0.9/0.7) on all given names, a birth-date comparison (exact, day and month
swapped, same year and month, same year, year one off with the same day and month, else; null
when either side has no year), ExactMatch(sex); λ from a deterministic rule (given1 + surname1
+ dob, recall 0.7), u by random sampling (5M pairs, seed 1), m by EM under block_on(dob) and
block_on(given1, surname1); predictions under the four blocking passes."""


def splink_settings() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            cll.CustomLevel('"birth_year_l" IS NULL OR "birth_year_r" IS NULL', "null").configure(is_null_level=True),
            cll.CustomLevel('"dob_l" = "dob_r"', "exact"),
            cll.CustomLevel(
                '"birth_year_l" = "birth_year_r" AND "birth_month_l" = "birth_day_r" '
                'AND "birth_day_l" = "birth_month_r"',
                "day and month swapped",
            ),
            cll.CustomLevel(
                '"birth_year_l" = "birth_year_r" AND "birth_month_l" = "birth_month_r"', "same year, month"
            ),
            cll.CustomLevel('"birth_year_l" = "birth_year_r"', "same year"),
            cll.CustomLevel(
                'abs("birth_year_l" - "birth_year_r") = 1 AND "birth_month_l" = "birth_month_r" '
                'AND "birth_day_l" = "birth_day_r"',
                "year one off",
            ),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="link_only",
        unique_id_column_name="uid",
        comparisons=[
            cl.NameComparison("given1").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname1").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname2"),
            cl.JaroWinklerAtThresholds("given", [0.9, 0.7]),
            birth,
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[block_on(*p) for p in BLOCKING_PASSES],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


SPLINK_LABELLED_MODEL = """The same comparisons and blocking; u by random sampling (5M pairs, seed 1) and m
from the true pairs (``estimate_m_from_pairwise_labels``), λ = true pairs / all pairs, all on the
calibration set; the model is then applied unchanged to the evaluation set (no training there).
EM on this population misestimates the birth-date levels (m(exact date) came out at 0.06: the
training blocks are full of namesakes), which is why this variant exists."""


def run_splink(
    index_df: Any, query_df: Any, *, labels: list[tuple[int, int]] | None = None, model: dict | None = None
) -> PeerRun:
    """Splink trained by EM on the data (default), by labels (``labels``: true (index, query) pairs), or not at all
    (``model``: a model trained elsewhere, applied as it is). The trained model is returned in ``PeerRun.model``."""
    import pandas as pd
    from splink import DuckDBAPI, Linker, block_on

    for name in ("splink", "duckdb"):
        logging.getLogger(name).setLevel(logging.ERROR)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    db_api = DuckDBAPI()
    left = db_api.register(index_df, table_name="vinculo_index")
    right = db_api.register(query_df, table_name="vinculo_queries")
    linker = Linker([left, right], model if model is not None else splink_settings(), log_level=logging.ERROR)
    if model is None and labels is None:
        linker.training.estimate_probability_two_random_records_match(
            [block_on("given1", "surname1", "dob")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("given1", "surname1"))
    elif model is None and labels is not None:
        linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
        table = pd.DataFrame(
            {
                "source_dataset_l": "vinculo_index",
                "uid_l": [i for i, _ in labels],
                "source_dataset_r": "vinculo_queries",
                "uid_r": [q for _, q in labels],
            }
        )
        registered = linker.table_management.register_table(table, "vinculo_labels", overwrite=True)
        linker.training.estimate_m_from_pairwise_labels(registered)
    trained = linker.misc.save_model_to_json()
    if model is None and labels is not None:
        trained["probability_two_random_records_match"] = len(labels) / (len(index_df) * len(query_df))
        linker = Linker([left, right], trained, log_level=logging.ERROR)
    timings["train"] = time.perf_counter() - started
    started = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_weight=-20).as_pandas_dataframe()
    timings["predict"] = time.perf_counter() - started
    if predictions.empty:
        return PeerRun(np.full(len(query_df), -1), np.full(len(query_df), np.nan), timings, 0, model=trained)
    left_is_index = (predictions["source_dataset_l"] == "vinculo_index").to_numpy()
    uid_l = predictions["uid_l"].to_numpy(dtype=np.int64)
    uid_r = predictions["uid_r"].to_numpy(dtype=np.int64)
    index_pos = np.where(left_is_index, uid_l, uid_r)
    query_pos = np.where(left_is_index, uid_r, uid_l)
    weight = predictions["match_weight"].to_numpy(dtype=np.float64)
    best, score = _best_per_query(query_pos, index_pos, weight, len(query_df))
    return PeerRun(best, score, timings, len(predictions), model=trained)


# ----------------------------------------------------------------------------------------------
# recordlinkage
# ----------------------------------------------------------------------------------------------

RECORDLINKAGE_MODEL = """Block on each of the four passes (union); comparison vector: Jaro-Winkler similarity
of given1, surname1, surname2 and all given names (0 when missing), exact dob, exact birth year,
exact sex; score = the sum of the vector (0-7), a threshold on it decides. recordlinkage's
ECMClassifier was tried on the thresholded (binary) vector and is reported beside it: on these
candidate pairs it converges to "first given name agrees" (the blocking passes make most pairs
agree on a name), so its match probability ranks the pairs worse than the plain sum."""


def run_recordlinkage(index_df: Any, query_df: Any) -> PeerRun:
    import recordlinkage

    timings: dict[str, float] = {}
    started = time.perf_counter()
    left = index_df.set_index("uid")
    right = query_df.set_index("uid")
    indexer = recordlinkage.Index()
    for columns in BLOCKING_PASSES:
        indexer.block(left_on=list(columns), right_on=list(columns))
    # pandas blocks on nulls never (NaN != NaN): a record without a year is paired by the name passes
    pairs = indexer.index(left, right)
    timings["index"] = time.perf_counter() - started
    started = time.perf_counter()
    compare = recordlinkage.Compare()
    for column in ("given1", "surname1", "surname2", "given"):
        compare.string(column, column, method="jarowinkler", missing_value=0, label=column)
    compare.exact("dob", "dob", missing_value=0, label="dob")
    compare.exact("birth_year", "birth_year", missing_value=0, label="birth_year")
    compare.exact("sex", "sex", missing_value=0, label="sex")
    features = compare.compute(pairs, left, right)
    timings["compare"] = time.perf_counter() - started
    total = features.sum(axis=1)
    index_pos = features.index.get_level_values(0).to_numpy(dtype=np.int64)
    query_pos = features.index.get_level_values(1).to_numpy(dtype=np.int64)
    best, score = _best_per_query(query_pos, index_pos, total.to_numpy(dtype=np.float64), len(query_df))
    run = PeerRun(best, score, timings, len(pairs))
    # ECM on the binary vector, for the record (not used for the answers)
    started = time.perf_counter()
    try:
        classifier = recordlinkage.ECMClassifier(binarize=None)
        binary = (features >= 0.85).astype(int)
        classifier.fit(binary)
        prob = classifier.prob(binary).to_numpy(dtype=np.float64)
        run.extra_scores["ecm"] = _best_per_query(query_pos, index_pos, prob, len(query_df))
    except Exception as error:  # ECM is a side note; never lose the main result to it
        run.notes.append(f"ECM failed: {type(error).__name__}: {error}")
    timings["ecm"] = time.perf_counter() - started
    return run


# ----------------------------------------------------------------------------------------------
# clkhash + anonlink
# ----------------------------------------------------------------------------------------------

ANONLINK_FLOOR = 0.7  # candidates below this Dice are never generated (no threshold goes that low)


def clkhash_schema() -> dict[str, Any]:
    """A linkage schema (v3) for our fields: one 1024-bit CLK per record, BLAKE2 hashing.

    Names as bigrams, the birth date as positional unigrams of YYYYMMDD (so a year-only date
    shares its first four positions), sex as one exact token; k per token chosen so that about
    half the bits are set for a typical record, as clkhash's research notes advise.
    """

    def text(name: str, k: int) -> dict[str, Any]:
        return {
            "identifier": name,
            "format": {"type": "string", "encoding": "utf-8"},
            "hashing": {
                "comparison": {"type": "ngram", "n": 2},
                "strategy": {"bitsPerToken": k},
                "hash": {"type": "blakeHash"},
                "missingValue": {"sentinel": ""},
            },
        }

    return {
        "version": 3,
        "clkConfig": {
            "l": 1024,
            "kdf": {
                "type": "HKDF",
                "hash": "SHA256",
                "salt": "U2VlZCBmb3IgdGhlIGJlbmNobWFyayBvbmx5",
                "info": "",
                "keySize": 64,
            },
        },
        "features": [
            {"identifier": "uid", "ignored": True},
            text("given", 12),
            text("surname1", 15),
            text("surname2", 12),
            {
                "identifier": "dob",
                "format": {"type": "string", "encoding": "utf-8"},
                "hashing": {
                    "comparison": {"type": "ngram", "n": 1, "positional": True},
                    "strategy": {"bitsPerToken": 15},
                    "hash": {"type": "blakeHash"},
                    "missingValue": {"sentinel": ""},
                },
            },
            {
                "identifier": "sex",
                "format": {"type": "string", "encoding": "utf-8"},
                "hashing": {
                    "comparison": {"type": "exact"},
                    "strategy": {"bitsPerToken": 10},
                    "hash": {"type": "blakeHash"},
                    "missingValue": {"sentinel": ""},
                },
            },
        ],
    }


ANONLINK_MODEL = """clkhash schema v3 written for our fields (given names, surname1, surname2 as bigrams;
the birth date as positional unigrams of YYYYMMDD, year-only dates as YYYY; sex exact; 1024
bits, BLAKE2, HKDF), one process; anonlink find_candidate_pairs (Dice ≥ 0.7, accelerated
kernel) and greedy_solve (1:1); score = Dice of the pair the solver keeps."""


def _pii_rows(frame: Any) -> list[list[str]]:
    rows = []
    for uid, given, s1, s2, year, month, day, sex in zip(
        frame["uid"],
        frame["given"],
        frame["surname1"],
        frame["surname2"],
        frame["birth_year"],
        frame["birth_month"],
        frame["birth_day"],
        frame["sex"],
        strict=True,
    ):
        birth = ""
        if _present(year):
            birth = f"{int(year):04d}"
            if _present(month):
                birth += f"{int(month):02d}"
                if _present(day):
                    birth += f"{int(day):02d}"
        rows.append([str(uid), given or "", s1 or "", s2 or "", birth, sex or ""])
    return rows


def _present(value: Any) -> bool:
    import pandas as pd

    return value is not None and not pd.isna(value)


def _import_anonlink() -> Any:
    if "pkg_resources" not in sys.modules:
        try:
            import pkg_resources  # noqa: F401
        except ImportError:
            # anonlink 0.15.3 reads its own version through pkg_resources, gone from recent setuptools
            shim = types.ModuleType("pkg_resources")
            shim.get_distribution = lambda name: types.SimpleNamespace(version=metadata.version(name))  # type: ignore[attr-defined]
            sys.modules["pkg_resources"] = shim
    import anonlink

    return anonlink


def run_anonlink(index_df: Any, query_df: Any) -> PeerRun:
    anonlink = _import_anonlink()
    from clkhash import clk
    from clkhash.schema import from_json_dict

    schema = from_json_dict(json.loads(json.dumps(clkhash_schema())))
    secret = "benchmark secret, not a real key"  # noqa: S105
    timings: dict[str, float] = {}
    index_rows, query_rows = _pii_rows(index_df), _pii_rows(query_df)
    started = time.perf_counter()
    index_clks = clk.generate_clks(index_rows, schema, secret, validate=False, max_workers=1)
    query_clks = clk.generate_clks(query_rows, schema, secret, validate=False, max_workers=1)
    timings["encode"] = time.perf_counter() - started
    started = time.perf_counter()
    candidates = anonlink.candidate_generation.find_candidate_pairs(
        [index_clks, query_clks], anonlink.similarities.dice_coefficient_accelerated, ANONLINK_FLOOR
    )
    timings["candidates"] = time.perf_counter() - started
    started = time.perf_counter()
    groups = anonlink.solving.greedy_solve(candidates)
    timings["solve"] = time.perf_counter() - started
    # the solver's groups back to (query, index) pairs with the Dice of the pair
    sims, _datasets, (rec0, rec1) = candidates
    score_of = {(int(a), int(b)): float(s) for s, a, b in zip(sims, rec0, rec1, strict=True)}
    best = np.full(len(query_rows), -1, dtype=np.int64)
    best_score = np.full(len(query_rows), np.nan)
    for group in groups:
        members = dict(group)  # dataset index -> record index
        if 0 in members and 1 in members:
            i, q = int(members[0]), int(members[1])
            best[q] = i
            best_score[q] = score_of[(i, q)]
    # greedy_solve is threshold-consistent: the mapping at any t ≥ the floor is this one
    # restricted to pairs with Dice ≥ t (pairs are taken in descending order of Dice)
    return PeerRun(best, best_score, timings, len(sims))
