"""Query budgets of the pages that list many cases or people: the count stays flat as the data grows.

Each test measures a page with a little data and with more of it; the number of SQL queries must
stay within the budget and must not grow with the number of rows shown (no query per row).
Timings are measured by benchmarks/case_list_search.py, never here.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.cases import selectors
from vinculo.cases.models import Case
from vinculo.cases.services import events, exploitation, parties
from vinculo.cases.tests.factories import code, open_case
from vinculo.reference.models import BorderCrossing

# 12 for the bare list (see test_access), one to check a chosen code, and for the form of
# exploitation one more to look its code up before the list.
LIST_BUDGET = 14
SEARCH_BUDGET = 16
API_BUDGET = 9  # the page's keys, then its cases with their seven codes


def _victims(by: User, case: Case, *, count: int, surname: str = "Quintanilla") -> None:
    """Victims in forced labour who crossed at SLV-HND-02, all named alike (so one search finds them all)."""
    for number in range(count):
        victim = parties.add_party(
            by=by,
            case=case,
            role=code("party_role", "VICTIM"),
            sex=code("sex", "F"),
            identity=parties.Identity(
                given_names="Marleny",
                first_surname=surname,
                document_numbers=f"DUI 9{number:07d}-1",
                phones=f"+503 1{number:03d}-0000",
            ),
            age_at_identification=25,
        )
        exploitation.record_exploitation(
            by=by, party=victim, codes={"purposes": [code("exploitation_form", "FORCED_LABOUR_SERVICES")]},
            started_on=None, started_on_precision="day", ended_on=None, ended_on_precision="day", expected_version=None,
        )  # fmt: skip
    crossing = BorderCrossing.objects.get(code="SLV-HND-02")
    events.add_event(
        by=by, case=case, event_type=code("event_type", "BORDER_CROSSING"), occurred_on=None,
        occurred_on_precision="day", country=None, place="", border_crossing=crossing,
    )  # fmt: skip


def _cases(by: User, count: int) -> None:
    for _ in range(count):
        case = open_case(
            by, visibility="office", summary="Rescatadas en la frontera.", reported_on=datetime.date(2025, 6, 1)
        )
        _victims(by, case, count=2)


def _queries(client: Client, path: str, params: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200, path
    return len(queries)


FILTERS = [
    {},
    {"stage": "PRELIMINARY_INVESTIGATION"},
    {"crime_family": "TIP"},
    {"year": 2025},
    {"status": "open"},
    {"exploitation_form": "FORCED_LABOUR_SERVICES"},
    {"border_crossing": "SLV-HND-02"},
    {"text": "frontera"},
]


def _grow(client: Client, prosecutor: User, measure: Callable[[], list[int]], more: int) -> tuple[list[int], list[int]]:
    client.force_login(prosecutor)
    measure()  # the first request warms per-process caches (the office name)
    few = measure()
    _cases(prosecutor, more)
    return few, measure()


def test_the_case_list_keeps_its_budget_with_every_filter(client: Client, prosecutor: User) -> None:
    _cases(prosecutor, 2)
    path = reverse("cases:case_list")
    few, many = _grow(client, prosecutor, lambda: [_queries(client, path, filters) for filters in FILTERS], 6)
    for filters, before, after in zip(FILTERS, few, many, strict=True):
        assert after <= LIST_BUDGET, filters
        assert after == before, f"a query per case shown with {filters}"


def test_a_later_page_of_the_list_and_the_api_keeps_the_budget(client: Client, prosecutor: User) -> None:
    for _ in range(52):
        open_case(prosecutor, visibility="office")
    client.force_login(prosecutor)
    _queries(client, reverse("cases:case_list"), {})
    assert _queries(client, reverse("cases:case_list"), {"page": 2}) <= LIST_BUDGET
    assert _queries(client, "/api/v1/cases", {"page": 2}) <= API_BUDGET
    body = client.get("/api/v1/cases", {"page": 2}).json()
    assert (body["count"], len(body["items"])) == (52, 2)


def test_a_case_is_listed_once_however_many_of_its_victims_match(client: Client, prosecutor: User) -> None:
    case = open_case(prosecutor, "FGR-ONCE-1")
    _victims(prosecutor, case, count=3)
    client.force_login(prosecutor)
    for filters in ({"exploitation_form": "FORCED_LABOUR_SERVICES"}, {"border_crossing": "SLV-HND-02"}, {}):
        page = client.get(reverse("cases:case_list"), filters).content.decode()
        assert page.count("FGR-ONCE-1") == 1, filters


def test_an_unknown_form_of_exploitation_finds_no_case(prosecutor: User) -> None:
    """The filter looks the code up first; a code that is not there must not match victims without forms."""
    case = open_case(prosecutor, "FGR-NONE-1")
    parties.add_party(
        by=prosecutor, case=case, role=code("party_role", "VICTIM"), sex=code("sex", "F"), identity=parties.Identity()
    )
    assert list(selectors.case_list(prosecutor)) == [case]
    assert not selectors.case_list(prosecutor, exploitation_form="NO_SUCH_FORM").exists()


SEARCHES = ["marleny quintanilla", "90000001", "1001-0000"]  # a name, a document, a phone


def test_the_people_search_keeps_its_budget_however_many_people_match(client: Client, prosecutor: User) -> None:
    _cases(prosecutor, 1)
    path = reverse("cases:people_search")
    few, many = _grow(client, prosecutor, lambda: [_queries(client, path, {"q": query}) for query in SEARCHES], 6)
    for query, before, after in zip(SEARCHES, few, many, strict=True):
        assert after <= SEARCH_BUDGET, query
        assert after == before, f"a query per person found by {query}"


def test_the_people_search_page_shows_every_match_in_the_budget(client: Client, prosecutor: User) -> None:
    _cases(prosecutor, 3)
    client.force_login(prosecutor)
    page = client.get(reverse("cases:people_search"), {"q": "Marleny Quintanilla"}).content.decode()
    assert page.count("<tr>") - 1 == 6, "two victims in each of three cases"


def test_the_case_api_list_keeps_its_budget(client: Client, prosecutor: User) -> None:
    _cases(prosecutor, 2)
    few, many = _grow(client, prosecutor, lambda: [_queries(client, "/api/v1/cases", {})], 6)
    assert many[0] <= API_BUDGET
    assert many == few, "a query per case returned"
    body = client.get("/api/v1/cases").json()
    assert body["count"] == 8
    assert len(body["items"]) == 8
