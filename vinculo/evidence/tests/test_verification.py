"""Verifying the stored log: the rows, the head row, the signed heads and the audit checkpoints."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import translation

from vinculo.accounts.models import User
from vinculo.audit import services as audit
from vinculo.audit import triggers as audit_triggers
from vinculo.audit.models import AuditEntry
from vinculo.core.errors import AccessDenied
from vinculo.evidence import services, verification
from vinculo.evidence.models import EvidenceEntry
from vinculo.evidence.tests.conftest import write_log
from vinculo.federation.envelope import SigningKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_log(node_key: SigningKey) -> list[EvidenceEntry]:
    """#1-#4 two exchanges, #5 an audit checkpoint, #6 a signed head, #7-#10 more."""
    entries = write_log(1)
    audit.record(action="test.step", actor=None)
    entries.append(services.sign_head())
    return entries + write_log(1)


def verified() -> AuditEntry | None:
    return AuditEntry.objects.filter(action="evidence.verified").first()


def test_an_intact_log_is_verified_and_the_verification_audited(signed_log: list[EvidenceEntry]) -> None:
    verdict = services.verify_log(actor=None)
    assert verdict.is_intact, verdict.reason
    assert (verdict.checked, verdict.signed_seq) == (10, 5)
    entry = verified()
    assert entry is not None
    assert entry.data == {"entries": 10, "head_hash": signed_log[-1].entry_hash, "signed_seq": 5}


@pytest.mark.parametrize(
    ("tamper", "code", "seq"),
    [
        ("UPDATE evidence_evidenceentry SET peer = 'HN-MP' WHERE seq = 1", "edited", 1),
        ("DELETE FROM evidence_evidenceentry WHERE seq = 2", "missing", 2),
        ("DELETE FROM evidence_evidenceentry WHERE seq >= 9", "truncated", 9),
        ("UPDATE evidence_evidenceentry SET seq = 99 WHERE seq = 4", "missing", 4),
        ("UPDATE evidence_evidencehead SET entry_hash = 'e'", "head_row", 10),
    ],
)
def test_a_tampered_log_is_named_and_nothing_is_audited(
    signed_log: list[EvidenceEntry], unguarded: BaseDatabaseWrapper, tamper: str, code: str, seq: int
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(tamper)
    verdict = services.verify_log(actor=None)
    assert (verdict.is_intact, verdict.code, verdict.first_bad_seq) == (False, code, seq)
    assert verified() is None


def test_two_entries_that_trade_places_are_named_as_moved(
    signed_log: list[EvidenceEntry], unguarded: BaseDatabaseWrapper
) -> None:
    with connection.cursor() as cursor:
        for statement in (
            "UPDATE evidence_evidenceentry SET seq = 1000 WHERE seq = 2",
            "UPDATE evidence_evidenceentry SET seq = 2 WHERE seq = 3",
            "UPDATE evidence_evidenceentry SET seq = 3 WHERE seq = 1000",
        ):
            cursor.execute(statement)
    verdict = services.verify_log(actor=None)
    assert (verdict.code, verdict.first_bad_seq) == ("reordered", 2)
    assert verdict.reason == "entry #2: is out of order: its place holds entry #3; it was moved"
    assert verified() is None


def test_an_entry_written_around_the_service_is_beyond_the_head(signed_log: list[EvidenceEntry]) -> None:
    last = signed_log[-1]
    EvidenceEntry.objects.create(
        seq=11, recorded_at=last.recorded_at, kind="envelope_sent", prev_hash=last.entry_hash, entry_hash="f" * 64
    )
    verdict = services.verify_log(actor=None)
    assert (verdict.code, verdict.first_bad_seq) == ("beyond_head", 11)


def test_a_rewritten_audit_trail_no_longer_matches_its_checkpoint(signed_log: list[EvidenceEntry]) -> None:
    audit_triggers.remove(connection)
    try:
        AuditEntry.objects.filter(seq=1).update(entry_hash="a" * 64)
    finally:
        audit_triggers.install(connection)
    verdict = services.verify_log(actor=None)
    assert (verdict.code, verdict.first_bad_seq) == ("audit_mismatch", 5)


def test_a_latest_head_signed_with_another_key_is_caught(signed_log: list[EvidenceEntry]) -> None:
    services.sign_head(signing_key=SigningKey.generate())
    verdict = services.verify_log(actor=None)
    assert (verdict.code, verdict.first_bad_seq) == ("unknown_key", 11)


def test_the_directory_names_the_keys_a_head_may_be_signed_with(
    signed_log: list[EvidenceEntry], monkeypatch: pytest.MonkeyPatch, node_key: SigningKey
) -> None:
    rotated = SigningKey.generate()

    class Key:
        def __init__(self, key: SigningKey) -> None:
            self.kid = key.thumbprint()

    class Member:
        signing_keys = (Key(node_key), Key(rotated))

    class Directory:
        def member(self, member_id: str) -> Member:
            return Member()

    monkeypatch.setattr("vinculo.federation.directory.held_directory", lambda: Directory())
    services.sign_head(signing_key=rotated)
    assert services.verify_log(actor=None).is_intact


def test_without_node_keys_the_chain_is_checked_and_the_key_question_noted(db: None) -> None:
    write_log(1)
    verdict = services.verify_log(actor=None)
    assert verdict.is_intact
    assert "no signing key" in verdict.notes[0]


def test_only_auditors_verify(prosecutor: User, auditor: User) -> None:
    with pytest.raises(AccessDenied):
        services.verify_log(actor=prosecutor)
    assert services.verify_log(actor=auditor).is_intact
    assert verified().actor == auditor  # type: ignore[union-attr]


def test_the_command_verifies_the_stored_log(signed_log: list[EvidenceEntry], unguarded: BaseDatabaseWrapper) -> None:
    output = io.StringIO()
    call_command("evidence", "verify", stdout=output)
    assert output.getvalue().startswith("Evidence log intact: 10 entries")
    EvidenceEntry.objects.filter(seq=7).delete()
    with pytest.raises(CommandError, match="BROKEN at entry #7") as refused:
        call_command("evidence", "verify")
    assert refused.value.returncode == 1


def test_every_break_of_the_stored_log_has_words_for_the_page() -> None:
    from vinculo.evidence.verify import CODES, Verdict

    for code in CODES:
        if code in {"trailer", "directory"}:  # only an exported file has these
            continue
        verdict = Verdict(False, first_bad_seq=7, code=code, reason="entry #7: english")
        with translation.override("en"):
            words = verification.describe(verdict)
        assert words != verdict.reason, code  # the page's own sentence, not the console's
        assert "#7" in words, code
