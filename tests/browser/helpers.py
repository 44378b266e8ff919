"""Steps the browser tests share: signing in through the real forms, reading the shell."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from playwright.sync_api import expect

from vinculo.accounts.models import User
from vinculo.accounts.tests.factories import TEST_PASSWORD, current_code


def submit(page: Any) -> Any:
    """Press the main form's submit button (the header has forms of its own) and wait for the answer."""
    with page.expect_navigation():
        page.locator("main form [type=submit]").first.click()
    return page


def enter_password(page: Any, username: str, password: str = TEST_PASSWORD) -> None:
    page.goto(reverse("accounts:login"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    submit(page)


def sign_in(page: Any, user: User, *, password: str = TEST_PASSWORD) -> None:
    """Username and password, then the authenticator's current code when the person has one."""
    enter_password(page, user.username, password)
    if user.has_second_factor:
        expect(page).to_have_url(path_pattern(reverse("accounts:login_verify")))
        page.locator("input[name=code]").fill(current_code(user))
        submit(page)
    expect(page).to_have_url(path_pattern(reverse("web:home")))


def path_pattern(path: str) -> Any:
    """A URL pattern matching exactly this path on the live server (any query string)."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}(\?.*)?$")


def html_lang(page: Any) -> str:
    return str(page.locator("html").get_attribute("lang"))


def translated(text: str | Promise, language: str) -> str:
    """How the node shows one of its strings (a msgid or a lazy label) in ``language``, per its catalogue."""
    with translation.override(language):
        return str(text) if isinstance(text, Promise) else translation.gettext(text)


def navigation_links(page: Any) -> dict[str, str]:
    """The main navigation's entries: href → visible label."""
    links = page.locator("nav.site-nav a")
    return {links.nth(i).get_attribute("href"): links.nth(i).inner_text().strip() for i in range(links.count())}
