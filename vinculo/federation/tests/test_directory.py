"""The network directory on an office node: fetched, checked against the pinned hub key, kept.

SV-FGR is the node under test; the hub is in memory (``HubKit``) and serves its directory through
a replaced fetch function, or not at all (hub down: a closed port on the loopback interface).
"""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from vinculo.audit.models import AuditEntry
from vinculo.federation import client, directory
from vinculo.federation.directory_format import DirectoryFormatError, parse_directory
from vinculo.federation.directory_trust import DirectoryRefused, verify_directory
from vinculo.federation.jose import b64decode, b64encode
from vinculo.federation.jwk import SigningKey
from vinculo.federation.models import DirectoryRefresh, SignedDirectory
from vinculo.federation.services import node
from vinculo.federation.tests.directory_kit import DAY, HubKit

NOW = 1_790_000_000  # 2026-09-21, UTC
pytestmark = pytest.mark.django_db


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


@pytest.fixture
def network() -> HubKit:
    return HubKit.with_offices("SV-FGR", "GT-MP", "HN-MP")


@pytest.fixture
def office(settings, network: HubKit):
    settings.NODE_ROLE = "office"
    settings.NODE_ID = "SV-FGR"
    settings.HUB_URL = "http://127.0.0.1:9/"
    settings.HUB_KEY = network.pinned
    return settings


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch):
    """What the hub answers to GET /federation/directory (set ``served["token"]``)."""
    answer: dict[str, object] = {}

    def fake_request(url: str, **_: object) -> tuple[int, bytes]:
        assert url == "http://127.0.0.1:9/federation/directory"
        if "down" in answer:
            raise client.HubUnreachable("connection refused")
        return 200, str(answer["token"]).encode("ascii")

    monkeypatch.setattr(client, "http_request", fake_request)
    return answer


def held_versions() -> list[int]:
    return list(SignedDirectory.objects.order_by("version").values_list("version", flat=True))


def tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    document = json.loads(b64decode(payload))
    document["members"][1]["endpoint"] = "http://127.0.0.1:6666/"
    forged = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    return f"{header}.{b64encode(forged)}.{signature}"


# --- before any directory ---


def test_a_node_without_a_directory_says_so(office) -> None:
    with pytest.raises(directory.DirectoryUnavailable) as caught:
        directory.in_force()
    assert caught.value.code == "no_directory"


# --- accepted ---


def test_a_directory_signed_with_the_pinned_key_is_accepted_and_in_force(office, network, served) -> None:
    served["token"] = network.token(version=3, issued_at=NOW)
    with time_machine.travel(at(NOW + 60), tick=False):
        result = node.refresh_directory()
        in_force = directory.in_force()
    assert result.is_new
    assert held_versions() == [3]
    assert in_force.version == 3
    assert in_force.signer == network.pinned
    gt = in_force.member("GT-MP")
    assert gt is not None
    assert gt.status == "active"
    assert gt.is_active
    assert gt.endpoint.startswith("http://127.0.0.1:")
    assert gt.verify_key(network.offices["GT-MP"].signing.thumbprint()) == network.offices["GT-MP"].signing.verify_key
    assert gt.verify_key(network.offices["SV-FGR"].signing.thumbprint()) is None  # another member's key
    assert gt.recipient_key() == network.offices["GT-MP"].encryption.recipient_key
    assert in_force.member("CR-MP") is None
    assert in_force.policy.deadline("urgent") == 8 * 3600
    assert in_force.policy.deadline("priority") == 3 * DAY
    assert in_force.policy.handling_codes == ("H0", "H1", "H2", "H3")
    assert in_force.policy.max_envelope_bytes == 1024 * 1024
    assert AuditEntry.objects.filter(action="directory.accepted").count() == 1
    assert DirectoryRefresh.objects.get().last_error_code == ""


def test_the_same_directory_again_is_not_stored_twice(office, network, served) -> None:
    served["token"] = network.token(version=3, issued_at=NOW)
    with time_machine.travel(at(NOW + 60), tick=False):
        node.refresh_directory()
        again = node.refresh_directory()
    assert not again.is_new
    assert held_versions() == [3]


def test_a_suspended_member_is_reported_as_suspended(office, network, served) -> None:
    network.offices["HN-MP"].status = "suspended"
    served["token"] = network.token(version=4, issued_at=NOW)
    with time_machine.travel(at(NOW + 60), tick=False):
        node.refresh_directory()
        member = directory.in_force().member("HN-MP")
    assert member is not None
    assert member.status == "suspended"
    assert not member.is_active


# --- refused: the held copy stays ---


def hold_version(network: HubKit, version: int, served: dict[str, object]) -> None:
    served["token"] = network.token(version=version, issued_at=NOW)
    with time_machine.travel(at(NOW + 60), tick=False):
        node.refresh_directory()


def refused_code(served: dict[str, object], token: str, *, now: int = NOW + 120) -> str:
    served["token"] = token
    with time_machine.travel(at(now), tick=False), pytest.raises(node.RefreshFailed) as caught:
        node.refresh_directory()
    return caught.value.code


