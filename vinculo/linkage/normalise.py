"""``normalise``: a ``RawPerson`` as written into the ``PersonRecord`` the engine reads.

Nothing here raises on input. A field that cannot be read is left out and named in ``problems``
with a stable code (``PROBLEM_CODES``); hostile input (control characters, 10 kB names, emoji,
right-to-left marks, NUL bytes, absurd dates, thousands of phone numbers) yields an empty or
smaller record, never a value that could make a hit on its own.

Context: ``default_country`` is the country of the office whose records these are (alpha-2 or a
name). A national phone number is read as the office's first (local numbers are written the
local way), then as the person's nationality's; a plate without a country is the office's; an
identity document without its issuing country is the person's nationality's (then the
office's), and a passport without one only the nationality's (it is most likely the holder's own).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache

from vinculo.linkage.dates import parse_birth_date
from vinculo.linkage.identifiers import (
    country_code,
    is_passport_kind,
    normalise_document,
    normalise_email,
    normalise_handle,
    normalise_phone,
    normalise_plate,
)
from vinculo.linkage.names import fold, read_name
from vinculo.linkage.record import Identifier, PersonRecord, Problem, RawPerson, Sex

MAX_ITEMS_PER_FIELD = 20  # more phones (or documents…) than any real record holds: the rest is ignored

# Every code a Problem can carry; tests hold the readers to this list, consumers may rely on it.
PROBLEM_CODES = frozenset(
    {
        "ambiguous_date", "bad_check_digit", "bad_format", "bad_length", "control_characters",
        "dropped_characters", "empty", "future_date", "impossible_date", "missing_country", "placeholder",
        "too_long", "too_many", "too_old", "unknown_country", "unknown_kind", "unknown_platform",
        "unreadable", "unsupported_country",
    }
)  # fmt: skip

# "M" is masculino here, as on Central American forms (not "mujer" as on some Spanish ones).
_SEXES = {
    **dict.fromkeys(("f", "fem", "femenino", "femenina", "mujer", "female", "woman", "feminine"), Sex.FEMALE),
    **dict.fromkeys(("m", "masc", "masculino", "hombre", "h", "varon", "male", "man", "masculine"), Sex.MALE),
}
_UNKNOWN_SEX = frozenset({"", "x", "u", "nd", "n d", "no indica", "desconocido", "unknown", "otro", "other"})


def read_sex(text: str) -> tuple[Sex, Problem | None]:
    """Sex as written ("F", "mujer", "masculino") → ``Sex``; anything else is unknown, with a problem."""
    return _read_sex(text[:40])


@lru_cache(maxsize=1024)
def _read_sex(text: str) -> tuple[Sex, Problem | None]:
    folded = fold(text)
    if folded in _SEXES:
        return _SEXES[folded], None
    if folded in _UNKNOWN_SEX and (folded or not text.strip()):
        return Sex.UNKNOWN, None
    return Sex.UNKNOWN, Problem("sex", "unreadable", "not a sex this reader knows")


_STR = (str,) * 3  # the type for each piece of an item, for ``map(isinstance, …)``


def _text(value: object, field: str, problems: list[Problem]) -> str:
    if isinstance(value, str):
        return value
    if value is not None:
        problems.append(Problem(field, "unreadable", "not text"))
    return ""


def _items(value: object, field: str, width: int, problems: list[Problem]) -> list[tuple[int, tuple[str, ...]]]:
    """The readable items of a repeated field, as tuples of ``width`` strings, each with its index."""
    if not value:
        return []
    if not isinstance(value, tuple | list):
        problems.append(Problem(field, "unreadable", "not a list"))
        return []
    if len(value) > MAX_ITEMS_PER_FIELD:
        problems.append(Problem(field, "too_many", f"{len(value)} items; the first {MAX_ITEMS_PER_FIELD} are read"))
    items = []
    for index, item in enumerate(value[:MAX_ITEMS_PER_FIELD]):
        parts = (item,) if width == 1 else item
        if not isinstance(parts, tuple | list) or len(parts) != width or not all(map(isinstance, parts, _STR)):
            problems.append(Problem(f"{field}[{index}]", "unreadable", f"not {width} piece(s) of text"))
        elif parts[-1] and not parts[-1].isspace():  # an empty value is no item, and no problem
            items.append((index, tuple(parts)))
    return items


def _collect(
    reader: Callable[..., tuple[Identifier | None, Problem | None]],
    args: tuple[str, ...],
    identifiers: dict[str, Identifier],
    problems: list[Problem],
    **options: str,
) -> None:
    identifier, problem = reader(*args, **options)
    if identifier is not None:
        identifiers.setdefault(identifier.key, identifier)
    if problem is not None:
        problems.append(problem)


def normalise(raw: RawPerson, *, today: date | None = None, default_country: str = "") -> PersonRecord:
    """Read everything readable in ``raw``; name what was not in ``problems``."""
    problems: list[Problem] = []
    office_country = country_code(default_country) if default_country else ""

    sex_text = _text(raw.sex, "sex", problems)
    sex, sex_problem = read_sex(sex_text)
    if sex_problem:
        problems.append(sex_problem)

    nationality_text = _text(raw.nationality, "nationality", problems)
    nationality = country_code(nationality_text)
    if nationality_text.strip() and not nationality:
        problems.append(Problem("nationality", "unknown_country", "not a country this reader knows"))

    reading = read_name(
        _text(raw.given_names, "given_names", problems),
        _text(raw.first_surname, "first_surname", problems),
        _text(raw.second_surname, "second_surname", problems),
        _text(raw.full_name, "full_name", problems),
        sex,
    )
    problems.extend(Problem(field, code, detail) for field, code, detail in reading.problems)

    birth, birth_problem = parse_birth_date(_text(raw.birth_date, "birth_date", problems), today=today)
    if birth_problem:
        problems.append(birth_problem)

    identifiers: dict[str, Identifier] = {}
    person_country = nationality or office_country
    for index, (phone,) in _items(raw.phones, "phones", 1, problems):
        _collect(
            normalise_phone,
            (phone,),
            identifiers,
            problems,
            default_country=office_country or nationality,
            fallback_country=nationality,
            field=f"phones[{index}]",
        )
    for index, (kind, issuer, number) in _items(raw.documents, "documents", 3, problems):
        fallback = nationality if is_passport_kind(kind) else person_country
        _collect(
            normalise_document,
            (kind, issuer, number),
            identifiers,
            problems,
            fallback_country=fallback,
            field=f"documents[{index}]",
        )
    for index, (country, plate) in _items(raw.plates, "plates", 2, problems):
        plate_country = country if country.strip() else office_country or nationality
        _collect(normalise_plate, (plate_country, plate), identifiers, problems, field=f"plates[{index}]")
    for index, (email,) in _items(raw.emails, "emails", 1, problems):
        _collect(normalise_email, (email,), identifiers, problems, field=f"emails[{index}]")
    for index, (platform, handle) in _items(raw.handles, "handles", 2, problems):
        _collect(
            normalise_handle,
            (platform, handle),
            identifiers,
            problems,
            default_country=person_country,
            field=f"handles[{index}]",
        )

    return PersonRecord(
        record_id=raw.record_id if isinstance(raw.record_id, str) else str(raw.record_id),
        name=reading.name,
        sex=sex,
        birth=birth,
        nationality=nationality,
        identifiers=tuple(identifiers.values()),
        problems=tuple(problems),
    )
