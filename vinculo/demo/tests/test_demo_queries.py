"""The demo's hit/no-hit queries: asked through the real service and envelopes, asked again only of the
offices that refused for the network key, stopped by the time bound, and the hits left pending."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.cases.models import Case
from vinculo.cases.tests.factories import open_case
from vinculo.demo import queries as demo
from vinculo.demo.cases import seed_cases
from vinculo.matching.models import Hit, Query
from vinculo.matching.services import index, keys
from vinculo.matching.services.queries import Asked
from vinculo.matching.tests.conftest import (  # noqa: F401 - the fixtures
    _note_system_senders,
    deliver_all,
    gt_case,
    gt_prosecutor,
    match_key,
    mnet,
)
from vinculo.messaging import network
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

MEMBERS = ["GT-MP", "HN-MP"]


class Network:
    """The other offices' delivery workers, run whenever the demo waits; HN gets the key when told."""

    def __init__(self, fake: FakeNetwork, monkeypatch: pytest.MonkeyPatch, *, hn_key_at: float | None) -> None:
        self.net, self.now, self.hn_key_at = fake, 0.0, hn_key_at
        real = keys.active_key

        def active_key() -> tuple[str, bytes] | None:
            if network.node_id() == "HN-MP" and (self.hn_key_at is None or self.now < self.hn_key_at):
                return None  # the key has not reached HN yet
            return real()

        monkeypatch.setattr(keys, "active_key", active_key)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        deliver_all(self.net)


@pytest.fixture
def asks(prosecutor: User, gt_case: Case) -> list[demo.DemoAsk]:  # noqa: F811
    """A suspect GT holds, a person nobody holds, and his phone number, for one of SV's cases."""
    case = open_case(prosecutor, "FGR-2026-0101")
    suspect = Asked(kind="person", given_names="Jose Manuel", first_surname="Hernandez", second_surname="Lopez",
                    birth_date="1988", sex="M")  # fmt: skip
    return [
        demo.DemoAsk("the suspect", suspect, "investigation", case),
        demo.DemoAsk("nobody", demo.ABSENT[0], "investigation", case),
        demo.DemoAsk("the phone", Asked(kind="phone", phone="+502 5512 3456"), "investigation", case),
    ]


def recipients_of_each_query() -> list[list[str]]:
    return [
        sorted(query.recipients.values_list("member", flat=True)) for query in Query.objects.order_by("asked_at", "pk")
    ]


