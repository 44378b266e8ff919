"""Every role signs in and sees the navigation its permissions allow (one screenshot per role)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.helpers import html_lang, navigation_links, sign_in, translated
from tests.conftest import BrowserSession
from vinculo.accounts.roles import Role, second_factor_required
from vinculo.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_each_role_sees_only_its_navigation(session: BrowserSession, page: Any, role: Role) -> None:
    user = UserFactory(
        username=f"sv.{role.value.replace('_', '-')}",
        full_name=f"Persona {translated(role.label, 'es')}",
        roles=[role],
        with_totp=second_factor_required({role.value}),
    )

    sign_in(page, user)

    assert html_lang(page) == "es"
    expect(page.locator("main h1")).to_contain_text(user.full_name)
    expect(page.locator("main .tag", has_text=translated(role.label, "es"))).to_be_visible()
    links = navigation_links(page)
    users_url, audit_url = reverse("accounts:user_list"), reverse("audit:entry_list")
    assert links.get(reverse("web:home")) == translated("Home", "es")
    if role is Role.NODE_ADMIN:
        assert links.get(users_url) == translated("Users", "es")
    else:
        assert users_url not in links, links
    if role is Role.AUDITOR:
        assert links.get(audit_url) == translated("Audit trail", "es")
    else:
        assert audit_url not in links, links
    # Each link the navigation offers opens (no entry leads to a refusal or an error).
    for url in links:
        # Each page loads its notification count after itself; let that request end before the next
        # page (the live server's threads share one in-memory SQLite connection, so two requests at
        # once can meet inside one transaction, which a real node's own connections never do).
        page.wait_for_load_state("networkidle")
        response = page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        if url != reverse("web:home"):
            session.screenshot(url.strip("/").replace("/", "-"))
    page.goto(reverse("web:home"))
