"""Optimistic locking: a record carries a version number; a save based on an older one is refused.

Two people editing the same record must never silently overwrite each other: the form (or
API call) says which version it was based on, and the service compares under a row lock.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from vinculo.core.errors import DomainError

CHANGED_MEANWHILE = _("Someone else changed this record while you were editing it. Reload the page and try again.")


def lock_at_version[M: models.Model](model: type[M], pk: Any, expected_version: int | None) -> M:
    """The row, locked for update, if it is still at ``expected_version``; otherwise a clear refusal."""
    current = model._default_manager.select_for_update().get(pk=pk)
    if expected_version is None or current.version != expected_version:  # type: ignore[attr-defined]
        raise DomainError(CHANGED_MEANWHILE, code="changed_meanwhile")
    return current
