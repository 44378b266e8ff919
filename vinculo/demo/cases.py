"""Synthetic case files for demo nodes: deterministic, plausible mixes, no personal data.

Only case-level facts for now (crime, origin, stage, dates, closure, team); the parties,
exploitation and routes of each case come with the rest of the registry.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence

from django.utils import timezone

from vinculo.accounts.models import User
from vinculo.cases.models import Case, TeamRole, known_part
from vinculo.cases.services import case_files as services
from vinculo.demo.persons import add_people
from vinculo.reference.models import Code

# (code, weight): roughly the shape of a prosecutor's office TIP/SOM caseload.
CRIME_FAMILY = [("TIP", 60), ("SOM", 30), ("TIP_AND_SOM", 5), ("RELATED", 5)]
ORIGIN = [
    ("COMPLAINT_VICTIM", 18),
    ("COMPLAINT_THIRD_PARTY", 14),
    ("POLICE_OPERATION", 20),
    ("MIGRATION_CONTROL", 14),
    ("HOTLINE", 6),
    ("NGO_REFERRAL", 8),
    ("CHILD_PROTECTION_REFERRAL", 5),
    ("LABOUR_INSPECTION", 3),
    ("REFERRAL_OTHER_COUNTRY", 5),
    ("EX_OFFICIO_PROSECUTOR", 5),
    ("NK", 2),
]
STAGE = [
    ("REPORTED", 10),
    ("PRELIMINARY_INVESTIGATION", 35),
    ("FORMAL_CHARGING", 15),
    ("INDICTMENT", 10),
    ("INTERMEDIATE_HEARING", 5),
    ("TRIAL", 6),
    ("FIRST_INSTANCE_JUDGMENT", 7),
    ("APPEAL", 4),
    ("FINAL", 8),
]
EARLY_CLOSURES = [
    ("ARCHIVED_NO_EVIDENCE", 5),
    ("DISMISSED", 3),
    ("OPPORTUNITY_CRITERION", 1),
    ("TRANSFERRED_JURISDICTION", 1),
]
ORGANIZATION = [
    ("INDIVIDUAL", 25),
    ("OPPORTUNISTIC_ASSOCIATION", 20),
    ("FAMILY_BASED", 10),
    ("BUSINESS_TYPE_OCG", 15),
    ("GOVERNANCE_TYPE_OCG", 8),
    ("NK", 22),
]
SUMMARIES = {
    "TIP": [
        "Oferta de empleo falsa difundida por redes sociales; la víctima fue trasladada a otro país "
        "y obligada a trabajar en un bar.",
        "Niña reclutada en su comunidad con promesa de estudios; explotación sexual en un centro "
        "nocturno cercano a la frontera.",
        "Grupo de trabajadores agrícolas retenidos con deudas impagables y sin documentos de identidad.",
        "Adolescente utilizado por una estructura criminal para el transporte de drogas bajo amenazas a su familia.",
        "Trabajo doméstico sin salario y con encierro en una vivienda particular.",
    ],
    "SOM": [
        "Grupo de migrantes interceptado en un camión de carga tras cruzar un punto ciego de la frontera.",
        "Red que cobraba por guiar a familias por rutas irregulares hacia el norte.",
        "Embarcación con migrantes detenida en el golfo; se investiga a los organizadores del viaje.",
        "Documentos de viaje falsificados vendidos a personas migrantes en una terminal de buses.",
    ],
}
SUMMARIES["TIP_AND_SOM"] = SUMMARIES["TIP"][:2] + SUMMARIES["SOM"][:2]
SUMMARIES["RELATED"] = [
    "Delito conexo investigado junto con un caso de trata: lavado de dinero de las ganancias de la red."
]


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    codes, weights = zip(*weighted, strict=True)
    return rng.choices(codes, weights=weights)[0]


def _code(codes: dict[tuple[str, str], Code], list_key: str, value: str) -> Code:
    return codes[(list_key, value)]


def seed_cases(*, lead: User, team: dict[str, User], count: int, prefix: str, rng: random.Random) -> int:
    """Open ``count`` synthetic cases with ``lead`` as lead prosecutor; returns how many were made."""
    if Case.objects.filter(office_id=lead.office_id).exists():
        return 0
    codes = {(c.code_list.key, c.code): c for c in Code.objects.select_related("code_list")}
    today = timezone.localdate()
    made = 0
    opened: list[Case] = []
    for number in range(1, count + 1):
        family = _pick(rng, CRIME_FAMILY)
        stage = _pick(rng, STAGE)
        reported = today - datetime.timedelta(days=rng.randint(20, 4 * 365))
        precision = rng.choices(["day", "month", "year"], weights=[85, 10, 5])[0]
        reported = known_part(reported, precision)
        closure, closed_on = None, None
        if stage == "FINAL":
            closure = "JUDGMENT_FINAL"
        elif stage in ("REPORTED", "PRELIMINARY_INVESTIGATION") and rng.random() < 0.25:
            closure = _pick(rng, EARLY_CLOSURES)
        if closure:
            closed_on = min(today, reported + datetime.timedelta(days=rng.randint(60, 900)))
        case = services.open_case(
            by=lead,
            national_number=f"{prefix}-{family.split('_')[0]}-{reported.year}-{number:05d}",
            crime_family=_code(codes, "crime_family", family),
            origin=_code(codes, "case_origin", _pick(rng, ORIGIN)),
            stage=_code(codes, "stage", stage),
            closure_type=_code(codes, "closure_type", closure) if closure else None,
            closed_on=closed_on,
            reported_on=reported,
            reported_on_precision=precision,
            organized_crime=_code(codes, "yes_no", rng.choice(["YES", "NO", "NK"])),
            trafficker_organization=_code(codes, "trafficker_organization", _pick(rng, ORGANIZATION)),
            summary=rng.choice(SUMMARIES[family]),
            summary_language="es",
            visibility=rng.choice(["office", "office", "team"]),
        )
        if "investigator" in team and rng.random() < 0.7:
            services.assign(by=lead, case=case, person=team["investigator"], role=TeamRole.MEMBER)
        if "victim_care" in team and family in ("TIP", "TIP_AND_SOM"):
            services.assign(by=lead, case=case, person=team["victim_care"], role=TeamRole.VICTIM_CARE)
        if "judge" in team and stage in ("TRIAL", "FIRST_INSTANCE_JUDGMENT", "APPEAL", "FINAL"):
            services.assign(by=lead, case=case, person=team["judge"], role=TeamRole.JUDGE)
        opened.append(case)
        made += 1
    add_people(lead=lead, cases=opened, country=lead.office.country, rng=rng)
    return made
