"""The auditor's filter form (labels in both languages; bad input becomes form errors)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.audit.selectors import TrailCriteria


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        # The browser's date picker sends and expects ISO dates whatever the page's language.
        super().__init__(format="%Y-%m-%d")


class AuditFilterForm(forms.Form):
    username = forms.CharField(label=_("Actor"), required=False, max_length=200)
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": _("auth.login or auth."), "spellcheck": "false"}),
    )
    office = forms.CharField(label=_("Office"), required=False, max_length=20)
    target_type = forms.CharField(label=_("Target type"), required=False, max_length=64)
    target_id = forms.CharField(label=_("Target"), required=False, max_length=64)
    request_id = forms.CharField(
        label=_("Request id"), required=False, max_length=64, widget=forms.TextInput(attrs={"spellcheck": "false"})
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def criteria(self) -> TrailCriteria:
        """The cleaned filters as the selectors take them (call after is_valid())."""
        data = self.cleaned_data
        return TrailCriteria(
            username=data["username"],
            action=data["action"],
            office=data["office"],
            target_type=data["target_type"],
            target_id=data["target_id"],
            request_id=data["request_id"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )

    def described(self) -> dict[str, str]:
        """The filters that were given, as text (what the audit entry of a view or export records)."""
        described: dict[str, str] = {}
        for name, value in self.criteria().items():
            if isinstance(value, date):
                described[name] = value.isoformat()
            elif value:
                described[name] = str(value)
        return described

    def submitted(self) -> dict[str, str]:
        """What was typed into the filters, valid or not, shortened (for the audit entry of a refused filter)."""
        return {name: str(self.data[name])[:100] for name in self.fields if self.data.get(name)}
