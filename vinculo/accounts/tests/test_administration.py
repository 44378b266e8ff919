"""User administration by the node administrator, checked with personas."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.services import users
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.core.errors import DomainError

LIST = reverse("accounts:user_list")
CREATE = reverse("accounts:user_create")


def _detail(user: User) -> str:
    return reverse("accounts:user_detail", args=[user.pk])


def _action(user: User, action: str) -> str:
    return reverse("accounts:user_action", args=[user.pk, action])


@pytest.fixture
def admin_client(client: Client, node_admin: User) -> Client:
    client.force_login(node_admin)
    return client


@pytest.mark.parametrize("persona", ["prosecutor", "focal_point", "auditor", "analyst", "judge"])
def test_only_node_administrators_manage_users(client: Client, persona: str, request: pytest.FixtureRequest) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(LIST).status_code == 403
    assert client.post(CREATE, {"username": "x.y"}).status_code == 403
    assert AuditEntry.objects.filter(action="access.denied").count() == 2


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_list_shows_only_this_offices_accounts(admin_client: Client, prosecutor: User, foreign_admin: User) -> None:
    page = admin_client.get(LIST).content.decode()
    assert prosecutor.full_name in page
    assert foreign_admin.username not in page


def test_another_offices_account_is_not_found(admin_client: Client, foreign_admin: User) -> None:
    assert admin_client.get(_detail(foreign_admin)).status_code == 404
    assert admin_client.post(_action(foreign_admin, "deactivate")).status_code == 404
    foreign_admin.refresh_from_db()
    assert foreign_admin.is_active


def test_list_filters_by_text_role_and_status(admin_client: Client, prosecutor: User, judge: User) -> None:
    page = admin_client.get(LIST, {"role": Role.JUDGE.value}).content.decode()
    assert judge.username in page
    assert prosecutor.username not in page
    page = admin_client.get(LIST, {"text": "morales"}).content.decode()
    assert prosecutor.username in page
    assert judge.username not in page


def test_list_answers_htmx_with_the_rows_only(admin_client: Client, prosecutor: User) -> None:
    response = admin_client.get(LIST, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="user-rows"' in body
    assert "<html" not in body


def test_create_account_shows_a_one_time_password_once(admin_client: Client, node_admin: User) -> None:
    response = admin_client.post(
        CREATE,
        {
            "username": "sv.nueva",
            "full_name": "Rosa Cruz Mejía",
            "email": "",
            "language": "es",
            "roles": ["prosecutor"],
        },
    )
    person = User.objects.get(username="sv.nueva")
    assert response["Location"] == _detail(person)
    first = admin_client.get(_detail(person)).content.decode()
    assert "secret" in first
    second = admin_client.get(_detail(person)).content.decode()
    assert 'class="secret"' not in second
    assert person.must_change_password
    assert person.office == node_admin.office
    assert person.role_codes == {"prosecutor"}
    entry = AuditEntry.objects.get(action="user.created")
    assert entry.actor == node_admin
    assert entry.data == {"username": "sv.nueva", "roles": ["prosecutor"]}


def test_create_refuses_bad_input_and_keeps_existing_accounts(admin_client: Client, prosecutor: User) -> None:
    response = admin_client.post(
        CREATE, {"username": "sv.fiscal", "full_name": "Otra", "language": "es", "roles": ["judge"]}
    )
    assert response.status_code == 400
    prosecutor.refresh_from_db()
    assert prosecutor.full_name == "Ana Morales Castillo"
    assert prosecutor.role_codes == {"prosecutor"}
    response = admin_client.post(CREATE, {"username": "Bad Name!", "full_name": "", "language": "xx", "roles": []})
    assert response.status_code == 400
    form = response.context["form"]
    assert {"username", "full_name", "language", "roles"} <= set(form.errors)
    assert User.objects.count() == 2


def test_create_refuses_roles_outside_the_matrix(admin_client: Client) -> None:
    response = admin_client.post(
        CREATE, {"username": "sv.x", "full_name": "X", "language": "es", "roles": ["superuser"]}
    )
    assert response.status_code == 400
    assert not User.objects.filter(username="sv.x").exists()


def test_hub_cannot_hold_case_roles(node_admin: User, settings) -> None:
    settings.NODE_ROLE = "hub"
    with pytest.raises(DomainError):
        users.update_user(
            by=node_admin, user=node_admin, full_name="A", email="", language="es", roles=["prosecutor", "node_admin"]
        )


def test_edit_roles_is_audited(admin_client: Client, prosecutor: User) -> None:
    response = admin_client.post(
        _detail(prosecutor),
        {
            "full_name": prosecutor.full_name,
            "email": prosecutor.email,
            "language": "en",
            "roles": ["prosecutor", "focal_point"],
        },
    )
    assert response.status_code == 302
    prosecutor = User.objects.get(pk=prosecutor.pk)
    assert prosecutor.role_codes == {"prosecutor", "focal_point"}
    assert prosecutor.language == "en"
    entry = AuditEntry.objects.get(action="user.updated")
    assert entry.data == {"fields": ["language"], "roles_added": ["focal_point"], "roles_removed": []}


def test_admin_cannot_remove_own_admin_role_or_act_on_self(admin_client: Client, node_admin: User) -> None:
    response = admin_client.post(
        _detail(node_admin), {"full_name": "X", "email": "", "language": "es", "roles": ["auditor"]}
    )
    assert response.status_code == 400
    assert User.objects.get(pk=node_admin.pk).role_codes == {"node_admin"}
    admin_client.post(_action(node_admin, "deactivate"))
    node_admin.refresh_from_db()
    assert node_admin.is_active


def test_deactivate_and_reactivate(admin_client: Client, prosecutor: User) -> None:
    admin_client.post(_action(prosecutor, "deactivate"))
    prosecutor.refresh_from_db()
    assert not prosecutor.is_active
    admin_client.post(_action(prosecutor, "reactivate"))
    prosecutor.refresh_from_db()
    assert prosecutor.is_active
    assert list(
        AuditEntry.objects.filter(target_id=str(prosecutor.pk)).values_list("action", flat=True).order_by("seq")
    ) == [
        "user.deactivated",
        "user.reactivated",
    ]


def test_unlock_lifts_a_lockout(admin_client: Client, prosecutor: User) -> None:
    from django.utils import timezone

    prosecutor.locked_until = timezone.now() + timezone.timedelta(minutes=10)
    prosecutor.save()
    admin_client.post(_action(prosecutor, "unlock"))
    prosecutor.refresh_from_db()
    assert not prosecutor.is_locked()


def test_reset_second_factor_forces_enrolment(admin_client: Client, prosecutor: User) -> None:
    admin_client.post(_action(prosecutor, "reset_second_factor"))
    prosecutor.refresh_from_db()
    assert not prosecutor.has_second_factor
    assert prosecutor.totp_secret_sealed == ""
    assert not prosecutor.recovery_codes.exists()
    assert AuditEntry.objects.filter(action="user.second_factor_reset").exists()


def test_reset_password_makes_a_one_time_password(admin_client: Client, prosecutor: User) -> None:
    admin_client.post(_action(prosecutor, "reset_password"))
    prosecutor.refresh_from_db()
    assert prosecutor.must_change_password
    assert 'class="secret"' in admin_client.get(_detail(prosecutor)).content.decode()


def test_unknown_action_changes_nothing(admin_client: Client, prosecutor: User) -> None:
    before = AuditEntry.objects.count()
    response = admin_client.post(_action(prosecutor, "promote"))
    assert response.status_code == 302
    assert AuditEntry.objects.count() == before


def test_actions_need_post(admin_client: Client, prosecutor: User) -> None:
    assert admin_client.get(_action(prosecutor, "deactivate")).status_code == 405


def test_a_new_role_that_needs_a_second_factor_sends_the_person_to_enrol(client: Client, analyst: User) -> None:
    client.force_login(analyst)
    assert client.get(reverse("web:home")).status_code == 200
    # The same person is now given case access:
    from vinculo.accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=analyst, role=Role.PROSECUTOR.value)
    response = client.get(reverse("web:home"))
    assert response["Location"] == reverse("accounts:enrol")


def test_create_admin_command_prints_a_one_time_password(db: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_admin", username="sv.root", full_name="Carlos Pérez", stdout=out)
    person = User.objects.get(username="sv.root")
    assert person.role_codes == {"node_admin"}
    assert person.must_change_password
    assert "One-time password:" in out.getvalue()


def test_create_admin_command_refuses_a_taken_username(node_admin: User) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("create_admin", username="sv.admin", full_name="X")


def test_admin_cannot_grant_themselves_case_roles(admin_client: Client, node_admin: User) -> None:
    response = admin_client.post(
        _detail(node_admin), {"full_name": "X", "email": "", "language": "es", "roles": ["node_admin", "prosecutor"]}
    )
    assert response.status_code == 400
    assert User.objects.get(pk=node_admin.pk).role_codes == {"node_admin"}


def test_django_superuser_and_password_commands_are_refused(db: None) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="create_admin"):
        call_command("createsuperuser")
    with pytest.raises(CommandError, match="audited"):
        call_command("changepassword", "sv.admin")


def test_one_time_passwords_are_easy_to_read_out() -> None:
    password = users.temporary_password()
    groups = password.split("-")
    assert len(groups) == 4
    assert all(len(group) == 4 for group in groups)
    assert not set(password) & set("0o1li")


def test_pages_keep_the_filters(admin_client: Client) -> None:
    for number in range(55):
        UserFactory(username=f"sv.juez{number:02d}", roles=[Role.JUDGE])
    page = admin_client.get(LIST, {"role": "judge", "text": "juez"}).content.decode()
    assert "?role=judge&amp;text=juez&amp;page=2" in page
    second = admin_client.get(LIST, {"role": "judge", "text": "juez", "page": "2"}).content.decode()
    assert "sv.juez54" in second or "sv.juez00" in second
