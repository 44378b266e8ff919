"""Statistical reports: no personal data (checked against the format), sent to the hub as a signed
message, kept there, and the regional figures equal to the sum of the national reports."""

from __future__ import annotations

import json
import re
import uuid
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import Case, Person
from vinculo.cases.tests.factories import open_case
from vinculo.messaging import handlers
from vinculo.messaging.models import InboundMessage, OutboundMessage
from vinculo.messaging.services import outbox
from vinculo.messaging.tests.conftest import FakeNetwork, Node, net  # noqa: F401 - the fixture
from vinculo.statistics import regional, reports
from vinculo.statistics.disclosure import TOTAL
from vinculo.statistics.models import Report
from vinculo.statistics.services import aggregates
from vinculo.statistics.services import reports as services
from vinculo.statistics.tests.test_aggregates import add_victim

HUB = "CCCMP-HUB"


@pytest.fixture
def to_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "hub_id", lambda: HUB)


def victims(by: User, women: int, girls: int) -> None:
    case = open_case(by)
    for _ in range(women):
        add_victim(by, case, forms=["SEXUAL_EXPLOITATION"])
    for _ in range(girls):
        add_victim(by, case, age=15, nationality="GT", forms=["FORCED_LABOUR_SERVICES"])


def report_of(by: User) -> tuple[bytes, reports.Report]:
    snapshot = aggregates.build_snapshot(by=by, office=by.office)
    data = services.report_bytes(
        snapshot=snapshot, report_id=uuid.uuid4(), kind="monthly", member=by.office.code, country=by.office.country
    )
    return data, reports.read(data)


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *strings_in(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def test_a_report_holds_no_personal_data(prosecutor: User) -> None:
    victims(prosecutor, women=7, girls=3)
    data, report = report_of(prosecutor)
    # The format allows codes, years, member ids and dates only: no free text can pass it.
    allowed = re.compile(
        rf"{reports.LABEL.pattern}|{reports.MEMBER.pattern}|{reports.DATE.pattern}|[0-9a-f-]{{36}}|[a-z_.-]+"
    )
    for text in strings_in(report.data):
        assert allowed.fullmatch(text), text
    text = data.decode()
    for person in Person.objects.all():
        assert str(person.pk) not in text
    for case in Case.objects.all():
        assert case.national_number not in text
    assert "Nombre" not in text
    assert "Apellido" not in text
    # The three girls are below the network's threshold: hidden, and their number is not in the report.
    sex_age = report.tables["victims_sex_age"]
    year = sex_age.rows[-1]
    assert sex_age.cells[(year, "GIRLS")] == (None, "below-threshold")
    assert sex_age.value(year, "WOMEN") is None  # complementary: else 10 - 7 would give the girls away
    assert sex_age.value(year, TOTAL) == 10


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update({"note": "Ana Morales, 15 años"}),
        lambda d: d["tables"][0]["rows"].__setitem__(0, "Ana Morales"),
        lambda d: d["tables"][0]["cells"][0].__setitem__(2, -1),
        lambda d: d["tables"][0]["cells"][0].__setitem__(2, 2.5),
        lambda d: d["tables"][0]["cells"].pop(),
        lambda d: d.update({"tier": "owner"}),
        lambda d: d["rules"].update({"threshold": 1}),
        lambda d: d.update({"member": "sv fgr"}),
        lambda d: d["mou"].append({"counterpart": "GT-MP"}),
        lambda d: d["hits"].append({"counterpart": "GT-MP"}),
        lambda d: d["hits"].append({**HITS, "note": "José"}),
        lambda d: d["hits"].append({**HITS, "hits_sent": HITS["queries_sent"] + 1}),  # more hits than queries
        lambda d: d["hits"].append({**HITS, "answered_received": HITS["requests_received"] + 1}),
        lambda d: d["hits"].append({**HITS, "confirmed_sent": 2, "rejected_sent": 2}),  # 4 decisions, 3 hits
        lambda d: d["hits"].append({**HITS, "shared": -1}),
        lambda d: d["hits"].extend([HITS, HITS]),  # one counterpart twice
        lambda d: d.pop("hits"),  # version 2 without hits
        lambda d: d.update({"version": 3}),
        lambda d: d.update({"version": True}),
    ],
)
def test_the_format_refuses_anything_else(prosecutor: User, change: Any) -> None:
    victims(prosecutor, women=7, girls=3)
    data, _ = report_of(prosecutor)
    changed = json.loads(data)
    change(changed)
    with pytest.raises(reports.ReportRefused):
        reports.read(json.dumps(changed).encode())


