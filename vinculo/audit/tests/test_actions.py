"""Every action code the code records is described for auditors, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from django.utils import translation

from vinculo.audit.actions import ACTION_LABELS, action_label

ROOT = Path(__file__).resolve().parents[2]
RECORDED = re.compile(r'action="([a-z_]+\.[a-z_]+)"')


def _recorded_codes() -> set[str]:
    codes: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if "record(" in text:
            codes |= set(RECORDED.findall(text))
    return codes


def test_every_recorded_action_has_a_label() -> None:
    codes = _recorded_codes()
    assert {"auth.login", "user.created", "audit.exported"} <= codes
    assert codes <= set(ACTION_LABELS), sorted(codes - set(ACTION_LABELS))


def test_labels_are_translated() -> None:
    with translation.override("es"):
        assert action_label("auth.login") == "Inició sesión"
    with translation.override("en"):
        assert action_label("auth.login") == "Signed in"
    assert action_label("future.thing") == "future.thing"
