"""A person's notifications: the list, opening one (marks it read), marking all read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from vinculo.accounts.decorators import signed_in_user
from vinculo.notifications import selectors, services
from vinculo.notifications.kinds import text_of


@login_required
def notification_list_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    page = Paginator(selectors.notifications_of(user), 30).get_page(request.GET.get("page"))
    names = selectors.office_names(list(page))
    rows = [(notification, text_of(notification.kind, notification.facts, names)) for notification in page]
    return render(request, "notifications/notification_list.html", {"page": page, "rows": rows})


@require_POST
@login_required
def notification_open_view(request: HttpRequest, notification_id: int) -> HttpResponse:
    user = signed_in_user(request)
    notification = get_object_or_404(selectors.notifications_of(user), pk=notification_id)
    services.mark_read(user=user, notification_ids=[notification.pk])
    safe = url_has_allowed_host_and_scheme(notification.link, allowed_hosts={request.get_host()})
    return redirect(notification.link if notification.link and safe else "notifications:list")


@require_POST
@login_required
def mark_all_read_view(request: HttpRequest) -> HttpResponse:
    services.mark_read(user=signed_in_user(request))
    return redirect("notifications:list")


@login_required
def badge_view(request: HttpRequest) -> HttpResponse:
    """The link's words with the number of unread notifications (loaded after the page)."""
    count = selectors.unread_count(signed_in_user(request))
    return render(request, "notifications/badge.html", {"count": count})