def test_a_directory_signed_with_another_key_is_refused(office, network, served) -> None:
    hold_version(network, 5, served)
    impostor = network.sign(network.document(version=6, issued_at=NOW), key=SigningKey.generate())
    assert refused_code(served, impostor) == "untrusted_signer"
    assert held_versions() == [5]
    assert AuditEntry.objects.filter(action="directory.refused").count() == 1


def test_an_impostor_listing_itself_as_the_hub_is_refused_at_the_first_fetch(office, network, served) -> None:
    impostor = HubKit.with_offices("SV-FGR", "GT-MP")  # its own hub key, not the pinned one
    assert refused_code(served, impostor.token(version=1, issued_at=NOW)) == "untrusted_signer"
    assert held_versions() == []


def test_a_tampered_directory_is_refused(office, network, served) -> None:
    hold_version(network, 5, served)
    assert refused_code(served, tamper(network.token(version=6, issued_at=NOW))) == "bad_signature"
    assert held_versions() == [5]
    assert directory.in_force(now=NOW + 120).member("SV-FGR").endpoint != "http://127.0.0.1:6666/"


def test_a_rollback_to_an_older_version_is_refused(office, network, served) -> None:
    hold_version(network, 5, served)
    assert refused_code(served, network.token(version=4, issued_at=NOW + 100)) == "rollback"
    assert held_versions() == [5]


def test_another_directory_with_the_held_version_is_refused(office, network, served) -> None:
    hold_version(network, 5, served)
    network.offices["GT-MP"].status = "suspended"
    assert refused_code(served, network.token(version=5, issued_at=NOW + 100)) == "rollback"
    assert directory.in_force(now=NOW + 120).member("GT-MP").status == "active"


def test_an_expired_directory_is_refused_and_the_last_good_copy_kept(office, network, served) -> None:
    hold_version(network, 5, served)
    stale = network.token(version=6, issued_at=NOW - 10 * DAY)  # expired three days ago
    assert refused_code(served, stale) == "expired"
    assert held_versions() == [5]
    assert directory.in_force(now=NOW + 120).version == 5


def test_the_held_copy_expires_then_nothing_is_in_force_but_it_is_kept(office, network, served) -> None:
    hold_version(network, 5, served)
    expires_at = NOW + 7 * DAY
    with time_machine.travel(at(expires_at), tick=False):
        assert directory.in_force().version == 5  # valid up to and including expires_at
    with time_machine.travel(at(expires_at + 1), tick=False):
        with pytest.raises(directory.DirectoryUnavailable) as caught:
            directory.in_force()
        held = directory.held_directory()
    assert caught.value.code == "directory_expired"
    assert held is not None
    assert held.version == 5


def test_hub_down_keeps_the_old_copy_and_records_the_attempt(office, network, served) -> None:
    hold_version(network, 5, served)
    served["down"] = True
    with time_machine.travel(at(NOW + 3600), tick=False), pytest.raises(node.RefreshFailed) as caught:
        node.refresh_directory()
    assert caught.value.code == "hub_unreachable"
    assert directory.in_force(now=NOW + 3600).version == 5
    state = DirectoryRefresh.objects.get()
    assert state.last_error_code == "hub_unreachable"
    assert state.last_success_at is not None
    assert state.last_success_at < state.last_attempt_at
    # Reachability is logged, not audited: a hub down for a day would otherwise flood the trail.
    assert not AuditEntry.objects.filter(action="directory.refused").exists()


def closed_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_real_fetch_reports_a_hub_that_does_not_answer(office) -> None:
    office.HUB_URL = f"http://127.0.0.1:{closed_loopback_port()}/"
    started = time.monotonic()
    with pytest.raises(node.RefreshFailed) as caught:
        node.refresh_directory()
    assert caught.value.code == "hub_unreachable"
    assert time.monotonic() - started < client.TIMEOUT_SECONDS
    assert held_versions() == []


def test_refresh_if_due_waits_for_the_interval_and_never_raises(office, network, served) -> None:
    office.DIRECTORY_REFRESH_MINUTES = 5
    served["token"] = network.token(version=1, issued_at=NOW)
    with time_machine.travel(at(NOW + 60), tick=False):
        assert node.refresh_if_due() is not None
    served["token"] = network.token(version=2, issued_at=NOW + 100)
    with time_machine.travel(at(NOW + 120), tick=False):
        assert node.refresh_if_due() is None  # two minutes later: not due
    assert held_versions() == [1]
    served["down"] = True
    with time_machine.travel(at(NOW + 60 + 5 * 60), tick=False):
        assert node.refresh_if_due() is None  # due, the hub is down: recorded, not raised
    del served["down"]
    with time_machine.travel(at(NOW + 60 + 10 * 60), tick=False):
        assert node.refresh_if_due() is not None
    assert held_versions() == [1, 2]


# --- the hub's own key rotation ---


