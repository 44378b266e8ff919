"""Asking the network "does any office know this?" and answering what other offices ask.

Step one of two (Prüm's model): a query with a case reference and a legal basis goes to one,
several or all member offices as encodings only; each answers hit / possible / no-hit, and a hit
carries an opaque reference that expires. Step two is a formal information request citing the
reference (``vinculo.exchanges``), answered only once the holder's focal point has confirmed
the hit. Against fishing: per-person and per-office quotas on the asking side, a per-member
quota on the answering side, and every query audited on both sides.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from vinculo.accounts.models import Office, User
from vinculo.accounts.roles import Permission
from vinculo.audit import services as audit
from vinculo.cases.models import Case, CaseParty, Person
from vinculo.cases.selectors import cases_visible_to
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.linkage.classify import REQUIRED_FIELDS
from vinculo.linkage.encoding import Encoding, Fields
from vinculo.linkage.normalise import normalise
from vinculo.linkage.record import Identifier, RawPerson
from vinculo.matching import engine, records, wire
from vinculo.matching.models import (
    Decision,
    Hit,
    IncomingQuery,
    Purpose,
    Query,
    QueryKind,
    QueryRecipient,
)
from vinculo.matching.services import index as index_service
from vinculo.matching.services import keys
from vinculo.messaging import network
from vinculo.messaging.models import InboundMessage, OutboundMessage
from vinculo.messaging.services import outbox
from vinculo.notifications.services import link_to, notify, office_people_with
from vinculo.vault import crypto
from vinculo.vault import keys as vault_keys

MAY_NOT_QUERY = _("Your roles do not allow asking the network about a person.")
MAY_NOT_ASK_VICTIMS = _("Only people who may reveal a victim's identity can ask about a victim's whereabouts.")
CASE_NEEDED = _("Give the case reference the query is for.")
PURPOSE_NEEDED = _("Say what the query is for: an investigation or a victim's whereabouts.")
KIND_NEEDED = _("Say what the query is about: a person, a phone, a document or a vehicle.")
LEGAL_BASIS_NEEDED = _("Give the legal basis of the query (at least 5 characters).")
CASE_ELSEWHERE = _("That case is not one you can see.")
NO_RECIPIENTS = _("Choose at least one office to ask.")
NOT_AN_OFFICE = _("%(member)s is not an active member office of the network.")
TOO_MANY_HOUR = _("You have asked %(count)d queries in the last hour, the most allowed. Try again later.")
TOO_MANY_DAY = _("You have asked %(count)d queries in the last 24 hours, the most allowed. Try again tomorrow.")
OFFICE_QUOTA = _("Your office has asked %(count)d queries in the last 24 hours, the most allowed.")
NAME_NEEDED = _("A person query needs at least a given name and a first surname that can be read.")
IDENTIFIER_UNREADABLE = _("The %(what)s could not be read: %(reason)s")
PARTY_ELSEWHERE = _("That person is not in the chosen case.")
NOT_CONFIRMABLE = _("Your roles do not allow confirming or rejecting hits.")
ALREADY_DECIDED = _("This hit was already confirmed or rejected.")
STALE = _("Someone changed this hit meanwhile. Reload the page and try again.")
EXPIRED = _("This hit reference has expired.")

WHAT = {
    QueryKind.PHONE: _("phone number"),
    QueryKind.DOCUMENT: _("document number"),
    QueryKind.VEHICLE: _("plate"),
}
REASONS = {
    "bad_check_digit": _("its check digit does not match"),
    "bad_format": _("it does not have the country's format"),
    "bad_length": _("it does not have as many digits as the country's numbers"),
    "empty": _("it is empty"),
    "unknown_country": _("the country is not known"),
}


@dataclass(frozen=True)
class Asked:
    """What a person asks about, as typed (or a person of the case, whose stored identity is used)."""

    kind: str
    given_names: str = ""
    first_surname: str = ""
    second_surname: str = ""
    birth_date: str = ""
    sex: str = ""
    nationality: str = ""
    phone: str = ""
    document_kind: str = ""
    country: str = ""
    number: str = ""
    party_id: int | None = None


# --- asking ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuotaUse:
    """One asking quota: its limit, the queries counted against it, and the refusal when it is used up."""

    limit: int
    used: int
    code: str
    message: StrOrPromise  # with %(count)s


def quota_use(by: User) -> list[QuotaUse]:
    """The asking quotas ``by`` is under: per person per hour and per day, and per office per day."""
    now = timezone.now()
    mine = Query.objects.filter(asked_by=by)
    office = Query.objects.filter(office_id=by.office_id, asked_at__gte=now - timedelta(days=1))
    return [
        QuotaUse(
            settings.MATCH_QUERIES_PER_USER_HOUR,
            mine.filter(asked_at__gte=now - timedelta(hours=1)).count(),
            "rate_limited",
            TOO_MANY_HOUR,
        ),
        QuotaUse(
            settings.MATCH_QUERIES_PER_USER_DAY,
            mine.filter(asked_at__gte=now - timedelta(days=1)).count(),
            "rate_limited",
            TOO_MANY_DAY,
        ),
        QuotaUse(settings.MATCH_QUERIES_PER_OFFICE_DAY, office.count(), "office_quota", OFFICE_QUOTA),
    ]


def _check_quota(by: User) -> None:
    for use in quota_use(by):
        if use.used >= use.limit:
            raise DomainError(use.message % {"count": use.used}, code=use.code)


def member_offices(own: str) -> list[str]:
    """The active member offices other than this one, from the directory in force."""
    return sorted(
        m.id
        for m in network.members()
        if m.id != own and m.status == "active" and "office" in getattr(m, "roles", ("office",))
    )


def _check_members(members: Sequence[str], own: str) -> list[str]:
    chosen = sorted(set(members))
    if not chosen:
        raise DomainError(NO_RECIPIENTS, code="no_recipients")
    offices = set(member_offices(own))
    for member in chosen:
        if member not in offices:
            raise DomainError(NOT_AN_OFFICE % {"member": member}, code="unknown_recipient")
    return chosen


def _raw_of(by: User, asked: Asked, case: Case | None) -> RawPerson:
    if asked.party_id is not None:
        party = CaseParty.objects.select_related("person", "person__sex").filter(pk=asked.party_id).first()
        if party is None or case is None or party.case_id != case.pk:
            raise DomainError(PARTY_ELSEWHERE, code="party_elsewhere")
        return records.raw_person(index_service.registry_person_of(party.person))
    if asked.kind == QueryKind.PERSON:
        return RawPerson(
            record_id="query",
            given_names=asked.given_names,
            first_surname=asked.first_surname,
            second_surname=asked.second_surname,
            birth_date=asked.birth_date,
            sex=asked.sex,
            nationality=asked.nationality,
        )
    if asked.kind == QueryKind.PHONE:
        return RawPerson(record_id="query", phones=(asked.phone,), nationality=asked.country)
    if asked.kind == QueryKind.DOCUMENT:
        return RawPerson(record_id="query", documents=((asked.document_kind, asked.country, asked.number),))
    return RawPerson(record_id="query", plates=((asked.country, asked.number),))


_KINDS_OF = {
    QueryKind.PHONE: {"phone"},
    QueryKind.DOCUMENT: {"passport", "national_id"},
    QueryKind.VEHICLE: {"plate"},
}


def _encode(by: User, asked: Asked, case: Case | None) -> tuple[Encoding, str]:
    """The query's encoding under the network key, and the key's fingerprint; refusals in words."""
    fingerprint, key = keys.require_active_key()
    encoder = index_service.encoder_for(fingerprint, key)
    # A phone written without its country code is read as the country the asker chose, else the office's.
    default_country = (asked.country if asked.kind == QueryKind.PHONE else "") or by.office.country or ""
    record = normalise(_raw_of(by, asked, case), default_country=default_country)
    if asked.kind == QueryKind.PERSON:
        encoding = encoder.encode(record)
        if (encoding.fields & REQUIRED_FIELDS) != REQUIRED_FIELDS:
            raise DomainError(NAME_NEEDED, code="name_needed")
        return encoding, fingerprint
    wanted = _KINDS_OF[QueryKind(asked.kind)]
    found: list[Identifier] = [x for x in record.identifiers if str(x.kind) in wanted]
    if not found:
        field = {QueryKind.PHONE: "phones", QueryKind.DOCUMENT: "documents", QueryKind.VEHICLE: "plates"}[
            QueryKind(asked.kind)
        ]
        problem = next((p.code for p in record.problems if p.field.startswith(field)), "empty")
        reason = REASONS.get(problem, REASONS["bad_format"])
        raise DomainError(IDENTIFIER_UNREADABLE % {"what": WHAT[QueryKind(asked.kind)], "reason": reason}, code=problem)
    tokens = frozenset(encoder.identifier_token(x) for x in found)
    return Encoding(encoder.scheme, b"", Fields.NONE, tokens), fingerprint


def _summary(asked: Asked, case: Case | None) -> str:
    """What was asked, for the asking office's own eyes (sealed): the typed values, or which party."""
    values = {k: v for k, v in asdict(asked).items() if v not in ("", None)}
    return json.dumps(values, ensure_ascii=False, sort_keys=True)


