"""How evidence entries read on the auditor's page."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.utils.translation import gettext as _

from vinculo.evidence.chain import AUDIT_CHECKPOINT, HEAD_RECEIVED, HEAD_SIGNED
from vinculo.evidence.kinds import kind_label
from vinculo.evidence.models import EvidenceEntry

register = template.Library()


@register.filter
def kind_words(kind: str) -> str:
    return kind_label(kind)


def _short(value: Any) -> str:
    return str(value)[:12] + "…"


@register.filter
def facts_summary(entry: EvidenceEntry) -> str:
    """The facts in one line; signed heads and checkpoints by what they name (their tokens are long)."""
    facts = entry.facts
    if entry.kind == HEAD_SIGNED:
        return _("signs entry #%(seq)s · key %(key)s") % {
            "seq": entry.seq - 1,
            "key": _short(facts.get("jwk", {}).get("kid", "")),
        }
    if entry.kind == HEAD_RECEIVED:
        text = _("peer's entry #%(seq)s · %(hash)s") % {
            "seq": facts.get("seq"),
            "hash": _short(facts.get("entry_hash")),
        }
        if "conflicts_with" in facts:
            text += " · " + _("conflicts with entry #%(seq)s") % {"seq": facts["conflicts_with"]}
        return text
    if entry.kind == AUDIT_CHECKPOINT:
        return _("audit entry #%(seq)s · %(hash)s") % {
            "seq": facts.get("audit_seq"),
            "hash": _short(facts.get("audit_hash")),
        }
    return json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(", ", ": ")) if facts else ""
