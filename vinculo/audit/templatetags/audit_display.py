"""Short renderings of audit data for the auditor's table."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import template

from vinculo.audit.actions import action_label

register = template.Library()

SHORT_LENGTH = 80


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _pairs(data: Mapping[str, Any] | None) -> str:
    return " ".join(f"{key}={_value_text(value)}" for key, value in sorted((data or {}).items()))


@register.filter
def short_data(data: Mapping[str, Any] | None) -> str:
    """``key=value`` pairs in key order, cut at about 80 characters ("" for no data)."""
    text = _pairs(data)
    if len(text) > SHORT_LENGTH:
        return text[: SHORT_LENGTH - 1].rstrip() + "…"
    return text


@register.filter
def is_long_data(data: Mapping[str, Any] | None) -> bool:
    return len(_pairs(data)) > SHORT_LENGTH


@register.filter
def full_data(data: Mapping[str, Any] | None) -> str:
    """The data as indented JSON (shown when the short form had to be cut)."""
    return json.dumps(data or {}, ensure_ascii=False, sort_keys=True, indent=2)


@register.filter
def action_words(code: str) -> str:
    """What an action code means, in the reader's language."""
    return action_label(code)
