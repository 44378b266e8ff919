"""The auditor's page, exports and the verify button, spoken through the personas."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import re

import pytest
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.audit import services
from vinculo.audit.models import AuditEntry
from vinculo.audit.tests.conftest import write_trail

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def auditor_client(client: Client, auditor: User) -> Client:
    auditor.language = "en"  # assertions below read the English text
    auditor.save()
    client.force_login(auditor)
    return client


@pytest.fixture
def signins(prosecutor: User, node_admin: User) -> None:
    """#1 and #2 sign-ins, #3 an account created by sv.admin, #4 a failed sign-in."""
    services.record(action="auth.login", actor=prosecutor)
    services.record(action="auth.login", actor=node_admin)
    services.record(action="users.created", actor=node_admin, target=("accounts.user", "41"), data={"roles": ["judge"]})
    services.record(action="auth.failed", actor=None, data={"username": "sv.fiscal"})


def last(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("seq")


def streamed(response: object) -> str:
    assert response.streaming  # type: ignore[attr-defined]
    return b"".join(response.streaming_content).decode("utf-8")  # type: ignore[attr-defined]


# --- Who may open what -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["audit:entry_list", "audit:export_csv", "audit:export_jsonl"])
@pytest.mark.parametrize("persona", ["prosecutor", "node_admin"])
def test_other_roles_are_refused_and_the_attempt_is_recorded(
    client: Client, persona: str, name: str, request: pytest.FixtureRequest
) -> None:
    person = request.getfixturevalue(persona)
    client.force_login(person)
    response = client.get(reverse(name))
    assert response.status_code == 403
    denial = last("access.denied")
    assert denial.actor_id == person.pk
    assert not AuditEntry.objects.filter(action__in=["audit.viewed", "audit.exported"]).exists()


@pytest.mark.parametrize("persona", ["prosecutor", "node_admin"])
def test_other_roles_cannot_verify(client: Client, persona: str, request: pytest.FixtureRequest) -> None:
    client.force_login(request.getfixturevalue(persona))
    assert client.post(reverse("audit:verify")).status_code == 403
    assert not AuditEntry.objects.filter(action="audit.verified").exists()


def test_a_visitor_is_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get(reverse("audit:entry_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- The page ---------------------------------------------------------------------------


@pytest.mark.usefixtures("signins")
def test_the_auditor_sees_the_trail_and_the_view_is_recorded(auditor_client: Client, auditor: User) -> None:
    response = auditor_client.get(reverse("audit:entry_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<caption" in page
    assert 'scope="col"' in page
    assert "users.created" in page
    assert "accounts.user 41" in page
    assert "roles=[&quot;judge&quot;]" in page
    assert "4 entries match." in page
    viewed = last("audit.viewed")
    assert (viewed.actor_id, viewed.data) == (auditor.pk, {"filters": {}, "page": 1, "matched": 4})


@pytest.mark.usefixtures("signins")
def test_times_are_shown_in_the_node_time_zone(auditor_client: Client) -> None:
    entry = AuditEntry.objects.get(seq=1)
    from django.utils import timezone

    local = timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S")
    assert str(settings.TIME_ZONE) == timezone.get_current_timezone_name()
    assert local in auditor_client.get(reverse("audit:entry_list")).content.decode()


@pytest.mark.usefixtures("signins")
def test_filters_narrow_the_table_and_are_recorded(auditor_client: Client) -> None:
    response = auditor_client.get(reverse("audit:entry_list"), {"action": "auth.", "username": "admin"})
    rows = re.findall(r'<td class="mono">(\d+)</td>', response.content.decode())
    assert rows == ["2"]
    assert last("audit.viewed").data["filters"] == {"action": "auth.", "username": "admin"}


@pytest.mark.usefixtures("signins")
def test_htmx_gets_only_the_rows(auditor_client: Client) -> None:
    response = auditor_client.get(reverse("audit:entry_list"), {"action": "auth.failed"}, headers=HTMX)
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="entry-rows">')
    assert "<html" not in page
    assert re.findall(r'<td class="mono">(\d+)</td>', page) == ["4"]
    # The export links follow the filter being typed.
    assert f'href="{reverse("audit:export_csv")}?action=auth.failed"' in page
    assert last("audit.viewed").data["filters"] == {"action": "auth.failed"}


def test_htmx_filtering_puts_only_the_given_filters_in_the_address_bar(auditor_client: Client) -> None:
    form = {"username": "", "action": "auth.", "office": " ", "date_from": "", "page": "2"}
    response = auditor_client.get(reverse("audit:entry_list"), form, headers=HTMX)
    assert response["HX-Push-Url"] == reverse("audit:entry_list") + "?action=auth."
    response = auditor_client.get(reverse("audit:entry_list"), {"username": ""}, headers=HTMX)
    assert response["HX-Push-Url"] == reverse("audit:entry_list")


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_bad_dates_show_errors_not_a_server_error(auditor_client: Client, headers: dict[str, str]) -> None:
    write_trail(2)
    response = auditor_client.get(reverse("audit:entry_list"), {"date_from": "2026-02-31"}, headers=headers)
    assert response.status_code == 200
    page = response.content.decode()
    assert "No entries are shown until the filters are corrected" in page
    assert "Enter a valid date." in page
    assert 'role="alert"' in page
    assert "test.step" not in page
    viewed = last("audit.viewed")
    assert viewed.data == {"filters": {"date_from": "2026-02-31"}, "page": 0, "matched": 0}


def test_pages_keep_the_filters(auditor_client: Client) -> None:
    write_trail(120)
    response = auditor_client.get(reverse("audit:entry_list"), {"action": "test.", "page": "2"})
    page = response.content.decode()
    assert re.findall(r'<td class="mono">(\d+)</td>', page)[0] == "70"
    assert "?action=test.&amp;page=3" in page
    assert "?action=test.&amp;page=1" in page
    assert last("audit.viewed").data["page"] == 2


def test_the_page_needs_no_inline_script_or_style(auditor_client: Client) -> None:
    write_trail(1)
    services.record(action="test.long", actor=None, data={"text": "x" * 200})
    page = auditor_client.get(reverse("audit:entry_list")).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert " style=" not in page
    assert "<style" not in page
    assert not re.search(r"\son[a-z]+=", page)
    assert "<details>" in page  # long data folds away instead of stretching the table


def test_the_page_shows_the_last_verification(auditor_client: Client) -> None:
    assert "The chain has not been verified yet." in auditor_client.get(reverse("audit:entry_list")).content.decode()
    write_trail(3)  # after the view just recorded as #1
    services.verify_trail(actor=None)
    page = auditor_client.get(reverse("audit:entry_list")).content.decode()
    assert "by system, 4 entries intact." in page


# --- Exports ----------------------------------------------------------------------------


@pytest.mark.usefixtures("signins")
def test_csv_export_holds_exactly_the_filtered_entries(auditor_client: Client, auditor: User) -> None:
    response = auditor_client.get(reverse("audit:export_csv"), {"action": "auth."})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert re.fullmatch(rf'attachment; filename="vinculo-audit-{settings.NODE_ID}-\d{{8}}T\d{{6}}Z\.csv"', disposition)
    text = streamed(response)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [(row["seq"], row["action"], row["actor"]) for row in rows] == [
        ("1", "auth.login", "sv.fiscal"),
        ("2", "auth.login", "sv.admin"),
        ("4", "auth.failed", "system"),
    ]
    assert json.loads(rows[2]["data"]) == {"username": "sv.fiscal"}
    exported = last("audit.exported")
    assert (exported.actor_id, exported.data) == (
        auditor.pk,
        {"format": "csv", "filters": {"action": "auth."}, "count": 3},
    )


def test_csv_cells_cannot_become_formulas(auditor_client: Client) -> None:
    services.record(action="test.step", actor=None, actor_label="=cmd|'/C calc'!A0", target=("case", "+1+2"))
    services.record(action="test.step", actor=None, actor_label="@SUM(A1:A9)", target=("case", "-3"))
    services.record(action="test.step", actor=None, actor_label="\tlooks.blank", target=("case", "ok=fine"))
    text = streamed(auditor_client.get(reverse("audit:export_csv"), {"action": "test.step"}))
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [(row["actor"], row["target_id"]) for row in rows] == [
        ("'=cmd|'/C calc'!A0", "'+1+2"),
        ("'@SUM(A1:A9)", "'-3"),
        ("'\tlooks.blank", "ok=fine"),
    ]


@pytest.mark.usefixtures("signins")
def test_jsonl_export_holds_the_filtered_entries_with_checkable_hashes(auditor_client: Client) -> None:
    response = auditor_client.get(reverse("audit:export_jsonl"), {"username": "admin"})
    assert response["Content-Type"].startswith("application/x-ndjson")
    assert response["Content-Disposition"].endswith('.jsonl"')
    lines = [json.loads(line) for line in streamed(response).splitlines()]
    assert [(line["seq"], line["action"]) for line in lines] == [(2, "auth.login"), (3, "users.created")]
    for line in lines:
        # Anyone can check a line without Vínculo: the hash covers the rest of the line.
        stored = line.pop("hash")
        canonical = json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert hashlib.sha256(canonical).hexdigest() == stored
    assert last("audit.exported").data == {"format": "jsonl", "filters": {"username": "admin"}, "count": 2}


def test_a_full_jsonl_export_links_up(auditor_client: Client) -> None:
    write_trail(4)
    lines = [json.loads(line) for line in streamed(auditor_client.get(reverse("audit:export_jsonl"))).splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4]
    for before, after in itertools.pairwise(lines):
        assert after["prev"] == before["hash"]


def test_an_export_with_bad_filters_goes_back_to_the_page(auditor_client: Client) -> None:
    response = auditor_client.get(reverse("audit:export_csv"), {"date_to": "not-a-date", "page": "3"})
    assert response.status_code == 302
    assert response["Location"] == reverse("audit:entry_list") + "?date_to=not-a-date"
    assert not AuditEntry.objects.filter(action="audit.exported").exists()


def test_the_page_links_to_exports_of_the_current_filter(auditor_client: Client) -> None:
    page = auditor_client.get(reverse("audit:entry_list"), {"office": "SV-FGR", "page": "1"}).content.decode()
    assert f'href="{reverse("audit:export_csv")}?office=SV-FGR"' in page
    assert f'href="{reverse("audit:export_jsonl")}?office=SV-FGR"' in page


# --- Verifying from the page ------------------------------------------------------------


def test_the_auditor_verifies_an_intact_chain(auditor_client: Client, auditor: User) -> None:
    entries = write_trail(3)
    response = auditor_client.post(reverse("audit:verify"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Intact" in page
    assert "The chain checks out: 3 entries" in page
    assert entries[-1].entry_hash in page.replace("<wbr>", "")
    verified = last("audit.verified")
    assert (verified.actor_id, verified.data["entries"]) == (auditor.pk, 3)


def test_htmx_verification_returns_only_the_verdict(auditor_client: Client) -> None:
    write_trail(1)
    page = auditor_client.post(reverse("audit:verify"), headers=HTMX).content.decode()
    assert "<html" not in page
    assert "The chain checks out: 1 entry," in page


def test_the_auditor_sees_where_a_broken_chain_breaks(auditor_client: Client, unguarded: BaseDatabaseWrapper) -> None:
    write_trail(4)
    AuditEntry.objects.filter(seq=3).delete()
    page = auditor_client.post(reverse("audit:verify"), headers=HTMX).content.decode()
    assert "Broken" in page
    assert "First bad entry: #3" in page
    assert "Entry #3 is missing" in page
    assert not AuditEntry.objects.filter(action="audit.verified").exists()
    assert AuditEntry.objects.count() == 3


def test_verifying_needs_a_post(auditor_client: Client) -> None:
    assert auditor_client.get(reverse("audit:verify")).status_code == 405
