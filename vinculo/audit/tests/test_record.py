"""record(): numbering, links, the head, the request context, and what it refuses."""

from __future__ import annotations

import itertools

import pytest
from django.conf import settings

from vinculo.accounts.models import User
from vinculo.audit import services
from vinculo.audit.chain import GENESIS_HASH, UnhashableData, entry_hash
from vinculo.audit.models import AuditEntry, AuditHead
from vinculo.audit.tests.conftest import write_trail
from vinculo.core.context import RequestContext, bind_request, unbind_request

pytestmark = pytest.mark.django_db


def test_entries_are_numbered_in_order_and_linked() -> None:
    entries = write_trail(4)
    assert [entry.seq for entry in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
    head = AuditHead.objects.get(pk=services.HEAD_PK)
    assert (head.seq, head.entry_hash) == (4, entries[-1].entry_hash)


def test_the_stored_row_hashes_to_its_stored_hash() -> None:
    # Read back from the database (JSON reordered by PostgreSQL's jsonb, times truncated to
    # what the column keeps), the facts must still hash to what was stored.
    services.record(
        action="case.viewed",
        actor=None,
        target=("cases.case", "42"),
        data={"zeta": [1, "dos", None, True], "año": 2026, "big": 10**15, "nested": {"b": 1, "a": "ñ"}},
    )
    stored = AuditEntry.objects.get(seq=1)
    assert entry_hash(stored.facts()) == stored.entry_hash


def test_the_request_id_and_address_come_from_the_request_context() -> None:
    token = bind_request(RequestContext(request_id="req-5f2a9c0de1", client_ip="192.0.2.44"))
    try:
        entry = services.record(action="test.step", actor=None)
    finally:
        unbind_request(token)
    assert (entry.request_id, entry.client_ip) == ("req-5f2a9c0de1", "192.0.2.44")
    assert AuditEntry.objects.get(seq=entry.seq).request_id == "req-5f2a9c0de1"


def test_outside_a_request_there_is_no_request_id() -> None:
    entry = services.record(action="test.step", actor=None)
    assert (entry.request_id, entry.client_ip) == ("", "")


def test_a_person_is_recorded_with_their_username_and_office(prosecutor: User) -> None:
    entry = services.record(action="case.viewed", actor=prosecutor, target=prosecutor)
    assert (entry.actor_id, entry.actor_label, entry.office_code) == (prosecutor.pk, "sv.fiscal", "SV-FGR")
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(prosecutor.pk))


def test_the_system_is_recorded_as_system_of_this_node() -> None:
    entry = services.record(action="test.step", actor=None)
    assert (entry.actor_id, entry.actor_label, entry.office_code) == (None, "system", settings.NODE_ID)


def test_data_with_floats_is_refused_and_nothing_is_written() -> None:
    with pytest.raises(UnhashableData):
        services.record(action="test.step", actor=None, data={"score": 0.5})
    assert not AuditEntry.objects.exists()
    assert AuditHead.objects.get(pk=services.HEAD_PK).seq == 0


def test_a_missing_head_row_is_created_on_the_first_append() -> None:
    AuditHead.objects.all().delete()
    entry = services.record(action="test.step", actor=None)
    assert entry.seq == 1
    assert AuditHead.objects.get(pk=services.HEAD_PK).entry_hash == entry.entry_hash
