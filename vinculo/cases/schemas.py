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
