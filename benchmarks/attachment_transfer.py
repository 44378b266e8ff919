"""Benchmark: a large attachment between two real nodes, with the link cut twice, resumed and verified.

    .venv/bin/python benchmarks/attachment_transfer.py [--size 1073741824] [--chunk-size 4194304]
        [--cut both|receiver|worker|none] [--claim-seconds 20] [--base-port 8600] [--keep]

Sets up the hub, SV-FGR (the sender) and GT-MP (the receiver) in a temporary folder with the
demo network's own steps (migrations, keys, the hub's signed directory imported by the offices).
GT-MP is served by gunicorn as in the demo (one worker, four threads); SV-FGR runs its delivery
worker (`vinculo messaging worker`). The hub needs no server: the offices hold its directory.

On SV-FGR, a child process encrypts --size bytes from a deterministic stream (AES-CTR of zeros
under a fixed key: the same bytes on every run, never held whole in memory) into chunk files
(`attachments.prepare`) and queues a message carrying it (`outbox.send`). The worker uploads the
chunks to GT-MP and then posts the envelope; GT-MP verifies the attachment before its receipt.

The link is cut while chunks move: with --cut receiver or both, GT-MP's server is killed (SIGKILL)
once 40 % of the chunks arrived and started again 3 s later; with worker or both, SV-FGR's worker
is killed once 70 % arrived and started again at once (its claim on the message expires after
--claim-seconds). The transfer must resume and finish without starting over: every chunk is
counted as it arrives, and chunks uploaded twice are reported.

Reported: the time to encrypt (prepare), the transfer (from the worker's start to the stored
receipt, and without the stalls after each cut), the time from the last chunk to the receipt (the
receiver's verification), and the peak resident memory (VmHWM in /proc) of the queueing child,
each sender worker and each receiver server process, against the 256 MB bound. Finally a child
on GT-MP opens the attachment as a stream and checks its SHA-256 against the stream's own, and
`vinculo evidence verify` runs on both nodes. Temporary files are deleted unless --keep.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HUB, SENDER, RECEIVER = "CCCMP-HUB", "SV-FGR", "GT-MP"
BOUND_BYTES = 256 * 1024 * 1024
SETUP_SECONDS = 300.0
STALL_SECONDS = 300.0  # give up when no chunk arrived and nothing was delivered for this long
BLOCK = 4 * 1024 * 1024


class DeterministicStream:
    """``size`` bytes of AES-256-CTR keystream under a fixed key: reproducible, produced as read."""

    def __init__(self, size: int) -> None:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        key = hashlib.sha256(b"vinculo attachment benchmark").digest()
        self._keystream = Cipher(algorithms.AES(key), modes.CTR(bytes(16))).encryptor()
        self.remaining = size

    def read(self, size: int = -1) -> bytes:
        size = self.remaining if size < 0 else min(size, self.remaining)
        self.remaining -= size
        return self._keystream.update(bytes(size))


def stream_sha256(size: int) -> str:
    stream, digest = DeterministicStream(size), hashlib.sha256()
    while piece := stream.read(BLOCK):
        digest.update(piece)
    return digest.hexdigest()


def peak_rss(pid: int) -> int:
    """VmHWM of a process in bytes (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                    pids.append(int(entry.name))
    return pids


def megabytes(count: float) -> str:
    return f"{count / 1024 / 1024:.0f} MB"


# --- Children, run with a node's environment --------------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def child_queue(args: argparse.Namespace) -> None:
    """Encrypt the stream into chunk files and queue a message carrying it; print the facts as JSON."""
    _django()
    from django.db import transaction

    from vinculo.messaging.services import attachments, outbox

    started = time.monotonic()
    prepared = attachments.prepare(
        DeterministicStream(args.size), size=args.size, name="grabación-benchmark.bin",
        media_type="application/octet-stream", chunk_size=args.chunk_size,
    )  # fmt: skip
    prepare_seconds = time.monotonic() - started
    payload = json.dumps({"documento": prepared.sha256}).encode()
    with transaction.atomic(durable=True):
        message = outbox.send(type="system.ping", recipient=RECEIVER, payload=payload, attachments=[prepared])
    print(
        json.dumps(
            {
                "message": message.id.hex,
                "blob": prepared.manifest.blob,
                "sha256": prepared.sha256,
                "chunks": prepared.manifest.count,
                "prepare_seconds": prepare_seconds,
                "peak_rss": peak_rss(os.getpid()),
            }
        )
    )


def child_read(args: argparse.Namespace) -> None:
    """Open the received attachment as a stream and hash it; print the digest and this process's peak memory."""
    _django()
    from vinculo.messaging.models import InboundAttachment
    from vinculo.messaging.services import attachments

    attachment = InboundAttachment.objects.get(sender=SENDER, blob=args.blob)
    started, digest = time.monotonic(), hashlib.sha256()
    with attachments.open_attachment(attachment) as stream:
        while piece := stream.read(1024 * 1024):
            digest.update(piece)
    print(
        json.dumps(
            {
                "sha256": digest.hexdigest(),
                "stored_sha256": attachment.sha256,
                "size": attachment.size,
                "read_seconds": time.monotonic() - started,
                "peak_rss": peak_rss(os.getpid()),
            }
        )
    )


# --- The orchestrating process ----------------------------------------------------------------


class Network:
    """The hub (set up only), the sender (worker) and the receiver (server), from the demo network's steps."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        from vinculo.demo.management.commands import demo_network as demo

        self.demo, self.args = demo, args
        self.command = demo.Command()
        self.supervisor = demo.Supervisor()
        specs = [spec for spec in demo.NODES if spec.node_id in (HUB, SENDER, RECEIVER)]
        self.nodes = {
            spec.node_id: demo.Node(spec, args.base_port + index, workdir / spec.node_id)
            for index, spec in enumerate(specs)
        }
        busy = [node.port for node in self.nodes.values() if demo.port_in_use(node.port)]
        if busy:
            raise SystemExit(f"ports {busy} are in use; choose others with --base-port")
        self.server: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.peaks: dict[str, list[int]] = {"sender worker": [], "receiver server": []}
        self.cpu: dict[str, float] = {"sender worker": 0.0, "receiver server": 0.0}

    def set_up(self) -> None:
        demo, deadline = self.demo, time.monotonic() + SETUP_SECONDS
        nodes = list(self.nodes.values())
        for node in nodes:
            node.directory.mkdir(parents=True, exist_ok=True)
            node.directory.chmod(0o700)
            demo.ensure_secret_key(node.secret_key_file)
            node.env = demo.node_environment(node, dict(os.environ))
            node.env["VINCULO_ATTACHMENT_DIR"] = str(node.directory / "attachments")
            node.env["VINCULO_DELIVERY_CLAIM_SECONDS"] = str(self.args.claim_seconds)
        self.command.run_steps(
            nodes,
            self.supervisor,
            lambda node: [
                ["migrate", "--no-input"],
                ["keys", "init", "--exist-ok", "--public-out", str(node.directory / "public-keys.json")],
            ],
            deadline=deadline,
        )
        directory_file = self.command.register_members(nodes)
        offices = [node for node in nodes if node.spec.role == "office"]
        self.command.run_steps(
            offices, self.supervisor, lambda node: [["directory", "import", str(directory_file)]], deadline=deadline
        )

    def start_server(self) -> float:
        node = self.nodes[RECEIVER]
        with node.server_log.open("ab") as log:
            self.server = self.supervisor.spawn(
                "receiver server", self.demo.Command.gunicorn_command(node), env=node.env, log=log
            )
        started = time.monotonic()
        while not self.demo.Command.answers(node)[0]:
            if time.monotonic() - started > 60:
                raise SystemExit(f"{RECEIVER} did not start; see {node.server_log}")
            time.sleep(0.1)
        return time.monotonic()

    def start_worker(self) -> None:
        node = self.nodes[SENDER]
        with (node.directory / "worker.log").open("ab") as log:
            self.worker = self.supervisor.spawn(
                "sender worker",
                [sys.executable, "-m", "django", "messaging", "worker", "--name", f"{SENDER}-bench-{time.time():.0f}"],
                env=node.env,
                log=log,
            )

    def _kill(self, process: subprocess.Popen[bytes] | None, label: str) -> None:
        """Read the peak memory of every process of the group, then SIGKILL the group (a cut, not a stop)."""
        if process is None:
            return
        self.record_peaks(process, label)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def record_peaks(self, process: subprocess.Popen[bytes] | None, label: str) -> None:
        """Peak memory and CPU time of a process group (gunicorn's master and worker) so far."""
        if process is not None:
            pids = group_pids(process.pid)
            self.peaks[label].append(max((peak_rss(pid) for pid in pids), default=0))
            self.cpu[label] += sum(cpu_seconds(pid) for pid in pids)

    def kill_server(self) -> None:
        self._kill(self.server, "receiver server")
        self.server = None

    def kill_worker(self) -> None:
        self._kill(self.worker, "sender worker")
        self.worker = None

    def run_child(self, node_id: str, *arguments: str) -> dict[str, Any]:
        result = subprocess.run(  # noqa: S603 - this very script
            [sys.executable, str(Path(__file__).resolve()), *arguments],
            env=self.nodes[node_id].env, cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise SystemExit(f"{arguments[1]} on {node_id} failed:\n{result.stderr[-3000:]}")
        parsed: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        return parsed

    def verify_evidence(self, node_id: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "django", "evidence", "verify"],
            env=self.nodes[node_id].env, cwd=ROOT, capture_output=True, text=True, check=False,
        )  # fmt: skip
        lines = (result.stdout + result.stderr).strip().splitlines()
        return ("ok: " if result.returncode == 0 else "FAILED: ") + (lines[-1] if lines else "")

    def outbox_row(self, message: str) -> tuple[str, int, str, str | None]:
        with contextlib.closing(sqlite3.connect(f"file:{self.nodes[SENDER].database}?mode=ro", uri=True)) as db:
            row = db.execute(
                "SELECT status, attempts, last_error, delivered_at FROM messaging_outboundmessage WHERE id = ?",
                [message],
            ).fetchone()
        return row[0], row[1], row[2], row[3]

    def chunks_arrived(self, blob: str) -> int:
        directory = self.nodes[RECEIVER].directory / "attachments" / "in" / SENDER / blob
        with contextlib.suppress(FileNotFoundError):
            return sum(1 for name in os.listdir(directory) if name[0].isdigit())
        return 0

    def chunk_uploads(self) -> dict[int, int]:
        """How many times GT-MP's server stored each chunk index (from its access log: PUTs answered 200)."""
        counts: dict[int, int] = {}
        log = self.nodes[RECEIVER].server_log
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if '"PUT /messaging/blobs/' in line and '" 200 ' in line:
                index = int(line.split('"PUT /messaging/blobs/', 1)[1].split(" ", 1)[0].rsplit("/", 1)[1])
                counts[index] = counts.get(index, 0) + 1
        return counts


def transfer(network: Network, queued: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Start the worker, cut the link as asked, and wait for the receipt; the timeline as a dict."""
    blob, chunks, message = queued["blob"], queued["chunks"], queued["message"]
    cut_receiver_at = int(chunks * 0.4) if args.cut in ("receiver", "both") else None
    cut_worker_at = int(chunks * 0.7) if args.cut in ("worker", "both") else None
    events: list[tuple[float, str]] = []
    stalls: list[float] = []
    stalled_since: float | None = None
    arrived_before_stall = 0
    started = time.monotonic()
    network.start_worker()
    events.append((0.0, "sender worker started"))
    last_progress, last_count, last_chunk_at = started, 0, started
    while True:
        now = time.monotonic()
        count = network.chunks_arrived(blob)
        if count != last_count:
            last_progress, last_count = now, count
            last_chunk_at = now
        if stalled_since is not None and count > arrived_before_stall:
            stalls.append(now - stalled_since)
            events.append((now - started, f"chunks arrive again ({count}/{chunks}) after {now - stalled_since:.1f} s"))
            stalled_since = None
        if cut_receiver_at is not None and count >= cut_receiver_at:
            cut_receiver_at = None
            network.kill_server()
            stalled_since, arrived_before_stall = time.monotonic(), count
            events.append((stalled_since - started, f"receiver server killed at {count}/{chunks} chunks"))
            time.sleep(3)
            back = network.start_server()
            events.append((back - started, "receiver server answers again"))
        elif cut_worker_at is not None and count >= cut_worker_at and stalled_since is None:
            cut_worker_at = None
            network.kill_worker()
            stalled_since = time.monotonic()
            events.append((stalled_since - started, f"sender worker killed at {count}/{chunks} chunks"))
            network.start_worker()
            events.append((time.monotonic() - started, "sender worker started again"))
            # A chunk the killed worker had already sent may still land: the stall ends after it.
            time.sleep(1)
            arrived_before_stall = network.chunks_arrived(blob)
        status, attempts, last_error, _delivered = network.outbox_row(message)
        if status != "pending":
            finished = time.monotonic()
            break
        if now - last_progress > STALL_SECONDS:
            raise SystemExit(f"no progress for {STALL_SECONDS:.0f} s at {count}/{chunks} chunks: {last_error}")
        time.sleep(0.2)
    events.append((finished - started, f"message {status} after {attempts} attempts"))
    network.record_peaks(network.worker, "sender worker")
    network.record_peaks(network.server, "receiver server")
    return {
        "status": status,
        "attempts": attempts,
        "last_error": last_error,
        "seconds": finished - started,
        "stalls": stalls,
        "verify_seconds": finished - last_chunk_at,
        "events": events,
    }


def report(args: argparse.Namespace, queued: dict[str, Any], moved: dict[str, Any], checks: dict[str, Any]) -> bool:
    size = args.size
    stalled = sum(moved["stalls"])
    moving = moved["seconds"] - stalled
    print(
        f"\n{size:,} bytes ({size / 1024**3:.2f} GiB) in {queued['chunks']} chunks of {args.chunk_size:,} bytes; "
        f"cut: {args.cut}; claim {args.claim_seconds} s; {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}), load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    print(
        f"encrypt into chunk files (prepare):  {queued['prepare_seconds']:.1f} s, "
        f"{size / queued['prepare_seconds'] / 1e6:.0f} MB/s"
    )
    print(
        f"transfer to the stored receipt:     {moved['seconds']:.1f} s, "
        f"{size / moved['seconds'] / 1e6:.0f} MB/s end to end; "
        f"{moving:.1f} s and {size / moving / 1e6:.0f} MB/s without the {len(moved['stalls'])} stalls ({stalled:.1f} s)"
    )
    print(f"last chunk to receipt (verify):     {moved['verify_seconds']:.1f} s")
    print(f"read back on the receiver (stream): {checks['read']['read_seconds']:.1f} s")
    print("timeline:")
    for moment, what in moved["events"]:
        print(f"  {moment:7.1f} s  {what}")
    print(f"peak resident memory (VmHWM; bound {megabytes(BOUND_BYTES)}):")
    peaks = {
        "queueing child (prepare + send)": [queued["peak_rss"]],
        **checks["peaks"],
        "reading child (open_attachment)": [checks["read"]["peak_rss"]],
    }
    within = True
    for label, values in peaks.items():
        worst = max(values, default=0)
        within &= worst <= BOUND_BYTES
        print(f"  {label:<34} {', '.join(megabytes(v) for v in values)}  {'ok' if worst <= BOUND_BYTES else 'OVER'}")
    print(
        "CPU time during the transfer: "
        + ", ".join(f"{label} {seconds:.1f} s" for label, seconds in checks["cpu"].items())
        + f" (for {size / 1e6:.0f} MB)"
    )
    uploads = checks["uploads"]
    again = sorted(index for index, times in uploads.items() if times > 1)
    print(
        f"chunks stored by the receiver: {len(uploads)} distinct of {queued['chunks']}; "
        f"uploaded again: {again or 'none'} (a chunk in flight when the link was cut)"
    )
    same = checks["read"]["sha256"] == queued["sha256"] == checks["expected_sha256"]
    print(f"content: stream {checks['expected_sha256'][:16]}…, received {checks['read']['sha256'][:16]}…: "
          f"{'identical' if same else 'DIFFERENT'}")  # fmt: skip
    for node_id, text in checks["evidence"].items():
        print(f"evidence verify {node_id}: {text}")
    ok = (
        same
        and within
        and moved["status"] == "delivered"
        and len(uploads) == queued["chunks"]
        and all(text.startswith("ok") for text in checks["evidence"].values())
    )
    print("=> " + ("delivered, resumed, verified, within the memory bound" if ok else "PROBLEMS FOUND"))
    return ok


def orchestrate(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="vinculo-bench-attachments-", dir=args.tmp_dir))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{workdir}/unused.sqlite3",
            "VINCULO_VAULT_KEYRING_FILE": str(workdir / "unused-keyring.json"),
            "VINCULO_ATTACHMENT_DIR": str(workdir / "unused-attachments"),
        }
    )
    _django()
    network = Network(args, workdir)
    ok = False
    try:
        with network.demo.handle_signals(network.supervisor):
            print(f"setting up {HUB}, {SENDER}, {RECEIVER} in {workdir}", file=sys.stderr, flush=True)
            network.set_up()
            print(f"hashing the {args.size:,}-byte stream", file=sys.stderr, flush=True)
            expected = stream_sha256(args.size)
            print("encrypting it into chunk files and queueing the message on the sender", file=sys.stderr, flush=True)
            queued = network.run_child(
                SENDER, "--child", "queue", "--size", str(args.size), "--chunk-size", str(args.chunk_size)
            )
            network.start_server()
            print(f"transferring {queued['chunks']} chunks (cut: {args.cut})", file=sys.stderr, flush=True)
            moved = transfer(network, queued, args)
            peaks = {label: list(values) for label, values in network.peaks.items()}
            cpu = dict(network.cpu)
            read = network.run_child(RECEIVER, "--child", "read", "--blob", queued["blob"])
            checks = {
                "expected_sha256": expected,
                "read": read,
                "peaks": peaks,
                "cpu": cpu,
                "uploads": network.chunk_uploads(),
                "evidence": {node_id: network.verify_evidence(node_id) for node_id in (SENDER, RECEIVER)},
            }
            ok = report(args, queued, moved, checks)
    finally:
        network.supervisor.stop_all()
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1024**3, help="bytes to send (default 1 GiB)")
    parser.add_argument("--chunk-size", type=int, default=4 * 1024 * 1024, help="bytes per chunk (default 4 MiB)")
    parser.add_argument("--cut", choices=["both", "receiver", "worker", "none"], default="both")
    parser.add_argument(
        "--claim-seconds", type=int, default=20, help="the sender's claim (VINCULO_DELIVERY_CLAIM_SECONDS)"
    )
    parser.add_argument("--base-port", type=int, default=8600)
    parser.add_argument("--tmp-dir", default=None, help="where the temporary folder goes (default: the system's)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--child", choices=["queue", "read"], help=argparse.SUPPRESS)
    parser.add_argument("--blob", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "queue":
        child_queue(args)
    elif args.child == "read":
        child_read(args)
    else:
        raise SystemExit(orchestrate(args))


if __name__ == "__main__":
    main()