@transaction.atomic(durable=True)
def ask(
    *,
    by: User,
    asked: Asked,
    purpose: str,
    case: Case | None,
    case_reference: str,
    legal_basis: str,
    members: Sequence[str],
) -> Query:
    """Send a query to ``members``; each office answers on its own (``receive_answer``)."""
    if not by.has_permission(Permission.MATCH_QUERY):
        raise AccessDenied(MAY_NOT_QUERY)
    if purpose not in Purpose.values:
        raise DomainError(PURPOSE_NEEDED, code="bad_purpose")
    if asked.kind not in QueryKind.values:
        raise DomainError(KIND_NEEDED, code="bad_kind")
    if purpose == Purpose.VICTIM_WHEREABOUTS and not by.has_permission(Permission.IDENTITY_REVEAL):
        raise AccessDenied(MAY_NOT_ASK_VICTIMS)
    if case is not None:
        if not cases_visible_to(by).filter(pk=case.pk).exists():
            raise DomainError(CASE_ELSEWHERE, code="case_not_visible")
        case_reference = case_reference.strip() or case.national_number
    case_reference = case_reference.strip()
    if not case_reference:
        raise DomainError(CASE_NEEDED, code="case_needed")
    if len(legal_basis.strip()) < 5:
        raise DomainError(LEGAL_BASIS_NEEDED, code="legal_basis_needed")
    own = network.node_id()
    chosen = _check_members(members, own)
    _check_quota(by)
    encoding, fingerprint = _encode(by, asked, case)
    query = Query(
        office=by.office,
        kind=asked.kind,
        purpose=purpose,
        case=case,
        case_reference=case_reference[:64],
        legal_basis=legal_basis.strip()[:300],
        asked_by=by,
    )
    query.asked = crypto.seal(
        _summary(asked, case), keyring=vault_keys.current_keyring(), context=Query.context(query.pk)
    )
    query.save(force_insert=True)
    payload = wire.dump(
        wire.QueryPayload(
            query_id=str(query.pk),
            kind=asked.kind,
            purpose=purpose,
            case_reference=query.case_reference,
            legal_basis=query.legal_basis,
            asked_by=f"{by.full_name} ({', '.join(str(r.label) for r in by.roles)})"[:200],
            asker_roles=tuple(sorted(by.role_codes)),
            asked_at=query.asked_at.isoformat(),
            scheme=encoding.scheme,
            key=fingerprint,
            bloom=wire.b64(encoding.bloom) if encoding.bloom else "",
            fields=int(encoding.fields),
            tokens=tuple(sorted(encoding.tokens)),
        )
    )
    for member in chosen:
        message = outbox.send(
            type=wire.QUERY, recipient=member, payload=payload, conversation=str(query.pk), sent_by=by
        )
        QueryRecipient.objects.create(query=query, member=member, message_id=message.id)
    audit.record(
        action="match.query_sent", actor=by, target=query,
        data={"kind": asked.kind, "purpose": purpose, "case": query.case_reference, "to": chosen},
    )  # fmt: skip
    return query


