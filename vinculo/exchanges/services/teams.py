"""Joint teams: offices share a thread and tasks for one transnational case; each node keeps its own copy.

Every change (the team formed, a post, a task, a task done, a member added) is written here and
sent to every other member as a ``team.message`` in the same transaction. The lead office adds
members; a member added later receives the team's history as far as the handling codes allow:
items marked H2 are not passed on to it (their authors may share them again), and it is told how
many were withheld.

An item's H3 conditions are sealed with its text (``{"text", "conditions"}``) and travel beside
it, so every member's copy shows them wherever it shows the item.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Office, User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.cases.models import Case
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.exchanges import handling, wire
from vinculo.exchanges.models import JointTeam, TeamItem
from vinculo.exchanges.services import notices
from vinculo.exchanges.services.refusals import handling_refusal
from vinculo.messaging import handlers, network
from vinculo.messaging.models import InboundMessage
from vinculo.messaging.services import attachments as attachment_store
from vinculo.messaging.services import outbox
from vinculo.vault import crypto, keys

TEAM_MESSAGE = "team.message"
KINDS = ("formed", "member_added", "item", "task_status")

MAY_NOT = _("You may not work in joint teams.")
NOT_A_MEMBER = _("Your office is not a member of this team.")
LEAD_ONLY = _("Only the lead office adds members to the team.")
TWO_OFFICES = _("A joint team needs at least one other office.")
UNKNOWN_OFFICE = _("%(member)s is not an active office of the network.")
ALREADY_MEMBER = _("%(member)s is already a member of this team.")
EMPTY = _("Write the message or the task.")
OWNER_NOT_MEMBER = _("The task's owner must be an office of the team.")
NOT_A_TASK = _("This is not a task.")
NO_SUCH_DOCUMENT = _("There is no such document in this team.")
TASK_OR_DOCUMENT = _("A task carries no file: post the document on its own, then the task.")
DOCUMENT_NOT_HERE = _(
    "This document's file is not kept here: the office that posted it holds the original (ask it for a copy)."
)
CASE_ELSEWHERE = _("The linked case must be one of your office's cases you may see.")


def _seal(value: dict[str, Any], context: str) -> str:
    data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return crypto.seal_bytes(data, keyring=keys.current_keyring(), context=context)


# Before conditions were sealed on their own, a post's H3 conditions were appended to its text
# after this mark; items stored that way are still read.
H3_MARK = "\n\n[H3] "


def content_of(item: TeamItem) -> dict[str, str]:
    """The item's sealed text and its H3 conditions (empty without H3); the caller checked access."""
    raw = crypto.unseal_bytes(item.content, keyring=keys.current_keyring(), context=TeamItem.context(item.pk))
    data = json.loads(raw.decode("utf-8"))
    text, conditions = str(data.get("text", "")), str(data.get("conditions", ""))
    if "conditions" not in data and "H3" in item.handling and H3_MARK in text:
        text, conditions = text.rsplit(H3_MARK, 1)
    return {"text": text, "conditions": conditions}


def text_of(item: TeamItem) -> str:
    """The item as one text: for a reader that shows no separate conditions, H3's follow the text."""
    content = content_of(item)
    if content["conditions"]:
        return f"{content['text']}{H3_MARK}{content['conditions']}"
    return content["text"]


@transaction.atomic(durable=True)
def record_team_viewed(*, by: User, team: JointTeam) -> None:
    """Opening a team's workspace (its thread, documents and tasks) is audited, like reading a request."""
    audit.record(action="exchange.team_viewed", actor=by, target=team)


def _may_work(by: User) -> None:
    if not (by.has_permission(Permission.EXCHANGE_SEND) or by.has_permission(Permission.EXCHANGE_ANSWER)):
        raise AccessDenied(MAY_NOT)


def _member_of(by: User, team: JointTeam) -> JointTeam:
    _may_work(by)
    if team.office_id != by.office_id or by.office.code not in team.members:
        raise AccessDenied(NOT_A_MEMBER)
    return JointTeam.objects.select_for_update().get(pk=team.pk)


def _check_office(member: str, me: str) -> None:
    peer = network.peer(member)
    if member == me or peer is None or peer.status != "active":
        raise DomainError(UNKNOWN_OFFICE % {"member": member}, code="unknown_recipient")


