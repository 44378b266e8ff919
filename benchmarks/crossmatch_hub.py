"""Benchmark: the hub's batch cross-match (``find_overlaps``) over several offices' uploads.

    .venv/bin/python benchmarks/crossmatch_hub.py [--offices 8] [--sizes 10000,30000,100000] [--shared 0.02]

For each size, in a fresh process (so that its peak memory is its own): ``--offices`` uploads of
``size`` rows each, packed exactly as offices send them (``wire.pack_rows``); a share
``--shared`` of each office's persons is also held by the next office, written down a little
differently (5 % of the filter's bits flipped, a Dice of about 0.9 on these dense filters);
everything else is random filters with 45 % of bits set, as the hardened scheme produces. The
hub's ``find_overlaps`` then compares every pair of offices. Reported: seconds, comparisons per
second, overlaps found against those planted, and the process's peak resident memory.

Two offices whose uploads make at most ``blocking.EXACT_PAIRS`` pairs are compared pair by pair
(time grows with the square of the size); larger ones only on the candidates of Hamming LSH bands
(``vinculo.matching.blocking``). The method column says which; "comparisons/s" counts the pairs a
full comparison would have made, so the two methods read on one scale.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np

from vinculo.matching.blocking import EXACT_PAIRS

FULL_FIELDS = 0b111111
MEMBERS = ["GT-MP", "SV-FGR", "HN-MP", "NI-MP", "CR-MP", "PA-MP", "BZ-MP", "DO-MP", "MX-FGR"]


def _uploads(offices: int, size: int, shared: float, seed: int = 7) -> tuple[dict[str, bytes], dict[str, int], int]:
    from vinculo.linkage.encoding import FILTER_BYTES
    from vinculo.matching import wire

    rng = np.random.default_rng(seed)
    filters = {}
    for member in MEMBERS[:offices]:
        bits = rng.random((size, FILTER_BYTES * 8)) < 0.45
        filters[member] = bits
    planted = int(size * shared)
    for i, member in enumerate(MEMBERS[:offices]):
        following = MEMBERS[(i + 1) % offices]
        copy = filters[member][:planted].copy()
        flips = rng.random(copy.shape) < 0.05
        filters[following][size - planted :] = copy ^ flips
    uploads, counts = {}, {}
    for member, bits in filters.items():
        packed = np.packbits(bits, axis=1, bitorder="little")
        rows = [(rng.bytes(16), FULL_FIELDS, packed[r].tobytes()) for r in range(size)]
        uploads[member] = wire.pack_rows(rows)
        counts[member] = size
    return uploads, counts, planted * offices


def _measure(offices: int, size: int, shared: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    import django

    django.setup()
    from vinculo.matching.services.crossmatch import find_overlaps

    uploads, counts, planted = _uploads(offices, size, shared)
    started = time.perf_counter()
    found = find_overlaps(uploads, counts)
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put({"seconds": seconds, "found": len(found), "planted": planted, "peak_mib": peak_mib})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offices", type=int, default=8)
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--shared", type=float, default=0.02)
    args = parser.parse_args()
    if not 2 <= args.offices <= len(MEMBERS):
        parser.error(f"--offices between 2 and {len(MEMBERS)}")
    context = multiprocessing.get_context("spawn")
    print(
        f"{'offices':>7} {'rows each':>10} {'method':>6} {'seconds':>9} {'comparisons/s':>14} {'found/planted':>14} "
        f"{'peak MiB':>9}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        queue = context.Queue()
        process = context.Process(target=_measure, args=(args.offices, size, args.shared, queue))
        process.start()
        result = queue.get()
        process.join()
        pairs = args.offices * (args.offices - 1) // 2 * size * size
        rate = pairs / result["seconds"]
        method = "exact" if size * size <= EXACT_PAIRS else "LSH"
        print(
            f"{args.offices:>7} {size:>10,} {method:>6} {result['seconds']:>9.1f} {rate:>14,.0f} "
            f"{result['found']:>6}/{result['planted']:<7} {result['peak_mib']:>9.0f}"
        )


if __name__ == "__main__":
    main()
