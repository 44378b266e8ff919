"""Benchmark: end-to-end delivery between two real nodes (sign, encrypt, deliver, verify, decrypt, store, receipt).

    .venv/bin/python benchmarks/federation_throughput.py [--messages 5000] [--size 1024] [--rate 200]
        [--database-url postgres://postgres@127.0.0.1:5432/vinculo_bench] [--phases paced,backlog]
        [--web-workers 2] [--web-threads 4] [--worker-arg=--concurrency=4] [--keep]

Starts a small network on loopback in a temporary folder, set up with the demo network's own
steps (`vinculo.demo.management.commands.demo_network`: each node's environment and secret key,
migrations, keys, the hub's register and signed directory, the offices' directory import): the
hub, SV-FGR (the sender) and GT-MP (the receiver), each served by gunicorn and running its
delivery worker (`vinculo messaging worker`). With --database-url every node gets its own
PostgreSQL database named after that one (which must contain "bench"), dropped at the end;
otherwise each node has its SQLite file.

Then, on the sender, in the way an action of the node queues a message (`outbox.send`, one
transaction each), it queues --messages messages of --size bytes for GT-MP, in phases:

- paced: at --rate messages per second (an offered load), for the latency a message sees from
  the moment it is queued to the moment its signed receipt is stored on the sender (p50, p95,
  p99, max), and the throughput over the run;
- backlog: all of them queued in one transaction (a node that comes back after an outage, a
  burst), for the rate at which the workers drain a queue: the sustained capacity.

Throughput is messages / (last receipt stored - first message queued), from the sender's own
timestamps (``created_at``, ``delivered_at``). Afterwards every message is checked to have been
delivered exactly once: every outbox row delivered, the receiver holds each id once and no
other, every message has its four evidence entries (envelope sent and receipt received on the
sender, envelope received and receipt sent on the receiver), and `vinculo evidence verify`
passes on both nodes. The CPU time each process used during each phase is shown (PostgreSQL's
backends too when they can be found), with the machine's load average, which on a shared
machine says how much of it the benchmark had.

X-Road's published sizing for a 2-vCPU security server is under 50 requests per minute
(Suomi.fi technical specifications; a planning figure, not a benchmark); the ratio to it is
printed. Compare runs on one machine.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HUB, SENDER, RECEIVER = "CCCMP-HUB", "SV-FGR", "GT-MP"
MESSAGE_TYPE = "system.ping"  # the protocol's delivery test: allowed by any policy, a no-op handler
XROAD_PER_MINUTE = 50  # Suomi.fi sizing for a 2-vCPU X-Road security server: "< 50 requests per minute"
STALL_SECONDS = 90.0  # give up waiting when no message was settled for this long
SETUP_SECONDS = 300.0


# --- In the sender's process (a child with the sender node's environment) -------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def child_queue(args: argparse.Namespace) -> None:
    """Queue the messages of one phase, wait until each is settled, print the timings as JSON."""
    _django()
    from django.db import transaction
    from django.utils import timezone

    from vinculo.messaging.models import OutboundMessage
    from vinculo.messaging.services import outbox

    conversation = args.conversation
    filler = os.urandom(args.size).hex()

    def send(number: int) -> None:
        # Distinct content per message, as text (what a module would send: JSON).
        prefix = f"{number:08d}".encode()
        payload = prefix + filler[: args.size - len(prefix)].encode()
        outbox.send(type=MESSAGE_TYPE, recipient=args.recipient, payload=payload, conversation=conversation)

    started, cpu_started = time.monotonic(), time.process_time()
    if args.rate > 0:
        for number in range(args.messages):
            due = started + number / args.rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            with transaction.atomic(durable=True):
                send(number)
    else:
        with transaction.atomic(durable=True):
            for number in range(args.messages):
                send(number)
    queued_for = time.monotonic() - started
    queue_cpu = time.process_time() - cpu_started
    committed = timezone.now()
    mine = OutboundMessage.objects.filter(conversation=conversation)
    settled, last_change = 0, time.monotonic()
    while True:
        now_settled = mine.exclude(status=OutboundMessage.Status.PENDING).count()
        if now_settled != settled:
            settled, last_change = now_settled, time.monotonic()
        if settled >= args.messages or time.monotonic() - last_change > STALL_SECONDS:
            break
        time.sleep(0.2)
    rows = list(mine.values_list("created_at", "delivered_at", "status", "attempts"))
    first = min(row[0] for row in rows)
    print(
        json.dumps(
            {
                "queued_seconds": queued_for,
                "queue_cpu": queue_cpu,
                "first_queued": first.timestamp(),
                "committed": committed.timestamp(),
                "rows": [
                    [
                        row[0].timestamp(),
                        row[1].timestamp() if row[1] else None,
                        row[2],
                        row[3],
                    ]
                    for row in rows
                ],
            }
        )
    )


def child_inspect(args: argparse.Namespace) -> None:
    """What this node holds of the benchmark's messages (ids digested, counts), as JSON."""
    _django()
    from django.db.models import Count

    from vinculo.evidence.models import EvidenceEntry
    from vinculo.messaging.models import InboundMessage, OutboundMessage, RefusedEnvelope

    conversations = args.conversation.split(",")
    result: dict[str, Any] = {}
    if args.side == "sender":
        rows = OutboundMessage.objects.filter(conversation__in=conversations)
        ids = [str(value) for value in rows.values_list("id", flat=True)]
        result["statuses"] = dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        result["attempts"] = dict(rows.values_list("attempts").annotate(n=Count("id")).values_list("attempts", "n"))
        kinds = ("envelope_sent", "receipt_received")
    else:
        rows_in = InboundMessage.objects.filter(sender=args.peer, conversation__in=conversations)
        ids = [str(value) for value in rows_in.values_list("message_id", flat=True)]
        result["unprocessed"] = rows_in.filter(processed_at__isnull=True).count()
        result["refused"] = RefusedEnvelope.objects.count()
        kinds = ("envelope_received", "receipt_sent")
    wanted = set(ids)
    counted = dict.fromkeys(kinds, 0)
    per_message: dict[tuple[str, str], int] = {}
    for kind, message_id in EvidenceEntry.objects.filter(kind__in=kinds).values_list("kind", "message_id"):
        if message_id in wanted:
            counted[kind] += 1
            per_message[(kind, message_id)] = per_message.get((kind, message_id), 0) + 1
    result["count"] = len(ids)
    result["distinct"] = len(wanted)
    result["ids_sha256"] = hashlib.sha256("\n".join(sorted(wanted)).encode()).hexdigest()
    result["evidence"] = counted
    # Each message has each kind at least once (a retry sealed again adds an envelope_sent).
    result["evidence_missing"] = sum(1 for kind in kinds for i in wanted if (kind, i) not in per_message)
    print(json.dumps(result))


