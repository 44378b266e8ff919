"""Reads of hit/no-hit data, scoped to who is asking.

The person who asked a query sees it and its answers; the office's focal points (who may
confirm hits) see every query of the office, the hits on its records and the hub's cross-match
notices; auditors see the volumes. What was asked is sealed and opened only on a query's page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.cases.models import CaseParty
from vinculo.cases.selectors import cases_visible_to
from vinculo.matching.models import CrossmatchNotice, Hit, IncomingQuery, IndexEntry, IndexState, MatchKey, Query

NOT_YOUR_HIT = _("That hit reference is not one your office received from this office.")


def sees_all_queries(user: User) -> bool:
    return user.has_permission(Permission.MATCH_CONFIRM)


def queries_visible_to(user: User) -> QuerySet[Query]:
    if not (user.has_permission(Permission.MATCH_QUERY) or sees_all_queries(user)):
        return Query.objects.none()
    found = Query.objects.filter(office_id=user.office_id)
    if not sees_all_queries(user):
        found = found.filter(asked_by=user)
    return found.select_related("asked_by", "case").prefetch_related("recipients").order_by("-asked_at")


def query_for(user: User, query_id: uuid.UUID | str) -> Query:
    found = queries_visible_to(user).filter(pk=query_id).first()
    if found is None:
        raise Http404
    return found


def hits_for(user: User, *, state: str = "") -> QuerySet[Hit]:
    if not user.has_permission(Permission.MATCH_CONFIRM):
        return Hit.objects.none()
    found = (
        Hit.objects.filter(incoming__office_id=user.office_id)
        .select_related("incoming", "decided_by")
        .order_by("-incoming__received_at")
    )
    return found.filter(state=state) if state else found


def hit_for(user: User, hit_id: int) -> Hit:
    found = hits_for(user).filter(pk=hit_id).first()
    if found is None:
        raise Http404
    return found


@dataclass(frozen=True)
class HeldRecord:
    """A person a hit points to, with their cases: the focal point asks the case team when it may not open one."""

    person_id: uuid.UUID
    roles: tuple[str, ...]
    cases: tuple[tuple[uuid.UUID, str, bool], ...]  # (case id, national number, the reader may open it)


def held_records(user: User, hit: Hit) -> list[HeldRecord]:
    visible = set(cases_visible_to(user).values_list("pk", flat=True))
    parties = (
        CaseParty.objects.filter(person__in=hit.persons.all())
        .select_related("case", "role")
        .order_by("person_id", "case__national_number")
    )
    found: dict[uuid.UUID, tuple[list[str], list[tuple[uuid.UUID, str, bool]]]] = {}
    for party in parties:
        roles, cases = found.setdefault(party.person_id, ([], []))
        roles.append(str(party.role.label))
        cases.append((party.case_id, party.case.national_number, party.case_id in visible))
    return [HeldRecord(pid, tuple(dict.fromkeys(r)), tuple(c)) for pid, (r, c) in found.items()]


def notices_for(user: User) -> QuerySet[CrossmatchNotice]:
    if not user.has_permission(Permission.MATCH_CONFIRM):
        return CrossmatchNotice.objects.none()
    return CrossmatchNotice.objects.select_related("entry").order_by("-run_at", "other_member", "reference")


def parties_of_notice(user: User, notice: CrossmatchNotice) -> list[CaseParty]:
    if notice.entry_id is None:
        return []
    visible = cases_visible_to(user)
    return list(
        CaseParty.objects.filter(person_id=notice.entry.person_id, case__in=visible)  # type: ignore[union-attr]
        .select_related("case", "role")
        .order_by("case__national_number")
    )


@dataclass(frozen=True)
class Volumes:
    """Query volumes for the network's oversight: who asked this office, and who in it asked others."""

    since: datetime
    incoming: list[Any]  # {member, month, queries, hits, refused}
    outgoing: list[Any]  # {asked_by__full_name, month, queries}


def volumes(user: User, *, months: int = 12) -> Volumes:
    if not (user.has_permission(Permission.AUDIT_VIEW) or user.has_permission(Permission.MATCH_CONFIRM)):
        raise Http404
    since = timezone.now() - timedelta(days=31 * months)
    incoming = list(
        IncomingQuery.objects.filter(office_id=user.office_id, received_at__gte=since)
        .annotate(month=TruncMonth("received_at"))
        .values("member", "month")
        .annotate(
            queries=Count("pk"),
            hits=Count("pk", filter=Q(decision__in=("hit", "possible"))),
            refused=Count("pk", filter=Q(decision="refused")),
        )
        .order_by("-month", "member")
    )
    outgoing = list(
        Query.objects.filter(office_id=user.office_id, asked_at__gte=since)
        .annotate(month=TruncMonth("asked_at"))
        .values("asked_by__full_name", "month")
        .annotate(queries=Count("pk"))
        .order_by("-month", "asked_by__full_name")
    )
    return Volumes(since=since, incoming=incoming, outgoing=outgoing)


@dataclass(frozen=True)
class IndexStatus:
    key_fingerprint: str
    offered: list[str]
    entries: int
    suspects: int
    victims: int
    generation: int
    refreshed_at: datetime | None


def index_status() -> IndexStatus:
    active = MatchKey.objects.filter(state=MatchKey.State.ACTIVE).values_list("fingerprint", flat=True).first()
    offered = list(MatchKey.objects.filter(state=MatchKey.State.OFFERED).values_list("fingerprint", flat=True))
    state = IndexState.objects.filter(pk=1).first()
    counts = IndexEntry.objects.aggregate(
        entries=Count("pk"),
        suspects=Count("pk", filter=Q(is_suspect=True)),
        victims=Count("pk", filter=Q(is_victim=True)),
    )
    return IndexStatus(
        key_fingerprint=active or "",
        offered=offered,
        entries=counts["entries"],
        suspects=counts["suspects"],
        victims=counts["victims"],
        generation=state.generation if state else 0,
        refreshed_at=state.refreshed_at if state else None,
    )
