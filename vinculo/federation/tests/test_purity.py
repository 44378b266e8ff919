"""The envelope core stays pure: no Django, importable and usable in a process without settings."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from config.env import NODE_ID_PATTERN
from vinculo.federation.envelope import MEMBER_ID

PACKAGE = Path(__file__).resolve().parents[1]
ROOT = PACKAGE.parents[1]
CORE = ("jose.py", "jwk.py", "wire.py", "signed.py", "envelope.py")
ALLOWED_ROOTS = {
    "__future__",
    "base64",
    "binascii",
    "collections",
    "dataclasses",
    "hashlib",
    "json",
    "os",
    "re",
    "struct",
}
ALLOWED_ROOTS |= {"typing", "cryptography", "vinculo"}


def test_the_core_imports_only_the_standard_library_cryptography_and_itself() -> None:
    for name in CORE:
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        for statement in ast.walk(tree):
            if isinstance(statement, ast.Import):
                modules = [alias.name for alias in statement.names]
            elif isinstance(statement, ast.ImportFrom):
                modules = [statement.module or ""]
            else:
                continue
            for module in modules:
                assert module.split(".")[0] in ALLOWED_ROOTS, f"{name} imports {module}"
                if module.startswith("vinculo"):
                    assert module.startswith("vinculo.federation."), f"{name} imports {module}"
                    assert module.rsplit(".", 1)[1] + ".py" in CORE, f"{name} imports {module}"


def test_the_core_seals_and_opens_in_a_process_without_django() -> None:
    script = """
import sys, uuid
from vinculo.federation.envelope import EncryptionKey, Header, SigningKey, open_envelope, seal
sv, gt = SigningKey.generate(), EncryptionKey.generate()
header = Header(id=str(uuid.uuid4()), type="ping", sender="SV-FGR", recipient="GT-MP", created_at=0,
                sender_key=sv.thumbprint(), recipient_key=gt.thumbprint())
data = seal(header, b"ok", signing_key=sv, recipient_key=gt.recipient_key)
opened = open_envelope(data, recipient_id="GT-MP", recipient_key=gt, sender_keys=lambda m, k: sv.verify_key,
                       now=0, max_bytes=4096)
loaded = sorted(name for name in sys.modules if name == "django" or name.startswith("django."))
print(opened.payload.decode(), loaded)
"""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO")}

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok []"


def test_member_ids_follow_the_node_id_rule_of_the_settings() -> None:
    assert MEMBER_ID.pattern == NODE_ID_PATTERN.pattern.replace("^", "").replace("$", "")
