"""Birth dates: the forms the region writes, their precision, and what is refused."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vinculo.linkage.dates import parse_birth_date
from vinculo.linkage.record import BirthDate, DatePrecision

TODAY = date(2026, 6, 15)


def read(text: str) -> BirthDate | None:
    birth, problem = parse_birth_date(text, today=TODAY)
    assert problem is None, problem
    return birth


def refusal(text: str) -> str:
    birth, problem = parse_birth_date(text, today=TODAY)
    assert birth is None
    assert problem is not None
    assert problem.field == "birth_date"
    return problem.code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1990-03-07", BirthDate(1990, 3, 7)),
        ("1990-03-07T00:00:00Z", BirthDate(1990, 3, 7)),
        ("1990/3/7", BirthDate(1990, 3, 7)),
        ("07/03/1990", BirthDate(1990, 3, 7)),
        ("7-3-1990", BirthDate(1990, 3, 7)),
        ("7.3.1990", BirthDate(1990, 3, 7)),
        (" 07 03 1990 ", BirthDate(1990, 3, 7)),
        ("07 / 03 / 1990", BirthDate(1990, 3, 7)),
        ("1990.", BirthDate(1990)),
        ("7-3-90", BirthDate(1990, 3, 7)),
        ("7/3/05", BirthDate(2005, 3, 7)),
        ("7/3/26", BirthDate(2026, 3, 7)),
        ("7/3/27", BirthDate(1927, 3, 7)),
        ("3/1990", BirthDate(1990, 3)),
        ("03-1990", BirthDate(1990, 3)),
        ("1990-03", BirthDate(1990, 3)),
        ("1990", BirthDate(1990)),
        ("19900307", BirthDate(1990, 3, 7)),
        ("07031990", BirthDate(1990, 3, 7)),
        ("marzo de 1990", BirthDate(1990, 3)),
        ("Marzo 1990", BirthDate(1990, 3)),
        ("7 de marzo de 1990", BirthDate(1990, 3, 7)),
        ("7 de Setiembre del 1990", BirthDate(1990, 9, 7)),
        ("1º de enero de 1990", BirthDate(1990, 1, 1)),
        ("March 7, 1990", BirthDate(1990, 3, 7)),
        ("7th March 1990", BirthDate(1990, 3, 7)),
        ("7-mar-1990", BirthDate(1990, 3, 7)),
        ("sept. 1990", BirthDate(1990, 9)),
        ("07-MAR-90", BirthDate(1990, 3, 7)),
        ("DICIEMBRE 1990", BirthDate(1990, 12)),
        ("00/03/1990", BirthDate(1990, 3)),
        ("00/00/1990", BirthDate(1990)),
        ("aprox. 1990", BirthDate(1990)),
        ("circa 7/3/1990", BirthDate(1990)),
    ],
)
def test_region_forms_are_read_with_their_precision(text, expected):
    assert read(text) == expected


def test_precision_follows_the_text():
    assert read("1990").precision == DatePrecision.YEAR
    assert read("3/1990").precision == DatePrecision.MONTH
    assert read("7/3/1990").precision == DatePrecision.DAY


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("30/02/1990", "impossible_date"),
        ("29/02/1990", "impossible_date"),
        ("03/25/1990", "impossible_date"),  # month-first is not guessed
        ("1990-13-01", "impossible_date"),
        ("16/06/2026", "future_date"),
        ("7/2026", "future_date"),
        ("2027", "future_date"),
        ("1900", "too_old"),
        ("14/06/1905", "too_old"),
        ("90", "ambiguous_date"),
        ("0000-00-00", "placeholder"),
        ("ayer", "unreadable"),
        ("7 de marzo", "unreadable"),
        ("marzo 90", "ambiguous_date"),
        ("March 12", "ambiguous_date"),
        ("1990-1991", "unreadable"),
        ("35 años", "unreadable"),
        ("7/3/1990\x00", "control_characters"),
        ("1" * 100, "too_long"),
    ],
)
def test_refusals_name_their_reason(text, code):
    assert refusal(text) == code


def test_eight_digits_are_read_only_when_one_reading_is_a_date():
    # With years 1906-2026 the two readings never both hold (month "19"/"20" is no month).
    assert read("19901011") == BirthDate(1990, 10, 11)
    assert read("20011990") == BirthDate(1990, 1, 20)
    assert refusal("99999999") == "impossible_date"


def test_ages_up_to_120_are_kept():
    assert read("15/06/1906") == BirthDate(1906, 6, 15)
    assert read("1906") == BirthDate(1906)


def test_empty_is_no_problem():
    assert parse_birth_date("", today=TODAY) == (None, None)
    assert parse_birth_date("   ", today=TODAY) == (None, None)


def test_today_defaults_to_the_clock():
    birth, problem = parse_birth_date("1990")
    assert (birth, problem) == (BirthDate(1990), None)


@given(st.text(max_size=80))
def test_never_raises_and_a_reading_is_a_real_past_date(text):
    birth, problem = parse_birth_date(text, today=TODAY)
    assert (birth is None) or (problem is None)
    if birth is not None:
        date(birth.year, birth.month or 1, birth.day or 1)  # a real date
        assert TODAY.year - 121 <= birth.year <= TODAY.year


@given(st.dates(min_value=date(1907, 1, 1), max_value=TODAY))
def test_every_written_form_of_a_real_date_reads_back(day):
    for text in (day.isoformat(), f"{day.day:02d}/{day.month:02d}/{day.year}", f"{day.day}-{day.month}-{day.year}"):
        assert read(text) == BirthDate(day.year, day.month, day.day)
