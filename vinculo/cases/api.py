"""The case API for national case-management systems (token) and the web interface (session)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import PageNumberPagination, paginate

from vinculo.accounts.decorators import signed_in_user
from vinculo.accounts.roles import Permission
from vinculo.api.auth import TOKEN_OR_SESSION
from vinculo.api.schemas import ErrorOut
from vinculo.cases import selectors
from vinculo.cases.models import CASE_CODE_LISTS, Case, CaseParty, Person
from vinculo.cases.schemas import (
    CaseFacts,
    CaseIn,
    CaseOut,
    CaseUpdateIn,
    IdentityOut,
    PartyIn,
    PartyOut,
    PersonCasesOut,
    RevealIn,
)
from vinculo.cases.services import case_files, parties
from vinculo.core.errors import DomainError
from vinculo.reference.models import Code, Country

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


API_RELATED = (
    "office",
    "crime_family",
    "origin",
    "stage",
    "closure_type",
    "organized_crime",
    "trafficker_organization",
)


class _Rows:
    """The cases as API rows, made for the page asked for only: the paginator slices, then takes the length."""

    def __init__(self, cases: QuerySet[Case]) -> None:
        self.cases = cases

    def __len__(self) -> int:
        return self.cases.count()

    def __getitem__(self, page: slice) -> list[dict[str, Any]]:
        keys = list(self.cases.values_list("pk", flat=True)[page])
        return [_out(case) for case in selectors.cases_by_key(keys, *API_RELATED)]


@router.get("/cases", response=list[CaseOut], summary="Cases the caller may see, newest first")
@paginate(PageNumberPagination, page_size=50)
def list_cases(request: HttpRequest, stage: str = "", crime_family: str = "", status: str = "") -> Any:
    cases = selectors.case_list(_case_staff(request), stage=stage, crime_family=crime_family, status=status)
    return _Rows(cases)


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


# People in cases. Identities are never part of a listing, exactly as on the case page: the caller
# reveals one at a time, for a stated reason when it is a victim's, and every reveal is audited.


def _code(list_key: str, value: str, field: str) -> Code:
    """The code ``value`` of the list ``list_key``; a clear 400 naming the field otherwise."""
    found = Code.objects.select_related("code_list").filter(code_list__key=list_key, code=value).first()
    if found is not None:
        return found
    other_list = Code.objects.filter(code=value).values_list("code_list__key", flat=True).first()
    if other_list is not None:
        raise DomainError(
            _("%(code)s is a code of the %(other)s list; %(field)s takes a code of the %(list)s list.")
            % {"code": value, "other": other_list, "field": field, "list": list_key},
            code="wrong_list",
        )
    raise DomainError(
        _("Unknown code %(code)s for %(field)s (list %(list)s).") % {"code": value, "field": field, "list": list_key},
        code="unknown_code",
    )


def _countries(iso2_codes: list[str]) -> list[Country]:
    wanted = {value.strip().upper() for value in iso2_codes}
    found = list(Country.objects.filter(iso2__in=wanted))
    unknown = sorted(wanted - {country.iso2 for country in found})
    if unknown:
        raise DomainError(
            _("Unknown country code(s): %(codes)s (give ISO 3166 alpha-2 codes).") % {"codes": ", ".join(unknown)},
            code="unknown_country",
        )
    return found


def _person_out(person: Person) -> dict[str, Any]:
    return {
        "id": person.pk,
        "sex": person.sex.code,
        "birth_year": person.birth_year,
        "citizenships": sorted(country.iso2 for country in person.citizenships.all()),
    }


def _party_out(party: CaseParty) -> dict[str, Any]:
    return {
        "id": party.pk,
        "case": party.case_id,
        "person": _person_out(party.person),
        "role": party.role.code,
        "identification_status": party.identification_status.code if party.identification_status else None,
        "age_at_identification": party.age_at_identification,
        "is_victim": party.is_victim,
        "is_child": party.is_child,
        "created_at": party.created_at,
    }


def _appearance_out(party: CaseParty, case: Case) -> dict[str, Any]:
    return {
        "party": party.pk,
        "case": case.pk,
        "national_number": case.national_number,
        "role": party.role.code,
        "identification_status": party.identification_status.code if party.identification_status else None,
        "age_at_identification": party.age_at_identification,
    }


@router.get(
    "/cases/{case_id}/parties",
    response={200: list[PartyOut], 403: ErrorOut, 404: ErrorOut},
    summary="The people in a case the caller may see, without identities (reading it is audited)",
)
def list_parties(request: HttpRequest, case_id: str) -> Any:
    user = _case_staff(request)
    case = selectors.case_for_user(user, case_id)
    case_files.record_case_viewed(by=user, case=case)
    return [_party_out(party) for party in selectors.parties_of(case, user)]


@router.post(
    "/cases/{case_id}/parties",
    response={201: PartyOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Add a person to a case in a role (the identity goes straight into the vault)",
)
def add_party(request: HttpRequest, case_id: str, payload: PartyIn) -> Any:
    user = _case_staff(request)
    case = selectors.case_for_user(user, case_id, need="edit")
    # Every code and country is checked before the service runs, so a bad payload stores nothing.
    role = _code("party_role", payload.role, "role")
    sex = _code("sex", payload.sex, "sex")
    status = None
    if payload.identification_status is not None:
        status = _code("identification_status", payload.identification_status, "identification_status")
    citizenships = _countries(payload.citizenships)
    given = payload.identity
    identity = parties.Identity()
    if given is not None:
        # Checked here, as the web form does, so the refusal carries its own code.
        if given.birth_date is not None and given.birth_date > timezone.localdate():
            raise DomainError(parties.BAD_BIRTH_DATE, code="bad_birth_date")
        identity = parties.Identity(
            given_names=given.given_names.strip(),
            first_surname=given.first_surname.strip(),
            second_surname=given.second_surname.strip(),
            birth_date=given.birth_date.isoformat() if given.birth_date else "",
            document_numbers=given.document_numbers.strip(),
            phones=given.phones.strip(),
            address=given.address.strip(),
            vehicle_plates=given.vehicle_plates.strip(),
        )
    party = parties.add_party(
        by=user,
        case=case,
        role=role,
        sex=sex,
        identity=identity,
        birth_year=payload.birth_year,
        citizenships=citizenships,
        age_at_identification=payload.age_at_identification,
        identification_status=status,
    )
    return Status(201, _party_out(party))


@router.post(
    "/cases/{case_id}/parties/{party_id}/identity/reveal",
    response={200: IdentityOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Reveal one person's identity (case team only; a victim's needs a reason; always audited)",
)
def reveal_identity(request: HttpRequest, case_id: str, party_id: int, payload: RevealIn) -> Any:
    user = _case_staff(request)
    case = selectors.case_for_user(user, case_id)
    party = selectors.party_of(case, party_id, user)
    identity = parties.reveal_identity(by=user, party=party, reason=payload.reason)
    return {"party": party.pk, "person": party.person_id, **asdict(identity)}


@router.get(
    "/persons",
    response={200: list[PersonCasesOut], 400: ErrorOut, 403: ErrorOut},
    summary="Find people by name, document or phone in the cases the caller may see (each search is audited)",
)
@paginate(PageNumberPagination, page_size=50)
def search_persons(request: HttpRequest, q: str = "") -> Any:
    user = _case_staff(request)
    query = q.strip()[:200]
    if len(query) < 2:
        raise DomainError(_("Give at least two characters to search for."), code="query_too_short")
    found = list(
        selectors.people_search(user, query)
        .select_related("identification_status")
        .prefetch_related("person__citizenships")
    )
    kind = "number" if any(ch.isdigit() for ch in query) else "name"
    parties.record_people_search(by=user, kind=kind, results=len(found))
    people: dict[uuid.UUID, dict[str, Any]] = {}
    for party in found:
        person = people.setdefault(party.person_id, {**_person_out(party.person), "appearances": []})
        person["appearances"].append(_appearance_out(party, party.case))
    return list(people.values())


@router.get(
    "/persons/{person_id}",
    response={200: PersonCasesOut, 403: ErrorOut, 404: ErrorOut},
    summary="One person and the cases the caller may see in which they appear",
)
def get_person(request: HttpRequest, person_id: str) -> Any:
    user = _case_staff(request)
    try:
        key = uuid.UUID(person_id)
    except ValueError:
        raise Http404 from None
    cases = selectors.cases_visible_to(user).filter(parties__person_id=key).distinct().order_by("-created_at")
    # parties_of() applies the same per-role rules as the case page (victim care: victims only).
    found = [(party, case) for case in cases for party in selectors.parties_of(case, user).filter(person_id=key)]
    if not found:
        raise Http404
    return {**_person_out(found[0][0].person), "appearances": [_appearance_out(party, case) for party, case in found]}