def _send(
    by: User | None,
    team: JointTeam,
    body: dict[str, Any],
    *,
    to: list[str],
    codes: tuple[str, ...] = (),
    attachments: tuple[attachment_store.Prepared, ...] = (),
) -> None:
    me = team.office.code
    data = json.dumps({"team_id": str(team.team_id), **body}, ensure_ascii=False, sort_keys=True).encode("utf-8")
    for member in to:
        if member != me:
            outbox.send(type=TEAM_MESSAGE, recipient=member, payload=data, conversation=str(team.team_id),
                        handling=codes, sent_by=by, attachments=attachments)  # fmt: skip


def _formed(team: JointTeam) -> dict[str, Any]:
    return {"kind": "formed", "name": team.name, "lead": team.lead, "members": list(team.members)}


@transaction.atomic(durable=True)
def form_team(*, by: User, name: str, members: list[str], case: Case | None = None) -> JointTeam:
    """This office leads a new team with the offices named; each receives its copy."""
    _may_work(by)
    me = by.office.code
    others = sorted({m.strip() for m in members if m.strip()} - {me})
    if not others:
        raise DomainError(TWO_OFFICES, code="two_offices")
    for member in others:
        _check_office(member, me)
    if case is not None:
        from vinculo.cases.selectors import cases_visible_to

        if not cases_visible_to(by).filter(pk=case.pk).exists():
            raise DomainError(CASE_ELSEWHERE, code="case_not_visible")
    team = JointTeam.objects.create(
        office=by.office, lead=me, name=name.strip()[:160], members=[me, *others], case=case, created_by=by
    )
    _send(by, team, _formed(team), to=others)
    audit.record(action="exchange.team_formed", actor=by, target=team, data={"members": team.members})
    return team


@transaction.atomic(durable=True)
def post(
    *,
    by: User,
    team: JointTeam,
    text: str,
    codes: tuple[str, ...] = (),
    conditions: str = "",
    language: str = "es",
    task_owner: str = "",
    task_due_on: datetime.date | None = None,
    document: attachment_store.Prepared | None = None,
) -> TeamItem:
    """A message in the thread, a task (with ``task_owner``) for one office of the team, or a document.

    A ``document`` is a file encrypted beforehand (``files.prepare_uploads``, outside this
    transaction); ``text`` describes it. It travels to every member with the item.
    """
    team = _member_of(by, team)
    if not text.strip():
        raise DomainError(EMPTY, code="empty")
    try:
        checked = handling.check_codes(codes, conditions=conditions)
    except handling.InvalidHandling as error:
        raise handling_refusal(error) from None
    is_task = bool(task_owner)
    if is_task and task_owner not in team.members:
        raise DomainError(OWNER_NOT_MEMBER, code="owner_not_member")
    if is_task and document is not None:
        raise DomainError(TASK_OR_DOCUMENT, code="task_or_document")
    kind = TeamItem.Kind.TASK if is_task else TeamItem.Kind.DOCUMENT if document else TeamItem.Kind.POST
    text, conditions = text.strip(), conditions.strip()
    item = TeamItem(
        team=team, kind=kind, author_office=team.office.code,
        author_name=by.full_name or by.username, language=language, handling=list(checked),
        task_owner_office=task_owner if is_task else "", task_due_on=task_due_on if is_task else None,
        task_status=TeamItem.TaskStatus.OPEN if is_task else "",
    )  # fmt: skip
    if document is not None:
        manifest = document.manifest
        item.file_name, item.file_sha256 = manifest.name, document.sha256
        item.file_size, item.file_media_type = manifest.size, manifest.media_type
    item.content = _seal({"text": text, "conditions": conditions}, TeamItem.context(item.pk))
    item.save(force_insert=True)
    body = _item_body(item, {"text": text, "conditions": conditions}, with_file=document is not None)
    _send(by, team, {"kind": "item", "item": body}, to=team.members, codes=checked,
          attachments=(document,) if document else ())  # fmt: skip
    audit.record(action="exchange.team_posted", actor=by, target=team, data={"item": str(item.item_id)})
    return item


@transaction.atomic(durable=True)
def open_document(*, by: User, item: TeamItem) -> Any:
    """A document received with a team item, as a stream; audited. The caller checked membership."""
    if item.kind != TeamItem.Kind.DOCUMENT or item.attachment is None:
        raise DomainError(DOCUMENT_NOT_HERE, code="not_kept_here")
    audit.record(
        action="exchange.team_document_opened", actor=by, target=item.team,
        data={"item": str(item.item_id), "sha256": item.file_sha256},
    )  # fmt: skip
    return attachment_store.open_attachment(item.attachment)


