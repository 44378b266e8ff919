"""A joint team of SV and GT, joined later by HN: every node keeps its copy; H2 items are not passed on."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.exchanges import selectors, wire
from vinculo.exchanges.models import JointTeam, TeamItem
from vinculo.exchanges.services import teams
from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere
from vinculo.messaging import handlers
from vinculo.messaging.models import InboundMessage, OutboundMessage
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def gt_prosecutor(db: None) -> User:
    return UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)


@pytest.fixture
def hn_prosecutor(db: None) -> User:
    return UserFactory(username="hn.fiscal", office_code="HN-MP", roles=[Role.PROSECUTOR], with_totp=True)


def copy_in(office: str, team: JointTeam) -> JointTeam:
    return JointTeam.objects.get(team_id=team.team_id, office__code=office)


def texts(team: JointTeam) -> list[str]:
    return [teams.text_of(item) for item in selectors.team_items(team)]


def test_a_team_shares_a_thread_and_tasks_and_a_later_member_gets_what_the_codes_allow(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_prosecutor: User,
    hn_prosecutor: User,
) -> None:
    with net.as_node("SV-FGR"):
        team = teams.form_team(by=prosecutor, name="Red de Tecún Umán", members=["GT-MP"])
    deliver_everywhere(net)
    gt_team = copy_in("GT-MP", team)
    assert gt_team.lead == "SV-FGR"
    assert gt_team.members == ["SV-FGR", "GT-MP"]

    with net.as_node("SV-FGR"):
        teams.post(by=prosecutor, team=team, text="Propongo reunión técnica el lunes.")
        teams.post(by=prosecutor, team=team, text="Informe de vigilancia (reservado).", codes=("H2",))
    with net.as_node("GT-MP"):
        task = teams.post(
            by=gt_prosecutor, team=gt_team, text="Solicitar registros migratorios", task_owner="GT-MP",
            task_due_on=datetime.date(2026, 12, 15),
        )  # fmt: skip
    deliver_everywhere(net)
    assert texts(copy_in("SV-FGR", team)) == texts(gt_team)
    assert len(texts(gt_team)) == 3
    sv_task = copy_in("SV-FGR", team).items.get(kind=TeamItem.Kind.TASK)
    assert sv_task.task_owner_office == "GT-MP"
    assert sv_task.task_due_on == datetime.date(2026, 12, 15)
    with net.as_node("GT-MP"):
        teams.set_task_status(by=gt_prosecutor, item=task, done=True)
    deliver_everywhere(net)
    sv_task.refresh_from_db()
    assert sv_task.task_status == TeamItem.TaskStatus.DONE

    with net.as_node("GT-MP"), pytest.raises(AccessDenied):
        teams.add_member(by=gt_prosecutor, team=gt_team, member="HN-MP")  # only the lead adds members
    with net.as_node("SV-FGR"):
        teams.add_member(by=prosecutor, team=team, member="HN-MP")
    deliver_everywhere(net)
    hn_team = copy_in("HN-MP", team)
    assert hn_team.members == ["SV-FGR", "GT-MP", "HN-MP"]
    assert copy_in("GT-MP", team).members == ["SV-FGR", "GT-MP", "HN-MP"]
    assert "Informe de vigilancia (reservado)." not in texts(hn_team)
    assert sorted(texts(hn_team)) == ["Propongo reunión técnica el lunes.", "Solicitar registros migratorios"]
    assert hn_team.withheld_items == 1
    with net.as_node("HN-MP"):
        teams.post(by=hn_prosecutor, team=hn_team, text="Honduras confirma la participación.")
    deliver_everywhere(net)
    assert texts(copy_in("SV-FGR", team))[-1] == "Honduras confirma la participación."
    assert texts(copy_in("GT-MP", team))[-1] == "Honduras confirma la participación."
    assert not InboundMessage.objects.exclude(processing_error="").exists()
    for row in TeamItem.objects.all():
        assert "vigilancia" not in row.content


def test_bad_team_actions_are_refused(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    judge: User,
    hn_prosecutor: User,
) -> None:
    with net.as_node("SV-FGR"):
        with pytest.raises(DomainError) as alone:
            teams.form_team(by=prosecutor, name="Sola", members=["SV-FGR"])
        assert alone.value.code == "two_offices"
        with pytest.raises(DomainError):
            teams.form_team(by=prosecutor, name="X", members=["XX-NONE"])
        with pytest.raises(AccessDenied):
            teams.form_team(by=judge, name="X", members=["GT-MP"])
        team = teams.form_team(by=prosecutor, name="Equipo", members=["GT-MP"])
        with pytest.raises(DomainError) as owner:
            teams.post(by=prosecutor, team=team, text="Tarea", task_owner="HN-MP")
        assert owner.value.code == "owner_not_member"
        with pytest.raises(DomainError):
            teams.post(by=prosecutor, team=team, text="  ")
        with pytest.raises(DomainError):
            teams.add_member(by=prosecutor, team=team, member="GT-MP")
    with net.as_node("HN-MP"), pytest.raises(AccessDenied):
        teams.post(by=hn_prosecutor, team=team, text="No soy miembro.")
    assert OutboundMessage.objects.count() == 1  # the team's formation only


def test_a_team_message_from_a_non_member_or_a_forged_formation_is_refused(net: FakeNetwork) -> None:  # noqa: F811
    team_id = str(uuid.uuid4())
    formed = {"team_id": team_id, "kind": "formed", "name": "X", "lead": "SV-FGR", "members": ["SV-FGR", "GT-MP"]}
    with net.as_node("GT-MP"):
        # HN claims to form a team led by SV.
        with pytest.raises(wire.UnreadablePayload, match="formed by its lead"):
            teams.receive(InboundMessage(sender="HN-MP", message_id=uuid.uuid4()), json.dumps(formed).encode())
        teams.receive(InboundMessage(sender="SV-FGR", message_id=uuid.uuid4()), json.dumps(formed).encode())
        post = {"team_id": team_id, "kind": "task_status", "item_id": str(uuid.uuid4()), "status": "done"}
        with pytest.raises(handlers.NotYet, match="not \\(yet\\) a member"):
            teams.receive(InboundMessage(sender="HN-MP", message_id=uuid.uuid4()), json.dumps(post).encode())
        with pytest.raises(wire.UnreadablePayload):
            teams.receive(InboundMessage(sender="SV-FGR", message_id=uuid.uuid4()), b"[]")