HITS = {
    "counterpart": "GT-MP",
    **dict(zip(reports.HIT_COUNTS, (9, 3, 2, 1, 2, 1, 5, 2, 1, 0, 1, 1, 4), strict=True)),
}


def test_a_report_of_version_1_is_still_read_and_says_nothing_of_hits(prosecutor: User) -> None:
    victims(prosecutor, women=7, girls=3)
    data, current = report_of(prosecutor)
    assert (current.version, current.reports_hits) == (2, True)
    old = json.loads(data)
    old["version"] = 1
    del old["hits"]
    read = reports.read(json.dumps(old).encode())
    assert (read.version, read.reports_hits, read.hits) == (1, False, ())
    old["hits"] = []
    with pytest.raises(reports.ReportRefused):
        reports.read(json.dumps(old).encode())  # a version 1 report has no hits key


def test_only_network_tier_releases_can_be_written(prosecutor: User) -> None:
    from vinculo.statistics import disclosure

    table = disclosure.Table.two_way(["2024"], ["F"], [[3]])
    owner = disclosure.protect(table, disclosure.OWNER_RULES)
    with pytest.raises(ValueError, match="network-tier"):
        reports.write(
            report_id=uuid.uuid4(),
            member="SV-FGR",
            country="SV",
            kind="monthly",
            as_of=__import__("datetime").date(2026, 1, 1),
            first_year=2024,
            last_year=2024,
            releases={"victims_sex": owner},
            performance=[],
        )


def test_a_report_travels_to_the_hub_and_is_kept_there(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    to_hub: None,
    settings: Any,
) -> None:
    net.nodes[HUB] = Node(HUB)
    victims(prosecutor, women=12, girls=0)
    sent = services.send_report(by=prosecutor, kind=Report.Kind.ON_DEMAND)
    message = OutboundMessage.objects.get()
    assert (message.type, message.recipient) == ("statistics.report", HUB)
    for message_id in outbox.claim_due("test-worker", limit=10):
        outbox.deliver(message_id, "test-worker", post=net.post_to_inbox)
    settings.NODE_ROLE, settings.NODE_ID = "hub", HUB
    with net.as_node(HUB):
        assert handlers.process_pending(sender="SV-FGR") == 1
    kept = Report.objects.get(side=Report.Side.RECEIVED)
    assert (kept.member, kept.report_id, kept.sha256) == ("SV-FGR", sent.report_id, sent.sha256)
    assert InboundMessage.objects.get().processing_error == ""
    entries = AuditEntry.objects.filter(action__startswith="statistics.report").order_by("seq")
    actions = list(entries.values_list("action", flat=True))
    assert actions == ["statistics.report_sent", "statistics.report_received"]


def test_the_hub_refuses_a_report_in_another_office_s_name(prosecutor: User, settings: Any) -> None:
    victims(prosecutor, women=12, girls=0)
    data, _ = report_of(prosecutor)
    settings.NODE_ROLE, settings.NODE_ID = "hub", HUB
    with pytest.raises(reports.ReportRefused, match="member"):
        services.receive_report(SimpleNamespace(sender="GT-MP", message_id=uuid.uuid4()), data)  # type: ignore[arg-type]
    assert not Report.objects.exists()


def test_an_office_node_refuses_reports(prosecutor: User) -> None:
    victims(prosecutor, women=12, girls=0)
    data, _ = report_of(prosecutor)
    with pytest.raises(reports.ReportRefused):
        services.receive_report(SimpleNamespace(sender="SV-FGR", message_id=uuid.uuid4()), data)  # type: ignore[arg-type]


@pytest.fixture
def two_reports(prosecutor: User, settings: Any) -> list[reports.Report]:
    """SV and GT report their figures; the hub keeps both."""
    gt = UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)
    victims(prosecutor, women=7, girls=3)
    victims(gt, women=20, girls=6)
    payloads = [report_of(prosecutor)[0], report_of(gt)[0]]
    settings.NODE_ROLE, settings.NODE_ID = "hub", HUB
    for member, data in zip(("SV-FGR", "GT-MP"), payloads, strict=True):
        services.receive_report(SimpleNamespace(sender=member, message_id=uuid.uuid4()), data)  # type: ignore[arg-type]
    return [reports.read(p) for p in payloads]


