"""`vinculo keys init|show|rotate|announce|prune`: this node's signing and encryption keys.

The private keys are files in ``VINCULO_FEDERATION_KEY_DIR`` (mode 0600), never in the
database. ``rotate`` makes new keys, keeps the old ones for ``VINCULO_KEY_OVERLAP_DAYS``, and
sends the hub an announcement signed by the old signing key (printed, and kept for
``announce`` when the hub cannot be reached). ``prune`` deletes old keys after their overlap.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vinculo.federation import keys
from vinculo.federation.services import keys as key_services


def public_keys_json() -> dict[str, Any]:
    """This node's public keys as the hub's `directory member add --keys-file` reads them."""
    return {
        "member": keys.node_id(),
        "signing_key": keys.node_signing_key().public_jwk(),
        "encryption_key": keys.node_encryption_keys()[0].public_jwk(),
    }


def _write_public(path: str) -> None:
    Path(path).write_text(json.dumps(public_keys_json(), indent=2) + "\n", encoding="utf-8")


class Command(BaseCommand):
    help = "Create, show, rotate, announce or prune this node's federation keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["init", "show", "rotate", "announce", "prune"])
        parser.add_argument(
            "--exist-ok", action="store_true", help="with init: keep existing keys instead of refusing (scripts)"
        )
        parser.add_argument("--json", dest="as_json", action="store_true", help="with show: the public keys as JSON")
        parser.add_argument(
            "--public-out", metavar="FILE", help="with init or show: also write the public keys as JSON to FILE"
        )
        parser.add_argument("--output", metavar="FILE", help="with rotate: also write the announcement to FILE")
        parser.add_argument("--file", metavar="FILE", help="with announce: send this announcement instead")
        parser.add_argument("--no-send", action="store_true", help="with rotate: do not send the announcement")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except (keys.KeyStoreError, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from error

    def _init(self, *, exist_ok: bool, public_out: str | None, **_: Any) -> None:
        if exist_ok and keys.has_keys():
            self.stdout.write(f"Keys already present in {keys.key_dir()}; kept.")
        else:
            signing, encryption = key_services.init_keys()
            self.stdout.write(f"Created the keys of {keys.node_id()} in {keys.key_dir()} (mode 600).")
            self.stdout.write(f"Signing key:    {signing.thumbprint()}")
            self.stdout.write(f"Encryption key: {encryption.thumbprint()}")
            self.stdout.write("Back them up apart from the database. Public keys for the hub: `keys show --json`.")
        if public_out:
            _write_public(public_out)

    def _show(self, *, as_json: bool, public_out: str | None, **_: Any) -> None:
        public = public_keys_json()
        if public_out:
            _write_public(public_out)
        if as_json:
            self.stdout.write(_dumps(public))
            return
        self.stdout.write(f"Node {public['member']}, keys in {keys.key_dir()}")
        self.stdout.write(f"Signing key (current):    {public['signing_key']['kid']}")
        self.stdout.write(f"  {_dumps(public['signing_key'], compact=True)}")
        self.stdout.write(f"Encryption key (current): {public['encryption_key']['kid']}")
        self.stdout.write(f"  {_dumps(public['encryption_key'], compact=True)}")
        for retired in keys.retired_keys():
            until = datetime.fromtimestamp(retired.not_after, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            self.stdout.write(f"Previous {retired.use} key {retired.thumbprint}, valid until {until}")

    def _rotate(self, *, output: str | None, no_send: bool, **_: Any) -> None:
        rotated = key_services.rotate_node_keys()
        rotation = rotated.rotation
        self.stdout.write(f"New signing key:    {rotation.new_signing.thumbprint()}")
        self.stdout.write(f"New encryption key: {rotation.new_encryption.thumbprint()}")
        until = datetime.fromtimestamp(rotation.not_after, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        self.stdout.write(f"The old keys stay valid until {until}; then: vinculo keys prune")
        self.stdout.write("Announcement (signed by the old signing key):")
        self.stdout.write(rotated.announcement)
        if output:
            Path(output).write_text(rotated.announcement + "\n", encoding="ascii")
        if not no_send:
            self._send(rotated.announcement)

    def _announce(self, *, file: str | None, **_: Any) -> None:
        token = Path(file).read_text(encoding="ascii").strip() if file else keys.saved_announcement()
        if not token:
            raise CommandError("There is no announcement to send: this node's keys were never rotated.")
        self._send(token, fail=True)

    def _send(self, token: str, *, fail: bool = False) -> None:
        try:
            version = key_services.send_announcement(token)
        except key_services.AnnouncementNotDelivered as error:
            message = (
                f"The hub has not accepted the announcement ({error.code}: {error.detail}). "
                "The new keys are in use; send it again with `vinculo keys announce`."
            )
            if fail:
                raise CommandError(message) from None
            self.stderr.write(message)
            return
        self.stdout.write(f"The hub lists the new keys in directory version {version}.")

    def _prune(self, **_: Any) -> None:
        removed = key_services.prune_node_keys()
        for key in removed:
            self.stdout.write(f"Removed previous {key.use} key {key.thumbprint}.")
        if not removed:
            self.stdout.write("No previous key has reached the end of its overlap.")


def _dumps(value: Any, *, compact: bool = False) -> str:
    if compact:
        return json.dumps(value, separators=(",", ":"))
    return json.dumps(value, indent=2)
