"""Benchmark: importing case files (dry run and real run) into a fresh SQLite node.

    .venv/bin/python benchmarks/import_cases.py [--cases 10000]

Builds a synthetic template file with the project's own demo generator's mixes, then times
the dry run and the real import of the same file, and a second import (nothing changes).
Prints one line per step; absolute times depend on the machine, so compare runs on one machine.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="vinculo-bench-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
            "VINCULO_VAULT_KEYRING_FILE": str(workdir / "keyring.json"),
            "VINCULO_LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from vinculo.accounts.roles import Role
    from vinculo.accounts.services import users
    from vinculo.cases import tabular
    from vinculo.cases.services import imports
    from vinculo.demo.cases import CRIME_FAMILY, ORGANIZATION, ORIGIN, STAGE

    importer, _password = users.create_user(
        by=None, username="bench.fiscal", full_name="Bench", email="", roles=[Role.PROSECUTOR.value]
    )
    rng = random.Random(1)  # noqa: S311 - synthetic data

    def pick(weighted: list[tuple[str, int]]) -> str:
        codes, weights = zip(*weighted, strict=True)
        return rng.choices(codes, weights=weights)[0]

    rows = []
    for number in range(args.cases):
        rows.append(
            {
                "national_number": f"BENCH-{number:07d}",
                "crime_family": pick(CRIME_FAMILY),
                "origin": pick(ORIGIN),
                "stage": pick(STAGE),
                "reported_on": f"20{rng.randint(19, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "reported_on_precision": "day",
                "organized_crime": rng.choice(["YES", "NO", "NK"]),
                "trafficker_organization": pick(ORGANIZATION),
                "summary": "Caso sintético de prueba de rendimiento.",
                "summary_language": "es",
                "visibility": "office",
            }
        )
    data = "".join(tabular.write_csv(rows, language="es")).encode("utf-8")
    print(f"file: {args.cases} cases, {len(data) / 1e6:.1f} MB CSV")
    for label, dry_run in (("dry run", True), ("import", False), ("re-import (no changes)", False)):
        started = time.perf_counter()
        report = imports.run_import(by=importer, data=data, file_name="bench.csv", dry_run=dry_run)
        elapsed = time.perf_counter() - started
        if not report.ok:
            raise SystemExit(f"the benchmark file has problems: {report.problems[:5]}")
        print(
            f"{label}: {elapsed:.1f} s ({args.cases / elapsed:.0f} cases/s); "
            f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}"
        )


if __name__ == "__main__":
    main()
