"""Handling codes enforced: what a holder may do with an item it received, and the consents that change it.

- Forwarding an item marked H2 is refused unless its provider consented to that office.
- Filing an item into a case keeps its provenance (who sent it, when, under which codes); an
  item marked H1 is stamped "not evidence" on the filed copy until the provider consents.
- H0's purpose and H3's conditions are part of every filed or forwarded copy.
- A consent request travels back to the provider (``consent.request``); the provider's focal
  point grants or refuses it (``consent.answer``), and the holder's copy records the answer.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Office, User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.cases.models import Case, CaseDocument
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.exchanges import handling, wire
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import Answer, Broadcast, ConsentRequest
from vinculo.exchanges.services import broadcasts, notices
from vinculo.exchanges.services.requests import answer_text, content_of
from vinculo.messaging import network
from vinculo.messaging.models import InboundMessage
from vinculo.messaging.services import outbox

CONSENT_REQUEST = "consent.request"
CONSENT_ANSWER = "consent.answer"

FORWARD_BLOCKED = _(
    "%(office)s marked this H2: it may not be passed on to %(to)s without its permission. Ask for consent first."
)
NOT_RECEIVED = _("Only information received from another office can be forwarded or filed this way.")
REASON_NEEDED = _("Say why you need the permission (at least 10 characters).")
RECIPIENT_NEEDED = _("Name the office you want to pass it on to.")
NOTHING_TO_LIFT = _("This item carries no %(code)s code: there is nothing to ask for.")
ALREADY_ANSWERED = _("This consent request has already been answered.")
ONLY_FOCAL_POINT = _("Only the focal point answers consent requests for the office.")
MAY_NOT = _("You may not do this with exchanges.")
CONSENT_PENDING = _(
    "Your office already asked the provider for this and is waiting for the answer; a second request is not sent."
)
CASE_NOT_EDITABLE = _("You may file only into a case whose team you are on with the right to edit it.")
NOT_EVIDENCE = _(
    "NOT EVIDENCE (H1): %(office)s gave this information on condition that it is not used as evidence without"
    " its permission."
)


# --- what a holder may do ------------------------------------------------------------------------


def item_codes(item: Answer | Broadcast) -> tuple[str, ...]:
    return tuple(item.handling)


def _provider(item: Answer | Broadcast) -> str:
    return item.request.counterpart if isinstance(item, Answer) else item.origin


def _item_key(item: Answer | Broadcast) -> tuple[str, uuid.UUID]:
    if isinstance(item, Answer):
        return ConsentRequest.ItemKind.ANSWER, item.answer_id
    return ConsentRequest.ItemKind.BROADCAST, item.exchange_id


def _holder_office_id(item: Answer | Broadcast) -> int:
    return item.request.office_id if isinstance(item, Answer) else item.office_id


def granted_consents(items: Sequence[Answer | Broadcast]) -> dict[tuple[str, uuid.UUID], list[ConsentRequest]]:
    """The provider's grants recorded for each item, in one query however many items there are.

    A grant counts for the office that asked it only: the copies of one alert in several offices
    share its id, and a consent one of them obtained lifts nothing for the others.
    """
    found: dict[tuple[str, uuid.UUID], list[ConsentRequest]] = {_item_key(item): [] for item in items}
    if not items:
        return found
    wanted = Q(pk__in=[])
    for item in items:
        item_kind, item_id = _item_key(item)
        wanted |= Q(office_id=_holder_office_id(item), item_kind=item_kind, item_id=item_id)
    granted = ConsentRequest.objects.filter(wanted, side=Side.OUTGOING, status=ConsentRequest.Status.GRANTED)
    offices = {_item_key(item): _holder_office_id(item) for item in items}
    for consent in granted.order_by("asked_at"):
        key = (consent.item_kind, consent.item_id)
        if offices.get(key) == consent.office_id:
            found[key].append(consent)
    return found


def restrictions_given(
    item: Answer | Broadcast, granted: Iterable[ConsentRequest], *, with_content: bool = True
) -> handling.Restrictions:
    """What this office may do with the item, given the grants already fetched for it (no query).

    ``with_content=False`` leaves the purpose and conditions out (nothing is unsealed), for pages
    that only need what is allowed.
    """
    consents = [
        handling.Consent(handling.ConsentKind(c.kind), granted=True, recipient=c.recipient)
        for c in granted
        if c.status == ConsentRequest.Status.GRANTED
    ]
    content = _content(item) if with_content else {}
    return handling.restrictions(
        item_codes(item), purpose=content.get("purpose", ""), conditions=content.get("conditions", ""),
        consents=consents,
    )  # fmt: skip


def restrictions_for(
    items: Sequence[Answer | Broadcast], *, with_content: bool = True
) -> dict[tuple[str, uuid.UUID], handling.Restrictions]:
    """``restrictions_of`` for many items of one office (a page's) at once, keyed by (item kind, item id):
    one query for all."""
    granted = granted_consents(items)
    return {
        _item_key(item): restrictions_given(item, granted[_item_key(item)], with_content=with_content) for item in items
    }


def restrictions_of(item: Answer | Broadcast) -> handling.Restrictions:
    """The item's codes and the provider's answers so far, as what this office may do with it."""
    return restrictions_for([item])[_item_key(item)]


def _content(item: Answer | Broadcast) -> dict[str, Any]:
    if isinstance(item, Answer):
        text = answer_text(item)
        return {"text": text.get("text", ""), "conditions": text.get("conditions", ""),
                "purpose": content_of(item.request).get("purpose", "")}  # fmt: skip
    return broadcasts.content_of(item)


def _check_received(by: User, item: Answer | Broadcast) -> None:
    if isinstance(item, Answer):
        ok = item.request.side == Side.OUTGOING and item.request.office_id == by.office_id
    else:
        ok = item.side == Side.INCOMING and item.office_id == by.office_id
    if not ok:
        raise DomainError(NOT_RECEIVED, code="not_received")
    if not by.has_permission(Permission.EXCHANGE_SEND):
        raise AccessDenied(MAY_NOT)


def forward(*, by: User, item: Broadcast, recipients: list[str], note: str = "") -> Broadcast:
    """Pass received information on to other offices, with its codes; H2 needs the provider's consent."""
    _check_received(by, item)
    allowed = restrictions_of(item)
    for member in recipients:
        if not allowed.may_forward_to(member):
            audit_refusal(by, item, member)
            names = {office.code: office.name for office in Office.objects.filter(code__in=[item.origin, member])}
            raise DomainError(
                FORWARD_BLOCKED % {"office": names.get(item.origin, item.origin), "to": names.get(member, member)},
                code="h2_forward_blocked",
            )
    content = broadcasts.content_of(item)
    provenance = f"[{item.origin} {item.sent_at:%Y-%m-%d}]"
    text = (note.strip() + "\n\n" if note.strip() else "") + f"{provenance}\n{content.get('text', '')}"
    return broadcasts.send_broadcast(
        by=by, kind=item.kind, recipients=recipients, subject=item.subject, text=text, language=item.language,
        category=item.category, codes=item_codes(item), purpose=content.get("purpose", ""),
        conditions=content.get("conditions", ""), evaluation=item.evaluation,
    )  # fmt: skip


@transaction.atomic(durable=True)
def audit_refusal(by: User, item: Broadcast, member: str) -> None:
    audit.record(
        action="exchange.forward_refused", actor=by, target=item, data={"to": member, "codes": list(item.handling)}
    )


def filed_text(item: Answer | Broadcast, *, language: str = "es") -> str:
    """The copy filed in a case: provenance, codes and their conditions, then the content."""
    from django.utils import translation

    allowed = restrictions_of(item)
    content = _content(item)
    provider = _provider(item)
    when = item.at if isinstance(item, Answer) else item.sent_at
    with translation.override(language):
        lines = []
        if not allowed.may_use_as_evidence:
            lines.append(str(NOT_EVIDENCE % {"office": provider}))
        lines.append(
            str(_("From: %(office)s, %(when)s (UTC)")) % {"office": provider, "when": f"{when:%Y-%m-%d %H:%M}"}
        )
        lines.append(str(_("Handling codes: %(codes)s")) % {"codes": ", ".join(sorted(allowed.codes)) or "—"})
        if allowed.purpose:
            lines.append(str(_("Purpose (H0): %(purpose)s")) % {"purpose": allowed.purpose})
        if allowed.conditions:
            lines.append(str(_("Conditions (H3): %(conditions)s")) % {"conditions": allowed.conditions})
        if allowed.forward_allowed_to is not None:
            lines.append(str(_("Not to be passed on without the provider's permission (H2).")))
        lines.append("")
        lines.append(content.get("text", ""))
    return "\n".join(lines) + "\n"


def may_file_in(by: User, case: Case) -> bool:
    """Whether ``by`` may file received information into ``case``: the cases module's rule for
    adding a document (an editor on the case's team), in one of this office's cases."""
    from vinculo.cases.selectors import can_edit

    return case.office_id == by.office_id and can_edit(by, case)


def file_in_case(*, by: User, item: Answer | Broadcast, case: Case) -> CaseDocument:
    """Keep the item in one of this office's cases, with its provenance and codes (a case document)."""
    from vinculo.cases.services import documents

    _check_received(by, item)
    if not may_file_in(by, case):
        raise AccessDenied(CASE_NOT_EDITABLE, code="case_not_editable")
    title = str(_("From %(office)s: %(subject)s")) % {
        "office": _provider(item),
        "subject": item.request.subject if isinstance(item, Answer) else item.subject,
    }
    return documents.add_document(
        by=by, case=case, kind=CaseDocument.Kind.EXCHANGE, title=title[:200],
        file_name=f"{_item_key(item)[1]}.txt", data=filed_text(item, language=by.language).encode("utf-8"),
    )  # fmt: skip


# --- asking and answering ------------------------------------------------------------------------


@transaction.atomic(durable=True)
def ask_consent(*, by: User, item: Answer | Broadcast, kind: str, reason: str, recipient: str = "") -> ConsentRequest:
    """Ask the provider to lift H1 (``evidence``) or H2 for one office (``onward``)."""
    _check_received(by, item)
    code = "H1" if kind == handling.ConsentKind.USE_AS_EVIDENCE else "H2"
    if code not in item.handling:
        raise DomainError(NOTHING_TO_LIFT % {"code": code}, code="nothing_to_lift")
    if kind == handling.ConsentKind.ONWARD_TRANSMISSION and not recipient.strip():
        raise DomainError(RECIPIENT_NEEDED, code="recipient_needed")
    if len(reason.strip()) < 10:
        raise DomainError(REASON_NEEDED, code="reason_needed")
    item_kind, item_id = _item_key(item)
    recipient = recipient.strip() if kind == handling.ConsentKind.ONWARD_TRANSMISSION else ""
    # The item's row is locked so that two people asking at the same moment cannot both pass the
    # check below: the second waits, then finds the first request pending.
    type(item).objects.select_for_update().filter(pk=item.pk).first()
    already = ConsentRequest.objects.filter(
        side=Side.OUTGOING, office_id=by.office_id, item_kind=item_kind, item_id=item_id, kind=kind,
        recipient=recipient, status=ConsentRequest.Status.PENDING,
    )  # fmt: skip
    if already.exists():
        raise DomainError(CONSENT_PENDING, code="consent_pending")
    consent = ConsentRequest.objects.create(
        side=Side.OUTGOING, office=by.office, counterpart=_provider(item), item_kind=item_kind, item_id=item_id,
        item_subject=(item.request.subject if isinstance(item, Answer) else item.subject)[:160], kind=kind,
        recipient=recipient, reason=reason.strip(), asked_by=by,
    )  # fmt: skip
    payload = {
        "consent_id": str(consent.consent_id), "item_kind": item_kind, "item_id": str(item_id),
        "item_subject": consent.item_subject, "kind": kind, "recipient": consent.recipient, "reason": consent.reason,
    }  # fmt: skip
    outbox.send(type=CONSENT_REQUEST, recipient=consent.counterpart, payload=_dump(payload), sent_by=by,
                conversation=str(item_id))  # fmt: skip
    audit.record(action="exchange.consent_requested", actor=by, target=consent, data={"kind": kind})
    return consent


@transaction.atomic(durable=True)
def answer_consent(*, by: User, consent: ConsentRequest, granted: bool, note: str = "") -> ConsentRequest:
    """The provider's focal point grants or refuses; the holder is told."""
    locked = ConsentRequest.objects.select_for_update().get(pk=consent.pk)
    if locked.side != Side.INCOMING or locked.office_id != by.office_id:
        raise AccessDenied(ONLY_FOCAL_POINT)
    if not by.has_permission(Permission.EXCHANGE_TRIAGE):
        raise AccessDenied(ONLY_FOCAL_POINT)
    if locked.status != ConsentRequest.Status.PENDING:
        raise DomainError(ALREADY_ANSWERED, code="already_answered")
    locked.status = ConsentRequest.Status.GRANTED if granted else ConsentRequest.Status.REFUSED
    locked.answered_by, locked.answered_at, locked.answer_note = by, timezone.now(), note.strip()
    locked.save()
    payload = {"consent_id": str(locked.consent_id), "granted": granted, "note": locked.answer_note}
    outbox.send(type=CONSENT_ANSWER, recipient=locked.counterpart, payload=_dump(payload), sent_by=by,
                conversation=str(locked.item_id))  # fmt: skip
    audit.record(
        action="exchange.consent_answered", actor=by, target=locked, data={"granted": granted, "kind": locked.kind}
    )
    return locked


def _dump(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _read(raw: bytes, keys: set[str], where: str) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise wire.UnreadablePayload(f"{where}: not JSON") from None
    if not isinstance(data, dict) or set(data) != keys:
        raise wire.UnreadablePayload(f"{where}: expected exactly {sorted(keys)}")
    return data


def receive_consent_request(message: InboundMessage, payload: bytes) -> None:
    data = _read(payload, {"consent_id", "item_kind", "item_id", "item_subject", "kind", "recipient", "reason"},
                 CONSENT_REQUEST)  # fmt: skip
    if data["item_kind"] not in ConsentRequest.ItemKind.values or data["kind"] not in ConsentRequest.KIND_LABELS:
        raise wire.UnreadablePayload(f"{CONSENT_REQUEST}: unknown item or consent kind")
    if not all(isinstance(data[key], str) for key in data):
        raise wire.UnreadablePayload(f"{CONSENT_REQUEST}: every member is a string")
    office = Office.objects.get(code=network.node_id())
    try:
        consent_id, item_id = uuid.UUID(data["consent_id"]), uuid.UUID(data["item_id"])
    except ValueError:
        raise wire.UnreadablePayload(f"{CONSENT_REQUEST}: ids must be UUIDs") from None
    consent, created = ConsentRequest.objects.get_or_create(
        consent_id=consent_id, side=Side.INCOMING, office=office,
        defaults={
            "counterpart": message.sender, "item_kind": data["item_kind"], "item_id": item_id,
            "item_subject": data["item_subject"][:160], "kind": data["kind"], "recipient": data["recipient"][:32],
            "reason": data["reason"][:4000],
        },
    )  # fmt: skip
    if created:
        notices.consent_asked(consent)


def receive_consent_answer(message: InboundMessage, payload: bytes) -> None:
    data = _read(payload, {"consent_id", "granted", "note"}, CONSENT_ANSWER)
    if not isinstance(data["granted"], bool) or not isinstance(data["note"], str):
        raise wire.UnreadablePayload(f"{CONSENT_ANSWER}: granted is true or false, note a string")
    consent = (
        ConsentRequest.objects.select_for_update()
        .filter(consent_id=data["consent_id"], side=Side.OUTGOING, counterpart=message.sender)
        .first()
    )
    if consent is None:
        raise wire.UnreadablePayload(f"{CONSENT_ANSWER}: no consent request {data['consent_id']} to {message.sender}")
    if consent.status == ConsentRequest.Status.PENDING:
        consent.status = ConsentRequest.Status.GRANTED if data["granted"] else ConsentRequest.Status.REFUSED
        consent.answer_note, consent.answered_at = data["note"][:4000], message.received_at
        consent.save()
        notices.consent_answered(consent)
