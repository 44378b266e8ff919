"""Benchmark: importing case files and their persons (dry run and real run) into a fresh SQLite node.

    .venv/bin/python benchmarks/import_cases.py [--cases 10000] [--persons-per-case 2]

Builds synthetic template files (cases with the demo generator's mixes; persons with two
surnames, documents and phones, sealed into the vault on import), then times the dry run and
the real import of each file, and a second import (nothing changes). Prints one line per step;
absolute times depend on the machine, so compare runs on one machine.
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
    parser.add_argument("--persons-per-case", type=int, default=2)
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
    from vinculo.demo.plans import CRIME_FAMILY, ORGANIZATION, ORIGIN, STAGES

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
                "crime_family": (family := pick(CRIME_FAMILY)),
                "origin": pick(ORIGIN[family]),
                "stage": pick(STAGES),
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
    given = ["María José", "José Luis", "Ana", "Carlos", "Rosa Elena", "Juan", "Lucía", "Pedro", "Marta", "Luis"]
    surnames = ["Hernández", "López", "Pérez", "García", "Martínez", "Ramírez", "Flores", "Cruz", "Reyes", "Morales"]
    roles = ["VICTIM", "SUSPECT", "SMUGGLED_MIGRANT", "WITNESS", "DEFENDANT"]
    persons = []
    for number in range(args.cases):
        for index in range(args.persons_per_case):
            persons.append(
                {
                    "national_number": f"BENCH-{number:07d}",
                    "reference": f"P-{number:07d}-{index}",
                    "role": roles[(number + index) % len(roles)],
                    "sex": rng.choice(["F", "M"]),
                    "citizenships": rng.choice(["SV", "GT", "HN", "SV;GT"]),
                    "given_names": rng.choice(given),
                    "first_surname": rng.choice(surnames),
                    "second_surname": rng.choice(surnames),
                    "birth_date": f"19{rng.randint(60, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    "document_numbers": f"DUI {rng.randint(0, 99999999):08d}-{rng.randint(0, 9)}",
                    "phones": f"+503 7{rng.randint(0, 999):03d} {rng.randint(0, 9999):04d}",
                }
            )
    person_data = "".join(tabular.write_csv(persons, language="es", template=tabular.PERSONS)).encode("utf-8")
    print(
        f"files: {args.cases} cases ({len(data) / 1e6:.1f} MB CSV), "
        f"{len(persons)} persons ({len(person_data) / 1e6:.1f} MB CSV)"
    )
    for what, file_data, file_name, count in (
        ("cases", data, "bench.csv", args.cases),
        ("persons", person_data, "personas.csv", len(persons)),
    ):
        for label, dry_run in (("dry run", True), ("import", False), ("re-import (no changes)", False)):
            started = time.perf_counter()
            report = imports.run_import(by=importer, data=file_data, file_name=file_name, dry_run=dry_run)
            elapsed = time.perf_counter() - started
            if not report.ok:
                raise SystemExit(f"the benchmark file has problems: {report.problems[:5]}")
            print(
                f"{what}, {label}: {elapsed:.1f} s ({count / elapsed:.0f} rows/s); "
                f"cases created {report.created}, updated {report.updated}, unchanged {report.unchanged}; "
                f"persons created {report.persons_created}, updated {report.persons_updated}, "
                f"unchanged {report.persons_unchanged}"
            )


if __name__ == "__main__":
    main()