def test_a_directory_signed_with_the_hubs_new_key_is_accepted_through_its_announcement(office, network) -> None:
    first = network.token(version=1, issued_at=NOW)
    held = verify_directory(first, pinned=network.pinned, held=None, now=NOW).directory
    network.rotate_hub_key(now=NOW + DAY)
    second = network.token(version=2, issued_at=NOW + DAY)
    accepted = verify_directory(second, pinned=network.pinned, held=held, now=NOW + DAY + 60)
    assert accepted.is_new
    assert accepted.directory.signer == network.hub.signing.thumbprint()
    # A node installed later, still pinning the old key, follows the same announcement.
    assert verify_directory(second, pinned=network.pinned, held=None, now=NOW + DAY).is_new


def test_without_the_announcement_the_hubs_new_key_is_not_trusted(office, network) -> None:
    held = verify_directory(network.token(version=1, issued_at=NOW), pinned=network.pinned, held=None, now=NOW)
    network.rotate_hub_key(now=NOW + DAY)
    network.rotations.clear()
    with pytest.raises(DirectoryRefused) as caught:
        verify_directory(
            network.token(version=2, issued_at=NOW + DAY), pinned=network.pinned, held=held.directory, now=NOW + DAY
        )
    assert caught.value.code == "untrusted_signer"


def test_the_hubs_old_key_is_refused_after_its_overlap(office, network) -> None:
    pinned = network.pinned
    network.rotate_hub_key(now=NOW, overlap=DAY)
    old_key = network.hub.old_signing[0][0]
    late = network.sign(network.document(version=3, issued_at=NOW + 2 * DAY), key=old_key)
    with pytest.raises(DirectoryRefused) as caught:
        verify_directory(late, pinned=pinned, held=None, now=NOW + 2 * DAY)
    assert caught.value.code == "untrusted_signer"
    in_overlap = network.sign(network.document(version=3, issued_at=NOW + 3600), key=old_key)
    assert verify_directory(in_overlap, pinned=pinned, held=None, now=NOW + 3600).is_new


# --- member keys during a rotation (the overlap window) ---


def test_a_members_old_key_is_valid_until_not_after_and_refused_after(office, network, served) -> None:
    sv = network.offices["SV-FGR"]
    old = sv.signing
    sv.old_signing.append((old, NOW + DAY))
    sv.signing = SigningKey.generate()
    served["token"] = network.token(version=7, issued_at=NOW)
    with time_machine.travel(at(NOW + 60), tick=False):
        node.refresh_directory()
    member = directory.in_force(now=NOW + 60).member("SV-FGR")
    assert member is not None
    with time_machine.travel(at(NOW + DAY), tick=False):
        assert member.verify_key(old.thumbprint()) == old.verify_key
        assert member.verify_key(sv.signing.thumbprint()) == sv.signing.verify_key
    with time_machine.travel(at(NOW + DAY + 1), tick=False):
        assert member.verify_key(old.thumbprint()) is None
        assert member.verify_key(sv.signing.thumbprint()) == sv.signing.verify_key


# --- the format ---


def test_the_format_is_read_strictly(network) -> None:
    document = network.document(version=1, issued_at=NOW)
    assert parse_directory(document).version == 1
    for change, where in (
        (lambda d: d.update(extra=1), "unexpected: extra"),
        (lambda d: d["members"][1]["signing_keys"][0]["jwk"].update(d="private"), "private key"),
        (lambda d: d["members"][1].update(country="GT"), "country"),
        (lambda d: d["members"][1]["signing_keys"][0].update(not_after=NOW), "exactly one key must be current"),
        (lambda d: d["members"].append(d["members"][1]), "listed twice"),
        (lambda d: d["members"][0].update(roles=["office"]), "role hub"),
        (lambda d: d["policy"]["deadline_seconds"].pop("urgent"), "urgent"),
        (lambda d: d.update(version=0), "version"),
    ):
        broken = json.loads(json.dumps(document))
        change(broken)
        with pytest.raises(DirectoryFormatError, match=where):
            parse_directory(broken)


# --- commands ---


def test_directory_import_and_show(office, network, tmp_path, capsys) -> None:
    path = tmp_path / "directory.jws"
    path.write_text(network.token(version=9, issued_at=int(time.time())) + "\n", encoding="ascii")
    call_command("directory", "import", str(path))
    call_command("directory", "show")
    shown = capsys.readouterr().out
    assert "version 9 accepted" in shown
    assert "(in force)" in shown
    assert "HN-MP [active]" in shown
    call_command("directory", "show", "--token")
    assert capsys.readouterr().out.strip() == path.read_text(encoding="ascii").strip()
    path.write_text(tamper(network.token(version=10, issued_at=int(time.time()))), encoding="ascii")
    with pytest.raises(CommandError, match="bad_signature"):
        call_command("directory", "import", str(path))
    assert held_versions() == [9]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_newest_directory_is_remembered_for_a_moment(
    office, network, django_assert_num_queries
) -> None:
    node.import_directory(network.token(version=1, issued_at=int(time.time())))
    assert directory.in_force().version == 1
    with django_assert_num_queries(0):  # the inbox and outbox ask for every message
        for _ in range(3):
            directory.in_force()
    node.import_directory(network.token(version=2, issued_at=int(time.time())))
    assert directory.in_force().version == 2  # stored by this process: seen at once
