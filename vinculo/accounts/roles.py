"""Roles and the permission matrix: the single source of who may do what on a node.

docs/permissions.md is generated from this module (``vinculo permissions``) and a
test fails when the two disagree. Later modules check permissions by code through
``User.has_permission``; they never test role names directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROSECUTOR = "prosecutor", _("Specialized prosecutor")
    FOCAL_POINT = "focal_point", _("Focal point")
    INVESTIGATOR = "investigator", _("Investigator")
    VICTIM_CARE = "victim_care", _("Victim-care professional")
    JUDGE = "judge", _("Judge (read-only)")
    ANALYST = "analyst", _("Analyst")
    ME_OFFICER = "me_officer", _("M&E officer")
    TRAINER = "trainer", _("Trainer")
    NODE_ADMIN = "node_admin", _("Node administrator")
    AUDITOR = "auditor", _("Auditor")


class Permission(StrEnum):
    CASE_VIEW = "case.view"
    CASE_EDIT = "case.edit"
    VICTIM_SUPPORT = "victim.support"
    IDENTITY_REVEAL = "identity.reveal"
    EXCHANGE_SEND = "exchange.send"
    EXCHANGE_ANSWER = "exchange.answer"
    EXCHANGE_TRIAGE = "exchange.triage"
    MATCH_QUERY = "match.query"
    MATCH_CONFIRM = "match.confirm"
    STATS_NATIONAL = "stats.national"
    STATS_REGIONAL = "stats.regional"
    TRAINING_MANAGE = "training.manage"
    EVALUATION_MANAGE = "evaluation.manage"
    USERS_MANAGE = "users.manage"
    NODE_MANAGE = "node.manage"
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"


@dataclass(frozen=True)
class PermissionInfo:
    label: Promise
    # True when holding the permission lets a person see case content or act on other
    # people's accounts or the audit trail: a second factor is then mandatory.
    is_sensitive: bool


PERMISSION_INFO: dict[Permission, PermissionInfo] = {
    Permission.CASE_VIEW: PermissionInfo(_("See the office's case files"), True),
    Permission.CASE_EDIT: PermissionInfo(_("Register and edit case files"), True),
    Permission.VICTIM_SUPPORT: PermissionInfo(_("See and record victims' protection needs and services"), True),
    Permission.IDENTITY_REVEAL: PermissionInfo(_("Reveal a protected identity (recorded in the audit trail)"), True),
    Permission.EXCHANGE_SEND: PermissionInfo(_("Send information requests, spontaneous information and alerts"), True),
    Permission.EXCHANGE_ANSWER: PermissionInfo(_("Answer the information requests assigned to them"), True),
    Permission.EXCHANGE_TRIAGE: PermissionInfo(_("Triage and assign incoming requests (focal-point desk)"), True),
    Permission.MATCH_QUERY: PermissionInfo(_("Ask the network whether it knows a person (hit/no-hit)"), True),
    Permission.MATCH_CONFIRM: PermissionInfo(_("Confirm or reject hits on the office's records"), True),
    Permission.STATS_NATIONAL: PermissionInfo(_("See national statistics (after disclosure control)"), False),
    Permission.STATS_REGIONAL: PermissionInfo(_("See regional statistics (after disclosure control)"), False),
    Permission.TRAINING_MANAGE: PermissionInfo(_("Manage training events, participants and certificates"), False),
    Permission.EVALUATION_MANAGE: PermissionInfo(_("Manage indicators, surveys and evaluations"), False),
    Permission.USERS_MANAGE: PermissionInfo(_("Create accounts, assign roles, reset second factors"), True),
    Permission.NODE_MANAGE: PermissionInfo(_("Administer the node: keys, directory, reference data"), True),
    Permission.AUDIT_VIEW: PermissionInfo(_("Read the audit trail"), True),
    Permission.AUDIT_EXPORT: PermissionInfo(_("Export the audit trail"), True),
}

P = Permission

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.PROSECUTOR: frozenset(
        {
            P.CASE_VIEW,
            P.CASE_EDIT,
            P.IDENTITY_REVEAL,
            P.EXCHANGE_SEND,
            P.EXCHANGE_ANSWER,
            P.MATCH_QUERY,
            P.STATS_NATIONAL,
        }
    ),
    Role.FOCAL_POINT: frozenset(
        {
            P.CASE_VIEW,
            P.EXCHANGE_SEND,
            P.EXCHANGE_ANSWER,
            P.EXCHANGE_TRIAGE,
            P.MATCH_QUERY,
            P.MATCH_CONFIRM,
            P.STATS_NATIONAL,
        }
    ),
    Role.INVESTIGATOR: frozenset({P.CASE_VIEW, P.CASE_EDIT, P.MATCH_QUERY}),
    # Victim care sees victims' needs and services, never the suspects' side of a case.
    Role.VICTIM_CARE: frozenset({P.VICTIM_SUPPORT, P.IDENTITY_REVEAL}),
    Role.JUDGE: frozenset({P.CASE_VIEW}),
    Role.ANALYST: frozenset({P.STATS_NATIONAL, P.STATS_REGIONAL}),
    Role.ME_OFFICER: frozenset({P.STATS_NATIONAL, P.STATS_REGIONAL, P.EVALUATION_MANAGE}),
    Role.TRAINER: frozenset({P.TRAINING_MANAGE}),
    # Separation of duties: administrators run the node but read no case content,
    # auditors read the trail but change nothing.
    Role.NODE_ADMIN: frozenset({P.USERS_MANAGE, P.NODE_MANAGE}),
    Role.AUDITOR: frozenset({P.AUDIT_VIEW, P.AUDIT_EXPORT}),
}

# The hub holds no case content, so case-facing roles cannot exist there.
HUB_ROLES: frozenset[Role] = frozenset({Role.ANALYST, Role.ME_OFFICER, Role.TRAINER, Role.NODE_ADMIN, Role.AUDITOR})
OFFICE_ROLES: frozenset[Role] = frozenset(Role)


def roles_for_node(node_role: str) -> list[Role]:
    """The roles that may be assigned on a node of this kind, in display order."""
    allowed = HUB_ROLES if node_role == "hub" else OFFICE_ROLES
    return [role for role in Role if role in allowed]


def permissions_for(roles: set[str] | frozenset[str]) -> frozenset[Permission]:
    """The union of the permissions of the given role codes (unknown codes grant nothing)."""
    granted: set[Permission] = set()
    for code in roles:
        try:
            granted |= ROLE_PERMISSIONS[Role(code)]
        except ValueError:
            continue
    return frozenset(granted)


def second_factor_required(roles: set[str] | frozenset[str]) -> bool:
    """True when any of the roles holds a sensitive permission."""
    return any(PERMISSION_INFO[p].is_sensitive for p in permissions_for(roles))


def permission_matrix_markdown() -> str:
    """The matrix as a Markdown table (English labels), as published in docs/permissions.md."""
    from django.utils import translation

    with translation.override("en"):
        header = "| Permission | Code | 2FA | " + " | ".join(str(role.label) for role in Role) + " |"
        rule = "|---|---|---|" + "---|" * len(Role)
        rows = [header, rule]
        for permission in Permission:
            info = PERMISSION_INFO[permission]
            marks = ["✔" if permission in ROLE_PERMISSIONS[role] else "" for role in Role]
            sensitive = "yes" if info.is_sensitive else "no"
            rows.append(f"| {info.label} | `{permission.value}` | {sensitive} | " + " | ".join(marks) + " |")
        hub = ", ".join(str(role.label) for role in Role if role in HUB_ROLES)
    return "\n".join(rows) + f"\n\nRoles that may exist on the hub: {hub}.\n"
