"""Information requests through the JSON API: a national system asks, the other office answers, both with tokens."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.services import api_tokens
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.cases.tests.factories import open_case
from vinculo.exchanges.models import InformationRequest
from vinculo.exchanges.tests.test_requests import deliver_all
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

NEW_REQUEST: dict[str, Any] = {
    "counterpart": "GT-MP",
    "request_type": "phone_subscriber",
    "subject": "Titular de línea, caso FGR-2026-022",
    "legal_basis": "Memorando de Entendimiento, art. 4",
    "urgency": "urgent",
    "text": "Titular y fecha de alta de la línea indicada.",
    "items": ["Titular de la línea +502 5555 0101", "Fecha de activación"],
    "handling": ["H2"],
}


def token_for(user: User) -> dict[str, str]:
    _token, secret = api_tokens.create_token(by=None, user=user, name="Sistema nacional")
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def sv_system(db: None) -> tuple[User, dict[str, str]]:
    account = UserFactory(username="sv.sistema", roles=[Role.PROSECUTOR])
    return account, token_for(account)


@pytest.fixture
def gt_desk(db: None) -> tuple[User, dict[str, str]]:
    account = UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)
    return account, token_for(account)


def post(client: Client, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(f"/api/v1/exchanges/{path}", body, content_type="application/json", headers=headers)


def test_a_request_is_sent_acknowledged_and_answered_through_the_api(
    client: Client,
    net: FakeNetwork,  # noqa: F811
    sv_system: tuple[User, dict[str, str]],
    gt_desk: tuple[User, dict[str, str]],
) -> None:
    _sv, sv_headers = sv_system
    with net.as_node("SV-FGR"):
        created = post(client, "requests", {**NEW_REQUEST, "send": True}, sv_headers)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "sent"
    assert body["items"] == NEW_REQUEST["items"]
    assert body["due_at"] is not None
    deliver_all(net)
    _gt, gt_headers = gt_desk
    listed = client.get("/api/v1/exchanges/requests?side=incoming", headers=gt_headers).json()
    assert listed["count"] == 1
    incoming = listed["items"][0]
    assert incoming["state"] == "delivered"
    assert "text" not in incoming  # lists carry no content
    with net.as_node("GT-MP"):
        acknowledged = post(
            client, f"requests/{incoming['id']}/acknowledge", {"version": incoming["version"]}, gt_headers
        )
        assert acknowledged.status_code == 200, acknowledged.content
        answered = post(
            client,
            f"requests/{incoming['id']}/answer",
            {"version": acknowledged.json()["version"], "text": "Titular: empresa ficticia S.A.", "is_complete": True},
            gt_headers,
        )
    assert answered.status_code == 200, answered.content
    assert answered.json()["state"] == "answered"
    deliver_all(net)
    mine = client.get(f"/api/v1/exchanges/requests/{body['id']}", headers=sv_headers).json()
    assert mine["state"] == "answered"
    assert mine["answers"][0]["text"] == "Titular: empresa ficticia S.A."
    assert [event["step"] for event in mine["timeline"]][:3] == ["draft", "send", "deliver"]
    assert AuditEntry.objects.filter(action="exchange.request_viewed").exists()
    desk = client.get("/api/v1/exchanges/desk", headers=gt_headers).json()
    assert desk["to_triage"] == []


def test_errors_are_coded_and_change_nothing(
    client: Client,
    net: FakeNetwork,  # noqa: F811
    sv_system: tuple[User, dict[str, str]],
    gt_desk: tuple[User, dict[str, str]],
) -> None:
    _sv, sv_headers = sv_system
    with net.as_node("SV-FGR"):
        unknown = post(client, "requests", {**NEW_REQUEST, "counterpart": "XX-NONE"}, sv_headers)
        assert unknown.status_code == 400
        assert unknown.json()["code"] == "unknown_recipient"
        bad_code = post(client, "requests", {**NEW_REQUEST, "handling": ["H7"]}, sv_headers)
        assert bad_code.status_code == 400
        assert bad_code.json()["code"] == "handling"
        schema = post(client, "requests", {**NEW_REQUEST, "urgency": "yesterday"}, sv_headers)
        assert schema.status_code == 422
        other_case = open_case(UserFactory(username="sv.otro", roles=[Role.PROSECUTOR]), "FGR-AJENO-1")
        hidden = post(client, "requests", {**NEW_REQUEST, "case": str(other_case.pk)}, sv_headers)
        assert hidden.json()["code"] == "case_not_visible"
    assert not InformationRequest.objects.exists()
    with net.as_node("SV-FGR"):
        draft = post(client, "requests", NEW_REQUEST, sv_headers).json()
        stale = post(client, f"requests/{draft['id']}/send", {"version": draft["version"] + 1}, sv_headers)
    assert stale.json()["code"] == "changed_meanwhile"
    _gt, gt_headers = gt_desk
    assert client.get(f"/api/v1/exchanges/requests/{draft['id']}", headers=gt_headers).status_code == 404
    judge = UserFactory(username="sv.juez", roles=[Role.JUDGE], with_totp=True)
    assert client.get("/api/v1/exchanges/requests", headers=token_for(judge)).status_code == 403
    assert client.get("/api/v1/exchanges/desk", headers=sv_headers).status_code == 403


def test_alerts_consents_and_teams_through_the_api(
    client: Client,
    net: FakeNetwork,  # noqa: F811
    sv_system: tuple[User, dict[str, str]],
    gt_desk: tuple[User, dict[str, str]],
) -> None:
    from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere

    _sv, sv_headers = sv_system
    _gt, gt_headers = gt_desk
    alert = {
        "kind": "alert", "recipients": ["GT-MP"], "subject": "Traslado nocturno", "category": "victim_moved",
        "text": "Dos víctimas serán trasladadas esta noche por Ciudad Hidalgo.", "handling": ["H2"],
    }  # fmt: skip
    with net.as_node("SV-FGR"):
        sent = post(client, "broadcasts", alert, sv_headers)
    assert sent.status_code == 201, sent.content
    assert sent.json()["recipients"][0]["member"] == "GT-MP"
    deliver_everywhere(net)
    received = client.get("/api/v1/exchanges/broadcasts?unacknowledged=true", headers=gt_headers).json()
    assert received["count"] == 1
    item = received["items"][0]
    assert item["text"].startswith("Dos víctimas")
    with net.as_node("GT-MP"):
        blocked = post(client, f"broadcasts/{item['id']}/forward", {"recipients": ["HN-MP"]}, gt_headers)
        assert blocked.status_code == 400
        assert blocked.json()["code"] == "h2_forward_blocked"
        asked = post(
            client, "consents",
            {"item_kind": "broadcast", "item": item["id"], "kind": "onward", "recipient": "HN-MP",
             "reason": "Honduras investiga el mismo traslado."},
            gt_headers,
        )  # fmt: skip
        assert asked.status_code == 201, asked.content
        assert post(client, f"broadcasts/{item['id']}/acknowledge", {}, gt_headers).json()["acknowledged_at"]
    deliver_everywhere(net)
    sv_focal = UserFactory(username="sv.enlace", roles=[Role.FOCAL_POINT], with_totp=True)
    focal_headers = token_for(sv_focal)
    pending = client.get("/api/v1/exchanges/consents?side=incoming", headers=focal_headers).json()["items"]
    assert [c["status"] for c in pending] == ["pending"]
    with net.as_node("SV-FGR"):
        answered = post(client, f"consents/{pending[0]['id']}/answer", {"granted": True}, focal_headers)
    assert answered.json()["status"] == "granted"
    deliver_everywhere(net)
    mine = client.get("/api/v1/exchanges/broadcasts?side=outgoing", headers=sv_headers).json()["items"][0]
    assert mine["recipients"][0]["acknowledged_at"] is not None
    with net.as_node("GT-MP"):
        forwarded = post(client, f"broadcasts/{item['id']}/forward", {"recipients": ["HN-MP"]}, gt_headers)
    assert forwarded.status_code == 201, forwarded.content

    with net.as_node("SV-FGR"):
        team = post(client, "teams", {"name": "Equipo Ciudad Hidalgo", "members": ["GT-MP"]}, sv_headers)
        assert team.status_code == 201, team.content
        task = post(
            client, f"teams/{team.json()['id']}/items",
            {"text": "Ubicar a las víctimas", "task_owner": "GT-MP", "task_due_on": "2026-12-20"}, sv_headers,
        )  # fmt: skip
        assert task.json()["task_status"] == "open"
    deliver_everywhere(net)
    listed = client.get("/api/v1/exchanges/teams", headers=gt_headers).json()["items"][0]
    assert listed["lead"] == "SV-FGR"
    assert "items" not in listed  # the list says which teams; their content is one audited read each
    gt_team = client.get(f"/api/v1/exchanges/teams/{listed['id']}", headers=gt_headers).json()
    assert (gt_team["items"][0]["text"], gt_team["items"][0]["conditions"]) == ("Ubicar a las víctimas", "")
    assert AuditEntry.objects.filter(action="exchange.team_viewed", target_id=str(listed["id"])).count() == 1
    with net.as_node("GT-MP"):
        done = post(
            client, f"teams/{gt_team['id']}/items/{gt_team['items'][0]['item_id']}/status", {"done": True}, gt_headers
        )
    assert done.json()["task_status"] == "done"


def test_without_a_directory_in_force_the_api_says_so_in_the_callers_language(
    client: Client,
    net: FakeNetwork,  # noqa: F811
    sv_system: tuple[User, dict[str, str]],
) -> None:
    _sv, sv_headers = sv_system
    net.available = False
    with net.as_node("SV-FGR"):
        refused = post(client, "requests", {**NEW_REQUEST, "send": True}, sv_headers)
    assert refused.status_code == 503
    assert refused.json()["code"] == "directory_expired"
    assert "directorio" in refused.json()["message"]
    assert not InformationRequest.objects.exists()


def test_a_broken_handling_rule_is_explained_in_spanish(
    client: Client,
    net: FakeNetwork,  # noqa: F811
    sv_system: tuple[User, dict[str, str]],
) -> None:
    _sv, sv_headers = sv_system
    with net.as_node("SV-FGR"):
        refused = post(client, "requests", {**NEW_REQUEST, "handling": ["H3"]}, sv_headers)
    assert refused.json()["code"] == "handling"
    assert "H3" in refused.json()["message"]
    assert "Write" not in refused.json()["message"]
