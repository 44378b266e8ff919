"""Documents in a joint team: shared through the page, verified on arrival, opened by members (audited);
an office that joins later gets the entry, not the file."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.core.errors import DomainError
from vinculo.exchanges import wire
from vinculo.exchanges.models import JointTeam, TeamItem
from vinculo.exchanges.services import teams
from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture
from vinculo.messaging.tests.test_attachments import FakeTransport, transport  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
PLAN = b"%PDF-1.7\n" + b"Plan operativo conjunto (documento sintetico)\n" * 400 + b"%%EOF\n"


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _copy(office: str, team: JointTeam) -> JointTeam:
    return JointTeam.objects.get(team_id=team.team_id, office__code=office)


def test_a_document_reaches_the_members_and_a_later_member_gets_only_its_entry(
    net: FakeNetwork,  # noqa: F811
    transport: FakeTransport,  # noqa: F811
    prosecutor: User,
) -> None:
    gt = UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)
    hn = UserFactory(username="hn.fiscal", office_code="HN-MP", roles=[Role.PROSECUTOR], with_totp=True)
    with net.as_node("SV-FGR"):
        team = teams.form_team(by=prosecutor, name="Operación Ruta Norte", members=["GT-MP"])
        posted = _signed_in(prosecutor).post(
            reverse("exchanges:team_action", args=[team.pk, "post"]),
            {"text": "Plan operativo para la reunión del lunes.", "language": "es",
             "files": [SimpleUploadedFile("plan.pdf", PLAN, content_type="text/html")]},
        )  # fmt: skip
        assert posted.status_code == 302, posted.content.decode()[:3000]
    deliver_everywhere(net)
    mine = TeamItem.objects.get(team=team)
    assert (mine.kind, mine.file_name, mine.file_media_type, mine.attachment) == ("document", "plan.pdf",
                                                                                   "application/pdf", None)  # fmt: skip
    gt_team = _copy("GT-MP", team)
    received = TeamItem.objects.get(team=gt_team)
    assert received.attachment is not None
    assert (received.file_sha256, received.file_size) == (mine.file_sha256, len(PLAN))

    with net.as_node("GT-MP"):
        client = _signed_in(gt)
        link = reverse("exchanges:team_document", args=[gt_team.pk, received.pk])
        assert link in client.get(reverse("exchanges:team_detail", args=[gt_team.pk])).content.decode()
        download = client.get(link)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PLAN  # type: ignore[attr-defined]
        assert AuditEntry.objects.filter(action="exchange.team_document_opened", actor=gt).count() == 1
    with net.as_node("SV-FGR"):
        page = _signed_in(prosecutor).get(reverse("exchanges:team_detail", args=[team.pk])).content.decode()
        assert "plan.pdf" in page
        assert reverse("exchanges:team_document", args=[team.pk, mine.pk]) not in page  # the original is SV's
        teams.add_member(by=prosecutor, team=team, member="HN-MP")
    deliver_everywhere(net)
    hn_item = TeamItem.objects.get(team=_copy("HN-MP", team))
    assert (hn_item.kind, hn_item.file_name, hn_item.attachment) == ("document", "plan.pdf", None)
    with net.as_node("HN-MP"), pytest.raises(DomainError) as not_here:
        teams.open_document(by=hn, item=hn_item)
    assert not_here.value.code == "not_kept_here"


def test_a_task_carries_no_file_and_one_document_goes_at_a_time(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    with net.as_node("SV-FGR"):
        team = teams.form_team(by=prosecutor, name="Operación Ruta Norte", members=["GT-MP"])
        client = _signed_in(prosecutor)
        url = reverse("exchanges:team_action", args=[team.pk, "post"])
        as_task = client.post(url, {"text": "Revisar el plan", "language": "es", "task_owner": "GT-MP",
                                    "files": [SimpleUploadedFile("a.txt", b"texto")]})  # fmt: skip
        pair = [SimpleUploadedFile("a.txt", b"uno"), SimpleUploadedFile("b.txt", b"dos")]
        two = client.post(url, {"text": "Dos planes", "language": "es", "files": pair})
    assert (as_task.status_code, two.status_code) == (400, 400)
    assert "files" in as_task.context["post_form"].errors
    assert "files" in two.context["post_form"].errors
    assert not TeamItem.objects.exists()


def test_a_document_whose_file_did_not_come_with_it_is_refused_by_the_handler(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
) -> None:
    body = {
        "item_id": "6b1f9c56-7c1e-4a57-9d55-2f3f0bd2a001", "kind": "document", "author_office": "SV-FGR",
        "author_name": "Fiscal", "text": "Plan", "conditions": "", "language": "es", "handling": [],
        "task_owner_office": "", "task_due_on": "", "task_status": "", "at": "2026-11-28T10:00:00+00:00",
        "file": {"name": "plan.pdf", "sha256": "a" * 64, "size": 10, "media_type": "application/pdf",
                 "attached": True},
    }  # fmt: skip
    with net.as_node("SV-FGR"):
        team = teams.form_team(by=prosecutor, name="Operación Ruta Norte", members=["GT-MP"])
    deliver_everywhere(net)
    gt_team = _copy("GT-MP", team)
    from vinculo.messaging.models import InboundMessage

    message = InboundMessage.objects.filter(sender="SV-FGR").first()
    assert message is not None
    payload = json.dumps({"team_id": str(team.team_id), "kind": "item", "item": body}).encode()
    with net.as_node("GT-MP"), pytest.raises(wire.UnreadablePayload):
        teams.receive(message, payload)
    without_file = {**body, "kind": "post"}
    with net.as_node("GT-MP"), pytest.raises(wire.UnreadablePayload):
        teams.receive(
            message, json.dumps({"team_id": str(team.team_id), "kind": "item", "item": without_file}).encode()
        )
    assert not TeamItem.objects.filter(team=gt_team).exists()


def test_the_api_shares_a_document_and_a_member_downloads_it(
    client: Client,
    net: FakeNetwork,  # noqa: F811
    transport: FakeTransport,  # noqa: F811
    prosecutor: User,
) -> None:
    from vinculo.exchanges.tests.test_api import token_for

    gt = UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)
    with net.as_node("SV-FGR"):
        team = teams.form_team(by=prosecutor, name="Operación Ruta Norte", members=["GT-MP"])
        shared = client.post(
            f"/api/v1/exchanges/teams/{team.pk}/documents",
            {"text": "Plan operativo", "handling": ["H1"], "file": SimpleUploadedFile("plan.pdf", PLAN)},
            headers=token_for(prosecutor),
        )
        assert shared.status_code == 201, shared.content
        assert shared.json()["file"] == {
            "name": "plan.pdf", "media_type": "application/pdf", "size": len(PLAN),
            "sha256": TeamItem.objects.get(team=team).file_sha256, "received": False,
        }  # fmt: skip
    deliver_everywhere(net)
    gt_team = _copy("GT-MP", team)
    headers = token_for(gt)
    with net.as_node("GT-MP"):
        item = client.get(f"/api/v1/exchanges/teams/{gt_team.pk}", headers=headers).json()["items"][0]
        assert (item["kind"], item["handling"], item["file"]["received"]) == ("document", ["H1"], True)
        download = client.get(f"/api/v1/exchanges/teams/{gt_team.pk}/documents/{item['id']}", headers=headers)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PLAN  # type: ignore[attr-defined]
        missing = client.get(f"/api/v1/exchanges/teams/{gt_team.pk}/documents/{gt_team.pk}", headers=headers)
        assert missing.status_code == 404
