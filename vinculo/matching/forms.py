"""The query form and the focal point's decision on a hit."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.exchanges.forms.common import CaseNumberMixin, case_number_field, office_choices
from vinculo.exchanges.selectors import OfficeToAsk
from vinculo.matching.models import Purpose, QueryKind
from vinculo.matching.services.queries import Asked

KINDS = [
    (QueryKind.PERSON.value, _("A person: names, and the date of birth if known")),
    (QueryKind.PHONE.value, _("A phone number")),
    (QueryKind.DOCUMENT.value, _("An identity document or passport")),
    (QueryKind.VEHICLE.value, _("A vehicle plate")),
]
PURPOSES = [
    (
        Purpose.INVESTIGATION.value,
        _("Investigation: does another office know this suspect, phone, document or vehicle?"),
    ),
    (Purpose.VICTIM_WHEREABOUTS.value, _("A victim's whereabouts or status (only roles allowed to reveal victims)")),
]
SEXES = [("", _("Not known")), ("F", _("Female")), ("M", _("Male"))]
DOCUMENT_KINDS = [
    ("national id", _("National identity document (DPI, DUI, DNI, cédula…)")),
    ("passport", _("Passport")),
]
MEMBER_COUNTRIES = [
    ("", _("Choose…")),
    ("GT", _("Guatemala")),
    ("SV", _("El Salvador")),
    ("HN", _("Honduras")),
    ("NI", _("Nicaragua")),
    ("CR", _("Costa Rica")),
    ("PA", _("Panama")),
    ("BZ", _("Belize")),
    ("DO", _("Dominican Republic")),
]


class QueryForm(CaseNumberMixin, forms.Form):
    kind = forms.ChoiceField(label=_("What do you ask about?"), choices=KINDS, widget=forms.RadioSelect)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=PURPOSES, widget=forms.RadioSelect)
    recipients = forms.MultipleChoiceField(label=_("Offices"), required=False, widget=forms.CheckboxSelectMultiple)
    all_offices = forms.BooleanField(
        label=_("All the offices of the network"),
        required=False,
        help_text=_("Every active office listed here, whichever are ticked above."),
    )
    case = case_number_field(
        label=_("Case"), help_text=_("The national number of one of your cases; or give a reference below.")
    )
    case_reference = forms.CharField(
        label=_("Case reference"),
        required=False,
        max_length=64,
        help_text=_("Needed when the query is for no case registered here (for example a case in another system)."),
    )
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        max_length=300,
        help_text=_("The article of the MoU and of national law the query rests on. The other offices see it."),
    )
    given_names = forms.CharField(label=_("Given names"), required=False, max_length=200)
    first_surname = forms.CharField(label=_("First surname"), required=False, max_length=200)
    second_surname = forms.CharField(label=_("Second surname"), required=False, max_length=200)
    birth_date = forms.CharField(
        label=_("Date of birth"),
        required=False,
        max_length=40,
        help_text=_("As you have it: 1990-03-07, 07/03/1990, 03/1990 or only the year."),
    )
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=SEXES)
    nationality = forms.ChoiceField(label=_("Nationality"), required=False, choices=MEMBER_COUNTRIES)
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=40,
        help_text=_("With or without the country code, in any format."),
    )
    document_kind = forms.ChoiceField(label=_("Kind of document"), required=False, choices=DOCUMENT_KINDS)
    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        choices=MEMBER_COUNTRIES,
        help_text=_("Of the phone, the document or the plate."),
    )
    number = forms.CharField(label=_("Document or plate number"), required=False, max_length=60)
    party = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, offices: list[OfficeToAsk], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        recipients = cast(forms.MultipleChoiceField, self.fields["recipients"])
        recipients.choices = office_choices(offices)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("all_offices"):
            data["recipients"] = [code for code, _name in self.fields["recipients"].choices]  # type: ignore[attr-defined]
        if not data.get("recipients") and "recipients" not in self.errors:
            self.add_error("recipients", _("Choose at least one office, or all of them."))
        if not data.get("case") and not (data.get("case_reference") or "").strip() and "case" not in self.errors:
            self.add_error("case_reference", _("Give the case the query is for: one of your cases or a reference."))
        kind = data.get("kind")
        if data.get("party"):
            return data
        if kind == QueryKind.PERSON and not (data.get("given_names") or "").strip():
            self.add_error("given_names", _("Give at least a given name and a first surname."))
        if kind == QueryKind.PERSON and not (data.get("first_surname") or "").strip():
            self.add_error("first_surname", _("Give at least a given name and a first surname."))
        if kind == QueryKind.PHONE and not (data.get("phone") or "").strip():
            self.add_error("phone", _("Give the phone number."))
        if kind in (QueryKind.DOCUMENT, QueryKind.VEHICLE) and not (data.get("number") or "").strip():
            self.add_error("number", _("Give the number."))
        if kind == QueryKind.VEHICLE and not data.get("country"):
            self.add_error("country", _("Say which country issued the plate."))
        return data

    def asked(self) -> Asked:
        data = self.cleaned_data
        return Asked(
            kind=data["kind"],
            given_names=data.get("given_names") or "",
            first_surname=data.get("first_surname") or "",
            second_surname=data.get("second_surname") or "",
            birth_date=data.get("birth_date") or "",
            sex=data.get("sex") or "",
            nationality=data.get("nationality") or "",
            phone=data.get("phone") or "",
            document_kind=data.get("document_kind") or "",
            country=data.get("country") or "",
            number=data.get("number") or "",
            party_id=data.get("party") or None,
        )


class HitDecisionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[
            ("confirm", _("Confirm: the records are about the person or identifier asked for")),
            ("reject", _("Reject: they are about someone or something else")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note for this office"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why you decided so; it stays in this office and is not sent."),
    )
