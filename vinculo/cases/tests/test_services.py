"""Registering and changing cases: validation, stale saves, the team, and what stays untouched."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vinculo.accounts.models import User
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import Case, TeamRole
from vinculo.cases.services import case_files as services
from vinculo.cases.tests.factories import case_facts, code, open_case
from vinculo.core.errors import AccessDenied, DomainError


def test_opening_a_case_makes_the_author_lead_and_is_audited(prosecutor: User) -> None:
    case = open_case(prosecutor, "FGR-TIP-001")
    assert case.office == prosecutor.office
    assert list(case.assignments.values_list("user__username", "role")) == [("sv.fiscal", TeamRole.LEAD)]
    entry = AuditEntry.objects.get(action="case.opened")
    assert entry.data == {"number": "FGR-TIP-001", "crime_family": "TIP", "stage": "PRELIMINARY_INVESTIGATION"}


def test_case_numbers_are_unique_within_the_office(prosecutor: User, colleague: User) -> None:
    open_case(prosecutor, "FGR-TIP-001")
    with pytest.raises(DomainError):
        open_case(colleague, "FGR-TIP-001")
    assert Case.objects.count() == 1


def test_only_case_editors_open_cases(judge: User) -> None:
    with pytest.raises(AccessDenied):
        open_case(judge)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"closed_on": datetime.date(2026, 1, 5)}, "closure_type"),
        ({"closure_type": "DISMISSED"}, "closed_on"),
        ({"reported_on": timezone.localdate() + datetime.timedelta(days=3)}, "reported_on"),
        ({"stage": ("verdict", "CONVICTED")}, "stage"),
        (
            {
                "reported_on": datetime.date(2026, 3, 1),
                "closed_on": datetime.date(2026, 2, 1),
                "closure_type": "DISMISSED",
            },
            "closed_on",
        ),
    ],
)
def test_inconsistent_facts_are_refused_and_nothing_is_stored(prosecutor: User, overrides: dict, field: str) -> None:
    if overrides.get("closure_type"):
        overrides["closure_type"] = code("closure_type", overrides["closure_type"])
    if isinstance(overrides.get("stage"), tuple):
        overrides["stage"] = code(*overrides["stage"])
    with pytest.raises(ValidationError) as caught:
        services.open_case(by=prosecutor, national_number="FGR-BAD-1", **case_facts(**overrides))
    assert field in caught.value.message_dict
    assert not Case.objects.exists()
    assert not AuditEntry.objects.filter(action="case.opened").exists()


def test_a_stale_save_is_refused_instead_of_overwriting(prosecutor: User, colleague: User) -> None:
    case = open_case(prosecutor)
    services.assign(by=prosecutor, case=case, person=colleague, role="member")
    seen_by_both = case.version
    services.update_case(
        by=colleague, case=case, expected_version=seen_by_both, **case_facts(summary="first save wins")
    )
    with pytest.raises(DomainError) as caught:
        services.update_case(by=prosecutor, case=case, expected_version=seen_by_both, **case_facts(summary="late"))
    assert caught.value.code == "changed_meanwhile"
    case.refresh_from_db()
    assert case.summary == "first save wins"


def test_an_update_records_which_fields_changed(prosecutor: User) -> None:
    case = open_case(prosecutor)
    services.update_case(
        by=prosecutor,
        case=case,
        expected_version=case.version,
        **case_facts(stage=code("stage", "INDICTMENT"), visibility="office"),
    )
    assert AuditEntry.objects.get(action="case.updated").data == {"fields": ["stage", "visibility"]}


def test_team_rules(prosecutor: User, colleague: User, analyst: User, judge: User) -> None:
    case = open_case(prosecutor)
    services.assign(by=prosecutor, case=case, person=colleague, role="member")
    with pytest.raises(DomainError):
        services.assign(by=prosecutor, case=case, person=analyst, role="member")  # no case access at all
    with pytest.raises(DomainError):
        services.assign(by=prosecutor, case=case, person=judge, role="victim_care")  # wrong place for a judge
    with pytest.raises(DomainError):
        services.assign(by=prosecutor, case=case, person=colleague, role="member")  # already there
    with pytest.raises(AccessDenied):
        services.assign(by=colleague, case=case, person=judge, role="judge")  # only the lead decides
    with pytest.raises(DomainError):
        services.unassign(by=prosecutor, case=case, person=prosecutor)  # the lead stays
    services.unassign(by=prosecutor, case=case, person=colleague)
    assert list(
        AuditEntry.objects.filter(action__startswith="case.").values_list("action", flat=True).order_by("seq")
    ) == [
        "case.opened",
        "case.assigned",
        "case.unassigned",
    ]


def test_register_and_change_through_the_pages(client: Client, prosecutor: User) -> None:
    client.force_login(prosecutor)
    form = {
        "national_number": "FGR-TIP-2026-0042",
        "crime_family": "TIP",
        "origin": "COMPLAINT_VICTIM",
        "stage": "PRELIMINARY_INVESTIGATION",
        "reported_on": "2026-03-17",
        "reported_on_precision": "month",
        "organized_crime": "YES",
        "trafficker_organization": "NK",
        "summary": "Reclutamiento por redes sociales con oferta de empleo falsa.",
        "summary_language": "es",
        "visibility": "team",
    }
    response = client.post(reverse("cases:case_create"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get(national_number="FGR-TIP-2026-0042")
    assert case.reported_on == datetime.date(2026, 3, 1), "month precision keeps only the month"
    page = client.get(response["Location"]).content.decode()
    assert "03/2026" in page
    edit = reverse("cases:case_edit", args=[case.pk])
    # The version the page itself carries (what a browser would send back).
    edit_page = client.get(edit).content.decode()
    version = re.search(r'name="version" value="(\d+)"', edit_page)
    assert version is not None
    changed = {**form, "stage": "INDICTMENT", "version": version.group(1)}
    changed.pop("national_number")
    assert client.post(edit, changed).status_code == 302
    stale = client.post(edit, changed)
    assert stale.status_code == 400
    assert "Otra persona cambió este registro mientras usted lo editaba" in stale.content.decode()


def test_bad_form_input_gets_field_errors(client: Client, prosecutor: User) -> None:
    client.force_login(prosecutor)
    blank = client.get(reverse("cases:case_create")).content.decode()
    assert "Elija…" in blank
    assert "Select an option" not in blank, "every choice prompt is in the reader's language"
    response = client.post(reverse("cases:case_create"), {"national_number": "", "crime_family": "MURDER", "stage": ""})
    assert response.status_code == 400
    assert {"national_number", "crime_family", "stage"} <= set(response.context["form"].errors)
    assert not Case.objects.exists()


def test_case_links(client: Client, prosecutor: User, colleague: User) -> None:
    from vinculo.cases import selectors
    from vinculo.cases.services import links

    mine = open_case(prosecutor, "FGR-L-1")
    other = open_case(prosecutor, "FGR-L-2")
    hidden = open_case(colleague, "FGR-L-3", visibility="team")
    links.link_cases(by=prosecutor, case=mine, link_type=code("case_link_type", "SAME_NETWORK"), other_number="FGR-L-2")
    links.link_cases(
        by=prosecutor,
        case=mine,
        link_type=code("case_link_type", "FOREIGN_COUNTERPART"),
        foreign_reference="GT-MP 88-2025",
    )
    with pytest.raises(DomainError):  # a case one may not see cannot be named
        links.link_cases(
            by=prosecutor, case=mine, link_type=code("case_link_type", "SAME_SUSPECT"), other_number="FGR-L-3"
        )
    with pytest.raises(DomainError):
        links.link_cases(
            by=prosecutor, case=mine, link_type=code("case_link_type", "SAME_NETWORK"), other_number="FGR-L-2"
        )
    with pytest.raises(DomainError):
        links.link_cases(by=prosecutor, case=mine, link_type=code("case_link_type", "OTHER"), other_number="FGR-L-1")
    # The colleague cannot name my team case either: each side sees only what it may see.
    with pytest.raises(DomainError):
        links.link_cases(
            by=colleague, case=hidden, link_type=code("case_link_type", "SAME_VICTIM"), other_number="FGR-L-1"
        )
    seen = selectors.links_of(prosecutor, other)
    assert [(link.link_type.code, target.national_number if target else None) for link, target in seen] == [
        ("SAME_NETWORK", "FGR-L-1")
    ]
    client.force_login(prosecutor)
    page = client.get(reverse("cases:case_detail", args=[mine.pk])).content.decode()
    assert "GT-MP 88-2025" in page
    assert "FGR-L-2" in page
    response = client.post(
        reverse("cases:link_add", args=[mine.pk]), {"link_type": "SAME_VICTIM", "other_number": "NOPE"}
    )
    assert response.status_code == 302
    assert mine.links.count() == 2
