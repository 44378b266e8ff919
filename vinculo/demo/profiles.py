"""How the victims of the demo cases were exploited, and the support they received (pure, no Django).

Each profile is a plausible mix of the Palermo elements (acts, means, purposes) with the
methods of control and recruitment that go with it. Most victims' files show all the
elements; some show gaps, as real files do, so the completeness check has something to say.
Child victims carry "means not required" instead of a means.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

TIP_ACTS = ("RECRUITMENT", "TRANSPORTATION", "TRANSFER", "HARBOURING", "RECEIPT")
INCOMPLETE_SHARE = 0.12


@dataclass(frozen=True)
class Profile:
    key: str
    weight: int
    purposes: tuple[tuple[str, ...], ...]  # alternatives
    female_share: float
    ages: tuple[int, int]  # age at identification, inclusive
    means: tuple[str, ...]
    control: tuple[str, ...]
    recruitment: tuple[str, ...]
    services: tuple[str, ...]
    exploited_at: tuple[str, ...]  # notes for the exploitation event (no names)


PROFILES = (
    Profile(
        "sexual",
        42,
        (("SEXUAL_EXPLOITATION",),),
        0.92,
        (13, 32),
        ("DECEPTION", "ABUSE_OF_POSITION_OF_VULNERABILITY", "THREAT", "DEBT", "FRAUD", "USE_OF_FORCE"),
        (
            "TAKES_EARNINGS",
            "DEBT_BONDAGE",
            "THREATS",
            "RESTRICTS_MOVEMENT",
            "WITHHOLDS_DOCUMENTS",
            "PSYCHOACTIVE_SUBSTANCES",
            "PSYCHOLOGICAL_ABUSE",
            "SEXUAL_ABUSE",
        ),
        ("ONLINE_SOCIAL_NETWORK", "ROMANTIC_RELATIONSHIP", "FRIENDS_SOCIAL", "ONLINE_ADVERTISEMENT", "FAMILY"),
        ("SEXUAL_EXPLOITATION_REHABILITATION", "HEALTH", "SOCIAL_CARE", "LEGAL"),
        (
            "Bar y centro nocturno en zona de frontera.",
            "Casa cerrada donde se ofrecían servicios sexuales.",
            "Explotación sexual por internet desde una vivienda.",
            "Cantina en la cabecera departamental.",
        ),
    ),
    Profile(
        "labour",
        18,
        (("FORCED_LABOUR_SERVICES",),),
        0.3,
        (16, 52),
        ("DECEPTION", "FRAUD", "DEBT", "ABUSE_OF_POSITION_OF_VULNERABILITY", "THREAT"),
        (
            "DEBT_BONDAGE",
            "WITHHOLDS_DOCUMENTS",
            "EXCESSIVE_WORKING_HOURS",
            "THREAT_OF_LAW_ENFORCEMENT",
            "WITHHOLDS_NECESSITIES",
            "TAKES_EARNINGS",
            "RESTRICTS_MOVEMENT",
        ),
        ("EMPLOYMENT_AGENCY", "FRIENDS_SOCIAL", "PUBLIC_PLACE_APPROACH", "ONLINE_ADVERTISEMENT", "RADIO_ADVERT"),
        ("LABOUR_EXPLOITATION_REHABILITATION", "HEALTH", "LEGAL", "LIVELIHOOD", "FINANCIAL"),
        (
            "Finca agrícola (corte de café y caña).",
            "Obra de construcción.",
            "Embarcación pesquera.",
            "Fábrica textil sin registro.",
        ),
    ),
    Profile(
        "domestic",
        8,
        (("SERVITUDE",), ("FORCED_LABOUR_SERVICES",)),
        0.95,
        (13, 45),
        ("DECEPTION", "ABUSE_OF_POSITION_OF_VULNERABILITY", "ABUSE_OF_POWER", "THREAT"),
        (
            "RESTRICTS_MOVEMENT",
            "EXCESSIVE_WORKING_HOURS",
            "PSYCHOLOGICAL_ABUSE",
            "TAKES_EARNINGS",
            "WITHHOLDS_DOCUMENTS",
        ),
        ("FAMILY", "FRIENDS_SOCIAL", "EMPLOYMENT_AGENCY"),
        ("SOCIAL_CARE", "HEALTH", "LEGAL", "EDUCATION"),
        ("Trabajo doméstico en una vivienda particular, sin salario.",),
    ),
    Profile(
        "begging",
        5,
        (("FORCED_BEGGING",),),
        0.5,
        (6, 15),
        ("ABUSE_OF_POSITION_OF_VULNERABILITY", "PAYMENT_TO_PERSON_IN_CONTROL"),
        ("THREATS", "PHYSICAL_ABUSE", "TAKES_EARNINGS", "WITHHOLDS_NECESSITIES"),
        ("FAMILY", "PUBLIC_PLACE_APPROACH"),
        ("SOCIAL_CARE", "EDUCATION", "HEALTH"),
        ("Mendicidad en semáforos y mercados de la ciudad.",),
    ),
    Profile(
        "criminal",
        8,
        (("FORCED_CRIMINAL_ACTIVITY",),),
        0.2,
        (13, 19),
        ("THREAT", "USE_OF_FORCE", "OTHER_COERCION"),
        ("THREATENS_CHILDREN_FAMILY", "PHYSICAL_ABUSE", "THREATS", "PSYCHOACTIVE_SUBSTANCES"),
        ("PUBLIC_PLACE_APPROACH", "AT_EDUCATIONAL_INSTITUTION", "FRIENDS_SOCIAL"),
        ("SOCIAL_CARE", "EDUCATION", "LEGAL"),
        ("Obligado a transportar droga y cobrar extorsiones.", "Vigilancia para una estructura criminal."),
    ),
    Profile(
        "marriage",
        4,
        (("FORCED_OR_SERVILE_MARRIAGE",), ("FORCED_OR_SERVILE_MARRIAGE", "SERVITUDE")),
        1.0,
        (12, 17),
        ("PAYMENT_TO_PERSON_IN_CONTROL", "ABUSE_OF_POWER"),
        ("RESTRICTS_MOVEMENT", "SEXUAL_ABUSE", "PSYCHOLOGICAL_ABUSE"),
        ("FAMILY",),
        ("SOCIAL_CARE", "EDUCATION", "HEALTH"),
        ("Unión forzada arreglada por familiares a cambio de dinero.",),
    ),
    Profile(
        "mixed",
        8,
        (("MIXED_SEXUAL_AND_LABOUR",), ("SEXUAL_EXPLOITATION", "FORCED_LABOUR_SERVICES")),
        0.85,
        (14, 30),
        ("DECEPTION", "DEBT", "THREAT", "ABUSE_OF_POSITION_OF_VULNERABILITY"),
        ("DEBT_BONDAGE", "TAKES_EARNINGS", "RESTRICTS_MOVEMENT", "THREATS", "EXCESSIVE_WORKING_HOURS"),
        ("ONLINE_ADVERTISEMENT", "ONLINE_SOCIAL_NETWORK", "FRIENDS_SOCIAL"),
        ("SEXUAL_EXPLOITATION_REHABILITATION", "HEALTH", "SOCIAL_CARE"),
        ("Mesera de día en un comedor y explotación sexual de noche.",),
    ),
    Profile(
        "child_labour",
        4,
        (("CHILD_LABOUR",),),
        0.4,
        (8, 16),
        ("ABUSE_OF_POSITION_OF_VULNERABILITY",),
        ("EXCESSIVE_WORKING_HOURS", "WITHHOLDS_NECESSITIES", "TAKES_EARNINGS"),
        ("FAMILY", "AT_WORK"),
        ("EDUCATION", "SOCIAL_CARE", "HEALTH"),
        ("Venta ambulante y trabajo en un basurero.", "Trabajo en una cohetería clandestina."),
    ),
    Profile(
        "adoption",
        3,
        (("ILLEGAL_ADOPTION",), ("SALE_OF_CHILDREN",)),
        0.5,
        (0, 3),
        ("PAYMENT_TO_PERSON_IN_CONTROL", "DECEPTION"),
        ("NA",),
        ("FAMILY",),
        ("SOCIAL_CARE", "HEALTH"),
        ("Entrega de un bebé a cambio de dinero con documentos falsos.",),
    ),
)
PROFILES_BY_KEY = {profile.key: profile for profile in PROFILES}


@dataclass(frozen=True)
class ExploitationPlan:
    purposes: tuple[str, ...]
    acts: tuple[str, ...]
    means: tuple[str, ...]
    control_methods: tuple[str, ...]
    recruitment_methods: tuple[str, ...]
    started_on: datetime.date | None
    started_on_precision: str
    ended_on: datetime.date | None
    ended_on_precision: str


@dataclass(frozen=True)
class SupportPlan:
    category: str  # "protection" or "service"
    kind: str
    provider: str
    started_on: datetime.date | None
    ended_on: datetime.date | None


@dataclass(frozen=True)
class ConsentPlan:
    purpose: str  # ConsentRecord.Purpose value
    decision: str  # ConsentRecord.Decision value
    decided_on: datetime.date
    given_by_guardian: bool


def pick_profile(rng: random.Random) -> Profile:
    return rng.choices(PROFILES, weights=[profile.weight for profile in PROFILES])[0]


def exploitation(
    rng: random.Random,
    profile: Profile,
    *,
    is_child: bool,
    moved: bool,
    started_on: datetime.date | None,
    ended_on: datetime.date | None,
) -> ExploitationPlan:
    """The elements of one victim's exploitation; ``moved`` when the victim was taken somewhere."""
    purposes = rng.choice(profile.purposes)
    acts = ["RECRUITMENT"] if rng.random() < 0.9 else ["RECEIPT"]
    if moved:
        acts.append(rng.choice(["TRANSPORTATION", "TRANSPORTATION", "TRANSFER"]))
    if rng.random() < 0.6:
        acts.append(rng.choice(["HARBOURING", "RECEIPT"]))
    if is_child:
        means = ["NOT_REQUIRED_CHILD", *rng.sample(profile.means, rng.randint(0, 1))]
    else:
        means = rng.sample(profile.means, min(len(profile.means), rng.randint(1, 3)))
    control = rng.sample(profile.control, min(len(profile.control), rng.randint(1, 4)))
    recruitment = rng.sample(profile.recruitment, min(len(profile.recruitment), rng.choice([1, 1, 1, 2])))
    if rng.random() < INCOMPLETE_SHARE:
        # Files that do not show everything yet: an element still unknown.
        gap = rng.choice(["means", "means", "acts", "purposes"])
        if gap == "means" and not is_child:
            means = ["NK"]
        elif gap == "acts":
            acts = ["NK"]
        elif gap == "purposes":
            purposes = ("NK",)
    started_precision = rng.choices(["day", "month", "year"], weights=[40, 45, 15])[0]
    ended_precision = rng.choices(["day", "month"], weights=[80, 20])[0]
    return ExploitationPlan(
        purposes=tuple(sorted(purposes)),
        acts=tuple(sorted(set(acts))),
        means=tuple(sorted(set(means))),
        control_methods=tuple(sorted(control)),
        recruitment_methods=tuple(sorted(recruitment)),
        started_on=started_on,
        started_on_precision=started_precision,
        ended_on=ended_on,
        ended_on_precision=ended_precision,
    )


