"""Case forms: coded facts offered from their code lists, dates with the precision known."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import User
from vinculo.cases.models import (
    CASE_CODE_LISTS,
    CaseDocument,
    CaseParty,
    Charge,
    ConsentRecord,
    DatePrecision,
    TeamRole,
    Visibility,
    known_part,
)
from vinculo.cases.services.documents import MAX_BYTES as MAX_DOCUMENT_BYTES
from vinculo.reference.models import BorderCrossing, Code, Country, LegalProvision
from vinculo.reference.selectors import codes_of


def _keep_known_part(data: dict[str, Any], field: str) -> None:
    """Normalise a date field by its ``<field>_precision`` companion (see cases.models.known_part)."""
    if data.get(field):
        data[field] = known_part(data[field], data.get(f"{field}_precision") or DatePrecision.DAY)


class CodeChoiceField(forms.ModelChoiceField):
    """A choice among the active codes of one list; posts the code itself (stable and readable)."""

    def __init__(self, list_key: str, **kwargs: Any) -> None:
        kwargs.setdefault("empty_label", _("Choose…"))
        super().__init__(queryset=codes_of(list_key), to_field_name="code", **kwargs)

    def label_from_instance(self, obj: Code) -> str:
        return obj.label


class CaseForm(forms.Form):
    national_number = forms.CharField(label=_("National case number"), max_length=64)
    crime_family = CodeChoiceField(CASE_CODE_LISTS["crime_family"], label=_("Crime"))
    origin = CodeChoiceField(CASE_CODE_LISTS["origin"], label=_("Origin of the case"))
    stage = CodeChoiceField(CASE_CODE_LISTS["stage"], label=_("Stage"))
    reported_on = forms.DateField(
        label=_("Reported on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("If only the month or the year is known, pick any day of it and say so below."),
    )
    reported_on_precision = forms.ChoiceField(label=_("Precision of that date"), choices=DatePrecision.choices)
    organized_crime = CodeChoiceField(CASE_CODE_LISTS["organized_crime"], label=_("Organized crime involved"))
    trafficker_organization = CodeChoiceField(
        CASE_CODE_LISTS["trafficker_organization"], label=_("Type of trafficker organization")
    )
    closure_type = CodeChoiceField(CASE_CODE_LISTS["closure_type"], label=_("How it closed"), required=False)
    closed_on = forms.DateField(
        label=_("Closed on"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What happened, without names: the people go in the parties of the case."),
    )
    summary_language = forms.ChoiceField(label=_("Summary written in"), choices=[("es", "Español"), ("en", "English")])
    visibility = forms.ChoiceField(label=_("Who may see it"), choices=Visibility.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["national_number"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reported = data.get("reported_on")
        _keep_known_part(data, "reported_on")
        if reported and reported > timezone.localdate():
            self.add_error("reported_on", _("This date is in the future."))
        if bool(data.get("closure_type")) != bool(data.get("closed_on")):
            self.add_error(
                "closed_on" if data.get("closure_type") else "closure_type",
                _("Give both how and when the case closed."),
            )
        return data

    def facts(self) -> dict[str, Any]:
        """The cleaned facts, as the services take them."""
        data = self.cleaned_data
        names = [
            "crime_family", "origin", "stage", "closure_type", "closed_on", "reported_on",
            "reported_on_precision", "organized_crime", "trafficker_organization", "summary",
            "summary_language", "visibility",
        ]  # fmt: skip
        return {name: data.get(name) for name in names}


class CrossingChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} · {obj.name}"


class CaseFilterForm(forms.Form):
    text = forms.CharField(label=_("Search"), required=False, max_length=100)
    stage = CodeChoiceField("stage", label=_("Stage"), required=False, empty_label=_("All stages"))
    crime_family = CodeChoiceField("crime_family", label=_("Crime"), required=False, empty_label=_("All"))
    year = forms.IntegerField(label=_("Year reported"), required=False, min_value=1990, max_value=2100)
    exploitation_form = CodeChoiceField(
        "exploitation_form", label=_("Form of exploitation"), required=False, empty_label=_("All")
    )
    border_crossing = CrossingChoiceField(
        label=_("Border crossing"),
        required=False,
        queryset=BorderCrossing.objects.filter(is_active=True),
        to_field_name="code",
        empty_label=_("All"),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), ("open", _("Open")), ("closed", _("Closed"))]
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name)


class AssignForm(forms.Form):
    person = PersonChoiceField(label=_("Person"), queryset=User.objects.none(), empty_label=_("Choose…"))
    role = forms.ChoiceField(
        label=_("Place in the team"), choices=[c for c in TeamRole.choices if c[0] != TeamRole.LEAD]
    )

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PersonChoiceField, self.fields["person"]).queryset = people


class CountriesChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class PartyForm(forms.Form):
    """A new person in the case: the analytic facts, then the identity (sealed in the vault)."""

    role = CodeChoiceField("party_role", label=_("Role in the case"))
    sex = CodeChoiceField("sex", label=_("Sex"))
    age_at_identification = forms.IntegerField(
        label=_("Age when identified"), required=False, min_value=0, max_value=120
    )
    birth_year = forms.IntegerField(
        label=_("Year of birth"), required=False, min_value=1900, help_text=_("If the exact date is not known.")
    )
    identification_status = CodeChoiceField("identification_status", label=_("Victim identification"), required=False)
    citizenships = CountriesChoiceField(
        label=_("Citizenship"),
        required=False,
        queryset=Country.objects.order_by("-is_member", "name_es"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    given_names = forms.CharField(label=_("Given names"), required=False, max_length=200)
    first_surname = forms.CharField(label=_("First surname"), required=False, max_length=200)
    second_surname = forms.CharField(label=_("Second surname"), required=False, max_length=200)
    birth_date = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    document_numbers = forms.CharField(
        label=_("Identity documents"),
        required=False,
        max_length=500,
        help_text=_("Type and number, e.g. DUI 01234567-8."),
    )
    phones = forms.CharField(label=_("Phones"), required=False, max_length=300)
    address = forms.CharField(
        label=_("Address"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    vehicle_plates = forms.CharField(
        label=_("Vehicle plates"),
        required=False,
        max_length=300,
        help_text=_("Country and plate, separated by semicolons, e.g. GT P-123ABC; SV P 12345."),
    )

    IDENTITY_FIELDS = (
        "given_names", "first_surname", "second_surname", "document_numbers", "phones", "address", "vehicle_plates",
    )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        born = data.get("birth_date")
        if born and born > timezone.localdate():
            self.add_error("birth_date", _("This date is in the future."))
        return data


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need to see this identity?"),
        required=False,
        max_length=500,
        help_text=_("Recorded in the audit trail with your name."),
    )


class CodesChoiceField(forms.ModelMultipleChoiceField):
    """Several codes of one list, as checkboxes."""

    def __init__(self, list_key: str, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(queryset=codes_of(list_key), to_field_name="code", required=False, **kwargs)

    def label_from_instance(self, obj: Code) -> str:
        return obj.label


class ExploitationForm(forms.Form):
    purposes = CodesChoiceField("exploitation_form", label=_("Forms of exploitation (purpose)"))
    acts = CodesChoiceField("act", label=_("Acts"))
    means = CodesChoiceField("means", label=_("Means"))
    control_methods = CodesChoiceField("control_method", label=_("Methods of control"))
    recruitment_methods = CodesChoiceField("recruitment_method", label=_("How the victim was recruited"))
    started_on = forms.DateField(
        label=_("Exploitation began"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    started_on_precision = forms.ChoiceField(label=_("Precision of that date"), choices=DatePrecision.choices)
    ended_on = forms.DateField(
        label=_("Exploitation ended"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ended_on_precision = forms.ChoiceField(label=_("Precision of that date"), choices=DatePrecision.choices)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field in ("started_on", "ended_on"):
            _keep_known_part(data, field)
        return data


class CountryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class PartyChoiceField(forms.ModelMultipleChoiceField):
    """People of the case, described without their identity."""

    def label_from_instance(self, obj: Any) -> str:
        age = f" · {obj.age_at_identification}" if obj.age_at_identification is not None else ""
        return f"{obj.role.label} · {obj.person.sex.label}{age} (#{obj.pk})"


class EventForm(forms.Form):
    event_type = CodeChoiceField("event_type", label=_("What happened"))
    occurred_on = forms.DateField(
        label=_("When"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    occurred_on_precision = forms.ChoiceField(label=_("Precision of that date"), choices=DatePrecision.choices)
    country = CountryChoiceField(
        label=_("Country"),
        required=False,
        queryset=Country.objects.order_by("-is_member", "name_es"),
        empty_label=_("Choose…"),
    )
    place = forms.CharField(label=_("Place"), required=False, max_length=200, help_text=_("Town, department or area."))
    border_crossing = CrossingChoiceField(
        label=_("Border crossing"),
        required=False,
        queryset=BorderCrossing.objects.filter(is_active=True),
        empty_label=_("None"),
    )
    transport = CodesChoiceField("transport_means", label=_("Transport"))
    parties = PartyChoiceField(
        label=_("People involved"),
        required=False,
        queryset=CaseParty.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("No names here."),
    )  # fmt: skip

    def __init__(self, *args: Any, parties: QuerySet[CaseParty], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(PartyChoiceField, self.fields["parties"]).queryset = parties

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _keep_known_part(data, "occurred_on")
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_("One row per case, with the template's columns in Spanish or English. Up to 20 MB."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Send a .csv or .xlsx file."))
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class SupportForm(forms.Form):
    kind = forms.ModelChoiceField(label=_("Measure or service"), queryset=Code.objects.none(), to_field_name="code")
    provider = forms.CharField(
        label=_("Provided by"), required=False, max_length=200, help_text=_("Institution or organization.")
    )
    started_on = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ended_on = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, list_key: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = cast(CodeChoiceField, self.fields["kind"])
        kind.queryset = codes_of(list_key)
        kind.empty_label = str(_("Choose…"))
        kind.label_from_instance = lambda obj: str(obj.label)  # type: ignore[method-assign]


class LinkForm(forms.Form):
    link_type = CodeChoiceField("case_link_type", label=_("Kind of link"))
    other_number = forms.CharField(label=_("Case number in this office"), required=False, max_length=64)
    foreign_reference = forms.CharField(
        label=_("Or, for a foreign counterpart: office and number"), required=False, max_length=100
    )


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Consent to"), choices=ConsentRecord.Purpose.choices)
    decision = forms.ChoiceField(label=_("Decision"), choices=ConsentRecord.Decision.choices)
    decided_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    given_by_guardian = forms.BooleanField(label=_("Through a parent or guardian"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=500)


class ProvisionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.instrument}, art. {obj.article} — {obj.title} (ICCS {obj.iccs_code})"


class ChargeForm(forms.Form):
    provision = ProvisionChoiceField(
        label=_("Legal provision"), queryset=LegalProvision.objects.none(), empty_label=_("Choose…")
    )
    participation = CodeChoiceField("offence_participation", label=_("Participation"))
    status = CodeChoiceField("charge_status", label=_("Status of the charge"))

    def __init__(self, *args: Any, country: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provisions = LegalProvision.objects.filter(country__iso2=country, is_active=True)
        cast(ProvisionChoiceField, self.fields["provision"]).queryset = provisions


def _date_input(label: Any, *, required: bool = True, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class ProceedingForm(forms.Form):
    instance = CodeChoiceField("court_instance", label=_("Instance"))
    procedure_type = CodeChoiceField("procedure_type", label=_("Kind of procedure"))
    court = forms.CharField(
        label=_("Court"), max_length=200, help_text=_("e.g. Tribunal Primero de Sentencia de San Salvador.")
    )
    court_reference = forms.CharField(label=_("Court's file number"), required=False, max_length=64)
    started_on = _date_input(_("Started on"))
    ended_on = _date_input(_("Ended on"), required=False, help_text=_("Leave empty while it goes on."))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ProceedingEndForm(forms.Form):
    ended_on = _date_input(_("Ended on"))


class ChargeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # People are named by role and a short reference here: identities stay sealed.
        person = str(obj.party.person_id)[:8]
        return f"{obj.party.role.label} · {person} — {obj.provision} (ICCS {obj.provision.iccs_code})"


class DecisionForm(forms.Form):
    """A decision on one charge and, for a conviction, the sentence it imposed."""

    charge = ChargeChoiceField(label=_("Charge"), queryset=Charge.objects.none(), empty_label=_("Choose…"))
    decided_on = _date_input(_("Date of the decision"))
    verdict = CodeChoiceField("verdict", label=_("Verdict"))
    acquittal_reason = CodeChoiceField(
        "acquittal_reason", label=_("Reason for acquittal"), required=False, help_text=_("Only for an acquittal.")
    )
    is_final = forms.BooleanField(label=_("Final (no appeal left)"), required=False)
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    sanctions = forms.ModelMultipleChoiceField(
        label=_("Sanctions imposed"),
        queryset=Code.objects.none(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for a conviction."),
    )
    imprisonment_months = forms.IntegerField(
        label=_("Prison term in months"), required=False, min_value=1, max_value=1200
    )
    suspended = forms.BooleanField(label=_("Sentence suspended"), required=False)
    currency = forms.CharField(label=_("Currency (ISO 4217)"), max_length=3, required=False)
    fine_amount = forms.DecimalField(label=_("Fine"), required=False, min_value=0, max_digits=14, decimal_places=2)
    confiscated_value = forms.DecimalField(
        label=_("Value of assets confiscated"), required=False, min_value=0, max_digits=16, decimal_places=2
    )
    reparation_amount = forms.DecimalField(
        label=_("Reparation to victims"), required=False, min_value=0, max_digits=14, decimal_places=2
    )

    SENTENCE_FIELDS = (
        "sanctions",
        "imprisonment_months",
        "suspended",
        "currency",
        "fine_amount",
        "confiscated_value",
        "reparation_amount",
    )

    def __init__(self, *args: Any, charges: QuerySet[Charge], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(ChargeChoiceField, self.fields["charge"]).queryset = charges
        sanctions = cast(forms.ModelMultipleChoiceField, self.fields["sanctions"])
        sanctions.queryset = codes_of("sanction")
        sanctions.label_from_instance = lambda obj: str(obj.label)  # type: ignore[method-assign]

    def has_sentence(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("sanctions")) or any(
            data.get(name) not in (None, "", False) for name in self.SENTENCE_FIELDS if name != "currency"
        )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of document"), choices=[("", _("Choose…")), *CaseDocument.Kind.choices])
    title = forms.CharField(
        label=_("Description"),
        max_length=200,
        help_text=_("What it is, without names (e.g. “Statement at the shelter”)."),
    )
    party = forms.ModelChoiceField(
        label=_("About"),
        queryset=CaseParty.objects.none(),
        required=False,
        empty_label=_("The case as a whole"),
        help_text=_("A document about a victim is opened under the same rules as the victim's identity."),
    )
    file = forms.FileField(
        label=_("File"), help_text=_("PDF, JPEG, PNG, Word, Excel, OpenDocument or plain text; 10 MB at most.")
    )

    def __init__(self, *args: Any, parties: QuerySet[CaseParty], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        party = cast(forms.ModelChoiceField, self.fields["party"])
        party.queryset = parties
        party.label_from_instance = lambda obj: f"{obj.role.label} · {str(obj.person_id)[:8]}"  # type: ignore[method-assign]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (recorded)"), required=False, max_length=500)


class ExportPersonsForm(forms.Form):
    reason = forms.CharField(label=_("Why you need the identities (recorded)"), min_length=10, max_length=500)
    lang = forms.ChoiceField(label=_("Headers"), choices=[("es", "Español"), ("en", "English")], required=False)


class PartyEditForm(forms.Form):
    """A person's role in the case and their analytic record; the identity is corrected apart."""

    role = CodeChoiceField("party_role", label=_("Role in the case"))
    sex = CodeChoiceField("sex", label=_("Sex"))
    age_at_identification = forms.IntegerField(
        label=_("Age when identified"), required=False, min_value=0, max_value=120
    )
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False, min_value=1900)
    identification_status = CodeChoiceField("identification_status", label=_("Victim identification"), required=False)
    citizenships = CountriesChoiceField(
        label=_("Citizenship"),
        required=False,
        queryset=Country.objects.order_by("-is_member", "name_es"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class IdentityForm(forms.Form):
    """Correcting a revealed identity; the reason given at the reveal travels with it."""

    given_names = forms.CharField(label=_("Given names"), required=False, max_length=200)
    first_surname = forms.CharField(label=_("First surname"), required=False, max_length=200)
    second_surname = forms.CharField(label=_("Second surname"), required=False, max_length=200)
    birth_date = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    document_numbers = forms.CharField(label=_("Identity documents"), required=False, max_length=500)
    phones = forms.CharField(label=_("Phones"), required=False, max_length=300)
    address = forms.CharField(
        label=_("Address"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    vehicle_plates = forms.CharField(label=_("Vehicle plates"), required=False, max_length=300)
    reason = forms.CharField(widget=forms.HiddenInput, required=False, max_length=500)

    def clean_birth_date(self) -> Any:
        born = self.cleaned_data.get("birth_date")
        if born and born > timezone.localdate():
            raise forms.ValidationError(_("This date is in the future."))
        return born
