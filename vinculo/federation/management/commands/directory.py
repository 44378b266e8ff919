"""`vinculo directory ...`: the network directory.

On the hub: ``member add|suspend|reinstate|show`` keep the register, ``policy show|set`` the
network policy, ``publish`` signs a new version. On an office node: ``refresh`` fetches the
directory from the hub, ``import FILE`` takes one handed over as a file. Everywhere: ``show``
describes the directory in force (``--token`` prints the signed token itself).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from vinculo.core.errors import DomainError
from vinculo.federation import directory as network
from vinculo.federation.directory_format import MEMBER_ROLES
from vinculo.federation.models import Member, MemberStatus
from vinculo.federation.services import hub, node


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CommandError(f"Cannot read {path}: {error}") from None


class Command(BaseCommand):
    help = "Keep the network register and publish the directory (hub), or fetch and show it (office)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        member = actions.add_parser("member", help="the hub's register of members").add_subparsers(
            dest="member_action", required=True
        )
        add = member.add_parser("add", help="register a member with its public keys")
        add.add_argument("member_id")
        add.add_argument("--name-es", required=True)
        add.add_argument("--name-en", required=True)
        add.add_argument("--country", required=True, help="ISO 3166 alpha-2 code, e.g. SV")
        add.add_argument("--endpoint", required=True, help="the member's base URL, e.g. https://vinculo.fgr.example/")
        add.add_argument("--role", dest="roles", action="append", choices=MEMBER_ROLES, default=None)
        add.add_argument(
            "--keys-file",
            help="the member's public keys (`vinculo keys show --json` on its node); the hub's own keys by default",
        )
        add.add_argument(
            "--exist-ok", action="store_true", help="no error when the member is registered with the same keys"
        )
        for name in ("suspend", "reinstate"):
            change = member.add_parser(name, help=f"{name} a member")
            change.add_argument("member_id")
            change.add_argument("--reason", required=True)
        import_members = member.add_parser(
            "import", help="register the members of a JSON file not registered yet (set-up scripts)"
        )
        import_members.add_argument("file")
        import_members.add_argument("--publish", action="store_true", help="then publish a new directory version")
        import_members.add_argument("--output", help="with --publish: also write the signed directory to this file")
        replace = member.add_parser("replace-keys", help="replace a member's keys at once (a key may be stolen)")
        replace.add_argument("member_id")
        replace.add_argument("--keys-file", required=True)
        replace.add_argument("--reason", required=True)
        show_member = member.add_parser("show", help="list the register, or one member")
        show_member.add_argument("member_id", nargs="?")

        policy = actions.add_parser("policy", help="the network policy").add_subparsers(
            dest="policy_action", required=True
        )
        policy.add_parser("show", help="print the policy as JSON")
        set_policy = policy.add_parser("set", help="replace the policy with a JSON file")
        set_policy.add_argument("file")

        publish = actions.add_parser("publish", help="sign the register as a new directory version (hub)")
        publish.add_argument("--output", help="also write the signed directory to this file")
        actions.add_parser("refresh", help="fetch the directory from the hub (office)")
        import_ = actions.add_parser("import", help="accept a signed directory from a file (office)")
        import_.add_argument("file")
        show = actions.add_parser("show", help="the directory in force on this node")
        show.add_argument("--token", action="store_true", help="print the signed token only")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            if action == "member":
                getattr(self, f"_member_{options['member_action'].replace('-', '_')}")(**options)
            elif action == "policy":
                getattr(self, f"_policy_{options['policy_action']}")(**options)
            else:
                getattr(self, f"_{action}")(**options)
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        except node.RefreshFailed as failure:
            raise CommandError(
                f"Directory not accepted ({failure.code}): {failure.detail}. The directory held is kept."
            ) from failure
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error

    # --- the register (hub) ---

    def _member_add(self, *, member_id: str, keys_file: str | None, exist_ok: bool, **options: Any) -> None:
        hub.require_hub()
        if keys_file:
            data = _read_json(keys_file)
            if isinstance(data, dict) and data.get("member") not in (None, member_id):
                raise CommandError(f"{keys_file} holds the keys of {data['member']}, not of {member_id}.")
            public_keys = hub.PublicKeys.from_json(data)
        elif member_id == settings.NODE_ID:
            public_keys = hub.PublicKeys.of_this_node()
        else:
            raise CommandError("Give the member's public keys: --keys-file (from `vinculo keys show --json` there).")
        if exist_ok and Member.objects.filter(member_id=member_id).exists():
            if hub.has_same_keys(member_id, public_keys):
                self.stdout.write(f"{member_id} is already registered with these keys.")
                return
            raise CommandError(f"{member_id} is registered with other keys; a key change is a rotation.")
        roles = options["roles"] or (["hub"] if member_id.endswith("-HUB") else ["office"])
        hub.add_member(
            member_id=member_id,
            name_es=options["name_es"],
            name_en=options["name_en"],
            country=options["country"],
            endpoint=options["endpoint"],
            roles=roles,
            public_keys=public_keys,
        )
        self.stdout.write(f"Registered {member_id}; run `vinculo directory publish` to tell the network.")

    def _member_import(self, *, file: str, publish: bool, output: str | None, **_: Any) -> None:
        for member_id, outcome in hub.import_members(_read_json(file), keys_base=Path(file).resolve().parent):
            self.stdout.write(f"{member_id}: {outcome}")
        if publish:
            self._publish(output=output)

    def _member_suspend(self, *, member_id: str, reason: str, **_: Any) -> None:
        hub.set_member_status(member_id=member_id, status=MemberStatus.SUSPENDED, reason=reason)
        self.stdout.write(f"Suspended {member_id}; run `vinculo directory publish` to tell the network.")

    def _member_reinstate(self, *, member_id: str, reason: str, **_: Any) -> None:
        hub.set_member_status(member_id=member_id, status=MemberStatus.ACTIVE, reason=reason)
        self.stdout.write(f"Reinstated {member_id}; run `vinculo directory publish` to tell the network.")

    def _member_replace_keys(self, *, member_id: str, keys_file: str, reason: str, **_: Any) -> None:
        public_keys = hub.PublicKeys.from_json(_read_json(keys_file))
        hub.replace_member_keys(member_id=member_id, public_keys=public_keys, reason=reason)
        self.stdout.write(f"Replaced the keys of {member_id}; run `vinculo directory publish` to tell the network.")

    def _member_show(self, *, member_id: str | None, **_: Any) -> None:
        hub.require_hub()
        members = Member.objects.prefetch_related("keys")
        if member_id:
            members = members.filter(member_id=member_id)
            if not members:
                raise CommandError(f"{member_id} is not a member.")
        for member in members:
            self.stdout.write(
                f"{member.member_id} [{member.status}] {', '.join(member.roles)} {member.endpoint} "
                f"{member.country} — {member.name_es} / {member.name_en}"
            )
            for key in member.keys.all():
                until = f" until {key.not_after:%Y-%m-%d %H:%M:%S %Z}" if key.not_after else ""
                self.stdout.write(f"    {key.use:<10} {key.kid}{until}")

    def _policy_show(self, **_: Any) -> None:
        self.stdout.write(json.dumps(hub.current_policy().to_json(), indent=2))

    def _policy_set(self, *, file: str, **_: Any) -> None:
        policy = hub.set_policy(_read_json(file))
        self.stdout.write("Policy replaced; run `vinculo directory publish` to tell the network.")
        self.stdout.write(json.dumps(policy.to_json(), indent=2))

    def _publish(self, *, output: str | None, **_: Any) -> None:
        row = hub.publish_directory()
        if output:
            Path(output).write_text(row.token + "\n", encoding="ascii")
        self.stdout.write(
            f"Published directory version {row.version}, signed with {row.signer}, valid until "
            f"{row.expires_at:%Y-%m-%d %H:%M:%S %Z}."
        )

    # --- a node's copy ---

    def _refresh(self, **_: Any) -> None:
        result = node.refresh_directory()
        self._report(result)

    def _import(self, *, file: str, **_: Any) -> None:
        try:
            token = Path(file).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        self._report(node.import_directory(token))

    def _report(self, result: node.RefreshResult) -> None:
        directory = result.directory
        state = "accepted" if result.is_new else "already held"
        self.stdout.write(
            f"Directory version {directory.version} {state}: {len(directory.members)} members, "
            f"signed with {directory.signer}, valid until {_when(directory.expires_at)}."
        )

    def _show(self, *, token: bool, **_: Any) -> None:
        held = network.held_directory()
        if held is None:
            raise CommandError("This node holds no network directory yet.")
        if token:
            self.stdout.write(held.token)
            return
        try:
            network.in_force()
            state = "in force"
        except network.DirectoryUnavailable as unavailable:
            state = unavailable.code
        self.stdout.write(
            f"Directory version {held.version} ({state}), hub {held.hub}, signed with {held.signer}, "
            f"issued {_when(held.issued_at)}, valid until {_when(held.expires_at)}."
        )
        for member in held.members:
            self.stdout.write(
                f"  {member.id} [{member.status}] {', '.join(member.roles)} {member.endpoint} — {member.name_en}"
            )
