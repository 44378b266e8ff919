"""Statistical reports to the hub: built from a snapshot after the network tier's disclosure control,
sent as a signed message (``statistics.report``), kept by the hub, which builds its regional figures
from them alone.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vinculo.accounts.models import Office, User
from vinculo.audit import services as audit
from vinculo.cases.models import Case
from vinculo.core.errors import DomainError
from vinculo.messaging.models import InboundMessage
from vinculo.messaging.services import outbox
from vinculo.statistics import counting, disclosure, reports, selectors
from vinculo.statistics.disclosure import Tier
from vinculo.statistics.models import Report, Snapshot
from vinculo.statistics.services import aggregates

NOT_AN_OFFICE = _("Only an office node sends statistical reports.")
NOTHING_COUNTED = _("The statistics have not been counted yet.")


def hub_id() -> str:
    """The hub's member id, from the network directory in force."""
    from vinculo.federation import directory

    return str(directory.in_force().hub)


def report_bytes(*, snapshot: Snapshot, report_id: uuid.UUID, kind: str, member: str, country: str) -> bytes:
    """The report of ``snapshot``: every table of the catalogue protected for the network tier."""
    stored = selectors.snapshot_tables(snapshot)
    rules = disclosure.RULES[Tier.NETWORK]
    releases = {}
    for key in reports.TABLES:
        if key not in stored:
            continue
        table = counting.CountTable.from_dict(stored[key])
        if not table.rows or not table.columns:
            continue
        source = disclosure.Table.two_way(table.rows, table.columns, [list(r) for r in table.values])
        releases[key] = disclosure.protect(source, rules)
    mou: dict[str, Any] = dict(stored.get("mou_performance", {}))
    performance: list[dict[str, Any]] = list(mou.get("performance", []))
    return reports.write(
        report_id=report_id,
        member=member,
        country=country,
        kind=kind,
        as_of=snapshot.built_at.date(),
        first_year=snapshot.first_year,
        last_year=snapshot.last_year,
        releases=releases,
        performance=performance,
        hits=list(mou.get("hits", [])),
    )


def send_report(*, by: User | None, kind: str, snapshot: Snapshot | None = None) -> Report:
    """Send the office's figures to the hub: the given snapshot, or the latest (built first if none)."""
    if settings.NODE_ROLE != "office":
        raise DomainError(NOT_AN_OFFICE, code="not_an_office")
    office = Office.objects.get(code=settings.NODE_ID)
    if snapshot is None:
        snapshot = Snapshot.objects.filter(office=office).first() or aggregates.build_snapshot(by=by, office=office)
    report_id = uuid.uuid4()
    country = office.country or office.code[:2]
    payload = report_bytes(snapshot=snapshot, report_id=report_id, kind=kind, member=office.code, country=country)
    return _send(by=by, office=office, snapshot=snapshot, report_id=report_id, kind=kind, payload=payload)


@transaction.atomic(durable=True)
def _send(
    *, by: User | None, office: Office, snapshot: Snapshot, report_id: uuid.UUID, kind: str, payload: bytes
) -> Report:
    read = reports.read(payload)
    hub = hub_id()
    message = outbox.send(type=reports.MESSAGE_TYPE, recipient=hub, payload=payload, sent_by=by)
    report = Report.objects.create(
        report_id=report_id,
        side=Report.Side.SENT,
        member=office.code,
        country=read.country,
        kind=kind,
        as_of=read.as_of,
        first_year=read.first_year,
        last_year=read.last_year,
        payload=read.data,
        sha256=hashlib.sha256(payload).hexdigest(),
        message_id=message.id,
        created_by=by,
    )
    audit.record(
        action="statistics.report_sent",
        actor=by,
        target=report,
        data={"report": str(report_id), "kind": kind, "hub": hub, "snapshot": snapshot.pk, "bytes": len(payload)},
    )
    return report


FRESH = datetime.timedelta(days=1)  # aggregates younger than this are reported as they are


def send_monthly_report(*, now: datetime.datetime | None = None) -> Report | None:
    """The month's report, unless one was already sent this month (run by the delivery worker).

    It reports the aggregates of the day (``refresh_aggregates`` keeps them so), counting afresh
    only when the latest snapshot is older than a day: with a million cases, counting takes
    minutes, reporting the counted tables well under a second.
    """
    if settings.NODE_ROLE != "office":
        return None
    moment = now or timezone.now()
    today = timezone.localdate(moment)
    sent = Report.objects.filter(
        side=Report.Side.SENT, kind=Report.Kind.MONTHLY, as_of__year=today.year, as_of__month=today.month
    )
    if sent.exists():
        return None
    office = Office.objects.get(code=settings.NODE_ID)
    if not Case.objects.filter(office=office).exists():
        return None  # an office with no cases yet has nothing to report (and a test network sends nothing)
    snapshot = Snapshot.objects.filter(office=office, built_at__gte=moment - FRESH).first()
    if snapshot is None:
        snapshot = aggregates.build_snapshot(by=None, office=office)
    return send_report(by=None, kind=Report.Kind.MONTHLY, snapshot=snapshot)


def refresh_aggregates(*, now: datetime.datetime | None = None) -> Snapshot | None:
    """Count the office's cases again unless the latest snapshot is less than a day old (the delivery worker's job)."""
    if settings.NODE_ROLE != "office":
        return None
    office = Office.objects.filter(code=settings.NODE_ID).first()
    if office is None or not Case.objects.filter(office=office).exists():
        return None
    if Snapshot.objects.filter(office=office, built_at__gte=(now or timezone.now()) - FRESH).exists():
        return None
    return aggregates.build_snapshot(by=None, office=office)


def receive_report(message: InboundMessage, payload: bytes) -> None:
    """``statistics.report`` at the hub: read strictly, kept once, as the sender's own figures."""
    if settings.NODE_ROLE != "hub":
        raise reports.ReportRefused("report", "only the hub keeps statistical reports")
    read = reports.read(payload)
    if read.member != message.sender:
        raise reports.ReportRefused("member", f"the report is {read.member}'s, sent by {message.sender}")
    if Report.objects.filter(side=Report.Side.RECEIVED, member=read.member, report_id=read.report_id).exists():
        return  # the same report again under another message id
    report = Report.objects.create(
        report_id=uuid.UUID(read.report_id),
        side=Report.Side.RECEIVED,
        member=read.member,
        country=read.country,
        kind=read.kind,
        as_of=read.as_of,
        first_year=read.first_year,
        last_year=read.last_year,
        payload=read.data,
        sha256=hashlib.sha256(payload).hexdigest(),
        message_id=message.message_id,
    )
    audit.record(
        action="statistics.report_received",
        actor=None,
        target=report,
        data={"report": read.report_id, "member": read.member, "kind": read.kind, "as_of": read.as_of.isoformat()},
    )
