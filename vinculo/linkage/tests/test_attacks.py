"""The privacy attacks: they must work on unhardened encodings (or they prove nothing) and fail on hardened ones."""

from __future__ import annotations

import numpy as np
import pytest

from vinculo.linkage import attacks, synthetic
from vinculo.linkage.encoding import FILTER_BITS, Encoder, Hardening
from vinculo.linkage.normalise import normalise
from vinculo.linkage.record import PersonName, PersonRecord

KEY = b"test key for the privacy attacks, 32+ bytes"
SIZE = 4000
UNHARDENED = Hardening(salt_with_birth_year=False, diffusion_taps=0)


@pytest.fixture(scope="module")
def records() -> list[PersonRecord]:
    generator = synthetic.BenchmarkGenerator(size=SIZE, seed=7, queries=0)
    return [normalise(raw, default_country=raw.record_id.split("-")[0]) for raw in generator.index()]


@pytest.fixture(scope="module")
def model() -> attacks.NameModel:
    return attacks.name_model(sample_size=20_000)


def run(
    records: list[PersonRecord], model: attacks.NameModel, hardening: Hardening, names: list[str]
) -> dict[str, attacks.Score]:
    words, _ = Encoder(KEY, hardening=hardening).encode_matrix(records)
    bits = attacks.filter_bits(words)
    patterns = attacks.mine_patterns(bits)
    return {name: attacks.score(attacks.ATTACKS[name](bits, model, patterns=patterns), records) for name in names}


@pytest.fixture(scope="module")
def unhardened(records: list[PersonRecord], model: attacks.NameModel) -> dict[str, attacks.Score]:
    return run(records, model, UNHARDENED, ["frequency"])


@pytest.fixture(scope="module")
def hardened(records: list[PersonRecord], model: attacks.NameModel) -> dict[str, attacks.Score]:
    return run(records, model, Hardening(), list(attacks.ATTACKS))


def test_the_frequency_attack_reidentifies_many_unhardened_records(unhardened: dict[str, attacks.Score]) -> None:
    result = unhardened["frequency"]
    assert result.share(result.any) >= 0.25
    assert result.surname >= 0.15 * SIZE
    assert result.given >= 0.15 * SIZE
    assert result.full > 0
    assert result.any >= 5 * result.chance


def test_the_pattern_mining_attack_recovers_qgrams_of_unhardened_records(
    records: list[PersonRecord], model: attacks.NameModel
) -> None:
    # the greedy alignment fails outright under some keys (docs/matching.md: 0.8 % of records
    # named under one key, 54-56 % under two others at 10k), so the attack is judged by its best
    # of three keys, as an attacker facing several indexes would be
    results = []
    for key in (KEY, b"second attack-test key, not a network key", b"third attack-test key, not a network key!"):
        words, _ = Encoder(key, hardening=UNHARDENED).encode_matrix(records)
        bits = attacks.filter_bits(words)
        results.append(attacks.score(attacks.pattern_mining_attack(bits, model), records))
    result = max(results, key=lambda score: score.any)
    assert result.qgrams_correct >= 30
    assert result.qgrams_correct >= 0.15 * result.qgrams_assigned  # 40 of 205 under vinculo-bf-3
    assert result.any >= 50
    assert result.any >= 5 * result.chance


@pytest.mark.parametrize("attack", list(attacks.ATTACKS))
def test_the_attacks_fail_on_hardened_encodings(hardened: dict[str, attacks.Score], attack: str) -> None:
    # the spectral attack guesses frequent surnames for whole groups: judged against blind guessing
    result = hardened[attack]
    assert result.share(result.any - result.chance) <= 0.01
    assert result.qgrams_correct <= 2


def test_salt_alone_falls_to_an_attacker_who_knows_it(records: list[PersonRecord], model: attacks.NameModel) -> None:
    """Recorded as a fact of the scheme: the diffusion layer, not the salt, stops this attack."""
    part = records[:3000]
    result = run(part, model, Hardening(salt_with_birth_year=True, diffusion_taps=0), ["frequency-salt"])
    # 2.7 points above chance on these 3,000 records under vinculo-bf-3 (its month and day
    # tokens are salted too, which leaves the year cells noisier); 16.8 % against 1.8 % at 10k
    assert result["frequency-salt"].share(result["frequency-salt"].any - result["frequency-salt"].chance) >= 0.02


def test_the_attacks_are_deterministic(records: list[PersonRecord], model: attacks.NameModel) -> None:
    part = records[:800]
    bits = attacks.filter_bits(Encoder(KEY, hardening=UNHARDENED).encode_matrix(part)[0])
    patterns = attacks.mine_patterns(bits)
    assert np.array_equal(attacks.mine_patterns(bits).members, patterns.members)
    for name in ("frequency", "pattern", "spectral"):
        attack = attacks.ATTACKS[name]
        first, second = attack(bits, model, patterns=patterns), attack(bits, model, patterns=patterns)
        assert first.first_surname == second.first_surname
        assert first.given_first == second.given_first
        assert first.qgrams.keys() == second.qgrams.keys()
    again = attacks.name_model(sample_size=20_000)
    assert again.tokens == model.tokens
    assert np.array_equal(again.token_freq, model.token_freq)


def test_mining_recovers_a_planted_token() -> None:
    rng = np.random.default_rng(3)
    bits = (rng.random((600, FILTER_BITS)) < 0.1).astype(np.uint8)
    token = np.array([5, 77, 300, 901])
    carriers = np.arange(0, 600, 4)
    bits[np.ix_(carriers, token)] = 1
    mined = attacks.mine_patterns(bits)
    found = [set(np.flatnonzero(m).tolist()) for m in mined.members]
    assert set(token.tolist()) in found
    index = found.index(set(token.tolist()))
    assert set(np.flatnonzero(mined.holds[:, index]).tolist()) >= set(carriers.tolist())


def test_score_counts_only_right_guesses() -> None:
    def person(given: str, surname: str) -> PersonRecord:
        return PersonRecord("r", PersonName(given=(given,), first_surname=surname))

    people = [person("maria", "lopez"), person("jose", "perez"), person("ana", "cruz")]
    guesses = attacks.Guesses("test", ["lopez", "garcia", None], ["maria", None, "ana"])
    result = attacks.score(guesses, people)
    assert (result.surname, result.given, result.full, result.any) == (1, 2, 1, 2)
    assert (result.wrong_surname, result.wrong_given) == (1, 0)
