"""`vinculo matching`: the network match key, the office's index, and the hub's cross-match.

vinculo matching key generate [--out FILE] make the network's key (one member does, once)
vinculo matching key share [--to ID ...]   send it to member offices (default: every other office)
vinculo matching key accept FINGERPRINT    put a key another member offered in use
vinculo matching key restore FILE          install the key from the office's backup (hexadecimal)
vinculo matching key status
vinculo matching index refresh [--full]    bring the index in line with the case registry
vinculo matching index status
vinculo matching crossmatch upload         send the index's encodings to the hub (an office)
vinculo matching crossmatch run            compare the offices' uploads, send notices (the hub)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vinculo.accounts.models import Office
from vinculo.core.errors import DomainError
from vinculo.matching import selectors
from vinculo.matching.services import crossmatch, index, keys, queries
from vinculo.messaging import network


class Command(BaseCommand):
    help = "The network match key, the office's hit/no-hit index, and the hub's cross-match."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("area", choices=["key", "index", "crossmatch"])
        parser.add_argument(
            "action", choices=["generate", "share", "accept", "restore", "status", "refresh", "upload", "run"]
        )
        parser.add_argument("fingerprint", nargs="?", default="")
        parser.add_argument("--to", action="append", default=[], help="a member office to send the key to")
        parser.add_argument("--full", action="store_true", help="re-encode every person, not only changed ones")
        parser.add_argument("--exist-ok", action="store_true", help="key generate: say so if a key is in use already")
        parser.add_argument(
            "--out", type=Path, help="key generate: also write the key in hexadecimal to this new file (mode 0600)"
        )

    def handle(self, *args: Any, area: str, action: str, **options: Any) -> None:
        allowed = {
            "key": {"generate", "share", "accept", "restore", "status"},
            "index": {"refresh", "status"},
            "crossmatch": {"upload", "run"},
        }
        if action not in allowed[area]:
            raise CommandError(f"`{area}` takes one of: {', '.join(sorted(allowed[area]))}.")
        try:
            getattr(self, f"_{area}_{action}")(**options)
        except DomainError as refused:
            raise CommandError(str(refused.message)) from None

    def _key_generate(self, *, exist_ok: bool, out: Path | None, **options: Any) -> None:
        found = keys.active_key()
        if found is not None and exist_ok:
            self.stdout.write(f"match key {found[0]} already in use")
            return
        if out is not None and out.exists():
            raise CommandError(f"{out} exists; give a new file for the key's copy.")
        created = keys.generate(by=None)
        if out is not None:  # the offline copy for the office's backup (`key restore` reads it)
            made = keys.active_key()
            assert made is not None  # noqa: S101 - generated just above
            descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as copy:
                copy.write(made[1].hex() + "\n")
        self.stdout.write(f"match key {created.fingerprint} generated and in use")

    def _key_share(self, *, to: list[str], **options: Any) -> None:
        members = to or queries.member_offices(network.node_id())
        count = keys.share(by=None, members=members)
        self.stdout.write(f"match key queued for {count} member(s): {', '.join(sorted(members))}")

    def _key_accept(self, *, fingerprint: str, **options: Any) -> None:
        if not fingerprint:
            raise CommandError("Give the fingerprint of the offered key (`vinculo matching key status`).")
        accepted = keys.accept(by=None, fingerprint_=fingerprint)
        self.stdout.write(f"match key {accepted.fingerprint} in use; run `vinculo matching index refresh`")

    def _key_restore(self, *, fingerprint: str, **options: Any) -> None:
        """``key restore FILE``: the key in hexadecimal from the office's backup (a file, mode 0600)."""
        if not fingerprint:
            raise CommandError("Give the file holding the key in hexadecimal (from the office's backup).")
        try:
            text = Path(fingerprint).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {fingerprint}: {error}") from None
        restored = keys.restore(by=None, key_hex=text)
        if restored is None:
            self.stdout.write("this node holds that key already")
        else:
            self.stdout.write(f"match key {restored.fingerprint} restored ({restored.state})")

    def _key_status(self, **options: Any) -> None:
        status = selectors.index_status()
        self.stdout.write(f"in use: {status.key_fingerprint or '(none)'}")
        for offered in status.offered:
            self.stdout.write(f"offered: {offered}")

    def _index_refresh(self, *, full: bool, **options: Any) -> None:
        office = Office.objects.filter(code=settings.NODE_ID, is_hub=False).first()
        if office is None:
            raise CommandError("Only an office node keeps a hit/no-hit index.")
        done = index.refresh(office_id=office.pk, full=full)
        self.stdout.write(
            f"{done.encoded} encoded, {done.removed} removed, {done.total} indexed (generation {done.generation})"
        )

    def _index_status(self, **options: Any) -> None:
        status = selectors.index_status()
        self.stdout.write(
            f"key {status.key_fingerprint or '(none)'}; {status.entries} indexed ({status.suspects} suspects, "
            f"{status.victims} victims); generation {status.generation}; refreshed {status.refreshed_at or 'never'}"
        )

    def _crossmatch_upload(self, **options: Any) -> None:
        done = crossmatch.upload(by=None)
        self.stdout.write(f"{done.count} encodings queued for the hub (message {done.message_id})")

    def _crossmatch_run(self, **options: Any) -> None:
        if settings.NODE_ROLE != "hub":
            raise CommandError("The cross-match runs at the hub.")
        done = crossmatch.run(by=None)
        self.stdout.write(
            f"{done.records} encodings of {len(done.members)} office(s) compared in {done.seconds:.1f} s: "
            f"{done.overlaps} overlap(s)"
        )
