"""Who sees which requests, the focal point's desk, and deadlines that remind and escalate once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.core.errors import NotFound
from vinculo.exchanges import selectors
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import InformationRequest
from vinculo.exchanges.services import deadlines, requests
from vinculo.exchanges.tests.test_requests import copies, deliver_all, draft
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture
from vinculo.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def gt_focal_point(db: None) -> User:
    return UserFactory(
        username="gt.enlace", email="enlace@gt.example", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True
    )


@pytest.fixture
def gt_prosecutor(db: None) -> User:
    return UserFactory(
        username="gt.fiscal", email="fiscal@gt.example", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True
    )


def sent_request(net: FakeNetwork, by: User, **changes: object) -> InformationRequest:  # noqa: F811
    with net.as_node("SV-FGR"):
        request = requests.create_draft(by=by, draft=draft(**changes))
        request = requests.send_request(by=by, request=request, expected_version=request.version)
    deliver_all(net)
    return request


def test_each_person_sees_only_what_is_theirs_to_see(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    colleague: User,
    focal_point: User,
    judge: User,
    gt_focal_point: User,
    gt_prosecutor: User,
) -> None:
    request = sent_request(net, prosecutor)
    outgoing, incoming = copies(request)
    assert list(selectors.requests_visible_to(prosecutor)) == [outgoing]
    assert list(selectors.requests_visible_to(focal_point)) == [outgoing]  # the SV desk sees the office's
    assert not selectors.requests_visible_to(colleague).exists()
    assert not selectors.requests_visible_to(judge).exists()
    assert list(selectors.requests_visible_to(gt_focal_point)) == [incoming]
    assert not selectors.requests_visible_to(gt_prosecutor).exists()  # not yet assigned to them
    with pytest.raises(NotFound):
        selectors.request_for(gt_focal_point, outgoing.pk)  # SV's copy, whatever the id
    with pytest.raises(NotFound):
        selectors.request_for(colleague, outgoing.pk)
    with net.as_node("GT-MP"):
        requests.assign(by=gt_focal_point, request=incoming, expected_version=incoming.version, to=gt_prosecutor)
    assert selectors.request_for(gt_prosecutor, incoming.pk) == incoming


def test_the_desk_sorts_incoming_requests_by_what_needs_doing(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
    gt_prosecutor: User,
) -> None:
    urgent = sent_request(net, prosecutor, urgency="urgent", subject="Urgente")
    normal = sent_request(net, prosecutor, urgency="normal", subject="Normal")
    _, urgent_in = copies(urgent)
    with net.as_node("GT-MP"):
        requests.acknowledge(by=gt_focal_point, request=urgent_in, expected_version=urgent_in.version)
    now = timezone.now()
    desk = selectors.desk(gt_focal_point, now=now)
    assert [r.subject for r in desk.to_triage] == ["Normal"]
    assert desk.by_counterpart == [("SV-FGR", 2)]
    later = selectors.desk(gt_focal_point, now=now + timedelta(hours=7))
    assert [r.subject for r in later.due_soon] == ["Urgente"]
    overdue = selectors.desk(gt_focal_point, now=now + timedelta(hours=9))
    assert [r.subject for r in overdue.overdue] == ["Urgente"]
    assert copies(normal)[1] not in overdue.overdue


def test_an_overdue_request_is_reminded_then_escalated_once(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
    gt_prosecutor: User,
) -> None:
    request = sent_request(net, prosecutor, urgency="urgent")
    _, incoming = copies(request)
    with net.as_node("GT-MP"):
        requests.assign(by=gt_focal_point, request=incoming, expected_version=incoming.version, to=gt_prosecutor)
    start = timezone.now()
    assert deadlines.check_deadlines(now=start) == deadlines.Checked(reminded=0, escalated=0)
    with time_machine.travel(start + timedelta(hours=7)), django_capture_on_commit():
        assert deadlines.check_deadlines(now=start + timedelta(hours=7)) == deadlines.Checked(1, 0)
        assert deadlines.check_deadlines(now=start + timedelta(hours=7, minutes=5)) == deadlines.Checked(0, 0)
    assert [m.to for m in mail.outbox] == [["fiscal@gt.example"]]
    with django_capture_on_commit():
        assert deadlines.check_deadlines(now=start + timedelta(hours=9)) == deadlines.Checked(0, 1)
        assert deadlines.check_deadlines(now=start + timedelta(days=2)) == deadlines.Checked(0, 0)
    assert sorted(m.to[0] for m in mail.outbox[1:]) == ["enlace@gt.example", "fiscal@gt.example"]
    steps = list(copies(request)[1].events.values_list("step", flat=True))
    assert steps.count("due_soon") == 1
    assert steps.count("escalation") == 1
    # The requester's copy is not escalated here: its office may send a reminder instead.
    assert copies(request)[0].escalated_at is None
    assert InformationRequest.objects.get(pk=incoming.pk).side == Side.INCOMING
    # In the app too: the reminder for the assignee, the escalation for the focal point and the assignee.
    told = sorted(Notification.objects.filter(kind__startswith="request.d").values_list("user__username", "kind"))
    assert told == [("gt.fiscal", "request.due_soon")]
    overdue = sorted(Notification.objects.filter(kind="request.overdue").values_list("user__username", flat=True))
    assert overdue == sorted([gt_focal_point.username, gt_prosecutor.username])
    # The desk keeps an escalated request with the overdue ones whatever the time it is read.
    desk = selectors.desk(gt_focal_point, now=start)
    assert [r.pk for r in desk.overdue] == [incoming.pk]
    assert desk.due_soon == []


def django_capture_on_commit():  # type: ignore[no-untyped-def]
    """Run on_commit callbacks at once (the test runs inside a transaction that never commits)."""
    from unittest import mock

    from django.db import transaction

    return mock.patch.object(transaction, "on_commit", lambda callback, *args, **kwargs: callback())


def test_the_deadlines_command_reports_what_it_did(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    from io import StringIO

    from django.core.management import call_command

    sent_request(net, prosecutor, urgency="urgent")
    out = StringIO()
    with time_machine.travel(timezone.now() + timedelta(hours=9)), django_capture_on_commit():
        call_command("exchanges", "deadlines", stdout=out)
    assert out.getvalue().strip() == "0 reminded, 1 escalated"
    assert [m.to for m in mail.outbox] == [["enlace@gt.example"]]


def test_the_deadlines_command_can_rehearse_a_later_time_and_refuses_a_bad_one(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    sent_request(net, prosecutor, urgency="urgent")
    later = (timezone.now() + timedelta(hours=9)).isoformat()
    out = StringIO()
    with django_capture_on_commit():
        call_command("exchanges", "deadlines", "--at", later, stdout=out)
    assert out.getvalue().strip() == "0 reminded, 1 escalated"
    for bad in ("mañana", "2026-12-01T09:00:00"):
        with pytest.raises(CommandError):
            call_command("exchanges", "deadlines", "--at", bad)
