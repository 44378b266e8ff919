"""The synthetic demo cases: valid through the real services, deterministic, no names."""

from __future__ import annotations

import random

from vinculo.accounts.models import User
from vinculo.cases.models import Case
from vinculo.demo.cases import seed_cases


def test_seeded_cases_are_valid_deterministic_and_nameless(prosecutor: User, judge: User, victim_care: User) -> None:
    made = seed_cases(
        lead=prosecutor, team={"judge": judge, "victim_care": victim_care}, count=40, prefix="FGR", rng=random.Random(7)
    )
    assert made == 40
    cases = list(Case.objects.order_by("national_number"))
    numbers = [case.national_number for case in cases]
    assert len(set(numbers)) == 40
    for case in cases:
        case.full_clean()
        assert prosecutor.full_name not in case.summary
    assert {case.crime_family.code for case in cases} >= {"TIP", "SOM"}
    # Every case has people; their identities are sealed, and some are shared travellers.
    from vinculo.cases.models import CaseParty, PersonIdentity
    from vinculo.demo.persons import travellers

    assert all(case.parties.exists() for case in cases)
    assert not PersonIdentity.objects.exclude(given_names__startswith="vault1.").exists()
    shared = next(p for p in travellers() if "SV" in str(p["countries"]))
    from vinculo.cases import selectors

    # However the office wrote the traveller down, the first surname survives (accents aside).
    assert selectors.people_search(prosecutor, str(shared["first_surname"])).exists()
    assert CaseParty.objects.count() >= 40
    assert any(case.is_closed for case in cases)
    # Seeding again is a no-op, so a restarted demo does not double its cases.
    assert seed_cases(lead=prosecutor, team={}, count=40, prefix="FGR", rng=random.Random(7)) == 0
    # The same seed gives the same caseload.
    Case.objects.all().delete()
    seed_cases(lead=prosecutor, team={}, count=40, prefix="FGR", rng=random.Random(7))
    assert sorted(Case.objects.values_list("national_number", flat=True)) == sorted(numbers)
