"""Three offices in one process (SV asks, GT and HN answer), with the network match key and GT's index."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.cases.models import Case, CaseParty
from vinculo.cases.services import parties
from vinculo.cases.tests.factories import code, open_case
from vinculo.federation.directory_format import Member
from vinculo.matching import engine
from vinculo.matching.services import index, keys
from vinculo.messaging import handlers, network
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.services import outbox
from vinculo.messaging.tests.conftest import FakeNetwork, Node, net  # noqa: F401 - the fixture

HUB = "CCCMP-HUB"


@pytest.fixture
def mnet(net: FakeNetwork, monkeypatch: pytest.MonkeyPatch) -> FakeNetwork:  # noqa: F811
    """The fake network, with its member list and a hub id for the matching module."""
    net.nodes[HUB] = Node(HUB)

    def members() -> list[Member]:
        return [
            dataclasses.replace(node.member(), roles=("hub",)) if node.id == HUB else node.member()
            for node in net.nodes.values()
        ]

    def peer(member_id: str) -> Member | None:
        found = net.peer(member_id)
        return dataclasses.replace(found, roles=("hub",)) if found is not None and member_id == HUB else found

    monkeypatch.setattr(network, "members", members)
    monkeypatch.setattr(network, "peer", peer)
    monkeypatch.setattr(network, "hub_id", lambda: HUB)
    engine.forget()
    return net


def deliver_all(net: FakeNetwork) -> None:  # noqa: F811
    """Every office's worker runs until nothing is due; each message is handled by its recipient."""
    # The offices share the inbox table here: each message is handled by its recipient as soon as
    # it is delivered, before the next one arrives.
    for _round in range(6):
        busy = False
        for message_id in outbox.claim_due("test-worker", limit=200):
            message = OutboundMessage.objects.select_related("sent_by__office").get(id=message_id)
            sender = message.sent_by.office.code if message.sent_by else _sender_of(message)
            with net.as_node(sender):
                outbox.deliver(message_id, "test-worker", post=net.post_to_inbox)
            with net.as_node(message.recipient):
                handlers.process_pending(sender=sender)
            busy = True
        if not busy:
            return


_SYSTEM_SENDERS: dict[str, str] = {}


def _sender_of(message: OutboundMessage) -> str:
    """Messages a handler sends (answers) have no person behind them: the test notes who sent them."""
    return _SYSTEM_SENDERS[str(message.id)]


@pytest.fixture(autouse=True)
def _note_system_senders(monkeypatch: pytest.MonkeyPatch) -> None:
    real_send = outbox.send

    def send(**kwargs: Any) -> OutboundMessage:
        message = real_send(**kwargs)
        _SYSTEM_SENDERS[str(message.id)] = network.node_id()
        return message

    monkeypatch.setattr(outbox, "send", send)


@pytest.fixture
def gt_prosecutor(db: None) -> User:
    return UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)


@pytest.fixture
def gt_focal_point(db: None) -> User:
    return UserFactory(username="gt.enlace", office_code="GT-MP", roles=[Role.FOCAL_POINT], with_totp=True)


@pytest.fixture
def match_key(db: None) -> str:
    return keys.generate(by=None).fingerprint


def add_person(by: User, case: Case, role: str = "SUSPECT", sex: str = "M", **identity: Any) -> CaseParty:
    return parties.add_party(
        by=by, case=case, role=code("party_role", role), sex=code("sex", sex), identity=parties.Identity(**identity)
    )


@pytest.fixture
def gt_case(gt_prosecutor: User, match_key: str) -> Case:
    """A GT case with a suspect, a victim and a witness, and GT's index refreshed."""
    case = open_case(gt_prosecutor, "MP-2026-0042")
    add_person(
        gt_prosecutor, case, given_names="José Manuel", first_surname="Hernández", second_surname="López",
        birth_date="1988-04-12", phones="+502 5512 3456", document_numbers="Pasaporte G12345678",
        vehicle_plates="GT P-123ABC",
    )  # fmt: skip
    add_person(
        gt_prosecutor, case, role="VICTIM", sex="F", given_names="María Guadalupe", first_surname="Pérez",
        second_surname="Ramírez", birth_date="2004-09-30",
    )  # fmt: skip
    add_person(gt_prosecutor, case, role="WITNESS", given_names="Carlos", first_surname="Mejía", second_surname="Ruiz")
    index.refresh(office_id=gt_prosecutor.office_id)
    return case


OPAQUE = frozenset({"query_id", "asked_at", "bloom", "tokens", "key", "hit_reference", "expires_at", "rows", "upload",
                    "reference", "run_at"})  # fmt: skip


def readable_values(value: object, key: str = "") -> list[str]:
    """Every string or number of a payload outside its opaque members (ids, times, encodings, references),
    whose random characters could spell a date or a number by chance; the receivers' strict readers
    check those members' form."""
    if key in OPAQUE:
        return []
    if isinstance(value, dict):
        return [text for k, v in value.items() for text in readable_values(v, k)]
    if isinstance(value, list):
        return [text for item in value for text in readable_values(item, key)]
    return [str(value)]
