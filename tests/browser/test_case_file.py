"""A full case file in a real browser: proceedings with a sentence, a sealed document, editing a person."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.helpers import sign_in, submit
from tests.conftest import BrowserSession, screenshot_dir
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.cases.models import CaseDocument
from vinculo.cases.services import charges, documents, parties, proceedings
from vinculo.cases.tests.factories import code, open_case
from vinculo.reference import services as reference_services

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_a_case_file_with_its_procedural_history_and_documents(session: BrowserSession, page: Any) -> None:
    prosecutor = UserFactory(username="sv.fiscal", roles=[Role.PROSECUTOR], with_totp=True)
    admin = UserFactory(username="sv.admin", roles=[Role.NODE_ADMIN], with_totp=True)
    case = open_case(prosecutor)
    defendant = parties.add_party(
        by=prosecutor,
        case=case,
        role=code("party_role", "DEFENDANT"),
        sex=code("sex", "M"),
        identity=parties.Identity(given_names="Carlos", first_surname="Ramírez"),
        birth_year=1980,
    )
    provision = reference_services.add_legal_provision(
        by=admin,
        instrument="Ley Especial contra la Trata de Personas",
        article="54",
        title_es="Trata de personas",
        title_en="Trafficking in persons",
        iccs_code="02041",
        crime_family=code("crime_family", "TIP"),
    )
    charge = charges.add_charge(
        by=prosecutor,
        party=defendant,
        provision=provision,
        participation=code("offence_participation", "PRINCIPAL"),
        status=code("charge_status", "INDICTED"),
    )
    trial = proceedings.open_proceeding(
        by=prosecutor,
        case=case,
        instance=code("court_instance", "FIRST"),
        procedure_type=code("procedure_type", "ORDINARY"),
        court="Tribunal Primero de Sentencia de San Salvador",
        court_reference="TS1-2025-118",
        started_on=date(2025, 3, 10),
    )
    proceedings.record_decision(
        by=prosecutor,
        proceeding=trial,
        charge=charge,
        decided_on=date(2025, 6, 20),
        verdict=code("verdict", "CONVICTED"),
        sentence=proceedings.SentenceTerms(
            sanctions=[code("sanction", "IMPRISONMENT"), code("sanction", "REPARATION_ORDER")],
            currency="USD",
            imprisonment_months=144,
            reparation_amount=Decimal("10000.00"),
        ),
    )
    documents.add_document(
        by=prosecutor, case=case, kind="court_document", title="Sentencia de primera instancia",
        file_name="sentencia.pdf", data=PDF,
    )  # fmt: skip

    sign_in(page, prosecutor)
    page.goto(reverse("cases:case_detail", args=[case.pk]))
    history = page.locator("section[aria-labelledby=proceedings-heading]")
    expect(history).to_contain_text("Tribunal Primero de Sentencia de San Salvador")
    expect(history).to_contain_text("144 meses de prisión")
    files = page.locator("section[aria-labelledby=documents-heading]")
    expect(files).to_contain_text("Sentencia de primera instancia")
    expect(files).not_to_contain_text("sentencia.pdf")
    page.screenshot(path=str(screenshot_dir(session.request.config) / "case-file.png"), full_page=True)

    with page.expect_download() as download:
        files.get_by_role("button", name="Descargar").first.click()
    assert download.value.suggested_filename == "sentencia.pdf"
    assert CaseDocument.objects.count() == 1

    page.goto(reverse("cases:decision_add", args=[case.pk, trial.pk]))
    page.screenshot(path=str(screenshot_dir(session.request.config) / "decision-form.png"), full_page=True)
    page.goto(reverse("cases:party_edit", args=[case.pk, defendant.pk]))
    page.locator("input[name=birth_year]").fill("1979")
    submit(page)
    expect(page.locator(".message-success, [role=status]").first).to_be_visible()
    defendant.person.refresh_from_db()
    assert defendant.person.birth_year == 1979
    assert not session.csp_violations
