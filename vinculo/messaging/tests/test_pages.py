"""The delivery pages, spoken through the personas: SV-FGR's administrator and auditor read them, nobody else.

SV-FGR holds directory version 3 from an in-memory hub that lists GT-MP and HN-MP too.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role, roles_for_node
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.evidence import services as evidence
from vinculo.federation.models import SignedDirectory
from vinculo.federation.tests.directory_kit import HubKit
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.tests import factories
from vinculo.messaging.tests.factories import SECRET_ENVELOPE, SECRET_PAYLOAD, SECRET_SIGNED

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
READERS = (Role.NODE_ADMIN, Role.AUDITOR)


@pytest.fixture
def kit() -> HubKit:
    network = factories.network()
    factories.store_directory(network)
    return network


@pytest.fixture
def admin_client(client: Client, node_admin: User) -> Client:
    node_admin.language = "en"  # assertions below read the English text
    node_admin.save()
    client.force_login(node_admin)
    return client


def page_urls(kit: HubKit) -> list[str]:
    """Every delivery page, the detail pages on real rows."""
    message = factories.delivered(kit)
    arrival = factories.received(kit)
    return [
        reverse("messaging:health"),
        reverse("messaging:sent_list"),
        reverse("messaging:sent_detail", args=[message.id]),
        reverse("messaging:received_list"),
        reverse("messaging:received_detail", args=[arrival.sender, arrival.message_id]),
        reverse("messaging:refused_list"),
        reverse("messaging:directory"),
    ]


def text(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return response.content.decode()


def rows(html: str) -> int:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return body.count("<tr>")


# --- who may read them -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [role for role in Role if role not in READERS], ids=lambda role: role.value)
def test_every_other_role_is_refused_and_the_attempt_recorded(client: Client, kit: HubKit, role: Role) -> None:
    urls = page_urls(kit)
    client.force_login(UserFactory(roles=[role], with_totp=True))
    for url in urls:
        assert client.get(url).status_code == 403, url
    denied = AuditEntry.objects.filter(action="access.denied")
    assert denied.count() == len(urls)
    assert f'href="{reverse("messaging:health")}"' not in text(client.get("/")), "no entry in the navigation"
    assert denied.first().data["permission"] == "node.manage|audit.view"  # type: ignore[union-attr]


@pytest.mark.parametrize("role", READERS, ids=lambda role: role.value)
def test_administrators_and_auditors_read_every_page(client: Client, kit: HubKit, role: Role) -> None:
    urls = page_urls(kit)
    client.force_login(UserFactory(roles=[role], with_totp=True))
    for url in urls:
        assert client.get(url).status_code == 200, url
    home = text(client.get("/"))
    assert f'href="{reverse("messaging:health")}"' in home, "the navigation offers the pages"


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, kit: HubKit) -> None:
    for url in page_urls(kit):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_the_pages_only_read(admin_client: Client, kit: HubKit) -> None:
    for url in page_urls(kit):
        assert admin_client.post(url).status_code == 405, url


@pytest.mark.parametrize("role", roles_for_node("hub"), ids=lambda role: role.value)
def test_on_the_hub_the_same_two_roles_read_them(client: Client, settings, role: Role) -> None:
    settings.NODE_ROLE, settings.NODE_ID = "hub", "CCCMP-HUB"
    network = factories.network()
    factories.store_directory(network)
    client.force_login(UserFactory(roles=[role], with_totp=True))
    expected = 200 if role in READERS else 403
    for name in ("health", "sent_list", "received_list", "refused_list", "directory"):
        assert client.get(reverse(f"messaging:{name}")).status_code == expected, name
    if role in READERS:
        health = text(client.get(reverse("messaging:health")))
        assert "SV-FGR" in health
        assert health.count('<th scope="row">') == 3, "every member but the hub itself"


# --- never the content -----------------------------------------------------------------------------


def test_no_page_shows_a_messages_content(admin_client: Client, kit: HubKit) -> None:
    factories.sent()
    for url in page_urls(kit):
        html = text(admin_client.get(url))
        for secret in (SECRET_PAYLOAD, SECRET_ENVELOPE, SECRET_SIGNED):
            assert secret not in html, url


# --- messages sent ---------------------------------------------------------------------------------


def test_the_sent_list_shows_each_message_and_filters(admin_client: Client, kit: HubKit) -> None:
    now = timezone.now()
    factories.delivered(kit, "GT-MP", created_at=now - timedelta(days=3))
    factories.sent("HN-MP", attempts=3, last_error="unreachable: connection refused")
    factories.sent("GT-MP", type="alert", status=OutboundMessage.Status.FAILED, last_error="bad_signature: no")
    url = reverse("messaging:sent_list")
    html = text(admin_client.get(url))
    assert "3 messages match." in html
    assert "unreachable: connection refused" in html
    assert "Delivered (receipt received)" in html
    for query, count in [
        ({"peer": "gt-mp"}, 2),
        ({"status": "pending"}, 1),
        ({"type": "alert"}, 1),
        ({"since": (now - timedelta(days=1)).date().isoformat()}, 2),
        ({"until": (now - timedelta(days=2)).date().isoformat()}, 1),
    ]:
        partial = text(admin_client.get(url, query, headers=HTMX))
        assert "<h1>" not in partial, "htmx gets the rows only"
        assert rows(partial) == count, query


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"peer": "Guatemala"}, "A member id looks like"),
        ({"type": "Alert!"}, "A message type looks like"),
        ({"since": "2026-09-10", "until": "2026-09-01"}, "The last day comes before the first."),
        ({"since": "yesterday"}, "Enter a valid date."),
        ({"status": "lost"}, "Select a valid choice."),
    ],
)
def test_bad_filters_say_why_and_show_nothing(admin_client: Client, kit: HubKit, query: dict, error: str) -> None:
    factories.sent()
    html = text(admin_client.get(reverse("messaging:sent_list"), query))
    assert "Nothing is shown until the filters are corrected" in html
    assert error in html


def test_the_list_is_paginated(admin_client: Client, kit: HubKit) -> None:
    for _ in range(51):
        factories.sent()
    html = text(admin_client.get(reverse("messaging:sent_list"), {"page": 2}))
    assert "51 messages match." in html
    assert "Page 2 of 2" in html
    assert rows(html) == 1


def test_a_delivered_message_shows_its_envelopes_verified_receipt_and_evidence(
    admin_client: Client, kit: HubKit
) -> None:
    message = factories.delivered(kit, attempt_digests=[factories.digest("first"), factories.digest("retry")])
    evidence.record("envelope_sent", message_id=str(message.id), peer="GT-MP", sha256=factories.digest("first"))
    evidence.record("receipt_received", message_id=str(message.id), peer="GT-MP", sha256=factories.digest("retry"))
    evidence.record("envelope_sent", message_id=str(uuid.uuid4()), peer="GT-MP")  # another message
    html = text(admin_client.get(reverse("messaging:sent_detail", args=[message.id])))
    assert factories.digest("first") in html
    assert factories.digest("retry") in html
    assert "named by the receipt" in html
    assert "Verified" in html
    assert kit.offices["GT-MP"].signing.thumbprint() in html, "the receipt's key id"
    assert "directory version 3 lists for it" in html
    assert "Envelope sent" in html
    assert "Receipt received" in html
    assert rows(html) == 2, "only the entries naming this message"


def test_a_receipt_that_does_not_check_out_is_not_called_verified(admin_client: Client, kit: HubKit) -> None:
    stranger = HubKit.with_offices("GT-MP")  # same member id, other keys
    forged = factories.delivered(stranger)
    wrong_envelope = factories.delivered(kit, attempt_digests=[factories.digest("x")])
    wrong_envelope.attempt_digests = [factories.digest("y")]
    wrong_envelope.save(update_fields=["attempt_digests"])
    garbage = factories.sent(receipt="not-a-receipt", status=OutboundMessage.Status.DELIVERED)
    for message, words in [
        (forged, "does not list the key that signed it"),
        (wrong_envelope, "it names an envelope not sealed for this message"),
        (garbage, "This is not a validly signed receipt."),
    ]:
        html = text(admin_client.get(reverse("messaging:sent_detail", args=[message.id])))
        assert words in html
        assert '<span class="tag tag-ok">Verified</span>' not in html


def test_without_a_directory_the_receipt_is_read_but_not_checked(admin_client: Client, kit: HubKit) -> None:
    message = factories.delivered(kit)
    SignedDirectory.objects.all().delete()
    html = text(admin_client.get(reverse("messaging:sent_detail", args=[message.id])))
    assert "Not checked" in html
    assert str(message.id) in html
    assert "This node holds no network directory." in html, "the banner"


def test_an_unknown_message_is_not_found(admin_client: Client, kit: HubKit) -> None:
    assert admin_client.get(reverse("messaging:sent_detail", args=[uuid.uuid4()])).status_code == 404
    assert admin_client.get(reverse("messaging:received_detail", args=["GT-MP", uuid.uuid4()])).status_code == 404


# --- messages received -----------------------------------------------------------------------------


def test_received_messages_list_and_detail(admin_client: Client, kit: HubKit) -> None:
    handled = factories.received(kit, "GT-MP", processed_at=timezone.now())
    factories.received(kit, "HN-MP", processing_error="no handler for this type")
    factories.received(kit, "HN-MP")
    url = reverse("messaging:received_list")
    html = text(admin_client.get(url))
    assert "3 messages match." in html
    assert "no handler for this type" in html
    for query, count in [({"peer": "HN-MP"}, 2), ({"state": "handled"}, 1), ({"state": "error"}, 1)]:
        assert rows(text(admin_client.get(url, query, headers=HTMX))) == count, query
    detail = text(admin_client.get(reverse("messaging:received_detail", args=["GT-MP", handled.message_id])))
    assert handled.envelope_sha256 in detail
    assert handled.message_digest in detail
    assert "Verified" in detail, "the receipt this node signed, checked against its own listed key"


# --- refused envelopes -----------------------------------------------------------------------------


def test_refusals_are_listed_with_their_reason_in_words(admin_client: Client, kit: HubKit) -> None:
    factories.refused("unknown_sender", claimed_sender="PA-MP", claimed_id=str(uuid.uuid4()), size=2048)
    factories.refused("rate_limited", size=412, remote_address="198.51.100.9")
    url = reverse("messaging:refused_list")
    html = text(admin_client.get(url))
    assert "Unknown sender: the directory lists no such member" in html
    assert "PA-MP" in html
    assert "2.0\xa0KB" in html
    assert "412 envelopes counted" in html
    assert rows(text(admin_client.get(url, {"code": "rate_limited"}, headers=HTMX))) == 1
    assert rows(text(admin_client.get(url, {"address": "198.51.100.9"}, headers=HTMX))) == 1


def test_the_refusals_read_in_spanish(client: Client, node_admin: User, kit: HubKit) -> None:
    factories.refused("stale")
    client.force_login(node_admin)  # Spanish by default
    html = text(client.get(reverse("messaging:refused_list")))
    assert 'lang="es"' in html


# --- delivery health -------------------------------------------------------------------------------


def test_health_has_a_row_per_member_and_a_state_by_the_rules(admin_client: Client, kit: HubKit) -> None:
    now = timezone.now()
    factories.delivered(kit, "GT-MP", created_at=now - timedelta(hours=2), delivered_at=now - timedelta(hours=2))
    factories.sent("GT-MP", created_at=now - timedelta(minutes=20), last_error="unreachable: timed out")
    factories.delivered(kit, "HN-MP", created_at=now - timedelta(days=2), delivered_at=now - timedelta(days=2))
    factories.sent("HN-MP", created_at=now - timedelta(days=1), status=OutboundMessage.Status.FAILED)
    factories.received(kit, "HN-MP")
    factories.refused(claimed_sender="HN-MP", refused_at=now - timedelta(days=2))  # too old to count
    factories.refused(claimed_sender="HN-MP")
    html = text(admin_client.get(reverse("messaging:health")))
    table = html.split("<tbody>")[1].split("</tbody>")[0]
    row_heads = table.split('<th scope="row"><span class="mono nowrap">')[1:]
    by_peer = {chunk.split("</span>")[0]: chunk for chunk in row_heads}
    assert set(by_peer) == {"CCCMP-HUB", "GT-MP", "HN-MP"}, "every member but this node"
    assert "Delayed" in by_peer["GT-MP"]
    assert "unreachable: timed out" in by_peer["GT-MP"]
    assert "Failing" in by_peer["HN-MP"]
    assert "Healthy" in by_peer["CCCMP-HUB"]
    assert "Test office HN-MP" in by_peer["HN-MP"], "names in the reader's language"
    numbers = by_peer["HN-MP"].split('<td class="numeric">')[1:]
    cells = [re.sub(r"<[^>]+>", "", cell.split("</td>")[0]).strip() for cell in numbers]
    assert cells[-2:] == ["1", "1"], "one received, one refusal in the last 24 hours"
    assert "How the state is decided" in html


def test_health_shows_each_members_status_in_the_directory_and_peers_it_no_longer_lists(
    admin_client: Client,
) -> None:
    network = factories.network()
    network.offices["HN-MP"].status = "suspended"
    factories.store_directory(network)
    factories.sent("CR-MP", status=OutboundMessage.Status.FAILED)  # a member the directory dropped since
    html = text(admin_client.get(reverse("messaging:health")))
    table = html.split("<tbody>")[1]
    rows_by_peer = {chunk.split("</span>")[0]: chunk for chunk in table.split('<span class="mono nowrap">')[1:]}
    assert "active in the directory" in rows_by_peer["GT-MP"]
    assert "suspended in the directory" in rows_by_peer["HN-MP"]
    assert "not in the directory" in rows_by_peer["CR-MP"]
    assert "Failing" in rows_by_peer["CR-MP"]


# --- the directory ---------------------------------------------------------------------------------


def test_the_directory_page_describes_members_keys_and_policy(admin_client: Client, settings) -> None:
    network = factories.network()
    factories.store_directory(network, version=7)
    settings.HUB_KEY = network.pinned
    html = text(admin_client.get(reverse("messaging:directory")))
    assert "<dd>7</dd>" in html
    assert "signed with the pinned key" in html
    for member in ("CCCMP-HUB", "GT-MP", "HN-MP", "SV-FGR"):
        assert member in html
    assert "Test office GT-MP" in html
    assert network.offices["GT-MP"].signing.thumbprint() in html
    assert network.offices["GT-MP"].encryption.thumbprint() in html
    assert "request.information" in html
    assert "urgent: 8 hours" in html
    assert "1.0\xa0MB" in html
    assert "this node" in html
    assert "The network directory" not in html.split("<h1>")[0], "no warning while it is valid for days"


def test_a_retired_key_is_shown_with_its_end(admin_client: Client) -> None:
    network = factories.network()
    old = network.offices["GT-MP"].signing
    network.offices["GT-MP"].old_signing.append((old, int(timezone.now().timestamp()) - 3600))
    network.offices["GT-MP"].signing = type(old).generate()
    factories.store_directory(network)
    html = text(admin_client.get(reverse("messaging:directory")))
    assert "retired since" in html


@pytest.mark.parametrize(
    ("validity_hours", "words"),
    [
        (None, "This node holds no network directory."),
        (0, "expired on"),
        (12, "expires in"),
    ],
)
def test_every_page_warns_when_the_directory_is_missing_or_about_to_expire(
    admin_client: Client, validity_hours: int | None, words: str
) -> None:
    network = factories.network()
    if validity_hours is not None:
        issued = timezone.now() - timedelta(days=6, hours=12)
        factories.store_directory(network, issued_at=issued, validity=(6 * 24 + 12 + validity_hours) * 3600 - 60)
    urls = [reverse(f"messaging:{name}") for name in ("health", "sent_list", "received_list", "refused_list")]
    for url in [*urls, reverse("messaging:directory")]:
        html = text(admin_client.get(url))
        assert 'directory-warning spaced" role="alert"' in html, url
        assert words in html, url
