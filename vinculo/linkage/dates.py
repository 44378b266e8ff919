"""Birth dates as the region writes them, read into a ``BirthDate`` as precise as the text is.

Accepted: ISO ("1990-03-07", with or without a time), day first ("07/03/1990", "7-3-1990",
"7.3.1990"), two-digit years ("7-3-90": the most recent century that does not put the date in the
future), month and year ("3/1990", "1990-03"), the year alone ("1990"), eight digits when only one
reading is a valid date ("19900307", "07031990"), and written months in Spanish or English ("marzo
de 1990", "7 de marzo de 1990", "March 7, 1990", "sept. 1990"). "00" for an unknown day or month
("00/03/1990") lowers the precision. "aprox." / "circa" keeps only the year.

Refused, as a ``Problem`` and never an exception: impossible dates (30 February, month 13), dates
in the future (against an injectable ``today``), ages over 120, forms with two readings, and
anything else. Day and month are never swapped to make a date valid: "03/25/1990" is refused, and
the comparator is where a swapped day and month is forgiven.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from functools import lru_cache

from vinculo.linkage.record import BirthDate, Problem

MAX_DATE_CHARS = 64
MAX_AGE_YEARS = 120

_MONTHS = {
    "enero": 1, "ene": 1, "january": 1, "jan": 1,
    "febrero": 2, "feb": 2, "february": 2,
    "marzo": 3, "mar": 3, "march": 3,
    "abril": 4, "abr": 4, "april": 4, "apr": 4,
    "mayo": 5, "may": 5,
    "junio": 6, "jun": 6, "june": 6,
    "julio": 7, "jul": 7, "july": 7,
    "agosto": 8, "ago": 8, "august": 8, "aug": 8,
    "septiembre": 9, "setiembre": 9, "sep": 9, "sept": 9, "set": 9, "september": 9,
    "octubre": 10, "oct": 10, "october": 10,
    "noviembre": 11, "nov": 11, "november": 11,
    "diciembre": 12, "dic": 12, "december": 12, "dec": 12,
}  # fmt: skip
_FILLER_WORDS = frozenset({"de", "del", "of", "the", "el"})
_APPROXIMATE_WORDS = frozenset({"aprox", "aproximadamente", "approx", "approximately", "circa", "ca", "cerca"})

_TIME = r"(?:[t ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?"
_YMD = re.compile(r"(\d{4})[-/. ](\d{1,2})[-/. ](\d{1,2})" + _TIME)
_DMY = re.compile(r"(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})")
_DMYY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2})")
_YM = re.compile(r"(\d{4})[-/.](\d{1,2})")
_MY = re.compile(r"(\d{1,2})[-/. ](\d{4})")
_Y = re.compile(r"\d{4}")
_EIGHT = re.compile(r"\d{8}")
_SPACED_SEPARATOR = re.compile(r" ?([-/]) ?")
_WORD_TOKENS = re.compile(r"[a-z]+|\d+")
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th|ro|ero|vo|to|o|a)\b")


class _Refused(Exception):
    """Internal control flow: a reading that ends in a problem; never leaves this module."""

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        self.detail = detail


def _today() -> date:
    return datetime.now(UTC).date()


def _plain(text: str) -> str:
    """Lower case without accents or stray spacing; control characters are refused rather than repaired."""
    if not (text.isascii() and text.isprintable()):
        if any(unicodedata.category(char) in ("Cc", "Cf") and char not in "\t\n\r" for char in text):
            raise _Refused("control_characters", "control or invisible formatting characters")
        text = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    text = text.lower().strip(" \t\r\n.,;")
    if " " in text:
        text = _SPACED_SEPARATOR.sub(r"\1", " ".join(text.split()))  # "07 / 03 / 1990"
    return text


_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def _two_digit_year(short: int, today: date) -> int:
    year = 2000 + short
    return year if year <= today.year else 1900 + short


def _check(year: int, month: int | None, day: int | None, today: date) -> BirthDate:
    if year == 0 and not month and not day:
        raise _Refused("placeholder", "an all-zero date stands for an unknown one")
    if month == 0:
        month, day = None, None  # "00/00/1990": day and month unknown
    if day == 0:
        day = None  # "00/03/1990": day unknown
    if month is not None and not 1 <= month <= 12:
        raise _Refused("impossible_date", f"no month {month}")
    if day is not None and month is not None and not 1 <= day <= _days_in(year, month):
        raise _Refused("impossible_date", f"no day {day} in month {month} of {year}")
    if (year, month or 0, day or 0) > (today.year, today.month if month else 0, today.day if day else 0):
        raise _Refused("future_date", "the date is after today")
    # The youngest the person can be, given the precision, must not be over the limit.
    latest_month = month or 12
    latest_day = day or _days_in(year, latest_month)
    youngest_age = today.year - year - ((today.month, today.day) < (latest_month, latest_day))
    if youngest_age > MAX_AGE_YEARS:
        raise _Refused("too_old", f"an age over {MAX_AGE_YEARS} years")
    return BirthDate(year=year, month=month, day=day)


def _read_words(text: str, today: date) -> BirthDate:
    text = _ORDINAL.sub(r"\1", text)
    tokens = [token for token in _WORD_TOKENS.findall(text) if token not in _FILLER_WORDS]
    months = [index for index, token in enumerate(tokens) if token in _MONTHS]
    if len(months) != 1 or any(not token.isdigit() for index, token in enumerate(tokens) if index != months[0]):
        raise _Refused("unreadable", "not a date this reader knows")
    month = _MONTHS[tokens[months[0]]]
    numbers = [int(token) for token in tokens if token.isdigit()]
    lengths = [len(token) for token in tokens if token.isdigit()]
    if lengths == [4]:
        return _check(numbers[0], month, None, today)  # "marzo de 1990"
    if len(lengths) == 2 and lengths[1] == 4 and lengths[0] <= 2:
        return _check(numbers[1], month, numbers[0], today)  # "7 de marzo de 1990", "March 7, 1990"
    if len(lengths) == 2 and lengths[1] == 2 and lengths[0] <= 2 and months[0] == 1:
        return _check(_two_digit_year(numbers[1], today), month, numbers[0], today)  # "07-MAR-90"
    if lengths == [2]:
        raise _Refused("ambiguous_date", "two digits after a month may be a day or a year")
    raise _Refused("unreadable", "a written month needs a year")


def _read(text: str, today: date) -> BirthDate:
    words = text.replace(",", " ").replace(".", " . ").split()
    approximate = bool(words) and words[0].strip(".") in _APPROXIMATE_WORDS
    if approximate:
        text = " ".join(word for word in words[1:] if word != ".")
    if match := _YMD.fullmatch(text):
        year, month, day = (int(group) for group in match.groups())
        reading = _check(year, month, day, today)
    elif match := _DMY.fullmatch(text):
        day, month, year = (int(group) for group in match.groups())
        reading = _check(year, month, day, today)
    elif match := _DMYY.fullmatch(text):
        day, month, short = (int(group) for group in match.groups())
        reading = _check(_two_digit_year(short, today), month, day, today)
    elif match := _YM.fullmatch(text):
        reading = _check(int(match.group(1)), int(match.group(2)), None, today)
    elif match := _MY.fullmatch(text):
        reading = _check(int(match.group(2)), int(match.group(1)), None, today)
    elif _Y.fullmatch(text):
        reading = _check(int(text), None, None, today)
    elif _EIGHT.fullmatch(text):
        reading = _read_eight_digits(text, today)
    elif text.isdigit():
        raise _Refused("ambiguous_date", "a number that is not a four-digit year")
    else:
        reading = _read_words(text, today)
    return BirthDate(year=reading.year) if approximate else reading


def _read_eight_digits(text: str, today: date) -> BirthDate:
    readings = []
    for year, month, day in ((text[:4], text[4:6], text[6:]), (text[4:], text[2:4], text[:2])):
        try:
            readings.append(_check(int(year), int(month), int(day), today))
        except _Refused:
            continue
    if len(set(readings)) == 1:
        return readings[0]
    if readings:
        raise _Refused("ambiguous_date", "eight digits that read as two different dates")
    raise _Refused("impossible_date", "eight digits that are no date")


@lru_cache(maxsize=1 << 14)
def _parse_cached(text: str, today: date) -> tuple[BirthDate | None, str, str]:
    try:
        return _read(_plain(text), today), "", ""
    except _Refused as refusal:
        return None, refusal.code, refusal.detail


def parse_birth_date(
    text: str, *, today: date | None = None, field: str = "birth_date"
) -> tuple[BirthDate | None, Problem | None]:
    """Read a birth date; return it, or None and the problem that refused it (None, None for an empty field)."""
    if not text or text.isspace():
        return None, None
    if len(text) > MAX_DATE_CHARS:
        return None, Problem(field, "too_long", f"{len(text)} characters; at most {MAX_DATE_CHARS}")
    birth, code, detail = _parse_cached(text, today or _today())
    return birth, (Problem(field, code, detail) if code else None)
