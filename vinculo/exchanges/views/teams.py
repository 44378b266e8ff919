"""Joint teams: the office's teams, forming one, and a team's page (its offices, the thread of
messages and tasks, posting, marking a task done or open again, adding an office).

Each member office keeps its own copy of a team; the services send every change to the others.
Every action is a POST to ``<team>/<action>/``; a refusal is shown on the team's page with what
the person typed, and nothing changes.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vinculo.accounts.decorators import require_any_permission, signed_in_user
from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.cases.selectors import cases_visible_to
from vinculo.core.errors import DomainError, NotFound
from vinculo.exchanges import selectors
from vinculo.exchanges.forms.teams import MemberForm, PostForm, TeamForm
from vinculo.exchanges.models import JointTeam, TeamItem
from vinculo.exchanges.services import files, teams
from vinculo.exchanges.views.common import (
    NO_DIRECTORY,
    PAGE_SIZE,
    codes_with_meanings,
    nothing_done,
    office_name,
    offices_to_choose,
    refusal,
)
from vinculo.messaging import network
from vinculo.web.downloads import private_download
from vinculo.web.form_errors import show_error_on_form

team_staff = require_any_permission(Permission.EXCHANGE_SEND, Permission.EXCHANGE_ANSWER)
ACTIONS = ("post", "add-member")
TASK_ACTIONS = {"done": True, "reopen": False}
OPEN_TASK = Q(items__kind=TeamItem.Kind.TASK, items__task_status=TeamItem.TaskStatus.OPEN)


def _found(user: User, team_id: uuid.UUID) -> JointTeam:
    try:
        return selectors.team_for(user, team_id)
    except NotFound:
        raise Http404 from None


def _is_lead(team: JointTeam) -> bool:
    return team.lead == team.office.code


# --- the list and forming a team ------------------------------------------------------------------


@dataclass(frozen=True)
class ListedTeam:
    team: JointTeam
    lead: str
    members: list[str]
    open_tasks: int
    last_at: datetime.datetime | None


@require_GET
@team_staff
def team_list_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    found = (
        selectors.teams_visible_to(user)
        .select_related("office")
        .annotate(
            open_tasks=Count(
                "items", filter=Q(items__kind=TeamItem.Kind.TASK, items__task_status=TeamItem.TaskStatus.OPEN)
            ),
            last_at=Max("items__at"),
        )
        .order_by("-created_at")
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    names = selectors.offices_by_code({code for team in shown for code in team.members})
    rows = [
        ListedTeam(
            team=team,
            lead=office_name(names, team.lead),
            members=[office_name(names, code) for code in team.members if code != team.lead],
            open_tasks=team.open_tasks,  # type: ignore[attr-defined]
            last_at=team.last_at,  # type: ignore[attr-defined]
        )
        for team in shown
    ]
    return render(request, "exchanges/team_list.html", {"page": page, "rows": rows})


@team_staff
def team_create_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    offices, directory_missing = offices_to_choose(user)
    form = TeamForm(request.POST if request.method == "POST" else None, user=user, offices=offices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = teams.form_team(by=user, name=data["name"], members=data["members"], case=data.get("case"))
        except (DomainError, network.NetworkUnavailable) as error:
            show_error_on_form(form, DomainError(refusal(error)))
        else:
            messages.success(request, _("The team has been formed; each office receives its copy."))
            return redirect("exchanges:team_detail", team_id=team.pk)
    context = {"form": form, "directory_missing": directory_missing, "no_directory": NO_DIRECTORY}
    return render(request, "exchanges/team_form.html", context, status=400 if request.method == "POST" else 200)


# --- one team -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    code: str
    name: str
    is_lead: bool
    is_us: bool


@dataclass(frozen=True)
class Entry:
    """One item of the thread as the page shows it."""

    item: TeamItem
    author: str  # the author's office
    text: str
    conditions: str  # H3's, shown in their own box
    codes: list[tuple[str, Any]]
    owner: str  # a task's office
    is_overdue: bool


def _entry(item: TeamItem, names: dict[str, Any], today: datetime.date) -> Entry:
    content = teams.content_of(item)
    return Entry(
        item=item,
        author=office_name(names, item.author_office),
        text=content["text"],
        conditions=content["conditions"],
        codes=codes_with_meanings(list(item.handling)),
        owner=office_name(names, item.task_owner_office) if item.task_owner_office else "",
        is_overdue=(
            item.task_status == TeamItem.TaskStatus.OPEN and item.task_due_on is not None and item.task_due_on < today
        ),
    )


def _page(
    request: HttpRequest,
    user: User,
    team: JointTeam,
    *,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    items = list(selectors.team_items(team))
    names = selectors.offices_by_code(
        {*team.members, *(i.author_office for i in items), *(i.task_owner_office for i in items)} - {""}
    )
    me = team.office.code
    members = [Member(code, office_name(names, code), code == team.lead, code == me) for code in team.members]
    post_form = bound.get("post") or PostForm(
        members=[(m.code, f"{m.name} ({m.code})") for m in members], initial={"language": user.language}
    )
    member_form = bound.get("add-member")
    directory_missing = False
    if member_form is None and _is_lead(team):
        offices, directory_missing = offices_to_choose(user)
        newcomers = [o for o in offices if o.code not in team.members]
        member_form = MemberForm(offices=newcomers) if newcomers else None
    today = timezone.localdate()
    context = {
        "team": team,
        "my_office": me,
        "members": members,
        "lead_name": office_name(names, team.lead),
        "is_lead": _is_lead(team),
        "entries": [_entry(item, names, today) for item in items],
        "open_tasks": sum(1 for i in items if i.task_status == TeamItem.TaskStatus.OPEN),
        "may_open_case": team.case_id is not None and cases_visible_to(user).filter(pk=team.case_id).exists(),
        "post_form": post_form,
        "member_form": member_form,
        "directory_missing": directory_missing,
        "no_directory": NO_DIRECTORY,
        "opened": next(iter(bound), ""),
    }
    return render(request, "exchanges/team_detail.html", context, status=400 if bound else status)


@require_GET
@team_staff
def team_detail_view(request: HttpRequest, team_id: uuid.UUID) -> HttpResponse:
    user = signed_in_user(request)
    team = _found(user, team_id)
    teams.record_team_viewed(by=user, team=team)
    return _page(request, user, team)


def _post(request: HttpRequest, user: User, team: JointTeam) -> forms.Form | None:
    form = PostForm(request.POST, request.FILES, members=[(code, code) for code in team.members])
    if form.is_valid():
        data = form.cleaned_data
        try:
            prepared = files.prepare_uploads(data.get("files") or [])
            item = teams.post(
                by=user, team=team, text=data["text"], codes=form.codes(), conditions=data.get("conditions") or "",
                language=data["language"], task_owner=data.get("task_owner") or "", task_due_on=data.get("task_due_on"),
                document=prepared[0] if prepared else None,
            )  # fmt: skip
        except (DomainError, network.NetworkUnavailable) as error:
            show_error_on_form(form, DomainError(refusal(error)))
        else:
            if item.kind == TeamItem.Kind.TASK:
                messages.success(request, _("The task has been added; every office of the team receives it."))
            elif item.kind == TeamItem.Kind.DOCUMENT:
                messages.success(request, _("The document has been shared; every office of the team receives it."))
            else:
                messages.success(request, _("Your message has been posted; every office of the team receives it."))
            return None
    return form


def _add_member(request: HttpRequest, user: User, team: JointTeam) -> forms.Form | None:
    offices, _missing = offices_to_choose(user)
    form = MemberForm(request.POST, offices=[o for o in offices if o.code not in team.members])
    if form.is_valid():
        try:
            teams.add_member(by=user, team=team, member=form.cleaned_data["member"])
        except (DomainError, network.NetworkUnavailable) as error:
            show_error_on_form(form, DomainError(refusal(error)))
        else:
            messages.success(
                request,
                _("The office has been added; it receives the team's history except what is marked H2."),
            )
            return None
    return form


@require_POST
@team_staff
def team_action_view(request: HttpRequest, team_id: uuid.UUID, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    user = signed_in_user(request)
    team = _found(user, team_id)
    again = _post(request, user, team) if action == "post" else _add_member(request, user, team)
    if again is None:
        return redirect("exchanges:team_detail", team_id=team.pk)
    nothing_done(request, again)
    return _page(request, user, _found(user, team_id), bound={action: again})


@require_POST
@team_staff
def task_status_view(request: HttpRequest, team_id: uuid.UUID, item_id: uuid.UUID, action: str) -> HttpResponse:
    if action not in TASK_ACTIONS:
        raise Http404
    user = signed_in_user(request)
    team = _found(user, team_id)
    item = selectors.team_items(team).filter(pk=item_id).first()
    if item is None:
        raise Http404
    try:
        teams.set_task_status(by=user, item=item, done=TASK_ACTIONS[action])
    except (DomainError, network.NetworkUnavailable) as error:
        messages.error(request, refusal(error))
        return _page(request, user, _found(user, team_id), status=400)
    messages.success(request, _("The task is marked done.") if TASK_ACTIONS[action] else _("The task is open again."))
    return redirect(f"{reverse('exchanges:team_detail', args=[team.pk])}#item-{item.pk}")


@require_GET
@team_staff
def team_document_view(request: HttpRequest, team_id: uuid.UUID, item_id: uuid.UUID) -> HttpResponseBase:
    """A document received in the team, downloaded (verified as it is read); audited."""
    user = signed_in_user(request)
    team = _found(user, team_id)
    item = selectors.team_items(team).filter(pk=item_id).first()
    if item is None:
        raise Http404
    try:
        stream = teams.open_document(by=user, item=item)
    except DomainError as error:
        messages.error(request, refusal(error))
        return redirect(f"{reverse('exchanges:team_detail', args=[team.pk])}#item-{item.pk}")
    return private_download(stream, name=item.file_name, media_type=item.file_media_type)
