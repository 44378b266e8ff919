"""Whether an ICCS code fits the crime a legal provision is classified under (pure: plain data in and out).

The code lists carry the ICCS mapping: each crime family that is one offence (trafficking,
smuggling) maps to the ICCS category its offences fall under (``0204``, ``08051``), and the
forms of exploitation map to the sub-categories of trafficking (``02041`` … ``02044``). A
provision's ICCS code must start with its family's category, and a family without a category
of its own (a related offence) must not take a code that belongs to another family.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PATTERN = re.compile(r"^\d{4,6}$")


@dataclass(frozen=True)
class Mismatch:
    """Why a code does not fit a family: whose code it is, and what the family expects."""

    owner: str | None  # the family whose category the code falls under, when it is another one
    expected_prefix: str | None  # the family's own category, when it has one
    known_codes: tuple[str, ...] = ()  # the family's known sub-categories, when the code is none of them


def is_well_formed(code: str) -> bool:
    return bool(PATTERN.fullmatch(code))


def owner_of(code: str, prefixes: Mapping[str, str]) -> str | None:
    """The family whose ICCS category the code falls under (the longest matching category wins)."""
    matches = [(len(prefix), family) for family, prefix in prefixes.items() if code.startswith(prefix)]
    return max(matches)[1] if matches else None


def mismatch(code: str, family: str, prefixes: Mapping[str, str], sub_codes: Iterable[str] = ()) -> Mismatch | None:
    """None when ``code`` fits ``family``; otherwise what is wrong.

    ``prefixes`` maps each family to its ICCS category (families without one are absent);
    ``sub_codes`` are the known ICCS sub-categories (from the forms of exploitation).
    """
    owner = owner_of(code, prefixes)
    own = prefixes.get(family)
    if own is None:
        return Mismatch(owner=owner, expected_prefix=None) if owner is not None else None
    if not code.startswith(own):
        return Mismatch(owner=owner if owner != family else None, expected_prefix=own)
    known = sorted({sub for sub in sub_codes if sub.startswith(own) and len(sub) > len(own)})
    if len(code) > len(own) and known and not any(code.startswith(sub) or sub.startswith(code) for sub in known):
        return Mismatch(owner=None, expected_prefix=own, known_codes=(own, *known))
    return None
