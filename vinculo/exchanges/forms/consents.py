"""Forms for what an office does with information it received: file it into a case, ask its
provider to lift H1 or H2; and the provider's answer to such a request."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.cases.models import Case
from vinculo.exchanges.forms.common import CaseNumberMixin, case_number_field, office_choices, set_choices
from vinculo.exchanges.handling import ConsentKind
from vinculo.exchanges.models import ConsentRequest
from vinculo.exchanges.selectors import OfficeToAsk, cases_to_file_in
from vinculo.exchanges.services.consents import CASE_NOT_EDITABLE, RECIPIENT_NEEDED


class FileForm(CaseNumberMixin, forms.Form):
    case = case_number_field(
        label=_("Case"),
        required=True,
        help_text=_("The national number of the case to file it in; it is kept there with its provider and codes."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    # Filing adds a document to the case: only the cases the person may add documents to, not every
    # case they may read (a focal point sees the office's open cases without being on their teams).
    def clean_case(self) -> Case | None:
        case = super().clean_case()  # a number none of their visible cases has: refused as in every case field
        if case is not None and not cases_to_file_in(self.user).filter(pk=case.pk).exists():
            raise forms.ValidationError(CASE_NOT_EDITABLE)
        return case

    def case_numbers(self) -> list[str]:
        """A few of the cases the person may file into, offered while typing a number."""
        found = cases_to_file_in(self.user).order_by("-created_at")
        return list(found.values_list("national_number", flat=True)[:50])


class ConsentAskForm(forms.Form):
    kind = forms.ChoiceField(label=_("What you ask for"), widget=forms.RadioSelect)
    recipient = forms.ChoiceField(
        label=_("Office to pass it on to"),
        required=False,
        help_text=_("Only when asking to pass it on: the consent names one office."),
    )
    reason = forms.CharField(
        label=_("Why you need it"),
        min_length=10,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The provider's focal point reads it and decides."),
    )

    def __init__(self, *args: Any, kinds: list[str], offices: list[OfficeToAsk], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "kind", [(kind, ConsentRequest.KIND_LABELS[kind]) for kind in kinds])
        if len(kinds) == 1:
            self.initial.setdefault("kind", kinds[0])
        if ConsentKind.ONWARD_TRANSMISSION in kinds:
            set_choices(self, "recipient", [("", _("Choose…")), *office_choices(offices)])
        else:
            del self.fields["recipient"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == ConsentKind.ONWARD_TRANSMISSION and not data.get("recipient"):
            self.add_error("recipient", RECIPIENT_NEEDED)
        return data


class ConsentAnswerForm(forms.Form):
    """The provider's focal point grants or refuses (the button pressed says which)."""

    decision = forms.ChoiceField(choices=[("grant", _("Grant")), ("refuse", _("Refuse"))], widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note to the other office"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The other office reads it with your answer; needed when you refuse."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and len((data.get("note") or "").strip()) < 10:
            self.add_error("note", _("Say why you refuse (at least 10 characters)."))
        return data

    @property
    def is_granted(self) -> bool:
        return self.cleaned_data["decision"] == "grant"
