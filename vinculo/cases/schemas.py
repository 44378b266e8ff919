"""JSON shapes of the case API. Coded facts travel as codes of their lists (see /codelists)."""

from __future__ import annotations

import datetime
import uuid

from ninja import Field, Schema


class CaseFacts(Schema):
    crime_family: str = Field(description="Code of the crime_family list")
    origin: str = Field("NK", description="Code of the case_origin list")
    stage: str = Field(description="Code of the stage list")
    closure_type: str | None = Field(None, description="Code of the closure_type list, when closed")
    closed_on: datetime.date | None = None
    reported_on: datetime.date | None = None
    reported_on_precision: str = Field("day", pattern="^(day|month|year)$")
    organized_crime: str = Field("NK", description="Code of the yes_no list")
    trafficker_organization: str = Field("NK", description="Code of the trafficker_organization list")
    summary: str = Field("", max_length=4000)
    summary_language: str = Field("es", pattern="^(es|en)$")
    visibility: str = Field("team", pattern="^(team|office)$")


class CaseIn(CaseFacts):
    national_number: str = Field(min_length=1, max_length=64)


class CaseUpdateIn(CaseFacts):
    version: int = Field(description="The version you last read; if someone saved a newer one, this change is refused")


class CaseOut(Schema):
    id: uuid.UUID
    national_number: str
    office: str
    crime_family: str
    origin: str
    stage: str
    closure_type: str | None
    closed_on: datetime.date | None
    reported_on: datetime.date | None
    reported_on_precision: str
    organized_crime: str
    trafficker_organization: str
    summary: str
    summary_language: str
    visibility: str
    version: int
    updated_at: datetime.datetime


class CodeOut(Schema):
    code: str
    label_es: str
    label_en: str
    definition_es: str
    definition_en: str
    mappings: dict[str, str]
    is_active: bool


class PersonOut(Schema):
    """The pseudonymous record of a person: no names, documents or contacts (those stay in the vault)."""

    id: uuid.UUID
    sex: str = Field(description="Code of the sex list")
    birth_year: int | None = Field(description="Year of birth only; the exact date is part of the sealed identity")
    citizenships: list[str] = Field(description="ISO 3166 alpha-2 codes")


class PartyOut(Schema):
    """A person's role in a case. The identity is never listed: reveal it (audited) when you need it."""

    id: int
    case: uuid.UUID
    person: PersonOut
    role: str = Field(description="Code of the party_role list")
    identification_status: str | None = Field(description="Code of the identification_status list")
    age_at_identification: int | None
    is_victim: bool
    is_child: bool = Field(description="Under 18 when identified (or, age unknown, by year of birth): stricter rules")
    created_at: datetime.datetime


class IdentityIn(Schema):
    """Who the person is; sealed in the identity vault as soon as it arrives, never stored in clear."""

    given_names: str = Field("", max_length=200)
    first_surname: str = Field("", max_length=200)
    second_surname: str = Field("", max_length=200)
    birth_date: datetime.date | None = Field(
        None, description="Exact date of birth (the analytic record keeps the year)"
    )
    document_numbers: str = Field("", max_length=500, description="Type and number, e.g. DUI 01234567-8")
    phones: str = Field("", max_length=300)
    address: str = Field("", max_length=500)
    vehicle_plates: str = Field("", max_length=300, description="Country and plate, e.g. GT P-123ABC; SV P 12345")


class PartyIn(Schema):
    role: str = Field(description="Code of the party_role list")
    sex: str = Field(description="Code of the sex list (NK when not known)")
    age_at_identification: int | None = Field(None, ge=0, le=120)
    birth_year: int | None = Field(None, ge=1900, description="When the exact date of birth is not known")
    identification_status: str | None = Field(None, description="Code of the identification_status list")
    citizenships: list[str] = Field([], description="ISO 3166 alpha-2 codes")
    identity: IdentityIn | None = None


class RevealIn(Schema):
    reason: str = Field(
        "", max_length=500, description="Why you need the identity; required (10+ characters) for a victim; audited"
    )


class IdentityOut(Schema):
    """A revealed identity: shown once, never cached; the reveal is in the audit trail."""

    party: int
    person: uuid.UUID
    given_names: str
    first_surname: str
    second_surname: str
    birth_date: str = Field(description="ISO date, or empty when not known")
    document_numbers: str
    phones: str
    address: str
    vehicle_plates: str


class AppearanceOut(Schema):
    """One case, among those the caller may see, in which the person appears."""

    party: int
    case: uuid.UUID
    national_number: str
    role: str = Field(description="Code of the party_role list")
    identification_status: str | None
    age_at_identification: int | None


class PersonCasesOut(PersonOut):
    appearances: list[AppearanceOut]