@transaction.atomic(durable=True)
def set_task_status(*, by: User, item: TeamItem, done: bool) -> TeamItem:
    team = _member_of(by, item.team)
    if item.kind != TeamItem.Kind.TASK:
        raise DomainError(NOT_A_TASK, code="not_a_task")
    item.task_status = TeamItem.TaskStatus.DONE if done else TeamItem.TaskStatus.OPEN
    item.save(update_fields=["task_status"])
    _send(by, team, {"kind": "task_status", "item_id": str(item.item_id), "status": item.task_status},
          to=team.members)  # fmt: skip
    audit.record(action="exchange.team_task_updated", actor=by, target=team, data={"status": item.task_status})
    return item


@transaction.atomic(durable=True)
def add_member(*, by: User, team: JointTeam, member: str) -> JointTeam:
    """The lead adds an office: everyone is told, and the newcomer gets what the handling codes allow."""
    team = _member_of(by, team)
    if team.lead != team.office.code:
        raise AccessDenied(LEAD_ONLY)
    if member in team.members:
        raise DomainError(ALREADY_MEMBER % {"member": member}, code="already_member")
    _check_office(member, team.office.code)
    previous = list(team.members)
    team.members = [*previous, member]
    team.save(update_fields=["members"])
    _send(by, team, {"kind": "member_added", "member": member, "members": team.members}, to=previous)
    items = list(team.items.order_by("at"))
    shared = [i for i in items if "H2" not in i.handling]
    _send(by, team, {**_formed(team), "withheld": len(items) - len(shared)}, to=[member])
    for item in shared:
        body = _item_body(item, content_of(item))
        _send(by, team, {"kind": "item", "item": body}, to=[member], codes=tuple(item.handling))
    audit.record(
        action="exchange.team_member_added", actor=by, target=team,
        data={"member": member, "shared": len(shared), "withheld": len(items) - len(shared)},
    )  # fmt: skip
    return team


def _item_body(item: TeamItem, content: dict[str, str], *, with_file: bool = False) -> dict[str, Any]:
    """What travels of an item; a document names its file (``attached``: the file comes with this message)."""
    body: dict[str, Any] = {
        "item_id": str(item.item_id), "kind": item.kind, "author_office": item.author_office,
        "author_name": item.author_name, "text": content["text"], "conditions": content["conditions"],
        "language": item.language, "handling": list(item.handling),
        "task_owner_office": item.task_owner_office,
        "task_due_on": item.task_due_on.isoformat() if item.task_due_on else "",
        "task_status": item.task_status, "at": item.at.isoformat(),
    }  # fmt: skip
    if item.kind == TeamItem.Kind.DOCUMENT:
        body["file"] = {
            "name": item.file_name, "sha256": item.file_sha256, "size": item.file_size,
            "media_type": item.file_media_type, "attached": with_file,
        }  # fmt: skip
    return body


# --- receiving -----------------------------------------------------------------------------------


