"""Forms of the information requests' pages: compose a request, filter the list, and each step on a request.

At least one item is checked here first (and everything ``common`` checks), so a person reads it
in their language next to the field; the services still refuse what gets past.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.exchanges.forms.common import (
    LANGUAGES,
    CaseNumberMixin,
    FilesField,
    HandlingForm,
    case_number_field,
    deadline_in_words,
    office_choices,
)
from vinculo.exchanges.lifecycle import Side, Urgency
from vinculo.exchanges.models import InformationRequest, RefusalReason, RequestType
from vinculo.exchanges.selectors import OfficeToAsk

FILES_ONLY_WHEN_SENT = _(
    "Files leave with the request when it is sent: choose “Save and send”, or save the draft without them."
)


class ComposeForm(CaseNumberMixin, HandlingForm):
    counterpart = forms.ChoiceField(label=_("Office asked"))
    request_type = forms.ChoiceField(label=_("Kind of request"), choices=[("", _("Choose…")), *RequestType.choices])
    subject = forms.CharField(
        label=_("Subject"),
        max_length=160,
        help_text=_("A short label for lists. Write no names or identifiers here."),
    )
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        max_length=300,
        help_text=_("The article of the MoU and of national law the request rests on."),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), widget=forms.RadioSelect)
    text = forms.CharField(
        label=_("The request"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What you need and why. It travels sealed and only the people handling it read it."),
    )
    items = forms.CharField(
        label=_("Items requested"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line."),
    )
    language = forms.ChoiceField(label=_("Language of the text"), choices=LANGUAGES)
    purpose = forms.CharField(
        label=_("Purpose"),
        required=False,
        max_length=500,
        help_text=_("What the information will be used for; needed with H0."),
    )
    case = case_number_field()
    # The hit this request follows up (filled from a hit/no-hit answer's "request information" link).
    hit_reference = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    # ``files`` is also the form's attribute for the uploads (the metaclass takes fields off the class).
    files = FilesField(  # type: ignore[assignment]
        label=_("Files"),
        help_text=_("Optional. They travel encrypted with the request; the other office's node checks each one."),
    )

    field_order = [
        "counterpart", "request_type", "subject", "legal_basis", "urgency", "text", "items", "language",
        "handling", "purpose", "conditions", "source_grade", "information_grade", "case", "files", "hit_reference",
    ]  # fmt: skip

    def __init__(
        self,
        *args: Any,
        user: User,
        offices: list[OfficeToAsk],
        deadlines: dict[str, int],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if editing:  # the draft's version, so that two people's changes do not overwrite each other
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
        counterpart = cast(forms.ChoiceField, self.fields["counterpart"])
        counterpart.choices = [("", _("Choose…")), *office_choices(offices)]
        urgency = cast(forms.ChoiceField, self.fields["urgency"])
        urgency.choices = [
            (
                u.value,
                _("%(urgency)s — within %(deadline)s")
                % {"urgency": InformationRequest.URGENCY_LABELS[u], "deadline": deadline_in_words(deadlines[u.value])},
            )
            for u in Urgency
        ]

    def clean_items(self) -> tuple[str, ...]:
        lines = tuple(line.strip() for line in self.cleaned_data["items"].splitlines() if line.strip())
        if not lines:
            raise forms.ValidationError(_("List at least one item, one per line."))
        return lines

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "H0" in set(data.get("handling") or []) and not (data.get("purpose") or "").strip():
            self.add_error("purpose", _("Say what the information is for: H0 limits its use to this purpose."))
        if data.get("files") and self.data.get("then") != "send":
            self.add_error("files", FILES_ONLY_WHEN_SENT)
        return data


class RequestFilterForm(forms.Form):
    side = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[("", _("All")), (Side.OUTGOING.value, _("Sent")), (Side.INCOMING.value, _("Received"))],
    )
    state = forms.ChoiceField(label=_("State"), required=False)
    counterpart = forms.ChoiceField(label=_("Other office"), required=False)

    def __init__(self, *args: Any, offices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        state = cast(forms.ChoiceField, self.fields["state"])
        state.choices = [("", _("All")), ("open", _("Open (not concluded)"))] + [
            (s.value, label) for s, label in InformationRequest.STATE_LABELS.items()
        ]
        cast(forms.ChoiceField, self.fields["counterpart"]).choices = [("", _("All")), *offices]

    def criteria(self) -> dict[str, str]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {name: data.get(name) or "" for name in ("side", "state", "counterpart")}


# --- the steps ------------------------------------------------------------------------------------


class VersionForm(forms.Form):
    """A step that needs nothing but the version of the request the person saw."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class WithdrawForm(VersionForm):
    reason = forms.CharField(
        label=_("Why it is withdrawn"),
        min_length=10,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The other office reads it."),
    )


class ClarifyForm(forms.Form):
    text = forms.CharField(
        label=_("Question or clarification"),
        min_length=3,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The other office reads it in the request's timeline."),
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name)


class AssignForm(VersionForm):
    person = PersonChoiceField(label=_("Prosecutor"), queryset=User.objects.none(), empty_label=_("Choose…"))

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PersonChoiceField, self.fields["person"]).queryset = people


class AnswerForm(HandlingForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    text = forms.CharField(label=_("Answer"), max_length=8000, widget=forms.Textarea(attrs={"rows": 6}))
    completeness = forms.ChoiceField(
        label=_("This answer is"),
        widget=forms.RadioSelect,
        choices=[
            ("complete", _("Complete: it concludes the request")),
            ("partial", _("Partial: more will follow")),
        ],
    )
    language = forms.ChoiceField(label=_("Language of the answer"), choices=LANGUAGES)
    files = FilesField(  # type: ignore[assignment]  # as in ComposeForm
        label=_("Files"),
        help_text=_("Optional. They travel encrypted with the answer; the other office's node checks each one."),
    )

    field_order = [
        "version", "text", "completeness", "language", "handling", "conditions", "source_grade", "information_grade",
        "files",
    ]  # fmt: skip

    @property
    def is_complete(self) -> bool:
        return self.cleaned_data["completeness"] == "complete"


class RefuseForm(VersionForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", _("Choose…")), *RefusalReason.choices])
    explanation = forms.CharField(
        label=_("Explanation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The other office reads it; needed (at least 10 characters) with “Other reason”."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reason") == RefusalReason.OTHER and len((data.get("explanation") or "").strip()) < 10:
            self.add_error("explanation", _("Explain the refusal (at least 10 characters)."))
        return data
