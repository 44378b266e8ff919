"""Case files (expedientes) of this office and who works on them.

Coded facts point at reference codes (``reference.Code``) of a named list; the model checks
that each code comes from the right list, so a stage can never hold a verdict. Unknown is
the ``NK`` code, never NULL, wherever the list has one.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from vinculo.accounts.models import Office
from vinculo.reference.models import Code


class DatePrecision(models.TextChoices):
    DAY = "day", _("Exact day")
    MONTH = "month", _("Month only")
    YEAR = "year", _("Year only")


class Visibility(models.TextChoices):
    TEAM = "team", _("Case team only")
    OFFICE = "office", _("Everyone in the office who works on cases")


# Which code list each coded field of a case draws from.
CASE_CODE_LISTS: dict[str, str] = {
    "crime_family": "crime_family",
    "origin": "case_origin",
    "stage": "stage",
    "closure_type": "closure_type",
    "organized_crime": "yes_no",
    "trafficker_organization": "trafficker_organization",
}


def _code_field(verbose_name: StrOrPromise, list_key: str, *, null: bool = False) -> Any:
    return models.ForeignKey(
        Code,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=verbose_name,
        null=null,
        blank=null,
        limit_choices_to={"code_list__key": list_key},
    )


class Case(models.Model):
    """A trafficking or smuggling case file of this office."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="cases", verbose_name=_("office"))
    national_number = models.CharField(
        _("national case number"), max_length=64, help_text=_("The number the office's own case system gives it.")
    )
    crime_family = _code_field(_("crime"), "crime_family")
    origin = _code_field(_("origin of the case"), "case_origin")
    stage = _code_field(_("stage"), "stage")
    closure_type = _code_field(_("how it closed"), "closure_type", null=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    reported_on = models.DateField(_("reported on"), null=True, blank=True)
    reported_on_precision = models.CharField(
        _("precision of the report date"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    organized_crime = _code_field(_("organized crime involved"), "yes_no")
    trafficker_organization = _code_field(_("type of trafficker organization"), "trafficker_organization")
    summary = models.TextField(_("summary"), blank=True, help_text=_("No names here: people go in the parties."))
    summary_language = models.CharField(
        _("language of the summary"), max_length=2, choices=[("es", "Español"), ("en", "English")], default="es"
    )
    visibility = models.CharField(
        _("who may see it"), max_length=8, choices=Visibility.choices, default=Visibility.TEAM
    )
    created_at = models.DateTimeField(_("registered"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["office", "national_number"], name="unique_case_number_per_office"),
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True) | models.Q(closure_type__isnull=False),
                name="closed_case_has_closure_type",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["office", "reported_on"], name="case_office_reported")]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.national_number

    def clean(self) -> None:
        errors = {}
        for field, list_key in CASE_CODE_LISTS.items():
            code = getattr(self, field, None)
            if code is not None and code.code_list.key != list_key:
                errors[field] = _("This code does not belong to the right list.")
        if self.closed_on and not self.closure_type_id:
            errors["closure_type"] = _("Say how the case closed.")
        if self.closure_type_id and not self.closed_on:
            errors["closed_on"] = _("Give the date the case closed.")
        if self.closed_on and self.reported_on and self.closed_on < self.reported_on:
            errors["closed_on"] = _("A case cannot close before it was reported.")
        if self.reported_on and self.reported_on > timezone.localdate():
            errors["reported_on"] = _("This date is in the future.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None


class TeamRole(models.TextChoices):
    LEAD = "lead", _("Lead prosecutor")
    MEMBER = "member", _("Team member")
    VICTIM_CARE = "victim_care", _("Victim care")
    JUDGE = "judge", _("Judge (reads)")


class CaseAssignment(models.Model):
    """A person of the office assigned to a case, and in which capacity."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_assignments")
    role = models.CharField(_("role in the case"), max_length=16, choices=TeamRole.choices)
    assigned_at = models.DateTimeField(default=timezone.now)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["case", "user"], name="one_assignment_per_person"),
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(role="lead"), name="one_lead_prosecutor_per_case"
            ),
        ]
        verbose_name = _("case assignment")
        verbose_name_plural = _("case assignments")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.user_id} ({self.role})"
