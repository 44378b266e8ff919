"""The web shell: navigation per role, language switch, error pages and CSRF in the reader's language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.accounts.tests.factories import TEST_PASSWORD
from vinculo.audit.models import AuditEntry

NAV_USERS = 'href="/accounts/users/"'
NAV_AUDIT = 'href="/audit/"'


@pytest.mark.parametrize(
    ("persona", "sees_users", "sees_audit"),
    [
        ("prosecutor", False, False),
        ("focal_point", False, False),
        ("victim_care", False, False),
        ("judge", False, False),
        ("analyst", False, False),
        ("trainer", False, False),
        ("node_admin", True, False),
        ("auditor", False, True),
    ],
)
def test_navigation_follows_the_permission_matrix(
    client: Client, persona: str, sees_users: bool, sees_audit: bool, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)
    client.force_login(user)
    page = client.get("/").content.decode()
    assert user.full_name in page
    assert (NAV_USERS in page) is sees_users
    assert (NAV_AUDIT in page) is sees_audit


def test_home_lists_what_the_person_may_do_in_their_language(client: Client, judge: User) -> None:
    client.force_login(judge)
    english = Client()
    judge.language = "en"
    judge.save()
    english.force_login(judge)
    assert "See the office&#x27;s case files" in english.get("/").content.decode()


def test_home_shows_recent_sign_ins(client: Client, analyst: User) -> None:
    client.post(reverse("accounts:login"), {"username": analyst.username, "password": TEST_PASSWORD})
    page = client.get("/").content.decode()
    assert "127.0.0.1" in page


def test_anonymous_language_switch_sets_a_cookie(client: Client, settings, db: None) -> None:
    response = client.post(reverse("web:set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response["Location"] == "/accounts/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/accounts/login/")
    assert page["Content-Language"] == "en"
    assert "Sign in" in page.content.decode()


def test_language_switch_refuses_unknown_languages_and_foreign_redirects(client: Client, db: None, settings) -> None:
    response = client.post(reverse("web:set_language"), {"language": "fr", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_browser_language_is_ignored_spanish_is_the_default(client: Client, db: None) -> None:
    response = client.get("/accounts/login/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response["Content-Language"] == "es"


def test_csrf_failure_is_explained_and_changes_nothing(prosecutor: User, db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    before = AuditEntry.objects.count()
    response = client.post(reverse("accounts:login"), {"username": "sv.fiscal", "password": TEST_PASSWORD})
    assert response.status_code == 403
    body = response.content.decode()
    assert '<html lang="es">' in body
    assert "Nothing was changed" in body or "No se cambió nada" in body
    assert AuditEntry.objects.count() == before
    assert "_auth_user_id" not in client.session


def test_tampered_csrf_token_is_refused(prosecutor: User, db: None, settings) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("accounts:login"))
    response = client.post(
        reverse("accounts:login"),
        {"username": "sv.fiscal", "password": TEST_PASSWORD, "csrfmiddlewaretoken": "x" * 64},
    )
    assert response.status_code == 403


def test_not_found_page_is_translated(client: Client, db: None, settings) -> None:
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert '<html lang="es">' in response.content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Page not found" in client.get("/nothing-here/").content.decode()


def test_forbidden_page_explains_what_to_do(client: Client, analyst: User, settings) -> None:
    analyst.language = "en"
    analyst.save()
    client.force_login(analyst)
    response = client.get("/accounts/users/")
    assert response.status_code == 403
    assert "ask your node administrator" in response.content.decode()


def test_demo_banner_only_in_demo_mode(client: Client, db: None, settings) -> None:
    settings.DEMO_MODE = False
    assert "demo-banner" not in client.get("/accounts/login/").content.decode()
    settings.DEMO_MODE = True
    assert "demo-banner" in client.get("/accounts/login/").content.decode()


def test_pages_have_landmarks_and_a_skip_link(client: Client, node_admin: User) -> None:
    client.force_login(node_admin)
    page = client.get("/accounts/users/").content.decode()
    for marker in (
        "<header",
        '<nav class="site-nav" aria-label=',
        '<main id="main"',
        "<footer",
        'class="skip-link" href="#main"',
    ):
        assert marker in page
    assert 'aria-current="page"' in page
