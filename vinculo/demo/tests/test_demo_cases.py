"""The synthetic demo cases written through the real services: valid, audited, idempotent."""

from __future__ import annotations

import datetime
import itertools
import os
import signal
from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.cases import palermo
from vinculo.cases.models import Case, CaseLink, CaseParty, Charge, ConsentRecord, Event, PersonIdentity, SupportRecord
from vinculo.cases.services.parties import unseal_identity
from vinculo.demo import stories
from vinculo.demo.cases import load_geography, seed_cases
from vinculo.demo.management.commands.seed_demo import stop_between_cases
from vinculo.demo.planner import plan_office
from vinculo.reference.models import LegalProvision

TODAY = datetime.date(2026, 11, 28)
COUNT = 24  # holds the first shared stories (slots 3, 10, 17 and 24)


@pytest.fixture
def team(judge: User, victim_care: User) -> dict[str, User]:
    return {"investigator": UserFactory(roles=[Role.INVESTIGATOR]), "victim_care": victim_care, "judge": judge}


def test_seeded_cases_are_written_through_the_services(
    prosecutor: User, team: dict[str, User], node_admin: User
) -> None:
    # One seeding, checked from several sides (seeding is the slow part).
    made = seed_cases(lead=prosecutor, team=team, count=COUNT, node_id="SV-FGR", admin=node_admin, today=TODAY)
    assert made == COUNT
    check_everything_planned_is_stored_and_audited()
    check_stored_routes_cross_where_the_crossing_joins_the_countries()
    check_shared_travellers_are_stored_as_this_office_wrote_them()
    check_most_stored_trafficking_victims_show_every_palermo_element()
    check_the_court_side_fits_each_case_stage()


def check_the_court_side_fits_each_case_stage() -> None:
    from vinculo.cases.models import CaseDocument, Decision, Proceeding, Sentence
    from vinculo.demo.courts import at_least

    for case in Case.objects.select_related("stage"):
        stage = case.stage.code
        held = Proceeding.objects.filter(case=case).count()
        assert (held > 0) == at_least(stage, "INTERMEDIATE_HEARING"), case.national_number
        decided = Decision.objects.filter(proceeding__case=case)
        if not at_least(stage, "FIRST_INSTANCE_JUDGMENT"):
            assert not decided.exists(), case.national_number
        for decision in decided.select_related("verdict", "proceeding"):
            assert decision.decided_on >= decision.proceeding.started_on
            assert hasattr(decision, "sentence") == decision.is_conviction
    actions = Counter(AuditEntry.objects.values_list("action", flat=True))
    assert actions["case.proceeding_opened"] == Proceeding.objects.count() > 0
    assert actions["case.decision_recorded"] == Decision.objects.count() > 0
    assert actions["case.sentence_recorded"] == Sentence.objects.count() > 0
    assert actions["case.document_added"] == CaseDocument.objects.count() > 0
    assert not CaseDocument.objects.exclude(content__startswith="vault1.").exists()


def check_everything_planned_is_stored_and_audited() -> None:
    plans = plan_office(node_id="SV-FGR", country="SV", count=COUNT, today=TODAY, geography=load_geography()[0])
    cases = {case.national_number: case for case in Case.objects.all()}
    assert set(cases) == {plan.number for plan in plans}
    for case in cases.values():
        case.full_clean()
    # Everything the plans hold is there, and every write left its audit entry.
    assert CaseParty.objects.count() == sum(len(plan.parties) for plan in plans)
    assert Event.objects.count() == sum(len(plan.events) for plan in plans)
    supports = sum(len(p.support) for plan in plans for p in plan.parties)
    consents = sum(len(p.consents) for plan in plans for p in plan.parties)
    assert SupportRecord.objects.count() == supports > 0
    assert ConsentRecord.objects.count() == consents > 0
    assert Charge.objects.count() > 0
    assert LegalProvision.objects.filter(country__iso2="SV").count() == 4
    actions = Counter(AuditEntry.objects.values_list("action", flat=True))
    assert actions["case.opened"] == COUNT
    assert actions["case.party_added"] == CaseParty.objects.count()
    assert actions["case.event_added"] == Event.objects.count()
    assert actions["case.support_added"] == supports
    assert actions["case.consent_recorded"] == consents
    assert actions["case.exploitation_recorded"] == sum(1 for p in plans for party in p.parties if party.exploitation)
    assert actions["case.charge_added"] == Charge.objects.count()
    assert actions["reference.provision_added"] == 4
    assert actions["case.linked"] == CaseLink.objects.count() > 0
    # Support is recorded by the case's victim care, as it would be.
    assert set(SupportRecord.objects.values_list("created_by__username", flat=True)) == {"sv.victimas"}
    # Identities are sealed in the vault, never in clear.
    assert not PersonIdentity.objects.exclude(given_names__startswith="vault1.").exists()


