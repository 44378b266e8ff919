"""Statistics pages: the national dashboard (an office's own figures), its exports, the reports sent
to the hub, and at the hub the regional dashboard built from the reports alone.

Every table is protected for the tier the reader chose among those open to them
(``selectors.tiers_for``): an office's readers see its figures as they are, and may preview them
as the network or the public will see them.
"""

from __future__ import annotations

import io
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vinculo.accounts.decorators import require_permission, signed_in_user
from vinculo.accounts.roles import Permission
from vinculo.core.errors import DomainError
from vinculo.statistics import counting, exports, presentation, regional, reports, selectors
from vinculo.statistics.disclosure import Tier
from vinculo.statistics.models import Report, Snapshot
from vinculo.statistics.services import aggregates
from vinculo.statistics.services import exports as export_services
from vinculo.statistics.services import reports as report_services
from vinculo.web.downloads import private_download

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def chosen_tier(request: HttpRequest, tiers: list[Tier]) -> Tier:
    """The tier asked for in ``?tier=``, if open to the reader; else the highest open to them."""
    if not tiers:
        raise Http404
    asked = request.GET.get("tier", "")
    return next((t for t in tiers if t.value == asked), tiers[0])


def national_tables(snapshot: Snapshot, tier: Tier) -> tuple[dict[str, presentation.DisplayTable], dict[str, Any]]:
    """The snapshot's catalogue tables protected for ``tier``, and the stored MoU performance."""
    stored = selectors.snapshot_tables(snapshot)
    names = selectors.label_names()
    tables = {
        spec.key: presentation.protect_table(counting.CountTable.from_dict(stored[spec.key]), tier, names=names)
        for spec in presentation.CATALOGUE
        if spec.key in stored
    }
    if presentation.AMOUNTS.key in stored:
        amounts = counting.AmountTable.from_dict(stored[presentation.AMOUNTS.key])
        tables[amounts.key] = presentation.protect_table(amounts, tier, names=names)
    return tables, dict(stored.get("mou_performance", {}))


@require_permission(Permission.STATS_NATIONAL)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if settings.NODE_ROLE == "hub":
        return redirect("statistics:regional")
    tiers = selectors.tiers_for(user)
    tier = chosen_tier(request, tiers)
    snapshot = selectors.latest_snapshot(user)
    context: dict[str, Any] = {
        "snapshot": snapshot,
        "tier": tier,
        "tiers": [(t.value, presentation.TIER_NAMES[t]) for t in tiers],
    }
    if snapshot is None:
        return render(request, "statistics/dashboard.html", context)
    tables, mou = national_tables(snapshot, tier)
    years = snapshot.years
    year = request.GET.get("year", "")
    year = year if year in years else years[-1]
    row = years.index(year)
    sections = []
    for n, spec in enumerate((*presentation.CATALOGUE, presentation.AMOUNTS)):
        table = tables.get(spec.key)
        if table is None:
            continue
        chart = presentation.chart_of_totals(table, chart_id=f"chart-{n}", by=spec.chart_by)
        detail = presentation.chart_of_row(table, row, chart_id=f"chart-{n}-year") if spec.rows_are == "years" else ""
        sections.append({"table": table, "chart": mark_safe(chart), "detail": mark_safe(detail)})  # noqa: S308 - escaped in charts.py
    funnel = [
        (stage, tables[f"persons_{stage.lower()}"].rows[row][-1])
        for stage in counting.STAGES
        if tables.get(f"persons_{stage.lower()}") and tables[f"persons_{stage.lower()}"].rows
    ]
    context.update(
        {
            "years": years,
            "year": year,
            "sections": sections,
            "funnel": mark_safe(presentation.funnel_chart(funnel, chart_id="funnel", year=year)) if funnel else "",  # noqa: S308
            "funnel_rows": [(presentation.label("stage", stage), cell) for stage, cell in funnel],
            "performance": mou.get("performance", []),
            **hit_context(mou.get("hits", [])),
        }
    )
    return render(request, "statistics/dashboard.html", context)


