"""Start a demo network on this machine: the hub and three office nodes, each its own process.

Every node gets its own port, SQLite database and secret key under ``var/demo/<node>/``, is
migrated and seeded with one synthetic account per role and, on an office node, a synthetic
caseload (``seed_demo``), then served by gunicorn. The first cases of each office are seeded
before the servers start; the rest follow in the background while the network runs (a new
network takes a few minutes to fill in; later starts find everything in place). Once the servers
answer, each office's demo prosecutor asks the other offices a few hit/no-hit queries in the
background (``demo_queries``, once per node), so that the matching pages show hits to confirm;
if that fails, a warning says so and the network runs on. The command stays in the foreground
until Ctrl-C (or SIGTERM) and stops every node on the way out; ``--check`` starts the network,
waits for the seeding and the demo's queries, checks every node answers, and stops it again.

Standard output carries one ``<NODE_ID> <URL>`` line per running node and the table of
demo logins; progress and errors go to standard error.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import quote

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import translation

from vinculo.accounts.roles import Role, roles_for_node
from vinculo.demo.management.commands.seed_demo import DEMO_CASES_PER_OFFICE, DEMO_PASSWORD, demo_username

HOST = "127.0.0.1"
DEFAULT_BASE_PORT = 8100
STOP_GRACE_SECONDS = 10.0
POLL_SECONDS = 0.25
# How long the set-up may take beyond --timeout for each synthetic case to seed (a generous
# bound: a case costs about 0.1-0.2 s of one core, and the three offices share the machine).
SETUP_SECONDS_PER_CASE = 1.0
# And for joining the network: keys for every node, the hub's register and directory, one command each.
FEDERATION_SETUP_SECONDS = 60.0
# Cases per office seeded before the servers start; the rest are added in the background.
FIRST_CASES = 100
# How long each office's demo prosecutor waits for the answers to the demo's hit/no-hit queries
# (the network key reaches the other offices only once the delivery workers run).
QUERY_WAIT_SECONDS = 120.0
# The environment of every node is set here in full; the operator's own settings for a
# node (a production DATABASE_URL, a secret key) must not leak into the demo.
STRIPPED_PREFIXES = ("VINCULO_", "DATABASE_", "DJANGO_", "GUNICORN_")


@dataclass(frozen=True)
class NodeSpec:
    node_id: str
    role: str  # "hub" or "office"
    port_offset: int


NODES: tuple[NodeSpec, ...] = (
    NodeSpec("CCCMP-HUB", "hub", 0),
    NodeSpec("GT-MP", "office", 1),
    NodeSpec("SV-FGR", "office", 2),
    NodeSpec("HN-MP", "office", 3),
)


@dataclass
class Node:
    spec: NodeSpec
    port: int
    directory: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def node_id(self) -> str:
        return self.spec.node_id

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    @property
    def server_log(self) -> Path:
        return self.directory / "server.log"

    @property
    def setup_log(self) -> Path:
        return self.directory / "setup.log"

    @property
    def database(self) -> Path:
        return self.directory / "vinculo.sqlite3"

    @property
    def secret_key_file(self) -> Path:
        return self.directory / "secret-key"

    @property
    def queries_log(self) -> Path:
        return self.directory / "queries.log"


class Stopped(Exception):
    """Ctrl-C or SIGTERM arrived: stop everything and exit 0."""


def display_path(path: Path) -> str:
    """The path relative to the working directory when it is below it (shorter to read)."""
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def port_in_use(port: int) -> bool:
    """True when nothing may listen on HOST:port (gunicorn binds with SO_REUSEADDR too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def ensure_secret_key(path: Path) -> None:
    """A random key readable only by its owner, kept across runs so sessions survive restarts."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        path.chmod(0o600)
        if path.read_text(encoding="utf-8").strip():
            return
        descriptor = os.open(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(50) + "\n")


def node_environment(node: Node, base: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in base.items() if not key.startswith(STRIPPED_PREFIXES)}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "VINCULO_ENVIRONMENT": "development",
            "VINCULO_NODE_ROLE": node.spec.role,
            "VINCULO_NODE_ID": node.node_id,
            "VINCULO_DEMO": "true",
            "DATABASE_URL": "sqlite:///" + quote(str(node.database.resolve())),
            "VINCULO_SECRET_KEY_FILE": str(node.secret_key_file.resolve()),
            # Each node its own vault keys (created on first use, mode 0600).
            "VINCULO_VAULT_KEYRING_FILE": str((node.directory / "vault-keyring.json").resolve()),
            # The node's signing and encryption keys (vinculo keys init, mode 0600).
            "VINCULO_FEDERATION_KEY_DIR": str((node.directory / "keys").resolve()),
            # Attachments' encrypted chunks, sent and received (ADR 0018).
            "VINCULO_ATTACHMENT_DIR": str((node.directory / "attachments").resolve()),
            "VINCULO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Hit/no-hit: the index follows the background seeding, and the hub's cross-match
            # runs minutes after the offices' uploads rather than daily.
            "VINCULO_MATCH_INDEX_SECONDS": "60",
            "VINCULO_MATCH_CROSSMATCH_SECONDS": "90",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _die_with_parent_hook() -> Callable[[], None] | None:
    """Linux: a hook that has the kernel send SIGTERM to a child if this command is killed outright.

    Without it, a ``kill -9`` of this command (or of a test running it) would leave the
    servers holding their ports. The C library is loaded here, not between fork and exec.
    """
    if sys.platform != "linux":
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:  # pragma: no cover - runs in the child between fork and exec
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


def http_get(url: str, *, timeout: float) -> tuple[int, bytes]:
    """GET without any proxy from the environment (the nodes are on the loopback interface)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Supervisor:
    """Starts child processes in their own process groups and stops them all, whatever happens."""

    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.stop_requested = threading.Event()
        self.signal_name = ""
        self.preexec = _die_with_parent_hook()

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.signal_name = signal.Signals(signum).name
        self.stop_requested.set()

    def check_stop(self) -> None:
        if self.stop_requested.is_set():
            raise Stopped

    def sleep(self, seconds: float) -> None:
        self.stop_requested.wait(seconds)
        self.check_stop()

    def spawn(
        self, label: str, command: Sequence[str], *, env: dict[str, str], log: IO[bytes]
    ) -> subprocess.Popen[bytes]:
        self.check_stop()
        process = subprocess.Popen(  # noqa: S603 - fixed commands built from our own paths
            list(command),
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Own process group: Ctrl-C in the terminal reaches only this command, which then
            # stops the nodes in order; killpg() also reaches gunicorn's worker.
            start_new_session=True,
            preexec_fn=self.preexec,
        )
        self.children.append((label, process))
        return process

    def stop(self, process: subprocess.Popen[bytes], *, signum: int = signal.SIGTERM) -> int:
        """Stop one child's whole process group with ``signum`` (SIGKILL after the grace period); its exit code."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signum)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_GRACE_SECONDS)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # what is left of the group, or a child deaf to signum
        code = process.wait(timeout=STOP_GRACE_SECONDS)
        _wait_until_group_is_gone(process.pid, timeout=STOP_GRACE_SECONDS)
        return code

    def stop_all(self) -> None:
        running = [(label, p) for label, p in self.children if p.poll() is None]
        for _label, process in running:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for _label, process in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
        for _label, process in self.children:
            # Whatever is left of the group (a worker whose master was killed, a stuck process).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_GRACE_SECONDS)
            _wait_until_group_is_gone(process.pid, timeout=STOP_GRACE_SECONDS)
        self.children.clear()


def _wait_until_group_is_gone(pgid: int, *, timeout: float) -> None:
    """SIGKILL is asynchronous: wait until no process of the group is left (so its ports are free)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return
        time.sleep(POLL_SECONDS / 5)


@contextlib.contextmanager
def handle_signals(supervisor: Supervisor) -> Iterator[None]:
    previous = {signum: signal.signal(signum, supervisor.request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class Command(BaseCommand):
    help = (
        "Start a demo network on 127.0.0.1: the hub (CCCMP-HUB) and three office nodes (GT-MP, SV-FGR, HN-MP), "
        "each in its own process with its own SQLite database under var/demo/. Stop it with Ctrl-C."
    )
    requires_system_checks: list[str] = []
    servers: dict[str, subprocess.Popen[bytes]]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-port",
            type=int,
            default=DEFAULT_BASE_PORT,
            help=f"Port of the hub; the offices use the next three (default {DEFAULT_BASE_PORT}).",
        )
        parser.add_argument(
            "--var-dir",
            type=Path,
            default=None,
            help="Where the nodes keep their databases, keys and logs (default var/demo in the checkout).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=60.0,
            help=(
                "Seconds to wait for the set-up (migrations, demo accounts; plus a second per synthetic case), "
                "and again for the servers (default 60)."
            ),
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=DEMO_CASES_PER_OFFICE,
            help=f"Synthetic cases per office node (default {DEMO_CASES_PER_OFFICE}); seeded once, kept across runs.",
        )
        parser.add_argument(
            "--first-cases",
            type=int,
            default=FIRST_CASES,
            help=f"How many of them are seeded before the servers start (default {FIRST_CASES}); the rest follow "
            "in the background.",
        )
        parser.add_argument(
            "--check",
            "--exit-after-start",
            action="store_true",
            dest="check",
            help="Start the network, let the seeding finish, check every sign-in page answers, stop it and exit.",
        )

    def progress(self, message: str) -> None:
        self.stderr.write(message, style_func=lambda text: text)
        self.stderr.flush()

    def handle(
        self,
        *args: Any,
        base_port: int,
        var_dir: Path | None,
        timeout: float,
        check: bool,
        cases: int,
        first_cases: int,
        **options: Any,
    ) -> None:
        if not 1024 <= base_port <= 65535 - len(NODES) + 1:
            raise CommandError(f"--base-port must be between 1024 and {65535 - len(NODES) + 1}, not {base_port}.")
        if cases < 0 or first_cases < 0:
            raise CommandError("--cases and --first-cases cannot be negative.")
        root = (var_dir or Path(settings.VAR_DIR) / "demo").expanduser().resolve()
        nodes = [Node(spec, base_port + spec.port_offset, root / spec.node_id) for spec in NODES]
        busy = [node for node in nodes if port_in_use(node.port)]
        if busy:
            listed = ", ".join(f"{node.port} (for {node.node_id})" for node in busy)
            verb = "is" if len(busy) == 1 else "are"
            raise CommandError(
                f"Port{'s' if len(busy) > 1 else ''} {listed} on {HOST} {verb} already in use. Stop whatever is "
                "listening there (an earlier demo network?) or choose other ports with --base-port."
            )
        supervisor = Supervisor()
        with handle_signals(supervisor):
            try:
                first = min(cases, first_cases)
                self.prepare(
                    nodes,
                    supervisor,
                    timeout=timeout + FEDERATION_SETUP_SECONDS + SETUP_SECONDS_PER_CASE * first,
                    cases=first,
                )
                self.start_servers(nodes, supervisor, timeout=timeout)
                self.announce(nodes, check=check)
                seeders = self.seed_the_rest(nodes, supervisor, first=first, cases=cases) if cases > first else {}
                askers = self.start_demo_queries(nodes, supervisor, within=first)
                if check:
                    self.wait_for_seeders(seeders, supervisor, timeout=timeout + SETUP_SECONDS_PER_CASE * cases)
                    self.wait_for_askers(nodes, askers, supervisor)
                    self.check_login_pages(nodes)
                    self.progress("Check passed; stopping the demo network.")
                else:
                    self.watch(nodes, supervisor, seeders, askers)
            except Stopped:
                self.progress(f"{supervisor.signal_name or 'Stop'} received; stopping the demo network.")
            finally:
                supervisor.stop_all()
        self.progress("Demo network stopped.")

    # --- Set-up: directories, keys, migrations and demo accounts, the four nodes in parallel ---

    def prepare(self, nodes: list[Node], supervisor: Supervisor, *, timeout: float, cases: int) -> None:
        for node in nodes:
            node.directory.mkdir(parents=True, exist_ok=True)
            node.directory.chmod(0o700)
            ensure_secret_key(node.secret_key_file)
            node.env = node_environment(node, dict(os.environ))
        self.progress(
            f"Preparing {len(nodes)} nodes in {display_path(nodes[0].directory.parent)} (migrate, seed_demo "
            f"with {cases} synthetic cases per office; the first time takes a while)..."
        )
        deadline = time.monotonic() + timeout
        fresh = self.copy_migrated_schema([node for node in nodes if not node.database.exists()])
        self.run_steps(
            nodes,
            supervisor,
            lambda node: [
                *([] if node in fresh else [["migrate", "--no-input"]]),
                ["keys", "init", "--exist-ok", "--public-out", str(node.directory / "public-keys.json")],
            ],
            deadline=deadline,
        )
        directory_file = self.register_members(nodes)
        # Offices pin the hub's key and import its directory, then seed; all nodes in parallel. The
        # first office makes the network match key and sends it to the others (delivered once the
        # workers run; each office then indexes its cases for hit/no-hit).
        first_office = next(node for node in nodes if node.spec.role == "office")
        self.run_steps(
            nodes,
            supervisor,
            lambda node: [
                *([] if node.spec.role == "hub" else [["directory", "import", str(directory_file)]]),
                ["seed_demo", "--cases", str(cases)],
                *(
                    [["matching", "key", "generate", "--exist-ok"], ["matching", "key", "share"]]
                    if node is first_office
                    else []
                ),
            ],
            deadline=deadline,
        )

    def copy_migrated_schema(self, nodes: list[Node]) -> list[Node]:
        """Migrate once and copy the database to every new node: the schema and the shipped reference
        data are the same on every node, and four migrations at once on a small machine take minutes.
        Nodes that already have a database are migrated in place (``migrate`` brings them up to date)."""
        if not nodes:
            return []
        template = nodes[0].directory.parent / "migrated.sqlite3"
        template.unlink(missing_ok=True)
        env = {**nodes[0].env, "DATABASE_URL": "sqlite:///" + quote(str(template.resolve()))}
        with nodes[0].setup_log.open("ab") as log:
            result = subprocess.run(
                [sys.executable, "-m", "django", "migrate", "--no-input"], env=env, cwd=settings.BASE_DIR,
                stdout=log, stderr=subprocess.STDOUT, check=False, timeout=600,
            )  # fmt: skip
        if result.returncode != 0:
            raise CommandError(f"Migrating the demo schema failed; see {display_path(nodes[0].setup_log)}.")
        with contextlib.closing(sqlite3.connect(template)) as source:
            for node in nodes:
                with contextlib.closing(sqlite3.connect(node.database)) as target:
                    source.backup(target)
                node.database.chmod(0o600)
        template.unlink()
        return nodes

    def register_members(self, nodes: list[Node]) -> Path:
        """The hub registers every office with its public keys and publishes the signed directory;
        each office is set to pin the hub's key (it imports that directory next, without waiting for
        the hub's server). Returns the directory file."""
        hub = next(node for node in nodes if node.spec.role == "hub")
        offices_file = Path(__file__).resolve().parents[3] / "accounts" / "data" / "offices.csv"
        with offices_file.open(encoding="utf-8") as handle:
            names = {row["code"]: row for row in csv.DictReader(handle)}
        members = []
        for node in nodes:
            row = names.get(node.node_id, {"name_es": node.node_id, "name_en": node.node_id, "country": ""})
            entry: dict[str, Any] = {
                "id": node.node_id,
                "name": {"es": row["name_es"], "en": row["name_en"]},
                # The directory names the country each member sits in; the demo hub says El Salvador.
                "country": row["country"] or "SV",
                "endpoint": node.url,
            }
            if node is not hub:
                entry["keys_file"] = str(node.directory / "public-keys.json")
            members.append(entry)
        members_file = hub.directory / "members.json"
        members_file.write_text(json.dumps(members, ensure_ascii=False, indent=2), encoding="utf-8")
        directory_file = hub.directory / "directory.jws"
        self.run_one(
            hub, ["directory", "member", "import", str(members_file), "--publish", "--output", str(directory_file)]
        )
        hub_key = json.loads((hub.directory / "public-keys.json").read_text(encoding="utf-8"))["signing_key"]["kid"]
        for node in nodes:
            if node is not hub:
                node.env.update({"VINCULO_HUB_URL": hub.url, "VINCULO_HUB_KEY": hub_key})
        return directory_file

    def run_one(self, node: Node, step: list[str]) -> None:
        with node.setup_log.open("ab") as log:
            result = subprocess.run(  # noqa: S603 - fixed commands built from our own paths
                [sys.executable, "-m", "django", *step], env=node.env, cwd=settings.BASE_DIR, stdout=log,
                stderr=subprocess.STDOUT, check=False, timeout=120,
            )  # fmt: skip
        if result.returncode != 0:
            raise CommandError(
                f"Setting up {node.node_id} failed ({describe_exit(result.returncode)}). "
                f"See {display_path(node.setup_log)}:\n{self.tail(node.setup_log)}"
            )

    def run_steps(
        self,
        nodes: list[Node],
        supervisor: Supervisor,
        steps: Callable[[Node], list[list[str]]],
        *,
        deadline: float,
    ) -> None:
        """Run each node's steps in order, the nodes in parallel."""
        logs = {node.node_id: node.setup_log.open("ab") for node in nodes}
        try:
            remaining = {node.node_id: steps(node) for node in nodes}
            remaining = {node_id: todo for node_id, todo in remaining.items() if todo}
            running: dict[str, subprocess.Popen[bytes]] = {}
            while remaining or running:
                for node in nodes:
                    if node.node_id in remaining and node.node_id not in running:
                        step = remaining[node.node_id].pop(0)
                        if not remaining[node.node_id]:
                            del remaining[node.node_id]
                        command = [sys.executable, "-m", "django", *step]
                        running[node.node_id] = supervisor.spawn(
                            f"{node.node_id} {step[0]}", command, env=node.env, log=logs[node.node_id]
                        )
                for node_id, process in list(running.items()):
                    code = process.poll()
                    if code is None:
                        continue
                    del running[node_id]
                    if code != 0:
                        node = next(n for n in nodes if n.node_id == node_id)
                        raise CommandError(
                            f"Setting up {node_id} failed ({describe_exit(code)}). "
                            f"See {display_path(node.setup_log)}:\n{self.tail(node.setup_log)}"
                        )
                if time.monotonic() > deadline:
                    late = ", ".join(sorted(running))
                    raise CommandError(f"Setting up {late} took too long; see its setup.log.")
                supervisor.sleep(POLL_SECONDS)
        finally:
            for log in logs.values():
                log.close()

    def seed_the_rest(
        self, nodes: list[Node], supervisor: Supervisor, *, first: int, cases: int
    ) -> dict[str, subprocess.Popen[bytes]]:
        """Start adding the remaining synthetic cases of each office in the background (idempotent per case)."""
        seeders = {}
        for node in nodes:
            if node.spec.role != "office":
                continue
            with node.setup_log.open("ab") as log:  # the child keeps its own copy of the descriptor
                seeders[node.node_id] = supervisor.spawn(
                    f"{node.node_id} seed_demo",
                    [sys.executable, "-m", "django", "seed_demo", "--cases", str(cases)],
                    env=node.env,
                    log=log,
                )
        self.progress(
            f"The offices open with their first {first} synthetic cases; seeding up to {cases} each goes on in the "
            "background (see each node's setup.log)."
        )
        return seeders

    def finished_seeders(self, nodes_seeding: dict[str, subprocess.Popen[bytes]]) -> dict[str, int]:
        """The background seeders that have ended since the last look, with their exit codes (forgotten after)."""
        ended = {node_id: code for node_id, process in nodes_seeding.items() if (code := process.poll()) is not None}
        for node_id, code in ended.items():
            del nodes_seeding[node_id]
            if code == 0:
                self.progress(f"{node_id}: all synthetic cases are in place.")
            else:
                self.progress(f"{node_id}: adding synthetic cases stopped ({describe_exit(code)}); see its setup.log.")
        return ended

    def wait_for_seeders(
        self, seeders: dict[str, subprocess.Popen[bytes]], supervisor: Supervisor, *, timeout: float
    ) -> None:
        deadline = time.monotonic() + timeout
        failed = []
        while seeders:
            failed += [node_id for node_id, code in self.finished_seeders(seeders).items() if code != 0]
            if seeders and time.monotonic() > deadline:
                raise CommandError(f"Seeding {', '.join(sorted(seeders))} took longer than {timeout:.0f} s.")
            supervisor.sleep(POLL_SECONDS)
        if failed:
            raise CommandError(f"Seeding the synthetic cases of {', '.join(sorted(failed))} failed; see setup.log.")

    # --- Hit/no-hit activity: each office's demo prosecutor asks a few queries ------------------

    def start_demo_queries(
        self, nodes: list[Node], supervisor: Supervisor, *, within: int
    ) -> dict[str, subprocess.Popen[bytes]]:
        """Start ``demo_queries`` on every office in the background: the servers answer meanwhile, and a
        failure there is only a warning (the network runs without the demo's queries)."""
        askers = {}
        for node in nodes:
            if node.spec.role != "office":
                continue
            command = [sys.executable, "-m", "django", "demo_queries", "--within", str(within)]
            try:
                with node.queries_log.open("ab") as log:  # the child keeps its own copy of the descriptor
                    askers[node.node_id] = supervisor.spawn(
                        f"{node.node_id} demo_queries",
                        [*command, "--wait", str(QUERY_WAIT_SECONDS)],
                        env=node.env,
                        log=log,
                    )
            except OSError as error:
                self.progress(f"Warning: {node.node_id}: the demo's hit/no-hit queries could not start ({error}).")
        if askers:
            self.progress(
                "Each office's demo prosecutor asks the other offices a few hit/no-hit queries in the background "
                f"(at most {QUERY_WAIT_SECONDS:.0f} s; see each node's queries.log)."
            )
        return askers

    def finished_askers(self, nodes: list[Node], askers: dict[str, subprocess.Popen[bytes]]) -> None:
        """Report the demo queries that have ended since the last look (forgotten after); never fails."""
        for node in nodes:
            process = askers.get(node.node_id)
            code = process.poll() if process is not None else None
            if code is None:
                continue
            del askers[node.node_id]
            if code == 0:
                self.progress(self.last_line(node.queries_log) or f"{node.node_id}: the demo's queries are answered.")
            else:
                self.progress(
                    f"Warning: {node.node_id}: the demo's hit/no-hit queries stopped ({describe_exit(code)}); the "
                    f"network keeps running. See {display_path(node.queries_log)}:\n{self.tail(node.queries_log)}"
                )

    def wait_for_askers(
        self, nodes: list[Node], askers: dict[str, subprocess.Popen[bytes]], supervisor: Supervisor
    ) -> None:
        """--check: let the demo queries end (they stop by themselves), reporting but never failing."""
        deadline = time.monotonic() + QUERY_WAIT_SECONDS + 30
        while askers and time.monotonic() < deadline:
            self.finished_askers(nodes, askers)
            supervisor.sleep(POLL_SECONDS)
        for node_id in sorted(askers):
            self.progress(f"Warning: {node_id}: the demo's hit/no-hit queries did not end in time; stopping them.")

    @staticmethod
    def last_line(path: Path) -> str:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else ""

    @staticmethod
    def tail(path: Path, lines: int = 15) -> str:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join("    " + line for line in text.splitlines()[-lines:])

    # --- The servers -------------------------------------------------------------------

    @staticmethod
    def gunicorn_command(node: Node) -> list[str]:
        executable = Path(sys.executable).parent / "gunicorn"
        launcher = [str(executable)] if executable.exists() else [sys.executable, "-m", "gunicorn"]
        return [
            *launcher,
            "config.wsgi:application",
            "--bind",
            f"{HOST}:{node.port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            # Four gunicorns on one machine must not share the default control socket.
            "--no-control-socket",
            "--name",
            f"vinculo-demo-{node.node_id}",
        ]

    def start_servers(self, nodes: list[Node], supervisor: Supervisor, *, timeout: float) -> None:
        servers: dict[str, subprocess.Popen[bytes]] = {}
        for node in nodes:
            with node.server_log.open("wb") as log:  # the child keeps its own copy of the descriptor
                servers[node.node_id] = supervisor.spawn(
                    f"{node.node_id} server", self.gunicorn_command(node), env=node.env, log=log
                )
            # Its delivery worker: sends the outbox, hands received messages on, refreshes the directory.
            with (node.directory / "worker.log").open("ab") as log:
                supervisor.spawn(
                    f"{node.node_id} worker",
                    [sys.executable, "-m", "django", "messaging", "worker", "--name", f"{node.node_id}-demo"],
                    env=node.env,
                    log=log,
                )
        self.servers = servers
        self.progress("Starting the servers...")
        deadline = time.monotonic() + timeout
        waiting = list(nodes)
        last_error: dict[str, str] = {}
        while waiting:
            for node in list(waiting):
                code = servers[node.node_id].poll()
                if code is not None:
                    raise CommandError(
                        f"{node.node_id}'s server exited during start-up ({describe_exit(code)}). "
                        f"See {display_path(node.server_log)}:\n{self.tail(node.server_log)}"
                    )
                answered, problem = self.answers(node)
                if answered:
                    waiting.remove(node)
                else:
                    last_error[node.node_id] = problem
            if not waiting:
                break
            if time.monotonic() > deadline:
                node = waiting[0]
                raise CommandError(
                    f"{node.node_id} did not answer {node.url}api/v1/node within {timeout:.0f} s "
                    f"(last error: {last_error.get(node.node_id, 'none')}). See {display_path(node.server_log)}."
                )
            supervisor.sleep(POLL_SECONDS)

    @staticmethod
    def answers(node: Node) -> tuple[bool, str]:
        """True when the node answers GET /api/v1/node as the node it should be."""
        try:
            status, body = http_get(f"{node.url}api/v1/node", timeout=2)
        except (OSError, ValueError) as error:
            return False, str(error) or type(error).__name__
        if status != 200:
            return False, f"HTTP {status}"
        try:
            answered_id = json.loads(body).get("node_id")
        except (ValueError, AttributeError):
            return False, "not a JSON answer"
        if answered_id != node.node_id:
            return False, f"answered as {answered_id!r}"
        return True, ""

    # --- Running -----------------------------------------------------------------------

    def announce(self, nodes: list[Node], *, check: bool) -> None:
        for node in nodes:
            self.stdout.write(f"{node.node_id} {node.url}")
        self.stdout.write("")
        self.stdout.write(self.logins_table(nodes))
        self.stdout.write("")
        self.stdout.write(
            "The second factor is waived for these demo accounts (VINCULO_DEMO=true); "
            "accounts you create yourself still need one."
        )
        logs = display_path(nodes[0].directory.parent / "<NODE_ID>" / "server.log")
        self.stdout.write(f"Server logs: {logs}.")
        if not check:
            self.stdout.write("Press Ctrl-C to stop the demo network.")
        self.stdout.flush()

    @staticmethod
    def logins_table(nodes: list[Node]) -> str:
        rows: list[tuple[str, ...]] = [("USERNAME", "PASSWORD", "ROLE (ES)", "ROLE (EN)", "NODE")]
        for node in nodes:
            with override_settings(NODE_ROLE=node.spec.role, NODE_ID=node.node_id):
                usernames = {role: demo_username(role) for role in roles_for_node(node.spec.role)}
            for role, username in usernames.items():
                rows.append((username, DEMO_PASSWORD, label(role, "es"), label(role, "en"), node.node_id))
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * width for width in widths))
        return "\n".join(lines)

    def check_login_pages(self, nodes: list[Node]) -> None:
        path = reverse("accounts:login").lstrip("/")
        failures = []
        for node in nodes:
            try:
                status, _body = http_get(node.url + path, timeout=10)
            except OSError as error:
                failures.append(f"{node.node_id}: {error}")
                continue
            if status == 200:
                self.progress(f"{node.node_id}: sign-in page {node.url}{path} answers 200.")
            else:
                failures.append(f"{node.node_id}: {node.url}{path} answered HTTP {status} (see {node.server_log})")
        if failures:
            raise CommandError("Check failed:\n  " + "\n  ".join(failures))

    def watch(
        self,
        nodes: list[Node],
        supervisor: Supervisor,
        seeders: dict[str, subprocess.Popen[bytes]],
        askers: dict[str, subprocess.Popen[bytes]],
    ) -> None:
        """Wait for Ctrl-C or SIGTERM; a server that dies on its own stops the whole network."""
        while True:
            self.finished_seeders(seeders)
            self.finished_askers(nodes, askers)
            for node in nodes:
                code = self.servers[node.node_id].poll()
                if code is not None:
                    supervisor.check_stop()  # a signal that reached the child too is still a stop
                    raise CommandError(
                        f"{node.node_id}'s server stopped unexpectedly ({describe_exit(code)}); the other nodes "
                        f"were stopped too. See {display_path(node.server_log)}:\n{self.tail(node.server_log)}"
                    )
            supervisor.sleep(0.5)


def describe_exit(code: int) -> str:
    """ "exit code 1", or "killed by SIGKILL" for a negative return code."""
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def label(role: Role, language: str) -> str:
    with translation.override(language):
        return str(role.label)
