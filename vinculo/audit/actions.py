"""The audit action codes, with what they mean in words (shown to auditors beside the code).

Every code a service records must be listed here; a test scans the source to make sure.
Modules add their codes as they arrive (``case.viewed``, ``envelope.sent`` …).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, Promise] = {
    "auth.login": _("Signed in"),
    "auth.login_failed": _("Failed sign-in attempt"),
    "auth.login_refused_locked": _("Sign-in refused: account locked"),
    "auth.locked": _("Account locked after failed attempts"),
    "auth.logout": _("Signed out"),
    "auth.session_expired": _("Session expired after inactivity"),
    "auth.recovery_code_used": _("Recovery code used to sign in"),
    "account.second_factor_enrolled": _("Second factor set up"),
    "account.recovery_codes_regenerated": _("New recovery codes made"),
    "account.password_changed": _("Own password changed"),
    "account.language_changed": _("Language changed"),
    "user.created": _("Account created"),
    "user.updated": _("Account details or roles changed"),
    "user.deactivated": _("Account deactivated"),
    "user.reactivated": _("Account reactivated"),
    "user.unlocked": _("Account unlocked"),
    "user.second_factor_reset": _("Second factor removed by an administrator"),
    "user.password_reset": _("One-time password issued by an administrator"),
    "access.denied": _("Access refused"),
    "audit.viewed": _("Audit trail read"),
    "audit.exported": _("Audit trail exported"),
    "audit.verified": _("Audit chain verified intact"),
    "evidence.verified": _("Evidence log verified intact"),
    "evidence.exported": _("Evidence log exported"),
    "reference.crossing_updated": _("Border crossing corrected"),
    "reference.code_updated": _("Code wording corrected"),
    "reference.provision_added": _("Legal provision added"),
    "reference.provision_updated": _("Legal provision corrected"),
    "reference.provision_retired": _("Legal provision retired"),
    "reference.provision_reactivated": _("Legal provision put back in force"),
    "case.opened": _("Case registered"),
    "case.updated": _("Case changed"),
    "case.viewed": _("Case file read"),
    "case.assigned": _("Person added to a case team"),
    "case.unassigned": _("Person removed from a case team"),
    "case.party_added": _("Person added to a case"),
    "case.exploitation_recorded": _("Exploitation facts recorded"),
    "case.event_added": _("Event added to a case"),
    "case.event_removed": _("Event removed from a case"),
    "identity.searched": _("People searched by identity"),
    "case.imported": _("Case files imported"),
    "case.exported": _("Case files exported"),
    "case.support_added": _("Protection measure or service recorded"),
    "case.linked": _("Cases linked"),
    "case.consent_recorded": _("Consent decision recorded"),
    "case.charge_added": _("Charge recorded"),
    "case.proceeding_opened": _("Proceeding recorded"),
    "case.proceeding_closed": _("End of a proceeding recorded"),
    "case.decision_recorded": _("Court decision recorded"),
    "case.sentence_recorded": _("Sentence recorded"),
    "case.sentence_corrected": _("Sentence corrected"),
    "case.person_updated": _("Person's record updated by an import"),
    "case.party_updated": _("Person's role in a case updated"),
    "case.persons_exported": _("Persons exported"),
    "case.document_added": _("Document added (sealed)"),
    "case.document_opened": _("Document opened"),
    "case.document_withdrawn": _("Document withdrawn and erased"),
    "identity.revealed": _("Protected identity revealed"),
    "identity.corrected": _("Protected identity corrected"),
    "api_token.created": _("API token created"),
    "api_token.revoked": _("API token revoked"),
    "federation.keys_created": _("Node's federation keys created"),
    "federation.keys_rotated": _("Node's federation keys rotated"),
    "federation.keys_pruned": _("Node's previous federation keys removed"),
    "directory.member_added": _("Member added to the network register"),
    "directory.member_suspended": _("Network member suspended"),
    "directory.member_reinstated": _("Network member reinstated"),
    "directory.policy_changed": _("Network policy changed"),
    "directory.keys_rotated": _("Network member's new keys registered"),
    "directory.keys_replaced": _("Network member's keys replaced by the hub"),
    "directory.published": _("Network directory published"),
    "directory.accepted": _("Network directory accepted from the hub"),
    "directory.refused": _("Network directory refused"),
    "vault.rotated": _("Identity vault key rotated"),
    "vault.key_removed": _("Old identity vault key removed"),
    "vault.reindexed": _("Identity search index rebuilt"),
}


def action_label(code: str) -> str:
    """The words for an action code, or the code itself when it is not (yet) described."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