def asked_values(query: Query) -> dict[str, object]:
    """What the query asked, unsealed (for people of the asking office who may see the query)."""
    text = crypto.unseal(query.asked, keyring=vault_keys.current_keyring(), context=Query.context(query.pk))
    values: dict[str, object] = json.loads(text)
    return values


# --- answering ------------------------------------------------------------------------------------


def _decide(data: wire.QueryPayload, office: Office, member: str) -> tuple[str, str, tuple[int, ...]]:
    """(decision, refusal reason, matched index entries) for a query read from ``member``."""
    since = timezone.now() - timedelta(days=1)
    asked_today = IncomingQuery.objects.filter(office=office, member=member, received_at__gte=since).count()
    if asked_today >= settings.MATCH_INCOMING_PER_MEMBER_DAY:
        return Decision.REFUSED, "quota", ()
    found = keys.active_key()
    if found is None:
        return Decision.REFUSED, "no_key", ()
    fingerprint, key = found
    if data.key != fingerprint:
        return Decision.REFUSED, "key_mismatch", ()
    encoder = index_service.encoder_for(fingerprint, key)
    if data.scheme != encoder.scheme:
        return Decision.REFUSED, "scheme_mismatch", ()
    victims = data.purpose == Purpose.VICTIM_WHEREABOUTS
    if victims and not set(data.asker_roles) & set(settings.MATCH_VICTIM_QUERY_ROLES):
        return Decision.REFUSED, "not_allowed", ()
    if data.kind == QueryKind.PERSON:
        encoding = Encoding(data.scheme, data.filter_bytes(), Fields(data.fields), frozenset(data.tokens))
        outcome = engine.match_person(encoding, victims=victims)
    else:
        outcome = engine.match_identifiers(data.tokens, victims=victims)
    return str(outcome.decision), "", outcome.entries


