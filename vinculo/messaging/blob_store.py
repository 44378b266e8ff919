"""Where attachments' encrypted chunks live: files under ``VINCULO_ATTACHMENT_DIR``, never the database.

    out/<blob>/<index>                       chunks this node sends, until the message is delivered
    in/<sender>/<blob>/<index>.<sha256>      chunks received from a peer

Every file holds ciphertext only (the keys are in envelopes, or sealed in the vault). Directories
are created readable by the node's user only. A file is written under a temporary name in its
own directory, flushed to disk, then renamed, so a name always stands for a whole chunk; a crash
leaves at most a temporary file, which the clean-up removes. Names are built only from checked
values (member ids, UUIDs, integers, hex digests).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from vinculo.federation.blobs import Readable

PIECE_BYTES = 256 * 1024
TEMPORARY_PREFIX = ".part-"


def root() -> Path:
    return Path(settings.ATTACHMENT_DIR)


def outgoing_dir(blob: str) -> Path:
    return root() / "out" / str(blob)


def outgoing_chunk(blob: str, index: int) -> Path:
    return outgoing_dir(blob) / str(index)


def incoming_dir(sender: str, blob: str) -> Path:
    return root() / "in" / sender / str(blob)


def incoming_chunk(sender: str, blob: str, index: int, sha256: str) -> Path:
    return incoming_dir(sender, blob) / f"{index}.{sha256}"


def make_dir(path: Path) -> Path:
    """The directory, created with its parents, each readable by the node's user only."""
    missing = []
    for parent in (path, *path.parents):
        if parent.exists():
            break
        missing.append(parent)
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)
    return path


def _sync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_chunk(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all, on disk before this returns."""
    descriptor, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def receive_chunk(directory: Path, source: Readable, length: int) -> tuple[Path, str, int]:
    """Stream up to ``length`` bytes from ``source`` into a temporary file in ``directory``.

    Returns the file, the SHA-256 of what was read and how many bytes arrived (fewer when the
    sender hung up); the caller renames the file to its chunk's name or deletes it.
    """
    digest = hashlib.sha256()
    received = 0
    descriptor, temporary = tempfile.mkstemp(prefix=TEMPORARY_PREFIX, dir=make_dir(directory))
    try:
        with os.fdopen(descriptor, "wb") as handle:
            while received < length:
                piece = source.read(min(PIECE_BYTES, length - received))
                if not piece:
                    break
                digest.update(piece)
                handle.write(piece)
                received += len(piece)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return Path(temporary), digest.hexdigest(), received


def keep(temporary: Path, path: Path) -> None:
    """Give a received temporary file its chunk's name (durably)."""
    os.replace(temporary, path)
    _sync_directory(path.parent)


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while piece := handle.read(PIECE_BYTES):
            digest.update(piece)
    return digest.hexdigest()


def remove(path: Path) -> None:
    """Delete a file or a directory tree; nothing to do if it is gone already."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def outgoing_blobs() -> Iterator[tuple[str, Path]]:
    """(blob id, directory) of every outgoing blob on disk."""
    base = root() / "out"
    if base.is_dir():
        for entry in base.iterdir():
            if entry.is_dir():
                yield entry.name, entry


def incoming_blobs() -> Iterator[tuple[str, str, Path]]:
    """(sender, blob id, directory) of every incoming blob on disk."""
    base = root() / "in"
    if base.is_dir():
        for sender in base.iterdir():
            if sender.is_dir():
                for entry in sender.iterdir():
                    if entry.is_dir():
                        yield sender.name, entry.name, entry


def remove_leftovers(directory: Path, *, older_than: float, now: float) -> int:
    """Delete the temporary files a crash left in ``directory`` (a chunk cut off mid-write); how many."""
    removed = 0
    for entry in directory.glob(TEMPORARY_PREFIX + "*"):
        with contextlib.suppress(FileNotFoundError):
            if now - entry.stat().st_mtime > older_than:
                entry.unlink()
                removed += 1
    return removed


def age_seconds(path: Path, now: float) -> float:
    """Seconds since ``path`` (or anything directly in it) last changed."""
    moments = []
    with contextlib.suppress(FileNotFoundError):
        moments.append(path.stat().st_mtime)
        for entry in path.iterdir() if path.is_dir() else ():
            with contextlib.suppress(FileNotFoundError):
                moments.append(entry.stat().st_mtime)
    return now - max(moments, default=now)
