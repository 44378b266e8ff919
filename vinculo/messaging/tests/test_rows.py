"""Plain inserts write what the ORM writes, for models without signal receivers."""

from __future__ import annotations

import itertools
import uuid

import pytest
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from vinculo.messaging import rows
from vinculo.messaging.models import InboundMessage, OutboundMessage

pytestmark = pytest.mark.django_db


def _outbound(**changes: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "recipient": "GT-MP", "type": "alert", "conversation": "c-1", "in_reply_to": uuid.UUID(int=7),
        "handling": ["H1", "H2"], "payload": "vault1.x.y", "give_up_at": timezone.now(),
    }  # fmt: skip
    return OutboundMessage(**{**fields, **changes})


def _inbound(**changes: object) -> InboundMessage:
    fields: dict[str, object] = {
        "sender": "GT-MP", "message_id": uuid.uuid4(), "type": "alert", "handling": ["H0"],
        "message_digest": "a" * 64, "envelope_sha256": "b" * 64, "signed": "vault1.s", "payload": "vault1.p",
        "receipt": "token",
    }  # fmt: skip
    return InboundMessage(**{**fields, **changes})


def test_an_inserted_row_reads_back_as_the_orm_would_have_saved_it() -> None:
    now, numbers = timezone.now(), itertools.count(1)
    builds = [
        lambda: _outbound(created_at=now, next_attempt_at=now, give_up_at=now),
        lambda: _inbound(received_at=now, message_id=uuid.UUID(int=next(numbers))),
    ]
    for build in builds:
        plain, orm = build(), build()
        rows.insert(plain)
        orm.save(force_insert=True)
        assert plain.pk is not None
        assert not plain._state.adding
        model = type(plain)
        names = [field.attname for field in model._meta.concrete_fields if not field.primary_key]
        stored, saved = model.objects.get(pk=plain.pk), model.objects.get(pk=orm.pk)
        got = {name: getattr(stored, name) for name in names if name != "message_id"}
        assert got == {name: getattr(saved, name) for name in names if name != "message_id"}


def test_the_messaging_models_written_by_plain_statements_have_no_signal_receivers() -> None:
    for model in (OutboundMessage, InboundMessage):
        for signal in (pre_save, post_save):
            assert not signal.has_listeners(model), f"{signal} has receivers for {model.__name__}: use save()"
