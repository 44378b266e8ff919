"""Benchmark files: JSONL (default) or CSV, and a manifest."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from vinculo.linkage.record import RawPerson
from vinculo.linkage.synthetic.benchmark import BenchmarkGenerator, BenchmarkSet, Query, Stats, _manifest

# --------------------------------------------------------------------------------------------
# Files: JSONL (default) or CSV, and a manifest
# --------------------------------------------------------------------------------------------

FORMATS = ("jsonl", "csv")
_LIST_FIELDS = ("phones", "documents", "plates", "emails", "handles")
_CSV_COLUMNS = (
    "record_id",
    "given_names",
    "first_surname",
    "second_surname",
    "full_name",
    "sex",
    "birth_date",
    "nationality",
    *_LIST_FIELDS,
)


def person_to_dict(person: RawPerson) -> dict[str, object]:
    """The record as JSON-ready data: empty fields left out, tuples as lists."""
    data: dict[str, object] = {}
    for name in _CSV_COLUMNS:
        value = getattr(person, name)
        if value:
            data[name] = [list(v) if isinstance(v, tuple) else v for v in value] if name in _LIST_FIELDS else value
    return data


def person_from_dict(data: Mapping[str, object]) -> RawPerson:
    values: dict[str, object] = {}
    for name in _CSV_COLUMNS:
        value = data.get(name)
        if value is None:
            continue
        if name in _LIST_FIELDS:
            assert isinstance(value, list)  # noqa: S101 - our own files
            values[name] = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        else:
            values[name] = value
    return RawPerson(**values)  # type: ignore[arg-type]


def _csv_row(person: RawPerson) -> list[str]:
    # Lists joined with "|", tuple parts with ":" (no generated value contains either).
    row = []
    for name in _CSV_COLUMNS:
        value = getattr(person, name)
        if name in _LIST_FIELDS:
            value = "|".join(":".join(v) if isinstance(v, tuple) else v for v in value)
        row.append(value)
    return row


def _csv_person(row: Mapping[str, str]) -> RawPerson:
    values: dict[str, object] = {}
    for name in _CSV_COLUMNS:
        text = row.get(name) or ""
        if name == "record_id" or name not in _LIST_FIELDS:
            values[name] = text
        elif name == "emails" or name == "phones":
            values[name] = tuple(text.split("|")) if text else ()
        else:
            values[name] = tuple(tuple(item.split(":")) for item in text.split("|")) if text else ()
    return RawPerson(**values)  # type: ignore[arg-type]


def write_benchmark(
    out: Path,
    *,
    size: int,
    seed: int,
    queries: int | None = None,
    fmt: str = "jsonl",
    nicknames: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, object]:
    """Generate a benchmark into ``out`` (index, queries, manifest.json), streaming the index; returns the manifest."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    out.mkdir(parents=True, exist_ok=True)
    generator = BenchmarkGenerator(size=size, seed=seed, queries=queries, nicknames=nicknames)
    with (out / f"index.{fmt}").open("w", encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            for person in generator.index():
                handle.write(json.dumps(person_to_dict(person), ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(_CSV_COLUMNS)
            writer.writerows(_csv_row(person) for person in generator.index())
    with (out / f"queries.{fmt}").open("w", encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            for query in generator.queries():
                line = {
                    "record": person_to_dict(query.record),
                    "kind": query.kind,
                    "truth": query.truth,
                    "corruptions": list(query.corruptions),
                    "related": query.related,
                }
                handle.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow((*_CSV_COLUMNS, "kind", "truth", "corruptions", "related"))
            for query in generator.queries():
                extra = (query.kind, query.truth or "", "|".join(query.corruptions), query.related or "")
                writer.writerow((*_csv_row(query.record), *extra))
    manifest = {**_manifest(generator), "format": fmt}
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> dict[str, object]:
    manifest: dict[str, object] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return manifest


def iter_index(folder: Path) -> Iterator[RawPerson]:
    """The index records of a written benchmark, one at a time."""
    fmt = read_manifest(folder)["format"]
    with (folder / f"index.{fmt}").open(encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            for line in handle:
                yield person_from_dict(json.loads(line))
        else:
            yield from (_csv_person(row) for row in csv.DictReader(handle))


def read_queries(folder: Path) -> list[Query]:
    fmt = read_manifest(folder)["format"]
    queries = []
    with (folder / f"queries.{fmt}").open(encoding="utf-8", newline="") as handle:
        if fmt == "jsonl":
            for line in handle:
                data = json.loads(line)
                record = person_from_dict(data["record"])
                queries.append(Query(record, data["kind"], data["truth"], tuple(data["corruptions"]), data["related"]))
        else:
            for row in csv.DictReader(handle):
                corruptions = tuple(row["corruptions"].split("|")) if row["corruptions"] else ()
                queries.append(
                    Query(_csv_person(row), row["kind"], row["truth"] or None, corruptions, row["related"] or None)
                )
    return queries


def read_benchmark(folder: Path) -> BenchmarkSet:
    """A written benchmark back in memory (the stats as the manifest recorded them)."""
    manifest = read_manifest(folder)
    stats = Stats()
    recorded = manifest["stats"]
    assert isinstance(recorded, dict)  # noqa: S101 - our own files
    for name, value in recorded.items():
        setattr(stats, name, Counter(value) if isinstance(value, dict) else value)
    seed = manifest["seed"]
    assert isinstance(seed, int)  # noqa: S101 - our own files
    return BenchmarkSet(seed, list(iter_index(folder)), read_queries(folder), stats, manifest)
