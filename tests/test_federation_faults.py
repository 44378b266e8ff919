"""Faults of the federation, with real node processes on loopback (tests/federation_harness.py).

Each test gets its own copy of a hub and two offices (GT-MP, SV-FGR) and starts the servers and
delivery workers it needs, then breaks something: a receiver that goes away, a worker killed in
the middle of a delivery, envelopes posted twice, tampered, replayed, misdirected or sent by
someone the directory does not vouch for, a key rotation, a hub that goes away until the
directory expires, an evidence log edited behind the node's back. What each shows is checked in
the nodes' own databases and evidence logs, and over HTTP as a peer sees it.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.federation_harness import GT, HUB, SV, Federation
from vinculo.federation.directory_format import Policy
from vinculo.federation.envelope import EncryptionKey, SigningKey, sha256_of, verify_receipt
from vinculo.federation.jose import b64decode, b64encode, canonical_json

# The nodes keep their own SQLite databases whatever the database under test, so the PostgreSQL
# pass of `make test` would only repeat these; they run in the SQLite pass.
pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="node processes use their own SQLite databases; run in the SQLite pass"
)


def assert_evidence_intact(federation: Federation, *node_ids: str) -> None:
    """`vinculo evidence verify` on each node finds its stored log intact."""
    verified = federation.run_each({node_id: ["evidence", "verify"] for node_id in node_ids})
    for node_id, result in verified.items():
        assert result.stdout.startswith("Evidence log intact"), f"{node_id}: {result.stdout}{result.stderr}"


def test_the_very_same_envelope_posted_twice_gets_the_same_receipt(federation: Federation) -> None:
    federation.start_server(GT)
    federation.start_worker(SV)
    [message_id] = federation.queue_pings(SV, GT, 1)
    federation.wait_for(
        lambda: federation.outbox(SV, [message_id])[message_id]["status"] == "delivered", "the delivery"
    )
    [[envelope, receipt]] = federation.sql(
        SV, "SELECT envelope, receipt FROM messaging_outboundmessage WHERE receipt != ''"
    )
    data = envelope.encode("ascii")
    status, answer = federation.post(GT, data)
    assert status == 200, answer
    assert answer == {"receipt": receipt, "duplicate": True}, "the receipt given the first time, byte for byte"
    proof = verify_receipt(receipt, verify_key=federation.signing_key(GT).verify_key)
    assert (proof.message_id, proof.envelope_sha256) == (message_id, sha256_of(data))
    assert [len(copies) for copies in federation.inbox(GT, SV).values()] == [1], "stored once"
    received = federation.evidence(GT, "envelope_received")
    assert [entry["message_id"] for entry in received] == [message_id], "and logged once"


def test_messages_queued_while_the_receiver_is_down_are_delivered_once_when_it_is_back(
    federation: Federation,
) -> None:
    federation.start_server(GT)
    federation.start_worker(GT)  # hands what GT accepts to its handler
    federation.start_worker(SV)
    federation.stop_server(GT, signum=signal.SIGKILL)
    ids = federation.queue_pings(SV, GT, 8)

    def all_tried() -> bool:
        return all(row["attempts"] >= 1 for row in federation.outbox(SV, ids).values())

    federation.wait_for(all_tried, "SV to try every message while GT is down")
    tried = federation.outbox(SV, ids)
    assert {row["status"] for row in tried.values()} == {"pending"}
    assert all(row["last_error"].startswith("unreachable") for row in tried.values()), tried
    assert not federation.inbox(GT, SV)

    federation.start_server(GT)
    federation.wait_for(
        lambda: {row["status"] for row in federation.outbox(SV, ids).values()} == {"delivered"},
        "every message to be delivered once GT is back",
        timeout=120,  # the retries' delays grow: 2.5 to 5 s, then 5 to 10 s, ...
    )
    received = federation.inbox(GT, SV)
    assert sorted(received) == sorted(ids)
    assert all(len(copies) == 1 for copies in received.values()), "exactly once"
    delivered = federation.outbox(SV, ids)
    assert all(row["attempts"] >= 2 and row["receipt"] == received[i][0]["receipt"] for i, row in delivered.items())
    federation.wait_for(
        lambda: all(copies[0]["processed_at"] for copies in federation.inbox(GT, SV).values()),
        "GT's worker to hand every message on",
    )
    assert sorted(e["message_id"] for e in federation.evidence(GT, "envelope_received")) == sorted(ids)
    assert sorted(e["message_id"] for e in federation.evidence(SV, "receipt_received")) == sorted(ids)
    assert_evidence_intact(federation, GT, SV)


def test_a_worker_killed_in_the_middle_of_a_delivery_loses_and_repeats_nothing(federation: Federation) -> None:
    claim = "5"  # seconds (VINCULO_DELIVERY_CLAIM_SECONDS); 120 by default
    federation.start_server(GT)
    early = federation.queue_pings(SV, GT, 3)
    federation.start_worker(SV, "first", VINCULO_DELIVERY_CLAIM_SECONDS=claim)
    ids = list(early)

    def delivered() -> set[str]:
        return {i for i, row in federation.outbox(SV, ids).items() if row["status"] == "delivered"}

    federation.wait_for(lambda: delivered() == set(early), "the first deliveries")
    # Freeze GT, then queue the rest: the worker takes them at once and its posts hang on GT (a
    # worker this fast would otherwise deliver a whole queue before it could be frozen).
    gt_server = federation.servers[GT]
    federation.freeze(gt_server)
    ids += federation.queue_pings(SV, GT, 50)
    if not federation.eventually(lambda: federation.unread_requests(GT) > 0, timeout=30):
        federation.thaw(gt_server)
        pytest.fail(f"The worker never waited for GT.\n{federation.logs()}")
    assert federation.stop_worker("first", signum=signal.SIGKILL) == -signal.SIGKILL
    federation.thaw(gt_server)
    done = delivered()
    assert 0 < len(done) < len(ids), "killed in the middle of the queue"
    left = federation.outbox(SV, ids)
    claimed = {i: row["claimed_until"] for i, row in left.items() if row["claimed_by"] == "first"}
    assert claimed, "the dead worker left claims behind"
    # GT answers what it had in hand; those receipts, and any not yet recorded, went with the worker.
    lost = federation.wait_for(lambda: set(federation.inbox(GT, SV)) - done, "GT to accept what was in flight")
    assert {left[i]["status"] for i in lost} == {"pending"}

    federation.start_worker(SV, "second", VINCULO_DELIVERY_CLAIM_SECONDS=claim)
    federation.wait_for(lambda: delivered() == set(ids), "the second worker to deliver the rest", timeout=120)
    final = federation.outbox(SV, ids)
    for message_id, until in claimed.items():
        assert final[message_id]["delivered_at"] >= until, f"{message_id} taken before the dead worker's claim expired"
    received = federation.inbox(GT, SV)
    assert sorted(received) == sorted(ids), "none lost"
    assert all(len(copies) == 1 for copies in received.values()), "none stored twice"
    assert all(final[i]["receipt"] == received[i][0]["receipt"] for i in ids), "each proven by GT's one receipt"
    assert sorted(e["message_id"] for e in federation.evidence(GT, "envelope_received")) == sorted(ids)
    assert sorted(e["message_id"] for e in federation.evidence(SV, "receipt_received")) == sorted(ids)
    assert_evidence_intact(federation, GT, SV)


def _flip(data: bytes, position: int) -> bytes:
    """``data`` with one base64url character changed (to another valid one)."""
    changed = bytearray(data)
    changed[position] = ord("B") if changed[position] == ord("A") else ord("A")
    return bytes(changed)


def _with_clear_header(data: bytes, **changes: Any) -> bytes:
    """The envelope with members of its clear (JWE protected) header changed, the rest as sealed."""
    first, rest = data.split(b".", 1)
    header = json.loads(b64decode(first.decode("ascii")))
    return b64encode(canonical_json({**header, **changes})).encode("ascii") + b"." + rest


def test_bad_envelopes_are_refused_over_http_with_their_code_and_logged(federation: Federation) -> None:
    federation.start_servers(HUB, GT)
    replayed_id = str(uuid.uuid4())
    status, _answer = federation.post(GT, federation.envelope(SV, GT, message_id=replayed_id))
    assert status == 200
    sealed = federation.envelope(SV, GT)
    intruder = SigningKey.generate()
    bad = {
        "tampered payload": _flip(sealed, len(sealed) - 40),  # in the ciphertext
        "tampered header": _with_clear_header(
            sealed, iat=json.loads(b64decode(sealed.split(b".")[0].decode()))["iat"] + 1
        ),
        "replayed id, other content": federation.envelope(SV, GT, message_id=replayed_id, payload=b'{"otro": 1}'),
        "for another node": federation.envelope(SV, "HN-MP", recipient_key=EncryptionKey.generate().recipient_key),
        "unknown sender": federation.envelope("PA-MP", GT, signing_key=intruder),
    }
    answers = {case: federation.post(GT, data) for case, data in bad.items()}
    # The hub suspends SV and republishes; GT fetches the new directory from the hub.
    federation.run(HUB, "directory", "member", "suspend", SV, "--reason", "fault test")
    federation.run(HUB, "directory", "publish")
    refreshed = federation.run(GT, "directory", "refresh")
    assert "version 2 accepted" in refreshed.stdout, refreshed.stdout
    bad["suspended sender"] = federation.envelope(SV, GT)
    answers["suspended sender"] = federation.post(GT, bad["suspended sender"])

    expected = {
        "tampered payload": "undecryptable",
        "tampered header": "undecryptable",  # the clear header is the cipher's additional data
        "replayed id, other content": "replay",
        "for another node": "wrong_recipient",
        "unknown sender": "unknown_sender",
        "suspended sender": "suspended_sender",
    }
    assert {case: (status, answer["code"]) for case, (status, answer) in answers.items()} == {
        case: (400, code) for case, code in expected.items()
    }
    refused = {row["sha256"]: row for row in federation.refused(GT)}
    logged = {entry["sha256"]: entry for entry in federation.evidence(GT, "envelope_refused")}
    for case, data in bad.items():
        digest = sha256_of(data)
        assert refused[digest]["code"] == expected[case], case
        assert refused[digest]["remote_address"] == "127.0.0.1", case
        assert logged[digest]["facts"] == {"code": expected[case]}, case
        assert logged[digest]["message_id"] == refused[digest]["claimed_id"], case
    assert refused[sha256_of(bad["replayed id, other content"])]["claimed_id"] == replayed_id
    assert len(refused) == len(logged) == len(bad)
    assert list(federation.inbox(GT, SV)) == [replayed_id], "nothing refused was kept"


def window_for(pace_seconds: float) -> int:
    """Seconds in which a test can run three commands and a few requests, at the pace one process took to start.

    Ten process starts' worth: publishing, two refreshes, stopping the hub, queueing and a delivery
    pass (on a busy machine a process start alone took 3 s, and six of them were too few).
    """
    return int(min(120, max(15, 10 * pace_seconds)))


def _statuses(answers: dict[str, tuple[int, dict[str, Any]]]) -> dict[str, tuple[int, str]]:
    return {case: (status, answer.get("code", "accepted")) for case, (status, answer) in answers.items()}


def test_rotated_keys_overlap_across_nodes_and_the_old_ones_are_refused_after_it(federation: Federation) -> None:
    federation.start_servers(HUB, GT, SV)
    shown = json.loads(federation.run(SV, "keys", "show", "--json").stdout)
    old_signing, old_encryption = federation.signing_key(SV), federation.encryption_key(SV).recipient_key
    assert shown["signing_key"]["kid"] == old_signing.thumbprint()
    # What `vinculo keys rotate` does, dated so that the overlap (one day at least, VINCULO_KEY_OVERLAP_DAYS)
    # ends a few seconds from now; then the real commands: the announcement to the hub, which publishes
    # at once, and both offices fetching the new directory: three commands must fit in the window.
    window = window_for(federation.pace_seconds)
    rotated_at = int(time.time()) - 24 * 3600 + window
    code = (
        "from vinculo.federation.services.keys import rotate_node_keys\n"
        f"print(rotate_node_keys(now={rotated_at}).rotation.not_after)\n"
    )
    overlap_ends = int(federation.shell(SV, code, env={"VINCULO_KEY_OVERLAP_DAYS": "1"}))
    announced = federation.run(SV, "keys", "announce")
    assert "directory version 2" in announced.stdout, announced.stdout
    federation.run_each({GT: ["directory", "refresh"], SV: ["directory", "refresh"]})
    new_signing = federation.signing_key(SV)
    assert new_signing.thumbprint() != old_signing.thumbprint()

    during = {
        "signed with the old key": federation.post(GT, federation.envelope(SV, GT, signing_key=old_signing)),
        "signed with the new key": federation.post(GT, federation.envelope(SV, GT)),
        "sealed to the old key": federation.post(SV, federation.envelope(GT, SV, recipient_key=old_encryption)),
        "sealed to the new key": federation.post(SV, federation.envelope(GT, SV)),
    }
    assert time.time() <= overlap_ends, (
        "the overlap ended before the checks ran: the machine is busier than window_for allows"
    )
    assert set(_statuses(during).values()) == {(200, "accepted")}, during
    receipt = during["sealed to the old key"][1]["receipt"]
    assert verify_receipt(receipt, verify_key=new_signing.verify_key).receiver == SV, "SV signs with its new key"

    federation.sleep_until(overlap_ends + 1)
    pruned = federation.run(SV, "keys", "prune")
    assert pruned.stdout.count("Removed previous") == 2, pruned.stdout
    after = {
        "signed with the old key": federation.post(GT, federation.envelope(SV, GT, signing_key=old_signing)),
        "signed with the new key": federation.post(GT, federation.envelope(SV, GT)),
        "sealed to the old key": federation.post(SV, federation.envelope(GT, SV, recipient_key=old_encryption)),
        "sealed to the new key": federation.post(SV, federation.envelope(GT, SV)),
    }
    assert _statuses(after) == {
        "signed with the old key": (400, "unknown_sender"),
        "signed with the new key": (200, "accepted"),
        "sealed to the old key": (400, "wrong_recipient"),
        "sealed to the new key": (200, "accepted"),
    }
    assert_evidence_intact(federation, SV)  # its directory lists the old key and the new one


def test_offices_exchange_while_the_hub_is_down_until_their_directory_expires(
    federation: Federation, tmp_path: Path
) -> None:
    federation.start_servers(HUB, GT)
    federation.start_worker(SV)
    # Publishing, fetching and a delivery must fit in the directory's validity, at this machine's pace.
    policy = replace(Policy.default(), directory_validity_seconds=window_for(federation.pace_seconds))
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(policy.to_json()), encoding="utf-8")
    federation.run(HUB, "directory", "policy", "set", str(policy_file))
    federation.run(HUB, "directory", "publish")
    federation.run_each({GT: ["directory", "refresh"], SV: ["directory", "refresh"]})
    [[expires_at]] = federation.sql(
        GT, "SELECT expires_at FROM federation_signeddirectory ORDER BY version DESC LIMIT 1"
    )
    expiry = datetime.fromisoformat(expires_at).replace(tzinfo=UTC).timestamp()
    federation.stop_server(HUB)

    queued = federation.run(SV, "messaging", "ping", GT)
    message_id = queued.stdout.split()[1]
    federation.wait_for(
        lambda: federation.outbox(SV, [message_id])[message_id]["status"] == "delivered", "a delivery without the hub"
    )
    assert time.time() < expiry, (
        "the directory expired before the delivery: the machine is busier than window_for allows"
    )

    federation.sleep_until(expiry + 1)
    reason = "directory_expired: directory version 2 expired at "
    not_sent = federation.run(SV, "messaging", "ping", GT, check=False)
    assert not_sent.returncode == 1
    assert reason in not_sent.stderr, not_sent.stderr  # nothing is queued on an expired directory
    refused = federation.envelope(SV, GT)
    status, answer = federation.post(GT, refused)
    assert (status, f"{answer['code']}: {answer['detail']}"[: len(reason)]) == (503, reason), answer

    # A fresh directory (published by the hub, handed over as a file) ends it: the same envelope is accepted.
    fresh = tmp_path / "directory.jws"
    federation.run(HUB, "directory", "publish", "--output", str(fresh))
    federation.run(GT, "directory", "import", str(fresh))
    status, answer = federation.post(GT, refused)
    assert status == 200, answer


EDITED = "edited after it was written: its hash does not match its content. Nothing was appended to the audit trail."
DELETED = "is missing: its place, where it belongs, holds entry #4; deleted. Nothing was appended to the audit trail."
MOVED = "is out of order: its place holds entry #4; it was moved. Nothing was appended to the audit trail."
TRIGGERS = ("evidence_entry_no_update", "evidence_entry_no_delete")
ATTACKS = {
    # What someone with the database does, once the append-only triggers are dropped.
    "edited": ["UPDATE evidence_evidenceentry SET peer = 'HN-MP' WHERE seq = 3"],
    "deleted": ["DELETE FROM evidence_evidenceentry WHERE seq = 3"],
    "reordered": [  # entries #3 and #4 trade places
        "UPDATE evidence_evidenceentry SET seq = 1000000 WHERE seq = 3",
        "UPDATE evidence_evidenceentry SET seq = 3 WHERE seq = 4",
        "UPDATE evidence_evidenceentry SET seq = 4 WHERE seq = 1000000",
    ],
}


def test_an_evidence_log_changed_behind_the_nodes_back_is_caught_at_the_first_bad_entry(
    federation: Federation, tmp_path: Path
) -> None:
    federation.start_server(GT)
    federation.start_worker(SV)
    ids = federation.queue_pings(SV, GT, 3)
    federation.wait_for(
        lambda: {row["status"] for row in federation.outbox(SV, ids).values()} == {"delivered"}, "the deliveries"
    )
    export = tmp_path / "sv-evidence.jsonl"
    federation.run(SV, "evidence", "export", str(export))  # signs the head first
    assert len(federation.evidence(SV)) >= 8, "three exchanges, an audit checkpoint and a signed head"

    settings = {}
    for attack, statements in ATTACKS.items():
        settings[attack] = federation.copy_database(SV, tmp_path / f"{attack}.sqlite3")
        with contextlib.closing(sqlite3.connect(tmp_path / f"{attack}.sqlite3")) as database:
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                database.execute(statements[0])
            for trigger in TRIGGERS:
                database.execute(f"DROP TRIGGER {trigger}")
            for statement in statements:
                database.execute(statement)
            database.commit()
    jobs = {attack: (SV, ["evidence", "verify"], env) for attack, env in settings.items()}
    results = federation.run_jobs({**jobs, "untouched": (SV, ["evidence", "verify"], {})}, check=False)
    assert results.pop("untouched").returncode == 0
    # The last line of standard error is the command's verdict (a log line comes before it).
    reasons = {
        attack: (result.returncode, result.stderr.strip().splitlines()[-1]) for attack, result in results.items()
    }
    assert reasons == {
        "edited": (1, "CommandError: Evidence log BROKEN at entry #3: " + EDITED),
        "deleted": (1, "CommandError: Evidence log BROKEN at entry #3: " + DELETED),
        "reordered": (1, "CommandError: Evidence log BROKEN at entry #3: " + MOVED),
    }

    # The export, checked offline by the standalone verifier, and a copy with two lines swapped.
    verified = subprocess.run(
        [sys.executable, "-m", "vinculo.evidence.verify", str(export)], capture_output=True, text=True, timeout=60
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    lines = export.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3], lines[4] = lines[4], lines[3]  # line 1 is the header: entries #3 and #4
    moved = tmp_path / "moved.jsonl"
    moved.write_text("".join(lines), encoding="utf-8")
    caught = subprocess.run(
        [sys.executable, "-m", "vinculo.evidence.verify", str(moved)], capture_output=True, text=True, timeout=60
    )
    assert caught.returncode == 1
    assert caught.stderr.startswith("Evidence log BROKEN at entry #3 (line 5): is out of order"), caught.stderr
