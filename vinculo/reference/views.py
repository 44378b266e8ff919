"""Reference data pages: anyone signed in may read them; node administrators correct them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from vinculo.accounts.decorators import require_permission, signed_in_user
from vinculo.accounts.roles import Permission
from vinculo.core.errors import DomainError
from vinculo.reference import selectors, services
from vinculo.reference.forms import BorderCrossingForm, CodeForm, CrossingFilterForm, LegalProvisionForm
from vinculo.web.form_errors import show_error_on_form


@login_required
def index_view(request: HttpRequest) -> HttpResponse:
    context = {
        "code_lists": selectors.code_lists(),
        "crossing_count": selectors.border_crossings().count(),
        "unverified_count": selectors.border_crossings(verified="no").count(),
        "populations": selectors.populations(),
        "can_edit": signed_in_user(request).has_permission(Permission.NODE_MANAGE),
    }
    return render(request, "reference/index.html", context)


@login_required
def crossing_list_view(request: HttpRequest) -> HttpResponse:
    filters = CrossingFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    crossings = selectors.border_crossings(
        country=criteria.get("country", ""), verified=criteria.get("verified", ""), text=criteria.get("text", "")
    )
    context = {
        "filters": filters,
        "crossings": crossings,
        "can_edit": signed_in_user(request).has_permission(Permission.NODE_MANAGE),
    }
    template = "reference/crossing_list.html#crossing-rows" if request.htmx else "reference/crossing_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_permission(Permission.NODE_MANAGE)
def crossing_edit_view(request: HttpRequest, code: str) -> HttpResponse:
    crossing = selectors.border_crossing(code)
    initial = {
        "name": crossing.name,
        "kind": crossing.kind,
        "latitude": crossing.latitude,
        "longitude": crossing.longitude,
        "notes": crossing.notes,
        "coordinates_verified": crossing.coordinates_verified,
        "is_active": crossing.is_active,
        "version": crossing.version,
    }
    form = BorderCrossingForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_border_crossing(
                    by=signed_in_user(request),
                    crossing=crossing,
                    name=data["name"],
                    kind=data["kind"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    notes=data["notes"],
                    coordinates_verified=data["coordinates_verified"],
                    is_active=data["is_active"],
                    expected_version=data["version"],
                )
            except DomainError as error:
                form.add_error(None, str(error.message))
            else:
                messages.success(request, _("The border crossing has been saved."))
                return redirect("reference:crossing_list")
    return render(request, "reference/crossing_form.html", {"crossing": crossing, "form": form}, status=status)


@login_required
def code_list_view(request: HttpRequest, key: str) -> HttpResponse:
    code_list = selectors.code_list(key)
    context = {
        "code_list": code_list,
        "codes": selectors.codes_of(key, active_only=False),
        "can_edit": signed_in_user(request).has_permission(Permission.NODE_MANAGE),
    }
    return render(request, "reference/code_list.html", context)


@require_permission(Permission.NODE_MANAGE)
def code_edit_view(request: HttpRequest, key: str, value: str) -> HttpResponse:
    code = selectors.code(key, value)
    initial = {
        "label_es": code.label_es,
        "label_en": code.label_en,
        "definition_es": code.definition_es,
        "definition_en": code.definition_en,
        "is_active": code.is_active,
        "version": code.version,
    }
    form = CodeForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_code(
                    by=signed_in_user(request),
                    code=code,
                    label_es=data["label_es"],
                    label_en=data["label_en"],
                    definition_es=data["definition_es"],
                    definition_en=data["definition_en"],
                    is_active=data["is_active"],
                    expected_version=data["version"],
                )
            except DomainError as error:
                form.add_error(None, str(error.message))
            else:
                messages.success(request, _("The code has been saved."))
                return redirect("reference:code_list", key=key)
    return render(request, "reference/code_form.html", {"code": code, "form": form}, status=status)


@login_required
def provision_list_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    can_edit = user.has_permission(Permission.NODE_MANAGE)
    form = LegalProvisionForm(request.POST or None) if can_edit else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("node.manage")
        status = 400
        if form.is_valid():
            try:
                services.add_legal_provision(by=user, **form.cleaned_data)
            except (DomainError, ValidationError) as error:
                show_error_on_form(form, error)
            else:
                messages.success(request, _("The legal provision has been added."))
                return redirect("reference:provision_list")
    context = {"provisions": selectors.legal_provisions(), "form": form}
    return render(request, "reference/provision_list.html", context, status=status)
