"""Benchmark: a hit/no-hit query fanned out to seven offices, each holding a large index, end to end.

    .venv/bin/python benchmarks/hit_no_hit_fanout.py [--indexed 1000000] [--queries 40] [--keep DIR]

Real node processes on the loopback interface (tests/federation_harness.py): the hub, SV-FGR
(which asks) and the seven other member offices, each with its gunicorn server and delivery
worker. SV makes the network match key and sends it to the seven through the network. Then each
office's index is filled straight into its database with ``--indexed`` entries: filler filters
drawn at random with the density the hardened scheme gives (45 % of bits; the scan's cost does
not depend on the contents) and 200 real encodings of synthetic persons spread over the offices.

Timed: SV asks ``--queries`` person queries one after another, half of them about planted
persons written another way (no accents, only the year of birth), half about absent persons;
each query goes to all seven offices. End to end is from ``queries.ask`` (encoding, the signed
and encrypted envelopes queued) to the seventh answer stored at SV: SV's worker posts seven
envelopes, each office's worker takes the query, scans its index, and its answer travels back.
The first query after start is a warm-up (each office builds its in-memory copy of the index)
and is reported apart. Target (issue): p95 within 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

from tests.federation_harness import (  # noqa: E402
    BZ,
    CR,
    DO,
    GT,
    HN,
    HUB,
    NI,
    PA,
    SV,
    Federation,
    build_snapshot,
    federation_in,
)
from vinculo.linkage.encoding import FILTER_BYTES, Encoder  # noqa: E402
from vinculo.linkage.normalise import normalise  # noqa: E402
from vinculo.linkage.record import RawPerson  # noqa: E402

ANSWERING = (GT, HN, NI, CR, PA, BZ, DO)
MEMBERS = (HUB, SV, *ANSWERING)
PLANTED = 200
ACTIVE_KEY = "SELECT 1 FROM matching_matchkey WHERE state = 'active'"
CHUNK = 20_000
# No periodic index refresh during the run: the filled entries have no cases behind them.
WORKER_ENV = {"VINCULO_MATCH_INDEX_SECONDS": "0", "VINCULO_MATCH_CROSSMATCH_SECONDS": "0"}
GIVEN = ["José Manuel", "María José", "Ana Lucía", "Juan Carlos", "Rosa Elena", "Luis Alberto", "Carmen", "Jorge"]
SURNAMES = ["Hernández", "López", "Martínez", "Pérez", "Ramírez", "Castañeda", "Orellana", "Velásquez", "Zelaya"]

ASK = """
import json, time
from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.demo.management.commands.seed_demo import demo_username
from vinculo.matching.models import QueryRecipient
from vinculo.matching.services import queries
by = User.objects.get(username=demo_username(Role.PROSECUTOR))
out = []
for asked in json.loads({asked!r}):
    started = time.perf_counter()
    query = queries.ask(by=by, asked=queries.Asked(**asked), purpose="investigation", case=None,
        case_reference="FGR-BENCH-1", legal_basis="Memorando de Entendimiento, art. 4", members={members!r})
    while True:
        rows = list(QueryRecipient.objects.filter(query=query).values_list("state", "decision"))
        if all(state == "answered" for state, _ in rows):
            break
        if time.perf_counter() - started > {timeout}:
            break
        time.sleep(0.005)
    out.append([time.perf_counter() - started, [d for _, d in rows]])
print("RESULT", json.dumps(out))
"""


def person(rng: np.random.Generator, index: int) -> dict[str, str]:
    return {
        "given_names": GIVEN[index % len(GIVEN)],
        "first_surname": SURNAMES[(index // 8) % len(SURNAMES)],
        "second_surname": SURNAMES[(index * 7 + 3) % len(SURNAMES)],
        "birth_date": f"{1960 + index % 45}-{1 + index % 12:02d}-{1 + (index * 13) % 28:02d}",
        "sex": "M" if index % 2 else "F",
    }


def written_differently(p: dict[str, str]) -> dict[str, str]:
    """How another office has the same person: no accents, only the year of birth."""
    plain = {k: v.translate(str.maketrans("áéíóúÁÉÍÓÚ", "aeiouAEIOU")) for k, v in p.items()}
    return {**plain, "birth_date": p["birth_date"][:4], "kind": "person"}


def fill(database: Path, *, office: str, filler: list[bytes], planted: list[bytes], scheme: str, key: str) -> None:
    """Persons and index entries written straight into an office's SQLite database."""
    with sqlite3.connect(database) as db:
        office_id = db.execute("SELECT id FROM accounts_office WHERE code = ?", (office,)).fetchone()[0]
        user_id = db.execute("SELECT id FROM accounts_user WHERE office_id = ? LIMIT 1", (office_id,)).fetchone()[0]
        sex_id = db.execute(
            "SELECT c.id FROM reference_code c JOIN reference_codelist l ON c.code_list_id = l.id "
            "WHERE l.key = 'sex' AND c.code = 'M'"
        ).fetchone()[0]
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        blooms = planted + filler
        for start in range(0, len(blooms), CHUNK):
            part = blooms[start : start + CHUNK]
            ids = [uuid.uuid4().hex for _ in part]
            db.executemany(
                "INSERT INTO cases_person (id, office_id, sex_id, birth_year, reference, created_at, created_by_id) "
                "VALUES (?, ?, ?, NULL, '', ?, ?)",
                [(pid, office_id, sex_id, now, user_id) for pid in ids],
            )
            db.executemany(
                "INSERT INTO matching_indexentry (person_id, scheme, key_fingerprint, bloom, fields, is_suspect, "
                "is_victim, stamp, updated_at) VALUES (?, ?, ?, ?, 63, 1, 0, '', ?)",
                [(pid, scheme, key, bloom, now) for pid, bloom in zip(ids, part, strict=True)],
            )
        db.execute(
            "INSERT INTO matching_indexstate (id, generation, refreshed_at) VALUES (1, 1000, ?) "
            "ON CONFLICT(id) DO UPDATE SET generation = generation + 1000",
            (now,),
        )


