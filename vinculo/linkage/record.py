"""A person before and after normalisation: the engine's input and the form every other part reads.

``RawPerson`` is what an office's case registry (or a query form, or the synthetic generator)
hands over: text as written, nothing checked. ``normalise`` (``vinculo.linkage.normalise``) turns
it into a ``PersonRecord``: ordered name parts, a birth date with its precision, canonical
identifiers, and the problems found (a field that could not be read is left out and named in
``problems`` with a reason; it never raises and never invents a value).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class RawPerson:
    """A person as written in an office's records; every field optional."""

    record_id: str
    given_names: str = ""  # "José María", "Chepe"
    first_surname: str = ""  # the paternal surname as the record holds it: "de la Cruz"
    second_surname: str = ""  # the maternal surname: "López", or a married form "de Pérez"
    full_name: str = ""  # when the record does not separate the parts: "María López de Pérez"
    sex: str = ""  # as written: "F", "M", "mujer", "hombre", ""
    birth_date: str = ""  # as written: "1990-03-07", "07/03/1990", "3/1990", "1990"
    nationality: str = ""  # as written: "GT", "guatemalteca", "Guatemala"
    phones: tuple[str, ...] = ()  # as written: "5555-1234", "+502 5555 1234"
    documents: tuple[tuple[str, str, str], ...] = ()  # (kind: passport | national_id, issuing country, number)
    plates: tuple[tuple[str, str], ...] = ()  # (country, plate as written)
    emails: tuple[str, ...] = ()
    handles: tuple[tuple[str, str], ...] = ()  # (platform, handle as written): ("facebook", "@chepe.lopez")


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNKNOWN = ""


class DatePrecision(StrEnum):
    YEAR = "year"
    MONTH = "month"
    DAY = "day"


@dataclass(frozen=True)
class BirthDate:
    """A birth date as precise as the record is: ``month`` and ``day`` are None when unknown."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> DatePrecision:
        if self.day is not None:
            return DatePrecision.DAY
        return DatePrecision.MONTH if self.month is not None else DatePrecision.YEAR


@dataclass(frozen=True)
class PersonName:
    """A Hispanic name as ordered parts, each normalised (lower case, no accents, particles kept apart).

    ``given`` are the given names in order; ``given_canonical`` the same names with nicknames
    resolved, one tuple of candidates per given name ("beto" → ("alberto", "roberto"); a name
    that is no nickname → itself). Surnames keep their particles in ``*_particles`` ("de la" for
    "de la Cruz") and the bare surname in the field ("cruz"). ``married_surname`` is the husband's
    surname of a married form ("López de Pérez" → second "lopez", married "perez"), empty otherwise.
    """

    given: tuple[str, ...] = ()
    given_canonical: tuple[tuple[str, ...], ...] = ()
    first_surname: str = ""
    first_surname_particles: str = ""
    second_surname: str = ""
    second_surname_particles: str = ""
    married_surname: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.given or self.first_surname or self.second_surname)


class IdentifierKind(StrEnum):
    PHONE = "phone"
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    PLATE = "plate"
    EMAIL = "email"
    HANDLE = "handle"


@dataclass(frozen=True)
class Identifier:
    """An exact identifier in canonical form, with the country (or platform) it belongs to.

    ``value`` is the canonical text that keyed tokens are made from: E.164 for phones
    ("+50255551234"), the number without separators for documents ("1234567890101"), the plate
    without separators in upper case, the e-mail address in lower case, the handle without "@" in
    lower case. ``scope`` is the issuing country (ISO 3166 alpha-2) or, for a handle, the platform.
    """

    kind: IdentifierKind
    scope: str
    value: str

    @property
    def key(self) -> str:
        """One string naming the identifier everywhere: ``kind:scope:value``."""
        return f"{self.kind}:{self.scope}:{self.value}"


@dataclass(frozen=True)
class Problem:
    """Something in the input that was left out or is doubtful, with a stable code and a reason in English."""

    field: str  # the RawPerson field: "birth_date", "phones[1]", "documents[0]"…
    code: str  # "empty", "too_long", "control_characters", "future_date", "bad_check_digit", "unreadable"…
    detail: str = ""


@dataclass(frozen=True)
class PersonRecord:
    """A person as the engine reads them: only what could be read, and what could not, in ``problems``."""

    record_id: str
    name: PersonName = field(default_factory=PersonName)
    sex: Sex = Sex.UNKNOWN
    birth: BirthDate | None = None
    nationality: str = ""  # ISO 3166 alpha-2, or empty
    identifiers: tuple[Identifier, ...] = ()
    problems: tuple[Problem, ...] = ()
