"""Reference data: countries, border crossings, populations and the code lists of the registry.

Shipped as data files (vinculo/reference/data/) and loaded into every node; the node
administrator may correct them. A row edited on the node is marked, and later loads of the
shipped files leave it alone.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from vinculo.core.models import BilingualName


class Country(BilingualName, models.Model):
    """A country (ISO 3166-1), with its names in Spanish and English."""

    iso2 = models.CharField(_("ISO alpha-2"), max_length=2, unique=True)
    iso3 = models.CharField(_("ISO alpha-3"), max_length=3, unique=True)
    m49 = models.CharField(_("UN M49 code"), max_length=3, blank=True)
    name_es = models.CharField(_("name in Spanish"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120)
    is_member = models.BooleanField(_("member of the network"), default=False)

    class Meta:
        ordering: ClassVar = ["name_es"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return f"{self.name} ({self.iso2})"


class BorderCrossing(models.Model):
    """A border crossing point or area; coordinates stay "not verified" until someone checks them."""

    class Kind(models.TextChoices):
        OFFICIAL_LAND = "official_land", _("Official land crossing")
        OFFICIAL_SEA = "official_sea", _("Official sea or river crossing")
        OFFICIAL_AIR = "official_air", _("Official air crossing")
        IRREGULAR = "irregular_known_point", _("Known irregular crossing point or route")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    countries = models.ManyToManyField(Country, related_name="border_crossings", verbose_name=_("countries"))
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.OFFICIAL_LAND)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    other_points = models.JSONField(
        _("other points"), default=list, blank=True, help_text=_("Further [latitude, longitude] points of the area.")
    )
    notes = models.TextField(_("notes"), blank=True)
    coordinates_verified = models.BooleanField(_("coordinates verified"), default=False)
    is_active = models.BooleanField(_("in use"), default=True)
    edited_on_node = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["code"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="border_crossing_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True) | models.Q(longitude__gte=-180, longitude__lte=180),
                name="border_crossing_longitude_range",
            ),
        ]
        verbose_name = _("border crossing")
        verbose_name_plural = _("border crossings")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PopulationFigure(models.Model):
    """Mid-year total population of a country in a year (denominator of SDG 16.2.2 rates)."""

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="populations")
    year = models.PositiveSmallIntegerField(_("year"))
    population = models.PositiveBigIntegerField(_("population"))
    source = models.CharField(_("source"), max_length=200)

    class Meta:
        ordering: ClassVar = ["country__iso2", "-year"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["country", "year"], name="one_population_per_year")]
        verbose_name = _("population figure")
        verbose_name_plural = _("population figures")

    def __str__(self) -> str:
        return f"{self.country_id} {self.year}: {self.population}"


class CodeList(BilingualName, models.Model):
    """A list of codes (forms of exploitation, stages, verdicts …), shipped as a data file."""

    key = models.SlugField(_("key"), max_length=64, unique=True)
    name_es = models.CharField(_("name in Spanish"), max_length=200)
    name_en = models.CharField(_("name in English"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    is_multi_valued = models.BooleanField(_("several values allowed"), default=False)

    class Meta:
        ordering: ClassVar = ["key"]
        verbose_name = _("code list")
        verbose_name_plural = _("code lists")

    def __str__(self) -> str:
        return self.key


class Code(models.Model):
    """One value of a code list, with labels, a definition and mappings to other standards.

    ``NA`` (not applicable) and ``NK`` (not known) are ordinary codes: unknown is never NULL.
    """

    NOT_APPLICABLE = "NA"
    NOT_KNOWN = "NK"

    code_list = models.ForeignKey(CodeList, on_delete=models.PROTECT, related_name="codes")
    code = models.CharField(_("code"), max_length=64)
    label_es = models.CharField(_("label in Spanish"), max_length=200)
    label_en = models.CharField(_("label in English"), max_length=200)
    definition_es = models.TextField(_("definition in Spanish"), blank=True)
    definition_en = models.TextField(_("definition in English"), blank=True)
    mappings = models.JSONField(_("mappings"), default=dict, blank=True)
    sort = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(
        _("in use"), default=True, help_text=_("Codes no longer in use stay valid on old records but are not offered.")
    )
    edited_on_node = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering: ClassVar = ["code_list__key", "sort", "code"]
        constraints: ClassVar = [models.UniqueConstraint(fields=["code_list", "code"], name="unique_code_in_list")]
        verbose_name = _("code")
        verbose_name_plural = _("codes")

    def __str__(self) -> str:
        return f"{self.code_list_id}:{self.code}"

    @property
    def label(self) -> str:
        return self.label_en if translation.get_language() == "en" else self.label_es

    @property
    def definition(self) -> str:
        return self.definition_en if translation.get_language() == "en" else self.definition_es

    @property
    def is_reserved(self) -> bool:
        return self.code in (self.NOT_APPLICABLE, self.NOT_KNOWN)


class LegalProvision(models.Model):
    """An offence of the national law (instrument and article), classified in ICCS.

    Each node's administrator enters their own country's provisions: legal citations are
    not shipped, because a wrong article in a charge is worse than none.
    """

    ICCS_PATTERN = r"^\d{4,6}$"

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="legal_provisions")
    instrument = models.CharField(_("law or code"), max_length=200, help_text=_("e.g. Código Penal, Ley Especial …"))
    article = models.CharField(_("article"), max_length=50)
    title_es = models.CharField(_("offence in Spanish"), max_length=200)
    title_en = models.CharField(_("offence in English"), max_length=200)
    iccs_code = models.CharField(
        _("ICCS code"), max_length=6, help_text=_("e.g. 02041 trafficking for sexual exploitation, 08051 smuggling.")
    )
    crime_family = models.ForeignKey(
        Code,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("crime"),
        limit_choices_to={"code_list__key": "crime_family"},
    )
    is_active = models.BooleanField(
        _("in force"),
        default=True,
        help_text=_("Retired provisions stay on old charges but are not offered for new ones."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering: ClassVar = ["country__iso2", "instrument", "article"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["country", "instrument", "article"], name="unique_provision"),
        ]
        verbose_name = _("legal provision")
        verbose_name_plural = _("legal provisions")

    def __str__(self) -> str:
        return f"{self.instrument}, art. {self.article}"

    @property
    def title(self) -> str:
        return self.title_en if translation.get_language() == "en" else self.title_es

    def clean(self) -> None:
        import re

        if self.iccs_code and not re.fullmatch(self.ICCS_PATTERN, self.iccs_code):
            raise ValidationError({"iccs_code": _("An ICCS code has 4 to 6 digits.")})
        if self.crime_family_id and self.crime_family.code_list.key != "crime_family":
            raise ValidationError({"crime_family": _("This code does not belong to the right list.")})
