"""Counting rules against hand-computed fixtures: who counts, once, in which year and category."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from vinculo.statistics import counting as c

D = datetime.date


def party(person: str, case: str = "c1", **changes: Any) -> c.PartyRow:
    facts: dict[str, Any] = {
        "person": person,
        "case": case,
        "crime": "TIP",
        "role": "VICTIM",
        "identification": "IDENTIFIED",
        "sex": "F",
        "birth_year": 1990,
        "age_at_identification": None,
        "citizenships": ("SV",),
        "registered_on": D(2024, 6, 1),
        "detected_on": None,
        "case_reported_on": D(2024, 5, 1),
    }
    facts.update(changes)
    return c.PartyRow(**facts)


def test_a_person_with_two_forms_of_exploitation_counts_once_in_the_total_and_once_per_form() -> None:
    rows = [
        party("ana", purposes=("SEXUAL_EXPLOITATION", "FORCED_BEGGING")),
        party("beto", sex="M", purposes=("FORCED_LABOUR_SERVICES",)),
    ]
    counted = c.victims(rows, home="SV")
    forms = c.victim_tables(counted, ["2024"])[3]
    assert forms.key == "victims_form"
    assert forms.total == 2
    assert forms.value("2024", "SEXUAL") == 1  # sexual with begging: GLOTIP's sexual exploitation
    assert forms.value("2024", "LABOUR") == 1
    per_form = c.victims_per_form(counted, ["2024"])
    assert {row: per_form.value(row, "2024") for row in per_form.rows} == {
        "FORCED_BEGGING": 1,
        "FORCED_LABOUR_SERVICES": 1,
        "SEXUAL_EXPLOITATION": 1,
    }


def test_sexual_and_labour_exploitation_together_count_as_mixed() -> None:
    assert c.form_group(["SEXUAL_EXPLOITATION", "SERVITUDE"]) == "MIXED"
    assert c.form_group(["MIXED_SEXUAL_AND_LABOUR"]) == "MIXED"
    assert c.form_group(["ORGAN_REMOVAL"]) == "OTHER"
    assert c.form_group(["NK"]) == "NK"
    assert c.form_group([]) == "NK"


def test_a_victim_in_two_cases_counts_once_in_the_year_first_identified() -> None:
    rows = [
        party("ana", "c1", detected_on=D(2023, 11, 30), purposes=("SEXUAL_EXPLOITATION",)),
        party("ana", "c2", detected_on=D(2024, 2, 1), purposes=("FORCED_LABOUR_SERVICES",)),
    ]
    (victim,) = c.victims(rows, home="SV")
    assert victim.year == 2023
    assert victim.form_group == "MIXED"  # her forms over both cases


def test_year_of_detection_falls_back_to_the_report_then_the_record() -> None:
    counted = c.victims(
        [
            party("a", detected_on=D(2022, 3, 1)),
            party("b", detected_on=None, case_reported_on=D(2021, 1, 5)),
            party("c", detected_on=None, case_reported_on=None, registered_on=D(2020, 7, 7)),
        ],
        home="SV",
    )
    assert {v.person: v.year for v in counted} == {"a": 2022, "b": 2021, "c": 2020}


def test_only_identified_victims_of_trafficking_count() -> None:
    rows = [
        party("ana"),
        party("possible", identification="POSSIBLE"),
        party("witness", role="WITNESS"),
        party("migrant", role="SMUGGLED_MIGRANT"),
        party("smuggling", crime="SOM"),
        party("both", role="VICTIM_AND_SMUGGLED_MIGRANT", crime="TIP_AND_SOM"),
    ]
    assert [v.person for v in c.victims(rows, home="SV")] == ["ana", "both"]
    assert [v.person for v in c.victims(rows, home="SV", identification="POSSIBLE")] == ["possible"]


def test_smuggled_migrants_are_counted_apart_by_the_same_rules() -> None:
    rows = [
        party("migrant", role="SMUGGLED_MIGRANT", crime="SOM", identification=""),
        party("both", role="VICTIM_AND_SMUGGLED_MIGRANT", crime="TIP_AND_SOM"),
        party("victim"),
    ]
    smuggled = c.victims(rows, home="SV", identification=None, roles=c.SMUGGLED_ROLES, crimes=c.SMUGGLING)
    assert [v.person for v in smuggled] == ["both", "migrant"]
    assert [v.person for v in c.victims(rows, home="SV")] == ["both", "victim"]


def test_victims_by_sex_and_child_or_adult() -> None:
    rows = [
        party("woman", sex="F", age_at_identification=30),
        party("girl", sex="F", age_at_identification=15),
        party("boy", sex="M", age_at_identification=None, birth_year=2010, detected_on=D(2024, 1, 1)),  # 14
        party("man", sex="M", age_at_identification=None, birth_year=1990),
        party("unknown age", sex="M", age_at_identification=None, birth_year=None),
        party("other", sex="X", age_at_identification=40),
    ]
    table = c.victim_tables(c.victims(rows, home="SV"), ["2024"])[0]
    assert dict(zip(table.columns, table.values[0], strict=True)) == {
        "WOMEN": 1,
        "MEN": 1,
        "GIRLS": 1,
        "BOYS": 1,
        "OTHER": 1,
        "NK": 1,
    }


def test_victims_by_citizenship_count_nationals_once() -> None:
    rows = [
        party("dual", citizenships=("GT", "SV")),
        party("gt", citizenships=("GT",)),
        party("none", citizenships=()),
    ]
    table = c.victim_tables(c.victims(rows, home="SV"), ["2024"])[4]
    assert table.key == "victims_citizenship"
    assert {r: table.value(r, "2024") for r in table.rows} == {"GT": 1, "NK": 1, "SV": 1}


def test_flows_from_origin_to_country_of_exploitation() -> None:
    rows = [
        party("domestic", citizenships=("SV",)),  # no exploitation event: exploited where detected
        party("hn", citizenships=("HN",), exploited_in=("SV",)),
        party("mx", citizenships=("MX",), exploited_in=("SV",)),
        party("abroad", citizenships=("SV",), exploited_in=("US",)),
        party("cn", citizenships=("CN",), exploited_in=("SV",)),
        party("unknown", citizenships=(), recruited_in=("GT",), exploited_in=("GT", "SV")),
    ]
    counted = c.victims(rows, home="SV")
    flows = c.victim_tables(counted, ["2024"])[5]
    assert dict(zip(flows.columns, flows.values[0], strict=True)) == {
        "DOMESTIC": 1,
        "MEMBERS": 2,  # HN -> SV, and GT (recruitment, no citizenship) -> SV (the country that is not the origin)
        "AMERICAS": 2,  # MX -> SV, SV -> US
        "TRANSREGIONAL": 1,
        "NK": 0,
    }
    pairs = c.victim_tables(counted, ["2024"])[6]
    assert pairs.value("GT", "SV") == 1
    assert pairs.value("SV", "US") == 1


def defendant(person: str, **changes: Any) -> c.PartyRow:
    return party(person, role="DEFENDANT", identification="", sex="M", birth_year=1980, **changes)


def charge(person: str, *decisions: c.DecisionRow, **changes: Any) -> c.ChargeRow:
    facts: dict[str, Any] = {"person": person, "crime": "TIP", "status": "INDICTED", "registered_on": D(2022, 3, 1)}
    facts.update(changes)
    return c.ChargeRow(decisions=decisions, **facts)


def test_convictions_count_in_the_year_of_the_first_instance_judgment() -> None:
    parties = [defendant("d1", registered_on=D(2021, 9, 1)), defendant("d2", registered_on=D(2022, 1, 1))]
    charges = [
        charge(
            "d1",
            c.DecisionRow("FIRST", "CONVICTED", D(2023, 12, 15), False),
            c.DecisionRow("APPEAL", "CONVICTED", D(2024, 6, 1), True),
        ),
        # Acquitted at first instance, convicted on appeal: a final conviction, not a first-instance one.
        charge(
            "d2",
            c.DecisionRow("FIRST", "ACQUITTED", D(2023, 5, 1), False),
            c.DecisionRow("APPEAL", "CONVICTED", D(2024, 2, 1), True),
        ),
    ]
    counted = {o.person: o.years for o in c.offenders(parties, charges, home="SV")}
    assert counted["d1"] == {"INVESTIGATED": 2021, "PROSECUTED": 2022, "CONVICTED": 2023, "CONVICTED_FINAL": 2024}
    assert counted["d2"] == {"INVESTIGATED": 2022, "PROSECUTED": 2022, "CONVICTED": None, "CONVICTED_FINAL": 2024}


def test_a_judgment_recorded_before_the_charge_dates_the_earlier_stages() -> None:
    # An old case entered today: the charge is recorded after the judgment it led to.
    charges = [charge("d1", c.DecisionRow("APPEAL", "CONVICTED", D(2021, 5, 1), True), registered_on=D(2024, 1, 1))]
    (offender,) = c.offenders([defendant("d1", registered_on=D(2024, 1, 1))], charges, home="SV")
    assert offender.years == {"INVESTIGATED": 2021, "PROSECUTED": 2021, "CONVICTED": None, "CONVICTED_FINAL": 2021}


def test_a_person_convicted_on_two_charges_counts_once() -> None:
    parties = [defendant("d1")]
    charges = [
        charge("d1", c.DecisionRow("FIRST", "CONVICTED", D(2024, 3, 1), False)),
        charge("d1", c.DecisionRow("FIRST", "CONVICTED", D(2023, 3, 1), False), status="ADJUDICATED"),
    ]
    (offender,) = c.offenders(parties, charges, home="SV")
    assert offender.years["CONVICTED"] == 2023
    tables = {t.key: t for t in c.offender_tables([offender], ["2023", "2024"])}
    assert tables["persons_convicted"].total == 1
    assert tables["persons_convicted"].value("2023", "M") == 1


def test_persons_investigated_prosecuted_convicted_and_the_funnel() -> None:
    parties = [
        defendant("investigated only", registered_on=D(2024, 1, 1)),
        defendant("arrested early", registered_on=D(2024, 2, 1), arrested_on=D(2023, 12, 30)),
        defendant("prosecuted", registered_on=D(2024, 1, 1)),
        defendant("convicted", registered_on=D(2024, 1, 1)),
        defendant("smuggler", crime="SOM", registered_on=D(2024, 1, 1)),
        party("victim"),
    ]
    charges = [
        charge("prosecuted", status="INDICTED", registered_on=D(2024, 4, 1)),
        charge(
            "convicted",
            c.DecisionRow("FIRST", "CONVICTED", D(2024, 11, 1), False),
            status="ADJUDICATED",
            registered_on=D(2024, 5, 1),
        ),
        charge("smuggler", crime="SOM", status="INDICTED"),
        charge("investigated only", status="UNDER_INVESTIGATION", registered_on=D(2024, 1, 2)),
    ]
    counted = c.offenders(parties, charges, home="SV")
    assert sorted(o.person for o in counted) == ["arrested early", "convicted", "investigated only", "prosecuted"]
    assert {o.person: o.years["INVESTIGATED"] for o in counted}["arrested early"] == 2023
    assert c.funnel(counted) == {"INVESTIGATED": 4, "PROSECUTED": 2, "CONVICTED": 1, "CONVICTED_FINAL": 0}
    assert c.funnel(counted, 2024) == {"INVESTIGATED": 3, "PROSECUTED": 2, "CONVICTED": 1, "CONVICTED_FINAL": 0}


def test_reclassified_convictions_are_not_trafficking_convictions() -> None:
    charges = [charge("d1", c.DecisionRow("FIRST", "CONVICTED_OF_OTHER_OFFENCE", D(2024, 3, 1), True))]
    (offender,) = c.offenders([defendant("d1")], charges, home="SV")
    assert offender.years["CONVICTED"] is None
    assert offender.years["PROSECUTED"] == 2022


def test_border_crossings_by_crossing_and_year() -> None:
    rows = [
        c.CrossingRow("c1", "TIP", "GTM-SLV-01", "GT", D(2024, 1, 1), None),
        c.CrossingRow("c2", "TIP", "GTM-SLV-01", "GT", None, D(2024, 5, 1)),
        c.CrossingRow("c3", "TIP_AND_SOM", "SLV-HND-01", "HN", D(2023, 1, 1), None),
        c.CrossingRow("c4", "SOM", "SLV-HND-01", "HN", D(2024, 1, 1), None),
        c.CrossingRow("c5", "TIP", "", "MX", D(2024, 1, 1), None),
    ]
    table = c.crossing_table(rows, ["2023", "2024"])
    assert table.value("GTM-SLV-01", "2024") == 2
    assert table.value("SLV-HND-01", "2023") == 1
    assert table.value("SLV-HND-01", "2024") == 0  # smuggling only
    assert table.value("MX-?", "2024") == 1
    assert table.total == 4


def test_tables_keep_each_person_once_so_margins_are_totals() -> None:
    rows = [party(f"p{n}", sex="FM"[n % 2], detected_on=D(2022 + n % 3, 1, 1)) for n in range(9)]
    counted = c.victims(rows, home="SV")
    for table in c.victim_tables(counted, c.years_between(2022, 2024)):
        assert table.total == 9, table.key


def test_cases_recorded_by_year_of_report_and_crime() -> None:
    rows = [
        c.CaseRow("TIP", D(2024, 1, 1), D(2025, 1, 1)),
        c.CaseRow("TIP", None, D(2025, 2, 1)),  # no report date: the year it was registered
        c.CaseRow("SOM", D(2025, 3, 1), D(2025, 3, 2)),
        c.CaseRow("TIP", D(2019, 3, 1), D(2025, 3, 2)),  # outside the years
    ]
    table = c.case_table(rows, ["2024", "2025"])
    assert table.value("2024", "TIP") == 1
    assert table.value("2025", "TIP") == 1
    assert table.value("2025", "SOM") == 1
    assert table.total == 3


def test_mou_performance_per_counterpart() -> None:
    t = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    day = datetime.timedelta(days=1)
    rows = [
        c.RequestRow("outgoing", "GT-MP", t, t + 10 * day, t + 4 * day, "answered"),
        c.RequestRow("outgoing", "GT-MP", t, t + 10 * day, None, "delivered"),
        c.RequestRow("outgoing", "GT-MP", None, None, None, "draft"),
        c.RequestRow("incoming", "GT-MP", t, t + 5 * day, t + 6 * day, "answered"),
        c.RequestRow("incoming", "GT-MP", t, t + 5 * day, t + 2 * day, "refused"),
        c.RequestRow("incoming", "HN-MP", t, t + 5 * day, None, "acknowledged"),
    ]
    gt, hn = c.performance(rows)
    assert (gt.counterpart, gt.sent, gt.received) == ("GT-MP", 2, 2)
    assert (gt.answered_sent, gt.on_time_sent, gt.median_days_sent) == (1, 1, 4.0)
    assert (gt.answered_received, gt.on_time_received, gt.median_days_received) == (2, 1, 4.0)
    assert (hn.sent, hn.received, hn.answered_received, hn.median_days_received) == (0, 1, 0, None)


def test_hits_and_what_followed_per_counterpart() -> None:
    rows = [
        # SV asked GT four times: two hits (one confirmed and requested and answered, one rejected), a possible
        # hit not yet decided but already requested, and a no hit.
        c.HitRow("outgoing", "GT-MP", "hit", "confirmed", requested=True, answered=True),
        c.HitRow("outgoing", "GT-MP", "hit", "rejected", requested=False, answered=False),
        c.HitRow("outgoing", "GT-MP", "possible", "", requested=True, answered=False),
        c.HitRow("outgoing", "GT-MP", "no-hit", "", requested=False, answered=False),
        c.HitRow("outgoing", "HN-MP", "", "", requested=False, answered=False),  # not answered yet
        # HN asked SV once and SV refused (quota); GT asked SV once: a hit SV confirmed
        c.HitRow("incoming", "HN-MP", "refused", "", requested=False, answered=False),
        c.HitRow("incoming", "GT-MP", "hit", "confirmed", requested=False, answered=False),
    ]
    gt, hn, pa = c.hit_follow_up(rows, shared={"GT-MP": 3, "PA-MP": 1, "BZ-ODPP": 0})
    steps = c.FOLLOW_UP_STEPS
    assert [getattr(gt, f"{s}_sent") for s in steps] == [4, 3, 1, 1, 2, 1]
    assert [getattr(gt, f"{s}_received") for s in steps] == [1, 1, 1, 0, 0, 0]
    assert [getattr(hn, f"{s}_sent") for s in steps] == [1, 0, 0, 0, 0, 0]
    assert [getattr(hn, f"{s}_received") for s in steps] == [1, 0, 0, 0, 0, 0]
    assert (gt.shared, hn.shared) == (3, 0)
    # an office known only from the cross-match is listed; one with nothing at all is not
    assert (pa.counterpart, pa.queries_sent, pa.queries_received, pa.shared) == ("PA-MP", 0, 0, 1)


def test_a_request_citing_what_was_no_hit_is_not_counted() -> None:
    (gt,) = c.hit_follow_up([c.HitRow("outgoing", "GT-MP", "no-hit", "", requested=True, answered=True)])
    assert (gt.queries_sent, gt.hits_sent, gt.requests_sent, gt.answered_sent) == (1, 0, 0, 0)
    with pytest.raises(ValueError, match="side"):
        c.hit_follow_up([c.HitRow("sideways", "GT-MP", "hit", "", requested=False, answered=False)])


def test_cases_recorded_by_the_iccs_code_of_the_main_charge() -> None:
    day = D(2025, 3, 1)
    later = D(2025, 4, 1)
    cases = [c.CaseRow("TIP", day, day, "a"), c.CaseRow("RELATED", day, day, "b"), c.CaseRow("TIP", None, day, "c"),
             c.CaseRow("SOM", day, day, "d"), c.CaseRow("TIP", day, day, "e"),
             c.CaseRow("TIP", D(2019, 1, 1), day, "old")]  # fmt: skip
    charges = [
        # a: a laundering charge first, then trafficking: the trafficking charge is the main one
        c.ChargeRow("p1", "RELATED", "OPEN", day, case="a", iccs="07041", order=1),
        c.ChargeRow("p1", "TIP", "OPEN", later, case="a", iccs="02041", order=2),
        c.ChargeRow("p2", "RELATED", "OPEN", day, case="b", iccs="07041", order=3),  # b: only laundering
        # d: two smuggling charges the same day, the earlier record first; one without an ICCS code
        c.ChargeRow("p3", "SOM", "OPEN", day, case="d", iccs="", order=5),
        c.ChargeRow("p4", "SOM", "OPEN", day, case="d", iccs="08051", order=6),
        c.ChargeRow("p5", "TIP", "OPEN", later, case="e", iccs="0204", order=7),
        c.ChargeRow("p5", "TIP", "OPEN", day, case="e", iccs="02042", order=8),  # registered earlier
    ]
    table = c.iccs_table(cases, charges, ["2024", "2025"])
    assert table.columns == ("02041", "02042", "07041", "NK", "NONE")
    assert [table.value("2025", code) for code in table.columns] == [1, 1, 1, 1, 1]  # c: no charge yet
    assert table.total == 5  # every case of the years once; the 2019 case is outside them
    with pytest.raises(ValueError, match="case"):
        c.main_charges([c.ChargeRow("p1", "TIP", "OPEN", day)])


def test_smugglers_are_counted_apart_from_traffickers() -> None:
    day = D(2025, 3, 1)
    parties = [
        party("s1", role="SUSPECT", crime="SOM", sex="M"),
        party("t1", role="SUSPECT", crime="TIP", sex="F"),
        party("b1", role="DEFENDANT", crime="TIP_AND_SOM", sex="M"),
    ]
    charges = [
        c.ChargeRow("s1", "SOM", "INDICTED", day, (c.DecisionRow("FIRST", "CONVICTED", day, False),)),
        c.ChargeRow("b1", "TIP_AND_SOM", "INDICTED", day),
    ]
    smugglers = {o.person: o for o in c.offenders(parties, charges, home="SV", crimes=c.SMUGGLING)}
    traffickers = {o.person for o in c.offenders(parties, charges, home="SV")}
    assert set(smugglers) == {"s1", "b1"}
    assert traffickers == {"t1", "b1"}  # a case of both crimes counts in both
    assert smugglers["s1"].years["CONVICTED"] == 2025
    tables = {t.key: t for t in c.offender_tables(list(smugglers.values()), ["2025"], prefix="smugglers")}
    assert set(tables) == {"smugglers_investigated", "smugglers_prosecuted", "smugglers_convicted",
                           "smugglers_convicted_final"}  # fmt: skip
    assert (tables["smugglers_prosecuted"].value("2025", "M"), tables["smugglers_convicted"].total) == (2, 1)


def test_amounts_imposed_by_contributor_in_the_most_used_currency() -> None:
    y25, y24 = D(2025, 6, 1), D(2024, 6, 1)
    rows = [
        c.AmountRow("p1", "TIP", y25, "GTQ", 1000, 50000, None),
        c.AmountRow("p1", "TIP", y25, "GTQ", 500, None, None),  # the same person twice: one contributor, the sum
        c.AmountRow("p2", "SOM", y25, "GTQ", 200, None, None),
        c.AmountRow("p3", "TIP", y25, "USD", 99, None, None),  # another currency: left out, counted
        c.AmountRow("p4", "RELATED", y25, "GTQ", 7, None, None),  # not trafficking or smuggling
        c.AmountRow("p5", "TIP", D(2019, 1, 1), "GTQ", 5, None, None),  # outside the years
        c.AmountRow("p6", "TIP", y24, "GTQ", None, None, 0),  # nothing imposed: no contributor
    ]
    table = c.amount_table(rows, ["2024", "2025"])
    assert (table.currency, table.other_currencies) == ("GTQ", 1)
    assert table.contributions[1][0] == (1500, 200)  # 2025 fines, largest first
    assert (table.value("2025", "CONFISCATED"), table.contributors("2025", "CONFISCATED")) == (50000, 1)
    assert table.contributions[0] == ((), (), ())
    assert c.AmountTable.from_dict(table.as_dict()) == table
    assert c.amount_table([], ["2025"]).currency == ""
