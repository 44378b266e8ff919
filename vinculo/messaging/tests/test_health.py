"""The delivery-health rules (pure) and the words for every refusal code."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vinculo.federation import directory
from vinculo.federation.wire import REFUSAL_CODES
from vinculo.messaging import health
from vinculo.messaging.health import State, Traffic, state_of
from vinculo.messaging.refusal_codes import REFUSAL_LABELS
from vinculo.messaging.services import inbox, refusal_limits

NOW = datetime(2026, 9, 21, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


@pytest.mark.parametrize(
    ("traffic", "state"),
    [
        (Traffic(), State.HEALTHY),
        (Traffic(delivered=5, last_delivered_at=ago(hours=1)), State.HEALTHY),
        (Traffic(pending=1, oldest_pending_at=ago(minutes=5)), State.HEALTHY),
        (Traffic(pending=1, oldest_pending_at=ago(minutes=16)), State.DELAYED),
        (Traffic(pending=3, oldest_pending_at=ago(hours=6, seconds=1)), State.FAILING),
        (Traffic(failed=1, last_failure_queued_at=ago(days=8)), State.FAILING),
        (Traffic(failed=1, last_failure_queued_at=ago(days=8), last_delivered_at=ago(days=9)), State.FAILING),
        (Traffic(failed=1, last_failure_queued_at=ago(days=8), last_delivered_at=ago(hours=1)), State.HEALTHY),
        (Traffic(last_failure_queued_at=ago(days=8), last_delivered_at=ago(hours=1)), State.HEALTHY),
        (Traffic(last_delivered_at=ago(hours=1), oldest_pending_at=ago(minutes=30)), State.DELAYED),
    ],
)
def test_the_state_follows_the_documented_rules(traffic: Traffic, state: State) -> None:
    assert state_of(traffic, now=NOW) is state


def test_the_rules_module_is_pure() -> None:
    source = Path(health.__file__).read_text(encoding="utf-8")
    assert "django" not in source


def _codes_in_protocol() -> set[str]:
    """The refusal codes docs/protocol.md §5 names: its table's last column and the inbox's paragraph."""
    text = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = text.split("## 5. ")[1].split("## 6. ")[0]
    cells = [line.rsplit("|", 2)[-2] for line in section.splitlines() if line.startswith("| ")]
    inbox_paragraph = section.split("**The inbox's own refusal codes**")[1].split("\n\n")[0]
    # In the table, parentheses say why (`malformed` (low-order `epk`)); the codes stand outside them.
    named = re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", " ".join(cells)) + inbox_paragraph)
    return set(named) - {"code", "detail"}


def test_every_refusal_code_has_words() -> None:
    in_source = set(re.findall(r'_refuse\(\s*data,\s*"([a-z_]+)"', Path(inbox.__file__).read_text(encoding="utf-8")))
    uploads = Path(inbox.__file__).with_name("blob_uploads.py").read_text(encoding="utf-8")
    # The inbox refuses envelopes with the attachment codes; the upload endpoints' other codes stay there.
    in_source |= {code for code in re.findall(r'UploadRefused\(\s*"([a-z_]+)"', uploads) if code.startswith("attach")}
    codes = (
        set(REFUSAL_CODES)
        | set(directory.UNAVAILABLE_MESSAGES)
        | {"suspended_sender", inbox.REPLAY, refusal_limits.RATE_LIMITED}
        | in_source
        | _codes_in_protocol()
    )
    assert {"type_not_allowed", "rate_limited", "replay", "too_large", "attachment_incomplete"} <= codes, "the scan"
    assert codes - set(REFUSAL_LABELS) == set()
