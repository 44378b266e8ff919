"""The permission matrix, checked with personas: who may do what, and who needs a second factor."""

from __future__ import annotations

import pytest

from vinculo.accounts.roles import (
    HUB_ROLES,
    PERMISSION_INFO,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    permissions_for,
    roles_for_node,
    second_factor_required,
)

CASE_DATA = {Permission.CASE_VIEW, Permission.CASE_EDIT, Permission.VICTIM_SUPPORT, Permission.IDENTITY_REVEAL}


def test_every_permission_is_described_and_every_role_has_a_row() -> None:
    assert set(PERMISSION_INFO) == set(Permission)
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_roles_that_see_case_data_need_a_second_factor() -> None:
    for role in Role:
        if ROLE_PERMISSIONS[role] & CASE_DATA:
            assert second_factor_required({role.value}), role


def test_node_admin_and_auditor_need_a_second_factor_too() -> None:
    assert second_factor_required({Role.NODE_ADMIN.value})
    assert second_factor_required({Role.AUDITOR.value})


def test_aggregate_only_roles_do_not_require_a_second_factor() -> None:
    for role in (Role.ANALYST, Role.ME_OFFICER, Role.TRAINER):
        assert not second_factor_required({role.value}), role


def test_separation_of_duties() -> None:
    admin = permissions_for({Role.NODE_ADMIN.value})
    auditor = permissions_for({Role.AUDITOR.value})
    assert not admin & CASE_DATA, "node administrators must not read case content"
    assert Permission.AUDIT_VIEW not in admin
    assert auditor == {Permission.AUDIT_VIEW, Permission.AUDIT_EXPORT}


def test_victim_care_does_not_see_the_suspects_side() -> None:
    granted = permissions_for({Role.VICTIM_CARE.value})
    assert Permission.VICTIM_SUPPORT in granted
    assert Permission.CASE_VIEW not in granted


def test_judge_is_read_only() -> None:
    assert permissions_for({Role.JUDGE.value}) == {Permission.CASE_VIEW}


def test_only_focal_points_triage_and_confirm_hits() -> None:
    for role in Role:
        holds = {Permission.EXCHANGE_TRIAGE, Permission.MATCH_CONFIRM} & ROLE_PERMISSIONS[role]
        assert bool(holds) == (role is Role.FOCAL_POINT), role


def test_hub_has_no_case_roles() -> None:
    for role in roles_for_node("hub"):
        assert not ROLE_PERMISSIONS[role] & CASE_DATA
    assert set(roles_for_node("hub")) == HUB_ROLES
    assert set(roles_for_node("office")) == set(Role)


def test_unknown_role_codes_grant_nothing() -> None:
    assert permissions_for({"superuser", "root"}) == frozenset()


@pytest.mark.parametrize("persona", ["prosecutor", "focal_point", "judge", "victim_care", "analyst", "node_admin"])
def test_personas_hold_exactly_their_roles_permissions(persona: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(persona)
    assert user.permissions == permissions_for(user.role_codes)
    assert user.has_permission(next(iter(user.permissions)))


def test_deactivated_people_hold_no_permission(prosecutor) -> None:
    prosecutor.is_active = False
    assert not prosecutor.has_permission(Permission.CASE_VIEW)
