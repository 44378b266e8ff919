"""Signing in with password and second factor, lockout, enrolment, sign-out and idle expiry."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vinculo.accounts import totp
from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.services import users
from vinculo.accounts.tests.factories import TEST_PASSWORD, UserFactory, current_code
from vinculo.audit.models import AuditEntry

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:login_verify")
ENROL = reverse("accounts:login_enrol")
HOME = reverse("web:home")

pytestmark = pytest.mark.django_db


def _password_step(client: Client, username: str, password: str = TEST_PASSWORD, **extra: str):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def _actions(user: User | None = None) -> list[str]:
    entries = AuditEntry.objects.order_by("seq")
    if user is not None:
        entries = entries.filter(actor=user)
    return list(entries.values_list("action", flat=True))


def test_password_then_totp_signs_in(client: Client, prosecutor: User) -> None:
    response = _password_step(client, "sv.fiscal")
    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert "_auth_user_id" not in client.session, "no session before the second factor"
    response = client.post(VERIFY, {"code": current_code(prosecutor)})
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert client.session["_auth_user_id"] == str(prosecutor.pk)
    assert _actions(prosecutor)[-1] == "auth.login"
    entry = AuditEntry.objects.filter(action="auth.login").get()
    assert entry.data == {"second_factor": "totp"}
    assert entry.request_id


def test_username_is_case_insensitive(client: Client, prosecutor: User) -> None:
    assert _password_step(client, "  SV.Fiscal ")["Location"] == VERIFY


def test_wrong_password_gives_the_same_message_as_unknown_user(client: Client, prosecutor: User) -> None:
    wrong = _password_step(client, "sv.fiscal", "not the password")
    unknown = _password_step(client, "nobody.here", "whatever")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 2


def test_messages_are_in_spanish_by_default(client: Client, prosecutor: User) -> None:
    response = _password_step(client, "sv.fiscal", "not the password")
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()


def test_wrong_totp_code_is_refused(client: Client, prosecutor: User) -> None:
    _password_step(client, "sv.fiscal")
    wrong = "000000" if current_code(prosecutor) != "000000" else "111111"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 401
    assert "_auth_user_id" not in client.session


def test_a_totp_code_cannot_be_used_twice(client: Client, prosecutor: User) -> None:
    code = current_code(prosecutor)
    _password_step(client, "sv.fiscal")
    client.post(VERIFY, {"code": code})
    other = Client()
    _password_step(other, "sv.fiscal")
    response = other.post(VERIFY, {"code": code})
    assert response.status_code == 401
    assert "_auth_user_id" not in other.session


def test_recovery_code_signs_in_once(client: Client, prosecutor: User) -> None:
    from vinculo.accounts.services import second_factor

    codes = second_factor._issue_recovery_codes(prosecutor)
    _password_step(client, "sv.fiscal")
    response = client.post(VERIFY, {"code": codes[0]})
    assert response["Location"] == HOME
    other = Client()
    _password_step(other, "sv.fiscal")
    assert other.post(VERIFY, {"code": codes[0]}).status_code == 401
    assert "auth.recovery_code_used" in _actions(prosecutor)


def test_verify_page_without_password_step_sends_back_to_login(client: Client, prosecutor: User) -> None:
    response = client.post(VERIFY, {"code": current_code(prosecutor)})
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session


def test_pending_marker_expires_after_five_minutes(client: Client, prosecutor: User) -> None:
    _password_step(client, "sv.fiscal")
    with time_machine.travel(time.time() + 301, tick=False):
        response = client.post(VERIFY, {"code": current_code(prosecutor)})
    assert response["Location"] == LOGIN


def test_lockout_after_repeated_failures(client: Client, prosecutor: User, settings) -> None:
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        assert _password_step(client, "sv.fiscal", "bad").status_code == 401
    response = _password_step(client, "sv.fiscal", "bad")
    prosecutor.refresh_from_db()
    assert prosecutor.locked_until is not None
    assert prosecutor.locked_until > timezone.now()
    assert "bloqueada" in response.content.decode()
    # Even the right password is refused while locked, with the same clear message.
    response = _password_step(client, "sv.fiscal")
    assert response.status_code == 401
    assert "bloqueada" in response.content.decode()
    assert "auth.locked" in _actions(prosecutor)
    assert "auth.login_refused_locked" in _actions(prosecutor)


def test_lockout_message_in_english_for_english_readers(client: Client, prosecutor: User, settings) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for _ in range(settings.LOGIN_MAX_FAILURES):
        response = _password_step(client, "sv.fiscal", "bad")
    assert "locked after too many failed attempts" in response.content.decode()


def test_lockout_emails_the_account_holder(
    client: Client, prosecutor: User, settings, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(settings.LOGIN_MAX_FAILURES):
            _password_step(client, "sv.fiscal", "bad")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [prosecutor.email]
    assert "bloqueada" in mail.outbox[0].subject


def test_wrong_second_factor_codes_also_lock(client: Client, prosecutor: User, settings) -> None:
    _password_step(client, "sv.fiscal")
    for _ in range(settings.LOGIN_MAX_FAILURES):
        response = client.post(VERIFY, {"code": "000001"})
    prosecutor.refresh_from_db()
    assert prosecutor.is_locked()
    assert response["Location"] == LOGIN


def test_lock_expires(client: Client, prosecutor: User, settings) -> None:
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _password_step(client, "sv.fiscal", "bad")
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES + 1)):
        assert _password_step(client, "sv.fiscal")["Location"] == VERIFY


def test_success_resets_the_failure_count(client: Client, prosecutor: User) -> None:
    _password_step(client, "sv.fiscal", "bad")
    _password_step(client, "sv.fiscal")
    client.post(VERIFY, {"code": current_code(prosecutor)})
    prosecutor.refresh_from_db()
    assert prosecutor.failed_login_count == 0


def test_deactivated_account_cannot_sign_in(client: Client, prosecutor: User) -> None:
    prosecutor.is_active = False
    prosecutor.save()
    assert _password_step(client, "sv.fiscal").status_code == 401


def test_role_with_case_data_must_enrol_before_the_session_starts(client: Client) -> None:
    UserFactory(username="sv.nuevo", roles=[Role.INVESTIGATOR])
    response = _password_step(client, "sv.nuevo")
    assert response["Location"] == ENROL
    page = client.get(ENROL)
    assert "<svg" in page.content.decode()
    assert "_auth_user_id" not in client.session
    person = User.objects.get(username="sv.nuevo")
    from vinculo.accounts.services.second_factor import pending_secret

    secret = pending_secret(person)
    assert secret is not None
    assert (
        client.post(
            ENROL, {"code": "000000" if totp.code_at(secret, time.time()) != "000000" else "111111"}
        ).status_code
        == 400
    )
    response = client.post(ENROL, {"code": totp.code_at(secret, time.time())})
    assert response["Location"] == reverse("accounts:recovery_codes")
    codes_page = client.get(response["Location"]).content.decode()
    assert codes_page.count("<li>") >= 10
    person.refresh_from_db()
    assert person.has_second_factor
    assert client.session["_auth_user_id"] == str(person.pk)
    # The codes are shown once only.
    assert client.get(reverse("accounts:recovery_codes"))["Location"] == reverse("accounts:security")


def test_aggregate_roles_sign_in_without_second_factor(client: Client, analyst: User) -> None:
    response = _password_step(client, "sv.analista")
    assert response["Location"] == HOME
    assert AuditEntry.objects.get(action="auth.login").data == {"second_factor": "not_required"}


def test_demo_accounts_skip_the_second_factor_only_in_demo_mode(client: Client, settings) -> None:
    UserFactory(username="sv.demo", roles=[Role.PROSECUTOR], is_demo_account=True)
    settings.DEMO_MODE = False
    assert _password_step(client, "sv.demo")["Location"] == ENROL
    settings.DEMO_MODE = True
    other = Client()
    assert _password_step(other, "sv.demo")["Location"] == HOME
    assert AuditEntry.objects.filter(action="auth.login").last().data == {"second_factor": "waived_demo"}


def test_demo_waiver_never_applies_to_ordinary_accounts(client: Client, settings) -> None:
    settings.DEMO_MODE = True
    UserFactory(username="sv.real", roles=[Role.PROSECUTOR])
    assert _password_step(client, "sv.real")["Location"] == ENROL


def test_next_parameter_is_followed_only_within_the_node(client: Client, analyst: User) -> None:
    assert _password_step(client, "sv.analista", next="/accounts/profile/")["Location"] == "/accounts/profile/"
    other = Client()
    assert _password_step(other, "sv.analista", next="https://evil.example/")["Location"] == HOME


def test_signing_out_ends_the_session_and_is_audited(client: Client, analyst: User) -> None:
    _password_step(client, "sv.analista")
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert client.get(HOME)["Location"].startswith(LOGIN)
    assert "auth.logout" in _actions(analyst)


def test_signing_out_needs_post(client: Client, analyst: User) -> None:
    client.force_login(analyst)
    assert client.get(reverse("accounts:logout")).status_code == 405


def test_idle_session_expires_with_a_message(client: Client, analyst: User, settings) -> None:
    _password_step(client, "sv.analista")
    assert client.get(HOME).status_code == 200
    later = time.time() + settings.SESSION_IDLE_MINUTES * 60 + 5
    with time_machine.travel(later, tick=False):
        response = client.get(HOME)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
        page = client.get(response["Location"]).content.decode()
    assert "expiró" in page
    assert "auth.session_expired" in _actions(analyst)


def test_activity_keeps_the_session_alive(client: Client, analyst: User, settings) -> None:
    _password_step(client, "sv.analista")
    step = settings.SESSION_IDLE_MINUTES * 60 - 10
    now = time.time()
    for i in range(1, 4):
        with time_machine.travel(now + i * step, tick=False):
            assert client.get(HOME).status_code == 200


def test_htmx_requests_get_a_redirect_header_when_the_session_expired(client: Client, analyst: User, settings) -> None:
    _password_step(client, "sv.analista")
    client.get(HOME)
    with time_machine.travel(time.time() + settings.SESSION_IDLE_MINUTES * 60 + 5, tick=False):
        response = client.get(HOME, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(LOGIN)


@pytest.mark.parametrize("persona", ["prosecutor", "node_admin"])
def test_sessions_begin_with_a_new_key(client: Client, persona: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(persona)
    client.get(LOGIN)
    _password_step(client, user.username)
    before = client.session.session_key
    client.post(VERIFY, {"code": current_code(user)})
    assert client.session.session_key != before


def test_new_account_sees_its_recovery_codes_before_changing_password(client: Client) -> None:
    """A first sign-in with a one-time password: enrol, see the codes, then choose a password."""
    _user, password = users.create_user(
        by=None, username="sv.primera", full_name="Rosa Cruz", email="", roles=["prosecutor"]
    )
    assert _password_step(client, "sv.primera", password)["Location"] == ENROL
    from vinculo.accounts.services.second_factor import pending_secret

    client.get(ENROL)
    secret = pending_secret(User.objects.get(username="sv.primera"))
    response = client.post(ENROL, {"code": totp.code_at(secret, time.time())})
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "codes" in page.content.decode()
    assert client.get(HOME)["Location"] == reverse("accounts:password_change")
