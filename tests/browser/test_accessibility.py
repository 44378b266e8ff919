"""Keyboard use and labelling in a real browser: the skip link, focus order, every control named."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.browser.helpers import sign_in
from tests.conftest import BrowserSession
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.browser

# Controls without an accessible name: no <label for>, no wrapping label, no aria-label(ledby).
UNNAMED_CONTROLS = """
() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(el => {
    if (el.labels && el.labels.length) return false;
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
    if (el.tagName === 'BUTTON' && el.textContent.trim()) return false;
    return true;
  })
  .map(el => el.outerHTML.slice(0, 120))
"""

LANDMARKS = "() => ['header', 'nav', 'main', 'footer'].filter(tag => !document.querySelector(tag))"


def test_keyboard_reaches_the_skip_link_first_and_it_moves_focus_to_main(session: BrowserSession, page: Any) -> None:
    sign_in(page, UserFactory(username="sv.analista", roles=[Role.ANALYST]))
    page.goto(reverse("web:home"))
    page.keyboard.press("Tab")
    assert "skip-link" in page.evaluate("() => document.activeElement.className")
    assert page.locator(".skip-link").is_visible(), "the skip link shows when it has focus"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    # The next Tab lands inside the main area, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('main')")


def test_the_sign_in_page_focuses_the_username_field(session: BrowserSession, page: Any) -> None:
    page.goto(reverse("accounts:login"))
    assert page.evaluate("() => document.activeElement.name") == "username"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.name") == "password"


def test_the_sign_in_form_can_be_used_with_the_keyboard_alone(session: BrowserSession, page: Any) -> None:
    UserFactory(username="sv.analista", roles=[Role.ANALYST])
    page.goto(reverse("accounts:login"))
    page.locator("input[name=username]").focus()
    page.keyboard.type("sv.analista")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery staple")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(reverse("web:home"))


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_control_has_a_name_and_pages_have_landmarks(session: BrowserSession, page: Any, language: str) -> None:
    admin = UserFactory(username="sv.admin", roles=[Role.NODE_ADMIN], with_totp=True, language=language)
    auditor = UserFactory(username="sv.auditor", roles=[Role.AUDITOR], with_totp=True, language=language)
    page.goto(reverse("accounts:login"))
    problems = {reverse("accounts:login"): page.evaluate(UNNAMED_CONTROLS)}
    sign_in(page, admin)
    for name in ("web:home", "accounts:profile", "accounts:security", "accounts:user_list", "accounts:user_create"):
        page.goto(reverse(name))
        problems[reverse(name)] = page.evaluate(UNNAMED_CONTROLS) + page.evaluate(LANDMARKS)
    page.goto(reverse("accounts:user_detail", args=[auditor.pk]))
    problems["user_detail"] = page.evaluate(UNNAMED_CONTROLS)
    # The page loads its notification count after itself: let that request end first, or its answer
    # (which refreshes the session) would bring the administrator's session cookie back.
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    sign_in(page, auditor)
    page.goto(reverse("audit:entry_list"))
    problems[reverse("audit:entry_list")] = page.evaluate(UNNAMED_CONTROLS) + page.evaluate(LANDMARKS)
    assert {path: found for path, found in problems.items() if found} == {}


def test_pages_fit_a_phone_screen_without_sideways_scrolling(
    browser: Any, live_server: Any, transactional_db: None
) -> None:
    from tests.conftest import load_reference_data

    load_reference_data()
    admin = UserFactory(username="sv.admin", roles=[Role.NODE_ADMIN], with_totp=True)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740}, is_mobile=True)
    try:
        page = context.new_page()
        sign_in(page, admin)
        for name in ("web:home", "accounts:user_list", "accounts:profile"):
            page.goto(reverse(name))
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{name} is {overflow}px wider than the phone screen"
    finally:
        context.close()
