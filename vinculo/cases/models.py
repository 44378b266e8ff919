"""Case files (expedientes) of this office and who works on them.

Coded facts point at reference codes (``reference.Code``) of a named list; the model checks
that each code comes from the right list, so a stage can never hold a verdict. Unknown is
the ``NK`` code, never NULL, wherever the list has one.
"""

from __future__ import annotations

import datetime
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


def known_part(value: datetime.date, precision: str) -> datetime.date:
    """Keep only what is known: the 1st of the month, or 1 January, marks a month or a year."""
    if precision == DatePrecision.MONTH:
        return value.replace(day=1)
    if precision == DatePrecision.YEAR:
        return value.replace(month=1, day=1)
    return value


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
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["office", "national_number"], name="unique_case_number_per_office"),
            models.CheckConstraint(
                condition=models.Q(closed_on__isnull=True) | models.Q(closure_type__isnull=False),
                name="closed_case_has_closure_type",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["office", "reported_on"], name="case_office_reported"),
            # The case list's order (newest first within the office): benchmarks/case_list_search.py.
            models.Index(fields=["office", "created_at"], name="case_office_created"),
        ]
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


class Person(models.Model):
    """A person in the office's case files: the pseudonymous, analytic side (no names here).

    Who the person is (names, documents, exact birth date, contacts) lives in
    ``PersonIdentity``, encrypted in the identity vault.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="persons")
    sex = _code_field(_("sex"), "sex")
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    citizenships = models.ManyToManyField(
        "reference.Country", related_name="+", blank=True, verbose_name=_("citizenships")
    )
    reference = models.CharField(
        _("reference in the national system"),
        max_length=64,
        blank=True,
        help_text=_("The person's number in the office's own case system, if it has one (used by imports)."),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["office", "reference"],
                condition=~models.Q(reference=""),
                name="one_person_per_national_reference",
            ),
        ]
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return str(self.pk)

    def clean(self) -> None:
        if self.sex_id and self.sex.code_list.key != "sex":
            raise ValidationError({"sex": _("This code does not belong to the right list.")})
        if self.birth_year and not 1900 <= self.birth_year <= timezone.localdate().year:
            raise ValidationError({"birth_year": _("Give a year between 1900 and this year.")})


class PersonIdentity(models.Model):
    """Who a person is, every field a vault token (see vinculo.vault); empty string means not given."""

    SEALED_FIELDS: ClassVar[tuple[str, ...]] = (
        "given_names",
        "first_surname",
        "second_surname",
        "birth_date",
        "document_numbers",
        "phones",
        "address",
        "vehicle_plates",
    )

    person = models.OneToOneField(Person, on_delete=models.CASCADE, primary_key=True, related_name="identity")
    given_names = models.TextField(blank=True)
    first_surname = models.TextField(blank=True)
    second_surname = models.TextField(blank=True)
    birth_date = models.TextField(blank=True)
    document_numbers = models.TextField(blank=True)
    phones = models.TextField(blank=True)
    address = models.TextField(blank=True)
    vehicle_plates = models.TextField(blank=True)  # "GT P-123ABC; SV P 12345": vehicles the person uses
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")

    def __str__(self) -> str:
        return f"identity of {self.person_id}"

    @staticmethod
    def context(person_id: uuid.UUID | str, field: str) -> str:
        """Where a token belongs: the vault binds it to this person and this field."""
        return f"cases.personidentity:{person_id}:{field}"


class CaseParty(models.Model):
    """A person's role in a case (victim, suspect, smuggled migrant, witness …)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="parties")
    role = _code_field(_("role in the case"), "party_role")
    identification_status = _code_field(_("victim identification"), "identification_status", null=True)
    age_at_identification = models.PositiveSmallIntegerField(_("age when identified"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    VICTIM_ROLES: ClassVar[frozenset[str]] = frozenset({"VICTIM", "VICTIM_AND_SMUGGLED_MIGRANT", "VICTIM_AND_SUSPECT"})

    class Meta:
        ordering: ClassVar = ["created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["case", "person", "role"], name="one_role_per_person_per_case"),
            models.CheckConstraint(
                condition=models.Q(age_at_identification__isnull=True) | models.Q(age_at_identification__lte=120),
                name="plausible_age_at_identification",
            ),
        ]
        verbose_name = _("party to a case")
        verbose_name_plural = _("parties to cases")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.role_id}"

    @property
    def is_victim(self) -> bool:
        return self.role.code in self.VICTIM_ROLES

    @property
    def is_child(self) -> bool:
        """A child at identification, or (age unknown) by year of birth now: stricter rules apply."""
        if self.age_at_identification is not None:
            return self.age_at_identification < 18
        birth_year = self.person.birth_year
        return birth_year is not None and timezone.localdate().year - birth_year < 18


# Which code list each multi-valued fact of an exploitation draws from.
EXPLOITATION_CODE_LISTS: dict[str, str] = {
    "purposes": "exploitation_form",
    "acts": "act",
    "means": "means",
    "control_methods": "control_method",
    "recruitment_methods": "recruitment_method",
}


def _codes_field(verbose_name: StrOrPromise, list_key: str) -> Any:
    return models.ManyToManyField(
        Code,
        related_name=f"exploitations_{list_key}+",
        blank=True,
        verbose_name=verbose_name,
        limit_choices_to={"code_list__key": list_key},
    )


class Exploitation(models.Model):
    """How one victim was trafficked: forms of exploitation, acts, means, control and recruitment."""

    party = models.OneToOneField(CaseParty, on_delete=models.CASCADE, related_name="exploitation")
    purposes = _codes_field(_("forms of exploitation"), "exploitation_form")
    acts = _codes_field(_("acts"), "act")
    means = _codes_field(_("means"), "means")
    control_methods = _codes_field(_("methods of control"), "control_method")
    recruitment_methods = _codes_field(_("recruitment"), "recruitment_method")
    started_on = models.DateField(_("began"), null=True, blank=True)
    started_on_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    ended_on_precision = models.CharField(max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("exploitation")
        verbose_name_plural = _("exploitations")

    def __str__(self) -> str:
        return f"exploitation of party {self.party_id}"

    def clean(self) -> None:
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": _("The exploitation cannot end before it began.")})


class Event(models.Model):
    """One step of what happened (recruitment, transit, a border crossing, exploitation, rescue …).

    Events in date order draw the route across countries. Places are described without names
    of people; a border crossing points at the reference list.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    event_type = _code_field(_("what happened"), "event_type")
    occurred_on = models.DateField(_("when"), null=True, blank=True)
    occurred_on_precision = models.CharField(
        _("precision of the date"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    country = models.ForeignKey(
        "reference.Country",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("country"),
    )
    place = models.CharField(_("place"), max_length=200, blank=True, help_text=_("Town, department or area."))
    border_crossing = models.ForeignKey(
        "reference.BorderCrossing",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("border crossing"),
    )
    transport = models.ManyToManyField(
        Code,
        related_name="events_transport+",
        blank=True,
        verbose_name=_("transport"),
        limit_choices_to={"code_list__key": "transport_means"},
    )
    parties = models.ManyToManyField(CaseParty, related_name="events", blank=True, verbose_name=_("people involved"))
    notes = models.TextField(_("notes"), blank=True, help_text=_("No names here."))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering: ClassVar = [models.F("occurred_on").asc(nulls_last=True), "created_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.event_type_id}"

    def clean(self) -> None:
        if self.event_type_id and self.event_type.code_list.key != "event_type":
            raise ValidationError({"event_type": _("This code does not belong to the right list.")})
        if self.occurred_on and self.occurred_on > timezone.localdate():
            raise ValidationError({"occurred_on": _("This date is in the future.")})
        if (
            self.event_type_id
            and self.event_type.code == "BORDER_CROSSING"
            and not (self.border_crossing_id or self.country_id)
        ):
            raise ValidationError({"border_crossing": _("Say where the border was crossed.")})


class IdentityIndexEntry(models.Model):
    """A keyed digest of one normalised part of an identity (a name word, a document, a phone).

    Lets the node find people without decrypting everyone; see vinculo.vault.blind.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="index_entries")
    kind = models.CharField(max_length=10)
    digest = models.CharField(max_length=32)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["person", "kind", "digest"], name="unique_index_entry"),
        ]
        # People search looks digests up and needs only the person: a covering index
        # (benchmarks/case_list_search.py).
        indexes: ClassVar = [models.Index(fields=["digest", "kind", "person"], name="identity_digest_lookup")]
        verbose_name = _("identity index entry")
        verbose_name_plural = _("identity index entries")

    def __str__(self) -> str:
        return f"{self.person_id}:{self.kind}"


