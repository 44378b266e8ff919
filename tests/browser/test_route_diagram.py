"""The route diagram on a case page, in a real browser: drawn, within the CSP, readable in print."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.helpers import sign_in
from tests.conftest import BrowserSession, screenshot_dir
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.cases.services import events
from vinculo.cases.tests.factories import code, open_case
from vinculo.reference.models import BorderCrossing, Country

pytestmark = pytest.mark.browser

# Recruited in Honduras, taken through Guatemala to southern Mexico, found there and returned.
STEPS = [
    ("RECRUITMENT", date(2025, 2, 3), "day", "HN", "San Pedro Sula, Cortés", None),
    ("DEPARTURE", date(2025, 2, 10), "day", "HN", "Tegucigalpa", None),
    ("BORDER_CROSSING", date(2025, 2, 11), "day", None, "", "GTM-HND-02"),
    ("HARBOURING", date(2025, 2, 14), "day", "GT", "Ciudad de Guatemala", None),
    ("BORDER_CROSSING", date(2025, 3, 1), "month", None, "", "GTM-MEX-01"),
    ("EXPLOITATION", date(2025, 3, 1), "month", "MX", "Tapachula, Chiapas", None),
    ("RESCUE", date(2025, 9, 18), "day", "MX", "Tapachula, Chiapas", None),
    ("REPATRIATION", date(2025, 10, 2), "day", "HN", "San Pedro Sula, Cortés", None),
]


def test_the_case_page_draws_the_route_across_countries(session: BrowserSession, page: Any) -> None:
    prosecutor = UserFactory(username="sv.fiscal", roles=[Role.PROSECUTOR], with_totp=True)
    case = open_case(prosecutor)
    for kind, when, precision, country, place, crossing in STEPS:
        events.add_event(
            by=prosecutor,
            case=case,
            event_type=code("event_type", kind),
            occurred_on=when,
            occurred_on_precision=precision,
            country=Country.objects.get(iso2=country) if country else None,
            place=place,
            border_crossing=BorderCrossing.objects.get(code=crossing) if crossing else None,
        )

    sign_in(page, prosecutor)
    page.goto(reverse("cases:case_detail", args=[case.pk]))

    diagram = page.locator("figure.route-diagram svg[role=img]")
    expect(diagram).to_be_visible()
    expect(diagram.locator(".route-leg-numbers text")).to_have_count(5)
    expect(diagram.locator(".route-crossing")).to_have_count(2)
    box = diagram.bounding_box()
    assert box["width"] > 900, "the diagram uses the width of the panel"
    assert 0.5 < box["height"] / box["width"] < 0.7, "drawn at its own proportions"
    diagram.screenshot(path=str(screenshot_dir(session.request.config) / "route-diagram.png"))
    page.emulate_media(media="print")
    session.screenshot("print")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 360, "height": 740})
    figure = page.locator("figure.route-diagram")
    assert figure.evaluate("f => f.scrollWidth > f.clientWidth"), "on a phone the diagram scrolls sideways"
    assert figure.bounding_box()["width"] <= 360, "within the screen"
    session.screenshot("phone")
