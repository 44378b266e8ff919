"""normalise: a record as an office holds it → the record the engine reads, never raising, never inventing.

Personas: a prosecutor's office in Guatemala (default country GT) registering people; all people
are synthetic.
"""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.linkage.identifiers import gt_cui_check_digit, luhn_check_digit
from vinculo.linkage.normalise import MAX_ITEMS_PER_FIELD, PROBLEM_CODES, normalise, read_sex
from vinculo.linkage.record import BirthDate, Identifier, IdentifierKind, RawPerson, Sex

TODAY = date(2026, 6, 15)
WORDS = re.compile(r"^([a-z]+( [a-z]+)*)?$")


def codes(record, field=None):
    return {p.code for p in record.problems if field is None or p.field == field}


def a_cui() -> str:
    serial = next(f"{n:08d}" for n in range(2345678, 2400000) if gt_cui_check_digit(f"{n:08d}") is not None)
    return f"{serial}{gt_cui_check_digit(serial)}0101"


def test_a_guatemalan_office_record_is_read_whole():
    cui = a_cui()
    raw = RawPerson(
        record_id="gt-001",
        given_names="María José",
        first_surname="López",
        second_surname="de Pérez",
        sex="F",
        birth_date="07/03/1990",
        nationality="guatemalteca",
        phones=("5555-1234", "+502 5555 1234"),
        documents=(("DPI", "", cui[:4] + " " + cui[4:9] + " " + cui[9:]),),
        plates=(("", "P-123ABC"),),
        emails=(" Maria.Lopez@Example.com ",),
        handles=(("Facebook", "@maria.lopez"),),
    )
    record = normalise(raw, today=TODAY, default_country="GT")
    assert record.record_id == "gt-001"
    assert record.name.given == ("maria", "jose")
    assert (record.name.first_surname, record.name.second_surname, record.name.married_surname) == (
        "lopez",
        "",
        "perez",
    )
    assert record.sex == Sex.FEMALE
    assert record.birth == BirthDate(1990, 3, 7)
    assert record.nationality == "GT"
    assert record.identifiers == (
        Identifier(IdentifierKind.PHONE, "GT", "+50255551234"),  # written twice, kept once
        Identifier(IdentifierKind.NATIONAL_ID, "GT", cui),
        Identifier(IdentifierKind.PLATE, "GT", "P123ABC"),
        Identifier(IdentifierKind.EMAIL, "", "maria.lopez@example.com"),
        Identifier(IdentifierKind.HANDLE, "facebook", "maria.lopez"),
    )
    assert record.problems == ()


def test_full_name_is_used_when_the_parts_are_not_separated():
    record = normalise(RawPerson("r", full_name="Chepe Hernández López", sex="hombre"), today=TODAY)
    assert record.name.given_canonical == (("jose",),)
    assert (record.name.first_surname, record.name.second_surname) == ("hernandez", "lopez")
    assert record.sex == Sex.MALE


def test_each_unreadable_piece_is_named_and_left_out():
    cedula = "0010000001" + str(luhn_check_digit("0010000001"))
    broken = cedula[:-1] + str((int(cedula[-1]) + 1) % 10)
    raw = RawPerson(
        record_id="r",
        given_names="😀😀",
        birth_date="2030-01-01",
        sex="?",
        nationality="Atlantis",
        phones=("12",),
        documents=(("cedula", "DO", broken), ("cedula", "DO", cedula)),
        emails=("not-an-address",),
    )
    record = normalise(raw, today=TODAY)
    assert record.name.is_empty
    assert record.birth is None
    assert record.identifiers == (Identifier(IdentifierKind.NATIONAL_ID, "DO", cedula),)
    assert {(p.field, p.code) for p in record.problems} == {
        ("given_names", "unreadable"),
        ("name", "empty"),
        ("birth_date", "future_date"),
        ("sex", "unreadable"),
        ("nationality", "unknown_country"),
        ("phones[0]", "missing_country"),  # neither a nationality nor an office country to complete it
        ("documents[0]", "bad_check_digit"),
        ("emails[0]", "bad_format"),
    }


def test_hostile_input_never_yields_a_value():
    raw = RawPerson(
        record_id="r",
        given_names="A" * 10_000,
        first_surname="\x00\x00\u202e\u200b",
        second_surname="#$%&/()",
        birth_date="99/99/99999",
        phones=tuple(f"5555-{n:04d}" for n in range(1000, 1100)),
    )
    record = normalise(raw, today=TODAY, default_country="GT")
    assert record.name.is_empty
    assert record.birth is None
    assert len(record.identifiers) == MAX_ITEMS_PER_FIELD
    assert {"too_long", "control_characters", "unreadable", "too_many", "empty"} <= codes(record)


def test_passport_without_issuer_takes_the_nationality_not_the_office_country():
    raw = RawPerson("r", nationality="Honduras", documents=(("pasaporte", "", "F123456"),))
    assert normalise(raw, default_country="GT").identifiers == (Identifier(IdentifierKind.PASSPORT, "HN", "F123456"),)
    raw = RawPerson("r", documents=(("pasaporte", "", "F123456"),))
    record = normalise(raw, default_country="GT")
    assert record.identifiers == ()
    assert codes(record) == {"missing_country", "empty"}


