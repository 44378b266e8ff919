"""Tampering by someone who can drop the triggers: `vinculo audit verify` must catch each kind.

Each test removes the append-only triggers (the `unguarded` fixture puts them back), changes
the stored trail the way an intruder with the database owner's rights could, and expects
the command to fail naming the first entry that no longer checks out.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import base, call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from vinculo.audit import triggers
from vinculo.audit.chain import EntryFacts, entry_hash
from vinculo.audit.management.commands.audit import Command
from vinculo.audit.models import AuditEntry, AuditHead
from vinculo.audit.services import HEAD_PK
from vinculo.audit.tests.conftest import write_trail

pytestmark = pytest.mark.django_db


def verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def assert_broken_at(seq: int, reason: str) -> None:
    """verify fails naming entry #seq and the reason, and appends nothing to the broken chain."""
    entries_before = AuditEntry.objects.count()
    checks_before = AuditEntry.objects.filter(action="audit.verified").count()
    head_before = AuditHead.objects.filter(pk=HEAD_PK).values_list("seq", "entry_hash").first()
    with pytest.raises(CommandError, match=rf"BROKEN at entry #{seq}: .*{reason}") as caught:
        verify()
    assert re.search(rf"#{seq}\b", str(caught.value))
    assert AuditEntry.objects.count() == entries_before
    assert AuditHead.objects.filter(pk=HEAD_PK).values_list("seq", "entry_hash").first() == head_before
    assert AuditEntry.objects.filter(action="audit.verified").count() == checks_before


def test_an_intact_chain_passes_and_the_check_is_recorded(trail: list[AuditEntry]) -> None:
    output = verify()
    assert output.strip() == f"Audit chain intact: 5 entries, head #5 {trail[-1].entry_hash}"
    check = AuditEntry.objects.get(seq=6)
    assert (check.action, check.actor_id, check.actor_label) == ("audit.verified", None, "system")
    assert check.data == {"entries": 5, "head_seq": 5, "head_hash": trail[-1].entry_hash}
    # The new entry is itself part of the chain the next run checks.
    assert verify().startswith("Audit chain intact: 6 entries, head #6 ")


def test_an_empty_trail_is_intact(db: None) -> None:
    assert verify().startswith("Audit chain intact: 0 entries, head #0 ")


def test_edited_data_is_caught(trail: list[AuditEntry], unguarded: BaseDatabaseWrapper) -> None:
    AuditEntry.objects.filter(seq=3).update(data={"step": 3, "note": "nothing happened here"})
    assert_broken_at(3, "was altered after it was written")


def test_edited_actor_is_caught(trail: list[AuditEntry], unguarded: BaseDatabaseWrapper) -> None:
    AuditEntry.objects.filter(seq=2).update(actor_label="someone.else")
    assert_broken_at(2, "was altered")


def test_edited_and_rehashed_entry_is_caught_by_the_next_link(
    trail: list[AuditEntry], unguarded: BaseDatabaseWrapper
) -> None:
    # A careful intruder recomputes the edited entry's own hash; the next entry still
    # remembers the old one.
    entry = AuditEntry.objects.get(seq=3)
    entry.data = {"step": 3, "note": "rewritten"}
    entry.entry_hash = entry_hash(entry.facts())
    entry.save()
    assert_broken_at(4, "does not follow the entry before it")


def test_deleting_a_middle_entry_is_caught(trail: list[AuditEntry], unguarded: BaseDatabaseWrapper) -> None:
    AuditEntry.objects.filter(seq=3).delete()
    assert_broken_at(3, "is missing")


def test_deleting_the_last_entry_is_caught(trail: list[AuditEntry], unguarded: BaseDatabaseWrapper) -> None:
    AuditEntry.objects.filter(seq=5).delete()
    assert_broken_at(5, "removed from the end")


def test_deleting_the_first_entry_is_caught(trail: list[AuditEntry], unguarded: BaseDatabaseWrapper) -> None:
    AuditEntry.objects.filter(seq=1).delete()
    assert_broken_at(1, "is missing")


def test_deleting_the_last_entries_and_the_head_together_is_caught(
    trail: list[AuditEntry], unguarded: BaseDatabaseWrapper
) -> None:
    AuditEntry.objects.filter(seq__gte=4).delete()
    AuditHead.objects.all().delete()
    assert_broken_at(1, "chain head record is missing")


def _forged_after(previous: AuditEntry, *, seq: int) -> AuditEntry:
    """A row that looks right: correct number, link and hash, but not written by record()."""
    facts = EntryFacts(
        seq=seq,
        at=previous.at,
        actor_id=None,
        actor_label="system",
        office_code=previous.office_code,
        action="test.step",
        target_type="",
        target_id="",
        data={"forged": True},
        request_id="",
        client_ip="",
        prev_hash=previous.entry_hash,
    )
    return AuditEntry.objects.create(
        seq=facts.seq,
        at=facts.at,
        actor_label=facts.actor_label,
        office_code=facts.office_code,
        action=facts.action,
        data=facts.data,
        prev_hash=facts.prev_hash,
        entry_hash=entry_hash(facts),
    )


