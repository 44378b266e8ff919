"""SV-FGR's administrator reads the network pages in a real browser, wide and at 360 px (screenshots of each).

The node holds directory version 3 from an in-memory hub, and some traffic: messages delivered
to GT-MP with receipts, one waiting for HN-MP, one given up, messages received, refusals and a
flood counted as ``rate_limited``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.helpers import navigation_links, sign_in, translated
from tests.conftest import BrowserSession
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.evidence import services as evidence
from vinculo.federation.tests.directory_kit import DAY, HubKit
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.tests import factories

pytestmark = pytest.mark.browser

PAGES = ("health", "sent_list", "sent_detail", "received_list", "received_detail", "refused_list", "directory")
# Controls without an accessible name (see test_accessibility.py).
UNNAMED_CONTROLS = """
() => [...document.querySelectorAll('main input:not([type=hidden]), main select, main button')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML.slice(0, 120))
"""
# Wider than the window: the page itself scrolls sideways (tables scroll inside their own frame).
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _traffic(kit: HubKit) -> dict[str, str]:
    now = timezone.now()
    delivered = factories.delivered(
        kit, "GT-MP", created_at=now - timedelta(hours=3), attempts=2,
        attempt_digests=[factories.digest("first"), factories.digest("second")],
    )  # fmt: skip
    factories.delivered(kit, "GT-MP", type="alert", created_at=now - timedelta(hours=1))
    factories.sent("HN-MP", created_at=now - timedelta(minutes=40), attempts=4, last_error="unreachable: timed out")
    factories.sent(
        "HN-MP", created_at=now - timedelta(days=2), status=OutboundMessage.Status.FAILED, attempts=12,
        last_error="expired: no receipt before the policy's maximum age",
    )  # fmt: skip
    arrival = factories.received(kit, "GT-MP", processed_at=now)
    factories.received(kit, "HN-MP", type="request.information", processing_error="no handler for this type")
    factories.refused("unknown_sender", claimed_sender="PA-MP", claimed_id="7c0d9a36-1b8e-4c55-9d0e-2f1b3c4d5e6f")
    factories.refused("stale", claimed_sender="GT-MP", claimed_id=str(arrival.message_id), size=5120)
    factories.refused("rate_limited", size=1874, detail="more than 30 refusals from this address in a minute")
    with transaction.atomic():
        for kind, sha256 in (("envelope_sent", "first"), ("envelope_sent", "second"), ("receipt_received", "second")):
            evidence.record(kind, message_id=str(delivered.id), peer="GT-MP", sha256=factories.digest(sha256))
        evidence.record("envelope_received", message_id=str(arrival.message_id), peer="GT-MP")
    return {
        "sent_detail": reverse("messaging:sent_detail", args=[delivered.id]),
        "received_detail": reverse("messaging:received_detail", args=[arrival.sender, arrival.message_id]),
    }


def test_the_administrator_reads_every_network_page_wide_and_narrow(
    session: BrowserSession, page: Any, settings: Any
) -> None:
    kit = factories.network()
    settings.HUB_KEY = kit.pinned
    factories.store_directory(kit)
    urls = {name: reverse(f"messaging:{name}") for name in PAGES if "detail" not in name} | _traffic(kit)
    admin = UserFactory(username="sv.admin", full_name="Mario Reyes Flores", roles=[Role.NODE_ADMIN], with_totp=True)
    sign_in(page, admin)

    links = navigation_links(page)
    assert links.get(reverse("messaging:health")) == translated("Network", "es")
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        for name in PAGES:
            response = page.goto(urls[name])
            assert response.status == 200, name
            expect(page.locator("main h1")).to_be_visible()
            assert page.evaluate(UNNAMED_CONTROLS) == [], name
            assert page.evaluate(OVERFLOW) <= 0, f"{name} scrolls sideways at {width} px"
            session.screenshot(f"{name}-{width}")

    # The filters answer without reloading the page (htmx), and the address keeps them.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(urls["sent_list"])
    with page.expect_response(lambda response: "status=failed" in response.url):
        page.locator("select[name=status]").select_option("failed")
    expect(page.locator("#rows tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"[?&]status=failed"))
    expect(page.locator("#rows")).to_contain_text("expired")

    # A directory about to expire: the warning on every page.
    factories.store_directory(kit, version=4, issued_at=timezone.now() - timedelta(days=6, hours=12), validity=7 * DAY)
    page.goto(urls["health"])
    expect(page.locator(".directory-warning")).to_contain_text("4")
    session.screenshot("directory-expiring")


def test_the_auditor_sees_the_entry_and_another_role_does_not(session: BrowserSession, page: Any) -> None:
    auditor = UserFactory(username="sv.auditor", roles=[Role.AUDITOR], with_totp=True)
    sign_in(page, auditor)
    assert reverse("messaging:health") in navigation_links(page)
    response = page.goto(reverse("messaging:health"))
    assert response.status == 200
    expect(page.locator(".directory-warning")).to_be_visible()  # no directory on this node yet
