"""Handling codes and the provider's consents, as plain data: what a holder may do with what it received.

The codes travel in the envelope's header and in the payload (docs/protocol.md), set by the
office that provides the information:

- H0 — use only for the purpose stated in the exchange;
- H1 — not to be used as evidence without the provider's permission (a letter rogatory or a
  mutual legal assistance request normally follows); exports are stamped "not evidence";
- H2 — no onward transmission without the provider's permission: forwarding is blocked;
- H3 — other conditions, in free text, shown wherever the content is shown.

A consent request travels back to the provider; a granted consent lifts H1 (use as evidence)
or H2 (transmission to one named member) for that item only. Refusals and pending requests
lift nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

CODES = ("H0", "H1", "H2", "H3")


class ConsentKind(StrEnum):
    USE_AS_EVIDENCE = "evidence"  # lifts H1
    ONWARD_TRANSMISSION = "onward"  # lifts H2 for one recipient


@dataclass(frozen=True)
class Consent:
    kind: ConsentKind
    granted: bool
    recipient: str = ""  # for ONWARD_TRANSMISSION: the member it may go to


@dataclass(frozen=True)
class Restrictions:
    codes: frozenset[str]
    purpose: str
    conditions: str
    may_use_as_evidence: bool
    forward_allowed_to: frozenset[str] | None  # None: anyone (no H2)

    def may_forward_to(self, member: str) -> bool:
        return self.forward_allowed_to is None or member in self.forward_allowed_to

    @property
    def export_stamp(self) -> str:
        """The mark every export of the content carries ("" when none is needed)."""
        return "" if self.may_use_as_evidence else "H1"


class InvalidHandling(ValueError):
    """The codes or their conditions are not acceptable; ``code`` says which rule (for the message)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code  # unknown_code, h3_needs_conditions, conditions_without_h3, bad_evaluation


def check_codes(codes: Iterable[str], *, conditions: str = "", allowed: Iterable[str] = CODES) -> tuple[str, ...]:
    """The codes, sorted and without repeats; refuses unknown codes and H3 without its conditions."""
    chosen = sorted(set(codes))
    permitted = set(allowed)
    unknown = [code for code in chosen if code not in permitted]
    if unknown:
        raise InvalidHandling("unknown_code", f"unknown handling code(s): {', '.join(unknown)}")
    if "H3" in chosen and not conditions.strip():
        raise InvalidHandling("h3_needs_conditions", "H3 needs its conditions written out")
    if conditions.strip() and "H3" not in chosen:
        raise InvalidHandling("conditions_without_h3", "conditions are given only with H3")
    return tuple(chosen)


def restrictions(
    codes: Iterable[str], *, purpose: str = "", conditions: str = "", consents: Iterable[Consent] = ()
) -> Restrictions:
    """What the holder may do with an item carrying ``codes``, given the consents recorded for it."""
    chosen = frozenset(codes)
    granted = [consent for consent in consents if consent.granted]
    evidence = "H1" not in chosen or any(c.kind == ConsentKind.USE_AS_EVIDENCE for c in granted)
    forward: frozenset[str] | None = None
    if "H2" in chosen:
        forward = frozenset(c.recipient for c in granted if c.kind == ConsentKind.ONWARD_TRANSMISSION and c.recipient)
    return Restrictions(
        codes=chosen,
        purpose=purpose if "H0" in chosen else "",
        conditions=conditions if "H3" in chosen else "",
        may_use_as_evidence=evidence,
        forward_allowed_to=forward,
    )


# --- source and information evaluation (4x4) ---------------------------------------------------

SOURCE_GRADES = ("A", "B", "C", "X")  # reliable … cannot be assessed
INFORMATION_GRADES = ("1", "2", "3", "4")  # known to be true … cannot be judged


def check_evaluation(source: str, information: str) -> str:
    """The 4x4 grade as written ("B2"); both parts or neither ("" when not graded)."""
    if not source and not information:
        return ""
    if source not in SOURCE_GRADES or information not in INFORMATION_GRADES:
        raise InvalidHandling("bad_evaluation", f"not a 4x4 evaluation: {source!r}{information!r}")
    return f"{source}{information}"
