"""The log as one self-contained file, which ``verify.py`` checks offline (format in its docstring).

Lines are written lazily, a batch of rows at a time, so a long log is never held in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from vinculo.evidence.chain import HEAD_SIGNED, timestamp
from vinculo.evidence.models import EvidenceEntry, EvidenceHead
from vinculo.evidence.verification import HEAD_PK, stored_documents
from vinculo.evidence.verify import FORMAT, FORMAT_VERSION
from vinculo.federation.jose import canonical_json


def _line(obj: dict[str, Any]) -> str:
    return canonical_json(obj).decode("utf-8") + "\n"


@dataclass(frozen=True)
class Export:
    """What an export will hold (decided when it starts) and its lines."""

    count: int
    signed_seq: int | None
    lines: Iterator[str]


def prepare(*, current_jwk: dict[str, str] | None = None) -> Export:
    """The log as it stands now: entries up to the head row read here, whatever is appended meanwhile.

    The header lists the public key of every head in the log, plus ``current_jwk`` (the node's
    signing key now), so that heads signed before a key rotation can be checked too.
    """
    counted = EvidenceHead.objects.filter(pk=HEAD_PK).values_list("seq", flat=True).first() or 0
    heads = EvidenceEntry.objects.filter(kind=HEAD_SIGNED, seq__lte=counted).order_by("seq")
    keys: dict[str, dict[str, str]] = {}
    latest: tuple[int, str] | None = None
    for seq, facts in heads.values_list("seq", "facts").iterator():
        keys.setdefault(facts["jwk"]["kid"], facts["jwk"])
        latest = (seq, facts["token"])
    if current_jwk is not None:
        keys.setdefault(current_jwk["kid"], current_jwk)
    header = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "node": settings.NODE_ID,
        "exported_at": timestamp(timezone.now()),
        "entries": counted,
        "signing_keys": list(keys.values()),
    }

    def lines() -> Iterator[str]:
        yield _line(header)
        for document in stored_documents(up_to_seq=counted):
            yield _line(document)
        yield _line({"signed_head": latest[1] if latest else None})

    return Export(count=counted, signed_seq=latest[0] - 1 if latest else None, lines=lines())


def filename(*, at: datetime | None = None) -> str:
    """For example vinculo-evidence-SV-FGR-20261128T044600Z.jsonl (the node id and the time in UTC)."""
    moment = (at or timezone.now()).astimezone(UTC)
    return f"vinculo-evidence-{settings.NODE_ID}-{moment:%Y%m%dT%H%M%SZ}.jsonl"
