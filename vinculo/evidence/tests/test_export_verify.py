"""Export the log, then verify the file offline: intact, and every kind of tampering named by its entry."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from vinculo.audit import services as audit
from vinculo.evidence import services
from vinculo.evidence.chain import GENESIS_HASH, HEAD_SIGNED, Head, hash_document
from vinculo.evidence.tests.conftest import export_to, read_lines, signed_directory, write_lines, write_log
from vinculo.evidence.verify import Unreadable, Verdict, verify_file
from vinculo.federation.envelope import SigningKey, sign_document

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def exported(tmp_path: Path, node_key: SigningKey) -> Path:
    """Entries #1-#6 (three exchanges), a signed head at #7, four more entries, then the export's own
    head: #12 an audit checkpoint, #13 the head signing #12."""
    write_log(2)
    audit.record(action="test.step", actor=None)
    services.sign_head()
    write_log(1)
    return export_to(tmp_path / "evidence.jsonl")


def entry_lines(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    objects = read_lines(path)
    return objects[0], objects[1:-1], objects[-1]


def rechain(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a forger without the node's key does after an edit: recompute every hash and link."""
    previous = GENESIS_HASH
    for entry in entries:
        entry["prev"] = previous
        entry["hash"] = previous = hash_document({name: value for name, value in entry.items() if name != "hash"})
    return entries


def save(path: Path, header: dict[str, Any], entries: list[dict[str, Any]], trailer: dict[str, Any]) -> Path:
    return write_lines(path, [header, *entries, trailer])


def broken(path: Path, **options: Any) -> Verdict:
    verdict = verify_file(str(path), **options)
    assert not verdict.is_intact
    return verdict


def test_the_export_verifies_and_the_latest_signed_head_covers_it(exported: Path, node_key: SigningKey) -> None:
    header, entries, trailer = entry_lines(exported)
    assert header["node"] == settings.NODE_ID
    assert header["entries"] == len(entries) == 13
    assert header["signing_keys"] == [node_key.public_jwk()]
    assert [entry["seq"] for entry in entries] == list(range(1, 14))
    assert trailer == {"signed_head": entries[-1]["facts"]["token"]}
    assert os.stat(exported).st_mode & 0o077 == 0

    verdict = verify_file(str(exported))

    assert verdict.is_intact, verdict.reason
    assert (verdict.checked, verdict.signed_seq, verdict.signing_key) == (13, 12, node_key.thumbprint())
    assert verdict.last_hash == entries[-1]["hash"]
    call_command("evidence", "verify", str(exported))  # raises CommandError unless intact


def test_editing_an_entry_names_it(exported: Path, tmp_path: Path) -> None:
    header, entries, trailer = entry_lines(exported)
    entries[2]["peer"] = "HN-MP"
    verdict = broken(save(tmp_path / "edited.jsonl", header, entries, trailer))
    assert (verdict.code, verdict.first_bad_seq, verdict.line) == ("edited", 3, 4)
    assert verdict.reason.startswith("entry #3 (line 4): edited")


def test_an_edit_whose_hash_was_recomputed_breaks_the_link_to_the_next_entry(exported: Path, tmp_path: Path) -> None:
    header, entries, trailer = entry_lines(exported)
    entries[2]["facts"] = {"attempt": 2}
    entries[2]["hash"] = hash_document({name: value for name, value in entries[2].items() if name != "hash"})
    verdict = broken(save(tmp_path / "edited.jsonl", header, entries, trailer))
    assert (verdict.code, verdict.first_bad_seq) == ("unlinked", 4)


def test_deleting_an_entry_names_it(exported: Path, tmp_path: Path) -> None:
    header, entries, trailer = entry_lines(exported)
    del entries[3]
    verdict = broken(save(tmp_path / "deleted.jsonl", header, entries, trailer))
    assert (verdict.code, verdict.first_bad_seq) == ("missing", 4)
    assert "deleted" in verdict.reason


@pytest.mark.parametrize(("moved", "to"), [(2, 3), (1, 10), (8, 2)])
def test_reordering_entries_names_the_first_one_out_of_place(
    exported: Path, tmp_path: Path, moved: int, to: int
) -> None:
    header, entries, trailer = entry_lines(exported)
    entries.insert(to, entries.pop(moved))
    verdict = broken(save(tmp_path / "reordered.jsonl", header, entries, trailer))
    first_moved = min(moved, to) + 1
    assert (verdict.code, verdict.first_bad_seq) == ("reordered", first_moved)
    assert verdict.line == 1 + 1 + entries.index(next(e for e in entries if e["seq"] == first_moved))


def test_a_copied_line_is_named_where_it_comes_again(exported: Path, tmp_path: Path) -> None:
    header, entries, trailer = entry_lines(exported)
    entries.insert(5, dict(entries[1]))
    verdict = broken(save(tmp_path / "copied.jsonl", header, entries, trailer))
    assert (verdict.code, verdict.first_bad_seq, verdict.line) == ("duplicate", 2, 7)


def test_an_inserted_entry_is_named(exported: Path, tmp_path: Path) -> None:
    header, entries, trailer = entry_lines(exported)
    forged = {**entries[3], "message_id": "0b7e4c1a-5f7d-4a8e-9c1e-2d3f4a5b6c7d", "prev": entries[3]["hash"]}
    forged["seq"] = 5
    forged["hash"] = hash_document({name: value for name, value in forged.items() if name != "hash"})
    entries.insert(4, forged)
    verdict = broken(save(tmp_path / "inserted.jsonl", header, entries, trailer))
    # The forged #5 links well to #4; the real #5 after it is where the file stops adding up.
    assert (verdict.code, verdict.first_bad_seq) == ("duplicate", 5)


def test_a_chain_rewritten_without_the_node_key_no_longer_matches_its_signed_head(
    exported: Path, tmp_path: Path
) -> None:
    header, entries, trailer = entry_lines(exported)
    entries[1]["facts"] = {"attempt": 5}
    verdict = broken(save(tmp_path / "rewritten.jsonl", header, rechain(entries), trailer))
    assert (verdict.code, verdict.first_bad_seq) == ("head_mismatch", 8)
    assert "rewritten" in verdict.reason


def test_a_forged_head_signature_is_caught(exported: Path, tmp_path: Path, node_id: str) -> None:
    header, entries, trailer = entry_lines(exported)
    head = entries[7]
    assert head["kind"] == HEAD_SIGNED
    claims = Head(node=node_id, seq=7, entry_hash=entries[6]["hash"], signed_at=1767225600).claims()
    head["facts"]["token"] = sign_document(claims, SigningKey.generate(), kind="evidence-head")
    verdict = broken(save(tmp_path / "forged.jsonl", header, rechain(entries), trailer))
    assert (verdict.code, verdict.first_bad_seq) == ("bad_head_signature", 8)


def test_a_damaged_head_signature_is_caught(exported: Path, tmp_path: Path) -> None:
    header, entries, trailer = entry_lines(exported)
    token = entries[7]["facts"]["token"]
    entries[7]["facts"]["token"] = token[:-10] + ("A" if token[-10] != "A" else "B") + token[-9:]
    verdict = broken(save(tmp_path / "damaged.jsonl", header, rechain(entries), trailer))
    assert (verdict.code, verdict.first_bad_seq) == ("bad_head_signature", 8)


def test_a_log_signed_again_with_another_key_is_caught_by_the_header_and_the_directory(
    exported: Path, tmp_path: Path, node_key: SigningKey, node_id: str
) -> None:
    header, entries, trailer = entry_lines(exported)
    forger = SigningKey.generate()
    for entry in entries:
        if entry["kind"] == HEAD_SIGNED:
            claims = Head(node=node_id, seq=entry["seq"] - 1, entry_hash="0" * 64, signed_at=1767225600).claims()
            entry["facts"] = {"token": "", "jwk": forger.public_jwk(), "_claims": claims}
    previous = GENESIS_HASH
    for entry in entries:  # rechained, each head signed anew by the forger over the rewritten chain
        if entry["kind"] == HEAD_SIGNED:
            claims = {**entry["facts"].pop("_claims"), "entry_hash": previous}
            entry["facts"]["token"] = sign_document(claims, forger, kind="evidence-head")
        entry["prev"] = previous
        entry["hash"] = previous = hash_document({name: value for name, value in entry.items() if name != "hash"})
    trailer = {"signed_head": entries[-1]["facts"]["token"]}

    verdict = broken(save(tmp_path / "resigned.jsonl", header, entries, trailer))
    assert (verdict.code, verdict.first_bad_seq) == ("unknown_key", 13)

    header["signing_keys"] = [forger.public_jwk()]
    forged = save(tmp_path / "resigned-header.jsonl", header, entries, trailer)
    assert verify_file(str(forged)).is_intact  # the file alone cannot tell: the directory can
    hub = SigningKey.generate()
    directory = signed_directory(hub, {node_id: node_key})
    verdict = broken(forged, directory=directory, hub_key=hub.thumbprint())
    assert (verdict.code, verdict.first_bad_seq) == ("unknown_key", 13)
    assert "directory" in verdict.reason


def test_the_directory_confirms_the_node_key(exported: Path, node_key: SigningKey, node_id: str) -> None:
    hub = SigningKey.generate()
    directory = signed_directory(hub, {node_id: node_key, "GT-MP": SigningKey.generate()})

    verdict = verify_file(str(exported), directory=directory, hub_key=hub.thumbprint())

    assert verdict.is_intact, verdict.reason
    assert any("directory" in note for note in verdict.notes)
    verdict = broken(exported, directory=directory, hub_key=SigningKey.generate().thumbprint())
    assert verdict.code == "directory"
    impostor = SigningKey.generate()
    forged_directory = signed_directory(impostor, {node_id: node_key})
    assert broken(exported, directory=forged_directory, hub_key=hub.thumbprint()).code == "directory"


@pytest.mark.parametrize(
    ("cut", "code", "seq"),
    [
        ("trailer", "trailer", None),
        ("last entries", "truncated", 12),
        ("other trailer", "trailer", 13),
    ],
)
def test_a_file_cut_short_or_with_another_trailer_is_caught(
    exported: Path, tmp_path: Path, cut: str, code: str, seq: int | None
) -> None:
    header, entries, _trailer = entry_lines(exported)
    if cut == "trailer":
        objects = [header, *entries]
    elif cut == "last entries":
        objects = [header, *entries[:-2], {"signed_head": entries[7]["facts"]["token"]}]
    else:
        objects = [header, *entries, {"signed_head": entries[7]["facts"]["token"]}]
    verdict = broken(write_lines(tmp_path / "cut.jsonl", objects))
    assert (verdict.code, verdict.first_bad_seq) == (code, seq)


def test_a_line_that_is_not_json_is_named(exported: Path, tmp_path: Path) -> None:
    lines = exported.read_text().splitlines(keepends=True)
    lines[5] = lines[5][:40] + "\n"
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text("".join(lines))
    verdict = broken(damaged)
    assert (verdict.code, verdict.line) == ("malformed", 6)


def test_a_file_that_is_not_an_export_cannot_be_verified(tmp_path: Path) -> None:
    other = tmp_path / "other.jsonl"
    other.write_text('{"seq": 1}\n')
    with pytest.raises(Unreadable, match="header"):
        verify_file(str(other))
    with pytest.raises(CommandError, match="Cannot verify") as refused:
        call_command("evidence", "verify", str(other))
    assert refused.value.returncode == 2


def test_the_command_exits_non_zero_naming_the_first_bad_entry(exported: Path, tmp_path: Path) -> None:
    header, entries, trailer = entry_lines(exported)
    del entries[3]
    damaged = save(tmp_path / "deleted.jsonl", header, entries, trailer)
    with pytest.raises(CommandError, match=r"BROKEN at entry #4") as refused:
        call_command("evidence", "verify", str(damaged))
    assert refused.value.returncode == 1


def test_an_export_without_node_keys_still_verifies_and_says_it_has_no_signed_head(tmp_path: Path) -> None:
    write_log(1)
    path = export_to(tmp_path / "unsigned.jsonl")
    header, _entries, trailer = entry_lines(path)
    assert (header["signing_keys"], trailer) == ([], {"signed_head": None})
    verdict = verify_file(str(path))
    assert verdict.is_intact
    assert verdict.signed_seq is None
    assert "no signed head" in verdict.notes[0]


def run_verifier(*arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -m vinculo.evidence.verify`` in a process with no Django settings at all."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO", "VINCULO"))}
    script = (
        "import runpy, sys\n"
        "sys.argv = ['verify', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('vinculo.evidence.verify', run_name='__main__')\n"
        "finally:\n"
        "    loaded = sorted(name for name in sys.modules if name == 'django' or name.startswith('django.'))\n"
        "    print('django modules:', loaded, file=sys.stderr)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_verifier_runs_without_django(exported: Path, tmp_path: Path, node_key: SigningKey, node_id: str) -> None:
    hub = SigningKey.generate()
    directory = tmp_path / "directory.jws"
    directory.write_text(signed_directory(hub, {node_id: node_key}) + "\n")

    intact = run_verifier(str(exported), "--directory", str(directory), "--hub-key", hub.thumbprint())

    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.startswith("Evidence log intact: 13 entries")
    assert "django modules: []" in intact.stderr

    header, entries, trailer = entry_lines(exported)
    entries[4], entries[5] = entries[5], entries[4]
    swapped = run_verifier(str(save(tmp_path / "swapped.jsonl", header, entries, trailer)))
    assert swapped.returncode == 1
    assert "BROKEN at entry #5" in swapped.stderr
    assert "out of order" in swapped.stderr