class PendingImport(models.Model):
    """A file checked by a dry run and waiting for the person to confirm the real import (kept one hour)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=200)
    data = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("pending import")
        verbose_name_plural = _("pending imports")

    def __str__(self) -> str:
        return self.file_name


class SupportRecord(models.Model):
    """A protection measure or a service for a victim (shelter, legal aid, repatriation …)."""

    class Category(models.TextChoices):
        PROTECTION = "protection", _("Protection measure")
        SERVICE = "service", _("Service")

    LISTS: ClassVar[dict[str, str]] = {"protection": "protection_measure", "service": "victim_service"}

    party = models.ForeignKey(CaseParty, on_delete=models.CASCADE, related_name="support")
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    kind = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="+", verbose_name=_("measure or service"))
    provider = models.CharField(_("provided by"), max_length=200, blank=True)
    started_on = models.DateField(_("from"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering: ClassVar = ["created_at"]
        verbose_name = _("protection or service")
        verbose_name_plural = _("protection and services")

    def __str__(self) -> str:
        return f"{self.party_id}: {self.kind_id}"

    def clean(self) -> None:
        if self.kind_id and self.kind.code_list.key != self.LISTS.get(self.category):
            raise ValidationError({"kind": _("This code does not belong to the right list.")})
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": _("The end comes before the start.")})


class CaseLink(models.Model):
    """A link from this case to another of the office, or to a foreign counterpart's case."""

    from_case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links")
    to_case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="linked_from", verbose_name=_("case")
    )
    link_type = _code_field(_("kind of link"), "case_link_type")
    foreign_reference = models.CharField(
        _("foreign reference"),
        max_length=100,
        blank=True,
        help_text=_("Office and case number abroad, e.g. GT-MP 123-2025."),
    )
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering: ClassVar = ["created_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(models.Q(to_case__isnull=False) & models.Q(foreign_reference=""))
                | (models.Q(to_case__isnull=True) & ~models.Q(foreign_reference="")),
                name="link_points_at_one_case",
            ),
        ]
        verbose_name = _("case link")
        verbose_name_plural = _("case links")

    def __str__(self) -> str:
        return f"{self.from_case_id} → {self.to_case_id or self.foreign_reference}"


