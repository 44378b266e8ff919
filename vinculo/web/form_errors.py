"""Showing a service's refusal on the form that asked for it."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from vinculo.core.errors import DomainError


def show_error_on_form(form: forms.Form, error: DomainError | ValidationError) -> None:
    """A domain refusal goes on top of the form; a model validation error goes on its fields."""
    if isinstance(error, DomainError):
        form.add_error(None, str(error.message))
        return
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)
