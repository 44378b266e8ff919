"""Case registry pages: list, file, register, change, and the case team."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from vinculo.accounts.decorators import require_permission, signed_in_user
from vinculo.accounts.models import User
from vinculo.accounts.roles import Permission
from vinculo.cases import route_diagram, selectors, tabular
from vinculo.cases.forms import (
    AssignForm,
    CaseFilterForm,
    CaseForm,
    ChargeForm,
    ConsentForm,
    DecisionForm,
    DocumentForm,
    EventForm,
    ExploitationForm,
    ExportPersonsForm,
    IdentityForm,
    ImportForm,
    LinkForm,
    PartyEditForm,
    PartyForm,
    ProceedingEndForm,
    ProceedingForm,
    ReasonForm,
    RevealForm,
    SupportForm,
)
from vinculo.cases.models import EXPLOITATION_CODE_LISTS, PendingImport, Proceeding, SupportRecord
from vinculo.cases.services import case_files as services
from vinculo.cases.services import (
    charges,
    documents,
    events,
    exploitation,
    imports,
    links,
    parties,
    proceedings,
    support,
)
from vinculo.core.errors import DomainError
from vinculo.web.form_errors import show_error_on_form


def _not_found_for_case_staff(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not (user.has_permission(Permission.CASE_VIEW) or user.has_permission(Permission.VICTIM_SUPPORT)):
        raise PermissionDenied("case.view")
    return user


@login_required
def case_list_view(request: HttpRequest) -> HttpResponse:
    user = _not_found_for_case_staff(request)
    filters = CaseFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    cases = selectors.case_list(
        user,
        text=criteria.get("text") or "",
        stage=criteria["stage"].code if criteria.get("stage") else "",
        crime_family=criteria["crime_family"].code if criteria.get("crime_family") else "",
        year=criteria.get("year"),
        status=criteria.get("status") or "",
        exploitation_form=criteria["exploitation_form"].code if criteria.get("exploitation_form") else "",
        border_crossing=criteria["border_crossing"].code if criteria.get("border_crossing") else "",
    )
    page = selectors.page_of_cases(cases, request.GET.get("page"))
    context = {"filters": filters, "page": page, "can_open": user.has_permission(Permission.CASE_EDIT)}
    template = "cases/case_list.html#case-rows" if request.htmx else "cases/case_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def case_detail_view(request: HttpRequest, case_id: str) -> HttpResponse:
    user = _not_found_for_case_staff(request)
    case = selectors.case_for_user(user, case_id)
    services.record_case_viewed(by=user, case=case)
    can_manage = selectors.can_manage_team(user, case)
    may_support = support.can_support(user, case)
    context = {
        "case": case,
        "team": selectors.team_of(case),
        "can_edit": selectors.can_edit(user, case),
        "may_query_network": user.has_permission(Permission.MATCH_QUERY),
        "can_manage_team": can_manage,
        "assign_form": AssignForm(people=selectors.assignable_people(case)) if can_manage else None,
        "parties": [
            (party, selectors.palermo_check(party), may_support, support.consent_in_force(party))
            for party in selectors.parties_of(case, user)
        ],
        "victims_only": selectors.sees_victims_only(user),
        "links": [] if selectors.sees_victims_only(user) else selectors.links_of(user, case),
        "link_form": LinkForm(),
        "reveal_form": RevealForm(),
        "events": [] if selectors.sees_victims_only(user) else selectors.events_of(case),
        "route": [] if selectors.sees_victims_only(user) else selectors.route_of(case),
        "route_diagram": (
            None
            if selectors.sees_victims_only(user)
            else route_diagram.draw(selectors.route_for_diagram(case), translate=_)
        ),
        "proceedings": [] if selectors.sees_victims_only(user) else selectors.proceedings_of(case),
        "documents": selectors.documents_of(user, case),
        "may_add_documents": may_support,
    }
    return render(request, "cases/case_detail.html", context)


def _save(request: HttpRequest, form: CaseForm, case_id: str | None) -> HttpResponse | None:
    """Run the service for a valid form; None when the form got an error to show."""
    user = signed_in_user(request)
    try:
        if case_id is None:
            case = services.open_case(by=user, national_number=form.cleaned_data["national_number"], **form.facts())
            messages.success(request, _("The case has been registered."))
        else:
            current = selectors.case_for_user(user, case_id, need="edit")
            case = services.update_case(
                by=user, case=current, expected_version=form.cleaned_data["version"], **form.facts()
            )
            messages.success(request, _("The case has been saved."))
    except DomainError as error:
        form.add_error("national_number" if error.code == "number_taken" else None, str(error.message))
        return None
    except ValidationError as error:
        show_error_on_form(form, error)
        return None
    return redirect("cases:case_detail", case_id=case.pk)


@require_permission(Permission.CASE_EDIT)
def case_create_view(request: HttpRequest) -> HttpResponse:
    # Unknown is an answer (NK), so the facts rarely known at registration start as "not known".
    initial = {
        "reported_on_precision": "day",
        "summary_language": signed_in_user(request).language,
        "origin": "NK",
        "organized_crime": "NK",
        "trafficker_organization": "NK",
    }
    form = CaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        response = _save(request, form, None)
        if response is not None:
            return response
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/case_form.html", {"form": form, "case": None}, status=status)


@require_permission(Permission.CASE_EDIT)
def case_edit_view(request: HttpRequest, case_id: str) -> HttpResponse:
    case = selectors.case_for_user(signed_in_user(request), case_id, need="edit")
    initial = {
        "crime_family": case.crime_family,
        "origin": case.origin,
        "stage": case.stage,
        "closure_type": case.closure_type,
        "closed_on": case.closed_on,
        "reported_on": case.reported_on,
        "reported_on_precision": case.reported_on_precision,
        "organized_crime": case.organized_crime,
        "trafficker_organization": case.trafficker_organization,
        "summary": case.summary,
        "summary_language": case.summary_language,
        "visibility": case.visibility,
        "version": case.version,
    }
    form = CaseForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        response = _save(request, form, case_id)
        if response is not None:
            return response
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/case_form.html", {"form": form, "case": case}, status=status)


@require_POST
@require_permission(Permission.CASE_EDIT)
def team_add_view(request: HttpRequest, case_id: str) -> HttpResponse:
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="team")
    form = AssignForm(request.POST, people=selectors.assignable_people(case))
    if not form.is_valid():
        messages.error(request, _("Choose a person and their place in the team."))
    else:
        try:
            services.assign(by=user, case=case, person=form.cleaned_data["person"], role=form.cleaned_data["role"])
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The person has been added to the team."))
    return redirect("cases:case_detail", case_id=case.pk)


@require_POST
@require_permission(Permission.CASE_EDIT)
def team_remove_view(request: HttpRequest, case_id: str, user_id: int) -> HttpResponse:
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="team")
    person = selectors.team_of(case).filter(user_id=user_id).first()
    if person is not None:
        try:
            services.unassign(by=user, case=case, person=person.user)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The person has been removed from the team."))
    return redirect("cases:case_detail", case_id=case.pk)


@require_permission(Permission.CASE_EDIT)
def party_add_view(request: HttpRequest, case_id: str) -> HttpResponse:
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    form = PartyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        identity = parties.Identity(
            birth_date=data["birth_date"].isoformat() if data.get("birth_date") else "",
            **{name: data[name].strip() for name in PartyForm.IDENTITY_FIELDS},
        )
        try:
            parties.add_party(
                by=user,
                case=case,
                role=data["role"],
                sex=data["sex"],
                identity=identity,
                birth_year=data.get("birth_year"),
                citizenships=data.get("citizenships") or [],
                age_at_identification=data.get("age_at_identification"),
                identification_status=data.get("identification_status"),
            )
        except (DomainError, ValidationError) as error:
            show_error_on_form(form, error)
        else:
            messages.success(request, _("The person has been added to the case."))
            return redirect("cases:case_detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/party_form.html", {"case": case, "form": form}, status=status)


@never_cache
@require_POST
@login_required
def identity_reveal_view(request: HttpRequest, case_id: str, party_id: int) -> HttpResponse:
    """Show one identity once, after the checks; nothing is kept in the session or in caches."""
    user = _not_found_for_case_staff(request)
    case = selectors.case_for_user(user, case_id)
    party = selectors.party_of(case, party_id, user)
    form = RevealForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        identity = parties.reveal_identity(by=user, party=party, reason=reason)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("cases:case_detail", case_id=case.pk)
    correct_form = None
    if selectors.can_edit(user, case):
        values = {name: getattr(identity, name) for name in PartyForm.IDENTITY_FIELDS}
        correct_form = IdentityForm(initial={**values, "birth_date": identity.birth_date, "reason": reason})
    context = {"case": case, "party": party, "identity": identity, "correct_form": correct_form}
    return render(request, "cases/identity.html", context)


@require_permission(Permission.CASE_EDIT)
def exploitation_edit_view(request: HttpRequest, case_id: str, party_id: int) -> HttpResponse:
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    party = selectors.party_of(case, party_id)
    current = getattr(party, "exploitation", None)
    initial: dict[str, Any] = {"started_on_precision": "day", "ended_on_precision": "day"}
    if current is not None:
        initial = {field: list(getattr(current, field).all()) for field in EXPLOITATION_CODE_LISTS}
        initial.update(
            started_on=current.started_on,
            started_on_precision=current.started_on_precision,
            ended_on=current.ended_on,
            ended_on_precision=current.ended_on_precision,
            version=current.version,
        )
    form = ExploitationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            exploitation.record_exploitation(
                by=user,
                party=party,
                codes={field: data[field] for field in EXPLOITATION_CODE_LISTS},
                started_on=data["started_on"],
                started_on_precision=data["started_on_precision"],
                ended_on=data["ended_on"],
                ended_on_precision=data["ended_on_precision"],
                expected_version=data.get("version"),
            )
        except (DomainError, ValidationError) as error:
            show_error_on_form(form, error)
        else:
            messages.success(request, _("The exploitation facts have been saved."))
            return redirect("cases:case_detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    context = {"case": case, "party": party, "form": form, "palermo": selectors.palermo_check(party)}
    return render(request, "cases/exploitation_form.html", context, status=status)


@require_permission(Permission.CASE_EDIT)
def event_add_view(request: HttpRequest, case_id: str) -> HttpResponse:
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    form = EventForm(request.POST or None, parties=selectors.parties_of(case), initial={"occurred_on_precision": "day"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            events.add_event(
                by=user,
                case=case,
                event_type=data["event_type"],
                occurred_on=data["occurred_on"],
                occurred_on_precision=data["occurred_on_precision"],
                country=data["country"],
                place=data["place"],
                border_crossing=data["border_crossing"],
                transport=data["transport"],
                parties=data["parties"],
                notes=data["notes"],
            )
        except (DomainError, ValidationError) as error:
            show_error_on_form(form, error)
        else:
            messages.success(request, _("The event has been added to the route."))
            return redirect("cases:case_detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/event_form.html", {"case": case, "form": form}, status=status)


@require_POST
@require_permission(Permission.CASE_EDIT)
def event_remove_view(request: HttpRequest, case_id: str, event_id: int) -> HttpResponse:
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    event = selectors.events_of(case).filter(pk=event_id).first()
    if event is not None:
        events.remove_event(by=user, event=event)
        messages.success(request, _("The event has been removed."))
    return redirect("cases:case_detail", case_id=case.pk)


@login_required
def people_search_view(request: HttpRequest) -> HttpResponse:
    """Find people in the cases one may see, by name, document or phone (identities stay sealed)."""
    user = _not_found_for_case_staff(request)
    query = request.GET.get("q", "").strip()[:200]
    results = None
    if len(query) >= 2:
        results = list(selectors.people_search(user, query)[:100])
        kind = "number" if any(ch.isdigit() for ch in query) else "name"
        parties.record_people_search(by=user, kind=kind, results=len(results))
    return render(request, "cases/people_search.html", {"query": query, "results": results})


PENDING_HOURS = 1


@require_permission(Permission.CASE_EDIT)
def import_view(request: HttpRequest) -> HttpResponse:
    """Step one: upload and check (dry run). Nothing is stored in the cases until step two."""
    user = signed_in_user(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report, pending, file_problem = None, None, ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            report = imports.run_import(by=user, data=data, file_name=upload.name, dry_run=True)
        except tabular.FileProblem as problem:
            file_problem = str(problem)
        else:
            if report.ok:
                PendingImport.objects.filter(created_at__lt=timezone.now() - timedelta(hours=PENDING_HOURS)).delete()
                pending = PendingImport.objects.create(
                    user=user, file_name=upload.name[:200], data=data, sha256=report.file_sha256
                )
    status = 400 if (file_problem or (report and not report.ok)) else 200
    context = {"form": form, "report": report, "pending": pending, "file_problem": file_problem}
    return render(request, "cases/import.html", context, status=status)


@require_POST
@require_permission(Permission.CASE_EDIT)
def import_confirm_view(request: HttpRequest, pending_id: str) -> HttpResponse:
    """Step two: the real run of a checked file, all or nothing."""
    user = signed_in_user(request)
    pending = PendingImport.objects.filter(pk=pending_id, user=user).first()
    if pending is None or pending.created_at < timezone.now() - timedelta(hours=PENDING_HOURS):
        messages.error(request, _("That import has expired; upload the file again."))
        return redirect("cases:import")
    report = imports.run_import(by=user, data=bytes(pending.data), file_name=pending.file_name, dry_run=False)
    pending.delete()
    if not report.ok:
        # The cases changed since the check (someone else edited one): nothing was stored.
        return render(request, "cases/import.html", {"form": ImportForm(), "report": report}, status=409)
    messages.success(
        request,
        _(
            "Import finished: %(created)d created, %(updated)d updated, %(unchanged)d unchanged; "
            "persons: %(persons_created)d new, %(persons_updated)d updated."
        )
        % {
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "persons_created": report.persons_created,
            "persons_updated": report.persons_updated,
        },
    )
    return redirect("cases:case_list")


@login_required
def export_view(request: HttpRequest, file_format: str) -> HttpResponse:
    """The cases one may see, in the import template (Spanish or English headers); audited.

    The workbook also holds the persons sheet, pseudonymous (identities are exported only
    from the persons export, with a reason).
    """
    user = _not_found_for_case_staff(request)
    language = "en" if request.GET.get("lang") == "en" else "es"
    cases = selectors.cases_visible_to(user).order_by("national_number")
    rows = imports.export_rows(cases)
    parties.record_export(by=user, file_format=file_format, count=len(rows))
    response: HttpResponse
    if file_format == "xlsx":
        persons = imports.export_person_rows(by=user, cases=cases)
        imports.record_person_export(by=user, file_format=file_format, export=persons, reason=None)
        response = HttpResponse(
            tabular.write_xlsx(rows, language=language, persons=persons.rows), content_type=XLSX_TYPE
        )
    else:
        response = HttpResponse(
            "".join(tabular.write_csv(rows, language=language)), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{_export_name(user, "cases", file_format)}"'
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export_name(user: User, what: str, file_format: str) -> str:
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    return f"vinculo-{user.office.code}-{what}-{stamp}.{file_format}"


@login_required
@never_cache
def export_persons_view(request: HttpRequest) -> HttpResponse:
    """Persons of the cases one may see, as CSV. GET: pseudonymous. POST with a reason: with the
    identities one may reveal (each checked like a reveal on the case page); audited either way."""
    user = _not_found_for_case_staff(request)
    form = ExportPersonsForm(request.POST or request.GET or None)
    if request.method == "POST" and not form.is_valid():
        messages.error(request, _("Say why you need the identities (at least 10 characters); it is recorded."))
        return redirect("cases:import")
    language = "en" if (form.data.get("lang") == "en") else "es"
    reason = form.cleaned_data["reason"] if request.method == "POST" else None
    cases = selectors.cases_visible_to(user).order_by("national_number")
    persons = imports.export_person_rows(by=user, cases=cases, reveal_reason=reason)
    imports.record_person_export(by=user, file_format="csv", export=persons, reason=reason)
    body = "".join(tabular.write_csv(persons.rows, language=language, template=tabular.PERSONS))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name(user, "persons", "csv")}"'
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
def support_add_view(request: HttpRequest, case_id: str, party_id: int, category: str) -> HttpResponse:
    """Record a protection measure or a service for a victim (the case team or its victim care)."""
    user = _not_found_for_case_staff(request)
    case = selectors.case_for_user(user, case_id)
    party = selectors.party_of(case, party_id, user)
    if category not in SupportRecord.LISTS or not support.can_support(user, case):
        raise PermissionDenied("case.support")
    form = SupportForm(request.POST or None, list_key=SupportRecord.LISTS[category])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            support.add_support(
                by=user,
                party=party,
                category=category,
                kind=data["kind"],
                provider=data["provider"],
                started_on=data["started_on"],
                ended_on=data["ended_on"],
                notes=data["notes"],
            )
        except (DomainError, ValidationError) as error:
            show_error_on_form(form, error)
        else:
            messages.success(request, _("Recorded."))
            return redirect("cases:case_detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    context = {"case": case, "party": party, "form": form, "category": category}
    return render(request, "cases/support_form.html", context, status=status)


@require_POST
@require_permission(Permission.CASE_EDIT)
def link_add_view(request: HttpRequest, case_id: str) -> HttpResponse:
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the kind of link and the other case."))
    else:
        data = form.cleaned_data
        try:
            links.link_cases(
                by=user,
                case=case,
                link_type=data["link_type"],
                other_number=data["other_number"],
                foreign_reference=data["foreign_reference"],
            )
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The cases have been linked."))
    return redirect("cases:case_detail", case_id=case.pk)


@login_required
def consent_add_view(request: HttpRequest, case_id: str, party_id: int) -> HttpResponse:
    """Record a victim's consent decision (the case team or its victim care)."""
    user = _not_found_for_case_staff(request)
    case = selectors.case_for_user(user, case_id)
    party = selectors.party_of(case, party_id, user)
    if not support.can_support(user, case):
        raise PermissionDenied("case.consent")
    form = ConsentForm(request.POST or None, initial={"decided_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            support.record_consent(by=user, party=party, **data)
        except (DomainError, ValidationError) as error:
            show_error_on_form(form, error)
        else:
            messages.success(request, _("Recorded."))
            return redirect("cases:case_detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/consent_form.html", {"case": case, "party": party, "form": form}, status=status)


@require_permission(Permission.CASE_EDIT)
def charge_add_view(request: HttpRequest, case_id: str, party_id: int) -> HttpResponse:
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    party = selectors.party_of(case, party_id, user)
    form = ChargeForm(request.POST or None, country=case.office.country)
    if request.method == "POST" and form.is_valid():
        try:
            charges.add_charge(by=user, party=party, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("The charge has been recorded."))
            return redirect("cases:case_detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/charge_form.html", {"case": case, "party": party, "form": form}, status=status)


def _proceeding_of(case: Any, proceeding_id: int) -> Proceeding:
    try:
        return case.proceedings.get(pk=proceeding_id)
    except Proceeding.DoesNotExist as missing:
        raise Http404 from missing


@require_permission(Permission.CASE_EDIT)
def proceeding_add_view(request: HttpRequest, case_id: str) -> HttpResponse:
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    form = ProceedingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            proceedings.open_proceeding(by=user, case=case, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            show_error_on_form(form, error)
        else:
            messages.success(request, _("The proceeding has been recorded."))
            return redirect("cases:case_detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/proceeding_form.html", {"case": case, "form": form}, status=status)


@require_permission(Permission.CASE_EDIT)
@require_POST
def proceeding_end_view(request: HttpRequest, case_id: str, proceeding_id: int) -> HttpResponse:
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    proceeding = _proceeding_of(case, proceeding_id)
    form = ProceedingEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date the proceeding ended."))
        return redirect("cases:case_detail", case_id=case.pk)
    try:
        proceedings.close_proceeding(by=user, proceeding=proceeding, ended_on=form.cleaned_data["ended_on"])
    except ValidationError as error:
        messages.error(request, " ".join(str(message) for message in error.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("cases:case_detail", case_id=case.pk)


@require_permission(Permission.CASE_EDIT)
def decision_add_view(request: HttpRequest, case_id: str, proceeding_id: int) -> HttpResponse:
    """Record a court decision on one charge, with its sentence for a conviction (all or nothing)."""
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    proceeding = _proceeding_of(case, proceeding_id)
    initial = {"currency": proceedings.CURRENCY_OF_COUNTRY.get(case.office.country, "USD")}
    form = DecisionForm(request.POST or None, charges=selectors.charges_of(case), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        terms = None
        if form.has_sentence():
            terms = proceedings.SentenceTerms(
                sanctions=list(data["sanctions"]),
                currency=data["currency"] or "",
                imprisonment_months=data["imprisonment_months"],
                suspended=data["suspended"],
                fine_amount=data["fine_amount"],
                confiscated_value=data["confiscated_value"],
                reparation_amount=data["reparation_amount"],
            )
        try:
            proceedings.record_decision(
                by=user,
                proceeding=proceeding,
                charge=data["charge"],
                decided_on=data["decided_on"],
                verdict=data["verdict"],
                acquittal_reason=data["acquittal_reason"],
                is_final=data["is_final"],
                notes=data["notes"],
                sentence=terms,
            )
        except (DomainError, ValidationError) as error:
            show_error_on_form(form, error)
        else:
            messages.success(request, _("The decision has been recorded."))
            return redirect("cases:case_detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    context = {"case": case, "proceeding": proceeding, "form": form}
    return render(request, "cases/decision_form.html", context, status=status)


@login_required
def document_add_view(request: HttpRequest, case_id: str) -> HttpResponse:
    """Add a document to the case; it is sealed in the vault on arrival."""
    user = _not_found_for_case_staff(request)
    case = selectors.case_for_user(user, case_id)
    if not support.can_support(user, case):
        raise PermissionDenied("case.document")
    form = DocumentForm(request.POST or None, request.FILES or None, parties=selectors.parties_of(case, user))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            documents.add_document(
                by=user,
                case=case,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                party=form.cleaned_data["party"],
                file_name=upload.name or "",
                data=upload.read(),
            )
        except (DomainError, ValidationError) as error:
            show_error_on_form(form, error)
        else:
            messages.success(request, _("The document has been added and sealed."))
            return redirect("cases:case_detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/document_form.html", {"case": case, "form": form}, status=status)


@login_required
@require_POST
@never_cache
def document_open_view(request: HttpRequest, case_id: str, document_id: str) -> HttpResponse:
    """Send a document's content as a download, after the checks (audited)."""
    user = _not_found_for_case_staff(request)
    case = selectors.case_for_user(user, case_id)
    document = selectors.document_of(case, document_id)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        opened = documents.open_document(by=user, document=document, reason=form.cleaned_data.get("reason", ""))
    except DomainError as error:  # refusals (AccessDenied too) are explained on the case page
        messages.error(request, str(error.message))
        return redirect("cases:case_detail", case_id=case.pk)
    response = HttpResponse(opened.content, content_type=opened.media_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=opened.file_name)
    response["Cache-Control"] = "no-store, private"
    return response


@require_permission(Permission.CASE_EDIT)
@require_POST
def document_withdraw_view(request: HttpRequest, case_id: str, document_id: str) -> HttpResponse:
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    document = selectors.document_of(case, document_id)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        documents.withdraw_document(by=user, document=document, reason=form.cleaned_data.get("reason", ""))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The document has been withdrawn; its content is erased."))
    return redirect("cases:case_detail", case_id=case.pk)


@require_permission(Permission.CASE_EDIT)
def party_edit_view(request: HttpRequest, case_id: str, party_id: int) -> HttpResponse:
    """Correct a person's role and analytic record (two people editing: the second save is refused)."""
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    party = selectors.party_of(case, party_id)
    person = party.person
    initial = {
        "role": party.role.code,
        "sex": person.sex.code,
        "age_at_identification": party.age_at_identification,
        "birth_year": person.birth_year,
        "identification_status": party.identification_status.code if party.identification_status else None,
        "citizenships": list(person.citizenships.all()),
        "version": party.version,
    }
    form = PartyEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            parties.update_party(
                by=user,
                party=party,
                expected_version=data["version"],
                role=data["role"],
                sex=data["sex"],
                birth_year=data["birth_year"],
                citizenships=data["citizenships"] or [],
                age_at_identification=data["age_at_identification"],
                identification_status=data["identification_status"],
            )
        except (DomainError, ValidationError) as error:
            show_error_on_form(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("cases:case_detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/party_edit.html", {"case": case, "party": party, "form": form}, status=status)


@never_cache
@require_POST
@require_permission(Permission.CASE_EDIT)
def identity_correct_view(request: HttpRequest, case_id: str, party_id: int) -> HttpResponse:
    """Save a corrected identity (from the page that revealed it); audited with the reveal's reason."""
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    party = selectors.party_of(case, party_id)
    form = IdentityForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        identity = parties.Identity(
            birth_date=data["birth_date"].isoformat() if data["birth_date"] else "",
            **{name: data[name].strip() for name in PartyForm.IDENTITY_FIELDS},
        )
        try:
            parties.correct_identity(by=user, party=party, identity=identity, reason=data["reason"])
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("The identity has been corrected."))
            return redirect("cases:case_detail", case_id=case.pk)
    context = {"case": case, "party": party, "identity": None, "correct_form": form}
    return render(request, "cases/identity.html", context, status=400)
