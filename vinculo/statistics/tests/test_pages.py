"""The national dashboard and its exports: the office's own figures, protected for the tier chosen."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from vinculo.accounts.models import User
from vinculo.audit.models import AuditEntry
from vinculo.cases.tests.factories import open_case
from vinculo.statistics import charts, exports
from vinculo.statistics.services import aggregates
from vinculo.statistics.tests.test_aggregates import add_victim


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def counted(prosecutor: User) -> Any:
    """Seven women and three girls detected this year, counted into a snapshot."""
    case = open_case(prosecutor)
    for _ in range(7):
        add_victim(prosecutor, case, forms=["SEXUAL_EXPLOITATION"])
    for _ in range(3):
        add_victim(prosecutor, case, age=15, forms=["FORCED_BEGGING"])
    return aggregates.build_snapshot(by=prosecutor, office=prosecutor.office)


def test_the_dashboard_invites_to_count_before_the_first_snapshot(client: Client, prosecutor: User) -> None:
    page = signed_in(client, prosecutor).get(reverse("statistics:dashboard"))
    assert page.status_code == 200
    assert "Volver a contar a partir de los casos" in page.text


def test_counting_from_the_page_builds_a_snapshot(client: Client, prosecutor: User) -> None:
    add_victim(prosecutor, open_case(prosecutor))
    response = signed_in(client, prosecutor).post(reverse("statistics:build"))
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="statistics.snapshot_built", actor_label=prosecutor.username).exists()


def test_the_owner_sees_the_figures_as_they_are(client: Client, prosecutor: User, counted: Any) -> None:
    page = signed_in(client, prosecutor).get(reverse("statistics:dashboard"))
    assert page.status_code == 200
    table = page.text.split('id="victims_sex_age"')[1].split("</table>")[0]
    cells = re.findall(r'<td class="stats-number[^"]*">([^<]*)</td>', table)
    year_row = cells[-14:-7]  # the last year's row: women, men, girls, boys, other, not known, total
    assert year_row == ["7", "0", "3", "0", "0", "0", "10"]


def test_the_network_preview_hides_small_counts(client: Client, prosecutor: User, counted: Any) -> None:
    page = signed_in(client, prosecutor).get(reverse("statistics:dashboard") + "?tier=network")
    table = page.text.split('id="victims_sex_age"')[1].split("</table>")[0]
    assert "&lt;5" in table  # the three girls
    assert ">3<" not in table
    notes = page.text.split('id="victims_sex_age"')[1].split("</section>")[0]
    assert "fewer than 5;" in notes or "menos de 5" in notes


def test_charts_have_no_inline_style_or_script(client: Client, prosecutor: User, counted: Any) -> None:
    page = signed_in(client, prosecutor).get(reverse("statistics:dashboard"))
    svgs = re.findall(r"<svg.*?</svg>", page.text, flags=re.S)
    assert svgs
    for svg in svgs:
        assert "style=" not in svg
        assert "<script" not in svg
        assert "<title" in svg


def test_a_chart_escapes_its_labels_and_writes_every_value() -> None:
    svg = charts.bar_chart(
        chart_id="c",
        title="<b>",
        description="d",
        units="persons",
        bars=[charts.Bar("A&B", 4, "4"), charts.Bar("hidden", None, "<5")],
    )
    assert "<b>" not in svg
    assert "A&amp;B" in svg
    assert "&lt;5" in svg
    assert svg.count("<rect") == 1  # no bar for a hidden value


def test_a_table_exports_as_csv_and_xlsx_protected_and_audited(client: Client, prosecutor: User, counted: Any) -> None:
    signed_in(client, prosecutor)
    url = reverse("statistics:export", args=["victims_sex_age", "csv"])
    csv_text = client.get(url + "?tier=public").getvalue().decode("utf-8-sig")
    assert "<10" in csv_text
    assert ",7," not in csv_text
    workbook = client.get(reverse("statistics:export", args=["victims_sex_age", "xlsx"]))
    sheet = load_workbook(io.BytesIO(workbook.getvalue())).active
    assert sheet is not None
    assert any(row[-1] == "10" for row in sheet.iter_rows(values_only=True))
    exported = AuditEntry.objects.filter(action="statistics.exported").order_by("seq")
    assert [(e.data["what"], e.data["tier"], e.data["format"]) for e in exported] == [
        ("victims_sex_age", "public", "csv"),
        ("victims_sex_age", "owner", "xlsx"),
    ]


def test_the_sdg_series_and_the_glotip_workbook(client: Client, prosecutor: User, counted: Any) -> None:
    signed_in(client, prosecutor)
    series = client.get(reverse("statistics:export", args=["sdg", "csv"])).getvalue().decode("utf-8-sig")
    lines = series.splitlines()
    assert lines[0] == "SeriesCode,GeoAreaCode,TimePeriod,Sex,Age,Value,Status,Note"
    assert any(line.startswith("VC_HTF_DETV,SLV,") and ",ALLSEX,ALLAGE,10," in line for line in lines)
    assert any(line.startswith("VC_HTF_DETVR,SLV,") for line in lines)
    workbook = load_workbook(io.BytesIO(client.get(reverse("statistics:export", args=["glotip", "xlsx"])).getvalue()))
    assert "Q6 Victims sex age" in workbook.sheetnames
    assert "Q1 Offences recorded" in workbook.sheetnames
    assert "Q2 Investigated" in workbook.sheetnames


def test_the_dashboard_reads_the_aggregates_in_a_fixed_number_of_queries(
    client: Client, prosecutor: User, counted: Any, django_assert_max_num_queries: Any
) -> None:
    signed_in(client, prosecutor)
    client.get(reverse("statistics:dashboard"))  # the session and the reference names warm
    with django_assert_max_num_queries(12):
        assert client.get(reverse("statistics:dashboard") + "?tier=public").status_code == 200


def test_people_without_the_statistics_permission_are_refused(client: Client, node_admin: User) -> None:
    assert signed_in(client, node_admin).get(reverse("statistics:dashboard")).status_code == 403


def test_mou_performance_exports_with_its_header(client: Client, prosecutor: User, counted: Any) -> None:
    signed_in(client, prosecutor)
    text = client.get(reverse("statistics:export", args=["mou", "csv"])).getvalue().decode("utf-8-sig")
    assert len(text.splitlines()[0].split(",")) == 9
    rows = exports.performance_rows(
        [{"member": "SV-FGR", "counterpart": "GT-MP", "sent": 3, "answered_sent": 2, "median_days_sent": None}],
        member="*",
    )
    assert rows[1][:4] == ["SV-FGR", "GT-MP", 3, 2]
    assert rows[1][5] == ""  # no median: nothing answered


def test_hits_and_what_followed_show_with_their_totals_and_export(
    client: Client, prosecutor: User, counted: Any
) -> None:
    stored = counted.tables.get(key="mou_performance")
    names = ("queries", "hits", "confirmed", "rejected", "requests", "answered")
    gt = {"counterpart": "GT-MP", "shared": 2} | {f"{n}_{w}": v for w in ("sent", "received")
                                                  for n, v in zip(names, (9, 3, 2, 1, 2, 1), strict=True)}  # fmt: skip
    hn = {"counterpart": "HN-MP", "shared": 0} | {f"{n}_{w}": v for w in ("sent", "received")
                                                  for n, v in zip(names, (4, 1, 1, 0, 1, 0), strict=True)}  # fmt: skip
    stored.data = {**stored.data, "hits": [gt, hn]}
    stored.save()
    page = signed_in(client, prosecutor).get(reverse("statistics:dashboard"))
    section = page.text.split('id="hits"')[1].split("</section>")[0]
    assert "Coincidencias y lo que siguió" in section
    assert section.count("<svg") == 2  # what we asked and what we were asked, each as a funnel
    total = section.split("<tfoot>")[1].split("</tfoot>")[0]
    # what was sent, the persons both offices hold, what was received
    sent, both, received = ["13", "4", "3", "1", "3", "1"], ["2"], ["13", "4", "3", "1", "3", "1"]
    assert re.findall(r'<td class="stats-number"[^>]*>([^<]*)</td>', total) == sent + both + received
    text = client.get(reverse("statistics:export", args=["hits", "csv"])).getvalue().decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("Contraparte,Consultas enviadas")
    assert lines[1].split(",")[:3] == ["GT-MP", "9", "3"]
    assert lines[-1].split(",")[:2] == ["Total", "13"]
    assert AuditEntry.objects.filter(action="statistics.exported", data__what="hits").exists()


def test_the_dashboard_says_when_there_are_no_queries_yet(client: Client, prosecutor: User, counted: Any) -> None:
    page = signed_in(client, prosecutor).get(reverse("statistics:dashboard"))
    section = page.text.split('id="hits"')[1].split("</section>")[0]
    assert "<svg" not in section
    assert "<tfoot>" not in section


def test_amounts_are_hidden_when_few_persons_or_one_dominates(db: None) -> None:
    from vinculo.statistics import counting, presentation
    from vinculo.statistics.disclosure import Tier

    spread = (100_000, 90_000, 80_000, 70_000, 60_000, 50_000)
    dominated = (100_000, 10, 10, 10, 10, 10)
    few = (500, 400)
    table = counting.AmountTable(
        "amounts_imposed", "GTQ", ("2023", "2024", "2025"), counting.AMOUNT_KINDS,
        ((spread, spread, spread), (spread, dominated, spread), (few, spread, spread)), other_currencies=2,
    )  # fmt: skip
    owner = presentation.protect_table(table, Tier.OWNER)
    assert [c.text for c in owner.rows[1]][:2] == ["450\u202f000", "100\u202f050"]
    assert "(GTQ)" in owner.units
    assert any("2" in note and "GTQ" in note for note in owner.footnotes)  # sentences in other currencies
    network = presentation.protect_table(table, Tier.NETWORK)
    assert network.release is not None
    reasons = {k: c.reason.value for k, c in network.release.cells.items() if c.value is None}
    assert reasons[("2024", "CONFISCATED")] == "dominance"
    assert reasons[("2025", "FINE")] == "few-contributors"
    assert set(reasons.values()) == {"dominance", "few-contributors", "complementary"}
    assert network.rows[1][2].text == "450\u202f000"  # six persons, none dominating: published
    assert any("dominan" in note.lower() or "una o dos" in note for note in network.footnotes)
