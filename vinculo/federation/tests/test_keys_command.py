"""A node's keys (`vinculo keys`) and the hub's register (`vinculo directory`), through the commands.

SV-FGR's operator creates and rotates its keys; the hub's operator registers SV-FGR and
publishes. Both run in one test database with their own key directories; SV-FGR reaches the
hub's endpoints through the Django test client in place of the network.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from vinculo.audit.models import AuditEntry
from vinculo.federation import client, keys
from vinculo.federation.directory_trust import verify_directory
from vinculo.federation.jwk import EncryptionKey, SigningKey
from vinculo.federation.models import MemberKey, SignedDirectory
from vinculo.federation.rotation import announce_rotation, open_announcement
from vinculo.federation.signed import verify_document
from vinculo.federation.wire import EnvelopeRefused

NOW = 1_790_000_000
DAY = 24 * 3600
pytestmark = pytest.mark.django_db


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def dirs(tmp_path: Path) -> dict[str, Path]:
    return {"office": tmp_path / "sv-keys", "hub": tmp_path / "hub-keys"}


@pytest.fixture
def as_office(settings, dirs):
    def switch() -> None:
        settings.NODE_ROLE, settings.NODE_ID = "office", "SV-FGR"
        settings.FEDERATION_KEY_DIR = dirs["office"]
        settings.HUB_URL = "http://127.0.0.1:9/"
        settings.KEY_OVERLAP_DAYS = 7

    switch()
    return switch


@pytest.fixture
def as_hub(settings, dirs):
    def switch() -> None:
        settings.NODE_ROLE, settings.NODE_ID = "hub", "CCCMP-HUB"
        settings.FEDERATION_KEY_DIR = dirs["hub"]
        settings.HUB_URL = ""

    return switch


def hub_settings(dirs: dict[str, Path]) -> override_settings:
    return override_settings(NODE_ROLE="hub", NODE_ID="CCCMP-HUB", FEDERATION_KEY_DIR=dirs["hub"])


@pytest.fixture
def hub_reached_by_client(monkeypatch: pytest.MonkeyPatch, dirs) -> Iterator[list[str]]:
    """SV-FGR's HTTP calls go to the hub's views (with the hub's settings); the paths called are listed."""
    called: list[str] = []

    def fake_request(url: str, *, data: bytes | None = None, **_: object) -> tuple[int, bytes]:
        path = "/" + url.removeprefix("http://127.0.0.1:9/")
        called.append(path)
        with hub_settings(dirs):
            if data is None:
                response = Client().get(path)
            else:
                response = Client().post(path, data=data, content_type="application/jose")
        return response.status_code, response.content

    monkeypatch.setattr(client, "http_request", fake_request)
    return called


def register_network(as_office, as_hub, dirs: dict[str, Path]) -> None:
    """The hub and SV-FGR each create keys; the hub registers both and publishes version 1."""
    public = dirs["office"].parent / "sv-public.json"
    as_office()
    call_command("keys", "init", "--public-out", str(public))
    as_hub()
    call_command("keys", "init")
    call_command(
        "directory", "member", "add", "CCCMP-HUB", "--name-es", "Centro de prueba", "--name-en", "Test hub",
        "--country", "SV", "--endpoint", "http://127.0.0.1:8100/",
    )  # fmt: skip
    call_command(
        "directory", "member", "add", "SV-FGR", "--name-es", "Fiscalía de prueba", "--name-en", "Test office",
        "--country", "SV", "--endpoint", "http://127.0.0.1:8102/", "--keys-file", str(public),
    )  # fmt: skip
    call_command("directory", "publish")
    as_office()


# --- key files ---


def test_init_creates_both_keys_readable_by_the_owner_only(as_office, dirs, capsys) -> None:
    call_command("keys", "init")
    signing, encryption = dirs["office"] / "signing.pem", dirs["office"] / "encryption.pem"
    assert mode(signing) == 0o600
    assert mode(encryption) == 0o600
    assert mode(dirs["office"]) == 0o700
    assert keys.node_signing_key().thumbprint() in capsys.readouterr().out
    assert len(keys.node_encryption_keys()) == 1
    assert keys.node_id() == "SV-FGR"
    assert AuditEntry.objects.filter(action="federation.keys_created").count() == 1


def test_init_refuses_when_keys_exist_unless_told_to_keep_them(as_office, dirs) -> None:
    call_command("keys", "init")
    before = (dirs["office"] / "signing.pem").read_bytes()
    with pytest.raises(CommandError, match="already holds"):
        call_command("keys", "init")
    call_command("keys", "init", "--exist-ok")
    assert (dirs["office"] / "signing.pem").read_bytes() == before


def test_a_key_file_others_can_read_is_refused(as_office, dirs) -> None:
    call_command("keys", "init")
    (dirs["office"] / "signing.pem").chmod(0o644)
    with pytest.raises(ImproperlyConfigured, match="chmod 600"):
        keys.node_signing_key()
    with pytest.raises(CommandError, match="readable by others"):
        call_command("keys", "show")
    (dirs["office"] / "signing.pem").chmod(0o600)
    (dirs["office"] / "encryption.pem").chmod(0o640)
    with pytest.raises(ImproperlyConfigured, match="chmod 600"):
        keys.node_encryption_keys()


def test_missing_keys_name_the_command_that_creates_them(as_office) -> None:
    with pytest.raises(ImproperlyConfigured, match="vinculo keys init"):
        keys.node_signing_key()


def test_show_prints_thumbprints_and_public_keys_only(as_office, capsys) -> None:
    call_command("keys", "init")
    capsys.readouterr()
    call_command("keys", "show", "--json")
    public = json.loads(capsys.readouterr().out)
    assert public["member"] == "SV-FGR"
    assert public["signing_key"]["kid"] == keys.node_signing_key().thumbprint()
    assert public["encryption_key"]["kid"] == keys.node_encryption_keys()[0].thumbprint()
    assert "d" not in public["signing_key"]
    assert "d" not in public["encryption_key"]
    call_command("keys", "show")
    assert keys.node_signing_key().thumbprint() in capsys.readouterr().out


# --- rotation on the node ---


def test_rotation_keeps_the_old_keys_for_the_overlap_and_announces_with_the_old_key(as_office, dirs, capsys) -> None:
    call_command("keys", "init")
    old_signing = keys.node_signing_key()
    old_encryption = keys.node_encryption_keys()[0]
    with time_machine.travel(at(NOW), tick=False):
        call_command("keys", "rotate", "--no-send", "--output", str(dirs["office"].parent / "announcement.jws"))
    new_signing, current = keys.node_signing_key(), keys.node_encryption_keys(now=NOW)
    assert new_signing.thumbprint() != old_signing.thumbprint()
    assert [key.thumbprint() for key in current[1:]] == [old_encryption.thumbprint()]
    retired = dirs["office"] / f"signing-{old_signing.thumbprint()}.pem"
    assert mode(retired) == 0o600
    assert mode(dirs["office"] / "retired.json") == 0o600

    token = (dirs["office"].parent / "announcement.jws").read_text(encoding="ascii").strip()
    assert token in capsys.readouterr().out
    announcement = open_announcement(token)
    assert announcement.member == "SV-FGR"
    assert announcement.old_signing == old_signing.verify_key
    assert announcement.new_signing == new_signing.verify_key
    assert announcement.new_encryption == current[0].recipient_key
    assert announcement.overlap_ends_at == NOW + 7 * DAY
    verify_document(token, old_signing.verify_key, kind="key-rotation")
    with pytest.raises(EnvelopeRefused):  # signed by the old key, not the new one
        verify_document(token, new_signing.verify_key, kind="key-rotation")
    with pytest.raises(EnvelopeRefused):  # and it can never pass for a directory
        verify_document(token, old_signing.verify_key, kind="directory")
    assert AuditEntry.objects.filter(action="federation.keys_rotated").count() == 1


def test_old_keys_open_envelopes_until_the_overlap_ends_and_prune_waits_for_it(as_office, dirs) -> None:
    call_command("keys", "init")
    old = keys.node_encryption_keys()[0]
    with time_machine.travel(at(NOW), tick=False):
        call_command("keys", "rotate", "--no-send")
    end = NOW + 7 * DAY
    assert old.thumbprint() in [key.thumbprint() for key in keys.node_encryption_keys(now=end)]
    assert old.thumbprint() not in [key.thumbprint() for key in keys.node_encryption_keys(now=end + 1)]
    with time_machine.travel(at(end), tick=False):
        call_command("keys", "prune")
    assert (dirs["office"] / f"encryption-{old.thumbprint()}.pem").exists()
    with time_machine.travel(at(end + 1), tick=False):
        call_command("keys", "prune")
    assert not (dirs["office"] / f"encryption-{old.thumbprint()}.pem").exists()
    assert sorted(path.name for path in dirs["office"].glob("*.pem")) == ["encryption.pem", "signing.pem"]
    assert AuditEntry.objects.filter(action="federation.keys_pruned").count() == 1


def test_a_rotation_the_hub_cannot_receive_is_kept_for_announce(as_office, monkeypatch, capsys) -> None:
    call_command("keys", "init")

    def hub_down(url: str, **_: object) -> tuple[int, bytes]:
        raise client.HubUnreachable("connection refused")

    monkeypatch.setattr(client, "http_request", hub_down)
    call_command("keys", "rotate")
    assert "vinculo keys announce" in capsys.readouterr().err
    assert keys.saved_announcement() is not None
    with pytest.raises(CommandError, match="hub_unreachable"):
        call_command("keys", "announce")


# --- the hub's register and publication ---


def test_the_hub_publishes_a_signed_directory_at_its_endpoint(as_office, as_hub, dirs) -> None:
    register_network(as_office, as_hub, dirs)
    as_hub()
    response = Client().get("/federation/directory")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jose"
    assert response["X-Vinculo-Directory-Version"] == "1"
    pinned = keys.node_signing_key().thumbprint()
    directory = verify_directory(response.content.decode(), pinned=pinned, held=None, now=NOW).directory
    assert [member.id for member in directory.members] == ["CCCMP-HUB", "SV-FGR"]
    assert directory.member("CCCMP-HUB").roles == ("hub",)
    call_command("directory", "publish")
    assert Client().get("/federation/directory")["X-Vinculo-Directory-Version"] == "2"
    assert AuditEntry.objects.filter(action="directory.member_added").count() == 2
    assert AuditEntry.objects.filter(action="directory.published").count() == 2


def test_an_office_node_serves_no_directory_and_takes_no_announcement(as_office) -> None:
    assert Client().get("/federation/directory").status_code == 404
    assert Client().post("/federation/keys", data=b"x", content_type="application/jose").status_code == 404
    with pytest.raises(CommandError, match="Solo el concentrador"):  # in the node's language
        call_command("directory", "publish")


def test_suspension_is_audited_and_published(as_office, as_hub, dirs) -> None:
    register_network(as_office, as_hub, dirs)
    as_hub()
    with pytest.raises(CommandError):
        call_command("directory", "member", "suspend", "SV-FGR", "--reason", "  ")
    call_command("directory", "member", "suspend", "SV-FGR", "--reason", "MoU obligations under review")
    call_command("directory", "publish")
    token = Client().get("/federation/directory").content.decode()
    pinned = keys.node_signing_key().thumbprint()
    member = verify_directory(token, pinned=pinned, held=None, now=NOW).directory.member("SV-FGR")
    assert member.status == "suspended"
    entry = AuditEntry.objects.get(action="directory.member_suspended")
    assert entry.data == {"member": "SV-FGR", "reason": "MoU obligations under review"}
    call_command("directory", "member", "reinstate", "SV-FGR", "--reason", "Review closed")
    assert AuditEntry.objects.filter(action="directory.member_reinstated").count() == 1


def test_member_add_refuses_bad_input_and_stores_nothing(as_office, as_hub, dirs, tmp_path) -> None:
    register_network(as_office, as_hub, dirs)
    as_hub()
    private = tmp_path / "private.json"
    jwk = SigningKey.generate().public_jwk()
    private.write_text(json.dumps({"signing_key": {**jwk, "d": "AAAA"}, "encryption_key": {}}), encoding="utf-8")
    with pytest.raises(CommandError, match="private key"):
        call_command(
            "directory", "member", "add", "GT-MP", "--name-es", "x", "--name-en", "x", "--country", "GT",
            "--endpoint", "http://127.0.0.1:8101/", "--keys-file", str(private),
        )  # fmt: skip
    gt_keys = tmp_path / "gt-public.json"
    gt_keys.write_text(
        json.dumps(
            {
                "member": "GT-MP",
                "signing_key": SigningKey.generate().public_jwk(),
                "encryption_key": EncryptionKey.generate().public_jwk(),
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="country"):
        call_command(
            "directory", "member", "add", "GT-MP", "--name-es", "x", "--name-en", "x", "--country", "HN",
            "--endpoint", "http://127.0.0.1:8101/", "--keys-file", str(gt_keys),
        )  # fmt: skip
    with pytest.raises(CommandError, match="holds the keys of SV-FGR"):
        call_command(
            "directory", "member", "add", "GT-MP", "--name-es", "x", "--name-en", "x", "--country", "GT",
            "--endpoint", "http://127.0.0.1:8101/", "--keys-file", str(tmp_path / "sv-public.json"),
        )  # fmt: skip
    public = tmp_path / "sv-public.json"
    assert not MemberKey.objects.filter(member__member_id="GT-MP").exists()
    # Set-up scripts may add a member again with the same keys; other keys are refused.
    call_command(
        "directory", "member", "add", "SV-FGR", "--name-es", "x", "--name-en", "x", "--country", "SV",
        "--endpoint", "http://127.0.0.1:8102/", "--keys-file", str(public), "--exist-ok",
    )  # fmt: skip
    with pytest.raises(CommandError, match="ya es miembro"):
        call_command(
            "directory", "member", "add", "SV-FGR", "--name-es", "x", "--name-en", "x", "--country", "SV",
            "--endpoint", "http://127.0.0.1:8102/", "--keys-file", str(public),
        )  # fmt: skip


# --- rotation accepted by the hub ---


def test_a_rotation_signed_by_the_old_key_is_accepted_by_the_hub_with_an_overlap(
    as_office, as_hub, dirs, hub_reached_by_client, capsys
) -> None:
    register_network(as_office, as_hub, dirs)
    old = keys.node_signing_key()
    with time_machine.travel(at(NOW), tick=False):
        call_command("keys", "rotate")
    assert hub_reached_by_client == ["/federation/keys"]
    assert "directory version 2" in capsys.readouterr().out
    new = keys.node_signing_key()

    listed = {key.kid: key for key in MemberKey.objects.filter(member__member_id="SV-FGR")}
    assert listed[old.thumbprint()].not_after == at(NOW + 7 * DAY)
    assert listed[new.thumbprint()].not_after is None
    assert all("d" not in key.jwk for key in listed.values())  # public keys only, ever

    with hub_settings(dirs):
        pinned = keys.node_signing_key().thumbprint()
    token = SignedDirectory.objects.get(version=2).token
    member = verify_directory(token, pinned=pinned, held=None, now=NOW).directory.member("SV-FGR")
    assert member.recipient_key() == keys.node_encryption_keys(now=NOW)[0].recipient_key
    assert member.verify_key(old.thumbprint(), now=NOW + 7 * DAY) == old.verify_key
    assert member.verify_key(old.thumbprint(), now=NOW + 7 * DAY + 1) is None
    assert member.verify_key(new.thumbprint(), now=NOW + 30 * DAY) == new.verify_key
    assert AuditEntry.objects.filter(action="directory.keys_rotated").count() == 1

    # Sent again (e.g. `keys announce` after a lost answer): the same answer, no new version.
    call_command("keys", "announce")
    assert SignedDirectory.objects.count() == 2


def post_announcement(dirs: dict[str, Path], token: str) -> tuple[int, dict[str, object]]:
    with hub_settings(dirs):
        response = Client().post("/federation/keys", data=token.encode(), content_type="application/jose")
    return response.status_code, response.json()


def announcement(member: str, signed_by: SigningKey, *, now: int = NOW) -> str:
    new = SigningKey.generate()
    return announce_rotation(
        member=member,
        old_signing=signed_by,
        old_encryption=keys.node_encryption_keys()[0].recipient_key,
        new_signing=new.verify_key,
        new_encryption=keys.node_encryption_keys()[0].recipient_key,
        overlap_ends_at=now + DAY,
        issued_at=now,
    )


def test_the_hub_refuses_announcements_it_cannot_trust(as_office, as_hub, dirs) -> None:
    register_network(as_office, as_hub, dirs)
    current = keys.node_signing_key()
    status, answer = post_announcement(dirs, announcement("SV-FGR", SigningKey.generate()))
    assert (status, answer["code"]) == (403, "unknown_key")
    status, answer = post_announcement(dirs, announcement("GT-MP", current))
    assert (status, answer["code"]) == (403, "unknown_member")
    header, payload, signature = announcement("SV-FGR", current).split(".")
    forged = f"{header}.{payload[:-4]}AAAA.{signature}"
    status, answer = post_announcement(dirs, forged)
    assert answer["code"] in {"bad_signature", "malformed"}
    assert status in {400, 403}
    status, answer = post_announcement(dirs, "not a token")
    assert (status, answer["code"]) == (400, "malformed")

    as_hub()
    call_command("directory", "member", "suspend", "SV-FGR", "--reason", "Key compromise reported")
    as_office()
    status, answer = post_announcement(dirs, announcement("SV-FGR", current))
    assert (status, answer["code"]) == (403, "suspended_member")
    assert SignedDirectory.objects.count() == 1
    assert not MemberKey.objects.filter(member__member_id="SV-FGR", not_after__isnull=False).exists()


def test_the_hubs_own_rotation_is_followed_by_nodes_pinning_the_old_key(as_office, as_hub, dirs) -> None:
    register_network(as_office, as_hub, dirs)
    as_hub()
    pinned = keys.node_signing_key().thumbprint()
    first = SignedDirectory.objects.get(version=1).token
    held = verify_directory(first, pinned=pinned, held=None, now=NOW).directory
    with time_machine.travel(at(NOW), tick=False):
        call_command("keys", "rotate")
    latest = SignedDirectory.objects.order_by("-version").first()
    assert latest.signer == keys.node_signing_key().thumbprint() != pinned
    accepted = verify_directory(latest.token, pinned=pinned, held=held, now=NOW + 60)
    assert accepted.is_new
    assert accepted.directory.hub_rotations  # the announcement that links the pinned key to the new one


# --- set-up in one call per node (how a demo or a new network starts) ---


def test_a_network_is_set_up_with_one_call_per_node_and_again_without_change(as_office, as_hub, dirs, settings) -> None:
    base = dirs["office"].parent
    as_office()
    call_command("keys", "init", "--exist-ok", "--public-out", str(base / "sv-public.json"))
    as_hub()
    call_command("keys", "init", "--exist-ok", "--public-out", str(base / "hub-public.json"))
    members = [
        {
            "id": "CCCMP-HUB",
            "name": {"es": "Centro", "en": "Hub"},
            "country": "SV",
            "endpoint": "http://127.0.0.1:8100/",
        },
        {
            "id": "SV-FGR",
            "name": {"es": "Fiscalía de prueba", "en": "Test office"},
            "country": "SV",
            "endpoint": "http://127.0.0.1:8102/",
            "keys_file": "sv-public.json",
        },
    ]
    (base / "members.json").write_text(json.dumps(members), encoding="utf-8")
    bad = [*members, {**members[1], "id": "GT-MP", "country": "HN", "keys_file": "hn-missing.json"}]
    (base / "bad-members.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(CommandError, match=r"hn-missing\.json"):
        call_command("directory", "member", "import", str(base / "bad-members.json"), "--publish")
    assert not MemberKey.objects.exists()  # all or nothing

    token_file = base / "directory.jws"
    for round_ in (1, 2):  # a second start changes nothing but the version
        as_hub()
        call_command(
            "directory", "member", "import", str(base / "members.json"), "--publish", "--output", str(token_file)
        )
        as_office()
        settings.HUB_KEY = json.loads((base / "hub-public.json").read_text())["signing_key"]["kid"]
        # One test database for both: drop the hub's row so that the node's import is what stores it.
        SignedDirectory.objects.filter(version=round_).delete()
        call_command("directory", "import", str(token_file))
    assert MemberKey.objects.count() == 4
    from vinculo.federation import directory

    in_force = directory.in_force()
    assert in_force.version == 2
    assert in_force.member("SV-FGR").recipient_key() == keys.node_encryption_keys()[0].recipient_key


def test_the_hub_republishes_when_half_the_validity_has_passed(as_office, as_hub, dirs) -> None:
    from vinculo.federation.services import node

    with time_machine.travel(at(NOW), tick=False):
        register_network(as_office, as_hub, dirs)
    as_hub()
    with time_machine.travel(at(NOW + 3 * DAY), tick=False):
        assert node.refresh_if_due() is None
    assert SignedDirectory.objects.count() == 1
    with time_machine.travel(at(NOW + 3 * DAY + 12 * 3600), tick=False):
        node.refresh_if_due()
    latest = SignedDirectory.objects.get(version=2)
    assert latest.expires_at == at(NOW + 3 * DAY + 12 * 3600 + 7 * DAY)


def test_a_possibly_stolen_key_is_replaced_at_once_without_overlap(as_office, as_hub, dirs, tmp_path) -> None:
    register_network(as_office, as_hub, dirs)
    stolen = keys.node_signing_key()
    with time_machine.travel(at(NOW), tick=False):
        call_command("keys", "rotate", "--no-send")
    call_command("keys", "show", "--public-out", str(tmp_path / "sv-new.json"))
    as_hub()
    with time_machine.travel(at(NOW + 3600), tick=False):
        call_command(
            "directory", "member", "replace-keys", "SV-FGR", "--keys-file", str(tmp_path / "sv-new.json"),
            "--reason", "signing key may have leaked",
        )  # fmt: skip
        call_command("directory", "publish")
    token = SignedDirectory.objects.get(version=2).token
    member = verify_directory(token, pinned=keys.node_signing_key().thumbprint(), held=None, now=NOW + 3600)
    sv = member.directory.member("SV-FGR")
    assert sv.verify_key(stolen.thumbprint(), now=NOW + 3601) is None
    as_office()
    assert sv.verify_key(keys.node_signing_key().thumbprint(), now=NOW + 3601) == keys.node_signing_key().verify_key
    assert AuditEntry.objects.filter(action="directory.keys_replaced").count() == 1
