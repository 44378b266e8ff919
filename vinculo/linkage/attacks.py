"""Attacks on Vínculo's Bloom-filter encodings: what someone holding encodings, but not the key, learns.

The attacker model (docs/matching.md, "Privacy evaluation"): the attacker holds a set of
encodings (an office's index, a hub's batch upload) but not the network match key; knows the
scheme and its parameters (fields, bigrams, phonetic keys, bits per token, hardening); and knows
the population's name distribution exactly (``synthetic.name_frequencies``, the best case for the
attacker). It cannot compute the bits of a guessed name (keyed hashing), so it must learn the
bit patterns of names and q-grams from the encodings themselves.

Four attacks, all on the record-level filters as the index stores them:

- ``frequency_attack``: frequency alignment of whole values. Bits that (almost) always co-occur
  with a seed bit are mined as a pattern; patterns the size of a whole name's mask are aligned
  with the name list by frequency and by the number of bits the scheme predicts for that name.
  A record is named when it holds exactly one aligned pattern of a kind (first surname, first
  given name).
- ``salt_aware_frequency_attack``: the same inside birth-year cells, for an attacker who knows
  that names are salted with the (unsalted, so recognisable) birth year.
- ``pattern_mining_attack``: in the spirit of Christen, Ranbaduge, Vatsalan & Schnell (PAKDD
  2018): the same mined patterns, now the small ones (one q-gram's bits), are aligned with
  (field, bigram) features by frequency and then by co-occurrence with the features already
  aligned; a record's name is the one name of the list whose aligned bigrams match the
  aligned patterns the record holds.
- ``spectral_attack``: record groups along principal components, aligned with names by
  frequency, for filters where no bit co-occurs reliably (the diffusion layer).

All only guess when one name fits (a confident guess); ``score`` counts the guesses that
are right. Pure Python and numpy; nothing here needs the key except ``score``'s ground truth,
which reads the clear-text records.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

import numpy as np

from vinculo.linkage.encoding import BITS_PER_TOKEN, FILTER_BITS, bigrams
from vinculo.linkage.normalise import normalise
from vinculo.linkage.record import PersonRecord, RawPerson

Token = tuple[str, str]  # (field, bigram): ("surname1", "ez"), ("surnames", "ez"), ("given", "ma")
TOKEN_FIELDS = ("surname1", "surnames", "given")


def filter_bits(words: np.ndarray) -> np.ndarray:
    """``uint64[N, FILTER_WORDS]`` filters (``Encoder.encode_matrix``) as a ``uint8[N, FILTER_BITS]`` 0/1 matrix."""
    packed = np.ascontiguousarray(words, dtype="<u8").view(np.uint8)
    return np.unpackbits(packed, axis=1, bitorder="little")[:, :FILTER_BITS]


# ------------------------------------------------------------------------------------------------
# What the attacker knows: the name distribution
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlainPerson:
    first_surname: str
    second_surname: str
    given: tuple[str, ...]


@dataclass
class NameModel:
    """The attacker's plaintext knowledge: a large sample drawn from the true name distribution.

    ``first_surname`` and ``given_first`` are the probabilities of each normalised first surname
    and first given name; ``tokens`` the probability that a record has each (field, bigram)
    feature, ``token_pairs`` that it has two of them (both from the sample).
    """

    first_surname: dict[str, float]
    given_first: dict[str, float]
    given_any: dict[str, float]
    second_surname: dict[str, float]
    either_surname: dict[str, float]
    tokens: list[Token]
    token_freq: np.ndarray
    token_pairs: np.ndarray
    female_share: dict[str, float] = field(default_factory=dict)  # given name -> share of its bearers who are women


@cache
def _normalised_surname(name: str) -> str:
    return normalise(RawPerson(record_id="model", first_surname=name)).name.first_surname


@cache
def _normalised_given(entry: str) -> tuple[str, ...]:
    return normalise(RawPerson(record_id="model", given_names=entry)).name.given


def record_tokens(first_surname: str, second_surname: str, given: Sequence[str]) -> set[Token]:
    """The (field, bigram) features of a name, as the scheme hashes them (before salt and keys)."""
    out: set[Token] = {("surname1", g) for g in bigrams(first_surname)} if first_surname else set()
    for surname in (first_surname, second_surname):
        if surname:
            out.update(("surnames", g) for g in bigrams(surname))
    for name in given:
        out.update(("given", g) for g in bigrams(name))
    return out


def name_model(*, sample_size: int = 100_000, seed: int = 0, second_given_rate: float = 0.5) -> NameModel:
    """The attacker's model from ``synthetic.name_frequencies`` of the eight countries, weighted by country share.

    ``second_given_rate``: how often a one-name entry gets a second given name (the generator's
    rate is 0.55 outside Belize; the attacker is assumed to know it roughly).
    """
    from vinculo.linkage import synthetic

    rng = random.Random(f"vinculo-attack-model:{seed}")  # noqa: S311 - a model sample, not a secret
    tables = {c: synthetic.name_frequencies(c) for c in synthetic.COUNTRIES}
    pools = {
        c: {kind: (list(d.keys()), np.cumsum(list(d.values())).tolist()) for kind, d in t.items()}
        for c, t in tables.items()
    }
    countries = list(synthetic.COUNTRY_SHARES)
    shares = list(synthetic.COUNTRY_SHARES.values())
    people: list[PlainPerson] = []
    women: Counter[str] = Counter()
    for _ in range(sample_size):
        country = rng.choices(countries, weights=shares)[0]
        pool = pools[country]
        female = rng.random() < 0.5
        names, cum = pool["given_female" if female else "given_male"]
        given = _normalised_given(rng.choices(names, cum_weights=cum)[0])
        if len(given) == 1 and rng.random() < second_given_rate:
            second = _normalised_given(rng.choices(names, cum_weights=cum)[0])
            if second and second[0] != given[0]:
                given = (given[0], second[0])
        s_names, s_cum = pool["surnames"]
        first = _normalised_surname(rng.choices(s_names, cum_weights=s_cum)[0])
        second_surname = _normalised_surname(rng.choices(s_names, cum_weights=s_cum)[0])
        people.append(PlainPerson(first, second_surname, given))
        if female:
            women.update(set(given))

    def share(counter: Counter[str]) -> dict[str, float]:
        return {k: v / sample_size for k, v in counter.most_common() if k}

    given_any = share(Counter(g for p in people for g in set(p.given)))
    either: Counter[str] = Counter()
    for p in people:
        either.update({p.first_surname, p.second_surname})
    token_sets = [record_tokens(p.first_surname, p.second_surname, p.given) for p in people]
    counts = Counter(t for s in token_sets for t in s)
    tokens = sorted(counts, key=lambda t: (-counts[t], t))
    position = {t: i for i, t in enumerate(tokens)}
    incidence = np.zeros((sample_size, len(tokens)), dtype=np.float32)
    for row, s in enumerate(token_sets):
        incidence[row, [position[t] for t in s]] = 1.0
    pairs = (incidence.T @ incidence) / sample_size
    return NameModel(
        first_surname=share(Counter(p.first_surname for p in people)),
        given_first=share(Counter(p.given[0] for p in people if p.given)),
        given_any=given_any,
        second_surname=share(Counter(p.second_surname for p in people)),
        either_surname=share(either),
        tokens=tokens,
        token_freq=np.diag(pairs).copy(),
        token_pairs=pairs,
        female_share={g: women[g] / (c * sample_size) for g, c in given_any.items()},
    )


# ------------------------------------------------------------------------------------------------
# Mining co-occurring bit positions
# ------------------------------------------------------------------------------------------------


@dataclass
class Patterns:
    """Mined bit patterns: ``members[p]`` the positions of pattern p, ``holds[:, p]`` the records holding them all."""

    members: np.ndarray  # bool[P, FILTER_BITS]
    holds: np.ndarray  # bool[N, P]

    @property
    def sizes(self) -> np.ndarray:
        return self.members.sum(axis=1)

    @property
    def support(self) -> np.ndarray:
        return self.holds.sum(axis=0)


def _holds(x: np.ndarray, members: np.ndarray, chunk: int = 16_384) -> np.ndarray:
    """bool[N, P]: record n has every bit of pattern p."""
    m = members.T.astype(np.float32)
    sizes = members.sum(axis=1).astype(np.float32)
    out = np.zeros((x.shape[0], members.shape[0]), dtype=bool)
    for start in range(0, x.shape[0], chunk):
        out[start : start + chunk] = (x[start : start + chunk] @ m) >= sizes - 0.5
    return out


def _unique_rows(members: np.ndarray) -> np.ndarray:
    """``np.unique(members, axis=0)`` (same rows, same sorted order), on packed bytes: much faster."""
    packed = np.unique(np.packbits(members, axis=1), axis=0)
    return np.unpackbits(packed, axis=1, count=members.shape[1]).astype(bool)


def mine_patterns(
    bits: np.ndarray,
    *,
    min_support: int = 3,
    tau: float = 0.9,
    lift: float = 0.25,
    min_bits: int = 2,
    grow: int = 3,
    rounds: int = 2,
) -> Patterns:
    """Groups of bit positions that are set together: the bits of one token, or of one whole name.

    Every bit with at least ``min_support`` records is a seed. A bit j joins the seed's pattern
    when, among the records holding the pattern, j is missing in at most ``1 - tau`` of them and
    at most ``lift`` times as often as in all records (so bits set in most filters anyway do not
    join every pattern). The pattern's records are then recomputed (those holding all its bits)
    and the pattern re-derived, ``rounds`` times. Duplicates and patterns under ``min_bits``
    bits are dropped. On unhardened filters a seed bit that only one token sets yields exactly
    the bits that always come with that token: a bigram's, or a whole name's.
    """
    n = bits.shape[0]
    x = bits.astype(np.float32)
    counts = x.sum(axis=0)
    global_miss = 1.0 - counts / max(n, 1)
    seeds = np.flatnonzero(counts >= min_support)
    if n == 0 or seeds.size == 0:
        return Patterns(np.zeros((0, FILTER_BITS), dtype=bool), np.zeros((n, 0), dtype=bool))
    allowed = np.minimum(1.0 - tau, lift * global_miss)[None, :]
    frequency = counts / n
    # grow each seed greedily: add the bit that co-occurs most above its own frequency among the
    # records holding the pattern so far (bits of other tokens sharing the seed bit drop out)
    members = np.zeros((seeds.size, FILTER_BITS), dtype=bool)
    members[np.arange(seeds.size), seeds] = True
    rows = bits[:, seeds].astype(bool)
    for _ in range(grow):
        support = rows.sum(axis=0).astype(np.float32)
        within = x.T @ rows.astype(np.float32)  # [FILTER_BITS, S]
        lift_score = within / np.maximum(support, 1.0) - frequency[:, None]
        lift_score[members.T] = -np.inf
        best = np.argmax(lift_score, axis=0)
        narrowed = rows & bits[:, best].astype(bool)
        ok = narrowed.sum(axis=0) >= min_support
        rows[:, ok] = narrowed[:, ok]
        members[np.flatnonzero(ok), best[ok]] = True
    support = rows.sum(axis=0).astype(np.float32)
    within = x.T @ rows.astype(np.float32)
    members = ((1.0 - within / np.maximum(support, 1.0)) <= allowed.T + 1e-9).T | members
    for _ in range(rounds):
        members = _unique_rows(members)
        holds = _holds(x, members)
        support = holds.sum(axis=0).astype(np.float32)
        keep = support >= min_support
        members, holds, support = members[keep], holds[:, keep], support[keep]
        within = x.T @ holds.astype(np.float32)  # [FILTER_BITS, P]
        members = ((1.0 - within / np.maximum(support, 1.0)) <= allowed.T + 1e-9).T
    members = _unique_rows(members)
    members = members[members.sum(axis=1) >= min_bits]
    holds = _holds(x, members)
    keep = holds.sum(axis=0) >= min_support
    return Patterns(members[keep], holds[:, keep])


# ------------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------------


@dataclass
class Guesses:
    """What an attack says about each record (None: no confident guess) and which q-gram each pattern is."""

    attack: str
    first_surname: list[str | None]
    given_first: list[str | None]
    qgrams: dict[Token, np.ndarray] = field(default_factory=dict)  # token -> records holding its pattern
    seconds: float = 0.0
    patterns: int = 0


@dataclass
class Score:
    """Re-identification, counted per record, only for confident guesses.

    ``surname``: the attack names the record's first surname correctly; ``given``: its first
    given name; ``full``: both (first given name and first surname); ``any``: at least one of
    them (the headline number, the attacker's best case). ``wrong_*``: confident guesses that are
    wrong. ``qgrams_correct``: aligned (field, bigram) features whose pattern is right (at least
    90 % of the records holding the pattern have that bigram in that field, and the pattern
    covers at least 90 % of the records that do), over ``qgrams_total``, the features present in
    the encoded records. ``chance``: what ``any`` would count if each guess were right with the
    share of the guessed name among the records, i.e. if the guesses said nothing about the
    record (a blind guess of "lopez" is still right for 6 % of records).
    """

    records: int
    surname: int
    given: int
    full: int
    any: int
    wrong_surname: int
    wrong_given: int
    qgrams_assigned: int
    qgrams_correct: int
    qgrams_total: int
    chance: float = 0.0

    def share(self, count: float) -> float:
        return count / self.records if self.records else 0.0


def score(guesses: Guesses, records: Sequence[PersonRecord]) -> Score:
    n = max(len(records), 1)
    surname_share = Counter(r.name.first_surname for r in records)
    given_share = Counter(r.name.given[0] if r.name.given else "" for r in records)
    chance = 0.0
    for s_guess, g_guess in zip(guesses.first_surname, guesses.given_first, strict=True):
        p_s = surname_share[s_guess] / n if s_guess is not None else 0.0
        p_g = given_share[g_guess] / n if g_guess is not None else 0.0
        chance += p_s + p_g - p_s * p_g
    surname = given = full = either = wrong_s = wrong_g = 0
    for record, s, g in zip(records, guesses.first_surname, guesses.given_first, strict=True):
        true_s = record.name.first_surname
        true_g = record.name.given[0] if record.name.given else ""
        ok_s = s is not None and s == true_s
        ok_g = g is not None and g == true_g
        surname += ok_s
        given += ok_g
        full += ok_s and ok_g
        either += ok_s or ok_g
        wrong_s += s is not None and not ok_s
        wrong_g += g is not None and not ok_g
    truth: dict[Token, set[int]] = defaultdict(set)
    for i, record in enumerate(records):
        name = record.name
        for token in record_tokens(name.first_surname, name.second_surname, name.given):
            truth[token].add(i)
    correct = 0
    for token, held in guesses.qgrams.items():
        having = truth.get(token, set())
        rows = set(np.flatnonzero(held).tolist())
        if rows and having and len(rows & having) >= 0.9 * len(rows) and len(rows & having) >= 0.9 * len(having):
            correct += 1
    return Score(
        records=len(records),
        surname=surname,
        given=given,
        full=full,
        any=either,
        wrong_surname=wrong_s,
        wrong_given=wrong_g,
        qgrams_assigned=len(guesses.qgrams),
        qgrams_correct=correct,
        qgrams_total=len(truth),
        chance=chance,
    )


# ------------------------------------------------------------------------------------------------
# (a) Frequency alignment of whole values
# ------------------------------------------------------------------------------------------------


def _expected_bits(k_total: int) -> float:
    """Distinct positions of ``k_total`` hashed positions in the filter (collisions included)."""
    return FILTER_BITS * (1.0 - math.exp(-k_total / FILTER_BITS))


def _sex_bits(model: NameModel, name: str) -> int:
    """A name borne by one sex only comes with that sex's token bits, which then join its pattern."""
    share = model.female_share.get(name, 0.5)
    return BITS_PER_TOKEN["sex"] if share <= 0.03 or share >= 0.97 else 0


def _value_candidates(model: NameModel) -> list[tuple[str, str, float, float]]:
    """(kind, name, probability, expected bits) for every whole value a mined pattern could be."""
    k = BITS_PER_TOKEN
    out: list[tuple[str, str, float, float]] = []
    for name, p in model.first_surname.items():
        grams = len(set(bigrams(name)))
        out.append(
            ("surname1", name, p, _expected_bits((k["surname1"] + k["surnames"]) * grams + k["surname1_phonetic"]))
        )
    for name, p in model.second_surname.items():
        grams = len(set(bigrams(name)))
        out.append(
            ("surname2", name, p, _expected_bits((k["surname2"] + k["surnames"]) * grams + k["surname2_phonetic"]))
        )
    for name, p in model.either_surname.items():
        out.append(("surnames", name, p, _expected_bits(k["surnames"] * len(set(bigrams(name))))))
    for name, p in model.given_first.items():
        grams = len(set(bigrams(name)))
        k_total = k["given"] * grams + k["given_phonetic"] + k["given_first"] + _sex_bits(model, name)
        out.append(("given1", name, p, _expected_bits(k_total)))
    for name, p in model.given_any.items():
        k_total = k["given"] * len(set(bigrams(name))) + k["given_phonetic"] + _sex_bits(model, name)
        out.append(("given", name, p, _expected_bits(k_total)))
    return out


def _align_values(
    indices: np.ndarray,
    support: np.ndarray,
    size: np.ndarray,
    candidates: list[tuple[str, str, float, float]],
    *,
    max_cost: float,
    size_weight: float,
    extra_bits: int = 0,
) -> list[tuple[int, str, str]]:
    """Greedy 1:1 alignment of patterns (``support`` a share, ``size`` in bits) with values: (pattern, kind, name)."""
    prob = np.array([c[2] for c in candidates])
    expected = np.array([c[3] for c in candidates])
    if extra_bits:
        expected = expected + extra_bits * (1.0 - expected / FILTER_BITS)
    cost = (
        np.abs(np.log(np.maximum(support, 1e-9)[:, None] / prob[None, :]))
        + size_weight * np.abs(size[:, None] - expected[None, :]) / expected[None, :]
    )
    return [(int(indices[pi]), candidates[vi][0], candidates[vi][1]) for pi, vi in _greedy_one_to_one(cost, max_cost)]


def _name_records(
    assigned: list[tuple[int, str, str]], mined: Patterns, n: int
) -> tuple[list[str | None], list[str | None]]:
    """A record gets a name of a kind when it holds exactly one aligned pattern of that kind."""
    first_s: list[str | None] = [None] * n
    first_g: list[str | None] = [None] * n
    for kind, target in (("surname1", first_s), ("given1", first_g)):
        pairs = [(p, name) for p, k, name in assigned if k == kind]
        if not pairs:
            continue
        held = mined.holds[:, [p for p, _ in pairs]]
        count = held.sum(axis=1)
        for i in np.flatnonzero(count == 1):
            target[i] = pairs[int(np.argmax(held[i]))][1]
    return first_s, first_g


def frequency_attack(
    bits: np.ndarray,
    model: NameModel,
    *,
    max_cost: float = 0.6,
    size_weight: float = 4.0,
    min_value_bits: int = 12,
    patterns: Patterns | None = None,
) -> Guesses:
    """Align frequent whole-value patterns with frequent names (frequency and predicted size).

    Cost of calling pattern P the value v: |ln(support(P) / (N p(v)))| + ``size_weight`` *
    |bits(P) - expected bits(v)| / expected bits(v). Pairs are taken greedily by increasing cost,
    each pattern and each value at most once, up to ``max_cost``.
    """
    started = time.perf_counter()
    n = bits.shape[0]
    mined = patterns if patterns is not None else mine_patterns(bits)
    big = np.flatnonzero(mined.sizes >= min_value_bits)
    candidates = _value_candidates(model)
    assigned: list[tuple[int, str, str]] = []
    if big.size and candidates and n:
        support = mined.support[big] / n
        size = mined.sizes[big].astype(np.float64)
        assigned = _align_values(big, support, size, candidates, max_cost=max_cost, size_weight=size_weight)
    first_s, first_g = _name_records(assigned, mined, n)
    return Guesses("frequency", first_s, first_g, seconds=time.perf_counter() - started, patterns=len(mined.members))


def salt_cells(
    bits: np.ndarray, patterns: Patterns, *, min_share: float = 0.002, max_share: float = 0.05
) -> list[np.ndarray]:
    """Partition the records by the unsalted birth-year token, as an attacker who knows the salt would.

    The year token (``BITS_PER_TOKEN["birth_year"]`` bits, not salted) is set in every record of
    that year, so mined patterns of at least 10 bits holding 0.2-5 % of the records are
    candidate year cells; the largest are taken first, a cell overlapping those already taken by
    more than 10 % of its records is skipped. Returns the record indices of each cell.
    """
    n = bits.shape[0]
    share = patterns.support / max(n, 1)
    candidates = np.flatnonzero((patterns.sizes >= 10) & (share >= min_share) & (share <= max_share))
    taken = np.zeros(n, dtype=bool)
    cells: list[np.ndarray] = []
    for p in candidates[np.argsort(-patterns.support[candidates], kind="stable")]:
        rows = patterns.holds[:, p]
        if (rows & taken).sum() > 0.1 * rows.sum():
            continue
        taken |= rows
        cells.append(np.flatnonzero(rows))
    return cells


def salt_aware_frequency_attack(
    bits: np.ndarray,
    model: NameModel,
    *,
    patterns: Patterns | None = None,
    **options: float,
) -> Guesses:
    """The frequency attack of an attacker who knows that name tokens are salted with the birth year.

    Within the records of one birth year the salt is constant, so the filters of a year behave
    like unhardened ones: the records are cut into year cells (``salt_cells``), the bits set in
    at least 99 % of a cell (its year token) are cleared, and ``frequency_attack`` runs in each
    cell with the same name distribution (names and years are drawn independently).
    """
    started = time.perf_counter()
    n = bits.shape[0]
    mined = patterns if patterns is not None else mine_patterns(bits)
    first_s: list[str | None] = [None] * n
    first_g: list[str | None] = [None] * n
    for cell in salt_cells(bits, mined):
        part = bits[cell].copy()
        part[:, part.mean(axis=0) >= 0.99] = 0
        guesses = frequency_attack(part, model, **options)  # type: ignore[arg-type]
        for row, s_guess, g_guess in zip(cell, guesses.first_surname, guesses.given_first, strict=True):
            first_s[row], first_g[row] = s_guess, g_guess
    return Guesses(
        "frequency-salt", first_s, first_g, seconds=time.perf_counter() - started, patterns=len(mined.members)
    )


def spectral_attack(
    bits: np.ndarray,
    model: NameModel,
    *,
    components: int = 40,
    rounds: int = 4,
    max_cost: float = 0.25,
    one_sex: float = 0.95,
    tail: float = 0.05,
    patterns: Patterns | None = None,
) -> Guesses:
    """Frequency alignment of record groups found by principal components: for when no bit co-occurs reliably.

    Diffusion makes an output bit the XOR of several inner bits, so a name fixes no output bit,
    but it still shifts the frequency of the outputs its inner bits feed; frequent names then
    show as principal components of the filters. For each of the top ``components`` components
    and each sign, the ``tail`` share of records at that end of the projection is a candidate
    group; the group is refined ``rounds`` times by naive-Bayes membership (per-bit
    log-likelihood ratio of the group against all records, plus the prior). The split closest to
    half and half with the widest gap is taken as sex; a group at least ``one_sex`` of one side
    is aligned with first given names, the others with first surnames, by frequency alone
    (|ln(share / p)| up to ``max_cost``), 1:1, largest groups first. ``patterns`` is unused.
    """
    del patterns
    started = time.perf_counter()
    n = bits.shape[0]
    first_s: list[str | None] = [None] * n
    first_g: list[str | None] = [None] * n
    if n < 10:
        return Guesses("spectral", first_s, first_g, seconds=time.perf_counter() - started)
    x = bits.astype(np.float32)
    mean = x.mean(axis=0)
    centred = x - mean
    _, vectors = np.linalg.eigh(centred.T @ centred / n)
    projection = centred @ vectors[:, ::-1][:, :components]
    p_all = np.clip(mean, 1e-3, 1 - 1e-3)

    def refine(group: np.ndarray) -> np.ndarray:
        for _ in range(rounds):
            size = int(group.sum())
            if size < 5 or size > n - 5:
                return group
            p_g = np.clip(x[group].mean(axis=0), 1e-3, 1 - 1e-3)
            w1, w0 = np.log(p_g / p_all), np.log((1 - p_g) / (1 - p_all))
            prior = math.log(size / (n - size))
            group = (x @ (w1 - w0) + w0.sum() + prior) > 0
        return group

    groups: list[np.ndarray] = []
    for k in range(projection.shape[1]):
        z = projection[:, k]
        for side in (z > np.quantile(z, 1 - tail), z < np.quantile(z, tail)):
            if 5 <= side.sum() <= n / 2:
                group = refine(side)
                if 5 <= group.sum() <= n / 2 and all(
                    (group & g).sum() < 0.5 * min(group.sum(), g.sum()) for g in groups
                ):
                    groups.append(group)
    if not groups:
        return Guesses("spectral", first_s, first_g, seconds=time.perf_counter() - started)
    shares = np.array([g.sum() / n for g in groups])
    sex_index = int(np.argmin(np.abs(shares - 0.5)))
    sex = groups[sex_index] if abs(shares[sex_index] - 0.5) < 0.1 else None
    assigned: list[tuple[int, str, str]] = []
    # only the kinds a record is named by: the wider list of the frequency attack (either surname,
    # any given name) gave more wrong alignments here, frequency being the only clue
    kinds = {True: (("given1", model.given_first),), False: (("surname1", model.first_surname),)}
    for given_like, options in kinds.items():
        rows = []
        for i, g in enumerate(groups):
            if sex is not None and i == sex_index:
                continue
            in_sex = (g & sex).sum() / g.sum() if sex is not None else 0.5
            if (in_sex >= one_sex or in_sex <= 1 - one_sex) == given_like:
                rows.append(i)
        values = [(kind, name, p) for kind, table in options for name, p in table.items()]
        if not rows or not values:
            continue
        prob = np.array([v[2] for v in values])
        cost = np.abs(np.log(shares[rows][:, None] / prob[None, :]))
        assigned += [(rows[r], values[c][0], values[c][1]) for r, c in _greedy_one_to_one(cost, max_cost)]
    for kind, target in (("surname1", first_s), ("given1", first_g)):
        pairs = [(i, name) for i, k, name in assigned if k == kind]
        if not pairs:
            continue
        held = np.stack([groups[i] for i, _ in pairs], axis=1)
        for r in np.flatnonzero(held.sum(axis=1) == 1):
            target[r] = pairs[int(np.argmax(held[r]))][1]
    return Guesses("spectral", first_s, first_g, seconds=time.perf_counter() - started, patterns=len(groups))


# ------------------------------------------------------------------------------------------------
# (b) Pattern mining: q-grams first, names from the q-grams
# ------------------------------------------------------------------------------------------------


# pattern sizes each field's q-gram patterns may have: surname1 bigram = 4 bits + the same bigram under
# "surnames" (3), which always comes with it; given = 6; surnames alone = 3 (fewer on collisions)
FIELD_SIZES = {
    "surname1": (5, 14),
    "given": (4, 12),
    "surnames": (2, 6),
}
PROFILE_TOP = 20


def _greedy_one_to_one(cost: np.ndarray, max_cost: float) -> list[tuple[int, int]]:
    """Pairs (row, column) by increasing cost, each row and column once, up to ``max_cost``."""
    pairs: list[tuple[int, int]] = []
    if cost.size == 0:
        return pairs
    used_r: set[int] = set()
    used_c: set[int] = set()
    flat_cost = cost.ravel()
    within = np.flatnonzero(flat_cost <= max_cost)
    for flat in within[np.argsort(flat_cost[within], kind="stable")]:
        r, c = divmod(int(flat), cost.shape[1])
        if r in used_r or c in used_c:
            continue
        used_r.add(r)
        used_c.add(c)
        pairs.append((r, c))
    return pairs


def _profile_distance(cond_patterns: np.ndarray, cond_tokens: np.ndarray) -> np.ndarray:
    """Mean absolute difference of the top ``PROFILE_TOP`` conditional co-occurrences (self excluded)."""

    def top(cond: np.ndarray) -> np.ndarray:
        cond = cond.copy()
        np.fill_diagonal(cond, 0.0)
        k = min(PROFILE_TOP, cond.shape[1])
        return -np.sort(-cond, axis=1)[:, :k]

    a, b = top(cond_patterns), top(cond_tokens)
    k = min(a.shape[1], b.shape[1])
    return np.abs(a[:, None, :k] - b[None, :, :k]).mean(axis=2)


def pattern_mining_attack(
    bits: np.ndarray,
    model: NameModel,
    *,
    max_cost: float = 0.5,
    freq_window: float = 1.0,
    max_qgram_bits: int = 14,
    profile_weight: float = 4.0,
    refinements: int = 4,
    tolerance: int = 1,
    min_freq: float = 0.02,
    patterns: Patterns | None = None,
) -> Guesses:
    """Assign mined patterns to (field, bigram) features, then name records from the bigrams they hold.

    1. Patterns of at most ``max_qgram_bits`` bits are candidate q-gram patterns.
    2. Alignment: the cost of calling pattern P the feature t is |ln(s(P)/f(t))| plus the mean,
       over the pairs already aligned (P', t'), of |ln((s(P,P') + ε)/(f(t,t') + ε))|, where s are
       the shares of encoded records holding the patterns and f the shares of the attacker's
       plaintext sample holding the features. The cheapest pair is aligned first (the most
       frequent features first break ties), and so on while the cost stays under ``max_cost``;
       pairs whose frequencies differ by more than a factor e^``freq_window`` are never aligned.
    3. Re-identification: for each field, a record's aligned-present set is the aligned features
       of that field whose pattern it holds; the guess is the one name of the list whose aligned
       bigrams are exactly that set (none when zero or several names fit).
    """
    started = time.perf_counter()
    n = bits.shape[0]
    mined = patterns if patterns is not None else mine_patterns(bits)
    small = np.flatnonzero(mined.sizes <= max_qgram_bits)
    # one pattern per set of records: seeds from the same token can close on slightly different bits
    _, first = np.unique(np.packbits(mined.holds[:, small], axis=0), axis=1, return_index=True)
    small = small[np.sort(first)]
    first_s: list[str | None] = [None] * n
    first_g: list[str | None] = [None] * n
    qgrams: dict[Token, np.ndarray] = {}
    if small.size == 0 or n == 0 or not model.tokens:
        return Guesses("pattern", first_s, first_g, qgrams, time.perf_counter() - started, int(mined.members.shape[0]))
    held = mined.holds[:, small].astype(np.float32)
    s = held.sum(axis=0) / n
    s_pairs = (held.T @ held) / n
    f = model.token_freq.astype(np.float64)
    f_pairs = model.token_pairs.astype(np.float64)
    eps = 1e-3
    base = np.abs(np.log(s[:, None] / f[None, :]))
    # a pattern's size says which field it can be (Kerckhoffs: the attacker knows bits per token)
    sizes = mined.sizes[small]
    fields = np.array([t[0] for t in model.tokens])
    allowed = (base <= freq_window) & (f >= min_freq)[None, :]
    for name, (low, high) in FIELD_SIZES.items():
        allowed[:, fields == name] &= ((sizes >= low) & (sizes <= high))[:, None]
    # before any anchor: compare the sorted profiles of conditional co-occurrence (invariant to the
    # unknown mapping): "the pattern that always comes with another" fits "ez", which comes with "z_"
    profile = _profile_distance(s_pairs / np.maximum(s, eps)[:, None], f_pairs / f[:, None])
    cost = np.where(allowed, base + profile_weight * profile, np.inf)
    aligned = _greedy_one_to_one(cost, max_cost)
    # refinement: re-score every (pattern, feature) pair by how well the pattern's co-occurrence
    # with the aligned patterns matches the feature's co-occurrence with the aligned features,
    # then align again; errors of the first pass average out over the many anchors
    log_s = np.log(s_pairs + eps)
    log_f = np.log(f_pairs + eps)
    for _ in range(refinements):
        if not aligned:
            break
        anchor_p = np.array([p for p, _ in aligned])
        anchor_t = np.array([t for _, t in aligned])
        a_s = log_s[:, anchor_p]  # [P, A]
        a_f = log_f[:, anchor_t]  # [T, A]
        consistency = np.empty_like(base)
        for start in range(0, a_s.shape[0], 64):
            block = a_s[start : start + 64]
            consistency[start : start + 64] = np.abs(block[:, None, :] - a_f[None, :, :]).mean(axis=2)
        cost = np.where(allowed, base + consistency, np.inf)
        aligned = _greedy_one_to_one(cost, max_cost)
    for pi, ti in aligned:
        qgrams[model.tokens[ti]] = mined.holds[:, small[pi]]

    def guess(field_name: str, names: dict[str, float], target: list[str | None]) -> None:
        fields = [(t, rows) for t, rows in qgrams.items() if t[0] == field_name]
        if not fields:
            return
        grams = [t[1] for t, _ in fields]
        listed = list(names)
        expected = np.array([[g in set(bigrams(name)) for g in grams] for name in listed], dtype=np.int16)
        matrix = np.stack([rows for _, rows in fields], axis=1).astype(np.int16)
        for start in range(0, n, 4096):
            block = matrix[start : start + 4096]
            # disagreements between the aligned bigrams a record holds and those each name has
            distance = block @ (1 - expected).T + (1 - block) @ expected.T  # [rows, names]
            order = np.argsort(distance, axis=1, kind="stable")[:, :2]
            best = np.take_along_axis(distance, order, axis=1)
            for row in np.flatnonzero((best[:, 0] <= tolerance) & (best[:, 1] > best[:, 0] + tolerance)):
                if block[row].any():
                    target[start + row] = listed[int(order[row, 0])]

    guess("surname1", model.first_surname, first_s)
    guess("given", model.given_first, first_g)
    return Guesses("pattern", first_s, first_g, qgrams, time.perf_counter() - started, int(mined.members.shape[0]))


class Attack(Protocol):
    """What every attack takes: the filters' bits, the attacker's name model, optionally mined patterns."""

    def __call__(self, bits: np.ndarray, model: NameModel, *, patterns: Patterns | None = None) -> Guesses: ...


ATTACKS: dict[str, Attack] = {
    "frequency": frequency_attack,
    "frequency-salt": salt_aware_frequency_attack,
    "pattern": pattern_mining_attack,
    "spectral": spectral_attack,
}
