"""The strict environment readers and the production start-up checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import Env, parse_database_url, validate_node_id

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(("raw", "value"), [("true", True), ("FALSE", False), ("1", True), ("0", False)])
def test_bool_accepts_only_unambiguous_words(raw: str, value: bool) -> None:
    assert Env({"X": raw}).bool("X", not value) is value


@pytest.mark.parametrize("raw", ["yes", "no", "on", "off", "ture", "2", "t"])
def test_bool_rejects_ambiguous_words(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="X must be 'true' or 'false'"):
        Env({"X": raw}).bool("X", False)


def test_unset_and_empty_use_the_default() -> None:
    assert Env({}).bool("X", True) is True
    assert Env({"X": "  "}).int("X", 7) == 7


def test_int_rejects_non_numbers_and_out_of_range() -> None:
    with pytest.raises(ImproperlyConfigured):
        Env({"X": "15m"}).int("X", 1)
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        Env({"X": "0"}).int("X", 5, minimum=1)
    assert Env({"X": "30"}).int("X", 5, minimum=1, maximum=60) == 30


def test_choice_and_list() -> None:
    assert Env({"R": "hub"}).choice("R", "office", ["office", "hub"]) == "hub"
    with pytest.raises(ImproperlyConfigured, match="one of office, hub"):
        Env({"R": "Hub"}).choice("R", "office", ["office", "hub"])
    assert Env({"L": "a.example, b.example"}).list("L") == ["a.example", "b.example"]
    with pytest.raises(ImproperlyConfigured, match="empty item"):
        Env({"L": "a,,b"}).list("L")


def test_secret_prefers_file_and_refuses_both(tmp_path: Path) -> None:
    secret_file = tmp_path / "key"
    secret_file.write_text("from-file\n")
    assert Env({"S_FILE": str(secret_file)}).secret("S") == "from-file"
    assert Env({"S": "direct"}).secret("S") == "direct"
    with pytest.raises(ImproperlyConfigured, match="not both"):
        Env({"S": "x", "S_FILE": str(secret_file)}).secret("S")
    with pytest.raises(ImproperlyConfigured, match="cannot read"):
        Env({"S_FILE": str(tmp_path / "missing")}).secret("S")
    (tmp_path / "empty").write_text("")
    with pytest.raises(ImproperlyConfigured, match="is empty"):
        Env({"S_FILE": str(tmp_path / "empty")}).secret("S")
    with pytest.raises(ImproperlyConfigured, match="must be set"):
        Env({}).secret("S", required=True)


def test_database_urls() -> None:
    sqlite = parse_database_url("sqlite:///var/node.sqlite3")
    assert sqlite.engine.endswith("sqlite3")
    assert sqlite.name == "var/node.sqlite3"
    assert parse_database_url("sqlite:////srv/vinculo/db.sqlite3").name == "/srv/vinculo/db.sqlite3"
    pg = parse_database_url("postgres://vinculo:p%40ss@db.internal:5433/vinculo?sslmode=require")
    assert (pg.user, pg.password, pg.host, pg.port, pg.name) == ("vinculo", "p@ss", "db.internal", "5433", "vinculo")
    assert dict(pg.options) == {"sslmode": "require"}
    for bad in ["mysql://x/y", "postgres://host/", "sqlite://", "postgres://h:notaport/db"]:
        with pytest.raises(ImproperlyConfigured):
            parse_database_url(bad)


@pytest.mark.parametrize("good", ["SV-FGR", "GT-MP", "BZ-ODPP", "CCCMP-HUB"])
def test_node_ids_accepted(good: str) -> None:
    assert validate_node_id(good) == good


@pytest.mark.parametrize("bad", ["sv-fgr", "SVFGR", "SLV-FGR", "SV-", "SV FGR", ""])
def test_node_ids_refused(bad: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        validate_node_id(bad)


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter, as a server would at start-up."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VINCULO_", "DATABASE_"))}
    clean.update(env)
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup(); print('ok')"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, check=False
    )


def test_production_refuses_to_start_without_required_values() -> None:
    result = _start({"VINCULO_ENVIRONMENT": "production"})
    assert result.returncode != 0
    assert "VINCULO_NODE_ID must be set" in result.stderr


def test_production_names_each_missing_value(tmp_path: Path) -> None:
    key = tmp_path / "secret"
    key.write_text("k" * 50)
    base = {"VINCULO_ENVIRONMENT": "production", "VINCULO_NODE_ID": "SV-FGR"}
    assert "VINCULO_SECRET_KEY (or VINCULO_SECRET_KEY_FILE) must be set" in _start(base).stderr
    base["VINCULO_SECRET_KEY_FILE"] = str(key)
    assert "VINCULO_ALLOWED_HOSTS must be set" in _start(base).stderr
    base["VINCULO_ALLOWED_HOSTS"] = "vinculo.fiscalia.example"
    assert "DATABASE_URL must be set" in _start(base).stderr
    base["DATABASE_URL"] = f"sqlite:///{tmp_path}/db.sqlite3"
    assert "VINCULO_VAULT_KEYRING_FILE must be set" in _start(base).stderr
    base["VINCULO_VAULT_KEYRING_FILE"] = str(tmp_path / "vault-keyring.json")
    assert "VINCULO_FEDERATION_KEY_DIR" in _start(base).stderr
    base["VINCULO_FEDERATION_KEY_DIR"] = str(tmp_path / "keys")
    assert "VINCULO_HUB_URL" in _start(base).stderr
    base["VINCULO_HUB_URL"] = "https://hub.example/"
    assert "VINCULO_HUB_KEY" in _start(base).stderr
    base["VINCULO_HUB_KEY"] = "A" * 43
    assert "VINCULO_ATTACHMENT_DIR" in _start(base).stderr
    base["VINCULO_ATTACHMENT_DIR"] = str(tmp_path / "attachments")
    result = _start(base)
    assert result.returncode == 0, result.stderr


def test_production_refuses_debug_and_demo(tmp_path: Path) -> None:
    key = tmp_path / "secret"
    key.write_text("k" * 50)
    base = {
        "VINCULO_ENVIRONMENT": "production",
        "VINCULO_NODE_ID": "SV-FGR",
        "VINCULO_SECRET_KEY_FILE": str(key),
        "VINCULO_ALLOWED_HOSTS": "vinculo.fiscalia.example",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "VINCULO_VAULT_KEYRING_FILE": str(tmp_path / "vault-keyring.json"),
        "VINCULO_FEDERATION_KEY_DIR": str(tmp_path / "keys"),
        "VINCULO_HUB_URL": "https://hub.example/",
        "VINCULO_HUB_KEY": "A" * 43,
        "VINCULO_ATTACHMENT_DIR": str(tmp_path / "attachments"),
    }
    assert "VINCULO_DEBUG cannot be true" in _start({**base, "VINCULO_DEBUG": "true"}).stderr
    assert "VINCULO_DEMO cannot be true" in _start({**base, "VINCULO_DEMO": "true"}).stderr
    assert (
        "at least 40 characters"
        in _start({**base, "VINCULO_SECRET_KEY_FILE": "", "VINCULO_SECRET_KEY": "short"}).stderr
    )


def test_hub_and_office_ids_must_match_the_role() -> None:
    assert "must end in -HUB" in _start({"VINCULO_NODE_ROLE": "hub", "VINCULO_NODE_ID": "SV-FGR"}).stderr
    assert "cannot end in -HUB" in _start({"VINCULO_NODE_ID": "CCCMP-HUB"}).stderr
    assert "VINCULO_NODE_ROLE must be one of office, hub" in _start({"VINCULO_NODE_ROLE": "central"}).stderr


def test_client_address_believes_forwarded_for_only_from_trusted_proxies(rf, settings) -> None:
    from vinculo.core.middleware import client_ip

    settings.TRUSTED_PROXIES = frozenset({"10.0.0.5"})
    direct = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_ip(direct) == "203.0.113.9", "an untrusted peer cannot claim another address"
    proxied = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    assert client_ip(proxied) == "198.51.100.7", "the rightmost untrusted hop, not the client-supplied first one"
    garbage = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="<script>")
    assert client_ip(garbage) == "10.0.0.5"
