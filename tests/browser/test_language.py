"""Spanish by default, English on request; a signed-in person's choice is kept on the account."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.helpers import html_lang, path_pattern, sign_in, translated
from tests.conftest import BrowserSession
from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.browser


def switch_language(page: Any, language: str) -> None:
    """Choose in the header's selector and press its "Change" button."""
    switch = page.locator("header form.language-switch")
    switch.locator("select[name=language]").select_option(language)
    with page.expect_navigation():
        switch.locator("[type=submit]").click()


def test_the_sign_in_page_is_spanish_and_switches_to_english(session: BrowserSession, page: Any) -> None:
    # The browser asks for English (Accept-Language: en-US); the node still starts in Spanish.
    response = page.goto(reverse("accounts:login"))
    assert response.headers.get("content-language") == "es"
    assert html_lang(page) == "es"
    expect(page.locator("main h1")).to_have_text(translated("Sign in", "es"))
    expect(page.locator("header form.language-switch [type=submit]")).to_have_text(translated("Change", "es"))

    switch_language(page, "en")

    expect(page).to_have_url(path_pattern(reverse("accounts:login")))
    assert html_lang(page) == "en"
    expect(page.locator("main h1")).to_have_text("Sign in")
    expect(page.locator("header select[name=language]")).to_have_value("en")
    session.screenshot("english")
    cookies = {cookie["name"]: cookie["value"] for cookie in session.context.cookies()}
    assert cookies.get(settings.LANGUAGE_COOKIE_NAME) == "en", cookies  # the node's own cookie name

    switch_language(page, "es")
    assert html_lang(page) == "es"


def test_a_signed_in_persons_choice_is_kept_on_their_account(
    session: BrowserSession, page: Any, browser: Any, live_server: Any
) -> None:
    user = UserFactory(username="sv.analista", full_name="Karla Reyes Mejía", roles=[Role.ANALYST], language="es")
    sign_in(page, user)
    assert html_lang(page) == "es"

    switch_language(page, "en")

    expect(page).to_have_url(path_pattern(reverse("web:home")))
    assert html_lang(page) == "en"
    expect(page.locator("main h1")).to_have_text("Welcome, Karla Reyes Mejía")
    assert User.objects.get(pk=user.pk).language == "en"

    # Another browser, with no cookies at all: English again as soon as the person signs in.
    other = browser.new_context(base_url=live_server.url, locale="es-SV")
    try:
        other_page = other.new_page()
        other_page.goto(reverse("accounts:login"))
        assert html_lang(other_page) == "es"
        sign_in(other_page, User.objects.get(pk=user.pk))
        assert html_lang(other_page) == "en"
    finally:
        other.close()
