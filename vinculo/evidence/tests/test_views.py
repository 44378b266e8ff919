"""The auditor's page of the evidence log and its verify button, spoken through the personas."""

from __future__ import annotations

import pytest
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.evidence.models import EvidenceEntry
from vinculo.evidence.tests.conftest import write_log

pytestmark = [pytest.mark.django_db, pytest.mark.urls("vinculo.evidence.tests.urls")]

HTMX = {"HX-Request": "true"}


@pytest.fixture
def auditor_client(client: Client, auditor: User) -> Client:
    auditor.language = "en"  # assertions below read the English text
    auditor.save()
    client.force_login(auditor)
    return client


@pytest.fixture
def log(db: None) -> list[EvidenceEntry]:
    return write_log(2)  # #1-#4 with GT-MP, #5 from HN-MP, #6 a failed delivery to GT-MP


def rows(html: str) -> int:
    return html.count("<tr>") - 1  # minus the header row


@pytest.mark.parametrize("persona", ["prosecutor", "node_admin"])
def test_other_roles_are_refused(client: Client, persona: str, request: pytest.FixtureRequest, log: object) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("evidence:entry_list")).status_code == 403
    assert client.post(reverse("evidence:verify")).status_code == 403


def test_the_auditor_sees_the_log_newest_first(auditor_client: Client, log: list[EvidenceEntry]) -> None:
    response = auditor_client.get(reverse("evidence:entry_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "6 entries match." in html
    table = html.split("<tbody>")[1]  # the kind filter lists every kind above it
    assert table.index("Delivery given up") < table.index("Envelope received") < table.index("Receipt received")
    assert "{&quot;attempts&quot;: 12}" in html  # autoescaped
    assert "The log has not been verified yet." in html


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ({"kind": "envelope_sent"}, 2),
        ({"peer": "hn-mp"}, 1),
        ({"peer": "GT-MP", "kind": "delivery_failed"}, 1),
        ({"message_id": "00000000-0000-0000-0000-000000000002"}, 2),
    ],
)
def test_filters(auditor_client: Client, log: object, query: dict[str, str], count: int) -> None:
    html = auditor_client.get(reverse("evidence:entry_list"), query, headers=HTMX).content.decode()
    assert rows(html) == count
    assert "<h1>" not in html  # only the rows are sent to htmx


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"peer": "Guatemala"}, "A member id looks like"),
        ({"message_id": "42"}, "A message id is a UUID"),
        ({"kind": "x"}, ""),
    ],
)
def test_bad_filters_show_why_and_no_rows(
    auditor_client: Client, log: object, query: dict[str, str], error: str
) -> None:
    html = auditor_client.get(reverse("evidence:entry_list"), query).content.decode()
    assert "No entries are shown until the filters are corrected" in html
    assert error in html
    assert "entries match" not in html


def test_verify_now_says_intact_and_is_audited(auditor_client: Client, auditor: User, log: object) -> None:
    html = auditor_client.post(reverse("evidence:verify"), headers=HTMX).content.decode()
    assert "Intact" in html
    assert "6 entries, from the first to the chain head" in html
    page = auditor_client.get(reverse("evidence:entry_list")).content.decode()
    assert "Last successful verification" in page
    assert f"by {auditor.username}, 6 entries intact" in page


def test_verify_now_names_the_first_bad_entry(
    auditor_client: Client, log: object, unguarded: BaseDatabaseWrapper
) -> None:
    EvidenceEntry.objects.filter(seq=4).update(facts={"attempt": 3})
    html = auditor_client.post(reverse("evidence:verify")).content.decode()
    assert "Broken" in html
    assert "First bad entry: #4" in html
    assert "Entry #4 was edited after it was written" in html
    assert "<h1>" in html  # without htmx, a whole page


def test_the_page_reads_in_spanish(client: Client, auditor: User, log: object) -> None:
    client.force_login(auditor)  # the persona's own language: Spanish by default
    response = client.get(reverse("evidence:entry_list"))
    assert response.status_code == 200
    assert 'lang="es"' in response.content.decode()
