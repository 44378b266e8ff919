"""Forms for correcting reference data and filtering the crossing list."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from vinculo.reference.models import BorderCrossing, Code, Country


class VersionedForm(forms.Form):
    """Carries the record's version, so a save over someone else's change is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class BorderCrossingForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=BorderCrossing.Kind.choices)
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, min_value=-90, max_value=90, max_digits=8, decimal_places=5
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180, max_digits=8, decimal_places=5
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    coordinates_verified = forms.BooleanField(
        label=_("Coordinates verified"),
        required=False,
        help_text=_("Tick only after checking the point on an authoritative map or on the ground."),
    )
    is_active = forms.BooleanField(label=_("In use"), required=False)


class CodeForm(VersionedForm):
    label_es = forms.CharField(label=_("Label in Spanish"), max_length=200)
    label_en = forms.CharField(label=_("Label in English"), max_length=200)
    definition_es = forms.CharField(
        label=_("Definition in Spanish"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    definition_en = forms.CharField(
        label=_("Definition in English"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_active = forms.BooleanField(
        label=_("In use"),
        required=False,
        help_text=_("Codes not in use stay on old records but are no longer offered."),
    )


class CrossingFilterForm(forms.Form):
    text = forms.CharField(label=_("Search"), required=False, max_length=100)
    country = forms.ChoiceField(label=_("Country"), required=False)
    verified = forms.ChoiceField(
        label=_("Coordinates"),
        required=False,
        choices=[("", _("All")), ("yes", _("Verified")), ("no", _("Not verified"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["country"])
        countries = Country.objects.filter(border_crossings__isnull=False).distinct()
        field.choices = [("", _("All countries")), *((c.iso2, c.name) for c in countries)]


class NameChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class LabelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label)


class LegalProvisionForm(forms.Form):
    country = NameChoiceField(
        label=_("Country"), queryset=Country.objects.filter(is_member=True), empty_label=_("Choose…")
    )
    instrument = forms.CharField(label=_("Law or code"), max_length=200)
    article = forms.CharField(label=_("Article"), max_length=50)
    title_es = forms.CharField(label=_("Offence in Spanish"), max_length=200)
    title_en = forms.CharField(label=_("Offence in English"), max_length=200)
    iccs_code = forms.RegexField(
        label=_("ICCS code"),
        regex=r"^\d{4,6}$",
        error_messages={"invalid": _("An ICCS code has 4 to 6 digits.")},
        help_text=_("e.g. 02041 trafficking for sexual exploitation, 08051 smuggling."),
    )
    crime_family = LabelChoiceField(
        label=_("Crime"),
        queryset=Code.objects.filter(code_list__key="crime_family"),
        empty_label=_("Choose…"),
    )
