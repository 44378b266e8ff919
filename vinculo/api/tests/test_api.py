"""The JSON API's shared endpoints and error shape; the committed OpenAPI schema is current."""

from __future__ import annotations

import json
from pathlib import Path

from django.test import Client

from vinculo.accounts.models import User
from vinculo.api.api import api

ROOT = Path(__file__).resolve().parents[3]


def test_node_identity_is_public(client: Client, db: None) -> None:
    body = client.get("/api/v1/node").json()
    assert body["node_id"] == "SV-FGR"
    assert body["role"] == "office"


def test_me_needs_a_session(client: Client, db: None) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_me_describes_the_signed_in_person(client: Client, focal_point: User) -> None:
    client.force_login(focal_point)
    body = client.get("/api/v1/me").json()
    assert body["username"] == "sv.enlace"
    assert body["office"] == "SV-FGR"
    assert body["roles"] == ["focal_point"]
    assert "exchange.triage" in body["permissions"]


def test_committed_openapi_schema_matches_the_code() -> None:
    committed = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(api.get_openapi_schema()))


def test_api_session_expires_like_the_web_one(client: Client, analyst: User, settings) -> None:
    import time

    import time_machine

    client.force_login(analyst)
    assert client.get("/api/v1/me").status_code == 200
    with time_machine.travel(time.time() + settings.SESSION_IDLE_MINUTES * 60 + 5, tick=False):
        response = client.get("/api/v1/me")
    assert response.status_code == 401


def test_api_refuses_accounts_that_must_finish_signing_in(client: Client, analyst: User) -> None:
    analyst.must_change_password = True
    analyst.save()
    client.force_login(analyst)
    response = client.get("/api/v1/me")
    assert response.status_code == 403
    assert response.json()["code"] == "account_action_required"
