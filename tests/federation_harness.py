"""A small federation of real node processes on the loopback interface, for fault and browser tests.

By default the hub (CCCMP-HUB) and two offices (GT-MP, SV-FGR); a test may name other members
(``members``: the demo's HN-MP, or CR-MP, which the demo network does not run). Each node has its
own SQLite database, key files and secret key, set up with the real commands the demo network uses
(its ``Node``, ``Supervisor``, register and set-up steps), without its synthetic caseload:

- once per test run: one ``migrate`` into a template database copied to every node, and each
  node's ``keys init``; then once per xdist worker (the directory names its ports): the hub's
  ``directory member import --publish`` (the demo's ``register_members``) and the offices'
  ``directory import``; each set of members has its own template folder;
- for each test, a copy of that snapshot in the test's own folder, on which the test starts only
  the processes it needs: a gunicorn server and a delivery worker (``vinculo messaging worker``)
  per node, each of which can be stopped, frozen, SIGKILLed and started again.

Every process runs in its own process group with a parent-death signal, so none outlives the test
run; every command and every wait has a time limit. Nodes listen on 127.0.0.1 only, on ports from
19100 to 28299 (tests/test_demo_network.py uses 18100 up): each xdist worker draws one of nine
thousands and takes its own hundred in it, so that two runs on one machine seldom meet.

The test process reads the nodes' databases directly (``sql``) and seals envelopes with the
nodes' own key files (``envelope``) through the protocol's pure core, so that it can post to an
inbox exactly what a peer, or an attacker holding a peer's bytes, would.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import pytest

from tests.test_demo_network import ROOT, free_base_port
from vinculo.demo.management.commands.demo_network import (
    NODES,
    Node,
    NodeSpec,
    Supervisor,
    ensure_secret_key,
    node_environment,
)
from vinculo.demo.management.commands.demo_network import Command as DemoNetwork
from vinculo.federation.envelope import EncryptionKey, Header, RecipientKey, SigningKey, seal
from vinculo.messaging.services.outbox import INBOX_PATH, http_post

HUB, GT, SV, HN, CR = "CCCMP-HUB", "GT-MP", "SV-FGR", "HN-MP", "CR-MP"
NI, PA, BZ, DO = "NI-MP", "PA-MP", "BZ-ODPP", "DO-MP"
MEMBERS = (HUB, GT, SV)
# Offices the demo network does not run, with ports after its own (a fourth office for tests that
# need one more, e.g. an alert to three offices; all eight for benchmarks).
EXTRA_NODES = (
    NodeSpec(CR, "office", 4),
    NodeSpec(NI, "office", 5),  # the last four for benchmarks that need every member office
    NodeSpec(PA, "office", 6),
    NodeSpec(BZ, "office", 7),
    NodeSpec(DO, "office", 8),
)
SPECS = {spec.node_id: spec for spec in (*NODES, *EXTRA_NODES)}
FIRST_PORT = 19100
PORT_THOUSANDS = 9  # ports 19100 to 28299, below the kernel's ephemeral range
SETUP_SECONDS = 180.0
START_SECONDS = 30.0
COMMAND_SECONDS = 90.0
POLL_SECONDS = 0.1

T = TypeVar("T")


def _check_members(members: Sequence[str]) -> None:
    unknown = [node_id for node_id in members if node_id not in SPECS]
    assert not unknown, f"No node spec for {unknown}; known: {sorted(SPECS)}"
    assert len(set(members)) == len(members), f"{members} names a node twice"
    assert [SPECS[node_id].role for node_id in members].count("hub") == 1, f"{members} needs exactly one hub"


def port_count(members: Sequence[str]) -> int:
    """How many consecutive ports the members need from the base port (their specs' offsets)."""
    return max(SPECS[node_id].port_offset for node_id in members) + 1


def _nodes(root: Path, base_port: int, members: Sequence[str] = MEMBERS) -> list[Node]:
    """The members' nodes in ``root``, with the environment the demo network gives them."""
    _check_members(members)
    nodes = [Node(SPECS[node_id], base_port + SPECS[node_id].port_offset, root / node_id) for node_id in members]
    for node in nodes:
        node.directory.mkdir(parents=True, exist_ok=True)
        node.directory.chmod(0o700)
        ensure_secret_key(node.secret_key_file)
        node.env = node_environment(node, dict(os.environ))
    return nodes


def _django(*args: str) -> list[str]:
    return [sys.executable, "-m", "django", *args]


def _sqlite_url(path: Path) -> str:
    return "sqlite:///" + quote(str(path.resolve()))


def _build_base(root: Path, members: Sequence[str]) -> None:
    """The part of the set-up that does not depend on ports: the nodes' databases and keys."""
    nodes = _nodes(root / "nodes", 0, members)
    supervisor = Supervisor()
    try:
        # One migration for all: the schema and the shipped reference data are the same on every node.
        template = root / "template.sqlite3"
        migrated = subprocess.run(
            _django("migrate", "--no-input"),
            cwd=ROOT,
            env={**nodes[0].env, "DATABASE_URL": _sqlite_url(template)},
            capture_output=True,
            text=True,
            timeout=SETUP_SECONDS,
            check=False,
        )
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        with contextlib.closing(sqlite3.connect(template)) as source:
            for node in nodes:
                with contextlib.closing(sqlite3.connect(node.database)) as target:
                    source.backup(target)
        DemoNetwork().run_steps(
            nodes,
            supervisor,
            lambda node: [["keys", "init", "--public-out", str(node.directory / "public-keys.json")]],
            deadline=time.monotonic() + SETUP_SECONDS,
        )
    finally:
        supervisor.stop_all()


def _base_name(members: Sequence[str]) -> str:
    """The shared template folder of a set of members (the default set keeps its original name)."""
    if tuple(members) == MEMBERS:
        return "federation-base"
    return "federation-base-" + "-".join(sorted(members)).lower()


def build_snapshot(root: Path, *, shared: Path, members: Sequence[str] = MEMBERS) -> tuple[Path, int]:
    """Set up the members' nodes in ``root/nodes`` with the real commands; returns that folder and the base port.

    The databases and keys are made once per set of members in ``shared`` (a folder every xdist
    worker of the run sees; a lock lets one of them do it) and copied; the register and the
    directory name each worker's ports.
    """
    _check_members(members)
    name = _base_name(members)
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        base = shared / name
        if not (base / "done").exists():
            shutil.rmtree(base, ignore_errors=True)
            _build_base(base, members)
            (base / "done").touch()
    shutil.copytree(base / "nodes", root / "nodes")
    # A thousand chosen at random, so that two test runs on one machine seldom meet on a port.
    first = FIRST_PORT + 1000 * random.SystemRandom().randrange(PORT_THOUSANDS)
    base_port = free_base_port(first, port_count(members))
    nodes = _nodes(root / "nodes", base_port, members)
    demo = DemoNetwork()
    supervisor = Supervisor()
    try:
        directory_file = demo.register_members(nodes)
        demo.run_steps(
            nodes,
            supervisor,
            lambda node: [] if node.spec.role == "hub" else [["directory", "import", str(directory_file)]],
            deadline=time.monotonic() + SETUP_SECONDS,
        )
    finally:
        supervisor.stop_all()
    return root / "nodes", base_port


class Federation:
    """One test's copy of the snapshot, and the processes it started on it."""

    def __init__(self, snapshot: Path, root: Path, base_port: int, members: Sequence[str] = MEMBERS) -> None:
        shutil.copytree(snapshot, root)  # modes kept: key files stay 0600
        self.root = root
        self.nodes = {node.node_id: node for node in _nodes(root, base_port, members)}
        hub = self.nodes[HUB]
        hub_key = json.loads((hub.directory / "public-keys.json").read_text(encoding="utf-8"))["signing_key"]["kid"]
        for node in self.nodes.values():
            if node.spec.role == "office":
                node.env.update({"VINCULO_HUB_URL": hub.url, "VINCULO_HUB_KEY": hub_key})
        self.supervisor = Supervisor()
        self.servers: dict[str, subprocess.Popen[bytes]] = {}
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        # How long the last command, worker or servers took to start and finish: the machine's pace, for
        # tests that must fit a few commands into a time window (on a busy machine each takes seconds).
        self.pace_seconds = 0.0

    # --- processes --------------------------------------------------------------------------

    def start_servers(self, *node_ids: str) -> None:
        """Start the nodes' gunicorn servers together and wait until each answers as itself."""
        started_at = time.monotonic()
        for node_id in node_ids:
            node = self.nodes[node_id]
            assert node_id not in self.servers or self.servers[node_id].poll() is not None, f"{node_id} is serving"
            with (node.directory / "server.log").open("ab") as log:
                self.servers[node_id] = self.supervisor.spawn(
                    f"{node_id} server", DemoNetwork.gunicorn_command(node), env=node.env, log=log
                )
        self.wait_until_serving(*node_ids)
        self.pace_seconds = time.monotonic() - started_at

    def start_server(self, node_id: str) -> None:
        self.start_servers(node_id)

    def wait_until_serving(self, *node_ids: str) -> None:
        """Wait until each node's own gunicorn listens (its log names its pid) and answers as the node.

        The log line matters on a shared machine: another test run's node may hold the same port.
        """
        for node_id in node_ids:
            node, process = self.nodes[node_id], self.servers[node_id]
            listening = f"Listening at: {node.url.rstrip('/')} ({process.pid})"

            def serving(
                node: Node = node, process: subprocess.Popen[bytes] = process, listening: str = listening
            ) -> bool:
                if process.poll() is not None:
                    return True
                log = (node.directory / "server.log").read_text(encoding="utf-8", errors="replace")
                return listening in log and DemoNetwork.answers(node)[0]

            self.wait_for(
                serving, f"{node_id}'s server to listen on port {node.port} and answer", timeout=START_SECONDS
            )
            assert process.poll() is None, f"{node_id}'s server exited ({process.returncode})\n{self.logs()}"

    def stop_server(self, node_id: str, *, signum: int = signal.SIGTERM) -> None:
        """Stop the node's gunicorn (master and worker: the whole group); SIGKILL kills it outright."""
        self.supervisor.stop(self.servers.pop(node_id), signum=signum)

    def start_worker(self, node_id: str, name: str | None = None, **env: str) -> subprocess.Popen[bytes]:
        """Start a delivery worker for the node (extra settings in ``env``) and wait until it runs."""
        node = self.nodes[node_id]
        name = name or f"{node_id}-worker"
        started_at = time.monotonic()
        log_file = node.directory / f"worker-{name}.log"
        with log_file.open("ab") as log:
            process = self.supervisor.spawn(
                f"{node_id} worker {name}",
                _django("messaging", "worker", "--name", name),
                env={**node.env, **env},
                log=log,
            )
        self.workers[name] = process
        self.wait_for(
            lambda: process.poll() is not None or f"Delivery worker {name} started." in log_file.read_text("utf-8"),
            f"{name} to start",
            timeout=START_SECONDS,
        )
        assert process.poll() is None, f"{name} exited ({process.returncode})\n{self.logs()}"
        self.pace_seconds = time.monotonic() - started_at
        return process

    def stop_worker(self, name: str, *, signum: int = signal.SIGTERM) -> int:
        return self.supervisor.stop(self.workers.pop(name), signum=signum)

    def freeze(self, process: subprocess.Popen[bytes]) -> None:
        """SIGSTOP the whole group: it holds its connections and answers nothing until ``thaw``."""
        os.killpg(process.pid, signal.SIGSTOP)

    def thaw(self, process: subprocess.Popen[bytes]) -> None:
        os.killpg(process.pid, signal.SIGCONT)

    def unread_requests(self, node_id: str) -> int:
        """Connections to the node's server holding bytes it has not read (it is frozen): from Linux's /proc."""
        port, waiting = self.nodes[node_id].port, 0
        for line in Path("/proc/net/tcp").read_text(encoding="ascii").splitlines()[1:]:
            local, _remote, state, queues = line.split()[1:5]
            if state == "01" and int(local.split(":")[1], 16) == port and int(queues.split(":")[1], 16) > 0:
                waiting += 1  # ESTABLISHED, on the node's port, with a receive queue
        return waiting

    def close(self) -> None:
        for process in [*self.servers.values(), *self.workers.values()]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                self.thaw(process)  # a frozen group cannot act on SIGTERM
        self.supervisor.stop_all()

    # --- commands ---------------------------------------------------------------------------

    def run(
        self, node_id: str, *args: str, check: bool = True, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``vinculo ARGS`` on the node; a non-zero exit fails the test unless ``check`` is false."""
        return self.run_each({node_id: args}, check=check, env=env)[node_id]

    def run_each(
        self,
        commands: Mapping[str, Sequence[str]],
        *,
        check: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> dict[str, subprocess.CompletedProcess[str]]:
        """One command on each of several nodes, all at once."""
        return self.run_jobs({node_id: (node_id, args, env or {}) for node_id, args in commands.items()}, check=check)

    def run_jobs(
        self, jobs: Mapping[str, tuple[str, Sequence[str], Mapping[str, str]]], *, check: bool = True
    ) -> dict[str, subprocess.CompletedProcess[str]]:
        """Commands all at once, by label: (node, its arguments, extra settings)."""
        started = {
            label: subprocess.Popen(
                _django(*args),
                cwd=ROOT,
                env={**self.nodes[node_id].env, **env},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            for label, (node_id, args, env) in jobs.items()
        }
        results = {}
        started_at = time.monotonic()
        deadline = started_at + COMMAND_SECONDS
        try:
            for label, process in started.items():
                stdout, stderr = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
                results[label] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        finally:
            for process in started.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.pace_seconds = time.monotonic() - started_at
        if check:
            for label, result in results.items():
                assert result.returncode == 0, (
                    f"{label}: vinculo {' '.join(jobs[label][1])} exited {result.returncode}\n"
                    f"{result.stdout}\n{result.stderr}"
                )
        return results

    def shell(self, node_id: str, code: str, *, env: Mapping[str, str] | None = None) -> str:
        """Run Python ``code`` in a Django shell of the node (extra settings in ``env``); its standard output."""
        return self.run(node_id, "shell", "--no-imports", "-c", code, env=env).stdout

    def queue_pings(self, sender: str, recipient: str, count: int) -> list[str]:
        """Queue ``count`` delivery tests through the node's outbox service (what `messaging ping` does, n times)."""
        code = (
            "from django.db import transaction\n"
            "from vinculo.messaging.services import outbox\n"
            "with transaction.atomic():\n"
            f"    ids = [outbox.send(type='system.ping', recipient={recipient!r}, payload=b'{{}}').id"
            f" for _ in range({count})]\n"
            "print(' '.join(str(i) for i in ids))\n"
        )
        ids = self.shell(sender, code).split()
        assert len(ids) == count, ids
        return ids

    # --- looking in -------------------------------------------------------------------------

    def sql(self, node_id: str, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows from the node's own database, read as its processes run."""
        with contextlib.closing(sqlite3.connect(self.nodes[node_id].database, timeout=20)) as database:
            return database.execute(query, params).fetchall()

    def copy_database(self, node_id: str, path: Path) -> dict[str, str]:
        """A consistent copy of the node's database taken while it runs; the settings that point a command at it."""
        with (
            contextlib.closing(sqlite3.connect(self.nodes[node_id].database, timeout=20)) as source,
            contextlib.closing(sqlite3.connect(path)) as target,
        ):
            source.backup(target)
        return {"DATABASE_URL": _sqlite_url(path)}

    def outbox(self, node_id: str, message_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Outgoing messages by id: status, attempts, last error, claim, receipt, delivery time."""
        columns = ("status", "attempts", "last_error", "claimed_by", "claimed_until", "receipt", "delivered_at")
        rows = self.sql(node_id, f"SELECT id, {', '.join(columns)} FROM messaging_outboundmessage")  # noqa: S608
        wanted = {uuid.UUID(message_id).hex: message_id for message_id in message_ids}
        return {wanted[row[0]]: dict(zip(columns, row[1:], strict=True)) for row in rows if row[0] in wanted}

    def inbox(self, node_id: str, sender: str) -> dict[str, list[dict[str, Any]]]:
        """Accepted messages from ``sender`` by message id (a list, to count copies)."""
        rows = self.sql(
            node_id,
            "SELECT message_id, receipt, envelope_sha256, processed_at FROM messaging_inboundmessage WHERE sender = ?",
            [sender],
        )
        found: dict[str, list[dict[str, Any]]] = {}
        for message_id, receipt, sha256, processed_at in rows:
            found.setdefault(str(uuid.UUID(message_id)), []).append(
                {"receipt": receipt, "sha256": sha256, "processed_at": processed_at}
            )
        return found

    def evidence(self, node_id: str, kind: str | None = None) -> list[dict[str, Any]]:
        """The node's evidence entries in order (``facts`` parsed)."""
        query = "SELECT seq, kind, message_id, peer, sha256, facts FROM evidence_evidenceentry"
        rows = self.sql(node_id, query + (" WHERE kind = ?" if kind else "") + " ORDER BY seq", [kind] if kind else [])
        names = ("seq", "kind", "message_id", "peer", "sha256", "facts")
        return [dict(zip(names, (*row[:5], json.loads(row[5])), strict=True)) for row in rows]

    def refused(self, node_id: str) -> list[dict[str, Any]]:
        rows = self.sql(
            node_id,
            "SELECT code, claimed_sender, claimed_id, envelope_sha256, remote_address FROM messaging_refusedenvelope "
            "ORDER BY id",
        )
        names = ("code", "claimed_sender", "claimed_id", "sha256", "remote_address")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def logs(self, lines: int = 20) -> str:
        """The end of every log of every node, for a failure message."""
        parts = []
        for node in self.nodes.values():
            for log in sorted(node.directory.glob("*.log")):
                text = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
                parts.append(f"--- {node.node_id}/{log.name}\n" + "\n".join(text))
        return "\n".join(parts)

    def eventually(self, condition: Callable[[], T], *, timeout: float) -> T | None:
        """Poll ``condition`` until it returns something true (returned), or None after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() <= deadline:
            value = condition()
            if value:
                return value
            time.sleep(POLL_SECONDS)
        return None

    def wait_for(self, condition: Callable[[], T], what: str, *, timeout: float = 60.0) -> T:
        """Poll ``condition`` until it returns something true; fail naming ``what`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"Waited {timeout:.0f} s for {what}.\n{self.logs()}")
            time.sleep(POLL_SECONDS)

    def sleep_until(self, moment: float, *, at_most: float = 60.0) -> None:
        """Wait until the Unix time ``moment`` (which must be less than ``at_most`` seconds away)."""
        wait = moment - time.time()
        assert wait < at_most, f"{wait:.0f} s to wait: more than this test may take"
        time.sleep(max(0.0, wait))

    # --- envelopes, as a peer (or someone holding a peer's keys or bytes) sends them --------------

    def signing_key(self, node_id: str, *, kid: str | None = None) -> SigningKey:
        """The node's current signing key, or a previous one still on disk (by thumbprint)."""
        keys = self.nodes[node_id].directory / "keys"
        path = keys / ("signing.pem" if kid is None else f"signing-{kid}.pem")
        return SigningKey.from_pem(path.read_bytes())

    def encryption_key(self, node_id: str) -> EncryptionKey:
        return EncryptionKey.from_pem((self.nodes[node_id].directory / "keys" / "encryption.pem").read_bytes())

    def envelope(
        self,
        sender: str,
        recipient: str,
        *,
        payload: bytes = b"{}",
        message_id: str | None = None,
        signing_key: SigningKey | None = None,
        recipient_key: RecipientKey | None = None,
        created_at: int | None = None,
    ) -> bytes:
        """A ``system.ping`` envelope sealed with the sender's current keys (or those given)."""
        signing = signing_key or self.signing_key(sender)
        to_key = recipient_key or self.encryption_key(recipient).recipient_key
        header = Header(
            id=message_id or str(uuid.uuid4()),
            type="system.ping",
            sender=sender,
            recipient=recipient,
            created_at=int(time.time()) if created_at is None else created_at,
            sender_key=signing.thumbprint(),
            recipient_key=to_key.thumbprint(),
        )
        return seal(header, payload, signing_key=signing, recipient_key=to_key)

    def post(self, node_id: str, data: bytes) -> tuple[int, dict[str, Any]]:
        """POST ``data`` to the node's inbox as a peer's worker does; the HTTP status and the JSON answer."""
        status, body = http_post(self.nodes[node_id].url + INBOX_PATH, data)
        return status, json.loads(body)


@contextlib.contextmanager
def federation_in(snapshot: Path, root: Path, base_port: int, members: Sequence[str] = MEMBERS) -> Iterator[Federation]:
    federation = Federation(snapshot, root, base_port, members)
    try:
        yield federation
    finally:
        federation.close()
