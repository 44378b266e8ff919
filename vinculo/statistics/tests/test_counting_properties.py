"""Properties of the counting rules on random registries: each person once per table, totals that add up."""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.statistics import counting as c

YEARS = ["2022", "2023", "2024"]
FORMS = ["SEXUAL_EXPLOITATION", "FORCED_LABOUR_SERVICES", "FORCED_BEGGING", "MIXED_SEXUAL_AND_LABOUR", "NK"]

days = st.dates(datetime.date(2021, 6, 1), datetime.date(2024, 12, 31))
party_rows = st.builds(
    c.PartyRow,
    person=st.sampled_from([f"p{n}" for n in range(12)]),
    case=st.sampled_from(["c1", "c2", "c3"]),
    crime=st.sampled_from(["TIP", "TIP_AND_SOM", "SOM"]),
    role=st.sampled_from(["VICTIM", "VICTIM_AND_SUSPECT", "SUSPECT", "DEFENDANT", "WITNESS"]),
    identification=st.sampled_from(["IDENTIFIED", "POSSIBLE", ""]),
    sex=st.sampled_from(["F", "M", "X", "NK"]),
    birth_year=st.none() | st.integers(1960, 2020),
    age_at_identification=st.none() | st.integers(0, 80),
    citizenships=st.lists(st.sampled_from(["SV", "GT", "MX", "CN"]), max_size=2).map(tuple),
    registered_on=days,
    detected_on=st.none() | days,
    case_reported_on=st.none() | days,
    arrested_on=st.none() | days,
    purposes=st.lists(st.sampled_from(FORMS), max_size=3).map(tuple),
    recruited_in=st.lists(st.sampled_from(["SV", "GT"]), max_size=1).map(tuple),
    exploited_in=st.lists(st.sampled_from(["SV", "US", "GT"]), max_size=2).map(tuple),
)
decisions = st.builds(
    c.DecisionRow,
    instance=st.sampled_from(["FIRST", "APPEAL"]),
    verdict=st.sampled_from(["CONVICTED", "ACQUITTED", "CONVICTED_OF_OTHER_OFFENCE"]),
    decided_on=days,
    is_final=st.booleans(),
)
charge_rows = st.builds(
    c.ChargeRow,
    person=st.sampled_from([f"p{n}" for n in range(12)]),
    crime=st.sampled_from(["TIP", "SOM"]),
    status=st.sampled_from(["CHARGED", "INDICTED", "ADJUDICATED"]),
    registered_on=days,
    decisions=st.lists(decisions, max_size=2).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(party_rows, max_size=30))
def test_every_victim_table_counts_each_person_once(rows: list[c.PartyRow]) -> None:
    victims = c.victims(rows, home="SV")
    assert len({v.person for v in victims}) == len(victims)
    in_years = [v for v in victims if str(v.year) in YEARS]
    for table in c.victim_tables(victims, YEARS):
        assert table.total == len(in_years), table.key
    per_form = c.victims_per_form(victims, YEARS)
    assert per_form.total == sum(len(v.forms) for v in in_years)


@settings(max_examples=150, deadline=None)
@given(st.lists(party_rows, max_size=30), st.lists(charge_rows, max_size=20))
def test_the_funnel_narrows_and_each_stage_counts_each_person_once(
    rows: list[c.PartyRow], charges: list[c.ChargeRow]
) -> None:
    offenders = c.offenders(rows, charges, home="SV")
    funnel = c.funnel(offenders)
    assert funnel["INVESTIGATED"] >= funnel["PROSECUTED"] >= funnel["CONVICTED"]
    assert funnel["INVESTIGATED"] == len(offenders) == len({o.person for o in offenders})
    for offender in offenders:
        years = offender.years
        assert years["INVESTIGATED"] is not None
        if years["PROSECUTED"] is not None:
            assert years["INVESTIGATED"] <= years["PROSECUTED"]
        for later in ("CONVICTED", "CONVICTED_FINAL"):
            if years[later] is not None:
                assert years["PROSECUTED"] is not None
                assert years["PROSECUTED"] <= years[later]
    tables = {t.key: t for t in c.offender_tables(offenders, YEARS)}
    for stage in c.STAGES:
        reached = [o for o in offenders if o.years[stage] is not None and str(o.years[stage]) in YEARS]
        assert tables[f"persons_{stage.lower()}"].total == len(reached)
