"""Query budgets of the exchanges pages: the count stays flat as requests, steps, answers, alerts,
consents, teams and their items grow.

Each test measures a page with a little data and with more of it; the number of SQL queries must
stay within the budget and must not grow with the rows or timeline entries shown.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import Broadcast, InformationRequest
from vinculo.exchanges.services import broadcasts, consents, requests, teams
from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere
from vinculo.exchanges.tests.test_desk import sent_request
from vinculo.exchanges.tests.test_requests import copies, deliver_all
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

# Session, person and roles, the session's save (three); the other offices and their names; the
# count and the page of requests.
LIST_BUDGET = 10
# Session, person, roles and the save; the request; the audited read (eight, the audit trail's);
# the other office's name, the answers, the timeline, its messages sent and received; with answers
# received, what may be done with them: the offices to ask, the consents asked, the person's cases.
# And the files of the request and its answers (one query for all).
DETAIL_BUDGET = 24
DESK_BUDGET = 8


@pytest.fixture
def gt_focal_point(db: None) -> User:
    return UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)


def _queries(client: Client, path: str, params: dict[str, Any] | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params or {})
    assert response.status_code == 200, path
    return len(queries)


FILTERS = [{}, {"side": "outgoing"}, {"state": "open"}, {"counterpart": "GT-MP"}, {"page": 2}]


def test_the_list_keeps_its_budget_with_every_filter(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    client = Client()
    client.force_login(prosecutor)
    path = reverse("exchanges:request_list")
    sent_request(net, prosecutor)
    _queries(client, path)  # warms per-process caches (the office name in the page's shell)
    few = [_queries(client, path, filters) for filters in FILTERS]
    for number in range(6):
        sent_request(net, prosecutor, subject=f"Solicitud {number}", counterpart="HN-MP" if number % 2 else "GT-MP")
    many = [_queries(client, path, filters) for filters in FILTERS]
    for filters, before, after in zip(FILTERS, few, many, strict=True):
        assert after <= LIST_BUDGET, filters
        assert after == before, f"a query per request shown with {filters}"


def test_a_request_page_keeps_its_budget_however_long_its_timeline(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    client = Client()
    client.force_login(prosecutor)
    outgoing, incoming = copies(sent_request(net, prosecutor))
    with net.as_node("GT-MP"):
        incoming = requests.acknowledge(by=gt_focal_point, request=incoming, expected_version=incoming.version)
        requests.answer(by=gt_focal_point, request=incoming, expected_version=incoming.version,
                        text="Primera parte", is_complete=False, codes=("H1",))  # fmt: skip
        incoming.refresh_from_db()
    deliver_all(net)  # steps from the other office: the timeline names messages sent and received
    path = reverse("exchanges:request_detail", args=[outgoing.pk])
    _queries(client, path)
    few = _queries(client, path)
    with net.as_node("GT-MP"):
        for number in range(3):
            requests.clarify(by=gt_focal_point, request=incoming, text=f"Pregunta {number}")
            incoming.refresh_from_db()
            requests.answer(by=gt_focal_point, request=incoming, expected_version=incoming.version,
                            text=f"Parte {number}", is_complete=False)  # fmt: skip
            incoming.refresh_from_db()
    with net.as_node("SV-FGR"):
        outgoing.refresh_from_db()
        requests.remind(by=prosecutor, request=outgoing)
    deliver_all(net)
    assert InformationRequest.objects.get(pk=outgoing.pk).events.count() > 10
    many = _queries(client, path)
    assert many <= DETAIL_BUDGET
    assert many == few, "a query per timeline entry or answer (or per answer's actions)"


def test_the_desk_keeps_its_budget(net: FakeNetwork, prosecutor: User, gt_focal_point: User) -> None:  # noqa: F811
    client = Client()
    client.force_login(gt_focal_point)
    path = reverse("exchanges:desk")
    sent_request(net, prosecutor)
    with net.as_node("GT-MP"):
        _queries(client, path)
        few = _queries(client, path)
    for number in range(4):
        sent_request(net, prosecutor, subject=f"Solicitud {number}")
    with net.as_node("GT-MP"):
        many = _queries(client, path)
    assert many <= DESK_BUDGET
    assert many == few


# --- alerts and information, consents, joint teams ----------------------------------------------

# Each page: session, person and roles, and the session's save (three); then, for the lists, the
# count and the page of rows and the offices' names. The sent alerts also load the offices each
# item went to (one query for the page).
BROADCAST_LIST_BUDGET = 10
# The item with its people and case, its recipients; the audited read (eight); the offices' names;
# for a received one, the network's offices (to pass it on), the consents asked for it, and the
# person's cases (to file it in one).
BROADCAST_DETAIL_BUDGET = 20
CONSENT_LIST_BUDGET = 9
TEAM_LIST_BUDGET = 9  # the teams' open tasks and last activity come with the page
# The team, its office, its items; the offices' names; the network's offices (the lead adds one);
# the audited read (eight, the audit trail's).
TEAM_DETAIL_BUDGET = 19


def _alert(by: User, number: int, **changes: Any) -> Broadcast:
    fields: dict[str, Any] = {
        "kind": "alert", "recipients": ["GT-MP", "HN-MP"], "category": "child_at_risk",
        "subject": f"Alerta {number}", "text": "Una niña viaja hacia la frontera.", "codes": ("H1", "H2"),
    }  # fmt: skip
    fields.update(changes)
    return broadcasts.send_broadcast(by=by, **fields)


def test_the_alerts_lists_and_pages_keep_their_budgets(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    gt_prosecutor = UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)
    sv, gt = Client(), Client()
    sv.force_login(prosecutor)
    gt.force_login(gt_prosecutor)
    with net.as_node("SV-FGR"):
        first = _alert(prosecutor, 0)
    deliver_everywhere(net)
    received = Broadcast.objects.get(exchange_id=first.exchange_id, side=Side.INCOMING, office__code="GT-MP")
    sv_list, sv_item = reverse("exchanges:broadcast_list"), reverse("exchanges:broadcast_detail", args=[first.pk])
    gt_item = reverse("exchanges:broadcast_detail", args=[received.pk])
    _queries(sv, sv_list)

    def measure() -> list[int]:
        counts = [_queries(sv, sv_list, {"side": "outgoing"}), _queries(sv, sv_item)]
        with net.as_node("GT-MP"):
            counts += [_queries(gt, sv_list), _queries(gt, gt_item)]
        return counts

    few = measure()
    with net.as_node("SV-FGR"):
        for number in range(1, 5):
            _alert(prosecutor, number, kind="information" if number % 2 else "alert")
    deliver_everywhere(net)
    with net.as_node("GT-MP"):
        # One pending request per office to pass it on to (a second for the same one is refused).
        for office in ("HN-MP", "CR-MP"):
            consents.ask_consent(by=gt_prosecutor, item=received, kind="onward", recipient=office,
                                 reason="Para la oficina que investiga la misma red.")  # fmt: skip
        broadcasts.acknowledge(by=gt_focal_point, broadcast=received)
    deliver_everywhere(net)
    many = measure()
    budgets = [BROADCAST_LIST_BUDGET, BROADCAST_DETAIL_BUDGET, BROADCAST_LIST_BUDGET, BROADCAST_DETAIL_BUDGET]
    for name, before, after, budget in zip(("sent list", "sent item", "received list", "received item"), few, many,
                                           budgets, strict=True):  # fmt: skip
        assert after <= budget, name
        assert after == before, f"a query per row or recipient on the {name}"


def test_the_consents_list_keeps_its_budget(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    client = Client()
    client.force_login(gt_focal_point)
    path = reverse("exchanges:consent_list")
    with net.as_node("SV-FGR"):
        sent = [_alert(prosecutor, number, recipients=["GT-MP"]) for number in range(5)]
    deliver_everywhere(net)
    # One item each: a second pending request for the same item and office is refused.
    received = [Broadcast.objects.get(exchange_id=item.exchange_id, side=Side.INCOMING) for item in sent]

    def ask(number: int) -> None:
        with net.as_node("GT-MP"):
            consents.ask_consent(by=gt_focal_point, item=received[number], kind="onward", recipient="HN-MP",
                                 reason=f"Motivo número {number}.")  # fmt: skip

    ask(0)
    with net.as_node("GT-MP"):
        _queries(client, path)
        few = _queries(client, path, {"side": "outgoing"})
    for number in range(1, 5):
        ask(number)
    with net.as_node("GT-MP"):
        many = _queries(client, path, {"side": "outgoing"})
    assert many <= CONSENT_LIST_BUDGET
    assert many == few


def test_the_teams_list_and_a_teams_page_keep_their_budgets(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    client = Client()
    client.force_login(prosecutor)
    with net.as_node("SV-FGR"):
        team = teams.form_team(by=prosecutor, name="Equipo 0", members=["GT-MP"])
        teams.post(by=prosecutor, team=team, text="Primer mensaje.")
    paths = [reverse("exchanges:team_list"), reverse("exchanges:team_detail", args=[team.pk])]
    _queries(client, paths[0])
    few = [_queries(client, path) for path in paths]
    with net.as_node("SV-FGR"):
        for number in range(1, 4):
            teams.form_team(by=prosecutor, name=f"Equipo {number}", members=["GT-MP", "HN-MP"])
            teams.post(by=prosecutor, team=team, text=f"Tarea {number}", task_owner="GT-MP", codes=("H2",))
        teams.add_member(by=prosecutor, team=team, member="HN-MP")
    many = [_queries(client, path) for path in paths]
    assert many[0] <= TEAM_LIST_BUDGET
    assert many[1] <= TEAM_DETAIL_BUDGET
    assert many == few, "a query per team or item"
