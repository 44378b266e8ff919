"""Hit/no-hit pages: the queries (asking one, its answers per office), the hits on this office's
records for the focal point to confirm or reject, the hub's cross-match notices, and the volumes
for oversight. Thin: permission, selector, form, one service, render.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from vinculo.accounts.decorators import require_any_permission, require_permission, signed_in_user
from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.cases.models import CaseParty
from vinculo.cases.selectors import cases_visible_to
from vinculo.core.errors import DomainError
from vinculo.exchanges import selectors as exchange_selectors
from vinculo.exchanges.views.common import NO_DIRECTORY, office_name, offices_to_choose, refusal
from vinculo.matching import selectors
from vinculo.matching.forms import HitDecisionForm, QueryForm
from vinculo.matching.models import Decision, Hit, Query, QueryRecipient
from vinculo.matching.services import queries
from vinculo.messaging import network
from vinculo.web.form_errors import show_error_on_form

PAGE_SIZE = 50
P = Permission
AREA = [
    ("queries", "matching:query_list", gettext_lazy("Queries"), (P.MATCH_QUERY, P.MATCH_CONFIRM)),
    ("hits", "matching:hit_list", gettext_lazy("Hits to confirm"), (P.MATCH_CONFIRM,)),
    ("crossmatch", "matching:crossmatch", gettext_lazy("Cross-match"), (P.MATCH_CONFIRM,)),
    ("volumes", "matching:volumes", gettext_lazy("Volumes"), (P.MATCH_CONFIRM, P.AUDIT_VIEW)),
]
REFUSALS = {
    "quota": gettext_lazy("refused: your office asked more queries today than this office answers"),
    "key_mismatch": gettext_lazy("refused: that office uses another network match key"),
    "scheme_mismatch": gettext_lazy("refused: that office encodes with another scheme version"),
    "no_key": gettext_lazy("refused: that office has no network match key yet"),
    "not_allowed": gettext_lazy("refused: that office does not answer victim queries from your roles"),
}


def area(user: User, current: str) -> list[dict[str, Any]]:
    """The parts of the hit/no-hit area this person may open, ``current`` marked."""
    return [
        {"url": reverse(url_name), "label": label, "is_current": name == current}
        for name, url_name, label, permissions in AREA
        if any(user.has_permission(permission) for permission in permissions)
    ]


def _names(codes: set[str]) -> dict[str, Any]:
    return exchange_selectors.offices_by_code(codes)


# --- queries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answered:
    office: str
    row: QueryRecipient
    refusal: str
    request_url: str  # "request information about this hit", "" when there is nothing to follow up


@require_GET
@require_any_permission(Permission.MATCH_QUERY, Permission.MATCH_CONFIRM)
def query_list_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    page = Paginator(selectors.queries_visible_to(user), PAGE_SIZE).get_page(request.GET.get("page"))
    shown: list[Query] = list(page.object_list)
    names = _names({r.member for q in shown for r in q.recipients.all()})
    rows = [
        {
            "query": q,
            "answers": [(office_name(names, r.member), r) for r in sorted(q.recipients.all(), key=lambda r: r.member)],
        }
        for q in shown
    ]
    context = {
        "area": area(user, "queries"),
        "page": page,
        "rows": rows,
        "may_ask": user.has_permission(Permission.MATCH_QUERY),
        "sees_all": selectors.sees_all_queries(user),
    }
    return render(request, "matching/query_list.html", context)


@require_permission(Permission.MATCH_QUERY)
def query_create_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    offices, directory_missing = offices_to_choose(user)
    party = _party_from(user, request.GET.get("case", ""), request.GET.get("party", ""))
    initial: dict[str, Any] = {"kind": "person", "purpose": "investigation"}
    if party is not None:
        initial.update(case=party.case.national_number, party=party.pk)
    form = QueryForm(request.POST or None, user=user, offices=offices, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            query = queries.ask(
                by=user, asked=form.asked(), purpose=data["purpose"], case=data.get("case"),
                case_reference=data.get("case_reference") or "", legal_basis=data["legal_basis"],
                members=data["recipients"],
            )  # fmt: skip
        except (DomainError, network.NetworkUnavailable) as error:
            show_error_on_form(form, DomainError(refusal(error)))
        else:
            messages.success(request, _("The query has been sent; each office answers on its own."))
            return redirect("matching:query_detail", query_id=query.pk)
    bound_party = party if party is not None else _party_from(user, "", str(form["party"].value() or ""))
    context = {
        "area": area(user, "queries"),
        "form": form,
        "party": bound_party,
        "directory_missing": directory_missing,
        "no_directory": NO_DIRECTORY,
    }
    return render(request, "matching/query_form.html", context, status=400 if request.method == "POST" else 200)


def _party_from(user: User, case_id: str, party_id: str) -> CaseParty | None:
    """A person of one of the user's cases, to ask about without typing (or showing) their identity."""
    if not party_id.isdigit():
        return None
    found = CaseParty.objects.select_related("case", "role").filter(pk=int(party_id)).first()
    if found is None or not cases_visible_to(user).filter(pk=found.case_id).exists():
        return None
    if case_id and str(found.case_id) != case_id:
        return None
    return found