def test_offices_that_refuse_for_the_key_are_asked_again_alone_until_they_answer(
    mnet: FakeNetwork,  # noqa: F811
    prosecutor: User,
    asks: list[demo.DemoAsk],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    network_ = Network(mnet, monkeypatch, hn_key_at=6.0)
    said: list[str] = []
    with mnet.as_node("SV-FGR"):
        outcome = demo.ask_until_answered(
            by=prosecutor, asks=asks, members=MEMBERS, wait_seconds=120, sleep=network_.sleep,
            clock=network_.clock, say=said.append,
        )  # fmt: skip
    assert outcome.is_complete, outcome
    # GT answers the first round; HN refuses it for the key, is asked one query once it may hold the key,
    # and the other two once it answered that one.
    assert recipients_of_each_query() == [MEMBERS, MEMBERS, MEMBERS, ["HN-MP"], ["HN-MP"], ["HN-MP"]]
    assert outcome.sent == 6
    assert outcome.decisions == {"hit": 2, "no-hit": 4}
    assert "asked HN-MP again about the suspect" in said
    # The hits wait at GT for its focal point.
    assert list(Hit.objects.values_list("state", "incoming__member")) == [("pending", "SV-FGR")] * 2


def test_the_demo_stops_by_itself_when_an_office_never_gets_the_key(
    mnet: FakeNetwork,  # noqa: F811
    prosecutor: User,
    asks: list[demo.DemoAsk],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    network_ = Network(mnet, monkeypatch, hn_key_at=None)
    with mnet.as_node("SV-FGR"):
        outcome = demo.ask_until_answered(
            by=prosecutor, asks=asks, members=MEMBERS, wait_seconds=30, sleep=network_.sleep, clock=network_.clock
        )
    assert not outcome.is_complete
    assert outcome.stopped.startswith("HN-MP gave no answer other than a refusal for the network key within 30 s")
    assert outcome.waiting == ["the suspect: HN-MP", "nobody: HN-MP", "the phone: HN-MP"]
    assert network_.now <= 32
    # Only HN is asked again, one query at a time (a probe every few seconds), well inside the quotas.
    again = recipients_of_each_query()[3:]
    assert again
    assert all(members == ["HN-MP"] for members in again)
    assert outcome.sent == 3 + len(again) <= 3 + 30 / demo.RETRY_SECONDS + 1
    assert outcome.decisions == {"hit": 2, "no-hit": 1}


def test_the_demo_asks_no_more_than_half_of_what_the_quotas_leave(
    mnet: FakeNetwork,  # noqa: F811
    prosecutor: User,
    asks: list[demo.DemoAsk],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.MATCH_QUERIES_PER_USER_HOUR = 4  # half of it: two queries for the demo
    network_ = Network(mnet, monkeypatch, hn_key_at=None)
    with mnet.as_node("SV-FGR"):
        outcome = demo.ask_until_answered(
            by=prosecutor, asks=asks, members=MEMBERS, wait_seconds=60, sleep=network_.sleep, clock=network_.clock
        )
    assert Query.objects.count() == outcome.sent == 2
    assert "used up" in outcome.stopped


def test_the_command_says_what_was_not_answered_and_fails(
    mnet: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_case: Case,  # noqa: F811
    settings: Any,
) -> None:
    settings.DEMO_MODE = True
    open_case(prosecutor, "FGR-2026-0101")
    with mnet.as_node("SV-FGR"), pytest.raises(CommandError) as stopped:
        call_command("demo_queries", wait=0, stdout=StringIO())
    assert "SV-FGR: 0 queries sent" in str(stopped.value)
    assert "Stopped: GT-MP, HN-MP gave no answer" in str(stopped.value)
    settings.DEMO_MODE = False
    with pytest.raises(CommandError, match="only runs on a demo node"):
        call_command("demo_queries")


def team_of(office_code: str) -> tuple[User, dict[str, User]]:
    lead = UserFactory(office_code=office_code, roles=[Role.PROSECUTOR])
    team = {
        role: UserFactory(office_code=office_code, roles=[value])
        for role, value in (("investigator", Role.INVESTIGATOR), ("victim_care", Role.VICTIM_CARE),
                            ("judge", Role.JUDGE))
    }  # fmt: skip
    return lead, team


def test_the_planted_travellers_hit_where_the_demo_planted_them(
    mnet: FakeNetwork,  # noqa: F811
    prosecutor: User,
    match_key: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # SV's first ten cases hold two travellers, victims both: GT's third case holds one, HN's the other.
    seed_cases(lead=prosecutor, team=team_of("SV-FGR")[1], count=10, node_id="SV-FGR")
    for office in ("GT-MP", "HN-MP"):
        lead, team = team_of(office)
        seed_cases(lead=lead, team=team, count=3, node_id=office)
        index.refresh(office_id=lead.office_id)
    with mnet.as_node("SV-FGR"):
        asks = demo.planned_asks(by=prosecutor, within=10)
        assert [ask.purpose for ask in asks] == ["victim_whereabouts"] * 2 + ["investigation"] * 3
        assert [ask.asked.kind for ask in asks] == ["person"] * 4 + ["phone"]
        network_ = Network(mnet, monkeypatch, hn_key_at=0)
        outcome = demo.ask_until_answered(
            by=prosecutor, asks=asks, members=MEMBERS, wait_seconds=60, sleep=network_.sleep, clock=network_.clock
        )
    assert outcome.is_complete, outcome
    assert outcome.sent == 5
    assert outcome.decisions["no-hit"] == 8
    assert outcome.decisions["hit"] + outcome.decisions["possible"] == 2
    held = sorted(Hit.objects.filter(state="pending").values_list("incoming__office__code", flat=True))
    assert held == ["GT-MP", "HN-MP"]
    # Asked once per node: a second run finds the answers and asks nothing.
    assert demo.already_answered(prosecutor)
