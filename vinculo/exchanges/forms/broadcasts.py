"""Forms of spontaneous information and alerts: sending one, and passing a received one on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.exchanges.forms.common import (
    LANGUAGES,
    CaseNumberMixin,
    HandlingForm,
    case_number_field,
    office_choices,
    set_choices,
)
from vinculo.exchanges.models import AlertCategory, BroadcastKind
from vinculo.exchanges.selectors import OfficeToAsk
from vinculo.exchanges.services.broadcasts import CATEGORY_NEEDED

KINDS = [
    (BroadcastKind.INFORMATION.value, _("Spontaneous information: something another office should know")),
    (BroadcastKind.ALERT.value, _("Alert: a person is at risk or something happens now; each office acknowledges it")),
]


class BroadcastForm(CaseNumberMixin, HandlingForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=KINDS, widget=forms.RadioSelect)
    recipients = forms.MultipleChoiceField(label=_("Offices"), required=False, widget=forms.CheckboxSelectMultiple)
    all_offices = forms.BooleanField(
        label=_("All the offices of the network"),
        required=False,
        help_text=_("Every active office listed here, whichever are ticked above."),
    )
    category = forms.ChoiceField(
        label=_("What the alert is about"),
        required=False,
        choices=[("", _("Choose…")), *AlertCategory.choices],
        help_text=_("Needed for an alert."),
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=160,
        help_text=_("A short label for lists. Write no names or identifiers here."),
    )
    text = forms.CharField(
        label=_("What you tell the other offices"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("It travels sealed; at each office the people who work on exchanges read it."),
    )
    language = forms.ChoiceField(label=_("Language of the text"), choices=LANGUAGES)
    purpose = forms.CharField(
        label=_("Purpose"),
        required=False,
        max_length=500,
        help_text=_("What the information may be used for; needed with H0."),
    )
    case = case_number_field()

    field_order = [
        "kind", "recipients", "all_offices", "category", "subject", "text", "language",
        "handling", "purpose", "conditions", "source_grade", "information_grade", "case",
    ]  # fmt: skip

    def __init__(self, *args: Any, user: User, offices: list[OfficeToAsk], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        set_choices(self, "recipients", office_choices(offices))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("all_offices"):
            data["recipients"] = [code for code, _name in self.fields["recipients"].choices]  # type: ignore[attr-defined]
        if not data.get("recipients") and "recipients" not in self.errors:
            self.add_error("recipients", _("Choose at least one office, or all of them."))
        if data.get("kind") == BroadcastKind.ALERT and not data.get("category"):
            self.add_error("category", CATEGORY_NEEDED)
        if "H0" in set(data.get("handling") or []) and not (data.get("purpose") or "").strip():
            self.add_error("purpose", _("Say what the information is for: H0 limits its use to this purpose."))
        return data


class ForwardForm(forms.Form):
    recipients = forms.MultipleChoiceField(label=_("Offices to pass it on to"), widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(
        label=_("Your note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Goes on top of the original text, which travels with its provider, date and codes."),
    )

    def __init__(self, *args: Any, offices: list[OfficeToAsk], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "recipients", office_choices(offices))
