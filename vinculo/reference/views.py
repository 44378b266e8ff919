"""Reference data pages: anyone signed in may read them; node administrators correct them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from vinculo.accounts.decorators import require_permission, signed_in_user
from vinculo.accounts.roles import Permission
from vinculo.core.errors import DomainError
from vinculo.core.versioning import CHANGED_MEANWHILE
from vinculo.reference import selectors, services
from vinculo.reference.forms import (
    PROVISION_COLUMNS,
    BorderCrossingForm,
    CodeForm,
    CrossingFilterForm,
    LegalProvisionForm,
    ProvisionFilterForm,
    ProvisionImportForm,
    ProvisionStateForm,
)
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
def provision_list_view(request: HttpRequest) -> HttpResponseBase:
    if request.method == "POST":  # adding to the collection: the same as the "new provision" page
        return provision_add_view(request)
    user = signed_in_user(request)
    filters = ProvisionFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    context = {
        "filters": filters,
        "status": status,
        "provisions": selectors.legal_provisions(status=status),
        "can_edit": user.has_permission(Permission.NODE_MANAGE),
        "own_country": user.office.country,
    }
    return render(request, "reference/provision_list.html", context)


@require_permission(Permission.NODE_MANAGE)
def provision_add_view(request: HttpRequest) -> HttpResponse:
    form = LegalProvisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = {key: value for key, value in form.cleaned_data.items() if key != "version"}
            try:
                provision = services.add_legal_provision(by=signed_in_user(request), **data)
            except (DomainError, ValidationError) as error:
                show_error_on_form(form, error)
            else:
                messages.success(
                    request, _("The legal provision %(provision)s has been added.") % {"provision": provision}
                )
                return redirect("reference:provision_list")
    return render(request, "reference/provision_form.html", {"form": form, "provision": None}, status=status)


@require_permission(Permission.NODE_MANAGE)
def provision_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    provision = selectors.legal_provision_for_admin(user, pk)
    form = LegalProvisionForm(
        request.POST or None, initial=LegalProvisionForm.initial_for(provision), current=provision
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_legal_provision(
                    by=user,
                    provision=provision,
                    instrument=data["instrument"],
                    article=data["article"],
                    title_es=data["title_es"],
                    title_en=data["title_en"],
                    iccs_code=data["iccs_code"],
                    crime_family=data["crime_family"],
                    expected_version=data["version"],
                )
            except (DomainError, ValidationError) as error:
                show_error_on_form(form, error)
            else:
                messages.success(request, _("The legal provision has been saved."))
                return redirect("reference:provision_list")
    context = {"form": form, "provision": provision, "charge_count": selectors.charges_citing(provision)}
    return render(request, "reference/provision_form.html", context, status=status)


@require_permission(Permission.NODE_MANAGE)
def provision_import_view(request: HttpRequest) -> HttpResponse:
    """Add many provisions from a CSV file: checked first, then all or nothing."""
    form = ProvisionImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                report = services.import_legal_provisions(
                    by=signed_in_user(request),
                    rows=form.cleaned_data["file"],
                    check_only=form.cleaned_data["check_only"],
                )
            except DomainError as error:
                form.add_error(None, str(error.message))
            else:
                if not report.problems and not report.check_only:
                    messages.success(
                        request,
                        ngettext(
                            "%(count)d legal provision has been added.",
                            "%(count)d legal provisions have been added.",
                            len(report.added),
                        )
                        % {"count": len(report.added)},
                    )
                    return redirect("reference:provision_list")
                status = 400 if report.problems else 200
    context = {"form": form, "report": report, "columns": PROVISION_COLUMNS}
    return render(request, "reference/provision_import.html", context, status=status)


PROVISION_STATE_CHANGES = {
    "retire": (services.retire_legal_provision, gettext_lazy("The legal provision has been retired.")),
    "reactivate": (services.reactivate_legal_provision, gettext_lazy("The legal provision is in force again.")),
}


@require_POST
@require_permission(Permission.NODE_MANAGE)
def provision_state_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Retire a provision or put it back in force, from the buttons on its page."""
    user = signed_in_user(request)
    provision = selectors.legal_provision_for_admin(user, pk)
    if action not in PROVISION_STATE_CHANGES:
        raise Http404
    change, done = PROVISION_STATE_CHANGES[action]
    form = ProvisionStateForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(CHANGED_MEANWHILE)
        change(by=user, provision=provision, expected_version=form.cleaned_data["version"])
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("reference:provision_edit", pk=provision.pk)
    messages.success(request, str(done))
    return redirect("reference:provision_list")