def test_sex_as_written():
    assert read_sex("Femenino") == (Sex.FEMALE, None)
    assert read_sex(" mujer ") == (Sex.FEMALE, None)
    assert read_sex("M") == (Sex.MALE, None)
    assert read_sex("Varón") == (Sex.MALE, None)
    assert read_sex("") == (Sex.UNKNOWN, None)
    assert read_sex("no indica") == (Sex.UNKNOWN, None)
    assert read_sex("🙂")[1].code == "unreadable"


def test_malformed_collections_do_not_crash():
    raw = RawPerson("r", phones=(None,), documents=(("passport", "GT"),), plates="P123ABC", handles=((1, 2),))  # type: ignore[arg-type]
    record = normalise(raw, default_country="GT")
    assert record.identifiers == ()
    assert {p.field for p in record.problems} >= {"phones[0]", "documents[0]", "plates", "handles[0]"}


anything = st.text(max_size=120)
pairs = st.tuples(anything, anything)
raw_people = st.builds(
    RawPerson,
    record_id=anything,
    given_names=anything,
    first_surname=anything,
    second_surname=anything,
    full_name=anything,
    sex=anything,
    birth_date=anything,
    nationality=anything,
    phones=st.lists(anything, max_size=3).map(tuple),
    documents=st.lists(
        st.tuples(st.sampled_from(["passport", "DPI", "dui", "cedula", ""]) | anything, anything, anything), max_size=3
    ).map(tuple),
    plates=st.lists(pairs, max_size=3).map(tuple),
    emails=st.lists(anything, max_size=3).map(tuple),
    handles=st.lists(pairs, max_size=3).map(tuple),
)


@settings(max_examples=300)
@given(raw_people, st.sampled_from(["", "GT", "SV", "HN", "NI", "CR", "PA", "BZ", "DO", "Atlantis"]))
def test_normalise_never_raises_and_yields_only_clean_values(raw, office):
    record = normalise(raw, today=TODAY, default_country=office)
    name = record.name
    for part in (
        *name.given,
        *(candidate for candidates in name.given_canonical for candidate in candidates),
        name.first_surname,
        name.first_surname_particles,
        name.second_surname,
        name.second_surname_particles,
        name.married_surname,
    ):
        assert WORDS.match(part), part
    assert len(name.given_canonical) == len(name.given)
    assert all(problem.code in PROBLEM_CODES for problem in record.problems)
    for identifier in record.identifiers:
        assert identifier.value
        assert identifier.value.isascii()
        assert identifier.value.isprintable()
        assert " " not in identifier.value
    if record.birth is not None:
        assert date(record.birth.year, record.birth.month or 1, record.birth.day or 1) <= TODAY


@given(raw_people)
def test_normalising_the_normalised_name_changes_nothing(raw):
    once = normalise(raw, today=TODAY).name
    if once.married_surname or once.is_empty:
        return
    again = normalise(
        RawPerson(
            "r",
            given_names=" ".join(once.given),
            first_surname=f"{once.first_surname_particles} {once.first_surname}",
            second_surname=f"{once.second_surname_particles} {once.second_surname}",
        ),
        today=TODAY,
    ).name
    assert (again.given, again.first_surname, again.second_surname) == (
        once.given,
        once.first_surname,
        once.second_surname,
    )


hostile_characters = st.characters(
    categories=("Cc", "Cf", "Co", "Cs", "Mn", "Me", "So", "Sm", "Zs", "Zl", "Zp", "Lo", "Nd", "Lu", "Ll")
)
hostile_text = st.text(alphabet=hostile_characters, max_size=60) | st.sampled_from(
    ["\x00" * 50, "\u202e\u200f\u200b", "😀" * 30, "A" * 10_000, "9" * 10_000, "𝐉𝐨𝐬𝐞", "ＰＥＲＥＺ"]
)


@given(hostile_text, hostile_text, hostile_text, hostile_text)
def test_hostile_characters_in_every_field_never_crash(a, b, c, d):
    raw = RawPerson(
        record_id=a,
        given_names=a,
        first_surname=b,
        second_surname=c,
        full_name=d,
        sex=a,
        birth_date=b,
        nationality=c,
        phones=(a, b),
        documents=((a, b, c), ("passport", "GT", d), ("DPI", "GT", a)),
        plates=((a, b), ("GT", c)),
        emails=(d,),
        handles=((a, b), ("facebook", c)),
    )
    record = normalise(raw, today=TODAY, default_country="GT")
    assert all(problem.code in PROBLEM_CODES for problem in record.problems)
    for part in (*record.name.given, record.name.first_surname, record.name.second_surname):
        assert WORDS.match(part)
    for identifier in record.identifiers:
        assert identifier.value.isascii()
        assert identifier.value.isprintable()


def test_ten_kilobytes_in_every_field_yield_nothing():
    big = "7" * 10_000
    raw = RawPerson(
        record_id="r",
        given_names=big,
        first_surname=big,
        full_name=big,
        sex=big,
        birth_date=big,
        nationality=big,
        phones=(big,),
        documents=(("passport", "GT", big), (big, big, big)),
        plates=(("GT", big),),
        emails=(big,),
        handles=(("facebook", big),),
    )
    record = normalise(raw, today=TODAY, default_country="GT")
    assert record.name.is_empty
    assert (record.birth, record.identifiers, record.sex, record.nationality) == (None, (), Sex.UNKNOWN, "")
