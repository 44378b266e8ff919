"""Model validation without a query per foreign key the service already holds.

``Model.full_clean()`` checks that every foreign key points at an existing row with a SELECT
each. A service that was handed the related objects (a code, a case, a user) has them already;
checking them again costs most of a write's queries. ``validate`` runs the same field checks on
everything else, the model's ``clean()``, and every unique and check constraint.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models


def validate(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> None:
    """``full_clean()``, minus the existence queries for foreign keys set from loaded objects."""
    held = [
        field.name
        for field in instance._meta.concrete_fields
        if field.many_to_one and field.is_cached(instance) and field.get_cached_value(instance) is not None  # type: ignore[attr-defined]
    ]
    errors: dict[str, Any] = {}
    for step in (
        lambda: instance.clean_fields(exclude=[*held, *exclude]),
        instance.clean,
        lambda: instance.validate_unique(exclude=list(exclude)),
        lambda: instance.validate_constraints(exclude=list(exclude)),
    ):
        try:
            step()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
