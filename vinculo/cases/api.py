"""The case API for national case-management systems (token) and the web interface (session)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import PageNumberPagination, paginate

from vinculo.accounts.decorators import signed_in_user
from vinculo.accounts.roles import Permission
from vinculo.api.auth import TOKEN_OR_SESSION
from vinculo.api.schemas import ErrorOut
from vinculo.cases import selectors
from vinculo.cases.models import CASE_CODE_LISTS, Case
from vinculo.cases.schemas import CaseFacts, CaseIn, CaseOut, CaseUpdateIn
from vinculo.cases.services import case_files
from vinculo.core.errors import DomainError
from vinculo.reference.models import Code

router = Router(tags=["cases"], auth=TOKEN_OR_SESSION)


def _out(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "national_number": case.national_number,
        "office": case.office.code,
        "crime_family": case.crime_family.code,
        "origin": case.origin.code,
        "stage": case.stage.code,
        "closure_type": case.closure_type.code if case.closure_type else None,
        "closed_on": case.closed_on,
        "reported_on": case.reported_on,
        "reported_on_precision": case.reported_on_precision,
        "organized_crime": case.organized_crime.code,
        "trafficker_organization": case.trafficker_organization.code,
        "summary": case.summary,
        "summary_language": case.summary_language,
        "visibility": case.visibility,
        "version": case.version,
        "updated_at": case.updated_at,
    }


def _facts(payload: CaseFacts) -> dict[str, Any]:
    """The payload's codes turned into reference codes; an unknown code is a clear 400."""
    data = payload.dict()
    facts: dict[str, Any] = {}
    for field, list_key in CASE_CODE_LISTS.items():
        value = data.get(field)
        if value is None:
            facts[field] = None
            continue
        code = Code.objects.filter(code_list__key=list_key, code=value).first()
        if code is None:
            raise DomainError(
                _("Unknown code %(code)s for %(field)s (list %(list)s).")
                % {"code": value, "field": field, "list": list_key},
                code="unknown_code",
            )
        facts[field] = code
    for field in ("closed_on", "reported_on", "reported_on_precision", "summary", "summary_language", "visibility"):
        facts[field] = data[field]
    return facts


def _case_staff(request: HttpRequest):  # type: ignore[no-untyped-def]
    user = signed_in_user(request)
    if not (user.has_permission(Permission.CASE_VIEW) or user.has_permission(Permission.VICTIM_SUPPORT)):
        raise PermissionDenied("case.view")
    return user


@router.get("/cases", response=list[CaseOut], summary="Cases the caller may see, newest first")
@paginate(PageNumberPagination, page_size=50)
def list_cases(request: HttpRequest, stage: str = "", crime_family: str = "", status: str = "") -> Any:
    cases = selectors.case_list(_case_staff(request), stage=stage, crime_family=crime_family, status=status)
    return [_out(case) for case in cases.select_related("office", "organized_crime", "trafficker_organization")]


@router.get("/cases/{case_id}", response={200: CaseOut, 404: ErrorOut}, summary="One case (reading it is audited)")
def get_case(request: HttpRequest, case_id: str) -> Any:
    user = _case_staff(request)
    case = selectors.case_for_user(user, case_id)
    case_files.record_case_viewed(by=user, case=case)
    return _out(case)


@router.post("/cases", response={201: CaseOut, 400: ErrorOut, 403: ErrorOut}, summary="Register a case")
def create_case(request: HttpRequest, payload: CaseIn) -> Any:
    user = signed_in_user(request)
    case = case_files.open_case(by=user, national_number=payload.national_number, **_facts(payload))
    return Status(201, _out(case))


@router.put(
    "/cases/{case_id}",
    response={200: CaseOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change a case (refused when someone saved a newer version)",
)
def update_case(request: HttpRequest, case_id: str, payload: CaseUpdateIn) -> Any:
    user = signed_in_user(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    updated = case_files.update_case(by=user, case=case, expected_version=payload.version, **_facts(payload))
    return _out(updated)