def hit_context(hits: list[dict[str, Any]]) -> dict[str, Any]:
    """The hits per counterpart, their sums and the two funnels (what we asked, what we were asked)."""
    total = counting.count_sums(hits, reports.HIT_COUNTS)
    charts = {
        way: mark_safe(presentation.hit_funnel_chart(total, way=way, chart_id=f"hits-{way}"))  # noqa: S308 - escaped in charts.py
        for way in (("sent", "received") if hits else ())
    }
    return {"hits": hits, "hit_total": total, "hit_charts": charts}


@require_POST
@require_permission(Permission.STATS_NATIONAL)
def build_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    selectors.latest_snapshot(user)  # the reader's own office only (raises on the hub)
    snapshot = aggregates.build_snapshot(by=user, office=user.office)
    messages.success(request, _("Statistics counted from %(cases)s cases.") % {"cases": f"{snapshot.case_count:,}"})
    return redirect("statistics:dashboard")


@require_permission(Permission.STATS_NATIONAL)
def export_view(request: HttpRequest, key: str, file_format: str) -> HttpResponseBase:
    """One table (``key``), the SDG 16.2.2 series (``sdg``) or the GLOTIP workbook (``glotip``) as a file."""
    user = signed_in_user(request)
    tier = chosen_tier(request, selectors.tiers_for(user))
    snapshot = selectors.latest_snapshot(user)
    if snapshot is None or file_format not in ("csv", "xlsx"):
        raise Http404
    tables, mou = national_tables(snapshot, tier)
    stem = f"{user.office.code}-{key}-{tier.value}-{snapshot.built_at:%Y%m%d}"
    if key == "sdg":
        stored = selectors.snapshot_tables(snapshot)
        country = user.office.country or user.office.code[:2]
        series = exports.sdg_series(
            sex_age=counting.CountTable.from_dict(stored["victims_sex_age"]),
            forms=counting.CountTable.from_dict(stored["victims_form"]),
            area=selectors.iso3_of(country),
            populations=selectors.populations().get(country, {}),
            tier=tier,
        )
        rows: list[list[object]] = exports.series_rows(series)
    elif key == "glotip":
        if file_format != "xlsx":
            raise Http404
        data = exports.glotip_workbook(tables, office=user.office.code, tier_name=str(presentation.TIER_NAMES[tier]))
        return _download(user, key, tier, file_format, snapshot, data, stem)
    elif key == "mou":
        rows = exports.performance_rows(mou.get("performance", []))
    elif key == "hits":
        hits = mou.get("hits", [])
        rows = exports.hit_rows(hits, total=counting.count_sums(hits, reports.HIT_COUNTS))
    elif key in tables:
        rows = [list(r) for r in tables[key].as_rows()]
    else:
        raise Http404
    data = exports.csv_bytes(rows) if file_format == "csv" else exports.xlsx_bytes([(key, rows)])
    return _download(user, key, tier, file_format, snapshot, data, stem)


def _download(
    user: Any, key: str, tier: Tier, file_format: str, snapshot: Snapshot, data: bytes, stem: str
) -> HttpResponseBase:
    export_services.record_export(by=user, what=key, tier=tier, file_format=file_format, snapshot_id=snapshot.pk)
    return private_download(
        io.BytesIO(data), name=f"{stem}.{file_format}", media_type=CSV if file_format == "csv" else XLSX
    )


# ---------------------------------------------------------------------------------------------
# Reports to the hub (office nodes) and the regional figures (the hub)


@require_permission(Permission.STATS_NATIONAL)
def reports_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if settings.NODE_ROLE == "hub":
        return redirect("statistics:regional")
    return render(request, "statistics/reports.html", {"reports": selectors.sent_reports(user)})


@require_POST
@require_permission(Permission.STATS_NATIONAL)
def send_report_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    selectors.latest_snapshot(user)  # an office's own readers only
    try:
        report_services.send_report(by=user, kind=Report.Kind.ON_DEMAND)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The report is on its way to the hub."))
    return redirect("statistics:reports")


