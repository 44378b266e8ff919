"""The case API with bearer tokens: a national system pushes and reads cases under the same rules."""

from __future__ import annotations

from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.services import api_tokens
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import Case
from vinculo.cases.tests.factories import open_case

NEW_CASE = {
    "national_number": "FGR-TIP-2026-0901",
    "crime_family": "TIP",
    "stage": "PRELIMINARY_INVESTIGATION",
    "origin": "POLICE_OPERATION",
    "reported_on": "2026-02-10",
}


@pytest.fixture
def national_system(db: None) -> tuple[User, str]:
    account = UserFactory(username="sv.sistema", roles=[Role.PROSECUTOR])
    _token, secret = api_tokens.create_token(by=None, user=account, name="Sistema nacional de casos")
    return account, secret


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_token_registers_and_reads_a_case(client: Client, national_system) -> None:
    account, secret = national_system
    response = client.post("/api/v1/cases", NEW_CASE, content_type="application/json", headers=_bearer(secret))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["office"] == "SV-FGR"
    assert body["crime_family"] == "TIP"
    assert body["trafficker_organization"] == "NK"
    case = Case.objects.get(national_number="FGR-TIP-2026-0901")
    assert case.assignments.get().user == account
    read = client.get(f"/api/v1/cases/{case.pk}", headers=_bearer(secret))
    assert read.status_code == 200
    assert AuditEntry.objects.filter(action="case.viewed", actor=account).exists()
    listed = client.get("/api/v1/cases", headers=_bearer(secret)).json()
    assert listed["count"] == 1


def test_updates_need_the_version_last_read(client: Client, national_system) -> None:
    _account, secret = national_system
    created = client.post("/api/v1/cases", NEW_CASE, content_type="application/json", headers=_bearer(secret)).json()
    change = {**NEW_CASE, "stage": "INDICTMENT", "version": created["version"]}
    change.pop("national_number")
    first = client.put(
        f"/api/v1/cases/{created['id']}", change, content_type="application/json", headers=_bearer(secret)
    )
    assert first.status_code == 200, first.json()
    assert first.json()["stage"] == "INDICTMENT"
    stale = client.put(
        f"/api/v1/cases/{created['id']}", change, content_type="application/json", headers=_bearer(secret)
    )
    assert stale.status_code == 400
    assert stale.json()["code"] == "changed_meanwhile"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({**NEW_CASE, "crime_family": "MURDER"}, "unknown_code"),
        ({**NEW_CASE, "closed_on": "2026-03-01"}, "invalid"),
        ({**NEW_CASE, "stage": "CONVICTED"}, "unknown_code"),
    ],
)
def test_bad_payloads_get_a_clear_error_and_store_nothing(client: Client, national_system, payload, code) -> None:
    _account, secret = national_system
    response = client.post("/api/v1/cases", payload, content_type="application/json", headers=_bearer(secret))
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert not Case.objects.exists()


def test_malformed_json_is_refused(client: Client, national_system) -> None:
    _account, secret = national_system
    response = client.post("/api/v1/cases", "{not json", content_type="application/json", headers=_bearer(secret))
    assert response.status_code in (400, 422)
    assert not Case.objects.exists()


def test_tokens_see_only_what_their_account_sees(client: Client, national_system, prosecutor: User) -> None:
    _account, secret = national_system
    hidden = open_case(prosecutor)
    assert client.get(f"/api/v1/cases/{hidden.pk}", headers=_bearer(secret)).status_code == 404
    assert client.get("/api/v1/cases", headers=_bearer(secret)).json()["count"] == 0


def test_unknown_revoked_and_expired_tokens_are_refused(client: Client, national_system) -> None:
    account, secret = national_system
    assert client.get("/api/v1/cases", headers=_bearer("vnc_not-a-real-token")).status_code == 401
    assert client.get("/api/v1/cases").status_code == 401
    with time_machine.travel(timezone.now() + timezone.timedelta(days=366)):
        assert client.get("/api/v1/cases", headers=_bearer(secret)).status_code == 401
    token = account.api_tokens.get()
    api_tokens.revoke_token(by=None, token=token)
    assert client.get("/api/v1/cases", headers=_bearer(secret)).status_code == 401
    assert AuditEntry.objects.filter(action="api_token.revoked").exists()


def test_tokens_of_accounts_without_case_access_are_refused(client: Client, analyst: User) -> None:
    _token, secret = api_tokens.create_token(by=None, user=analyst, name="stats")
    assert client.get("/api/v1/cases", headers=_bearer(secret)).status_code == 403
    response = client.post("/api/v1/cases", NEW_CASE, content_type="application/json", headers=_bearer(secret))
    assert response.status_code == 403


def test_only_the_digest_is_stored_and_the_command_prints_the_secret_once(prosecutor: User) -> None:
    out = StringIO()
    call_command("api_token", "create", "--user", "sv.fiscal", "--name", "Sistema", stdout=out)
    secret = next(line for line in out.getvalue().splitlines() if line.startswith("vnc_"))
    token = prosecutor.api_tokens.get()
    assert token.digest != secret
    assert secret not in str(list(prosecutor.api_tokens.values()))
    assert api_tokens.user_for_token(secret) == prosecutor


def test_code_lists_are_served(client: Client, national_system) -> None:
    _account, secret = national_system
    codes = client.get("/api/v1/codelists/stage", headers=_bearer(secret)).json()
    assert {"code": "TRIAL"}.items() <= next(c for c in codes if c["code"] == "TRIAL").items()
    assert client.get("/api/v1/codelists/nope", headers=_bearer(secret)).status_code == 404
