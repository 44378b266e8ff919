"""The hit/no-hit pages: asking through the form, the answers, the focal point's decision, who sees what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import Case
from vinculo.matching.models import Hit, Query, QueryRecipient
from vinculo.matching.services import queries
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.tests.conftest import FakeNetwork

from .conftest import deliver_all

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_prosecutor_asks_through_the_form_and_sees_each_office_answer(
    mnet: FakeNetwork, prosecutor: User, gt_case: Case, gt_focal_point: User
) -> None:
    client = signed_in(prosecutor)
    with mnet.as_node("SV-FGR"):
        page = client.get(reverse("matching:query_create"))
        assert page.status_code == 200
        assert "GT-MP" in page.content.decode()
        sent = client.post(
            reverse("matching:query_create"),
            {
                "kind": "person", "purpose": "investigation", "recipients": ["GT-MP", "HN-MP"],
                "case_reference": "FGR-2026-014", "legal_basis": "Memorando de Entendimiento, art. 4",
                "given_names": "Jose Manuel", "first_surname": "Hernandez", "second_surname": "Lopez",
                "birth_date": "1988", "sex": "M",
            },
        )  # fmt: skip
    assert sent.status_code == 302, sent.content.decode()[:2000]
    query = Query.objects.get()
    deliver_all(mnet)
    with mnet.as_node("SV-FGR"):
        detail = client.get(sent["Location"])
    body = detail.content.decode()
    assert detail.status_code == 200
    assert "Hernandez" in body  # the asker sees what was asked, on this page only
    assert "Solicitar información sobre esta coincidencia" in body
    assert f"hit={query.recipients.get(member='GT-MP').hit_reference}" in body
    assert AuditEntry.objects.filter(action="match.query_viewed", actor=prosecutor).count() == 1
    with mnet.as_node("SV-FGR"):
        listing = client.get(reverse("matching:query_list")).content.decode()
    assert "FGR-2026-014" in listing
    assert "Hernandez" not in listing  # lists never show what was asked


def test_the_form_refuses_what_is_missing_and_sends_nothing(mnet: FakeNetwork, prosecutor: User, gt_case: Case) -> None:
    client = signed_in(prosecutor)
    with mnet.as_node("SV-FGR"):
        refused = client.post(reverse("matching:query_create"), {"kind": "person", "purpose": "investigation"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Elija al menos una fiscalía" in body
    assert not Query.objects.exists()


def test_the_focal_point_confirms_a_hit_from_its_page(
    mnet: FakeNetwork, prosecutor: User, gt_case: Case, gt_focal_point: User, gt_prosecutor: User
) -> None:
    from vinculo.matching.services import queries

    with mnet.as_node("SV-FGR"):
        queries.ask(
            by=prosecutor, asked=queries.Asked(kind="phone", phone="+502 5512 3456"), purpose="investigation",
            case=None, case_reference="FGR-2026-014", legal_basis="MoU art. 4", members=["GT-MP"],
        )  # fmt: skip
    deliver_all(mnet)
    hit = Hit.objects.get()
    focal = signed_in(gt_focal_point)
    with mnet.as_node("GT-MP"):
        listing = focal.get(reverse("matching:hit_list")).content.decode()
        assert "FGR-2026-014" in listing
        page = focal.get(reverse("matching:hit_detail", args=[hit.pk]))
        assert page.status_code == 200
        assert "MP-2026-0042" in page.content.decode()  # the matched record's case, for the focal point to check
        assert signed_in(gt_prosecutor).get(reverse("matching:hit_detail", args=[hit.pk])).status_code == 403
        stale = focal.post(reverse("matching:hit_decide", args=[hit.pk]), {"version": 99, "decision": "confirm"})
        assert stale.status_code == 400
        done = focal.post(reverse("matching:hit_decide", args=[hit.pk]), {"version": 1, "decision": "confirm"})
    assert done.status_code == 302
    hit.refresh_from_db()
    assert hit.state == "confirmed"
    assert hit.decided_by == gt_focal_point


@pytest.mark.parametrize("role", [Role.ANALYST, Role.NODE_ADMIN, Role.JUDGE])
def test_people_without_the_permissions_cannot_open_the_pages(role: Role, db: Any) -> None:
    client = signed_in(UserFactory(roles=[role], with_totp=True))
    for name in ("matching:query_list", "matching:query_create", "matching:hit_list", "matching:crossmatch"):
        assert client.get(reverse(name)).status_code == 403, name


def test_a_person_of_a_case_is_asked_about_without_showing_their_identity(
    mnet: FakeNetwork, gt_case: Case, gt_prosecutor: User, prosecutor: User
) -> None:
    from vinculo.cases.services import case_files  # noqa: F401 - the case below is SV's own
    from vinculo.cases.tests.factories import open_case

    from .conftest import add_person

    sv_case = open_case(prosecutor, "FGR-2026-0200")
    party = add_person(
        prosecutor, sv_case, given_names="José Manuel", first_surname="Hernández", second_surname="López",
        birth_date="1988-04-12",
    )  # fmt: skip
    client = signed_in(prosecutor)
    with mnet.as_node("SV-FGR"):
        case_page = client.get(reverse("cases:case_detail", args=[sv_case.pk])).content.decode()
        link = f"{reverse('matching:query_create')}?case={sv_case.pk}&amp;party={party.pk}"
        assert link in case_page
        form = client.get(link.replace("&amp;", "&")).content.decode()
        assert "Hernández" not in form
        sent = client.post(
            link.replace("&amp;", "&"),
            {"kind": "person", "purpose": "investigation", "recipients": ["GT-MP"], "case": "FGR-2026-0200",
             "legal_basis": "Memorando de Entendimiento, art. 4", "party": party.pk},
        )  # fmt: skip
    assert sent.status_code == 302, sent.content.decode()[:1500]
    deliver_all(mnet)
    query = Query.objects.get()
    assert query.case == sv_case
    assert query.recipients.get().decision == "hit"
    with mnet.as_node("SV-FGR"):
        detail = client.get(sent["Location"]).content.decode()
    assert "FGR-2026-0200" in detail
    assert "Hernández" not in detail  # the query page names the party, not the identity


def test_a_query_the_network_gives_up_on_stops_waiting_for_that_office(
    mnet: FakeNetwork, prosecutor: User, gt_case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_post = mnet.post_to_inbox

    def hn_is_down(url: str, data: bytes) -> tuple[int, bytes]:
        if "//hn-mp.test/" in url:
            raise ConnectionRefusedError("connection refused")
        return real_post(url, data)

    monkeypatch.setattr(mnet, "post_to_inbox", hn_is_down)
    client = signed_in(prosecutor)
    with mnet.as_node("SV-FGR"):
        query = queries.ask(
            by=prosecutor, asked=queries.Asked(kind="phone", phone="(502) 5512-3456"), purpose="investigation",
            case=None, case_reference="FGR-2026-014", legal_basis="Memorando de Entendimiento, art. 4",
            members=("GT-MP", "HN-MP"),
        )  # fmt: skip
    deliver_all(mnet)
    page = reverse("matching:query_detail", args=[query.pk])
    with mnet.as_node("SV-FGR"):
        waiting = client.get(page, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 3s"' in waiting, "HN has not answered yet: the answers keep refreshing"
    assert query.recipients.get(member="HN-MP").state == QueryRecipient.State.SENT

    give_up_at = OutboundMessage.objects.get(type="match.query", recipient="HN-MP").give_up_at
    with time_machine.travel(give_up_at + timedelta(minutes=1)):
        deliver_all(mnet)
    hn = query.recipients.get(member="HN-MP")
    assert hn.state == QueryRecipient.State.UNDELIVERED
    assert query.recipients.get(member="GT-MP").decision == "hit", "the office that answered keeps its answer"
    entry = AuditEntry.objects.get(action="match.query_undelivered")
    assert entry.data["to"] == "HN-MP"
    with mnet.as_node("SV-FGR"):
        refreshed = client.get(page, headers={"HX-Request": "true"}).content.decode()
        full = client.get(page).content.decode()
    assert "every 3s" not in refreshed, "no office is still awaited: the page stops asking"
    assert "every 3s" not in full
    assert "No se pudo entregar" in full
    assert "En espera de algunas fiscalías" not in full


def test_a_cross_match_notice_leads_to_an_information_request_to_the_other_office(
    mnet: FakeNetwork, gt_case: Case, gt_focal_point: User, gt_prosecutor: User
) -> None:
    from django.utils import timezone

    from vinculo.matching.models import CrossmatchNotice, IndexEntry

    suspect = IndexEntry.objects.get(person__office__code="GT-MP", is_suspect=True)
    CrossmatchNotice.objects.create(reference="a" * 32, entry=suspect, other_member="HN-MP", run_at=timezone.now())
    with mnet.as_node("GT-MP"):
        page = signed_in(gt_focal_point).get(reverse("matching:crossmatch")).text
        # the focal point may not open the case, so the link names no case; the office is named
        link = f"{reverse('exchanges:request_create')}?to=HN-MP&amp;about=crossmatch"
        assert link in page
        assert f'{link}"' in page
        form = signed_in(gt_focal_point).get(link.replace("&amp;", "&") + "&case=MP-2026-0042")
    assert form.status_code == 200
    assert 'value="HN-MP" selected' in form.text
    assert "Una persona que ambas fiscalías tienen, según el cruce del nodo central" in form.text
    assert 'value="MP-2026-0042"' in form.text
