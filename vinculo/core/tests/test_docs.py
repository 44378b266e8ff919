"""The documentation cannot drift from the code: settings, the permission matrix, the ADRs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vinculo.accounts.roles import permission_matrix_markdown

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = ROOT / "config" / "settings.py"
ENV_EXAMPLE = ROOT / ".env.example"
OPERATOR_DOCS = [ROOT / "README.md", ROOT / "docs" / "operations.md"]
PERMISSIONS_DOC = ROOT / "docs" / "permissions.md"
ADR_DIR = ROOT / "docs" / "adr"

# A call to one of config.env's readers with the variable name as a literal:
# env.bool("VINCULO_DEBUG", False), env.required_str(\n    "VINCULO_NODE_ID", ...).
READER_CALL = re.compile(r"\benv\.([a-z_]+)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
MATRIX_BLOCK = re.compile(r"<!-- matrix:start -->(.*?)<!-- matrix:end -->", re.S)
ADR_NAME = re.compile(r"^(\d{4})-[a-z0-9][a-z0-9.-]*\.md$")
ADR_TITLE = re.compile(r"^# (\d{4})\. \S")
ADR_STATUS = re.compile(r"^Status: (?:Proposed|Accepted|Deprecated|Superseded by \d{4}\b.*)$", re.M)


def _settings_variables() -> dict[str, str]:
    """Every variable config/settings.py reads, mapped to the reader that reads it."""
    source = SETTINGS.read_text(encoding="utf-8")
    found = {name: reader for reader, name in READER_CALL.findall(source)}
    found.setdefault("DATABASE_URL", "required_str")
    return found


def _mentions(text: str, name: str) -> bool:
    """``name`` as a whole variable name (VINCULO_SECRET_KEY_FILE does not mention VINCULO_SECRET_KEY)."""
    return re.search(rf"(?<![A-Z0-9_]){re.escape(name)}(?![A-Z0-9_])", text) is not None


def _assigned_in_env_example(text: str, name: str) -> bool:
    return re.search(rf"^#?\s*{re.escape(name)}=", text, re.M) is not None


def test_the_settings_scan_finds_the_variables_it_should() -> None:
    # Guards the regular expression itself: if settings.py changes shape, fail here rather
    # than pass the checks below with nothing to check.
    found = _settings_variables()
    for name in ("VINCULO_ENVIRONMENT", "VINCULO_NODE_ID", "VINCULO_SECRET_KEY", "DATABASE_URL"):
        assert name in found, name
    assert found["VINCULO_SECRET_KEY"] == "secret"
    assert len(found) >= 20


def test_every_setting_is_in_env_example() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    missing = []
    for name, reader in sorted(_settings_variables().items()):
        wanted = [name, f"{name}_FILE"] if reader == "secret" else [name]
        missing += [each for each in wanted if not _assigned_in_env_example(text, each)]
    assert not missing, f".env.example lacks a NAME= line for: {', '.join(missing)}"


def test_every_setting_is_documented_for_operators() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in OPERATOR_DOCS)
    missing = [name for name in sorted(_settings_variables()) if not _mentions(text, name)]
    assert not missing, f"README.md and docs/operations.md do not mention: {', '.join(missing)}"


def test_published_permission_matrix_is_generated_from_the_code() -> None:
    document = PERMISSIONS_DOC.read_text(encoding="utf-8")
    blocks = MATRIX_BLOCK.findall(document)
    assert len(blocks) == 1, "docs/permissions.md needs exactly one <!-- matrix:start/end --> block"
    assert blocks[0].strip() == permission_matrix_markdown().strip(), (
        "docs/permissions.md is stale: paste the output of `vinculo permissions` between the markers"
    )


ADR_FILES = sorted(path for path in ADR_DIR.glob("*.md") if path.name != "README.md")


def test_there_are_decision_records() -> None:
    assert ADR_FILES, "docs/adr/ has no records"
    numbers = [ADR_NAME.match(path.name) for path in ADR_FILES]
    assert all(numbers), [path.name for path, match in zip(ADR_FILES, numbers, strict=True) if not match]
    values = [match.group(1) for match in numbers if match]
    assert len(values) == len(set(values)), "two decision records share a number"


@pytest.mark.parametrize("path", ADR_FILES, ids=[path.name for path in ADR_FILES])
def test_each_decision_record_has_a_title_and_a_status(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines, f"{path.name} is empty"
    title = ADR_TITLE.match(lines[0])
    assert title is not None, f"{path.name}: the first line must be '# NNNN. Title'"
    assert path.name.startswith(title.group(1) + "-"), f"{path.name}: title number differs from the file name"
    assert ADR_STATUS.search("\n".join(lines)), f"{path.name}: no 'Status: Accepted' (or Proposed, ...) line"
