"""The synthetic benchmark: deterministic, at the documented rates, with a consistent truth and no real data."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from vinculo.linkage import synthetic
from vinculo.linkage.record import RawPerson
from vinculo.linkage.synthetic import (
    ABSENT_KINDS,
    CORRUPTIONS,
    COUNTRIES,
    COUNTRY_SHARES,
    EMAIL_DOMAINS,
    BenchmarkGenerator,
    Population,
    fold,
    generate_benchmark,
    gt_cui_check_digit,
    luhn_check_digit,
    ni_cedula_letter,
    read_benchmark,
    sv_dui_check_digit,
    write_benchmark,
)

SIZE = 10_000


@pytest.fixture(scope="module")
def bench() -> synthetic.BenchmarkSet:
    return generate_benchmark(size=SIZE, seed=7)


def test_the_same_seed_writes_byte_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    for fmt in synthetic.FORMATS:
        first, again, other = tmp_path / f"a-{fmt}", tmp_path / f"b-{fmt}", tmp_path / f"c-{fmt}"
        write_benchmark(first, size=2_000, seed=11, fmt=fmt)
        write_benchmark(again, size=2_000, seed=11, fmt=fmt)
        write_benchmark(other, size=2_000, seed=12, fmt=fmt)
        for name in (f"index.{fmt}", f"queries.{fmt}", "manifest.json"):
            assert (first / name).read_bytes() == (again / name).read_bytes()
        assert (first / f"index.{fmt}").read_bytes() != (other / f"index.{fmt}").read_bytes()
        assert (first / f"queries.{fmt}").read_bytes() != (other / f"queries.{fmt}").read_bytes()


def test_written_files_read_back_as_generated(tmp_path: Path) -> None:
    in_memory = generate_benchmark(size=1_500, seed=5)
    for fmt in synthetic.FORMATS:
        write_benchmark(tmp_path / fmt, size=1_500, seed=5, fmt=fmt)
        loaded = read_benchmark(tmp_path / fmt)
        assert loaded.index == in_memory.index
        assert loaded.queries == in_memory.queries
        assert loaded.truth == in_memory.truth
        assert loaded.stats.as_dict() == in_memory.stats.as_dict()


def test_no_global_random_state_is_used() -> None:
    import random

    random.seed(1)
    before = random.random()
    random.seed(1)
    generate_benchmark(size=300, seed=3)
    assert random.random() == before


def test_countries_come_in_their_shares(bench: synthetic.BenchmarkSet) -> None:
    counts = bench.stats.index_by_country
    assert sum(counts.values()) == SIZE == len(bench.index)
    for country in COUNTRIES:
        assert abs(counts[country] / SIZE - COUNTRY_SHARES[country]) < 0.02, country


def test_half_the_queries_are_people_the_index_does_not_hold(bench: synthetic.BenchmarkSet) -> None:
    kinds = Counter(q.kind for q in bench.queries)
    assert len(bench.queries) == synthetic.default_query_count(SIZE) == 5_000
    assert kinds["present"] == 2_500
    assert sum(kinds[k] for k in ABSENT_KINDS) == 2_500
    for kind, share in ABSENT_KINDS.items():
        assert abs(kinds[kind] / 2_500 - share) < 0.04, kind


def test_the_truth_is_consistent(bench: synthetic.BenchmarkSet) -> None:
    index_ids = [r.record_id for r in bench.index]
    assert len(set(index_ids)) == len(index_ids)
    known = set(index_ids)
    query_ids = [q.record.record_id for q in bench.queries]
    assert len(set(query_ids)) == len(query_ids)
    assert not known & set(query_ids)
    for query in bench.queries:
        if query.kind == "present":
            assert query.truth in known
            assert query.related is None
        else:
            assert query.truth is None
            if query.kind != "absent_random" and query.related is not None:
                assert query.related in known
    truths = [q.truth for q in bench.queries if q.truth]
    assert len(set(truths)) == len(truths)  # a person is asked about once


def test_every_corruption_occurs_at_its_rate(bench: synthetic.BenchmarkSet) -> None:
    applied, eligible = bench.stats.corruptions_applied, bench.stats.corruptions_eligible
    for corruption in CORRUPTIONS:
        assert applied[corruption.name] > 0, corruption.name
        n = eligible[corruption.name]
        observed = applied[corruption.name] / n
        tolerance = 4 * (corruption.rate * (1 - corruption.rate) / n) ** 0.5 + 0.01
        assert abs(observed - corruption.rate) < tolerance, (corruption.name, observed, n)
    counted = Counter(c for q in bench.queries for c in q.corruptions)
    assert counted == +applied


def test_corruptions_are_recorded_per_query_and_show_in_the_record(bench: synthetic.BenchmarkSet) -> None:
    by_id = {r.record_id: r for r in bench.index}
    for query in bench.queries:
        record = query.record
        if "full_name_only" in query.corruptions:
            assert record.full_name
            assert not record.given_names
            assert not record.first_surname
        if "surname_first" in query.corruptions:
            assert ", " in record.full_name
            assert not record.given_names
        if "birth_date_missing" in query.corruptions:
            assert record.birth_date == ""
        if "year_only" in query.corruptions:
            assert re.fullmatch(r"\d{4}", record.birth_date)
        if "phones_missing" in query.corruptions:
            assert record.phones == ()
        if "married_name" in query.corruptions:
            married = record.full_name or record.second_surname
            assert re.search(r"\b(de|del) ", married, re.IGNORECASE)
        if query.kind == "present" and not query.corruptions:
            indexed = by_id[query.truth or ""]
            assert fold(record.given_names).upper() == fold(indexed.given_names).upper()


def test_families_and_common_names_make_hard_negatives(bench: synthetic.BenchmarkSet) -> None:
    households = bench.stats.index_by_household
    assert households["siblings"] > 0.1 * SIZE
    assert households["parent_child"] > 0.05 * SIZE
    assert bench.stats.index_sharing_name > 0.01 * SIZE  # "José Hernández López" recurs
    assert Counter(q.kind for q in bench.queries)["absent_same_name"] > 0


def test_lookalikes_resemble_the_indexed_person_but_are_someone_else() -> None:
    import random

    generator = BenchmarkGenerator(size=10, seed=1)
    taken: set[str] = set()
    indexed_people = Population(1, partition=0, taken=taken)
    absent = Population(1, partition=1, taken=taken)
    rng = random.Random(4)
    for _ in range(200):
        person = indexed_people.person(rng, country=rng.choice(COUNTRIES))
        same = generator._lookalike(rng, absent, person, "absent_same_name", "GT")
        assert (same.given, same.first_surname, same.second_surname) == (
            person.given,
            person.first_surname,
            person.second_surname,
        )
        assert same.birth != person.birth
        sibling = generator._lookalike(rng, absent, person, "absent_sibling", "GT")
        assert (sibling.first_surname, sibling.second_surname) == (person.first_surname, person.second_surname)
        assert sibling.given[0] != person.given[0]
        assert sibling.birth != person.birth
        twin = generator._lookalike(rng, absent, person, "absent_twin", "GT")
        assert twin.birth == person.birth
        assert twin.given[0] != person.given[0]
        relative = generator._lookalike(rng, absent, person, "absent_parent_or_child", "GT")
        assert {relative.first_surname, relative.second_surname, relative.spouse_surname} & {
            person.first_surname,
            person.second_surname,
            person.spouse_surname,
        } - {""}
        assert abs(relative.age - person.age) >= 17
        for other in (same, sibling, twin, relative):
            assert not set(other.phones) & set(person.phones)
            assert not {d[2] for d in other.documents} & {d[2] for d in person.documents}
            assert not set(other.emails) & set(person.emails)


def test_check_digits_match_published_examples() -> None:
    assert sv_dui_check_digit("00016297") == 5  # DUI 00016297-5, the example in El Salvador's own guides
    assert luhn_check_digit("0011391820") == 5  # cédula 001-1391820-5
    assert ni_cedula_letter("0010101900001") == "ABCDEFGHJKLMNPQRSTUVWXY"[10101900001 % 23]
    assert gt_cui_check_digit("12345678") == sum(int(d) * w for d, w in zip("12345678", range(2, 10), strict=True)) % 11


def _documents(bench: synthetic.BenchmarkSet) -> list[tuple[str, str, str]]:
    return [d for r in bench.index for d in r.documents]


def test_generated_identity_numbers_have_valid_check_digits_and_come_from_unissued_blocks(
    bench: synthetic.BenchmarkSet,
) -> None:
    seen: Counter[str] = Counter()
    for kind, country, written in _documents(bench):
        number = re.sub(r"[\s-]", "", written)
        seen[f"{kind}-{country}"] += 1
        if kind == "passport":
            assert re.fullmatch(r"[A-Z]99\d{6}", number)
            continue
        if country == "GT":
            assert re.fullmatch(r"9\d{12}", number)
            assert gt_cui_check_digit(number[:8]) == int(number[8])
            department, town = int(number[9:11]), int(number[11:])
            assert 1 <= department <= 22
            assert 1 <= town <= synthetic.GT_MUNICIPALITIES[department - 1]
        elif country == "SV":
            assert re.fullmatch(r"9\d{8}", number)
            assert sv_dui_check_digit(number[:8]) == int(number[8])
        elif country == "HN":
            assert re.fullmatch(r"\d{8}9\d{4}", number)
            assert 1 <= int(number[:2]) <= 18
        elif country == "NI":
            assert re.fullmatch(r"\d{9}9\d{3}[A-Z]", number)
            assert ni_cedula_letter(number[:13]) == number[13]
            assert number[:3] in synthetic.NI_MUNICIPALITIES
        elif country == "CR":
            assert re.fullmatch(r"[1-7]9\d{7}", number)
        elif country == "PA":
            assert re.fullmatch(r"\d{1,2}9\d{3}\d{1,4}", number)
        elif country == "DO":
            assert re.fullmatch(r"\d{3}9\d{7}", number)
            assert luhn_check_digit(number[:10]) == int(number[10])
    for country in ("GT", "SV", "HN", "NI", "CR", "PA", "DO"):
        assert seen[f"national_id-{country}"] > 50, country
    assert not seen["national_id-BZ"]
    assert seen["passport-BZ"] > 0
    assert len({re.sub(r"[\s-]", "", d[2]) for d in _documents(bench)}) == len(_documents(bench))  # unique


def test_every_generated_identifier_reads_with_the_engines_readers(bench: synthetic.BenchmarkSet) -> None:
    identifiers = pytest.importorskip("vinculo.linkage.identifiers")

    def problems(record: RawPerson, office: str, *, phones: bool, documents: bool) -> list[object]:
        found = []
        if phones:
            found += [identifiers.normalise_phone(p, default_country=office)[1] for p in record.phones]
        if documents:
            found += [identifiers.normalise_document(*d)[1] for d in record.documents]
        found += [identifiers.normalise_plate(*p)[1] for p in record.plates]
        found += [identifiers.normalise_email(e)[1] for e in record.emails]
        found += [identifiers.normalise_handle(*h)[1] for h in record.handles]
        return [p for p in found if p is not None]

    for record in bench.index:
        assert not problems(record, record.record_id[:2], phones=True, documents=True), record
    for query in bench.queries:
        office = query.record.record_id.split("-")[1]
        # A phone variant may drop the "+" or the country code of a foreign number: not always readable.
        phones = "phone_format_variant" not in query.corruptions
        documents = "document_digit_error" not in query.corruptions
        assert not problems(query.record, office, phones=phones, documents=documents), query


def test_nothing_looks_like_real_personal_data(bench: synthetic.BenchmarkSet) -> None:
    tables = json.loads((synthetic.DATA_DIR / "synthetic_names.json").read_text(encoding="utf-8"))
    vocabulary = {
        fold(word).upper()
        for key, value in tables.items()
        if key != "_about"
        for names in (value.values() if isinstance(value, dict) else [value])
        for name in names
        for word in name.split()
    }
    for record in bench.index:
        words = f"{record.given_names} {record.first_surname} {record.second_surname}".split()
        assert {fold(w).upper() for w in words} <= vocabulary, record
        for email in record.emails:
            assert email.rsplit("@", 1)[1] in EMAIL_DOMAINS
        for phone in record.phones:
            digits = re.sub(r"\D", "", phone)
            # The subscriber number starts with 1: not a number any of these plans gives out.
            assert re.search(r"(^|50[1-7])1\d{6,7}$", digits) or re.search(r"(809|829|849)1\d{6}$", digits), phone


def test_ages_run_from_newborns_to_seventy_with_many_children() -> None:
    import random

    population = Population(2, partition=0, taken=set())
    rng = random.Random(2)
    ages = [population.person(rng, country="HN").age for _ in range(3_000)]
    assert min(ages) == 0
    assert max(ages) <= 70
    assert 0.28 < sum(a < 18 for a in ages) / len(ages) < 0.40


def test_belize_mostly_has_one_surname_and_english_given_names(bench: synthetic.BenchmarkSet) -> None:
    belize = [r for r in bench.index if r.record_id.startswith("BZ-") and r.nationality == "BZ"]
    assert len(belize) > 200
    assert sum(not r.second_surname for r in belize) / len(belize) > 0.6


def test_ten_thousand_records_take_a_few_seconds() -> None:
    started = time.perf_counter()
    generator = BenchmarkGenerator(size=10_000, seed=99)
    count = sum(1 for _ in generator.index())
    elapsed = time.perf_counter() - started
    assert count == 10_000
    assert len(generator.queries()) == 5_000
    assert elapsed < 10, elapsed


def test_the_nickname_table_is_read_when_present(tmp_path: Path) -> None:
    table = tmp_path / "nicknames.csv"
    table.write_text(
        "nickname,canonical\n# a comment, with commas\nchepe,José\nbeto,alberto|roberto\n", encoding="utf-8"
    )
    nicknames, source = synthetic.load_nicknames(table)
    assert nicknames["jose"] == ("Chepe",)
    assert nicknames["roberto"] == ("Beto",)
    assert len(nicknames) == 3
    assert source.startswith("nicknames.csv sha256:")
    builtin, source = synthetic.load_nicknames(tmp_path / "missing.csv")
    assert source == "builtin"
    assert "Chepe" in builtin["jose"]


def test_name_frequencies_describe_the_population_drawn(bench: synthetic.BenchmarkSet) -> None:
    frequencies = synthetic.name_frequencies("SV")
    for table in frequencies.values():
        assert abs(sum(table.values()) - 1) < 1e-9
    surnames = frequencies["surnames"]
    assert max(surnames, key=surnames.__getitem__) == "Hernández"
    salvadorans = [r for r in bench.index if r.record_id.startswith("SV-") and r.nationality == "salvadoreña"]
    observed = sum(r.first_surname == "Hernández" for r in salvadorans) / len(salvadorans)
    assert abs(observed - surnames["Hernández"]) < 0.04


# SHA-256 over the file names and bytes of ``write_benchmark(size=3_000, seed=5)`` (JSONL), as
# generated by GENERATOR_VERSION "1" when the generator was still one module (before it became
# the ``synthetic`` package). A change to the generated data must bump GENERATOR_VERSION and
# record the new digest here.
GENERATED_DIGESTS = {"1": "bd57deb1182706762f1a9d683d49df2483e8131e095532512ce456e2c33ea753"}


def test_the_generated_files_are_the_ones_recorded_for_this_generator_version(tmp_path: Path) -> None:
    import hashlib

    write_benchmark(tmp_path, size=3_000, seed=5)
    digest = hashlib.sha256()
    for name in sorted(p.name for p in tmp_path.iterdir()):
        digest.update(name.encode())
        digest.update((tmp_path / name).read_bytes())
    assert digest.hexdigest() == GENERATED_DIGESTS[synthetic.GENERATOR_VERSION]