# --- The orchestrating process ----------------------------------------------------------------


def _postgres_names(url: str) -> tuple[str, str]:
    """The maintenance database's URL and the benchmark's base name (refused unless it says "bench")."""
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql") or "bench" not in name:
        raise SystemExit(
            "--database-url must be postgres://…/<name with 'bench'>: databases named after it are dropped."
        )
    return urllib.parse.urlunsplit(parts._replace(path="/postgres")), name


def _node_database_url(url: str, node_id: str) -> str:
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") + "_" + node_id.lower().replace("-", "_")
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def _recreate_postgres(url: str, node_ids: Sequence[str], *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    admin, _name = _postgres_names(url)
    with psycopg.connect(admin, autocommit=True) as connection:
        for node_id in node_ids:
            name = urllib.parse.urlsplit(_node_database_url(url, node_id)).path.lstrip("/")
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if not drop_only:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _postgres_backends(url: str, node_ids: Sequence[str]) -> list[int]:
    """Process ids of the PostgreSQL backends serving the nodes' databases (to read their CPU time)."""
    import psycopg

    admin, _name = _postgres_names(url)
    names = [urllib.parse.urlsplit(_node_database_url(url, node_id)).path.lstrip("/") for node_id in node_ids]
    with psycopg.connect(admin, autocommit=True) as connection:
        rows = connection.execute("SELECT pid FROM pg_stat_activity WHERE datname = ANY(%s)", [names]).fetchall()
    return [int(row[0]) for row in rows]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (0 when it is gone or unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _group_cpu(pgid: int) -> float:
    """CPU time of every live process in a process group (gunicorn's master and its workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _machine_cpu() -> tuple[float, float]:
    """Seconds of CPU time the whole machine spent busy, and in all, since boot (all CPUs, from /proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Network:
    """The hub, the sender and the receiver, set up and started with the demo network's own steps."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        from vinculo.demo.management.commands import demo_network as demo

        self.demo = demo
        self.args = args
        self.command = demo.Command()
        self.supervisor = demo.Supervisor()
        specs = [spec for spec in demo.NODES if spec.node_id in (HUB, SENDER, RECEIVER)]
        self.nodes = [
            demo.Node(spec, args.base_port + index, workdir / spec.node_id) for index, spec in enumerate(specs)
        ]
        busy = [node.port for node in self.nodes if demo.port_in_use(node.port)]
        if busy:
            raise SystemExit(f"ports {busy} are in use; choose others with --base-port")
        self.pgids: dict[str, int] = {}

    def node(self, node_id: str) -> Any:
        return next(node for node in self.nodes if node.node_id == node_id)

    def set_up(self) -> None:
        demo, deadline = self.demo, time.monotonic() + SETUP_SECONDS
        for node in self.nodes:
            node.directory.mkdir(parents=True, exist_ok=True)
            node.directory.chmod(0o700)
            demo.ensure_secret_key(node.secret_key_file)
            node.env = demo.node_environment(node, dict(os.environ))
            if self.args.database_url:
                node.env["DATABASE_URL"] = _node_database_url(self.args.database_url, node.node_id)
        self.command.run_steps(
            self.nodes,
            self.supervisor,
            lambda node: [
                ["migrate", "--no-input"],
                ["keys", "init", "--exist-ok", "--public-out", str(node.directory / "public-keys.json")],
            ],
            deadline=deadline,
        )
        directory_file = self.command.register_members(self.nodes)
        offices = [node for node in self.nodes if node.spec.role == "office"]
        self.command.run_steps(
            offices, self.supervisor, lambda node: [["directory", "import", str(directory_file)]], deadline=deadline
        )

    def gunicorn_command(self, node: Any) -> list[str]:
        command = list(self.demo.Command.gunicorn_command(node))
        command[command.index("--workers") + 1] = str(self.args.web_workers)
        command[command.index("--threads") + 1] = str(self.args.web_threads)
        return command

    def start(self) -> None:
        for node in self.nodes:
            with node.server_log.open("wb") as log:
                server = self.supervisor.spawn(
                    f"{node.node_id} server", self.gunicorn_command(node), env=node.env, log=log
                )
            with (node.directory / "worker.log").open("ab") as log:
                worker = self.supervisor.spawn(
                    f"{node.node_id} worker",
                    [
                        sys.executable, "-m", "django", "messaging", "worker", "--name", f"{node.node_id}-bench",
                        *self.args.worker_arg,
                    ],
                    env=node.env,
                    log=log,
                )  # fmt: skip
            self.pgids[f"{node.node_id} server"] = server.pid
            self.pgids[f"{node.node_id} worker"] = worker.pid
        deadline = time.monotonic() + 60
        waiting = list(self.nodes)
        while waiting:
            waiting = [node for node in waiting if not self.demo.Command.answers(node)[0]]
            if waiting and time.monotonic() > deadline:
                raise SystemExit(f"{waiting[0].node_id} did not start; see {waiting[0].server_log}")
            time.sleep(0.25)

    def cpu(self) -> dict[str, float]:
        used = {label: _group_cpu(pgid) for label, pgid in self.pgids.items() if HUB not in label}
        if self.args.database_url:
            pids = _postgres_backends(self.args.database_url, [SENDER, RECEIVER])
            used["postgres backends"] = sum(_cpu_seconds(pid) for pid in pids)
        return used

    def run_child(self, node_id: str, *arguments: str) -> dict[str, Any]:
        result = subprocess.run(  # noqa: S603 - this very script
            [sys.executable, str(Path(__file__).resolve()), *arguments],
            env=self.node(node_id).env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(arguments[:2])} on {node_id} failed:\n{result.stderr[-3000:]}")
        parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        return parsed

    def verify_evidence(self, node_id: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "django", "evidence", "verify"],
            env=self.node(node_id).env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        text = (result.stdout + result.stderr).strip().splitlines()
        return ("ok: " if result.returncode == 0 else "FAILED: ") + (text[-1] if text else "")


def run_phase(network: Network, phase: str, args: argparse.Namespace) -> dict[str, Any]:
    conversation = f"bench-{phase}-{uuid.uuid4()}"
    rate = args.rate if phase == "paced" else 0
    load_before, cpu_before, wall, machine_before = _load(), network.cpu(), time.monotonic(), _machine_cpu()
    print(f"{phase}: queueing {args.messages} messages of {args.size} bytes"
          + (f" at {rate:g}/s" if rate else " in one transaction") + f" (load average {load_before})",
          file=sys.stderr, flush=True)  # fmt: skip
    data = network.run_child(
        SENDER, "--child", "queue", "--conversation", conversation, "--messages", str(args.messages),
        "--size", str(args.size), "--rate", str(rate), "--recipient", RECEIVER,
    )  # fmt: skip
    wall = time.monotonic() - wall
    cpu_after, load_after, machine_after = network.cpu(), _load(), _machine_cpu()
    rows = data["rows"]
    delivered = [row for row in rows if row[2] == "delivered"]
    start = data["first_queued"] if rate else data["committed"]
    last = max((row[1] for row in delivered), default=start)
    latencies = [row[1] - row[0] for row in delivered]
    # The busiest and quietest whole seconds between the first and the last 5 % of receipts.
    times = sorted(row[1] for row in delivered)
    per_second: dict[int, int] = {}
    if len(times) > 40:
        for moment in times[len(times) // 20 : -len(times) // 20]:
            per_second[int(moment)] = per_second.get(int(moment), 0) + 1
    whole = sorted(per_second.items())[1:-1]
    return {
        "phase": phase,
        "conversation": conversation,
        "messages": len(rows),
        "delivered": len(delivered),
        "other": len(rows) - len(delivered),
        "retried": sum(1 for row in rows if row[3] > 1),
        "seconds": last - start,
        "rate": len(delivered) / (last - start) if last > start else 0.0,
        "queued_seconds": data["queued_seconds"],
        "per_second_min": min((n for _s, n in whole), default=0),
        "per_second_max": max((n for _s, n in whole), default=0),
        "p50": _percentile(latencies, 0.50) if latencies else 0.0,
        "p95": _percentile(latencies, 0.95) if latencies else 0.0,
        "p99": _percentile(latencies, 0.99) if latencies else 0.0,
        "max": max(latencies, default=0.0),
        "mean": statistics.fmean(latencies) if latencies else 0.0,
        "load": f"{load_before} -> {load_after}",
        "wall": wall,
        # How busy the machine was during the phase, and how much of that was the nodes' own work.
        "machine_busy": (machine_after[0] - machine_before[0]) / max(1e-9, machine_after[1] - machine_before[1]),
        "machine_seconds": machine_after[0] - machine_before[0],
        "cpu": {
            f"{SENDER} queueing": data["queue_cpu"],
            **{label: cpu_after.get(label, 0.0) - cpu_before.get(label, 0.0) for label in cpu_after},
        },
    }


def report(results: list[dict[str, Any]], checks: dict[str, Any], args: argparse.Namespace) -> None:
    database = "PostgreSQL" if args.database_url else "SQLite"
    xroad = XROAD_PER_MINUTE / 60
    print(
        f"\n{database}; {args.messages} messages of {args.size} bytes per phase; gunicorn {args.web_workers} "
        f"worker(s) x {args.web_threads} threads; delivery worker {' '.join(args.worker_arg) or '(defaults)'}; "
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}); python {platform.python_version()}"
    )
    print(
        f"{'phase':<8} {'msg/s':>7} {'seconds':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'1-s min/max':>11} {'retried':>7} {'x X-Road':>8}  load average (1 5 15 min) before -> after"
    )
    for r in results:
        print(
            f"{r['phase']:<8} {r['rate']:>7.1f} {r['seconds']:>8.1f} {r['p50'] * 1000:>7.0f} {r['p95'] * 1000:>7.0f} "
            f"{r['p99'] * 1000:>7.0f} {r['max'] * 1000:>7.0f} {r['per_second_min']:>5}/{r['per_second_max']:<5} "
            f"{r['retried']:>7} {r['rate'] / xroad:>7.0f}x  {r['load']}"
        )
    print("\nCPU seconds used during each phase (per message in ms):")
    for r in results:
        spent = ", ".join(
            f"{label} {seconds:.1f} s ({seconds * 1000 / max(1, r['delivered']):.1f})"
            for label, seconds in r["cpu"].items()
        )
        ours = sum(r["cpu"].values())
        print(f"  {r['phase']}: {spent}")
        per_message = ours / max(1, r["delivered"])
        print(
            f"    the machine's CPUs were {r['machine_busy']:.0%} busy; the nodes' processes above did "
            f"{ours / max(1e-9, r['machine_seconds']):.0%} of that work ({ours:.1f} of {r['machine_seconds']:.1f} s); "
            f"{per_message * 1000:.1f} ms of CPU per message in all, so {os.cpu_count()} idle CPUs would "
            f"deliver at most {(os.cpu_count() or 1) / per_message:.0f} msg/s"
        )
    print(
        f"\nX-Road's sizing for 2 vCPU: < {XROAD_PER_MINUTE} requests/minute = {xroad:.2f}/s; "
        "'x X-Road' is msg/s / that."
    )
    print("latency: from queueing (outbox.send) to the signed receipt stored on the sender; paced phase at "
          f"{args.rate:g}/s offered; backlog: all queued in one transaction, timed from its commit.")  # fmt: skip
    print("\nExactly once:")
    for line in checks["lines"]:
        print("  " + line)
    print("  => " + ("every message delivered exactly once" if checks["ok"] else "PROBLEMS FOUND"))


def check(network: Network, results: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    conversations = ",".join(r["conversation"] for r in results)
    expected = args.messages * len(results)
    # Let the receiver's worker hand the messages to their handler.
    deadline = time.monotonic() + 60
    while True:
        received = network.run_child(
            RECEIVER, "--child", "inspect", "--side", "receiver", "--peer", SENDER, "--conversation", conversations
        )
        if received["unprocessed"] == 0 or time.monotonic() > deadline:
            break
        time.sleep(1)
    sent = network.run_child(SENDER, "--child", "inspect", "--side", "sender", "--conversation", conversations)
    problems = []
    if sent["statuses"] != {"delivered": expected}:
        problems.append(f"outbox statuses {sent['statuses']}, expected {expected} delivered")
    if received["count"] != expected or received["distinct"] != expected:
        problems.append(f"receiver holds {received['count']} rows ({received['distinct']} ids), expected {expected}")
    if received["ids_sha256"] != sent["ids_sha256"]:
        problems.append("the receiver's message ids differ from the sender's")
    if sent["evidence"]["receipt_received"] != expected or received["evidence"]["envelope_received"] != expected:
        problems.append(f"evidence counts: sender {sent['evidence']}, receiver {received['evidence']}")
    if sent["evidence_missing"] or received["evidence_missing"]:
        problems.append(f"evidence entries missing: {sent['evidence_missing']} + {received['evidence_missing']}")
    if received["unprocessed"]:
        problems.append(f"{received['unprocessed']} received messages not handed to their handler")
    verified = {node_id: network.verify_evidence(node_id) for node_id in (SENDER, RECEIVER)}
    problems += [f"evidence verify on {node_id}: {text}" for node_id, text in verified.items() if text.startswith("F")]
    lines = [
        f"sender: {sent['count']} queued, statuses {sent['statuses']}, attempts {sent['attempts']}, "
        f"evidence {sent['evidence']}",
        f"receiver: {received['count']} stored ({received['distinct']} distinct ids, same ids as the sender: "
        f"{received['ids_sha256'] == sent['ids_sha256']}), {received['unprocessed']} not handled, "
        f"{received['refused']} refused envelopes, evidence {received['evidence']}",
        *(f"evidence verify {node_id}: {text}" for node_id, text in verified.items()),
        *problems,
    ]
    return {"ok": not problems, "lines": lines}


def orchestrate(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="vinculo-bench-federation-"))
    # This process only starts and watches the nodes; its own settings point at nothing it uses.
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{workdir}/unused.sqlite3",
            "VINCULO_VAULT_KEYRING_FILE": str(workdir / "unused-keyring.json"),
        }
    )
    _django()
    node_ids = [HUB, SENDER, RECEIVER]
    if args.database_url:
        _recreate_postgres(args.database_url, node_ids)
    network = Network(args, workdir)
    ok = False
    try:
        with network.demo.handle_signals(network.supervisor):
            print(
                f"setting up {', '.join(node_ids)} in {workdir} (load average {_load()})", file=sys.stderr, flush=True
            )
            network.set_up()
            network.start()
            time.sleep(args.settle)
            results = [run_phase(network, phase, args) for phase in args.phases.split(",")]
            checks = check(network, results, args)
            report(results, checks, args)
            ok = checks["ok"]
    except network.demo.Stopped:
        print("stopped", file=sys.stderr)
    finally:
        network.supervisor.stop_all()
        if args.keep:
            print(f"kept: {workdir}" + (f" and the databases {args.database_url}_*" if args.database_url else ""))
        else:
            if args.database_url:
                with contextlib.suppress(Exception):
                    _recreate_postgres(args.database_url, node_ids, drop_only=True)
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=5000, help="messages per phase (default 5000)")
    parser.add_argument("--size", type=int, default=1024, help="payload bytes per message (default 1024)")
    parser.add_argument("--rate", type=float, default=200.0, help="offered load of the paced phase, messages/s")
    parser.add_argument("--phases", default="paced,backlog", help="paced, backlog or both (comma-separated)")
    parser.add_argument("--database-url", help="postgres://…/<name with 'bench'>: one database per node after it")
    parser.add_argument("--base-port", type=int, default=8310, help="the hub's port; the offices use the next two")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes per node")
    parser.add_argument("--web-threads", type=int, default=4, help="gunicorn threads per worker process")
    parser.add_argument(
        "--worker-arg", action="append", default=[], help="an argument for `vinculo messaging worker` (repeatable)"
    )
    parser.add_argument("--settle", type=float, default=3.0, help="seconds to wait after start before queueing")
    parser.add_argument("--keep", action="store_true", help="keep the nodes' folder (logs) and databases")
    # Internal: the parts that run in a node's own environment.
    parser.add_argument("--child", choices=["queue", "inspect"], help=argparse.SUPPRESS)
    parser.add_argument("--conversation", help=argparse.SUPPRESS)
    parser.add_argument("--recipient", help=argparse.SUPPRESS)
    parser.add_argument("--side", help=argparse.SUPPRESS)
    parser.add_argument("--peer", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "queue":
        child_queue(args)
    elif args.child == "inspect":
        child_inspect(args)
    else:
        sys.exit(orchestrate(args))


if __name__ == "__main__":
    main()
