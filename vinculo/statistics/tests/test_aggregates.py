"""Building a snapshot: the registry read into rows in a fixed number of queries, counted and stored."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import CaseParty
from vinculo.cases.services import charges, events, exploitation, parties, proceedings
from vinculo.cases.tests.factories import code, open_case
from vinculo.reference import services as reference_services
from vinculo.reference.models import BorderCrossing, Country
from vinculo.statistics import counting, selectors
from vinculo.statistics.models import Snapshot
from vinculo.statistics.services import aggregates

D = datetime.date


def add_victim(by: User, case: Any, *, sex: str = "F", age: int = 25, nationality: str = "SV", forms=()) -> CaseParty:
    party = parties.add_party(
        by=by,
        case=case,
        role=code("party_role", "VICTIM"),
        sex=code("sex", sex),
        identity=parties.Identity(given_names="Nombre", first_surname="Apellido"),
        citizenships=[Country.objects.get(iso2=nationality)],
        age_at_identification=age,
        identification_status=code("identification_status", "IDENTIFIED"),
    )
    if forms:
        exploitation.record_exploitation(
            by=by,
            party=party,
            codes={"purposes": [code("exploitation_form", f) for f in forms]},
            started_on=None,
            started_on_precision="day",
            ended_on=None,
            ended_on_precision="day",
            expected_version=None,
        )
    return party


def add_event(by: User, case: Any, kind: str, day: datetime.date, **changes: Any) -> None:
    facts: dict[str, Any] = {
        "occurred_on": day,
        "occurred_on_precision": "day",
        "country": None,
        "place": "",
        "border_crossing": None,
    }
    facts.update(changes)
    events.add_event(by=by, case=case, event_type=code("event_type", kind), **facts)


@pytest.fixture
def registry(prosecutor: User, node_admin: User) -> dict[str, Any]:
    """Two trafficking cases and a smuggling case of SV-FGR, with hand-countable facts."""
    first = open_case(prosecutor, reported_on=D(2024, 2, 1))
    ana = add_victim(prosecutor, first, forms=["SEXUAL_EXPLOITATION", "FORCED_LABOUR_SERVICES"])
    add_victim(prosecutor, first, age=15, nationality="GT", forms=["SEXUAL_EXPLOITATION"])
    add_event(prosecutor, first, "RESCUE", D(2023, 12, 20), parties=[ana])  # Ana identified in 2023
    add_event(prosecutor, first, "EXPLOITATION", D(2023, 6, 1), country=Country.objects.get(iso2="SV"))
    crossing = BorderCrossing.objects.order_by("code").first()
    add_event(prosecutor, first, "BORDER_CROSSING", D(2024, 1, 5), border_crossing=crossing)
    defendant = parties.add_party(
        by=prosecutor,
        case=first,
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
        party=defendant,
        provision=provision,
        participation=code("offence_participation", "PRINCIPAL"),
        status=code("charge_status", "INDICTED"),
    )
    trial = proceedings.open_proceeding(
        by=prosecutor,
        case=first,
        instance=code("court_instance", "FIRST"),
        procedure_type=code("procedure_type", "ORDINARY"),
        court="Tribunal Primero de Sentencia",
        started_on=D(2024, 9, 1),
    )
    proceedings.record_decision(
        by=prosecutor,
        proceeding=trial,
        charge=charge,
        decided_on=D(2024, 10, 1),
        verdict=code("verdict", "CONVICTED"),
        sentence=proceedings.SentenceTerms(
            sanctions=[code("sanction", "IMPRISONMENT")],
            currency="USD",
            imprisonment_months=60,
            fine_amount=Decimal("2500.50"),
            reparation_amount=Decimal("10000"),
        ),
    )
    second = open_case(prosecutor, reported_on=D(2024, 5, 1))
    add_victim(prosecutor, second, sex="M", age=30, forms=["FORCED_BEGGING"])
    smuggling = open_case(prosecutor, crime_family=code("crime_family", "SOM"), reported_on=D(2024, 5, 1))
    add_victim(prosecutor, smuggling)
    return {"defendant": defendant}


def test_the_registry_is_read_in_a_fixed_number_of_queries(
    registry: dict[str, Any], prosecutor: User, django_assert_max_num_queries: Any
) -> None:
    office = prosecutor.office
    with django_assert_max_num_queries(17):  # whatever the number of cases: one query per kind of fact
        rows = selectors.registry_rows(office)
    assert rows.case_count == 3
    assert len(rows.parties) == 5
    (charge,) = rows.charges
    assert charge.decisions[0].verdict == "CONVICTED"
    assert charge.decisions[0].instance == "FIRST"
    assert len(rows.crossings) == 1


def test_a_snapshot_counts_the_registry_by_the_rules(registry: dict[str, Any], prosecutor: User) -> None:
    this_year = timezone.localdate().year
    snapshot = aggregates.build_snapshot(by=prosecutor, office=prosecutor.office)
    assert (snapshot.first_year, snapshot.last_year, snapshot.case_count) == (this_year - 4, this_year, 3)
    tables = {
        k: counting.CountTable.from_dict(v) for k, v in selectors.snapshot_tables(snapshot).items() if "values" in v
    }
    sex_age = tables["victims_sex_age"]
    assert sex_age.value("2023", "WOMEN") == 1  # Ana, rescued in December 2023
    assert sex_age.value("2024", "GIRLS") == 1
    assert sex_age.value("2024", "MEN") == 1
    assert sex_age.total == 3  # the smuggling case's victim is not a trafficking victim
    forms = tables["victims_form"]
    assert forms.value("2023", "MIXED") == 1
    assert forms.value("2024", "SEXUAL") == 1
    assert forms.value("2024", "OTHER") == 1
    assert tables["victims_citizenship"].value("GT", "2024") == 1
    assert tables["persons_convicted"].value("2024", "M") == 1
    # Recorded today, but judged in 2024: the judgment dates the formal contact at the latest.
    assert tables["persons_investigated"].value("2024", "M") == 1
    assert tables["border_crossings"].total == 1
    assert tables["cases_recorded"].value("2024", "TIP") == 2
    assert tables["smuggled_migrants_sex_age"].total == 0  # the smuggling case's party is a victim, not a migrant
    assert tables["cases_recorded"].value("2024", "SOM") == 1
    # by the main charge's ICCS code: the first case's 02041, the two others not charged yet
    iccs = tables["cases_recorded_iccs"]
    assert (iccs.value("2024", "02041"), iccs.value("2024", "NONE"), iccs.total) == (1, 2, 3)
    assert tables["smugglers_investigated"].total == 0  # the defendant is charged with trafficking only
    amounts = counting.AmountTable.from_dict(selectors.snapshot_tables(snapshot)["amounts_imposed"])
    assert amounts.currency == "USD"
    assert (amounts.value("2024", "FINE"), amounts.value("2024", "REPARATION")) == (2501, 10000)  # whole units
    assert (amounts.contributors("2024", "FINE"), amounts.contributors("2024", "CONFISCATED")) == (1, 0)
    entry = AuditEntry.objects.filter(action="statistics.snapshot_built").get()
    assert entry.data["cases"] == 3


def test_only_the_last_snapshots_are_kept(registry: dict[str, Any], prosecutor: User) -> None:
    for _ in range(aggregates.SNAPSHOTS_KEPT + 2):
        latest = aggregates.build_snapshot(by=None, office=prosecutor.office)
    assert Snapshot.objects.count() == aggregates.SNAPSHOTS_KEPT
    assert selectors.latest_snapshot(prosecutor) == latest


def test_another_office_s_cases_are_not_counted(registry: dict[str, Any], foreign_admin: User) -> None:
    rows = selectors.registry_rows(foreign_admin.office)
    assert rows.case_count == 0
    assert rows.parties == []


def test_the_unfiltered_reading_of_a_node_alone_counts_the_same(
    registry: dict[str, Any], prosecutor: User, foreign_admin: User
) -> None:
    alone = selectors.registry_rows(prosecutor.office)  # only SV's cases in the database: no office joins
    gt = UserFactory(username="gt.fiscal2", office_code=foreign_admin.office.code, roles=[Role.PROSECUTOR])
    add_victim(gt, open_case(gt), forms=["SEXUAL_EXPLOITATION"])
    shared = selectors.registry_rows(prosecutor.office)  # another office's case too: every query filters
    assert sorted(alone.parties, key=repr) == sorted(shared.parties, key=repr)
    assert sorted(alone.charges, key=repr) == sorted(shared.charges, key=repr)
    assert (alone.cases, alone.crossings, alone.case_count) == (shared.cases, shared.crossings, shared.case_count)
    assert len(selectors.registry_rows(foreign_admin.office).parties) == 1


def test_the_dashboard_shows_the_amounts_in_their_currency_and_exports_them(
    registry: dict[str, Any], prosecutor: User, client: Any
) -> None:
    from django.urls import reverse

    aggregates.build_snapshot(by=prosecutor, office=prosecutor.office)
    client.force_login(prosecutor)
    page = client.get(reverse("statistics:dashboard"))
    section = page.text.split('id="amounts_imposed"')[1].split("</section>")[0]
    assert "(USD)" in section
    assert "10\u202f000" in section  # the reparation, as the owner sees it
    network = client.get(reverse("statistics:dashboard") + "?tier=network").text
    hidden = network.split('id="amounts_imposed"')[1].split("</section>")[0]
    assert "10\u202f000" not in hidden  # one convicted person's amounts never leave the office
    text = client.get(reverse("statistics:export", args=["amounts_imposed", "csv"])).getvalue().decode("utf-8-sig")
    assert "Multas" in text
