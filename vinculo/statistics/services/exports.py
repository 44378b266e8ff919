"""Exports of statistics are audited like every export of the node (what, in which tier and format)."""

from __future__ import annotations

from django.db import transaction

from vinculo.accounts.models import User
from vinculo.audit import services as audit
from vinculo.statistics.disclosure import Tier


@transaction.atomic(durable=True)
def record_export(*, by: User, what: str, tier: Tier, file_format: str, snapshot_id: int | None) -> None:
    """Note that ``by`` downloaded ``what`` (a table key, ``sdg``, ``glotip`` or ``regional``)."""
    audit.record(
        action="statistics.exported",
        actor=by,
        data={"what": what, "tier": tier.value, "format": file_format, "snapshot": snapshot_id},
    )
