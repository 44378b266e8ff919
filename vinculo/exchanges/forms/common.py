"""What the exchanges forms share: handling codes with their meanings, the 4x4 grades, the offices
to choose from, and a case of the person's by its national number.

The rules the services enforce (H0 needs its purpose, H3 its conditions, the 4x4 grade both
parts or none) are checked here first, so a person reads them in their language next to the
field; the services still refuse what gets past.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from vinculo.accounts.models import User
from vinculo.cases.models import Case
from vinculo.cases.selectors import cases_visible_to
from vinculo.exchanges import handling
from vinculo.exchanges.selectors import OfficeToAsk
from vinculo.federation import blobs
from vinculo.messaging import network

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


def office_choices(offices: list[OfficeToAsk]) -> list[tuple[str, str]]:
    """The offices as a person picks them: name and code."""
    return [(office.code, f"{office.name} ({office.code})") for office in offices]


class CodesForm(forms.Form):
    """The handling codes and their H3 conditions."""

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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        codes = set(data.get("handling") or [])
        if "H3" in codes and not (data.get("conditions") or "").strip():
            self.add_error("conditions", _("Write the conditions that come with H3."))
        if (data.get("conditions") or "").strip() and "H3" not in codes:
            self.add_error("conditions", _("Conditions are given with H3: tick H3 or leave this empty."))
        return data

    def codes(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.cleaned_data.get("handling") or [])))

    def code_choices(self) -> list[dict[str, Any]]:
        """The handling checkboxes with what each code means, for the template."""
        return [
            {"widget": widget, "code": widget.choice_label, "meaning": CODE_MEANINGS[str(widget.choice_label)]}
            for widget in self["handling"]
        ]


class HandlingForm(CodesForm):
    """The handling codes, their conditions and the 4x4 evaluation, as requests, answers and alerts carry them."""

    source_grade = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("Not graded")), *SOURCE_GRADES.items()]
    )
    information_grade = forms.ChoiceField(
        label=_("Information"), required=False, choices=[("", _("Not graded")), *INFORMATION_GRADES.items()]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("source_grade")) != bool(data.get("information_grade")):
            self.add_error(
                "information_grade" if data.get("source_grade") else "source_grade",
                _("Grade both the source and the information, or neither."),
            )
        return data

    def evaluation(self) -> str:
        return f"{self.cleaned_data.get('source_grade') or ''}{self.cleaned_data.get('information_grade') or ''}"


class CaseNumberMixin:
    """A ``case`` field taking the national number of one of the person's cases (``self.user``)."""

    user: User
    cleaned_data: dict[str, Any]

    def clean_case(self) -> Case | None:
        number = self.cleaned_data.get("case", "").strip()
        if not number:
            return None
        case = cases_visible_to(self.user).filter(national_number=number).first()
        if case is None:
            raise forms.ValidationError(_("None of the cases you may see has this number."))
        return case

    def case_numbers(self) -> list[str]:
        """A few of the person's cases, offered while typing a number."""
        return list(cases_visible_to(self.user).order_by("-created_at").values_list("national_number", flat=True)[:50])


def case_number_field(*, label: Any = None, required: bool = False, help_text: Any = None) -> forms.CharField:
    """The field ``CaseNumberMixin`` reads: a number typed, with the person's cases offered (datalist)."""
    return forms.CharField(
        label=label or _("Linked case"),
        required=required,
        max_length=64,
        help_text=help_text or _("The national number of one of your cases (optional)."),
        widget=forms.TextInput(attrs={"list": "case-numbers", "autocomplete": "off"}),
    )


def set_choices(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    cast(forms.ChoiceField, form.fields[name]).choices = choices


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Any number of files (up to the protocol's limit), each within the network's size limit.

    The limit comes from the directory in force; without one the service refuses the step anyway.
    """

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        uploads = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if self.required and not uploads:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(uploads) > blobs.MAX_ATTACHMENTS:
            raise forms.ValidationError(
                ngettext(
                    "At most %(count)d file can go with one message.",
                    "At most %(count)d files can go with one message.",
                    blobs.MAX_ATTACHMENTS,
                )
                % {"count": blobs.MAX_ATTACHMENTS},
                code="too_many",
            )
        limit = _attachment_limit()
        errors = []
        for upload in uploads:
            if not upload.size:
                errors.append(forms.ValidationError(_("The file “%(name)s” is empty."), params={"name": upload.name}))
            elif limit is not None and upload.size > limit:
                errors.append(
                    forms.ValidationError(
                        _("The file “%(name)s” is larger than the network allows (%(limit)s)."),
                        params={"name": upload.name, "limit": filesizeformat(limit)},
                    )
                )
        if errors:
            raise forms.ValidationError(errors)
        return uploads


def _attachment_limit() -> int | None:
    try:
        return int(network.policy().max_attachment_bytes)
    except network.NetworkUnavailable:
        return None
