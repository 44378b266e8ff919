"""Benchmark data for the matching engine: generate one synthetic set and say what is in it.

    .venv/bin/python benchmarks/linkage_data.py --size 10000|100000|1000000 [--seed N] [--out DIR]
        [--queries N] [--format jsonl|csv]

Writes index.<fmt>, queries.<fmt> and manifest.json into DIR (a new temporary folder when not
given; never into the repository), streaming the index so that 1M records never sit in memory.
Prints the counts per country and office, per household kind, per query kind (the hard
negatives among them), per corruption (applied, eligible, observed and nominal rate), the time
taken and the peak memory of the process. The same seed gives byte-identical files.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vinculo.linkage.synthetic import CORRUPTIONS, FORMATS, write_benchmark  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, choices=SIZES, default=10_000, help="index records")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="folder to write into (default: a new temporary one)")
    parser.add_argument(
        "--queries", type=int, default=None, help="queries, half of them absent (default: min(size/2, 10 000))"
    )
    parser.add_argument("--format", choices=FORMATS, default="jsonl")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="vinculo-linkage-"))

    started = time.perf_counter()
    cpu_started = time.process_time()
    manifest = write_benchmark(out, size=args.size, seed=args.seed, queries=args.queries, fmt=args.format)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux

    stats = manifest["stats"]
    if not isinstance(stats, dict):
        raise SystemExit("manifest without stats")
    print(
        f"synthetic benchmark v{manifest['generator_version']}: size {args.size:,}, seed {args.seed}, "
        f"{manifest['queries']:,} queries, nicknames: {manifest['nicknames']}"
    )
    print(f"written to {out}")
    for path in sorted(out.iterdir()):
        print(f"  {path.name:<16} {path.stat().st_size / 2**20:9.1f} MiB")
    print(
        f"time {elapsed:.1f} s wall, {cpu:.1f} s CPU ({args.size / elapsed:,.0f} index records/s); "
        f"peak memory {peak_mib:,.0f} MiB"
    )

    _table("index records per country (nationality)", stats["index_by_country"], args.size)
    _table("index records per office", stats["index_by_office"], args.size)
    _table("index records per household kind", stats["index_by_household"], args.size)
    print(
        f"  twins in the index: {stats['index_twins']:,}; index records sharing their exact name "
        f"with another: {stats['index_sharing_name']:,}"
    )
    kinds = stats["queries_by_kind"]
    total = sum(kinds.values())
    _table("queries per kind", kinds, total)
    hard = sum(v for k, v in kinds.items() if k not in ("present", "absent_random"))
    print(
        f"  hard negatives (same name, sibling, twin, parent or child): {hard:,} of {total - kinds['present']:,} absent"
    )

    print("\ncorruptions (rate among the queries each can apply to)")
    print(f"  {'corruption':<26}{'applied':>9}{'eligible':>10}{'observed':>10}{'nominal':>9}")
    applied, eligible = stats["corruptions_applied"], stats["corruptions_eligible"]
    for corruption in CORRUPTIONS:
        n = eligible[corruption.name]
        observed = applied[corruption.name] / n if n else 0.0
        print(f"  {corruption.name:<26}{applied[corruption.name]:>9,}{n:>10,}{observed:>10.3f}{corruption.rate:>9.2f}")
    return 0


def _table(title: str, counts: dict[str, int], total: int) -> None:
    print(f"\n{title}")
    for key, value in counts.items():
        print(f"  {key:<26}{value:>10,}  {value / total:6.1%}")


if __name__ == "__main__":
    raise SystemExit(main())