class ConsentRecord(models.Model):
    """What a victim agreed to (or refused, or withdrew), when, and who recorded it.

    The latest record per purpose is in force; older ones stay as history.
    """

    class Purpose(models.TextChoices):
        SHARE_WITH_NETWORK = "share_network", _("Share their information with other offices of the network")
        CONTACT = "contact", _("Be contacted for follow-up")
        SERVICES_REFERRAL = "referral", _("Be referred to services outside the prosecution")
        STATISTICS = "statistics", _("Be counted in statistics (always anonymous)")

    class Decision(models.TextChoices):
        GIVEN = "given", _("Given")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    party = models.ForeignKey(CaseParty, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    decided_on = models.DateField(_("date"))
    given_by_guardian = models.BooleanField(_("through a parent or guardian"), default=False)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering: ClassVar = ["-decided_on", "-created_at"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        return f"{self.party_id}: {self.purpose} {self.decision}"

    def clean(self) -> None:
        if self.decided_on and self.decided_on > timezone.localdate():
            raise ValidationError({"decided_on": _("This date is in the future.")})


class Charge(models.Model):
    """An offence a suspect or defendant is charged with (one person, one legal provision)."""

    party = models.ForeignKey(CaseParty, on_delete=models.CASCADE, related_name="charges")
    provision = models.ForeignKey(
        "reference.LegalProvision", on_delete=models.PROTECT, related_name="+", verbose_name=_("legal provision")
    )
    participation = _code_field(_("participation"), "offence_participation")
    status = _code_field(_("status"), "charge_status")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering: ClassVar = ["created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["party", "provision"], name="one_charge_per_provision")
        ]
        verbose_name = _("charge")
        verbose_name_plural = _("charges")

    def __str__(self) -> str:
        return f"{self.party_id}: {self.provision_id}"


class Proceeding(models.Model):
    """A stretch of the case before one court: pre-trial hearings, the trial, an appeal …

    Together the proceedings of a case are its procedural history (SHERLOC style): each one
    names the court, its instance and the kind of procedure followed.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="proceedings")
    instance = _code_field(_("instance"), "court_instance")
    procedure_type = _code_field(_("kind of procedure"), "procedure_type")
    court = models.CharField(
        _("court"), max_length=200, help_text=_("e.g. Tribunal Primero de Sentencia de San Salvador.")
    )
    court_reference = models.CharField(_("court's file number"), max_length=64, blank=True)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering: ClassVar = ["started_on", "created_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                name="proceeding_ends_after_it_starts",
            ),
        ]
        verbose_name = _("proceeding")
        verbose_name_plural = _("proceedings")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.instance_id} {self.court}"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.instance_id and self.instance.code_list.key != "court_instance":
            errors["instance"] = _("This code does not belong to the right list.")
        if self.procedure_type_id and self.procedure_type.code_list.key != "procedure_type":
            errors["procedure_type"] = _("This code does not belong to the right list.")
        today = timezone.localdate()
        if self.started_on and self.started_on > today:
            errors["started_on"] = _("This date is in the future.")
        if self.ended_on and self.ended_on > today:
            errors["ended_on"] = _("This date is in the future.")
        elif self.started_on and self.ended_on and self.ended_on < self.started_on:
            errors["ended_on"] = _("The end comes before the start.")
        if errors:
            raise ValidationError(errors)


class Decision(models.Model):
    """A court's decision on one charge (one person, one provision) in one proceeding.

    First-instance convictions are what GLOTIP counts as "convicted"; a decision is final
    (*firme*) when no appeal is left.
    """

    CONVICTIONS: ClassVar[frozenset[str]] = frozenset({"CONVICTED", "CONVICTED_OF_OTHER_OFFENCE"})

    proceeding = models.ForeignKey(Proceeding, on_delete=models.CASCADE, related_name="decisions")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("charge"))
    decided_on = models.DateField(_("date of the decision"))
    verdict = _code_field(_("verdict"), "verdict")
    acquittal_reason = _code_field(_("reason for acquittal"), "acquittal_reason")
    is_final = models.BooleanField(_("final (no appeal left)"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering: ClassVar = ["decided_on", "created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["proceeding", "charge"], name="one_decision_per_charge_per_proceeding"),
        ]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return f"{self.charge_id}: {self.verdict_id}"

    @property
    def is_conviction(self) -> bool:
        return self.verdict.code in self.CONVICTIONS


class Sentence(models.Model):
    """What a conviction imposed: sanctions, prison term, amounts (in the currency stated)."""

    decision = models.OneToOneField(Decision, on_delete=models.CASCADE, related_name="sentence")
    sanctions = models.ManyToManyField(
        Code, related_name="+", verbose_name=_("sanctions"), limit_choices_to={"code_list__key": "sanction"}
    )
    imprisonment_months = models.PositiveIntegerField(_("prison term in months"), null=True, blank=True)
    suspended = models.BooleanField(_("suspended"), default=False)
    currency = models.CharField(_("currency"), max_length=3, help_text=_("ISO 4217 code, e.g. GTQ, USD, HNL."))
    fine_amount = models.DecimalField(_("fine"), max_digits=14, decimal_places=2, null=True, blank=True)
    confiscated_value = models.DecimalField(
        _("value of assets confiscated"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    reparation_amount = models.DecimalField(
        _("reparation to victims"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(imprisonment_months__isnull=True) | models.Q(imprisonment_months__lte=1200),
                name="plausible_prison_term",
            ),
            models.CheckConstraint(
                condition=(models.Q(fine_amount__isnull=True) | models.Q(fine_amount__gte=0))
                & (models.Q(confiscated_value__isnull=True) | models.Q(confiscated_value__gte=0))
                & (models.Q(reparation_amount__isnull=True) | models.Q(reparation_amount__gte=0)),
                name="amounts_not_negative",
            ),
        ]
        verbose_name = _("sentence")
        verbose_name_plural = _("sentences")

    def __str__(self) -> str:
        return f"{self.decision_id}: {self.imprisonment_months or 0} months"


class CaseDocument(models.Model):
    """A file kept with a case (a statement, a report, a court decision, a photo …).

    The file's name and content are sealed in the identity vault: a document about a person
    names them as surely as their identity does. Its SHA-256 (of the original bytes) is kept in
    clear so that a copy can be checked against it. A withdrawn document keeps its record and
    loses its content.
    """

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint or report")
        STATEMENT = "statement", _("Statement or interview")
        POLICE_REPORT = "police_report", _("Police or investigation report")
        EXPERT_REPORT = "expert_report", _("Expert report")
        COURT_DOCUMENT = "court_document", _("Court document or decision")
        PHOTO = "photo", _("Photograph of a person")
        TRAVEL_DOCUMENT = "travel_document", _("Identity or travel document")
        EXCHANGE = "exchange", _("Information from another office")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    party = models.ForeignKey(
        CaseParty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("about"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(
        _("description"), max_length=200, help_text=_("What it is, without names (e.g. “Statement at the shelter”).")
    )
    media_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file_name = models.TextField(blank=True)  # vault token
    content = models.TextField(blank=True)  # vault token of the bytes; empty once withdrawn
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("document")
        verbose_name_plural = _("documents")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.kind} {self.pk}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @staticmethod
    def context(document_id: uuid.UUID | str, field: str) -> str:
        return f"cases.casedocument:{document_id}:{field}"
