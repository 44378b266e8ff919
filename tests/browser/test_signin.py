"""Signing in through the real pages: password and code, enrolment of the code, lockout."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.helpers import enter_password, path_pattern, sign_in, submit
from tests.conftest import BrowserSession
from vinculo.accounts import totp
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.browser


def test_password_and_code_lead_to_the_home_page(session: BrowserSession, page: Any) -> None:
    user = UserFactory(username="sv.fiscal", full_name="Ana Morales Castillo", roles=[Role.PROSECUTOR], with_totp=True)

    sign_in(page, user)

    expect(page.locator("h1")).to_contain_text("Ana Morales Castillo")
    expect(page.locator("header .user-name")).to_have_text("Ana Morales Castillo")
    cookies = {cookie["name"] for cookie in session.context.cookies()}
    assert settings.SESSION_COOKIE_NAME in cookies, cookies  # the node's own cookie name (vinculo_sv_fgr_session)


def _a_wrong_code(user: Any) -> str:
    valid = {totp.code_at(user.totp_secret, time.time() + step * totp.STEP_SECONDS) for step in (-1, 0, 1, 2)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444") if code not in valid)


def test_a_wrong_code_is_refused_with_an_error(page: Any) -> None:
    user = UserFactory(username="sv.enlace", roles=[Role.FOCAL_POINT], with_totp=True)

    enter_password(page, user.username)
    expect(page).to_have_url(path_pattern(reverse("accounts:login_verify")))
    page.locator("input[name=code]").fill(_a_wrong_code(user))
    submit(page)

    expect(page).to_have_url(path_pattern(reverse("accounts:login_verify")))
    error = page.locator(".field-error .errorlist")
    expect(error).to_be_visible()
    expect(page.locator("input[name=code]")).to_have_attribute("aria-invalid", "true")
    assert page.locator("header .user-name").count() == 0, "not signed in"
    user.refresh_from_db()
    assert user.failed_login_count == 1


def test_a_role_that_needs_a_second_factor_enrols_it_while_signing_in(session: BrowserSession, page: Any) -> None:
    user = UserFactory(username="sv.investigador", roles=[Role.INVESTIGATOR])
    assert user.needs_second_factor
    assert not user.has_second_factor

    enter_password(page, user.username)

    expect(page).to_have_url(path_pattern(reverse("accounts:login_enrol")))
    expect(page.locator("figure.qr svg")).to_be_visible()
    grouped = page.locator(".secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", grouped), grouped
    session.screenshot("enrol")
    secret = grouped.replace(" ", "")
    page.locator("input[name=code]").fill(totp.code_at(secret, time.time()))
    submit(page)

    expect(page).to_have_url(path_pattern(reverse("accounts:recovery_codes")))
    codes = page.locator("ul.codes li")
    expect(codes.first).to_be_visible()
    assert codes.count() >= 8
    user.refresh_from_db()
    assert user.has_second_factor


def test_five_wrong_passwords_lock_the_account(page: Any) -> None:
    user = UserFactory(username="sv.juez", roles=[Role.JUDGE], with_totp=True)

    for _attempt in range(settings.LOGIN_MAX_FAILURES):
        enter_password(page, user.username, "not the password at all")

    alert = page.locator("main [role=alert]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("bloqueada")  # Spanish by default, whatever the browser's language
    user.refresh_from_db()
    assert user.locked_until is not None

    # Even the right password is refused now, with the same message.
    enter_password(page, user.username)
    expect(page.locator("main [role=alert]")).to_contain_text("bloqueada")
    assert page.locator("header .user-name").count() == 0
