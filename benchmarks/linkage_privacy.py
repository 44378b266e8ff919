"""Privacy benchmark: the attacks of ``vinculo.linkage.attacks`` against encodings with and without hardening.

    .venv/bin/python benchmarks/linkage_privacy.py --size 10000 --seed 1 [--attacks frequency,pattern]
        [--configs unhardened,salt,diffusion,default] [--model-sample 100000] [--json FILE] [--key TEXT]

The index records of the synthetic set (``vinculo.linkage.synthetic``, index only, no queries)
are normalised and encoded under a fixed benchmark key with each hardening configuration:

- ``unhardened``: no salt, no diffusion (``Hardening(False, 0)``): keyed, per-field, record-level
  Bloom filters with the same features, a clkhash-like baseline;
- ``salt``: birth-year salt only (``Hardening(True, 0)``);
- ``diffusion``: diffusion layer only (``Hardening(False, 3)``);
- ``default``: the scheme ``vinculo-bf-3`` (salt and diffusion).

The attacker gets the filters and the name distribution (``attacks.name_model``, drawn from
``synthetic.name_frequencies``), never the key. The table gives, per configuration and attack,
the share of records whose first surname / first given name / both / at least one the attack
names correctly with a confident guess, what blind guesses of the same names would hit by
chance (``Score.chance``), the wrong confident guesses, the q-grams correctly aligned over those
present, and the time (mining the bit patterns is shared by the frequency, frequency-salt and
pattern attacks and reported once per configuration; the spectral attack does not mine).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vinculo.linkage import attacks, synthetic  # noqa: E402
from vinculo.linkage.encoding import Encoder, Hardening  # noqa: E402
from vinculo.linkage.normalise import normalise  # noqa: E402
from vinculo.linkage.record import PersonRecord  # noqa: E402

BENCHMARK_KEY = b"vinculo privacy benchmark key, not a network key!"  # fixed so runs are comparable
CONFIGS = {
    "unhardened": Hardening(salt_with_birth_year=False, diffusion_taps=0),
    "salt": Hardening(salt_with_birth_year=True, diffusion_taps=0),
    "diffusion": Hardening(salt_with_birth_year=False, diffusion_taps=3),
    "default": Hardening(),
}


def index_records(size: int, seed: int) -> list[PersonRecord]:
    generator = synthetic.BenchmarkGenerator(size=size, seed=seed, queries=0)
    # the writing office's country is the record id's prefix (GT-4839201)
    return [normalise(raw, default_country=raw.record_id.split("-")[0]) for raw in generator.index()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--attacks", default=",".join(attacks.ATTACKS))
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--model-sample", type=int, default=100_000, help="size of the attacker's plaintext sample")
    parser.add_argument("--json", type=Path, help="write the results here as well")
    parser.add_argument(
        "--key",
        default=BENCHMARK_KEY.decode(),
        help="the network match key (text, at least 32 bytes); another key shows how much a result owes to one key",
    )
    args = parser.parse_args(argv)
    chosen = [a for a in args.attacks.split(",") if a]
    configs = [c for c in args.configs.split(",") if c]
    for name in chosen:
        if name not in attacks.ATTACKS:
            parser.error(f"unknown attack {name!r}; known: {', '.join(attacks.ATTACKS)}")
    for name in configs:
        if name not in CONFIGS:
            parser.error(f"unknown configuration {name!r}; known: {', '.join(CONFIGS)}")

    started = time.perf_counter()
    records = index_records(args.size, args.seed)
    print(f"{len(records):,} index records generated and normalised in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    model = attacks.name_model(sample_size=args.model_sample)
    print(
        f"attacker's model: {len(model.first_surname)} first surnames, {len(model.given_first)} first given "
        f"names, {len(model.tokens)} (field, bigram) features, in {time.perf_counter() - started:.1f} s"
    )

    rows: list[dict[str, object]] = []
    header = (
        f"{'configuration':<11} {'attack':<14} {'surname %':>9} {'given %':>8} {'full %':>7} {'any %':>6} "
        f"{'chance %':>8} {'wrong s/g %':>12} {'q-grams %':>10} {'patterns':>8} {'mine s':>7} {'attack s':>8}"
    )
    print()
    print(header)
    print("-" * len(header))
    for config in configs:
        encoder = Encoder(args.key.encode(), hardening=CONFIGS[config])
        words, _ = encoder.encode_matrix(records)
        bits = attacks.filter_bits(words)
        t0 = time.perf_counter()
        # the spectral attack does not use the mined patterns
        patterns = attacks.mine_patterns(bits) if set(chosen) - {"spectral"} else None
        mine_seconds = time.perf_counter() - t0
        for name in chosen:
            guesses = attacks.ATTACKS[name](bits, model, patterns=patterns)
            result = attacks.score(guesses, records)
            pct = result.share
            qgrams = result.qgrams_correct / result.qgrams_total if result.qgrams_total else 0.0
            wrong = f"{100 * pct(result.wrong_surname):.1f}/{100 * pct(result.wrong_given):.1f}"
            print(
                f"{config:<11} {name:<14} {100 * pct(result.surname):>9.2f} {100 * pct(result.given):>8.2f} "
                f"{100 * pct(result.full):>7.2f} {100 * pct(result.any):>6.2f} {100 * pct(result.chance):>8.2f} "
                f"{wrong:>12} {100 * qgrams:>10.1f} "
                f"{guesses.patterns:>8} {mine_seconds:>7.1f} {guesses.seconds:>8.1f}"
            )
            rows.append(
                {
                    "configuration": config,
                    "scheme": encoder.scheme,
                    "attack": name,
                    "records": result.records,
                    "surname": result.surname,
                    "given": result.given,
                    "full": result.full,
                    "any": result.any,
                    "chance": round(result.chance, 1),
                    "wrong_surname": result.wrong_surname,
                    "wrong_given": result.wrong_given,
                    "qgrams_assigned": result.qgrams_assigned,
                    "qgrams_correct": result.qgrams_correct,
                    "qgrams_total": result.qgrams_total,
                    "patterns": guesses.patterns,
                    "mine_seconds": round(mine_seconds, 2),
                    "attack_seconds": round(guesses.seconds, 2),
                }
            )
    if args.json:
        args.json.write_text(json.dumps({"size": args.size, "seed": args.seed, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