def regional_context(user: Any, tier: Tier, year: str) -> dict[str, Any]:
    """The regional figures from the newest report of each office, protected for ``tier``."""
    kept = selectors.received_reports(user)
    received = [reports.read(json.dumps(r.payload).encode()) for r in kept]
    names = selectors.label_names()
    years = sorted({str(y) for r in received for y in range(r.first_year, r.last_year + 1)})
    year = year if year in years else (years[-1] if years else "")
    tables = []
    for spec in presentation.CATALOGUE:
        summed = regional.summed(received, spec.key)
        if summed is not None:
            tables.append(presentation.regional_table(summed, tier, names=names))
    comparisons = []
    for key in ("victims_sex_age", "victims_form", "persons_convicted"):
        columns, values = regional.by_country(received, key, year)
        spec = presentation.BY_KEY[key]
        comparisons.append(
            {
                "title": spec.title,
                "header": [presentation.label(spec.columns_are, c, names) for c in columns] + [_("Total")],
                "rows": list(values.items()),  # None: hidden in that office's report, shown as "x"
            }
        )
    rates = regional.sdg_rates(received, selectors.populations(), int(year)) if year else []
    network_hits = regional.network_hits(received)
    return {
        "received": kept,
        "tables": tables,
        "comparisons": comparisons,
        "rates": rates,
        "years": years,
        "year": year,
        "performance": regional.network_performance(received),
        "performance_total": regional.performance_total(received),
        "hits": network_hits,
        "hit_chart": mark_safe(  # noqa: S308 - escaped in charts.py
            presentation.hit_funnel_chart(network_hits.total, way="sent", chart_id="hits-network", network=True)
        )
        if network_hits.rows
        else "",
    }


@require_permission(Permission.STATS_REGIONAL)
def regional_view(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    tiers = selectors.tiers_for(user)
    if settings.NODE_ROLE != "hub":
        raise Http404
    tier = chosen_tier(request, tiers)
    context = regional_context(user, tier, request.GET.get("year", ""))
    context.update({"tier": tier, "tiers": [(t.value, presentation.TIER_NAMES[t]) for t in tiers]})
    return render(request, "statistics/regional.html", context)


@require_permission(Permission.STATS_REGIONAL)
def regional_export_view(request: HttpRequest, key: str, file_format: str) -> HttpResponseBase:
    """A regional table (or the SDG 16.2.2 rates, ``sdg``) as CSV or XLSX, in the tier chosen."""
    user = signed_in_user(request)
    if settings.NODE_ROLE != "hub" or file_format not in ("csv", "xlsx"):
        raise Http404
    tier = chosen_tier(request, selectors.tiers_for(user))
    context = regional_context(user, tier, request.GET.get("year", ""))
    if key == "sdg":
        header: list[object] = [_("Office"), _("Year"), _("Victims detected"), _("Rate per 100,000"), _("Period")]
        rows = [header] + [
            [
                row.area or _("Reporting countries together"),
                context["year"],
                "x" if row.count is None else row.count,
                "" if row.rate.per_100k is None else str(row.rate.per_100k),
                f"{row.rate.first_year}-{row.rate.last_year}",
            ]
            for row in context["rates"]
        ]
    elif key == "mou":
        rows = exports.performance_rows(context["performance"], member="*")
    elif key == "hits":
        rows = exports.hit_rows(context["hits"].rows, member="*", total=context["hits"].total)
    else:
        table = next((t for t in context["tables"] if t.key == key), None)
        if table is None:
            raise Http404
        rows = [list(r) for r in table.as_rows()]
    data = exports.csv_bytes(rows) if file_format == "csv" else exports.xlsx_bytes([(key, rows)])
    export_services.record_export(by=user, what=f"regional:{key}", tier=tier, file_format=file_format, snapshot_id=None)
    name = f"{settings.NODE_ID}-regional-{key}-{tier.value}.{file_format}"
    return private_download(io.BytesIO(data), name=name, media_type=CSV if file_format == "csv" else XLSX)
