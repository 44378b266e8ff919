"""The Palermo completeness check, with no Django imports.

Article 3 of the Trafficking in Persons Protocol defines trafficking as an act (recruitment,
transportation, transfer, harbouring or receipt) by a means (threat, force, deception, abuse
of vulnerability …) for the purpose of exploitation. For a child the means are not required.
The registry shows this as guidance — what the file still lacks — never as a verdict: the
legal qualification is the prosecutor's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

TIP_ACTS = frozenset({"RECRUITMENT", "TRANSPORTATION", "TRANSFER", "HARBOURING", "RECEIPT"})
# Codes that record the absence of a fact rather than a fact.
NOT_A_FACT = frozenset({"NA", "NK"})
CHILD_MEANS = "NOT_REQUIRED_CHILD"


@dataclass(frozen=True)
class PalermoCheck:
    has_act: bool
    has_means: bool
    has_purpose: bool
    means_required: bool

    @property
    def missing(self) -> tuple[str, ...]:
        """Which elements the file does not show yet: some of ``act``, ``means``, ``purpose``."""
        gaps = []
        if not self.has_act:
            gaps.append("act")
        if self.means_required and not self.has_means:
            gaps.append("means")
        if not self.has_purpose:
            gaps.append("purpose")
        return tuple(gaps)

    @property
    def is_complete(self) -> bool:
        return not self.missing


def check(*, acts: Iterable[str], means: Iterable[str], purposes: Iterable[str], is_child: bool) -> PalermoCheck:
    """Act + means + purpose, or act + purpose for a child victim."""
    acts, means, purposes = set(acts), set(means), set(purposes)
    return PalermoCheck(
        has_act=bool(acts & TIP_ACTS),
        has_means=bool(means - NOT_A_FACT - {CHILD_MEANS}),
        has_purpose=bool(purposes - NOT_A_FACT),
        means_required=not is_child,
    )
