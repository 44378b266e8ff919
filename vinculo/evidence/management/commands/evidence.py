"""`vinculo evidence export FILE`, `vinculo evidence verify [FILE]`, `vinculo evidence sign-head`.

verify FILE checks an export offline, exactly as `python -m vinculo.evidence.verify FILE` does
(exit 0 intact, 1 broken naming the first bad entry, 2 unreadable); verify without FILE checks
the stored log and, when it is intact, notes the verification in the audit trail.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vinculo.evidence import exports, services, verify
from vinculo.evidence.verify import EXIT_BROKEN, EXIT_UNREADABLE, Unreadable


class Command(BaseCommand):
    help = "Export the evidence log, verify it (an export offline, or the stored log), or sign its head."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True, metavar="{export,verify,sign-head}")
        export = commands.add_parser("export", help="Write the whole log, with its signed head, to a file.")
        export.add_argument("file", help="File to create (readable by its owner only); - for standard output.")
        export.add_argument(
            "--no-sign-head",
            action="store_true",
            help="Do not sign the current head first (the file ends at the last one).",
        )
        check = commands.add_parser("verify", help="Verify an exported file offline, or the stored log without FILE.")
        check.add_argument("file", nargs="?", help="An export (vinculo evidence export FILE).")
        check.add_argument("--directory", help="A file holding the signed network directory (its compact JWS).")
        check.add_argument("--hub-key", help="The thumbprint of the hub's signing key, as pinned at install.")
        sign = commands.add_parser("sign-head", help="Checkpoint the audit trail and sign the chain head.")
        sign.add_argument(
            "--force", action="store_true", help="Sign even when nothing was appended since the last head."
        )

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "export":
            self._export(options["file"], sign=not options["no_sign_head"])
        elif subcommand == "sign-head":
            self._sign_head(force=options["force"])
        elif options["file"] is not None:
            self._verify_file(options["file"], directory=options["directory"], hub_key=options["hub_key"])
        else:
            self._verify_stored()

    def _sign_head(self, *, force: bool) -> None:
        try:
            entry = services.sign_head(force=force)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Signed head in entry #{entry.seq}: {entry.facts['token']}"))

    def _export(self, file: str, *, sign: bool) -> None:
        current_jwk = None
        if sign:
            try:
                current_jwk = services.sign_head().facts["jwk"]
            except ImproperlyConfigured as error:
                self.stderr.write(f"Warning: no head signed for this export ({error})")
        export = exports.prepare(current_jwk=current_jwk)
        services.record_log_exported(actor=None, count=export.count, signed_seq=export.signed_seq)
        if file == "-":
            for line in export.lines:
                self.stdout.write(line, ending="")
            return
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(export.lines)
        self.stderr.write(f"Exported {export.count} evidence entries to {file}.")

    def _verify_file(self, file: str, *, directory: str | None, hub_key: str | None) -> None:
        try:
            token = None
            if directory is not None:
                with open(directory, encoding="ascii") as handle:
                    token = handle.read()
            verdict = verify.verify_file(file, directory=token, hub_key=hub_key)
        except (OSError, UnicodeDecodeError, Unreadable) as error:
            raise CommandError(f"Cannot verify: {error}", returncode=EXIT_UNREADABLE) from None
        if not verdict.is_intact:
            raise CommandError(verify.report(verdict), returncode=EXIT_BROKEN)
        self.stdout.write(self.style.SUCCESS(verify.report(verdict)))

    def _verify_stored(self) -> None:
        verdict = services.verify_log(actor=None)
        if not verdict.is_intact:
            raise CommandError(
                f"{verify.report(verdict)}. Nothing was appended to the audit trail.", returncode=EXIT_BROKEN
            )
        self.stdout.write(self.style.SUCCESS(verify.report(verdict)))
