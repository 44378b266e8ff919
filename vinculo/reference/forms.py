"""Forms for correcting reference data and filtering the crossing list."""

from __future__ import annotations

import csv
import io
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vinculo.reference.models import BorderCrossing, Code, Country, LegalProvision


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


class LabelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label)


class LegalProvisionForm(VersionedForm):
    """A provision of the node's own law (the country is the administrator's office's, never chosen)."""

    instrument = forms.CharField(
        label=_("Law or code"), max_length=200, help_text=_("As the law is usually cited, e.g. Código Penal.")
    )
    article = forms.CharField(label=_("Article"), max_length=50, help_text=_("The number only, e.g. 54 or 202 Ter."))
    title_es = forms.CharField(label=_("Offence in Spanish"), max_length=200)
    title_en = forms.CharField(label=_("Offence in English"), max_length=200)
    iccs_code = forms.RegexField(
        label=_("ICCS code"),
        regex=LegalProvision.ICCS_PATTERN,
        max_length=6,
        error_messages={"invalid": _("An ICCS code has 4 to 6 digits.")},
        help_text=_("e.g. 02041 trafficking for sexual exploitation, 08051 smuggling."),
    )
    crime_family = LabelChoiceField(
        label=_("Crime family"),
        queryset=Code.objects.none(),
        empty_label=_("Choose…"),
        help_text=_("Trafficking in persons, smuggling of migrants or a related offence; the ICCS code must fit it."),
    )

    def __init__(self, *args: Any, current: LegalProvision | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Crime families no longer in use are not offered, except the one the provision already has.
        offered = Q(is_active=True) | Q(pk=current.crime_family_id) if current is not None else Q(is_active=True)
        families = Code.objects.filter(code_list__key="crime_family").filter(offered).order_by("sort", "code")
        cast(LabelChoiceField, self.fields["crime_family"]).queryset = families
        if current is None:
            del self.fields["version"]

    @staticmethod
    def initial_for(provision: LegalProvision) -> dict[str, Any]:
        fields = ("instrument", "article", "title_es", "title_en", "iccs_code", "crime_family", "version")
        return {field: getattr(provision, field) for field in fields}


class ProvisionStateForm(VersionedForm):
    """The retire and re-activate buttons: only the version the page showed."""


class ProvisionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[("", _("All")), ("active", _("In force")), ("retired", _("Retired"))],
    )


PROVISION_COLUMNS = ("instrument", "article", "title_es", "title_en", "iccs_code", "crime_family")
PROVISION_FILE_MAX_BYTES = 1024 * 1024
PROVISION_FILE_MAX_ROWS = 2000


class ProvisionImportForm(forms.Form):
    """A CSV file of provisions: one header line with the column names, one provision per line."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 text, separated by commas or semicolons, at most 1 MB and 2000 provisions."),
    )
    check_only = forms.BooleanField(
        label=_("Only check the file, store nothing"),
        required=False,
        initial=True,
    )

    def clean_file(self) -> list[tuple[int, dict[str, str]]]:
        """The provisions of the file, each with its line number; a file that cannot be read is refused whole."""
        upload = self.cleaned_data["file"]
        if upload.size > PROVISION_FILE_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text; save it again as “CSV UTF-8”.")) from None
        if "\x00" in text:
            raise forms.ValidationError(_("The file is not a CSV text file."))
        first_line = text.split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
        try:
            lines = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        except csv.Error:
            raise forms.ValidationError(_("The file cannot be read as CSV.")) from None
        if not lines:
            raise forms.ValidationError(_("The file is empty."))
        header = [name.strip().lower() for name in lines[0]]
        missing = [name for name in PROVISION_COLUMNS if name not in header]
        if missing:
            raise forms.ValidationError(
                _("The first line must name the columns; missing: %(columns)s.") % {"columns": ", ".join(missing)}
            )
        rows = [
            (number, {name: (cells[header.index(name)] if header.index(name) < len(cells) else "")
                      for name in PROVISION_COLUMNS})
            for number, cells in enumerate(lines[1:], start=2)
            if any(cell.strip() for cell in cells)
        ]  # fmt: skip
        if not rows:
            raise forms.ValidationError(_("The file has no provision under its first line."))
        if len(rows) > PROVISION_FILE_MAX_ROWS:
            raise forms.ValidationError(_("The file has more than 2000 provisions; split it."))
        return rows
