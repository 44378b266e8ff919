"""Every response carries the CSP and security headers; templates hold no inline code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from vinculo.accounts.models import User

ROOT = Path(__file__).resolve().parents[3]
REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def _check(response) -> None:
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    for header, value in REQUIRED.items():
        assert response[header] == value, header
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Request-ID"]


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/", "/no/such/page/", "/static/css/vinculo.css", "/api/v1/node", "/api/v1/me", "/audit/"],
)
def test_anonymous_responses_carry_the_headers(client: Client, path: str, db: None) -> None:
    _check(client.get(path))


@pytest.mark.parametrize(
    "path", ["/", "/accounts/profile/", "/accounts/security/", "/accounts/users/", "/accounts/users/new/", "/api/v1/me"]
)
def test_signed_in_responses_carry_the_headers(client: Client, node_admin: User, path: str) -> None:
    client.force_login(node_admin)
    response = client.get(path)
    assert response.status_code == 200
    _check(response)


def test_pages_are_not_cached(client: Client, node_admin: User) -> None:
    client.force_login(node_admin)
    assert "no-store" in client.get("/accounts/users/")["Cache-Control"]


def test_a_well_formed_request_id_from_the_proxy_is_kept(client: Client, db: None) -> None:
    response = client.get("/accounts/login/", headers={"X-Request-ID": "proxy-1234abcd"})
    assert response["X-Request-ID"] == "proxy-1234abcd"
    forged = client.get("/accounts/login/", headers={"X-Request-ID": "<script>"})
    assert forged["X-Request-ID"] != "<script>"


def _templates() -> list[Path]:
    return [p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts]


def test_templates_have_no_inline_script_style_or_handlers() -> None:
    templates = _templates()
    assert len(templates) > 10
    for path in templates:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"inline <script> in {path.name}"
        assert not re.search(r"<style\b", text), f"<style> in {path.name}"
        assert not re.search(r"\sstyle=", text), f"style attribute in {path.name}"
        assert not re.search(r"\son[a-z]+=", text), f"event handler attribute in {path.name}"
        assert "hx-on" not in text, f"hx-on (needs eval) in {path.name}"


def test_static_files_do_not_load_anything_from_the_internet() -> None:
    for path in list(ROOT.glob("static/**/*.css")) + list(ROOT.glob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"https?://", text), path
        assert "@import url(http" not in text, path


def test_the_session_and_csrf_cookies_are_named_after_the_node(client: Client, analyst: User, settings) -> None:
    response = client.get("/accounts/login/")
    assert settings.CSRF_COOKIE_NAME in response.cookies
    assert settings.CSRF_COOKIE_NAME == "vinculo_sv_fgr_csrftoken"
    assert response.cookies[settings.CSRF_COOKIE_NAME]["httponly"]