def test_the_regional_figures_are_the_sum_of_the_national_reports(two_reports: list[reports.Report]) -> None:
    for key in reports.TABLES:
        summed = regional.summed(two_reports, key)
        if summed is None:
            continue
        for (row, column), cell in summed.cells.items():
            parts = [r.tables[key].cells.get((row, column)) for r in two_reports if key in r.tables]
            published = [p[0] for p in parts if p is not None and p[0] is not None]
            hidden = [p for p in parts if p is not None and p[0] is None]
            assert cell.value == sum(published), (key, row, column)
            assert cell.hidden_parts == len(hidden)
    sex_age = regional.summed(two_reports, "victims_sex_age")
    assert sex_age is not None
    year = sex_age.rows[-1]
    assert sex_age.cells[(year, TOTAL)] == regional.RegionalCell(36, 0)
    assert sex_age.cells[(year, "GIRLS")] == regional.RegionalCell(6, 1)  # GT's six; SV's three hidden


def with_hits(report: reports.Report, *entries: dict[str, Any]) -> reports.Report:
    data = dict(report.data)
    data["hits"] = list(entries)
    return reports.read(json.dumps(data).encode())


def test_the_network_s_hits_are_the_sum_of_the_offices_reports(two_reports: list[reports.Report]) -> None:
    sv, gt = two_reports
    sv = with_hits(sv, HITS, {**HITS, "counterpart": "HN-MP"})
    gt = with_hits(gt, {**HITS, "counterpart": "SV-FGR"})
    network = regional.network_hits([sv, gt])
    assert [(r["member"], r["counterpart"]) for r in network.rows] == [
        ("SV-FGR", "GT-MP"), ("SV-FGR", "HN-MP"), ("GT-MP", "SV-FGR")
    ]  # fmt: skip
    assert network.per_office == [
        {"member": "SV-FGR", **{name: 2 * HITS[name] for name in reports.HIT_COUNTS}},
        {"member": "GT-MP", **{name: HITS[name] for name in reports.HIT_COUNTS}},
    ]
    assert network.total == {name: 3 * HITS[name] for name in reports.HIT_COUNTS}
    assert network.not_reporting == []
    # an office still sending version 1 reports is named, and adds nothing
    old = dict(gt.data)
    old["version"] = 1
    del old["hits"]
    with_old = regional.network_hits([sv, reports.read(json.dumps(old).encode())])
    assert with_old.not_reporting == ["GT-MP"]
    assert with_old.total == {name: 2 * HITS[name] for name in reports.HIT_COUNTS}


def test_the_regional_page_shows_the_sums_and_the_rates(
    client: Client, two_reports: list[reports.Report], db: None
) -> None:
    analyst = UserFactory(username="hub.analista", office_code=HUB, roles=[Role.ANALYST])
    client.force_login(analyst)
    page = client.get(reverse("statistics:regional"))
    assert page.status_code == 200
    table = page.text.split('id="victims_sex_age"')[1].split("</table>")[0]
    assert ">36<" in table
    assert "≥ 6" in table
    comparison = page.text.split('id="compare-1"')[1].split("</table>")[0]  # victims by sex and age, by office
    assert ">x<" in comparison  # SV's three girls, hidden in SV's report
    assert ">6<" in comparison  # GT's six
    rates = page.text.split('id="sdg"')[1].split("</table>")[0]
    assert "GT-MP" in rates
    assert "SV-FGR" in rates


def test_the_command_counts_and_sends_a_report(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    to_hub: None,
) -> None:
    net.nodes[HUB] = Node(HUB)
    victims(prosecutor, women=5, girls=5)
    out = StringIO()
    call_command("statistics", "send-report", stdout=out)
    assert "queued for the hub" in out.getvalue()
    assert Report.objects.get(side=Report.Side.SENT).kind == "on_demand"
    call_command("statistics", "send-report", "--monthly", stdout=out)
    call_command("statistics", "send-report", "--monthly", stdout=out)
    assert "already sent" in out.getvalue()
    assert Report.objects.filter(side=Report.Side.SENT, kind="monthly").count() == 1