def test_a_forged_entry_appended_at_the_end_is_caught(trail: list[AuditEntry]) -> None:
    # Inserting needs no dropped trigger: the database lets anyone append. Only the head,
    # which record() moves under its lock, knows the forged row was never written by it.
    _forged_after(AuditEntry.objects.get(seq=5), seq=6)
    assert_broken_at(6, "beyond the chain head")


def test_a_forged_entry_inserted_in_the_middle_is_caught(
    trail: list[AuditEntry], unguarded: BaseDatabaseWrapper
) -> None:
    # Make room at #3 by renumbering #3..#5 as #4..#6 (from the top, to keep numbers unique),
    # then slip in a well-formed row that links to #2.
    for seq in (5, 4, 3):
        AuditEntry.objects.filter(seq=seq).update(seq=seq + 1)
    _forged_after(AuditEntry.objects.get(seq=2), seq=3)
    assert_broken_at(4, "does not follow the entry before it")


def test_a_forged_entry_with_a_moved_head_is_caught(trail: list[AuditEntry], unguarded: BaseDatabaseWrapper) -> None:
    for seq in (5, 4, 3):
        AuditEntry.objects.filter(seq=seq).update(seq=seq + 1)
    forged = _forged_after(AuditEntry.objects.get(seq=2), seq=3)
    AuditHead.objects.filter(pk=HEAD_PK).update(seq=6)
    assert forged.seq == 3
    assert_broken_at(4, "does not follow the entry before it")


def test_swapping_two_entries_is_caught(trail: list[AuditEntry], unguarded: BaseDatabaseWrapper) -> None:
    # Exchange the numbers of #2 and #3 (through a free number, as seq is unique).
    AuditEntry.objects.filter(seq=2).update(seq=1000)
    AuditEntry.objects.filter(seq=3).update(seq=2)
    AuditEntry.objects.filter(seq=1000).update(seq=3)
    assert_broken_at(2, "does not follow the entry before it")


def test_swapping_the_contents_of_two_entries_is_caught(
    trail: list[AuditEntry], unguarded: BaseDatabaseWrapper
) -> None:
    # Keep the numbers, exchange everything else (hashes included) between #3 and #4.
    third, fourth = AuditEntry.objects.get(seq=3), AuditEntry.objects.get(seq=4)
    fields = ["at", "action", "data", "prev_hash", "entry_hash"]
    AuditEntry.objects.filter(seq=4).update(entry_hash="swap-in-progress")
    AuditEntry.objects.filter(seq=3).update(**{field: getattr(fourth, field) for field in fields})
    AuditEntry.objects.filter(seq=4).update(**{field: getattr(third, field) for field in fields})
    assert_broken_at(3, "does not follow the entry before it")


def test_moving_an_entry_in_time_is_caught(trail: list[AuditEntry], unguarded: BaseDatabaseWrapper) -> None:
    earlier = AuditEntry.objects.get(seq=1).at
    AuditEntry.objects.filter(seq=4).update(at=earlier)
    assert_broken_at(4, "was altered")


def test_a_break_is_caught_however_long_the_trail(unguarded: BaseDatabaseWrapper) -> None:
    write_trail(2500)  # more than one chunk of the streamed read
    AuditEntry.objects.filter(seq=2301).update(target_id="changed")
    assert_broken_at(2301, "was altered")


def test_the_command_line_exits_non_zero_on_a_broken_chain(
    trail: list[AuditEntry],
    unguarded: BaseDatabaseWrapper,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:

    AuditEntry.objects.filter(seq=3).update(action="test.rewritten")
    # run_from_argv closes every connection when it ends, which would end the test's transaction.
    monkeypatch.setattr(base.connections, "close_all", lambda: None)
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["vinculo", "audit", "verify"])
    assert exited.value.code == 1
    assert "BROKEN at entry #3" in capsys.readouterr().err


def test_the_triggers_are_back_after_tampering(unguarded: BaseDatabaseWrapper) -> None:
    assert connection.vendor in {"sqlite", "postgresql"}
    triggers.install(connection)  # what the fixture does on the way out; installing twice is harmless
    write_trail(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(action="x")


# available_apps: the flush that ends a transactional test then empties only the audit
# tables, leaving the offices that migrations put in place for the tests that run after.
@pytest.mark.django_db(transaction=True, available_apps=["vinculo.audit"])
def test_a_committed_trail_is_checked_outside_any_transaction() -> None:
    # The path production takes: every append committed, the walk in autocommit mode (a
    # held server-side cursor on PostgreSQL), the triggers dropped and restored for real.
    write_trail(3)
    assert verify().startswith("Audit chain intact: 3 entries, head #3 ")
    triggers.remove(connection)
    try:
        AuditEntry.objects.filter(seq=2).update(action="test.rewritten")
    finally:
        triggers.install(connection)
    assert_broken_at(2, "was altered")
    with pytest.raises(DatabaseError, match="append-only"):
        AuditEntry.objects.filter(seq=2).update(action="test.step")
