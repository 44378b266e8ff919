"""Proceedings, decisions and sentences: the procedural history of a case, kept by its team.

A decision settles one charge in one proceeding; recording it moves the charge on (a verdict
adjudicates it, a dismissal dismisses it). Only a conviction carries a sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.audit import services as audit
from vinculo.cases.models import Case, Charge, Decision, Proceeding, Sentence
from vinculo.cases.selectors import can_edit
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.core.validation import validate
from vinculo.reference.models import Code

NOT_ALLOWED = _("You may not change this case.")
OTHER_CASE = _("That charge belongs to another case.")
ALREADY_DECIDED = _("This proceeding already has a decision on that charge.")
BEFORE_PROCEEDING = _("The decision cannot come before the proceeding started.")
FUTURE = _("This date is in the future.")
WRONG_LIST = _("This code does not belong to the right list.")
REASON_NEEDED = _("Say why the court acquitted (or choose “Not known”).")
REASON_ONLY_FOR_ACQUITTALS = _("A reason for acquittal only goes with an acquittal.")
SENTENCE_ONLY_FOR_CONVICTIONS = _("Only a conviction carries a sentence.")
SANCTION_NEEDED = _("Choose at least one sanction.")
TERM_NEEDED = _("Imprisonment was chosen: give the prison term in months.")
TERM_WITHOUT_PRISON = _("A prison term goes with the sanction “Imprisonment”.")
BAD_CURRENCY = _("Give the currency as a three-letter ISO 4217 code, e.g. GTQ or USD.")
NEGATIVE_AMOUNT = _("Amounts cannot be negative.")

# What a verdict does to the charge it settles; verdicts not listed leave the charge as it is.
CHARGE_STATUS_AFTER: dict[str, str] = {
    "CONVICTED": "ADJUDICATED",
    "CONVICTED_OF_OTHER_OFFENCE": "RECLASSIFIED",
    "ACQUITTED": "ADJUDICATED",
    "DISCHARGED_NO_CASE": "ADJUDICATED",
    "DISMISSED": "DISMISSED",
}

# The currency a node's amounts are usually in (ISO 4217), offered as the default.
CURRENCY_OF_COUNTRY: dict[str, str] = {
    "GT": "GTQ",
    "SV": "USD",
    "HN": "HNL",
    "NI": "NIO",
    "CR": "CRC",
    "PA": "USD",
    "BZ": "BZD",
    "DO": "DOP",
}


def _check_list(code: Code | None, key: str) -> None:
    if code is not None and code.code_list.key != key:
        raise DomainError(WRONG_LIST)


@transaction.atomic(durable=True)
def open_proceeding(
    *,
    by: User,
    case: Case,
    instance: Code,
    procedure_type: Code,
    court: str,
    started_on: date,
    court_reference: str = "",
    ended_on: date | None = None,
    notes: str = "",
) -> Proceeding:
    if not can_edit(by, case):
        raise AccessDenied(NOT_ALLOWED)
    proceeding = Proceeding(
        case=case,
        instance=instance,
        procedure_type=procedure_type,
        court=court.strip(),
        court_reference=court_reference.strip(),
        started_on=started_on,
        ended_on=ended_on,
        notes=notes.strip(),
        created_by=by,
    )
    validate(proceeding)
    proceeding.save()
    audit.record(
        action="case.proceeding_opened",
        actor=by,
        target=case,
        data={"proceeding": proceeding.pk, "instance": instance.code, "procedure": procedure_type.code},
    )
    return proceeding


@transaction.atomic(durable=True)
def close_proceeding(*, by: User, proceeding: Proceeding, ended_on: date) -> Proceeding:
    """Record the day a proceeding ended (or correct it)."""
    if not can_edit(by, proceeding.case):
        raise AccessDenied(NOT_ALLOWED)
    locked = Proceeding.objects.select_for_update().get(pk=proceeding.pk)
    previous = locked.ended_on
    locked.ended_on = ended_on
    validate(locked)
    locked.save(update_fields=["ended_on"])
    audit.record(
        action="case.proceeding_closed",
        actor=by,
        target=locked.case,
        data={
            "proceeding": locked.pk,
            "ended_on": ended_on.isoformat(),
            "was": previous.isoformat() if previous else None,
        },
    )
    return locked


@transaction.atomic(durable=True)
def record_decision(
    *,
    by: User,
    proceeding: Proceeding,
    charge: Charge,
    decided_on: date,
    verdict: Code,
    acquittal_reason: Code | None = None,
    is_final: bool = False,
    notes: str = "",
    sentence: SentenceTerms | None = None,
) -> Decision:
    """Record the court's decision on ``charge``, move the charge's status on, and for a
    conviction record its sentence in the same transaction (all or nothing)."""
    case = proceeding.case
    if not can_edit(by, case):
        raise AccessDenied(NOT_ALLOWED)
    if charge.party.case_id != case.pk:
        raise DomainError(OTHER_CASE)
    _check_list(verdict, "verdict")
    _check_list(acquittal_reason, "acquittal_reason")
    if decided_on > timezone.localdate():
        raise DomainError(FUTURE)
    if decided_on < proceeding.started_on:
        raise DomainError(BEFORE_PROCEEDING)
    acquitted = verdict.code == "ACQUITTED"
    if acquitted and (acquittal_reason is None or acquittal_reason.code == "NA"):
        raise DomainError(REASON_NEEDED)
    if not acquitted and acquittal_reason is not None and acquittal_reason.code != "NA":
        raise DomainError(REASON_ONLY_FOR_ACQUITTALS)
    if acquittal_reason is None or not acquitted:
        acquittal_reason = Code.objects.get(code_list__key="acquittal_reason", code="NA")
    if Decision.objects.filter(proceeding=proceeding, charge=charge).exists():
        raise DomainError(ALREADY_DECIDED)
    decision = Decision.objects.create(
        proceeding=proceeding,
        charge=charge,
        decided_on=decided_on,
        verdict=verdict,
        acquittal_reason=acquittal_reason,
        is_final=is_final,
        notes=notes.strip(),
        created_by=by,
    )
    charge_was = charge.status.code
    new_status = CHARGE_STATUS_AFTER.get(verdict.code)
    if new_status and new_status != charge_was:
        Charge.objects.filter(pk=charge.pk).update(
            status=Code.objects.get(code_list__key="charge_status", code=new_status)
        )
    audit.record(
        action="case.decision_recorded",
        actor=by,
        target=case,
        data={
            "decision": decision.pk,
            "proceeding": proceeding.pk,
            "party": charge.party_id,
            "provision": str(charge.provision),
            "verdict": verdict.code,
            "final": is_final,
            "charge_status": {"was": charge_was, "now": new_status or charge_was},
        },
    )
    if sentence is not None:
        _save_sentence(by=by, decision=decision, terms=sentence)
    return decision


@dataclass(frozen=True)
class SentenceTerms:
    """What a conviction imposed, as entered."""

    sanctions: Sequence[Code]
    currency: str
    imprisonment_months: int | None = None
    suspended: bool = False
    fine_amount: Decimal | None = None
    confiscated_value: Decimal | None = None
    reparation_amount: Decimal | None = None


@transaction.atomic(durable=True)
def record_sentence(*, by: User, decision: Decision, terms: SentenceTerms) -> Sentence:
    """Record (or correct) what a conviction imposed; a decision has at most one sentence."""
    if not can_edit(by, decision.proceeding.case):
        raise AccessDenied(NOT_ALLOWED)
    return _save_sentence(by=by, decision=decision, terms=terms)


def _save_sentence(*, by: User, decision: Decision, terms: SentenceTerms) -> Sentence:
    if not decision.is_conviction:
        raise DomainError(SENTENCE_ONLY_FOR_CONVICTIONS)
    chosen = list(terms.sanctions)
    if not chosen:
        raise DomainError(SANCTION_NEEDED)
    for sanction in chosen:
        _check_list(sanction, "sanction")
    prison = any(sanction.code == "IMPRISONMENT" for sanction in chosen)
    if prison and not terms.imprisonment_months:
        raise DomainError(TERM_NEEDED)
    if not prison and terms.imprisonment_months:
        raise DomainError(TERM_WITHOUT_PRISON)
    currency = terms.currency.strip().upper()
    if len(currency) != 3 or not currency.isascii() or not currency.isalpha():
        raise DomainError(BAD_CURRENCY)
    amounts = (terms.fine_amount, terms.confiscated_value, terms.reparation_amount)
    if any(amount is not None and amount < 0 for amount in amounts):
        raise DomainError(NEGATIVE_AMOUNT)
    values = {
        "imprisonment_months": terms.imprisonment_months,
        "suspended": terms.suspended,
        "currency": currency,
        "fine_amount": terms.fine_amount,
        "confiscated_value": terms.confiscated_value,
        "reparation_amount": terms.reparation_amount,
    }
    sentence, created = Sentence.objects.update_or_create(
        decision=decision, defaults=values, create_defaults={**values, "created_by": by}
    )
    sentence.sanctions.set(chosen)
    audit.record(
        action="case.sentence_recorded" if created else "case.sentence_corrected",
        actor=by,
        target=decision.proceeding.case,
        data={
            "decision": decision.pk,
            "sanctions": sorted(sanction.code for sanction in chosen),
            "months": terms.imprisonment_months,
            "suspended": terms.suspended,
        },
    )
    return sentence