def receive_query(message: InboundMessage, payload: bytes) -> None:
    """``match.query``: compare, answer, and tell the focal points of a hit on this office's records."""
    data = wire.QueryPayload.read(payload)
    office = Office.objects.get(code=network.node_id())
    if IncomingQuery.objects.filter(office=office, member=message.sender, query_id=data.query_id).exists():
        return  # the same query again under another message id: answered already
    decision, refusal, entries = _decide(data, office, message.sender)
    incoming = IncomingQuery.objects.create(
        office=office,
        query_id=uuid.UUID(data.query_id),
        member=message.sender,
        kind=data.kind,
        purpose=data.purpose,
        case_reference=data.case_reference,
        legal_basis=data.legal_basis,
        asked_by=data.asked_by,
        asked_at=datetime.fromisoformat(data.asked_at),
        decision=decision,
        refusal=refusal,
    )
    answer = wire.AnswerPayload(query_id=data.query_id, decision=decision, refusal=refusal)
    if decision in (Decision.HIT, Decision.POSSIBLE):
        hit = Hit.objects.create(
            reference=secrets.token_urlsafe(24),
            incoming=incoming,
            decision=decision,
            expires_at=timezone.now() + timedelta(days=settings.MATCH_HIT_DAYS),
        )
        hit.persons.set(list(Person.objects.filter(match_entry__pk__in=entries)))
        answer = wire.AnswerPayload(
            query_id=data.query_id,
            decision=decision,
            hit_reference=hit.reference,
            expires_at=hit.expires_at.isoformat(),
        )
        notify(
            people=office_people_with(office.pk, Permission.MATCH_CONFIRM),
            kind="match.hit_received",
            subject=data.case_reference,
            office=message.sender,
            link=link_to("matching:hit_detail", hit.pk),
        )
    outbox.send(
        type=wire.ANSWER,
        recipient=message.sender,
        payload=wire.dump(answer),
        conversation=data.query_id,
        in_reply_to=str(message.message_id),
    )
    audit.record(
        action="match.query_received", actor=None, target=incoming,
        data={"from": message.sender, "query": data.query_id, "kind": data.kind, "purpose": data.purpose,
              "case": data.case_reference, "asked_by": data.asked_by, "decision": decision, "refusal": refusal},
    )  # fmt: skip


def receive_answer(message: InboundMessage, payload: bytes) -> None:
    """``match.answer``: one office's decision on this office's query."""
    data = wire.AnswerPayload.read(payload)
    recipient = (
        QueryRecipient.objects.select_related("query").filter(query_id=data.query_id, member=message.sender).first()
    )
    if recipient is None:
        raise wire.UnreadablePayload(f"{wire.ANSWER}: no query {data.query_id} was sent to {message.sender}")
    if recipient.state == QueryRecipient.State.ANSWERED:
        return
    recipient.state = QueryRecipient.State.ANSWERED
    recipient.decision, recipient.refusal = data.decision, data.refusal
    recipient.hit_reference = data.hit_reference
    recipient.expires_at = datetime.fromisoformat(data.expires_at) if data.expires_at else None
    recipient.answered_at = timezone.now()
    recipient.save()
    audit.record(
        action="match.answer_received", actor=None, target=recipient.query,
        data={"from": message.sender, "decision": data.decision, "refusal": data.refusal},
    )  # fmt: skip
    if data.decision in (Decision.HIT, Decision.POSSIBLE):
        notify(
            people=[recipient.query.asked_by],
            kind="match.hit",
            subject=recipient.query.case_reference,
            office=message.sender,
            link=link_to("matching:query_detail", recipient.query_id),
        )


def query_undelivered(message: OutboundMessage) -> None:
    """The outbox gave up on a query to one office: that office will not answer it, so stop waiting.

    An answer that still comes (the query arrived, its receipt did not) marks the office answered.
    """
    recipient = (
        QueryRecipient.objects.select_related("query")
        .filter(message_id=message.id, member=message.recipient, state=QueryRecipient.State.SENT)
        .first()
    )
    if recipient is None:
        return  # answered meanwhile, or not a query this office recorded
    recipient.state = QueryRecipient.State.UNDELIVERED
    recipient.save(update_fields=["state"])
    audit.record(
        action="match.query_undelivered", actor=None, target=recipient.query,
        data={"to": message.recipient, "message": str(message.id)},
    )  # fmt: skip


