"""`vinculo vault init|status|rotate|prune|reindex`: manage the identity vault's keyring and search index.

Rotation adds a new key, re-seals every vault value with it in batches (each batch in its
own transaction, so a crash leaves a mix of old and new tokens that both still open), and
reports how many values each key still protects. Prune removes an old key only when no
value uses it any more.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models.functions import Substr
from django.utils import timezone

from vinculo.audit import services as audit
from vinculo.vault import crypto, keys

BATCH = 500


def _tokens_by_key() -> Counter[str]:
    counts: Counter[str] = Counter()
    for vault_field in keys.VAULT_FIELDS:
        model = vault_field.model()
        # Only the token's head names its key: read that much, not whole documents.
        heads = model.objects.exclude(**{vault_field.field: ""}).annotate(head=Substr(vault_field.field, 1, 64))
        for head in heads.values_list("head", flat=True):
            counts[crypto.key_id_of(head)] += 1
    return counts


class Command(BaseCommand):
    help = "Create, inspect, rotate or prune the identity vault keyring."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["init", "status", "rotate", "prune", "reindex"])
        parser.add_argument("--key", help="with prune: the id of the old key to remove")

    def handle(self, *args: Any, action: str, key: str | None = None, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(key)
        except crypto.VaultError as error:
            raise CommandError(str(error)) from error

    def _init(self, _key: str | None) -> None:
        path = keys.keyring_path()
        if path.exists():
            raise CommandError(f"{path} already exists; use `vinculo vault rotate` to add a key.")
        path.parent.mkdir(parents=True, exist_ok=True)
        crypto.write_keyring(path, crypto.new_keyring(timezone.now().strftime("k%Y%m%d%H%M%S")))
        self.stdout.write(f"Created {path} (mode 600). Back it up: without it the vault cannot be read.")

    def _status(self, _key: str | None) -> None:
        keyring = keys.current_keyring()
        counts = _tokens_by_key()
        for index, key in enumerate(keyring.keys):
            label = "current" if index == 0 else "old"
            self.stdout.write(f"{key.key_id} ({label}): {counts.get(key.key_id, 0)} values")
        unknown = set(counts) - {key.key_id for key in keyring.keys}
        if unknown:
            raise CommandError(f"values sealed with keys missing from the keyring: {', '.join(sorted(unknown))}")

    def _rotate(self, _key: str | None) -> None:
        path = keys.keyring_path()
        old = keys.current_keyring()
        new = old.with_new_key(timezone.now().strftime("k%Y%m%d%H%M%S%f"))
        crypto.write_keyring(path, new)
        resealed = 0
        for vault_field in keys.VAULT_FIELDS:
            model = vault_field.model()
            pending = model.objects.exclude(**{vault_field.field: ""}).values_list("pk", flat=True)
            ids = list(pending)
            batch = min(BATCH, vault_field.batch)
            for start in range(0, len(ids), batch):
                with transaction.atomic():
                    for row in model.objects.select_for_update().filter(pk__in=ids[start : start + batch]):
                        token = getattr(row, vault_field.field)
                        fresh = crypto.reseal(token, keyring=new, context=vault_field.context(row))
                        if fresh != token:
                            model.objects.filter(pk=row.pk).update(**{vault_field.field: fresh})
                            resealed += 1
        with transaction.atomic():
            audit.record(
                action="vault.rotated",
                actor=None,
                data={"new_key": new.current.key_id, "old_key": old.current.key_id, "resealed": resealed},
            )
        self.stdout.write(f"New current key {new.current.key_id}; {resealed} values re-sealed.")
        self.stdout.write(
            f"When backups hold the new keyring, remove the old key: vinculo vault prune --key {old.current.key_id}"
        )

    def _prune(self, key: str | None) -> None:
        if not key:
            raise CommandError("Say which key to remove: --key <id>.")
        keyring = keys.current_keyring()
        keyring.get(key)
        still = _tokens_by_key().get(key, 0)
        if still:
            raise CommandError(f"{still} values are still sealed with {key}; run `vinculo vault rotate` first.")
        crypto.write_keyring(keys.keyring_path(), keyring.without(key))
        with transaction.atomic():
            audit.record(action="vault.key_removed", actor=None, data={"key": key})
        self.stdout.write(f"Removed key {key}.")

    def _reindex(self, _key: str | None) -> None:
        # The case registry owns the identities; imported here so the vault stays generic.
        from vinculo.cases.services.parties import rebuild_identity_index

        count = rebuild_identity_index()
        self.stdout.write(f"Search index rebuilt for {count} people.")
