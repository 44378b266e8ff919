"""The court side of a demo case: proceedings, decisions and sentences that fit its stage, and a
few documents, written through the services like everything else in the demo.

Derived from the case itself (stage, dates, charges) with a generator seeded by its number, so
a case gets the same history every time it is seeded.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from vinculo.accounts.models import User
from vinculo.cases.models import Case, CaseDocument, Charge, Proceeding
from vinculo.cases.services import documents, proceedings
from vinculo.reference.models import Code

# Stages in order, from the stage list; what each later one implies in court.
ORDER = [
    "REPORTED",
    "PRELIMINARY_INVESTIGATION",
    "FORMAL_CHARGING",
    "INDICTMENT",
    "INTERMEDIATE_HEARING",
    "TRIAL",
    "FIRST_INSTANCE_JUDGMENT",
    "APPEAL",
    "FINAL",
]
COURTS = {
    "GT": (
        "Juzgado de Primera Instancia Penal de Turno",
        "Tribunal Primero de Sentencia Penal",
        "Sala Primera de la Corte de Apelaciones",
    ),
    "SV": (
        "Juzgado Especializado de Instrucción",
        "Tribunal Especializado de Sentencia",
        "Cámara Especializada de lo Penal",
    ),
    "HN": ("Juzgado de Letras Penal", "Tribunal de Sentencia en Materia Penal", "Corte de Apelaciones de lo Penal"),
}
DEFAULT_COURTS = ("Juzgado de Instrucción", "Tribunal de Sentencia", "Corte de Apelaciones")
CURRENCY = {"GT": "GTQ", "SV": "USD", "HN": "HNL", "NI": "NIO", "CR": "CRC", "PA": "USD", "BZ": "BZD", "DO": "DOP"}
ACQUITTAL_REASONS = [("INSUFFICIENT_EVIDENCE", 40), ("VICTIM_NOT_COOPERATING", 25), ("NO_CORROBORATION", 15),
                     ("WITNESS_UNAVAILABLE", 10), ("OTHER", 10)]  # fmt: skip
DOCUMENT_TEXT = "Acta sintética generada para la demostración de Vínculo.\nNo contiene datos de personas reales.\n"


def at_least(stage: str, other: str) -> bool:
    return ORDER.index(stage) >= ORDER.index(other) if stage in ORDER else False


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def write_court_history(*, lead: User, case: Case, codes: dict[tuple[str, str], Code]) -> None:
    """Proceedings for a case at an intermediate hearing or later; decisions from the judgment on."""
    stage = case.stage.code
    if not at_least(stage, "INTERMEDIATE_HEARING"):
        return
    rng = random.Random(f"vinculo-demo-court-{case.national_number}")  # noqa: S311 - synthetic data
    today = timezone.localdate()
    country = lead.office.country
    pretrial_court, trial_court, appeal_court = COURTS.get(country, DEFAULT_COURTS)
    reported = case.reported_on or case.created_at.date()
    start = min(today, reported + datetime.timedelta(days=rng.randint(120, 300)))
    ordinary = codes[("procedure_type", "ABBREVIATED" if rng.random() < 0.15 else "ORDINARY")]
    proceedings.open_proceeding(
        by=lead,
        case=case,
        instance=codes[("court_instance", "PRETRIAL")],
        procedure_type=ordinary,
        court=pretrial_court,
        court_reference=f"{rng.randint(1, 999):03d}-{start.year}",
        started_on=start,
        ended_on=min(today, start + datetime.timedelta(days=rng.randint(30, 120)))
        if at_least(stage, "TRIAL")
        else None,
    )
    if not at_least(stage, "TRIAL"):
        return
    trial_start = min(today, start + datetime.timedelta(days=rng.randint(130, 260)))
    judged = at_least(stage, "FIRST_INSTANCE_JUDGMENT")
    judged_on = min(today, trial_start + datetime.timedelta(days=rng.randint(20, 90)))
    trial = proceedings.open_proceeding(
        by=lead,
        case=case,
        instance=codes[("court_instance", "FIRST")],
        procedure_type=ordinary,
        court=trial_court,
        court_reference=f"TS-{rng.randint(1, 400):03d}-{trial_start.year}",
        started_on=trial_start,
        ended_on=judged_on if judged else None,
    )
    if not judged:
        return
    final = stage == "FINAL"
    charged = list(Charge.objects.filter(party__case=case).select_related("party__role", "provision__crime_family"))
    for charge in charged:
        _decide(lead, trial, charge, judged_on, final, rng, codes)
    if at_least(stage, "APPEAL"):
        appeal_start = min(today, judged_on + datetime.timedelta(days=rng.randint(20, 60)))
        proceedings.open_proceeding(
            by=lead,
            case=case,
            instance=codes[("court_instance", "APPEAL")],
            procedure_type=ordinary,
            court=appeal_court,
            started_on=appeal_start,
            ended_on=min(today, appeal_start + datetime.timedelta(days=rng.randint(60, 200))) if final else None,
        )


def _decide(
    lead: User,
    trial: Proceeding,
    charge: Charge,
    on: datetime.date,
    final: bool,
    rng: random.Random,
    codes: dict[tuple[str, str], Code],
) -> None:
    verdict = _pick(rng, [("CONVICTED", 68), ("ACQUITTED", 22), ("DISMISSED", 6), ("CONVICTED_OF_OTHER_OFFENCE", 4)])
    sentence = None
    if verdict in ("CONVICTED", "CONVICTED_OF_OTHER_OFFENCE"):
        trafficking = charge.provision.crime_family.code in ("TIP", "TIP_AND_SOM")
        sanctions = ["IMPRISONMENT"]
        months = rng.randint(96, 240) if trafficking else rng.randint(36, 120)
        fine = None
        if rng.random() < 0.5:
            sanctions.append("FINE")
            fine = Decimal(rng.randint(5, 100) * 1000)
        reparation = None
        if trafficking and rng.random() < 0.6:
            sanctions.append("REPARATION_ORDER")
            reparation = Decimal(rng.randint(2, 50) * 1000)
        # Confiscations draw from their own generator, seeded by the charge, so that adding them left
        # every other draw of the demo (and so its caseload) as it was.
        own = random.Random(f"confiscation-{charge.pk}")  # noqa: S311 - synthetic data
        confiscated = None
        if own.random() < 0.35:
            sanctions.append("CONFISCATION")
            confiscated = Decimal(own.choice((10, 25, 40, 60, 80, 120, 250, 400, 900)) * 1000)
        sentence = proceedings.SentenceTerms(
            sanctions=[codes[("sanction", code)] for code in sanctions],
            currency=CURRENCY.get(lead.office.country, "USD"),
            imprisonment_months=months,
            fine_amount=fine,
            confiscated_value=confiscated,
            reparation_amount=reparation,
        )
    reason = codes[("acquittal_reason", _pick(rng, ACQUITTAL_REASONS))] if verdict == "ACQUITTED" else None
    proceedings.record_decision(
        by=lead,
        proceeding=trial,
        charge=charge,
        decided_on=on,
        verdict=codes[("verdict", verdict)],
        acquittal_reason=reason,
        is_final=final,
        sentence=sentence,
    )


def write_documents(*, lead: User, case: Case) -> None:
    """A complaint record for about a third of the cases (plain synthetic text, sealed like any file)."""
    rng = random.Random(f"vinculo-demo-documents-{case.national_number}")  # noqa: S311 - synthetic data
    if rng.random() >= 0.35:
        return
    documents.add_document(
        by=lead,
        case=case,
        kind=CaseDocument.Kind.COMPLAINT,
        title="Acta de denuncia",
        file_name=f"denuncia-{case.national_number}.txt",
        data=f"{DOCUMENT_TEXT}Expediente {case.national_number}.\n".encode(),
    )
