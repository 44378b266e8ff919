"""The Content Security Policy is sent on every page, and the pages respect it in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.browser.helpers import enter_password, sign_in
from tests.conftest import CSP_MARKER, BrowserSession
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.browser


def test_every_page_has_the_csp_header_and_no_page_violates_it(session: BrowserSession, page: Any) -> None:
    documents: list[tuple[str, dict[str, str]]] = []
    page.on(
        "response",
        lambda response: (
            documents.append((response.url, response.headers)) if response.request.resource_type == "document" else None
        ),
    )
    # Anonymous pages, an error page, the enrolment page (inline SVG) and the pages of two roles
    # whose navigation differs: together they load every template the shell has today.
    page.goto(reverse("accounts:login"))
    page.goto("/no-such-page/")
    newcomer = UserFactory(username="sv.victimas", roles=[Role.VICTIM_CARE])
    enter_password(page, newcomer.username)
    page.wait_for_selector("figure.qr svg")
    page.goto(reverse("accounts:login"))  # abandon the enrolment; the pending marker expires
    admin = UserFactory(username="sv.admin", roles=[Role.NODE_ADMIN], with_totp=True)
    sign_in(page, admin)
    for name in ("accounts:profile", "accounts:security", "accounts:user_list", "accounts:user_create"):
        page.goto(reverse(name))
    page.goto(reverse("accounts:user_detail", args=[newcomer.pk]))
    submit_logout(page)
    auditor = UserFactory(username="sv.auditor", roles=[Role.AUDITOR], with_totp=True)
    sign_in(page, auditor)
    page.goto(reverse("audit:entry_list"))

    assert len(documents) >= 10, documents
    for url, headers in documents:
        policy = headers.get("content-security-policy", "")
        assert "default-src 'none'" in policy, f"{url}: {policy!r}"
        assert "script-src 'self'" in policy, f"{url}: {policy!r}"
        assert "frame-ancestors 'none'" in policy, f"{url}: {policy!r}"
    # Nothing in the console about the policy (the session fixture checks this after every
    # browser test too; here it is the point of the test).
    assert not session.csp_violations, session.csp_violations
    assert not [line for line in session.console if line.startswith("pageerror")], session.console

    # The detector itself works: an inline style injected now is refused and reported.
    with page.expect_console_message(lambda message: CSP_MARKER in message.text):
        page.evaluate("document.head.append(Object.assign(document.createElement('style'), {textContent: 'p{}'}))")
    assert session.csp_violations
    session.console.clear()


def submit_logout(page: Any) -> None:
    with page.expect_navigation():
        page.locator("header .user-menu form [type=submit]").click()
