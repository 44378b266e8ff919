"""The node's keyring file and the vault commands: init, status, rotate, prune."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from vinculo.audit.models import AuditEntry
from vinculo.reference.models import Code
from vinculo.vault import crypto, keys


@pytest.fixture
def keyring_file(tmp_path: Path, settings) -> Path:
    path = tmp_path / "vault-keyring.json"
    settings.VAULT_KEYRING_FILE = str(path)
    return path


@pytest.fixture
def sealed_rows(db: None, keyring_file: Path, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Three rows of some table holding vault tokens, registered as a vault field for the test."""
    field = keys.VaultField(model=lambda: Code, field="definition_en", context=lambda row: f"test.code:{row.pk}")
    monkeypatch.setattr(keys, "VAULT_FIELDS", [field])
    ring = keys.current_keyring()
    rows = list(Code.objects.order_by("pk")[:3])
    for row in rows:
        token = crypto.seal(f"secret {row.pk}", keyring=ring, context=f"test.code:{row.pk}")
        Code.objects.filter(pk=row.pk).update(definition_en=token)
    Code.objects.exclude(pk__in=[r.pk for r in rows]).update(definition_en="")
    return [row.pk for row in rows]


def test_development_creates_a_private_keyring(keyring_file: Path) -> None:
    ring = keys.current_keyring()
    assert keyring_file.exists()
    assert oct(keyring_file.stat().st_mode & 0o777) == "0o600"
    assert ring.current.key_id == "dev1"


def test_production_needs_an_existing_private_keyring(keyring_file: Path, settings) -> None:
    settings.IS_PRODUCTION = True
    with pytest.raises(ImproperlyConfigured, match="vault init"):
        keys.current_keyring()
    crypto.write_keyring(keyring_file, crypto.new_keyring("k1"))
    keyring_file.chmod(0o644)
    with pytest.raises(ImproperlyConfigured, match="chmod 600"):
        keys.current_keyring()


def test_init_refuses_to_overwrite(keyring_file: Path) -> None:
    call_command("vault", "init", stdout=StringIO())
    with pytest.raises(CommandError, match="already exists"):
        call_command("vault", "init", stdout=StringIO())


def test_rotation_reseals_everything_and_the_old_key_can_then_go(sealed_rows: list[int], keyring_file: Path) -> None:
    out = StringIO()
    call_command("vault", "rotate", stdout=out)
    ring = keys.current_keyring()
    assert [key.key_id for key in ring.keys][1:] == ["dev1"]
    for pk in sealed_rows:
        token = Code.objects.get(pk=pk).definition_en
        assert crypto.key_id_of(token) == ring.current.key_id
        assert crypto.unseal(token, keyring=ring, context=f"test.code:{pk}") == f"secret {pk}"
    assert "3 values re-sealed" in out.getvalue()
    assert AuditEntry.objects.filter(action="vault.rotated").get().data["resealed"] == 3
    call_command("vault", "prune", "--key", "dev1", stdout=StringIO())
    assert [key.key_id for key in keys.current_keyring().keys] == [ring.current.key_id]
    status = StringIO()
    call_command("vault", "status", stdout=status)
    assert f"{ring.current.key_id} (current): 3 values" in status.getvalue()


def test_prune_refuses_a_key_still_in_use(sealed_rows: list[int]) -> None:
    ring = keys.current_keyring()
    crypto.write_keyring(keys.keyring_path(), ring.with_new_key("k2"))
    with pytest.raises(CommandError, match="still sealed with dev1"):
        call_command("vault", "prune", "--key", "dev1", stdout=StringIO())
    with pytest.raises(CommandError, match="current key"):
        call_command("vault", "prune", "--key", "k2", stdout=StringIO())
