"""The demo offices' exchanges: made through the services, delivered by the worker, seeded once."""

from __future__ import annotations

import pytest

from vinculo.accounts.models import User
from vinculo.demo.exchanges import seed_exchanges
from vinculo.exchanges.lifecycle import Side, State
from vinculo.exchanges.models import Broadcast, InformationRequest, JointTeam
from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture
from vinculo.messaging.tests.test_attachments import FakeTransport, transport  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


def test_each_office_seeds_its_plan_once_and_the_others_receive_it(
    net: FakeNetwork,  # noqa: F811
    transport: FakeTransport,  # noqa: F811
    prosecutor: User,
) -> None:
    with net.as_node("SV-FGR"):
        made = seed_exchanges(node_id="SV-FGR", prosecutor=prosecutor)
        assert made == 5
        assert seed_exchanges(node_id="SV-FGR", prosecutor=prosecutor) == 0
    deliver_everywhere(net)
    sent = InformationRequest.objects.filter(side=Side.OUTGOING)
    assert sorted(sent.values_list("state", flat=True)) == [State.DELIVERED, State.DELIVERED, State.DRAFT]
    received = InformationRequest.objects.filter(side=Side.INCOMING)
    assert sorted(received.values_list("office__code", flat=True)) == ["GT-MP", "GT-MP"]
    assert Broadcast.objects.filter(side=Side.INCOMING).count() == 2
    items = JointTeam.objects.get(office__code="GT-MP").items.order_by("at")
    assert [item.kind for item in items] == ["post", "post", "task", "document"]
    assert items.last().attachment is not None  # the work plan's file arrived and was verified