def receive(message: InboundMessage, payload: bytes) -> None:
    """Apply a team change from another member to this office's copy."""
    try:
        data = json.loads(payload.decode("utf-8"))
        team_id = uuid.UUID(data["team_id"])
        kind = data["kind"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise wire.UnreadablePayload(f"{TEAM_MESSAGE}: not a team message") from None
    if kind not in KINDS:
        raise wire.UnreadablePayload(f"{TEAM_MESSAGE}: unknown kind {kind!r}")
    office = Office.objects.get(code=network.node_id())
    team = JointTeam.objects.select_for_update().filter(team_id=team_id, office=office).first()
    if kind == "formed":
        members = _members(data)
        if office.code not in members or message.sender != data.get("lead"):
            raise wire.UnreadablePayload(f"{TEAM_MESSAGE}: a team is formed by its lead, with this office in it")
        if team is None:
            team = JointTeam.objects.create(
                team_id=team_id, office=office, lead=message.sender, name=str(data.get("name", ""))[:160],
                members=members, withheld_items=int(data.get("withheld", 0) or 0),
            )  # fmt: skip
            notices.team_formed(team)
        return
    if team is None or message.sender not in team.members:
        # The lead's message forming the team (or adding this member) may still be on its way.
        raise handlers.NotYet(f"{TEAM_MESSAGE}: {message.sender} is not (yet) a member of team {team_id} here")
    if kind == "member_added":
        if message.sender != team.lead:
            raise wire.UnreadablePayload(f"{TEAM_MESSAGE}: only the lead adds members")
        team.members = _members(data)
        team.save(update_fields=["members"])
    elif kind == "item":
        _store_item(team, data.get("item"), message)
    else:
        item = team.items.filter(item_id=data.get("item_id")).first()
        if item is None or item.kind != TeamItem.Kind.TASK or data.get("status") not in TeamItem.TaskStatus.values:
            raise wire.UnreadablePayload(f"{TEAM_MESSAGE}: no such task to update")
        item.task_status = data["status"]
        item.save(update_fields=["task_status"])


def _members(data: dict[str, Any]) -> list[str]:
    members = data.get("members")
    if not isinstance(members, list) or not all(
        isinstance(m, str) and re.fullmatch(wire.MEMBER_ID, m) for m in members
    ):
        raise wire.UnreadablePayload(f"{TEAM_MESSAGE}: members must be member ids")
    return list(members)


def _store_item(team: JointTeam, body: Any, message: InboundMessage) -> None:
    keys_expected = {
        "item_id", "kind", "author_office", "author_name", "text", "conditions", "language", "handling",
        "task_owner_office", "task_due_on", "task_status", "at",
    }  # fmt: skip
    if not isinstance(body, dict) or not keys_expected <= set(body) <= keys_expected | {"file"}:
        raise wire.UnreadablePayload(
            f"{TEAM_MESSAGE}: an item has exactly {sorted(keys_expected)} (and a document its file)"
        )
    if ("file" in body) != (body.get("kind") == TeamItem.Kind.DOCUMENT):
        raise wire.UnreadablePayload(f"{TEAM_MESSAGE}: a document, and only a document, names its file")
    if body["author_office"] not in team.members or body["kind"] not in TeamItem.Kind.values:
        raise wire.UnreadablePayload(f"{TEAM_MESSAGE}: the item's author is not in the team")
    if body["author_office"] != message.sender and "H2" in body["handling"]:
        raise wire.UnreadablePayload(f"{TEAM_MESSAGE}: H2 items are only sent by their author")
    try:
        item_id = uuid.UUID(body["item_id"])
        at = datetime.datetime.fromisoformat(body["at"])
        due = datetime.date.fromisoformat(body["task_due_on"]) if body["task_due_on"] else None
        if not isinstance(body["text"], str) or not isinstance(body["conditions"], str):
            raise TypeError("text and conditions are strings")
        # H3 without its conditions, or conditions without H3, would show the item without what
        # its author asked of every reader: refused, as the author's own node refuses it.
        codes = handling.check_codes(body["handling"], conditions=body["conditions"])
    except (ValueError, TypeError, handling.InvalidHandling):
        raise wire.UnreadablePayload(f"{TEAM_MESSAGE}: an item's id, time, date, text or codes do not read") from None
    if team.items.filter(item_id=item_id).exists():
        return
    item = TeamItem(
        item_id=item_id, team=team, kind=body["kind"], author_office=body["author_office"],
        author_name=str(body["author_name"])[:150], language=body["language"] if body["language"] in wire.LANGUAGES
        else "es", handling=list(codes), task_owner_office=str(body["task_owner_office"])[:32], task_due_on=due,
        task_status=body["task_status"] if body["task_status"] in TeamItem.TaskStatus.values else "", at=at,
    )  # fmt: skip
    if "file" in body:
        _keep_document(item, body["file"], message)
    item.content = _seal({"text": body["text"], "conditions": body["conditions"].strip()}, TeamItem.context(item.pk))
    item.save(force_insert=True)


def _keep_document(item: TeamItem, file: Any, message: InboundMessage) -> None:
    """A document's file: the message's verified attachment when it came with it; else only its record."""
    if not (
        isinstance(file, dict)
        and set(file) == {"name", "sha256", "size", "media_type", "attached"}
        and isinstance(file["name"], str) and 0 < len(file["name"]) <= 255
        and wire.is_sha256(file["sha256"])
        and isinstance(file["size"], int) and not isinstance(file["size"], bool) and file["size"] >= 0
        and isinstance(file["media_type"], str) and len(file["media_type"]) <= 127
        and isinstance(file["attached"], bool)
    ):  # fmt: skip
        raise wire.UnreadablePayload(f"{TEAM_MESSAGE}: a document's file does not read")
    item.file_name, item.file_sha256 = file["name"], file["sha256"]
    item.file_size, item.file_media_type = file["size"], file["media_type"]
    if file["attached"]:
        arrived = {a.sha256: a for a in attachment_store.attachments_of(message)}
        if file["sha256"] not in arrived:
            raise wire.UnreadablePayload(f"{TEAM_MESSAGE}: the document's file did not come with it")
        item.attachment = arrived[file["sha256"]]