# Who provides protection and services, by country (institutions, no people).
PROVIDERS: dict[str, tuple[str, ...]] = {
    "GT": (
        "Secretaría contra la Violencia Sexual, Explotación y Trata de Personas (SVET)",
        "Procuraduría General de la Nación",
        "Albergue temporal especializado",
        "Instituto de la Víctima",
        "Ministerio de Salud Pública y Asistencia Social",
    ),
    "SV": (
        "Consejo Nacional contra la Trata de Personas",
        "Consejo Nacional de la Primera Infancia, Niñez y Adolescencia",
        "Albergue especializado para víctimas de trata",
        "Ministerio de Salud",
        "Procuraduría General de la República",
    ),
    "HN": (
        "Comisión Interinstitucional contra la Explotación Sexual Comercial y Trata (CICESCT)",
        "Dirección de Niñez, Adolescencia y Familia (DINAF)",
        "Casa refugio para víctimas",
        "Secretaría de Salud",
    ),
}
GENERIC_PROVIDERS = ("Organización de la sociedad civil", "Albergue especializado", "Servicio público de salud")
REPATRIATION_PROVIDER = "Organización Internacional para las Migraciones (OIM)"


def support(
    rng: random.Random,
    profile: Profile,
    *,
    country: str,
    is_child: bool,
    is_foreign: bool,
    identified_on: datetime.date,
    today: datetime.date,
) -> list[SupportPlan]:
    """Protection measures and services for one identified victim."""
    providers = PROVIDERS.get(country, GENERIC_PROVIDERS)
    plans: list[SupportPlan] = []

    def add(category: str, kind: str, provider: str, length: int | None) -> None:
        started = min(today, identified_on + datetime.timedelta(days=rng.randint(0, 20)))
        ended = None
        if length is not None and started + datetime.timedelta(days=length) < today:
            ended = started + datetime.timedelta(days=length)
        plans.append(SupportPlan(category, kind, provider, started, ended))

    if rng.random() < 0.6:
        add("protection", "IDENTITY_RESERVED", "", None)
    if rng.random() < 0.35:
        add("protection", "SHELTER", rng.choice(providers), rng.randint(15, 180))
    if rng.random() < 0.15:
        add("protection", "PROTECTED_TESTIMONY", "", None)
    if is_foreign and rng.random() < 0.5:
        add("protection", "REPATRIATION_ASSISTED", REPATRIATION_PROVIDER, 1)
    elif is_foreign and rng.random() < 0.3:
        add("protection", "RESIDENCE_PERMIT", "", rng.randint(180, 365))
    if not is_child and rng.random() < 0.1:
        add("protection", "RESTRAINING_ORDER", "", None)
    services = list(profile.services) + (["EDUCATION"] if is_child and "EDUCATION" not in profile.services else [])
    for kind in rng.sample(services, rng.choice([1, 1, 2])):
        add("service", kind, rng.choice(providers), rng.randint(30, 365))
    return plans


def consents(
    rng: random.Random, *, is_child: bool, identified_on: datetime.date, today: datetime.date
) -> list[ConsentPlan]:
    """What the victim agreed to; now and then a refusal, or a consent withdrawn later."""
    plans = []
    for purpose, share in (("statistics", 0.7), ("share_network", 0.5), ("referral", 0.35), ("contact", 0.2)):
        if rng.random() > share:
            continue
        decided = min(today, identified_on + datetime.timedelta(days=rng.randint(0, 15)))
        decision = "given" if rng.random() < 0.88 else "refused"
        plans.append(ConsentPlan(purpose, decision, decided, given_by_guardian=is_child))
        if decision == "given" and rng.random() < 0.05:
            withdrawn = min(today, decided + datetime.timedelta(days=rng.randint(30, 200)))
            plans.append(ConsentPlan(purpose, "withdrawn", withdrawn, given_by_guardian=is_child))
    return plans
