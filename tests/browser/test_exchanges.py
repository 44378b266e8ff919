"""An information request from SV to GT and back, through the pages in a real browser (screenshots of each).

SV's prosecutor composes and sends it; GT's focal point acknowledges it and assigns it; GT's
prosecutor answers it; SV's prosecutor reads the answer and the timeline. Both offices are served
by the one live server and talk through the in-process network (real envelopes and receipts): while
GT's people act, the network and the node's id are GT's. Every page is also read at 360 px.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.helpers import navigation_links, sign_in, translated
from tests.conftest import BrowserSession, screenshot_dir
from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.cases.tests.factories import open_case
from vinculo.exchanges.lifecycle import Side, State
from vinculo.exchanges.models import InformationRequest
from vinculo.exchanges.tests.test_requests import deliver_all
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

UNNAMED_CONTROLS = """
() => [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea, main button')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML.slice(0, 120))
"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


class Offices:
    """Which office the live server is, for everyone at once (the server answers in threads of its own)."""

    def __init__(self, net: FakeNetwork, settings: Any) -> None:  # noqa: F811
        self.net, self.settings = net, settings
        net._current = types.SimpleNamespace(node="SV-FGR")  # shared by every thread, not per thread

    @contextlib.contextmanager
    def of(self, node_id: str) -> Iterator[None]:
        before = self.net.current
        self.net.current = self.settings.NODE_ID = node_id
        try:
            yield
        finally:
            self.net.current = self.settings.NODE_ID = before


class People:
    """A browser context per person, each signed in once, with what their pages log kept for the CSP check."""

    def __init__(self, session: BrowserSession, base_url: str) -> None:
        self.session, self.base_url = session, base_url
        self.pages: dict[str, Any] = {}

    def page_of(self, user: User) -> Any:
        if user.username not in self.pages:
            if not self.pages:
                page = self.session.page
            else:
                context = self.session.context.browser.new_context(
                    base_url=self.base_url, locale="en-US", viewport={"width": 1280, "height": 900}
                )
                context.set_default_timeout(15_000)
                page = context.new_page()
                page.on("console", lambda message: self.session.console.append(f"{message.type}: {message.text}"))
            sign_in(page, user)
            self.pages[user.username] = page
        return self.pages[user.username]

    def shoot(self, page: Any, name: str) -> None:
        path = screenshot_dir(self.session.request.config) / f"exchanges-{name}.png"
        page.screenshot(path=str(path), full_page=True)

    def close(self) -> None:
        for page in self.pages.values():
            if page.context is not self.session.context:
                page.context.close()


def _check(page: Any, what: str) -> None:
    expect(page.locator("main h1")).to_be_visible()
    assert page.evaluate(UNNAMED_CONTROLS) == [], what
    assert page.evaluate(OVERFLOW) <= 0, f"{what} scrolls sideways at {page.viewport_size['width']} px"


def _press(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def test_a_request_from_sv_is_answered_by_gt_through_the_pages(
    session: BrowserSession,
    page: Any,
    net: FakeNetwork,  # noqa: F811
    settings: Any,
    live_server: Any,
) -> None:
    offices = Offices(net, settings)
    people = People(session, live_server.url)
    sv_prosecutor = UserFactory(username="sv.fiscal", full_name="Ana Morales Castillo", roles=[Role.PROSECUTOR],
                                with_totp=True)  # fmt: skip
    gt_focal_point = UserFactory(username="gt.enlace", full_name="Julio Pérez Ajú", office_code="GT-MP",
                                 roles=[Role.FOCAL_POINT], with_totp=True)  # fmt: skip
    gt_prosecutor = UserFactory(username="gt.fiscal", full_name="Lucía Tzul Xec", office_code="GT-MP",
                                roles=[Role.PROSECUTOR], with_totp=True)  # fmt: skip
    open_case(sv_prosecutor, "FGR-2026-014")
    try:
        _walk(offices, people, sv_prosecutor, gt_focal_point, gt_prosecutor)
    finally:
        people.close()


def _walk(offices: Offices, people: People, sv_prosecutor: User, gt_focal_point: User, gt_prosecutor: User) -> None:
    # --- SV's prosecutor composes the request and sends it ---------------------------------------
    sv = people.page_of(sv_prosecutor)
    assert navigation_links(sv).get(reverse("exchanges:request_list")) == translated("Exchanges", "es")
    sv.goto(reverse("exchanges:request_list"))
    _press(sv, "main a[href$='/exchanges/new/']")
    _check(sv, "compose")
    people.shoot(sv, "compose")
    _press(sv, "button[name=then][value=send]")  # nothing filled in: every error in Spanish
    expect(sv.locator(".field-error").first).to_be_visible()
    expect(sv.locator("main")).to_contain_text("Este campo es obligatorio.")
    people.shoot(sv, "compose-errors")

    sv.locator("select[name=counterpart]").select_option("GT-MP")
    sv.locator("select[name=request_type]").select_option("migration_movements")
    sv.locator("input[name=subject]").fill("Movimientos migratorios, caso FGR-2026-014")
    sv.locator("input[name=legal_basis]").fill("Memorando de Entendimiento, art. 4; Código Procesal Penal, art. 270")
    sv.locator("input[name=urgency][value=priority]").check()
    sv.locator("textarea[name=text]").fill(
        "Solicitamos los movimientos migratorios de Marleny Quintanilla Ruiz entre enero y marzo de 2026."
    )
    sv.locator("textarea[name=items]").fill("Entradas y salidas por El Florido\nDocumento de viaje usado")
    for code in ("H0", "H2", "H3"):
        sv.locator(f"input[name=handling][value={code}]").check()
    sv.locator("input[name=purpose]").fill("Investigación del caso FGR-2026-014")
    sv.locator("textarea[name=conditions]").fill("Respuesta sólo al fiscal del caso.")
    sv.locator("select[name=source_grade]").select_option("B")
    sv.locator("select[name=information_grade]").select_option("2")
    sv.locator("input[name=case]").fill("FGR-2026-014")
    people.shoot(sv, "compose-filled")
    _press(sv, "button[name=then][value=send]")
    expect(sv.locator(".message-success")).to_be_visible()
    outgoing = InformationRequest.objects.get(side=Side.OUTGOING)
    assert outgoing.state == State.SENT
    expect(sv.locator("main h1")).to_have_text("Movimientos migratorios, caso FGR-2026-014")
    expect(sv.locator(".conditions")).to_contain_text("Respuesta sólo al fiscal del caso.")
    _check(sv, "request sent")
    people.shoot(sv, "sv-sent")

    deliver_all(offices.net)

    # --- GT's focal point acknowledges and assigns it ---------------------------------------------
    with offices.of("GT-MP"):
        desk = people.page_of(gt_focal_point)
        desk.goto(reverse("exchanges:desk"))
        _check(desk, "desk")
        expect(desk.locator("section[aria-labelledby=triage-heading]")).to_contain_text("Movimientos migratorios")
        people.shoot(desk, "gt-desk")
        _press(desk, "section[aria-labelledby=triage-heading] tbody a")
        expect(desk.locator(".sealed-text")).to_contain_text("Marleny Quintanilla Ruiz")
        _check(desk, "incoming request")
        people.shoot(desk, "gt-incoming")
        _press(desk, "form[action$='/acknowledge/'] button")
        expect(desk.locator(".message-success")).to_be_visible()
        desk.locator("select[name=person]").select_option(label="Lucía Tzul Xec")
        _press(desk, "form[action$='/assign/'] button[type=submit]")
        expect(desk.locator(".message-success")).to_contain_text("Lucía Tzul Xec")
        people.shoot(desk, "gt-assigned")
    deliver_all(offices.net)

    # --- GT's prosecutor answers it ----------------------------------------------------------------
    with offices.of("GT-MP"):
        answering = people.page_of(gt_prosecutor)
        answering.goto(reverse("exchanges:request_list"))
        _press(answering, "#rows tbody a")
        _check(answering, "assigned request")
        form = answering.locator("form[action$='/answer/']")
        form.locator("textarea[name=text]").fill(
            "Registra dos entradas por El Florido (12 y 30 de enero) y una salida por Pedro de Alvarado el"
            " 2 de marzo, con pasaporte salvadoreño."
        )
        form.locator("input[name=completeness][value=complete]").check()
        form.locator("input[name=handling][value=H1]").check()
        form.locator("select[name=source_grade]").select_option("A")
        form.locator("select[name=information_grade]").select_option("1")
        people.shoot(answering, "gt-answer-form")
        _press(answering, "form[action$='/answer/'] button[type=submit]")
        expect(answering.locator(".message-success")).to_be_visible()
        expect(answering.locator("#steps")).to_have_count(0)  # answered: nothing more to do
        people.shoot(answering, "gt-answered")
    deliver_all(offices.net)

    # --- SV reads the answer and the timeline ------------------------------------------------------
    sv.goto(reverse("exchanges:request_detail", args=[outgoing.pk]))
    outgoing.refresh_from_db()
    assert outgoing.state == State.ANSWERED
    expect(sv.locator(".answer")).to_contain_text("Pedro de Alvarado")
    timeline = sv.locator(".exchange-timeline li")
    expect(timeline).to_have_count(outgoing.events.count())
    expect(sv.locator(".exchange-timeline")).to_contain_text("Ministerio Público de Guatemala")
    _check(sv, "answered request")
    people.shoot(sv, "sv-answered")
    sv.goto(reverse("exchanges:request_list"))
    _check(sv, "list")
    people.shoot(sv, "sv-list")

    # --- the same pages on a phone -----------------------------------------------------------------
    narrow = {"width": 360, "height": 800}
    sv.set_viewport_size(narrow)
    for name, url in (
        ("list", reverse("exchanges:request_list")),
        ("compose", reverse("exchanges:request_create")),
        ("request", reverse("exchanges:request_detail", args=[outgoing.pk])),
    ):
        sv.goto(url)
        _check(sv, f"{name} at 360 px")
        people.shoot(sv, f"sv-{name}-360")
    with offices.of("GT-MP"):
        incoming = InformationRequest.objects.get(side=Side.INCOMING)
        desk.set_viewport_size(narrow)
        for name, url in (
            ("desk", reverse("exchanges:desk")),
            ("request", reverse("exchanges:request_detail", args=[incoming.pk])),
        ):
            desk.goto(url)
            _check(desk, f"GT {name} at 360 px")
            people.shoot(desk, f"gt-{name}-360")
