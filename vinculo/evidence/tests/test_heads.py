"""Signed heads: this node's, checkpointing the audit trail first, and the heads its peers send."""

from __future__ import annotations

import pytest

from vinculo.audit import services as audit
from vinculo.evidence import services
from vinculo.evidence.chain import AUDIT_CHECKPOINT, HEAD_DOCUMENT_KIND, HEAD_RECEIVED, HEAD_SIGNED, Head
from vinculo.evidence.models import EvidenceEntry
from vinculo.evidence.tests.conftest import write_log
from vinculo.federation.envelope import SigningKey, sha256_of, sign_document, verify_document
from vinculo.federation.wire import EnvelopeRefused

pytestmark = pytest.mark.django_db

GT = "GT-MP"


def head_of(entry: EvidenceEntry, key: SigningKey) -> dict[str, object]:
    return verify_document(entry.facts["token"], key.verify_key, kind=HEAD_DOCUMENT_KIND)


def test_a_signed_head_names_the_entry_before_it_and_is_signed_with_the_node_key(
    node_key: SigningKey, node_id: str
) -> None:
    write_log(2)
    audit.record(action="test.step", actor=None)

    entry = services.sign_head()

    checkpoint = EvidenceEntry.objects.get(seq=entry.seq - 1)
    assert checkpoint.kind == AUDIT_CHECKPOINT
    assert checkpoint.facts["audit_seq"] == 1
    claims = head_of(entry, node_key)
    assert claims["node"] == node_id
    assert (claims["seq"], claims["entry_hash"]) == (checkpoint.seq, checkpoint.entry_hash)
    assert entry.kind == HEAD_SIGNED
    assert entry.facts["jwk"] == node_key.public_jwk()
    assert entry.sha256 == sha256_of(entry.facts["token"].encode("ascii"))
    assert services.latest_signed_head() == entry.facts["token"]


def test_signing_again_with_nothing_new_writes_nothing(node_key: SigningKey) -> None:
    write_log(1)
    first = services.sign_head()
    assert services.sign_head() == first
    assert EvidenceEntry.objects.count() == first.seq
    forced = services.sign_head(force=True)
    assert forced.seq == first.seq + 1
    assert head_of(forced, node_key)["seq"] == first.seq


def test_a_new_audit_entry_is_checkpointed_at_the_next_signing(node_key: SigningKey) -> None:
    audit.record(action="test.step", actor=None)
    first = services.sign_head()
    audit.record(action="test.step", actor=None)
    second = services.sign_head()
    checkpoints = list(EvidenceEntry.objects.filter(kind=AUDIT_CHECKPOINT).order_by("seq"))
    assert [checkpoint.facts["audit_seq"] for checkpoint in checkpoints] == [1, 2]
    assert second.seq == first.seq + 2


def test_a_rotated_key_signs_a_new_head_even_with_nothing_new(node_key: SigningKey) -> None:
    first = services.sign_head()
    rotated = SigningKey.generate()
    second = services.sign_head(signing_key=rotated)
    assert second.seq == first.seq + 1
    assert head_of(second, rotated)["seq"] == first.seq


def test_without_node_keys_signing_says_how_to_create_them() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="vinculo keys init"):
        services.sign_head()
    assert not EvidenceEntry.objects.exists()


# --- heads received from peers ------------------------------------------------------------------


def peer_head(key: SigningKey, *, node: str = GT, seq: int = 41, digest: str = "b" * 64) -> str:
    return sign_document(
        Head(node=node, seq=seq, entry_hash=digest, signed_at=1767225600).claims(), key, kind="evidence-head"
    )


def test_a_peer_head_is_verified_and_kept() -> None:
    gt = SigningKey.generate()
    token = peer_head(gt)

    entry = services.record_peer_head(token, GT, verify_key=gt.verify_key)

    assert (entry.kind, entry.peer, entry.sha256) == (HEAD_RECEIVED, GT, sha256_of(token.encode("ascii")))
    assert entry.facts == {"token": token, "seq": 41, "entry_hash": "b" * 64, "signed_at": 1767225600}
    assert services.record_peer_head(token, GT, verify_key=gt.verify_key) == entry
    assert EvidenceEntry.objects.count() == 1


def test_the_peer_key_comes_from_the_directory_in_force(monkeypatch: pytest.MonkeyPatch) -> None:
    gt = SigningKey.generate()

    class Member:
        def verify_key(self, kid: str) -> object:
            return gt.verify_key if kid == gt.thumbprint() else None

    class Directory:
        def member(self, member_id: str) -> Member | None:
            return Member() if member_id == GT else None

    monkeypatch.setattr("vinculo.federation.directory.in_force", lambda: Directory())
    assert services.record_peer_head(peer_head(gt), GT).peer == GT
    with pytest.raises(EnvelopeRefused) as refused:
        services.record_peer_head(peer_head(SigningKey.generate()), GT)
    assert refused.value.code == "unknown_sender"
    assert EvidenceEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda gt, other: peer_head(other), "bad_signature"),
        (lambda gt, other: peer_head(gt, node="HN-MP"), "malformed"),
        (lambda gt, other: sign_document({"node": GT, "seq": 1}, gt, kind="evidence-head"), "malformed"),
        (lambda gt, other: sign_document(Head(GT, 1, "c" * 64, 0).claims(), gt, kind="directory"), "malformed"),
        (lambda gt, other: peer_head(gt)[:-4] + "AAAA", "bad_signature"),
    ],
)
def test_a_bad_peer_head_is_refused_and_stores_nothing(make_token: object, code: str) -> None:
    gt, other = SigningKey.generate(), SigningKey.generate()
    with pytest.raises(EnvelopeRefused) as refused:
        services.record_peer_head(make_token(gt, other), GT, verify_key=gt.verify_key)  # type: ignore[operator]
    assert refused.value.code == code
    assert not EvidenceEntry.objects.exists()


def test_two_heads_for_one_number_with_different_hashes_are_kept_and_flagged() -> None:
    gt = SigningKey.generate()
    first = services.record_peer_head(peer_head(gt, seq=41, digest="b" * 64), GT, verify_key=gt.verify_key)
    services.record_peer_head(peer_head(gt, seq=42, digest="c" * 64), GT, verify_key=gt.verify_key)

    rewritten = services.record_peer_head(peer_head(gt, seq=41, digest="d" * 64), GT, verify_key=gt.verify_key)

    assert rewritten.facts["conflicts_with"] == first.seq
    assert "conflicts_with" not in first.facts
