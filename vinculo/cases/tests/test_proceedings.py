"""Proceedings, decisions and sentences: the procedural history a prosecutor keeps for a case."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import Decision, Proceeding, Sentence
from vinculo.cases.services import case_files, charges, parties
from vinculo.cases.services import proceedings as services
from vinculo.cases.tests.factories import code, open_case
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.reference import services as reference_services

DAY = datetime.date(2025, 3, 10)


@pytest.fixture
def charged_case(prosecutor: User, judge: User, victim_care: User, node_admin: User):
    case = open_case(prosecutor)
    case_files.assign(by=prosecutor, case=case, person=judge, role="judge")
    case_files.assign(by=prosecutor, case=case, person=victim_care, role="victim_care")
    suspect = parties.add_party(
        by=prosecutor,
        case=case,
        role=code("party_role", "DEFENDANT"),
        sex=code("sex", "M"),
        identity=parties.Identity(given_names="Carlos", first_surname="Ramírez"),
        birth_year=1980,
    )
    provision = reference_services.add_legal_provision(
        by=node_admin,
        instrument="Ley Especial contra la Trata de Personas",
        article="54",
        title_es="Trata de personas",
        title_en="Trafficking in persons",
        iccs_code="02041",
        crime_family=code("crime_family", "TIP"),
    )
    charge = charges.add_charge(
        by=prosecutor,
        party=suspect,
        provision=provision,
        participation=code("offence_participation", "PRINCIPAL"),
        status=code("charge_status", "INDICTED"),
    )
    trial = services.open_proceeding(
        by=prosecutor,
        case=case,
        instance=code("court_instance", "FIRST"),
        procedure_type=code("procedure_type", "ORDINARY"),
        court="Tribunal Primero de Sentencia de San Salvador",
        started_on=DAY,
    )
    return case, charge, trial


def test_a_conviction_adjudicates_the_charge_and_carries_its_sentence(charged_case, prosecutor: User) -> None:
    _case, charge, trial = charged_case
    decision = services.record_decision(
        by=prosecutor,
        proceeding=trial,
        charge=charge,
        decided_on=DAY + datetime.timedelta(days=90),
        verdict=code("verdict", "CONVICTED"),
        sentence=services.SentenceTerms(
            sanctions=[code("sanction", "IMPRISONMENT"), code("sanction", "REPARATION_ORDER")],
            currency="usd",
            imprisonment_months=120,
            reparation_amount=Decimal("5000.00"),
        ),
    )
    charge.refresh_from_db()
    assert charge.status.code == "ADJUDICATED"
    assert decision.acquittal_reason.code == "NA"  # explicit "not applicable", never NULL
    sentence = Sentence.objects.get(decision=decision)
    assert sentence.currency == "USD"
    assert {s.code for s in sentence.sanctions.all()} == {"IMPRISONMENT", "REPARATION_ORDER"}
    entry = AuditEntry.objects.get(action="case.decision_recorded")
    assert entry.data["charge_status"] == {"was": "INDICTED", "now": "ADJUDICATED"}
    assert AuditEntry.objects.filter(action="case.sentence_recorded").count() == 1


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({"sanctions": []}, services.SANCTION_NEEDED),
        ({"sanctions": ["IMPRISONMENT"]}, services.TERM_NEEDED),
        ({"sanctions": ["FINE"], "imprisonment_months": 12}, services.TERM_WITHOUT_PRISON),
        ({"sanctions": ["FINE"], "currency": "dollars"}, services.BAD_CURRENCY),
        ({"sanctions": ["FINE"], "fine_amount": Decimal("-1")}, services.NEGATIVE_AMOUNT),
    ],
)
def test_a_bad_sentence_stores_neither_decision_nor_sentence(charged_case, prosecutor: User, terms, message) -> None:
    _case, charge, trial = charged_case
    values = {"currency": "USD", **terms}
    values["sanctions"] = [code("sanction", value) for value in values["sanctions"]]
    with pytest.raises(DomainError) as refused:
        services.record_decision(
            by=prosecutor,
            proceeding=trial,
            charge=charge,
            decided_on=DAY,
            verdict=code("verdict", "CONVICTED"),
            sentence=services.SentenceTerms(**values),
        )
    assert refused.value.message == message
    assert not Decision.objects.exists()
    assert not Sentence.objects.exists()
    charge.refresh_from_db()
    assert charge.status.code == "INDICTED"


def test_acquittals_need_a_reason_and_take_no_sentence(charged_case, prosecutor: User) -> None:
    _case, charge, trial = charged_case
    acquitted = code("verdict", "ACQUITTED")
    with pytest.raises(DomainError) as refused:
        services.record_decision(by=prosecutor, proceeding=trial, charge=charge, decided_on=DAY, verdict=acquitted)
    assert refused.value.message == services.REASON_NEEDED
    with pytest.raises(DomainError):  # a reason for acquittal on a conviction
        services.record_decision(
            by=prosecutor,
            proceeding=trial,
            charge=charge,
            decided_on=DAY,
            verdict=code("verdict", "CONVICTED"),
            acquittal_reason=code("acquittal_reason", "INSUFFICIENT_EVIDENCE"),
        )
    decision = services.record_decision(
        by=prosecutor,
        proceeding=trial,
        charge=charge,
        decided_on=DAY,
        verdict=acquitted,
        acquittal_reason=code("acquittal_reason", "VICTIM_NOT_COOPERATING"),
        is_final=True,
    )
    with pytest.raises(DomainError):
        services.record_sentence(
            by=prosecutor,
            decision=decision,
            terms=services.SentenceTerms(sanctions=[code("sanction", "FINE")], currency="USD"),
        )
    with pytest.raises(DomainError):  # one decision per charge per proceeding
        services.record_decision(by=prosecutor, proceeding=trial, charge=charge, decided_on=DAY, verdict=acquitted)


def test_dates_must_make_sense(charged_case, prosecutor: User) -> None:
    case, charge, trial = charged_case
    convicted = code("verdict", "CONVICTED")
    with pytest.raises(DomainError):  # before the proceeding started
        services.record_decision(
            by=prosecutor, proceeding=trial, charge=charge, decided_on=DAY - datetime.timedelta(1), verdict=convicted
        )
    with pytest.raises(DomainError):  # in the future
        services.record_decision(
            by=prosecutor, proceeding=trial, charge=charge, decided_on=datetime.date(2999, 1, 1), verdict=convicted
        )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.close_proceeding(by=prosecutor, proceeding=trial, ended_on=DAY - datetime.timedelta(1))
    with pytest.raises(ValidationError):
        services.open_proceeding(
            by=prosecutor,
            case=case,
            instance=code("court_instance", "APPEAL"),
            procedure_type=code("procedure_type", "ORDINARY"),
            court="Cámara",
            started_on=DAY,
            ended_on=DAY - datetime.timedelta(1),
        )
    assert Proceeding.objects.count() == 1
    services.close_proceeding(by=prosecutor, proceeding=trial, ended_on=DAY + datetime.timedelta(1))
    trial.refresh_from_db()
    assert trial.ended_on == DAY + datetime.timedelta(1)


def test_a_charge_of_another_case_is_refused(charged_case, prosecutor: User) -> None:
    _case, charge, _trial = charged_case
    other = open_case(prosecutor, number="OTHER-1")
    elsewhere = services.open_proceeding(
        by=prosecutor,
        case=other,
        instance=code("court_instance", "FIRST"),
        procedure_type=code("procedure_type", "ORDINARY"),
        court="Tribunal",
        started_on=DAY,
    )
    with pytest.raises(DomainError):
        services.record_decision(
            by=prosecutor, proceeding=elsewhere, charge=charge, decided_on=DAY, verdict=code("verdict", "CONVICTED")
        )


def test_only_the_case_team_records_proceedings(charged_case, judge: User, colleague: User) -> None:
    case, charge, trial = charged_case
    for outsider in (judge, colleague):
        with pytest.raises(AccessDenied):
            services.open_proceeding(
                by=outsider,
                case=case,
                instance=code("court_instance", "APPEAL"),
                procedure_type=code("procedure_type", "ORDINARY"),
                court="Cámara",
                started_on=DAY,
            )
        with pytest.raises(AccessDenied):
            services.record_decision(
                by=outsider, proceeding=trial, charge=charge, decided_on=DAY, verdict=code("verdict", "CONVICTED")
            )


def test_the_case_page_shows_the_procedural_history_to_judges_not_to_victim_care(
    client, charged_case, prosecutor: User, judge: User, victim_care: User
) -> None:
    case, charge, trial = charged_case
    client.force_login(prosecutor)
    form = client.get(reverse("cases:decision_add", args=[case.pk, trial.pk]))
    assert form.status_code == 200
    assert "USD" in form.content.decode()  # El Salvador's currency offered by default
    response = client.post(
        reverse("cases:decision_add", args=[case.pk, trial.pk]),
        {
            "charge": charge.pk,
            "decided_on": "2025-06-01",
            "verdict": "CONVICTED",
            "sanctions": ["IMPRISONMENT"],
            "imprisonment_months": "",
            "currency": "USD",
        },
    )
    assert response.status_code == 400  # imprisonment without a term: nothing stored
    assert "meses" in response.content.decode()
    assert not Decision.objects.exists()
    response = client.post(
        reverse("cases:decision_add", args=[case.pk, trial.pk]),
        {
            "charge": charge.pk,
            "decided_on": "2025-06-01",
            "verdict": "CONVICTED",
            "sanctions": ["IMPRISONMENT"],
            "imprisonment_months": "96",
            "currency": "USD",
            "is_final": "on",
        },
    )
    assert response.status_code == 302
    client.force_login(judge)
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Tribunal Primero de Sentencia de San Salvador" in page
    assert "96 meses" in page
    assert reverse("cases:decision_add", args=[case.pk, trial.pk]) not in page  # judges read only
    assert client.get(reverse("cases:proceeding_add", args=[case.pk])).status_code in (403, 404)
    client.force_login(victim_care)
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Tribunal Primero de Sentencia" not in page


def test_a_proceeding_is_added_and_ended_through_the_pages(client, charged_case, prosecutor: User) -> None:
    case, _charge, trial = charged_case
    client.force_login(prosecutor)
    url = reverse("cases:proceeding_add", args=[case.pk])
    bad = client.post(
        url, {"instance": "APPEAL", "procedure_type": "ORDINARY", "court": "", "started_on": "2025-07-01"}
    )
    assert bad.status_code == 400
    good = client.post(
        url, {"instance": "APPEAL", "procedure_type": "ORDINARY", "court": "Cámara Primera", "started_on": "2025-07-01"}
    )
    assert good.status_code == 302
    assert Proceeding.objects.filter(case=case).count() == 2
    end = reverse("cases:proceeding_end", args=[case.pk, trial.pk])
    client.post(end, {"ended_on": "2025-01-01"})  # before it started: refused with a message
    trial.refresh_from_db()
    assert trial.ended_on is None
    client.post(end, {"ended_on": "2025-05-01"})
    trial.refresh_from_db()
    assert trial.ended_on == datetime.date(2025, 5, 1)
    assert AuditEntry.objects.filter(action="case.proceeding_opened").count() == 2
    assert AuditEntry.objects.filter(action="case.proceeding_closed").count() == 1
