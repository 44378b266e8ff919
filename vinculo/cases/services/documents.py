"""Documents of a case: sealed in the vault on arrival, opened only by the case team, every opening audited.

A document about a victim (a photo, a statement) is opened under the same rules as the
victim's identity: the reveal permission, a stated reason, and for a child the lead prosecutor
or the team's victim care only. A withdrawn document keeps its record and loses its content.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from io import BytesIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.cases.models import Case, CaseAssignment, CaseDocument, CaseParty
from vinculo.cases.selectors import can_edit, sees_victims_only
from vinculo.cases.services.parties import NOT_ON_TEAM, check_may_reveal
from vinculo.cases.services.support import can_support
from vinculo.core import filetypes
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.core.validation import validate
from vinculo.vault import crypto, keys

MAX_BYTES = 10 * 1024 * 1024

NOT_ALLOWED = _("Only the case team may add documents to this case.")
VICTIM_CARE_ONLY_VICTIMS = _("Victim care adds documents about victims only.")
EMPTY = _("The file is empty.")
TOO_LARGE = _("The file is larger than 10 MB.")
UNKNOWN_TYPE = _(
    "This kind of file is not accepted: send a PDF, a JPEG or PNG image, a Word, Excel or OpenDocument file,"
    " or plain text."
)
TITLE_NEEDED = _("Describe the document (without names).")
OTHER_CASE = _("That person is not in this case.")
PHOTO_NEEDS_PERSON = _("Say whose photograph this is.")
WITHDRAWN = _("This document was withdrawn; its content no longer exists.")
WITHDRAW_REASON = _("Say why the document is withdrawn (at least 10 characters); it is recorded.")
ALREADY_WITHDRAWN = _("This document has already been withdrawn.")

# Office formats are zip containers; the member that names each one.
ZIP_FORMATS = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
OPENDOCUMENT = {
    b"application/vnd.oasis.opendocument.text",
    b"application/vnd.oasis.opendocument.spreadsheet",
}


def detect_media_type(data: bytes) -> str | None:
    """The file's type from its content (never from its name or the browser's word); None if not accepted."""
    known = filetypes.by_signature(data)
    if known is not None:
        return known
    if data.startswith(filetypes.ZIP_SIGNATURE):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                names = set(archive.namelist())
                if "mimetype" in names:
                    mimetype = archive.read("mimetype").strip()
                    if mimetype in OPENDOCUMENT:
                        return mimetype.decode("ascii")
                for member, media_type in ZIP_FORMATS.items():
                    if member in names:
                        return media_type
        except (zipfile.BadZipFile, KeyError, ValueError, OSError):
            return None
        return None
    return "text/plain" if filetypes.is_text(data) else None


@dataclass(frozen=True)
class OpenedDocument:
    file_name: str
    media_type: str
    content: bytes


def _place_in_team(user: User, case: Case) -> str | None:
    assignment = CaseAssignment.objects.filter(case=case, user=user).only("role").first()
    return assignment.role if assignment else None


@transaction.atomic(durable=True)
def add_document(
    *,
    by: User,
    case: Case,
    kind: str,
    title: str,
    file_name: str,
    data: bytes,
    party: CaseParty | None = None,
) -> CaseDocument:
    """Seal a file into the vault and keep it with the case; audited."""
    if not can_support(by, case):
        raise AccessDenied(NOT_ALLOWED)
    if not can_edit(by, case) and (party is None or not party.is_victim):
        raise AccessDenied(VICTIM_CARE_ONLY_VICTIMS)
    if party is not None and party.case_id != case.pk:
        raise DomainError(OTHER_CASE)
    if kind == CaseDocument.Kind.PHOTO and party is None:
        raise DomainError(PHOTO_NEEDS_PERSON)
    title = title.strip()
    if not title:
        raise DomainError(TITLE_NEEDED)
    if not data:
        raise DomainError(EMPTY)
    if len(data) > MAX_BYTES:
        raise DomainError(TOO_LARGE)
    media_type = detect_media_type(data)
    if media_type is None:
        raise DomainError(UNKNOWN_TYPE)
    keyring = keys.current_keyring()
    document = CaseDocument(
        case=case,
        party=party,
        kind=kind,
        title=title,
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_by=by,
    )
    name = (file_name or "").replace("/", "_").replace("\\", "_").strip()[:255] or "document"
    document.file_name = crypto.seal(name, keyring=keyring, context=CaseDocument.context(document.pk, "file_name"))
    document.content = crypto.seal_bytes(data, keyring=keyring, context=CaseDocument.context(document.pk, "content"))
    validate(document)
    document.save(force_insert=True)
    audit.record(
        action="case.document_added",
        actor=by,
        target=case,
        data={
            "document": str(document.pk),
            "kind": kind,
            "party": party.pk if party else None,
            "size": document.size,
            "sha256": document.sha256,
        },
    )
    return document


@transaction.atomic(durable=True)
def open_document(*, by: User, document: CaseDocument, reason: str = "") -> OpenedDocument:
    """Unseal a document for ``by`` after the checks; every opening is audited."""
    case = document.case
    if document.party is not None:
        reason = check_may_reveal(by, document.party, reason)
    else:
        place = _place_in_team(by, case)
        if place is None or sees_victims_only(by) or not by.has_permission(Permission.CASE_VIEW):
            raise AccessDenied(NOT_ON_TEAM)
        reason = reason.strip()
    if document.is_withdrawn:
        raise DomainError(WITHDRAWN)
    keyring = keys.current_keyring()
    where = CaseDocument.context
    file_name = crypto.unseal(document.file_name, keyring=keyring, context=where(document.pk, "file_name"))
    content = crypto.unseal_bytes(document.content, keyring=keyring, context=where(document.pk, "content"))
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise crypto.VaultError("the document's content does not match its recorded SHA-256")
    audit.record(
        action="case.document_opened",
        actor=by,
        target=case,
        data={"document": str(document.pk), "kind": document.kind, "reason": reason[:500]},
    )
    return OpenedDocument(file_name=file_name, media_type=document.media_type, content=content)


@transaction.atomic(durable=True)
def withdraw_document(*, by: User, document: CaseDocument, reason: str) -> CaseDocument:
    """Erase a document's content (e.g. a file added by mistake); its record and SHA-256 stay."""
    if not can_edit(by, document.case):
        raise AccessDenied(NOT_ALLOWED)
    reason = reason.strip()
    if len(reason) < 10:
        raise DomainError(WITHDRAW_REASON)
    locked = CaseDocument.objects.select_for_update().get(pk=document.pk)
    if locked.is_withdrawn:
        raise DomainError(ALREADY_WITHDRAWN)
    locked.content = ""
    locked.file_name = ""
    locked.withdrawn_at = timezone.now()
    locked.withdrawn_by = by
    locked.withdrawal_reason = reason[:500]
    locked.save(update_fields=["content", "file_name", "withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    audit.record(
        action="case.document_withdrawn",
        actor=by,
        target=locked.case,
        data={"document": str(locked.pk), "sha256": locked.sha256, "reason": reason[:500]},
    )
    return locked
