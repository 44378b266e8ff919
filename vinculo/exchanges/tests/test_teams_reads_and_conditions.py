"""A team's workspace read is audited; an H3 item's conditions are sealed beside its text, travel to
every member (also to one added later) and are shown with the item."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.exchanges import selectors, wire
from vinculo.exchanges.models import JointTeam, TeamItem
from vinculo.exchanges.services import teams
from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere
from vinculo.exchanges.tests.test_pages import signed_in
from vinculo.messaging.models import InboundMessage
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture
from vinculo.vault import crypto, keys

pytestmark = pytest.mark.django_db

CONDITIONS = "Solo para los fiscales del caso; no citar en la acusación."


@pytest.fixture
def gt_prosecutor(db: None) -> User:
    return UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)


@pytest.fixture
def hn_prosecutor(db: None) -> User:
    return UserFactory(username="hn.fiscal", office_code="HN-MP", roles=[Role.PROSECUTOR], with_totp=True)


def formed(net: FakeNetwork, by: User) -> JointTeam:  # noqa: F811
    with net.as_node("SV-FGR"):
        team = teams.form_team(by=by, name="Operación Frontera Sur", members=["GT-MP"])
    deliver_everywhere(net)
    return team


def copy_in(office: str, team: JointTeam) -> JointTeam:
    return JointTeam.objects.get(team_id=team.team_id, office__code=office)


def page(team: JointTeam) -> str:
    return reverse("exchanges:team_detail", args=[team.pk])


# --- reading a team is audited --------------------------------------------------------------------


def test_every_view_of_a_teams_page_is_audited_and_a_refused_one_is_not(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    colleague: User,
    gt_prosecutor: User,
) -> None:
    team = formed(net, prosecutor)
    with net.as_node("SV-FGR"):
        teams.post(by=prosecutor, team=team, text="Informe de vigilancia.")
    client = signed_in(colleague)
    assert client.get(page(team)).status_code == 200
    assert client.get(page(team)).status_code == 200
    viewed = AuditEntry.objects.filter(action="exchange.team_viewed", target_id=str(team.pk))
    assert viewed.count() == 2
    assert {entry.actor_label for entry in viewed} == {colleague.username}
    with net.as_node("GT-MP"):
        assert signed_in(gt_prosecutor).get(page(team)).status_code == 404  # SV's copy
        assert signed_in(gt_prosecutor).get(page(copy_in("GT-MP", team))).status_code == 200
    assert viewed.count() == 2
    assert AuditEntry.objects.filter(action="exchange.team_viewed").count() == 3


def test_reading_a_team_through_the_service_is_audited(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    team = formed(net, prosecutor)
    teams.record_team_viewed(by=prosecutor, team=team)
    entry = AuditEntry.objects.get(action="exchange.team_viewed")
    assert (entry.target_id, entry.actor_label) == (str(team.pk), prosecutor.username)


# --- H3 conditions ------------------------------------------------------------------------------


def test_h3_conditions_are_sealed_beside_the_text_and_reach_every_member_also_one_added_later(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_prosecutor: User,
    hn_prosecutor: User,
) -> None:
    team = formed(net, prosecutor)
    with net.as_node("SV-FGR"):
        teams.post(by=prosecutor, team=team, text="Informe de vigilancia.", codes=("H3",), conditions=CONDITIONS)
    with net.as_node("GT-MP"):
        teams.post(by=gt_prosecutor, team=copy_in("GT-MP", team), text="Pedir registros migratorios",
                   task_owner="GT-MP", codes=("H3",), conditions="Sin copia a terceros.")  # fmt: skip
    deliver_everywhere(net)
    with net.as_node("SV-FGR"):
        teams.add_member(by=prosecutor, team=team, member="HN-MP")
    deliver_everywhere(net)
    assert not InboundMessage.objects.exclude(processing_error="").exists()
    for office in ("SV-FGR", "GT-MP", "HN-MP"):
        shown = [teams.content_of(item) for item in selectors.team_items(copy_in(office, team))]
        assert shown == [
            {"text": "Informe de vigilancia.", "conditions": CONDITIONS},
            {"text": "Pedir registros migratorios", "conditions": "Sin copia a terceros."},
        ], office
    for row in TeamItem.objects.all():  # sealed, with the text
        assert "terceros" not in row.content
        assert "fiscales del caso" not in row.content
    with net.as_node("HN-MP"):
        response = signed_in(hn_prosecutor).get(page(copy_in("HN-MP", team)))
    entries = response.context["entries"]
    assert [(entry.text, entry.conditions) for entry in entries] == [
        ("Informe de vigilancia.", CONDITIONS), ("Pedir registros migratorios", "Sin copia a terceros."),
    ]  # fmt: skip
    assert response.content.decode().count('class="conditions" role="note"') == 2


def test_conditions_that_look_like_the_old_mark_are_kept_whole(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
) -> None:
    team = formed(net, prosecutor)
    conditions = "No citar.\n\n[H3] Tampoco entregar a la defensa."
    with net.as_node("SV-FGR"):
        item = teams.post(by=prosecutor, team=team, text="Nota.", codes=("H3",), conditions=conditions)
    deliver_everywhere(net)
    assert teams.content_of(item) == {"text": "Nota.", "conditions": conditions}
    gt_item = copy_in("GT-MP", team).items.get()
    assert teams.content_of(gt_item) == {"text": "Nota.", "conditions": conditions}
    assert teams.text_of(gt_item).endswith(conditions)  # one text for readers without a conditions box (the API)


def test_an_item_stored_before_conditions_were_sealed_apart_still_shows_them(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
) -> None:
    team = formed(net, prosecutor)
    with net.as_node("SV-FGR"):
        item = teams.post(by=prosecutor, team=team, text="Nota.", codes=("H3",), conditions="Uso interno.")
    old = json.dumps({"text": "Nota.\n\n[H3] Uso interno."}).encode("utf-8")
    item.content = crypto.seal_bytes(old, keyring=keys.current_keyring(), context=TeamItem.context(item.pk))
    item.save(update_fields=["content"])
    assert teams.content_of(item) == {"text": "Nota.", "conditions": "Uso interno."}


def _item_message(team_id: str, **changes: Any) -> bytes:
    body = {
        "item_id": str(uuid.uuid4()), "kind": "post", "author_office": "SV-FGR", "author_name": "Ana",
        "text": "Informe.", "conditions": CONDITIONS, "language": "es", "handling": ["H3"],
        "task_owner_office": "", "task_due_on": "", "task_status": "", "at": "2026-11-28T10:00:00+00:00",
    }  # fmt: skip
    body.update(changes)
    return json.dumps({"team_id": team_id, "kind": "item", "item": body}).encode("utf-8")


def test_a_received_item_without_its_h3_conditions_or_with_stray_conditions_is_refused(
    net: FakeNetwork,  # noqa: F811
) -> None:
    team_id = str(uuid.uuid4())
    formed_message = {"team_id": team_id, "kind": "formed", "name": "X", "lead": "SV-FGR",
                      "members": ["SV-FGR", "GT-MP"]}  # fmt: skip

    def receive(payload: bytes) -> None:
        teams.receive(InboundMessage(sender="SV-FGR", message_id=uuid.uuid4()), payload)

    with net.as_node("GT-MP"):
        receive(json.dumps(formed_message).encode("utf-8"))
        for bad in (
            _item_message(team_id, conditions=""),  # H3 without what it asks of the reader
            _item_message(team_id, conditions="   "),
            _item_message(team_id, handling=[]),  # conditions without H3
            _item_message(team_id, conditions=None),
        ):
            with pytest.raises(wire.UnreadablePayload):
                receive(bad)
        withdrawn = json.loads(_item_message(team_id))
        del withdrawn["item"]["conditions"]  # an item must say its conditions, even empty
        with pytest.raises(wire.UnreadablePayload):
            receive(json.dumps(withdrawn).encode("utf-8"))
        assert not TeamItem.objects.exists()
        receive(_item_message(team_id))
    stored = TeamItem.objects.get()
    assert teams.content_of(stored) == {"text": "Informe.", "conditions": CONDITIONS}
