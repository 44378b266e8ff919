"""A few exchanges between the demo offices, made through the services as their prosecutors would.

Each office sends what its plan says; the messages wait in the outbox and leave when the node's
delivery worker starts, so the other offices find them in their desks. Synthetic texts only.
Seeded once per node (a node that already holds exchanges is left alone).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field

from django.utils import timezone

from vinculo.accounts.models import User
from vinculo.cases.models import Case
from vinculo.exchanges.models import Broadcast, InformationRequest, JointTeam
from vinculo.exchanges.services import broadcasts, requests, teams
from vinculo.messaging.services import attachments


@dataclass(frozen=True)
class DemoRequest:
    to: str
    request_type: str
    urgency: str
    subject: str
    text: str
    items: tuple[str, ...]
    handling: tuple[str, ...] = ("H0",)
    send: bool = True
    conditions: str = ""


@dataclass(frozen=True)
class DemoPlan:
    requests: tuple[DemoRequest, ...] = ()
    alerts: tuple[tuple[tuple[str, ...], str, str, str], ...] = ()  # (to, category, subject, text)
    team: tuple[str, tuple[str, ...], tuple[str, ...]] | None = None  # (name, members, posts)
    extra: dict[str, str] = field(default_factory=dict)


LEGAL_BASIS = "Memorando de Entendimiento de la red, art. 4 (demostración)"

PLANS: dict[str, DemoPlan] = {
    "SV-FGR": DemoPlan(
        requests=(
            DemoRequest(
                "GT-MP",
                "migration_movements",
                "priority",
                "Movimientos migratorios de una persona investigada",
                "Solicitamos las entradas y salidas registradas entre enero y marzo de la persona indicada en el"
                " anexo del expediente (datos sintéticos de demostración).",
                ("Entradas y salidas por El Florido y Pedro de Alvarado", "Documento de viaje usado"),
            ),
            DemoRequest(
                "GT-MP",
                "phone_subscriber",
                "urgent",
                "Titular de una línea telefónica",
                "Titular y fecha de activación de una línea usada para captar a víctimas (demostración).",
                ("Titular de la línea", "Fecha de activación", "Punto de venta"),
                handling=("H0", "H2"),
            ),
            DemoRequest(
                "HN-MP",
                "criminal_record",
                "normal",
                "Antecedentes penales de un sospechoso",
                "Antecedentes penales y procesos abiertos de la persona indicada (demostración).",
                ("Condenas firmes", "Procesos en curso"),
                send=False,
            ),
        ),
        alerts=(
            (
                ("GT-MP", "HN-MP"),
                "child_at_risk",
                "Niña posiblemente trasladada hacia la frontera",
                "Una niña de 13 años viaja con un adulto que no es su familiar hacia la frontera norte"
                " (alerta de demostración).",
            ),
        ),
        team=(
            "Equipo conjunto Ruta del Pacífico (demostración)",
            ("GT-MP",),
            (
                "Propongo una reunión técnica para coordinar las diligencias.",
                "Compartiremos el análisis de llamadas la próxima semana.",
            ),
        ),
    ),
    "GT-MP": DemoPlan(
        requests=(
            DemoRequest(
                "SV-FGR",
                "identification",
                "normal",
                "Identificación de una presunta víctima",
                "Solicitamos confirmar la identidad de una presunta víctima salvadoreña localizada en Guatemala"
                " (demostración).",
                ("Confirmación de identidad", "Familiares de contacto"),
                handling=("H0", "H1"),
            ),
        ),
    ),
    "HN-MP": DemoPlan(
        requests=(
            DemoRequest(
                "GT-MP",
                "financial",
                "priority",
                "Transferencias de una red de tráfico de migrantes",
                "Solicitamos información de remesas enviadas a las cuentas indicadas (demostración).",
                ("Remesas recibidas", "Titulares de las cuentas"),
                handling=("H0", "H3"),
                conditions="Solo para la fiscalía especializada; no compartir con terceros.",
            ),
        ),
    ),
}


WORK_PLAN = """Plan de trabajo del equipo conjunto «{team}» (documento sintético de demostración)

1. Cada fiscalía identifica en sus expedientes a las personas y teléfonos vinculados a la ruta.
2. Reunión técnica semanal por videoconferencia; acta en este espacio.
3. Las solicitudes formales de información se envían por Vínculo, citando este equipo.
"""


def seed_exchanges(*, node_id: str, prosecutor: User) -> int:
    """Send this office's demo exchanges once; returns how many items were made."""
    plan = PLANS.get(node_id)
    if plan is None:
        return 0
    if (
        InformationRequest.objects.filter(office=prosecutor.office).exists()
        or Broadcast.objects.filter(office=prosecutor.office).exists()
        or JointTeam.objects.filter(office=prosecutor.office).exists()
    ):
        return 0
    case = Case.objects.filter(office=prosecutor.office).order_by("created_at").first()
    made = 0
    for planned in plan.requests:
        request = requests.create_draft(
            by=prosecutor,
            draft=requests.Draft(
                counterpart=planned.to, request_type=planned.request_type, subject=planned.subject,
                legal_basis=LEGAL_BASIS, urgency=planned.urgency, text=planned.text, items=planned.items,
                handling=planned.handling, purpose="Investigación del caso (demostración)" if "H0" in planned.handling
                else "", conditions=planned.conditions, evaluation="B2", case=case,
            ),
        )  # fmt: skip
        if planned.send:
            requests.send_request(by=prosecutor, request=request, expected_version=request.version)
        made += 1
    for to, category, subject, text in plan.alerts:
        broadcasts.send_broadcast(
            by=prosecutor, kind="alert", recipients=list(to), category=category, subject=subject, text=text,
            codes=("H2",),
        )  # fmt: skip
        made += 1
    if plan.team is not None:
        name, members, posts = plan.team
        team = teams.form_team(by=prosecutor, name=name, members=list(members), case=case)
        for text in posts:
            teams.post(by=prosecutor, team=team, text=text)
        teams.post(
            by=prosecutor, team=team, text="Solicitar registros migratorios del grupo", task_owner=members[0],
            task_due_on=timezone.localdate() + datetime.timedelta(days=10),
        )  # fmt: skip
        plan_text = WORK_PLAN.format(team=name).encode("utf-8")
        document = attachments.prepare(
            io.BytesIO(plan_text), size=len(plan_text), name="plan-de-trabajo-demostracion.txt", media_type="text/plain"
        )
        teams.post(by=prosecutor, team=team, text="Plan de trabajo del equipo (documento de demostración).",
                   document=document)  # fmt: skip
        made += 1
    return made