def test_the_monthly_report_uses_the_day_s_aggregates_and_counts_afresh_when_older(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    to_hub: None,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from vinculo.statistics.models import Snapshot

    net.nodes[HUB] = Node(HUB)
    assert services.refresh_aggregates() is None  # no cases yet: nothing to count or report
    assert services.send_monthly_report() is None
    victims(prosecutor, women=5, girls=5)
    assert services.refresh_aggregates() is not None
    assert services.refresh_aggregates() is None  # less than a day old
    today = Snapshot.objects.get()
    report = services.send_monthly_report()
    assert report is not None
    assert Snapshot.objects.count() == 1
    assert report.payload["as_of"] == today.built_at.date().isoformat()
    Snapshot.objects.update(built_at=timezone.now() - timedelta(days=2))
    Report.objects.all().delete()
    assert services.send_monthly_report() is not None
    assert Snapshot.objects.count() == 2  # counted afresh


def test_a_prosecutor_sends_a_report_from_the_page(
    client: Client,
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    to_hub: None,
) -> None:
    net.nodes[HUB] = Node(HUB)
    victims(prosecutor, women=5, girls=5)
    client.force_login(prosecutor)
    assert client.post(reverse("statistics:send_report")).status_code == 302
    page = client.get(reverse("statistics:reports"))
    assert str(Report.objects.get().report_id) in page.text


def test_regional_tables_export_and_the_hub_s_dashboard_link_leads_there(
    client: Client, two_reports: list[reports.Report], db: None
) -> None:
    analyst = UserFactory(username="hub.analista", office_code=HUB, roles=[Role.ANALYST])
    client.force_login(analyst)
    assert client.get(reverse("statistics:dashboard"))["Location"] == reverse("statistics:regional")
    response = client.get(reverse("statistics:regional_export", args=["victims_sex_age", "csv"]))
    text = response.getvalue().decode("utf-8-sig")
    assert ",36" in text
    rates = client.get(reverse("statistics:regional_export", args=["sdg", "csv"])).getvalue().decode("utf-8-sig")
    assert "GT-MP" in rates
    mou = client.get(reverse("statistics:regional_export", args=["mou", "xlsx"]))
    assert mou.status_code == 200
    exported = AuditEntry.objects.filter(action="statistics.exported").order_by("seq")
    assert [e.data["what"] for e in exported] == ["regional:victims_sex_age", "regional:sdg", "regional:mou"]


def test_the_regional_page_shows_the_network_s_hits_and_exports_them(
    client: Client, prosecutor: User, settings: Any
) -> None:
    gt = UserFactory(username="gt.fiscal", office_code="GT-MP", roles=[Role.PROSECUTOR], with_totp=True)
    victims(prosecutor, women=7, girls=3)
    victims(gt, women=20, girls=6)
    sv_data = json.loads(report_of(prosecutor)[0])
    sv_data["hits"] = [HITS]
    mou = {"sent": 4, "received": 2, "answered_sent": 3, "answered_received": 2, "on_time_sent": 2,
           "on_time_received": 1, "median_days_sent": 6.5, "median_days_received": 3.0}  # fmt: skip
    sv_data["mou"] = [{"counterpart": "GT-MP", **mou}, {"counterpart": "HN-MP", **mou}]
    gt_data = json.loads(report_of(gt)[0])
    gt_data["version"] = 1  # GT's node is not updated yet
    del gt_data["hits"]
    settings.NODE_ROLE, settings.NODE_ID = "hub", HUB
    for member, data in (("SV-FGR", sv_data), ("GT-MP", gt_data)):
        services.receive_report(
            SimpleNamespace(sender=member, message_id=uuid.uuid4()),  # type: ignore[arg-type]
            json.dumps(data).encode(),
        )
    analyst = UserFactory(username="hub.analista", office_code=HUB, roles=[Role.ANALYST])
    client.force_login(analyst)
    page = client.get(reverse("statistics:regional"))
    section = page.text.split('id="hits"')[1].split("</section>")[0]
    assert "GT-MP" in section.split("</p>")[1]  # named as reporting no hits
    assert "<svg" in section
    total = section.split("<tfoot>")[1].split("</tfoot>")[0]
    in_order = [*reports.HIT_COUNTS[:6], "shared", *reports.HIT_COUNTS[6:12]]  # sent, both hold, received
    assert re.findall(r'<td class="stats-number"[^>]*>([^<]*)</td>', total) == [str(HITS[n]) for n in in_order]
    network = page.text.split('id="mou"')[1].split("</section>")[0].split("<tfoot>")[1].split("</tfoot>")[0]
    assert re.findall(r'<td class="stats-number">([^<]*)</td>', network) == ["8", "6", "–", "4", "4", "2", "–"]
    text = client.get(reverse("statistics:regional_export", args=["hits", "csv"])).getvalue().decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[1].split(",")[:4] == ["SV-FGR", "GT-MP", str(HITS["queries_sent"]), str(HITS["hits_sent"])]
    assert lines[-1].split(",")[:3] == ["Red", "", str(HITS["queries_sent"])]
