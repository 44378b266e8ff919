"""`vinculo demo_network`: four nodes start as separate processes, answer, and stop cleanly.

These run the real command in a subprocess (gunicorn, migrations, seed_demo) on free ports
from 18100 up and a temporary var directory, so they never touch var/demo or port 8100.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

# The demo's nodes keep their own SQLite databases whatever the database under test (the demo
# network strips DATABASE_URL from their environment), so these run in the SQLite pass only.
pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the demo's nodes use their own SQLite databases; run in the SQLite pass"
)

ROOT = Path(__file__).resolve().parent.parent
NODE_IDS = ["CCCMP-HUB", "GT-MP", "SV-FGR", "HN-MP"]
NODE_LINE = re.compile(r"^(?P<node>[A-Z0-9]+-[A-Z0-9]+) (?P<url>http://127\.0\.0\.1:(?P<port>\d+)/)$")


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base_port(first: int = 18100, count: int = 4) -> int:
    """A port from ``first`` up with itself and the next ``count - 1`` free; each xdist worker has its own
    range of 100 (``first`` + 100 * the worker's number)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    start = first + 100 * int(worker.removeprefix("gw") or 0)
    for base in range(start, start + 100, count):
        if all(_free(base + offset) for offset in range(count)):
            return base
    pytest.fail(f"No {count} consecutive free ports between {start} and {start + 100}.")


# A few synthetic cases per office keep these tests quick (the caseload itself is tested in
# vinculo/demo/tests): two before the servers start, two more in the background.
FEW_CASES = ("--cases", "4", "--first-cases", "2")


def command(*args: str) -> list[str]:
    launcher = Path(sys.executable).parent / "vinculo"
    if launcher.exists():
        return [str(launcher), "demo_network", *FEW_CASES, *args]
    return [sys.executable, "-m", "django", "demo_network", *FEW_CASES, *args]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return env


def node_lines(stdout: str) -> dict[str, str]:
    found = {}
    for line in stdout.splitlines():
        match = NODE_LINE.match(line)
        if match:
            assert match["node"] not in found, f"{match['node']} announced twice"
            found[match["node"]] = match["url"]
    return found


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    return tmp_path / "demo"


@pytest.fixture
def base_port() -> int:
    return free_base_port()


def test_check_starts_four_nodes_and_stops_them(var_dir: Path, base_port: int) -> None:
    started = time.monotonic()
    result = subprocess.run(
        command("--check", "--base-port", str(base_port), "--var-dir", str(var_dir)),
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert node_lines(result.stdout) == {
        node_id: f"http://127.0.0.1:{base_port + offset}/" for offset, node_id in enumerate(NODE_IDS)
    }
    # The demo logins table: hub accounts have the hub. prefix, office accounts the country's.
    for username in ("hub.analista", "hub.admin", "gt.fiscal", "sv.fiscal", "sv.auditor", "hn.juez"):
        assert re.search(rf"^{re.escape(username)}\s+vinculo-demo\s", result.stdout, re.MULTILINE), username
    assert not re.search(r"^hub\.fiscal\b", result.stdout, re.MULTILINE), "the hub has no case-facing roles"
    assert "second factor is waived" in result.stdout
    assert "Warning" not in result.stderr
    for node_id in NODE_IDS:
        assert f"{node_id}: sign-in page" in result.stderr
        # --check waits for the cases added in the background before it checks.
        assert (f"{node_id}: all synthetic cases are in place." in result.stderr) == (node_id != "CCCMP-HUB")
        # Each office's demo prosecutor asked the other two; among two cases no traveller the demo planted
        # elsewhere, so two persons nobody holds and a phone number: six answers, no hit.
        asked = re.search(rf"^{node_id}: \d+ queries sent \(repeats included\) to .*; answers: 6 no-hit\.$",
                          result.stderr, re.MULTILINE)  # fmt: skip
        assert (asked is not None) == (node_id != "CCCMP-HUB"), result.stderr
        directory = var_dir / node_id
        assert (directory / "vinculo.sqlite3").is_file()
        assert (directory / "server.log").read_text(encoding="utf-8").count("GET /api/v1/node") >= 1
        assert stat.S_IMODE((directory / "secret-key").stat().st_mode) == 0o600
    # Everything was stopped: the ports are free again.
    assert all(_free(base_port + offset) for offset in range(4))
    assert elapsed < 90, f"demo_network --check took {elapsed:.0f} s"


@pytest.fixture
def running_network(var_dir: Path, base_port: int) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    process = subprocess.Popen(
        command("--base-port", str(base_port), "--var-dir", str(var_dir)),
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: dict[str, str] = {}
        deadline = time.monotonic() + 120
        assert process.stdout is not None
        while len(lines) < len(NODE_IDS) and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.update(node_lines(line.rstrip("\n")))
        assert len(lines) == len(NODE_IDS), f"only {lines} announced; stderr:\n{process.stderr.read()}"  # type: ignore[union-attr]
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def test_ctrl_c_stops_every_node_and_exits_0(
    running_network: tuple[subprocess.Popen[str], dict[str, str]], base_port: int
) -> None:
    # SIGTERM goes through the same handler; one signal is enough to keep this file quick.
    process, _lines = running_network
    process.send_signal(signal.SIGINT)
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert "Demo network stopped." in stderr
    assert all(_free(base_port + offset) for offset in range(4))


def test_a_server_that_dies_stops_the_others_and_exits_non_zero(
    running_network: tuple[subprocess.Popen[str], dict[str, str]], var_dir: Path, base_port: int
) -> None:
    process, _lines = running_network
    log = (var_dir / "GT-MP" / "server.log").read_text(encoding="utf-8")
    master = re.search(r"Listening at: http://127\.0\.0\.1:\d+ \((\d+)\)", log)
    assert master, log
    os.kill(int(master[1]), signal.SIGKILL)
    _stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stderr
    assert "GT-MP's server stopped unexpectedly (killed by SIGKILL)" in stderr
    assert all(_free(base_port + offset) for offset in range(4))


def test_a_busy_port_is_refused_with_its_node(var_dir: Path, base_port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", base_port + 2))
        squatter.listen()
        result = subprocess.run(
            command("--check", "--base-port", str(base_port), "--var-dir", str(var_dir)),
            cwd=ROOT,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert f"Port {base_port + 2} (for SV-FGR)" in result.stderr
    assert "already in use" in result.stderr
    assert not node_lines(result.stdout)
    assert not var_dir.exists(), "nothing is set up when a port is taken"