# --- the focal point's decision on a hit --------------------------------------------------------


@transaction.atomic(durable=True)
def decide_hit(*, by: User, hit: Hit, expected_version: int | None, confirm: bool, note: str = "") -> Hit:
    """Confirm (the records are about the person asked for) or reject a hit; the asking office is told."""
    if not by.has_permission(Permission.MATCH_CONFIRM):
        raise AccessDenied(NOT_CONFIRMABLE)
    locked = Hit.objects.select_for_update().select_related("incoming").get(pk=hit.pk)
    if expected_version is not None and locked.version != expected_version:
        raise DomainError(STALE, code="stale")
    if locked.state != Hit.State.PENDING:
        raise DomainError(ALREADY_DECIDED, code="already_decided")
    locked.state = Hit.State.CONFIRMED if confirm else Hit.State.REJECTED
    locked.decided_by, locked.decided_at, locked.note = by, timezone.now(), note.strip()[:500]
    locked.version += 1
    locked.save()
    outbox.send(
        type=wire.HIT_STATUS,
        recipient=locked.incoming.member,
        payload=wire.dump(wire.HitStatusPayload(hit_reference=locked.reference, status=str(locked.state))),
        conversation=str(locked.incoming.query_id),
        sent_by=by,
    )
    audit.record(
        action="match.hit_confirmed" if confirm else "match.hit_rejected", actor=by, target=locked,
        data={"member": locked.incoming.member, "query": str(locked.incoming.query_id)},
    )  # fmt: skip
    return locked


def receive_hit_status(message: InboundMessage, payload: bytes) -> None:
    """``match.hit_status``: the holder confirmed or rejected the hit this office received."""
    data = wire.HitStatusPayload.read(payload)
    recipient = (
        QueryRecipient.objects.select_related("query", "query__asked_by")
        .filter(member=message.sender, hit_reference=data.hit_reference)
        .first()
    )
    if recipient is None:
        raise wire.UnreadablePayload(f"{wire.HIT_STATUS}: no hit {data.hit_reference} from {message.sender}")
    recipient.hit_status = data.status
    recipient.save(update_fields=["hit_status"])
    audit.record(
        action="match.hit_status_received", actor=None, target=recipient.query,
        data={"from": message.sender, "status": data.status},
    )  # fmt: skip
    notify(
        people=[recipient.query.asked_by],
        kind=f"match.hit_{data.status}",
        subject=recipient.query.case_reference,
        office=message.sender,
        link=link_to("matching:query_detail", recipient.query_id),
    )


# --- the information request that cites a hit --------------------------------------------------


def check_cited_hit(by: User, counterpart: str, reference: str) -> None:
    """A request may cite only a live hit that ``counterpart`` gave this office (exchanges calls this)."""
    from vinculo.matching.selectors import NOT_YOUR_HIT

    recipient = QueryRecipient.objects.filter(
        hit_reference=reference,
        member=counterpart,
        query__office_id=by.office_id,
        decision__in=(Decision.HIT, Decision.POSSIBLE),
    ).first()
    if recipient is None:
        raise DomainError(NOT_YOUR_HIT, code="unknown_hit")
    if recipient.expires_at is not None and recipient.expires_at <= timezone.now():
        raise DomainError(EXPIRED, code="hit_expired")


HIT_NOT_CONFIRMED = _(
    "This request cites a hit on your office's records that is not confirmed yet. "
    "Confirm the hit first (Hit/no-hit, hits to confirm); a rejected hit is answered by refusing the request."
)


def check_answerable(reference: str, counterpart: str) -> None:
    """An incoming request citing a hit is answered only after the focal point confirmed that hit."""
    hit = Hit.objects.filter(
        reference=reference, incoming__member=counterpart, incoming__office__code=network.node_id()
    ).first()
    if hit is None or hit.state != Hit.State.CONFIRMED:
        raise DomainError(HIT_NOT_CONFIRMED, code="hit_not_confirmed")


# --- audited reads ------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def record_query_viewed(*, by: User, query: Query) -> None:
    """What a query asked is opened on its page: who read it is recorded."""
    audit.record(action="match.query_viewed", actor=by, target=query, data={"case": query.case_reference})


@transaction.atomic(durable=True)
def record_hit_viewed(*, by: User, hit: Hit) -> None:
    """A hit's page names the office's records it points to: who read it is recorded."""
    audit.record(action="match.hit_viewed", actor=by, target=hit, data={"member": hit.incoming.member})
