"""A person's own profile: password, forced password change, recovery codes, language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.accounts.tests.factories import TEST_PASSWORD, current_code
from vinculo.audit.models import AuditEntry

PASSWORD = reverse("accounts:password_change")
SECURITY = reverse("accounts:security")


def test_change_password(client: Client, prosecutor: User) -> None:
    client.force_login(prosecutor)
    new = "una frase larga de prueba 2026"
    response = client.post(
        PASSWORD, {"current_password": TEST_PASSWORD, "new_password": new, "new_password_again": new}
    )
    assert response["Location"] == reverse("accounts:profile")
    prosecutor.refresh_from_db()
    assert prosecutor.check_password(new)
    assert client.get(reverse("web:home")).status_code == 200, "the session survives its own password change"
    assert AuditEntry.objects.filter(action="account.password_changed").exists()


@pytest.mark.parametrize(
    ("current", "new", "again", "field"),
    [
        ("wrong", "una frase larga de prueba 2026", "una frase larga de prueba 2026", "current_password"),
        (TEST_PASSWORD, "short", "short", "new_password"),
        (TEST_PASSWORD, "123456789012345", "123456789012345", "new_password"),
        (TEST_PASSWORD, "una frase larga de prueba 2026", "otra frase distinta 2026", "new_password_again"),
    ],
)
def test_bad_password_changes_are_refused(
    client: Client, prosecutor: User, current: str, new: str, again: str, field: str
) -> None:
    client.force_login(prosecutor)
    response = client.post(PASSWORD, {"current_password": current, "new_password": new, "new_password_again": again})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    prosecutor.refresh_from_db()
    assert prosecutor.check_password(TEST_PASSWORD)


def test_one_time_password_forces_a_change_first(client: Client, prosecutor: User) -> None:
    prosecutor.must_change_password = True
    prosecutor.save()
    client.force_login(prosecutor)
    assert client.get(reverse("web:home"))["Location"] == PASSWORD
    assert client.get(reverse("accounts:profile"))["Location"] == PASSWORD
    assert client.get(PASSWORD).status_code == 200


def test_new_recovery_codes_need_a_current_code(client: Client, prosecutor: User) -> None:
    client.force_login(prosecutor)
    assert (
        client.post(SECURITY, {"code": "000000" if current_code(prosecutor) != "000000" else "111111"}).status_code
        == 400
    )
    response = client.post(SECURITY, {"code": current_code(prosecutor)})
    assert response["Location"] == reverse("accounts:recovery_codes")
    assert prosecutor.recovery_codes.filter(used_at__isnull=True).count() == 10
    assert AuditEntry.objects.filter(action="account.recovery_codes_regenerated").exists()


def test_profile_language_is_remembered_on_the_account(client: Client, prosecutor: User) -> None:
    client.force_login(prosecutor)
    client.post(reverse("web:set_language"), {"language": "en", "next": "/accounts/profile/"})
    prosecutor.refresh_from_db()
    assert prosecutor.language == "en"
    other = Client()
    other.force_login(prosecutor)
    response = other.get(reverse("accounts:profile"))
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()


def test_optional_roles_may_enrol_from_the_security_page(client: Client, analyst: User) -> None:
    import time

    from vinculo.accounts import totp
    from vinculo.accounts.services.second_factor import pending_secret

    client.force_login(analyst)
    page = client.get(reverse("accounts:enrol"))
    assert page.status_code == 200
    secret = pending_secret(User.objects.get(pk=analyst.pk))
    assert secret is not None
    response = client.post(reverse("accounts:enrol"), {"code": totp.code_at(secret, time.time())})
    assert response["Location"] == reverse("accounts:recovery_codes")
    analyst.refresh_from_db()
    assert analyst.has_second_factor
