"""Aggregates of the office's cases, built ahead of reading, and the statistical reports sent to the hub.

A ``Snapshot`` holds every table of the catalogue counted from the registry at one moment, at the
owner's tier (unprotected): the dashboards read it instead of the cases, and protect each table
for the reader's tier when they show it. A ``Report`` is what went to the hub (on an office node)
or came from an office (on the hub): aggregates after the network tier's disclosure control, in
the strict format of ``reports.py``.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Office


class Snapshot(models.Model):
    """The aggregates of one office's cases at one moment (owner tier: never leaves the office as is)."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    built_at = models.DateTimeField(_("built"), default=timezone.now)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    first_year = models.PositiveSmallIntegerField(_("first year"))
    last_year = models.PositiveSmallIntegerField(_("last year"))
    case_count = models.PositiveIntegerField(_("cases read"))
    build_ms = models.PositiveIntegerField(_("time to build (ms)"))

    class Meta:
        ordering: ClassVar = ["-built_at", "-pk"]
        indexes: ClassVar = [models.Index(fields=["office", "-built_at"], name="stats_snapshot_latest")]
        verbose_name = _("statistics snapshot")
        verbose_name_plural = _("statistics snapshots")

    def __str__(self) -> str:
        return f"{self.office_id} {self.built_at:%Y-%m-%d %H:%M}"

    @property
    def years(self) -> list[str]:
        return [str(y) for y in range(self.first_year, self.last_year + 1)]


class AggregateTable(models.Model):
    """One table of a snapshot: interior counts by row and column labels (``counting.CountTable.as_dict``)."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="tables")
    key = models.CharField(max_length=64)
    data = models.JSONField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["snapshot", "key"], name="one_table_per_key_per_snapshot")
        ]
        verbose_name = _("aggregate table")
        verbose_name_plural = _("aggregate tables")

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{self.key}"


class Report(models.Model):
    """A signed statistical report: one this office sent to the hub, or one the hub received."""

    class Side(models.TextChoices):
        SENT = "sent", _("Sent")
        RECEIVED = "received", _("Received")

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        ON_DEMAND = "on_demand", _("On demand")

    report_id = models.UUIDField(default=uuid.uuid4, editable=False)  # the same on both nodes
    side = models.CharField(max_length=8, choices=Side.choices)
    member = models.CharField(_("office"), max_length=32)  # the reporting office
    country = models.CharField(_("country"), max_length=2)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    as_of = models.DateField(_("figures up to"))
    first_year = models.PositiveSmallIntegerField(_("first year"))
    last_year = models.PositiveSmallIntegerField(_("last year"))
    payload = models.JSONField()  # the report as sent: aggregates after the network tier's disclosure control
    sha256 = models.CharField(max_length=64)
    message_id = models.UUIDField(null=True, blank=True)  # the envelope it travelled in
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["side", "member", "report_id"], name="one_copy_of_each_report"),
        ]
        indexes: ClassVar = [models.Index(fields=["side", "member", "-created_at"], name="stats_report_latest")]
        verbose_name = _("statistical report")
        verbose_name_plural = _("statistical reports")

    def __str__(self) -> str:
        return f"{self.member} {self.as_of} ({self.kind})"
