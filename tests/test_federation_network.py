"""Messages between real node processes on loopback: the demo network's nodes, servers and workers.

SV-FGR queues a delivery test for GT-MP; SV's worker seals it, posts it to GT's inbox over HTTP,
and accepts GT's signed receipt. Both nodes' evidence logs then verify.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.test_demo_network import ROOT, base_port, running_network, var_dir  # noqa: F401 - fixtures
from vinculo.demo.management.commands.demo_network import NODES, Node, node_environment

# Like the demo network's own tests: the nodes use their own SQLite databases, so this runs in the SQLite pass.
pytestmark = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="the demo's nodes use their own SQLite databases; run in the SQLite pass"
)


def node_env(directory: Path, port: int, node_id: str) -> dict[str, str]:
    """The environment demo_network gives ``node_id``, to run its commands from outside."""
    spec = next(spec for spec in NODES if spec.node_id == node_id)
    node = Node(spec, port + spec.port_offset, directory / node_id)
    env = node_environment(node, dict(os.environ))
    hub = directory / "CCCMP-HUB" / "public-keys.json"
    env["VINCULO_HUB_URL"] = f"http://127.0.0.1:{port}/"
    env["VINCULO_HUB_KEY"] = json.loads(hub.read_text(encoding="utf-8"))["signing_key"]["kid"]
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_message_goes_from_one_node_to_another_with_a_signed_receipt(
    running_network: tuple[subprocess.Popen[str], dict[str, str]],  # noqa: F811
    var_dir: Path,  # noqa: F811
    base_port: int,  # noqa: F811
) -> None:
    sv, gt = node_env(var_dir, base_port, "SV-FGR"), node_env(var_dir, base_port, "GT-MP")
    queued = run(sv, "messaging", "ping", "GT-MP")
    assert queued.returncode == 0, queued.stderr
    deadline = time.monotonic() + 90
    status = ""
    while time.monotonic() < deadline:
        status = run(sv, "messaging", "status").stdout
        if "delivered" in status:
            break
        time.sleep(1)
    assert "out GT-MP" in status
    assert "delivered" in status, status
    query = (
        "from vinculo.messaging.models import InboundMessage as M; "
        "print(M.objects.filter(sender='SV-FGR', type='system.ping').count(), "
        "M.objects.filter(processed_at__isnull=True).count())"
    )
    received = run(gt, "shell", "--no-imports", "-c", query)
    assert received.stdout.split() == ["1", "0"], received.stdout + received.stderr
    for env in (sv, gt):
        verified = run(env, "evidence", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
