"""Hits feed the statistics' MoU performance: each office counts the hits it asked for and answered, and
what followed from them, and the report to the hub carries those counts only."""

from __future__ import annotations

import json
import uuid

import pytest
from django.utils import timezone

from vinculo.accounts.models import Office, User
from vinculo.cases.models import Case
from vinculo.exchanges.models import InformationRequest
from vinculo.exchanges.services import requests
from vinculo.matching.models import CrossmatchNotice, Hit, IndexEntry, QueryRecipient
from vinculo.matching.services import queries
from vinculo.messaging.tests.conftest import FakeNetwork
from vinculo.statistics import reports
from vinculo.statistics.services import aggregates
from vinculo.statistics.services.reports import report_bytes

from .conftest import deliver_all
from .test_queries import ask, hit_request

pytestmark = pytest.mark.django_db

PHONE = queries.Asked(kind="phone", phone="5512 3456", country="GT")
PLATE = queries.Asked(kind="vehicle", country="GT", number="P123ABC")
ABSENT = queries.Asked(kind="phone", phone="7777 0000", country="GT")


def follow_up(office: str) -> dict[str, dict[str, object]]:
    snapshot = aggregates.build_snapshot(by=None, office=Office.objects.get(code=office))
    stored = snapshot.tables.get(key="mou_performance").data
    return {entry["counterpart"]: entry for entry in stored["hits"]}


def request_on(by: User, reference: str) -> InformationRequest:
    request = requests.create_draft(by=by, draft=hit_request(reference))
    requests.send_request(by=by, request=request, expected_version=request.version)
    return request


def test_hits_and_what_followed_are_counted_on_both_sides(
    mnet: FakeNetwork, prosecutor: User, gt_case: Case, gt_focal_point: User
) -> None:
    with mnet.as_node("SV-FGR"):
        confirmed = ask(prosecutor, PHONE)  # a hit at GT, no hit at HN
        rejected = ask(prosecutor, PLATE, members=("GT-MP",))
        ask(prosecutor, ABSENT, members=("GT-MP",))
    deliver_all(mnet)
    first = QueryRecipient.objects.get(query=confirmed, member="GT-MP").hit_reference
    second = QueryRecipient.objects.get(query=rejected, member="GT-MP").hit_reference
    assert first
    assert second
    with mnet.as_node("SV-FGR"):
        request = request_on(prosecutor, first)
    deliver_all(mnet)
    with mnet.as_node("GT-MP"):
        for reference, confirm in ((first, True), (second, False)):
            hit = Hit.objects.get(reference=reference)
            queries.decide_hit(by=gt_focal_point, hit=hit, expected_version=hit.version, confirm=confirm)
        incoming = InformationRequest.objects.get(side="incoming", exchange_id=request.exchange_id)
        requests.answer(by=gt_focal_point, request=incoming, expected_version=incoming.version,
                        text="Se trata de la persona de la coincidencia.", is_complete=True)  # fmt: skip
    deliver_all(mnet)
    # the hub's cross-match told GT twice (two uploads, fresh references) that SV holds its suspect
    suspect = IndexEntry.objects.get(person__office__code="GT-MP", is_suspect=True)
    for _upload in range(2):
        CrossmatchNotice.objects.create(
            reference=uuid.uuid4().hex, entry=suspect, other_member="SV-FGR", run_at=timezone.now()
        )

    sv = follow_up("SV-FGR")
    assert set(sv) == {"GT-MP", "HN-MP"}
    steps = ("queries", "hits", "confirmed", "rejected", "requests", "answered")
    assert [sv["GT-MP"][f"{s}_sent"] for s in steps] == [3, 2, 1, 1, 1, 1]
    assert [sv["HN-MP"][f"{s}_sent"] for s in steps] == [1, 0, 0, 0, 0, 0]
    assert sv["GT-MP"]["queries_received"] == 0
    gt = follow_up("GT-MP")
    assert set(gt) == {"SV-FGR"}
    assert [gt["SV-FGR"][f"{s}_received"] for s in steps] == [3, 2, 1, 1, 1, 1]
    assert gt["SV-FGR"]["queries_sent"] == 0
    assert gt["SV-FGR"]["shared"] == 1  # one person, however many notices

    # the report to the hub carries the same counts, and nothing of the queries themselves
    snapshot = aggregates.build_snapshot(by=None, office=Office.objects.get(code="GT-MP"))
    sent = reports.read(
        report_bytes(snapshot=snapshot, report_id=uuid.uuid4(), kind="on_demand", member="GT-MP", country="GT")
    )
    assert [dict(h) for h in sent.hits] == [gt["SV-FGR"]]
    text = json.dumps(sent.data)
    for secret in (first, second, "FGR-2026-014", "Memorando", "5512"):
        assert secret not in text


def test_a_withdrawn_request_on_a_hit_is_not_counted(mnet: FakeNetwork, prosecutor: User, gt_case: Case) -> None:
    with mnet.as_node("SV-FGR"):
        query = ask(prosecutor, PHONE, members=("GT-MP",))
    deliver_all(mnet)
    reference = QueryRecipient.objects.get(query=query).hit_reference
    with mnet.as_node("SV-FGR"):
        request = request_on(prosecutor, reference)
        request.refresh_from_db()
        requests.withdraw(by=prosecutor, request=request, expected_version=request.version, reason="Ya no es necesaria")
    deliver_all(mnet)
    sv = follow_up("SV-FGR")["GT-MP"]
    assert (sv["hits_sent"], sv["requests_sent"], sv["answered_sent"]) == (1, 0, 0)