def check_stored_routes_cross_where_the_crossing_joins_the_countries() -> None:
    crossings = 0
    for case in Case.objects.prefetch_related("events__border_crossing__countries", "events__country"):
        steps = sorted(case.events.all(), key=lambda event: event.pk)  # in the order they were recorded
        for before, event in itertools.pairwise(steps):
            if event.border_crossing is None:
                continue
            joined = {country.iso2 for country in event.border_crossing.countries.all()}
            assert before.country is not None
            assert event.country is not None
            assert {before.country.iso2, event.country.iso2} <= joined
            crossings += 1
    assert crossings > 10


def check_shared_travellers_are_stored_as_this_office_wrote_them() -> None:
    for slot, story in stories.slots("SV").items():
        if slot > COUNT:
            continue
        written = stories.recorded_traveller(story, "SV", TODAY)
        elsewhere = stories.recorded_traveller(story, story.other("SV"), TODAY)
        case = Case.objects.get(national_number__endswith=f"-{slot:05d}")
        identities = [unseal_identity(party.person_id) for party in case.parties.all()]
        assert any(
            (i.given_names, i.first_surname, i.second_surname, i.birth_date, i.document_numbers)
            == (written.given_names, written.first_surname, written.second_surname, written.birth_date,
                written.document_numbers)
            for i in identities
        )  # fmt: skip
        assert written != elsewhere
        link = CaseLink.objects.get(from_case=case, link_type__code="FOREIGN_COUNTERPART")
        assert link.foreign_reference.startswith(stories.DEMO_OFFICES[story.other("SV")] + " ")


def check_most_stored_trafficking_victims_show_every_palermo_element() -> None:
    victims = CaseParty.objects.filter(exploitation__isnull=False).prefetch_related(
        "exploitation__acts", "exploitation__means", "exploitation__purposes"
    )
    checks = [
        palermo.check(
            acts=[c.code for c in party.exploitation.acts.all()],
            means=[c.code for c in party.exploitation.means.all()],
            purposes=[c.code for c in party.exploitation.purposes.all()],
            is_child=party.is_child,
        )
        for party in victims
    ]
    assert len(checks) > 10
    assert sum(check.is_complete for check in checks) >= 0.75 * len(checks)


def test_seeding_again_adds_nothing_and_a_larger_count_only_the_rest(prosecutor: User, team: dict[str, User]) -> None:
    assert seed_cases(lead=prosecutor, team=team, count=6, node_id="SV-FGR", today=TODAY) == 6
    entries = AuditEntry.objects.count()
    assert seed_cases(lead=prosecutor, team=team, count=6, node_id="SV-FGR", today=TODAY) == 0
    assert AuditEntry.objects.count() == entries
    # Another day the dates move, but the cases already there are recognised by their slot.
    later = TODAY - datetime.timedelta(days=1)
    assert seed_cases(lead=prosecutor, team=team, count=8, node_id="SV-FGR", today=later) == 2
    assert Case.objects.count() == 8
    # Without legal provisions on the node, suspects are simply not charged.
    assert not Charge.objects.exists()
    # Asked to stop, it stops between cases.
    assert seed_cases(lead=prosecutor, team=team, count=10, node_id="SV-FGR", stop=lambda: True) == 0


def test_seed_demo_creates_accounts_and_cases_once(settings: Any, db: None) -> None:
    settings.DEMO_MODE = True
    first, second = StringIO(), StringIO()
    call_command("seed_demo", cases=2, stdout=first)
    call_command("seed_demo", cases=2, stdout=second)
    assert "10 demo accounts created" in first.getvalue()
    assert "2 synthetic cases registered" in first.getvalue()
    assert "0 demo accounts created" in second.getvalue()
    assert "0 synthetic cases registered" in second.getvalue()
    assert Case.objects.count() == 2
    assert LegalProvision.objects.filter(country__iso2="SV").count() == 4


def test_seed_demo_refuses_outside_a_demo_node(settings: Any, db: None) -> None:
    settings.DEMO_MODE = False
    with pytest.raises(CommandError):
        call_command("seed_demo", cases=2)
    assert not Case.objects.exists()


def test_a_stop_signal_while_seeding_is_noted_and_the_usual_handling_comes_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with stop_between_cases() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop == ["SIGTERM"]
    assert signal.getsignal(signal.SIGTERM) == before
