"""Joint teams through the pages: forming one, the thread with messages and tasks, a task done,
an office added by the lead only, and a newcomer told what the handling codes kept from it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.cases.tests.factories import open_case
from vinculo.exchanges.models import JointTeam, TeamItem
from vinculo.exchanges.services import teams
from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere
from vinculo.exchanges.tests.test_pages import es, messages_of, signed_in
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def gt_prosecutor(db: None) -> User:
    return UserFactory(username="gt.fiscal", full_name="Lucía Tzul Xec", office_code="GT-MP",
                       roles=[Role.PROSECUTOR], with_totp=True)  # fmt: skip


@pytest.fixture
def hn_prosecutor(db: None) -> User:
    return UserFactory(username="hn.fiscal", office_code="HN-MP", roles=[Role.PROSECUTOR], with_totp=True)


def formed(net: FakeNetwork, by: User, **changes: Any) -> JointTeam:  # noqa: F811
    with net.as_node("SV-FGR"):
        team = teams.form_team(by=by, name=str(changes.get("name", "Operación Frontera Sur")),
                               members=list(changes.get("members", ["GT-MP"])))  # fmt: skip
    deliver_everywhere(net)
    return team


def copy_in(office: str, team: JointTeam) -> JointTeam:
    return JointTeam.objects.get(team_id=team.team_id, office__code=office)


def page(team: JointTeam) -> str:
    return reverse("exchanges:team_detail", args=[team.pk])


def act(team: JointTeam, name: str) -> str:
    return reverse("exchanges:team_action", args=[team.pk, name])


def task(team: JointTeam, item: TeamItem, name: str) -> str:
    return reverse("exchanges:task_status", args=[team.pk, item.pk, name])


@pytest.mark.parametrize(
    ("persona", "pages"),
    [
        ("prosecutor", {"list": 200, "new": 200, "sv_copy": 200, "gt_copy": 404}),
        ("focal_point", {"list": 200, "new": 200, "sv_copy": 200, "gt_copy": 404}),
        ("colleague", {"list": 200, "new": 200, "sv_copy": 200, "gt_copy": 404}),
        ("judge", {"list": 403, "new": 403, "sv_copy": 403, "gt_copy": 403}),
        ("node_admin", {"list": 403, "new": 403, "sv_copy": 403, "gt_copy": 403}),
        ("gt_prosecutor", {"list": 200, "new": 200, "sv_copy": 404, "gt_copy": 200}),
    ],
)
def test_each_page_opens_for_the_roles_that_may_use_it(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    request: pytest.FixtureRequest,
    persona: str,
    pages: dict[str, int],
) -> None:
    team = formed(net, prosecutor)
    client = signed_in(request.getfixturevalue(persona))
    urls = {
        "list": reverse("exchanges:team_list"),
        "new": reverse("exchanges:team_create"),
        "sv_copy": page(team),
        "gt_copy": page(copy_in("GT-MP", team)),
    }
    with net.as_node("GT-MP" if persona.startswith("gt_") else "SV-FGR"):
        got = {name: client.get(url).status_code for name, url in urls.items()}
    assert got == pages


def test_forming_a_team_checks_what_was_typed_in_spanish(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    colleague: User,
) -> None:
    elsewhere = open_case(colleague, "FGR-AJENO-1")
    open_case(prosecutor, "FGR-2026-014")
    client = signed_in(prosecutor)
    path = reverse("exchanges:team_create")
    empty = client.post(path, {})
    assert empty.status_code == 400
    assert set(empty.context["form"].errors) == {"name", "members"}
    assert "Este campo es obligatorio." in empty.content.decode()
    wrong = client.post(path, {"name": "Equipo", "members": ["SV-FGR"], "case": elsewhere.national_number})
    assert set(wrong.context["form"].errors) == {"members", "case"}
    assert wrong.context["form"].errors["case"] == [es("None of the cases you may see has this number.")]
    assert not JointTeam.objects.exists()
    done = client.post(path, {"name": "Operación Frontera Sur", "members": ["GT-MP", "HN-MP"],
                              "case": "FGR-2026-014"}, follow=True)  # fmt: skip
    team = JointTeam.objects.get()
    assert done.redirect_chain == [(page(team), 302)]
    assert (team.lead, team.members, team.case.national_number) == ("SV-FGR", ["SV-FGR", "GT-MP", "HN-MP"],
                                                                    "FGR-2026-014")  # fmt: skip
    assert es("The team has been formed; each office receives its copy.") in messages_of(done)
    assert OutboundMessage.objects.count() == 2


def test_a_thread_of_messages_and_tasks_and_a_task_done_in_both_copies(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_prosecutor: User,
) -> None:
    team = formed(net, prosecutor)
    client = signed_in(prosecutor)
    posted = client.post(act(team, "post"), {"text": "Propongo reunión técnica el lunes.", "language": "es"})
    assert posted.status_code == 302
    stray = client.post(act(team, "post"), {"text": "Sin dueño", "language": "es", "task_due_on": "2026-12-15"})
    assert stray.status_code == 400
    assert stray.context["post_form"].errors["task_due_on"] == [
        es("A due date goes with a task: choose the office that owns it.")
    ]
    client.post(act(team, "post"), {"text": "Informe de vigilancia.", "language": "es", "handling": ["H2", "H3"],
                                    "conditions": "Sólo para los fiscales del caso."})  # fmt: skip
    client.post(act(team, "post"), {"text": "Solicitar registros migratorios", "language": "es",
                                    "task_owner": "GT-MP", "task_due_on": "2026-12-15"})  # fmt: skip
    deliver_everywhere(net)
    gt_team = copy_in("GT-MP", team)
    with net.as_node("GT-MP"):
        gt = signed_in(gt_prosecutor)
        shown = gt.get(page(gt_team))
        entries = shown.context["entries"]
        assert [entry.text for entry in entries] == [
            "Propongo reunión técnica el lunes.", "Informe de vigilancia.", "Solicitar registros migratorios",
        ]  # fmt: skip
        assert entries[1].conditions == "Sólo para los fiscales del caso."  # in its H3 box
        assert [code for code, _meaning in entries[1].codes] == ["H2", "H3"]
        assert entries[2].item.task_due_on == datetime.date(2026, 12, 15)
        assert shown.context["member_form"] is None  # GT does not lead
        html = shown.content.decode()
        assert html.count('class="tag tag-h2"') == 1
        gt_task = entries[2].item
        done = gt.post(task(gt_team, gt_task, "done"), follow=True)
        assert es("The task is marked done.") in messages_of(done)
        # A message is not a task: refused, nothing changes or leaves.
        sent_before = OutboundMessage.objects.count()
        refused = gt.post(task(gt_team, entries[0].item, "done"))
        assert refused.status_code == 400
        assert messages_of(refused) == [es(teams.NOT_A_TASK)]
        assert OutboundMessage.objects.count() == sent_before
        # Only the lead adds an office.
        lead_only = gt.post(act(gt_team, "add-member"), {"member": "HN-MP"})
        assert lead_only.status_code == 400
        assert lead_only.context["member_form"].non_field_errors() == [es(teams.LEAD_ONLY)]
        assert copy_in("GT-MP", team).members == ["SV-FGR", "GT-MP"]
    deliver_everywhere(net)
    sv_task = team.items.get(kind=TeamItem.Kind.TASK)
    assert sv_task.task_status == TeamItem.TaskStatus.DONE
    reopened = client.post(task(team, sv_task, "reopen"))
    assert reopened["Location"].endswith(f"#item-{sv_task.pk}")
    sv_task.refresh_from_db()
    assert sv_task.task_status == TeamItem.TaskStatus.OPEN
    assert client.post(task(team, sv_task, "nonsense")).status_code == 404
    with net.as_node("GT-MP"):
        assert signed_in(gt_prosecutor).post(task(team, sv_task, "done")).status_code == 404  # SV's copy


def test_the_lead_adds_an_office_which_is_told_what_h2_kept_from_it(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    hn_prosecutor: User,
) -> None:
    team = formed(net, prosecutor)
    with net.as_node("SV-FGR"):
        teams.post(by=prosecutor, team=team, text="Propongo reunión técnica el lunes.")
        teams.post(by=prosecutor, team=team, text="Informe de vigilancia (reservado).", codes=("H2",))
    client = signed_in(prosecutor)
    form = client.get(page(team)).context["member_form"]
    assert [code for code, _name in form.fields["member"].choices] == ["", "HN-MP"]
    added = client.post(act(team, "add-member"), {"member": "HN-MP"}, follow=True)
    assert es("The office has been added; it receives the team's history except what is marked H2.") in (
        messages_of(added)
    )
    assert client.get(page(team)).context["member_form"] is None  # nobody left to add
    deliver_everywhere(net)
    hn_team = copy_in("HN-MP", team)
    with net.as_node("HN-MP"):
        shown = signed_in(hn_prosecutor).get(page(hn_team))
    assert [entry.text for entry in shown.context["entries"]] == ["Propongo reunión técnica el lunes."]
    assert hn_team.withheld_items == 1
    assert 'class="message message-warning withheld"' in shown.content.decode()
    members = shown.context["members"]
    assert [(m.code, m.is_lead, m.is_us) for m in members] == [
        ("SV-FGR", True, False), ("GT-MP", False, False), ("HN-MP", False, True),
    ]  # fmt: skip


def test_the_list_shows_each_team_with_its_open_tasks(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    team = formed(net, prosecutor)
    formed(net, prosecutor, name="Red de Tecún Umán", members=["GT-MP", "HN-MP"])
    with net.as_node("SV-FGR"):
        teams.post(by=prosecutor, team=team, text="Tarea uno", task_owner="GT-MP")
        teams.post(by=prosecutor, team=team, text="Tarea dos", task_owner="SV-FGR")
    rows = signed_in(prosecutor).get(reverse("exchanges:team_list")).context["rows"]
    assert {row.team.name: row.open_tasks for row in rows} == {"Operación Frontera Sur": 2, "Red de Tecún Umán": 0}
    assert {row.team.name: row.members for row in rows}["Red de Tecún Umán"] == [
        "Ministerio Público de Guatemala", "Ministerio Público de Honduras",
    ]  # fmt: skip