def _answers(query: Query) -> list[Answered]:
    rows = sorted(query.recipients.all(), key=lambda r: r.member)
    names = _names({r.member for r in rows})
    found = []
    now = timezone.now()
    for row in rows:
        url = ""
        live = row.expires_at is None or row.expires_at > now
        if row.decision in (Decision.HIT, Decision.POSSIBLE) and live and row.hit_status != "rejected":
            url = (
                reverse("exchanges:request_create")
                + "?"
                + urlencode(
                    {
                        "hit": row.hit_reference,
                        "to": row.member,
                        "case": query.case.national_number if query.case else "",
                    }
                )
            )
        found.append(Answered(office_name(names, row.member), row, str(REFUSALS.get(row.refusal, "")), url))
    return found


@require_any_permission(Permission.MATCH_QUERY, Permission.MATCH_CONFIRM)
def query_detail_view(request: HttpRequest, query_id: uuid.UUID) -> HttpResponse:
    user = signed_in_user(request)
    query = selectors.query_for(user, query_id)
    answers = _answers(query)
    waiting = any(a.row.state == QueryRecipient.State.SENT for a in answers)
    undelivered = any(a.row.state == QueryRecipient.State.UNDELIVERED for a in answers)
    context = {
        "area": area(user, "queries"),
        "query": query,
        "answers": answers,
        "waiting": waiting,
        "undelivered": undelivered,
    }
    if request.htmx:  # type: ignore[attr-defined]  # the answers refresh themselves while some are still awaited
        return render(request, "matching/query_detail.html#answers", context)
    queries.record_query_viewed(by=user, query=query)
    asked = queries.asked_values(query)
    context["asked"] = asked
    party_id = asked.get("party_id")
    context["party"] = _party_from(user, "", str(party_id)) if party_id else None
    return render(request, "matching/query_detail.html", context)


# --- hits on this office's records -----------------------------------------------------------------


@require_GET
@require_permission(Permission.MATCH_CONFIRM)
def hit_list_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    state = request.GET.get("state", Hit.State.PENDING)
    if state not in Hit.State.values and state != "all":
        state = Hit.State.PENDING
    found = selectors.hits_for(user, state="" if state == "all" else state)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    shown: list[Hit] = list(page.object_list)
    names = _names({h.incoming.member for h in shown})
    context = {
        "area": area(user, "hits"),
        "page": page,
        "rows": [(office_name(names, h.incoming.member), h) for h in shown],
        "state": state,
        "states": [(Hit.State.PENDING.value, Hit.State.PENDING.label), ("all", _("All"))],
    }
    return render(request, "matching/hit_list.html", context)


def _hit_page(
    request: HttpRequest, user: User, hit: Hit, form: HitDecisionForm | None, status: int = 200
) -> HttpResponse:
    names = _names({hit.incoming.member})
    context = {
        "area": area(user, "hits"),
        "hit": hit,
        "office": office_name(names, hit.incoming.member),
        "held": selectors.held_records(user, hit),
        "form": form or HitDecisionForm(initial={"version": hit.version}),
        "expired": hit.expires_at <= timezone.now(),
    }
    return render(request, "matching/hit_detail.html", context, status=status)


@require_GET
@require_permission(Permission.MATCH_CONFIRM)
def hit_detail_view(request: HttpRequest, hit_id: int) -> HttpResponse:
    user = signed_in_user(request)
    hit = selectors.hit_for(user, hit_id)
    queries.record_hit_viewed(by=user, hit=hit)
    return _hit_page(request, user, hit, None)


@require_POST
@require_permission(Permission.MATCH_CONFIRM)
def hit_decide_view(request: HttpRequest, hit_id: int) -> HttpResponse:
    user = signed_in_user(request)
    hit = selectors.hit_for(user, hit_id)
    form = HitDecisionForm(request.POST)
    if form.is_valid():
        confirm = form.cleaned_data["decision"] == "confirm"
        try:
            queries.decide_hit(
                by=user, hit=hit, expected_version=form.cleaned_data["version"], confirm=confirm,
                note=form.cleaned_data.get("note") or "",
            )  # fmt: skip
        except (DomainError, network.NetworkUnavailable) as error:
            show_error_on_form(form, DomainError(refusal(error)))
        else:
            if confirm:
                messages.success(request, _("Hit confirmed; the asking office is told and may now get an answer."))
            else:
                messages.success(request, _("Hit rejected; the asking office is told."))
            return redirect("matching:hit_detail", hit_id=hit.pk)
    messages.error(request, _("Nothing was done: the reason is shown below."))
    return _hit_page(request, user, hit, form, status=400)


# --- the hub's cross-match, and the volumes -----------------------------------------------------------


@require_GET
@require_permission(Permission.MATCH_CONFIRM)
def crossmatch_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    page = Paginator(selectors.notices_for(user), PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    names = _names({n.other_member for n in shown})
    rows = [
        {"notice": n, "office": office_name(names, n.other_member), "parties": selectors.parties_of_notice(user, n)}
        for n in shown
    ]
    context = {
        "area": area(user, "crossmatch"),
        "page": page,
        "rows": rows,
        "may_request": user.has_permission(Permission.EXCHANGE_SEND),
    }
    return render(request, "matching/crossmatch.html", context)


@require_GET
@require_any_permission(Permission.MATCH_CONFIRM, Permission.AUDIT_VIEW)
def volumes_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    found = selectors.volumes(user)
    names = _names({row["member"] for row in found.incoming})
    incoming = [{**row, "office": office_name(names, row["member"])} for row in found.incoming]
    context = {"area": area(user, "volumes"), "volumes": found, "incoming": incoming}
    return render(request, "matching/volumes.html", context)
