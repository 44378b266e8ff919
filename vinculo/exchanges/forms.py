"""Forms of the exchanges pages: compose a request, filter the list, and each step on a request.

The rules the services enforce (H0 needs its purpose, H3 its conditions, the 4x4 grade both
parts or none, at least one item) are checked here first, so a person reads them in their
language next to the field; the services still refuse what gets past.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from vinculo.accounts.models import User
from vinculo.cases.models import Case
from vinculo.cases.selectors import cases_visible_to
from vinculo.exchanges import handling
from vinculo.exchanges.lifecycle import Side, Urgency
from vinculo.exchanges.models import InformationRequest, RefusalReason, RequestType
from vinculo.exchanges.selectors import OfficeToAsk

LANGUAGES = [("es", "Español"), ("en", "English")]

# What each handling code asks of whoever holds the information (handling.py).
CODE_MEANINGS = {
    "H0": _("Use only for the purpose stated in the exchange."),
    "H1": _(
        "Not to be used as evidence without the provider's permission (a formal request for legal assistance follows)."
    ),
    "H2": _("No onward transmission: not to be passed to anyone else without the provider's permission."),
    "H3": _("Other conditions, written out: shown wherever the content is shown."),
}
SOURCE_GRADES = {
    "A": _("A — reliable"),
    "B": _("B — usually reliable"),
    "C": _("C — not usually reliable"),
    "X": _("X — reliability cannot be assessed"),
}
INFORMATION_GRADES = {
    "1": _("1 — known to be true without reservation"),
    "2": _("2 — known personally to the source"),
    "3": _("3 — not known personally to the source, but corroborated"),
    "4": _("4 — cannot be judged"),
}


def deadline_in_words(seconds: int) -> str:
    """8 hours, 3 days: how long the other office has, as a person says it."""
    days, rest = divmod(seconds, 24 * 3600)
    if days and not rest:
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    hours, rest = divmod(seconds, 3600)
    if hours and not rest:
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes = max(1, seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


class HandlingForm(forms.Form):
    """The handling codes, their conditions and the 4x4 evaluation, as both requests and answers carry them."""

    handling = forms.MultipleChoiceField(
        label=_("Handling codes"),
        required=False,
        choices=[(code, code) for code in handling.CODES],
        widget=forms.CheckboxSelectMultiple,
    )
    conditions = forms.CharField(
        label=_("Conditions (H3)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed with H3, and only with it."),
    )
    source_grade = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("Not graded")), *SOURCE_GRADES.items()]
    )
    information_grade = forms.ChoiceField(
        label=_("Information"), required=False, choices=[("", _("Not graded")), *INFORMATION_GRADES.items()]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        codes = set(data.get("handling") or [])
        if "H3" in codes and not (data.get("conditions") or "").strip():
            self.add_error("conditions", _("Write the conditions that come with H3."))
        if (data.get("conditions") or "").strip() and "H3" not in codes:
            self.add_error("conditions", _("Conditions are given with H3: tick H3 or leave this empty."))
        if bool(data.get("source_grade")) != bool(data.get("information_grade")):
            self.add_error(
                "information_grade" if data.get("source_grade") else "source_grade",
                _("Grade both the source and the information, or neither."),
            )
        return data

    def codes(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.cleaned_data.get("handling") or [])))

    def evaluation(self) -> str:
        return f"{self.cleaned_data.get('source_grade') or ''}{self.cleaned_data.get('information_grade') or ''}"

    def code_choices(self) -> list[dict[str, Any]]:
        """The handling checkboxes with what each code means, for the template."""
        return [
            {"widget": widget, "code": widget.choice_label, "meaning": CODE_MEANINGS[str(widget.choice_label)]}
            for widget in self["handling"]
        ]


class ComposeForm(HandlingForm):
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
    case = forms.CharField(
        label=_("Linked case"),
        required=False,
        max_length=64,
        help_text=_("The national number of one of your cases (optional)."),
        widget=forms.TextInput(attrs={"list": "case-numbers", "autocomplete": "off"}),
    )

    field_order = [
        "counterpart", "request_type", "subject", "legal_basis", "urgency", "text", "items", "language",
        "handling", "purpose", "conditions", "source_grade", "information_grade", "case",
    ]  # fmt: skip

    def __init__(
        self, *args: Any, user: User, offices: list[OfficeToAsk], deadlines: dict[str, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        counterpart = cast(forms.ChoiceField, self.fields["counterpart"])
        counterpart.choices = [("", _("Choose…"))] + [(o.code, f"{o.name} ({o.code})") for o in offices]
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

    def clean_case(self) -> Case | None:
        number = self.cleaned_data.get("case", "").strip()
        if not number:
            return None
        case = cases_visible_to(self.user).filter(national_number=number).first()
        if case is None:
            raise forms.ValidationError(_("None of the cases you may see has this number."))
        return case

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "H0" in set(data.get("handling") or []) and not (data.get("purpose") or "").strip():
            self.add_error("purpose", _("Say what the information is for: H0 limits its use to this purpose."))
        return data

    def case_numbers(self) -> list[str]:
        """A few of the person's cases, offered while typing a number."""
        return list(cases_visible_to(self.user).order_by("-created_at").values_list("national_number", flat=True)[:50])


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

    field_order = [
        "version", "text", "completeness", "language", "handling", "conditions", "source_grade", "information_grade",
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