def shell(federation: Federation, node_id: str, code: str, env: dict[str, str]) -> list[list[object]]:
    """Run ``code`` in the node's Django shell without the harness's 90-second limit; its RESULT line."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-m", "django", "shell", "--no-imports", "-c", code],
        cwd=ROOT, env={**federation.nodes[node_id].env, **env}, capture_output=True, text=True, timeout=3600,
        check=False,
    )  # fmt: skip
    if done.returncode != 0 or "RESULT " not in done.stdout:
        raise SystemExit(f"the shell at {node_id} failed:\n{done.stdout}\n{done.stderr}")
    result: list[list[object]] = json.loads(done.stdout.split("RESULT ", 1)[1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--indexed", type=int, default=1_000_000, help="entries in each office's index")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--keep", help="keep the nodes' folders here (default: a temporary folder, removed)")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="vinculo-fanout-"))
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    try:
        t0 = time.perf_counter()
        snapshot, base_port = build_snapshot(work / "snapshot", shared=work, members=MEMBERS)
        with federation_in(snapshot, work / "run", base_port, MEMBERS) as federation:
            federation.run_each({office: ["seed_demo", "--cases", "0"] for office in (SV, *ANSWERING)})
            federation.run(SV, "matching", "key", "generate")
            federation.run(SV, "matching", "key", "share")
            federation.start_servers(*MEMBERS)
            for node_id in MEMBERS:
                federation.start_worker(node_id, **WORKER_ENV)
            for office in ANSWERING:
                federation.wait_for(
                    lambda office=office: federation.sql(
                        office, "SELECT 1 FROM matching_matchkey WHERE state='active'"
                    ),
                    f"the key at {office}",
                    timeout=300,
                )
            print(f"nodes up and key shared in {time.perf_counter() - t0:.0f} s", flush=True)
            key_hex, fingerprint = federation.shell(
                SV,
                "from vinculo.matching.services import keys\nf, k = keys.active_key()\nprint(k.hex(), f)",
            ).split()
            encoder = Encoder(bytes.fromhex(key_hex))
            people = [person(rng, i) for i in range(PLANTED)]
            encodings = encoder.encode_many(
                [normalise(RawPerson(record_id=str(i), **p), default_country="GT") for i, p in enumerate(people)]
            )
            t1 = time.perf_counter()
            filler: list[bytes] = []
            for start in range(0, args.indexed - PLANTED // len(ANSWERING), CHUNK):
                rows = min(CHUNK, args.indexed - start)
                bits = rng.random((rows, FILTER_BYTES * 8), dtype=np.float32) < 0.45
                packed = np.packbits(bits, axis=1, bitorder="little")
                filler.extend(packed[r].tobytes() for r in range(rows))
            for n, office in enumerate(ANSWERING):
                mine = [e.bloom for i, e in enumerate(encodings) if i % len(ANSWERING) == n]
                fill(
                    federation.nodes[office].database, office=office, filler=filler[: args.indexed - len(mine)],
                    planted=mine, scheme=encoder.scheme, key=fingerprint,
                )  # fmt: skip
            print(
                f"{len(ANSWERING)} indexes of {args.indexed:,} filled in {time.perf_counter() - t1:.0f} s", flush=True
            )
            del filler
            asked = []
            for i in range(args.queries):
                if i % 2 == 0:
                    asked.append(written_differently(people[(i * 37) % PLANTED]))
                else:
                    asked.append({**written_differently(person(rng, 10_000 + i)), "given_names": "Wenceslao"})
            code = ASK.format(asked=json.dumps([asked[0]]), members=list(ANSWERING), timeout=900)
            warm = shell(federation, SV, code, {})
            print(f"warm-up query (each office builds its in-memory index): {warm[0][0]:.1f} s", flush=True)
            code = ASK.format(asked=json.dumps(asked), members=list(ANSWERING), timeout=60)
            env = {"VINCULO_MATCH_QUERIES_PER_USER_HOUR": "10000", "VINCULO_MATCH_QUERIES_PER_USER_DAY": "100000"}
            results = shell(federation, SV, code, env)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    latencies = sorted(seconds for seconds, _ in results)
    p50 = latencies[len(latencies) // 2]
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    present = [decisions for i, (_, decisions) in enumerate(results) if i % 2 == 0]
    absent = [decisions for i, (_, decisions) in enumerate(results) if i % 2 == 1]
    print(f"queries: {len(results)} to {len(ANSWERING)} offices of {args.indexed:,} indexed persons each")
    print(f"end to end: p50 {p50:.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s (target p95 <= 3 s)")
    print(f"present persons answered with a hit somewhere: {sum('hit' in d for d in present)}/{len(present)}")
    print(f"absent persons with a hit anywhere: {sum('hit' in d for d in absent)}/{len(absent)}")
    print(f"answers missing: {sum(d.count('') for _, d in results)}")


if __name__ == "__main__":
    main()
