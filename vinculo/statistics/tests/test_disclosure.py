"""Disclosure control on hand-computed tables: what the hub analyst, a prosecutor in another office
and the public may see of an office's statistics."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from vinculo.statistics.disclosure import (
    NETWORK_RULES,
    OWNER_RULES,
    PUBLIC_RULES,
    RULES,
    TOTAL,
    Cell,
    Kind,
    Reason,
    Status,
    Table,
    Tier,
    audit,
    primary_reason,
    protect,
    rate_per_100k,
    round_to_base,
)

# Victims detected by sex and age group in one country-year.
VICTIMS = Table.two_way(
    ["women", "men", "other"],
    ["girls-boys", "adults", "unknown"],
    [[3, 12, 20], [15, 30, 40], [25, 50, 60]],
)

POPULATION = {2022: 17_847_877, 2023: 18_124_838, 2024: 18_406_359}  # Guatemala, World Bank SP.POP.TOTL
BELIZE = {2022: 402_733, 2023: 411_106, 2024: 417_072}


def statuses(release):
    return {key: (cell.status, cell.reason) for key, cell in release.cells.items()}


# --- the tiers -----------------------------------------------------------------------------------


def test_the_tiers_carry_the_parameters_of_the_research_note():
    assert RULES[Tier.PUBLIC].threshold == 10
    assert RULES[Tier.PUBLIC].rounding_base == 5
    assert RULES[Tier.NETWORK].threshold == 5
    assert RULES[Tier.NETWORK].rounding_base == 1
    for tier in (Tier.PUBLIC, Tier.NETWORK):
        rules = RULES[tier]
        assert (rules.dominance_n, rules.dominance_k, rules.p_percent) == (2, 90, 10)
        assert (rules.rate_threshold, rules.pooling_years) == (10, 3)
    assert RULES[Tier.PUBLIC].small_country_threshold == 10
    assert RULES[Tier.NETWORK].small_country_threshold == 0
    assert not OWNER_RULES.suppresses


def test_the_owner_sees_every_cell_exactly():
    release = protect(VICTIMS, OWNER_RULES)
    assert {k: c.value for k, c in release.cells.items()} == VICTIMS.values
    assert {c.status for c in release.cells.values()} == {Status.PUBLISHED}
    assert audit(VICTIMS, release) == ()


# --- tables --------------------------------------------------------------------------------------


def test_a_table_derives_its_margins():
    assert VICTIMS.values[("women", TOTAL)] == 35
    assert VICTIMS.values[(TOTAL, "adults")] == 92
    assert VICTIMS.values[(TOTAL, TOTAL)] == 255
    one_way = Table.one_way(["sexual", "labour", "other"], [4, 11, 0])
    assert one_way.values == {("sexual",): 4, ("labour",): 11, ("other",): 0, (TOTAL,): 15}


@pytest.mark.parametrize(
    ("rows", "values"),
    [(["a", "a"], [1, 2]), (["*"], [1]), (["a"], [-1]), ([], [])],
)
def test_a_table_refuses_bad_labels_and_negative_counts(rows, values):
    with pytest.raises(ValueError, match=r"labels|negative"):
        Table.one_way(rows, values)


def test_a_table_holds_counts_or_contributions_not_both():
    with pytest.raises(ValueError, match="either counts or contributions"):
        Table.one_way(["a", "b"], [3, [1, 2]])  # type: ignore[list-item]


# --- primary and secondary suppression of counts -------------------------------------------------


def test_in_the_network_one_small_cell_forces_one_complement_in_its_row_and_one_in_its_column():
    release = protect(VICTIMS, NETWORK_RULES)
    # 3 is below 5; the smallest cells of its row (12) and column (15) are hidden with it, and the
    # 30 that shares a row with 15 and a column with 12 closes the rectangle.
    assert release.suppressed == (
        ("women", "girls-boys"),
        ("women", "adults"),
        ("men", "girls-boys"),
        ("men", "adults"),
    )
    assert release.cell("women", "girls-boys") == Cell(
        ("women", "girls-boys"), None, Status.SUPPRESSED_PRIMARY, Reason.BELOW_THRESHOLD
    )
    assert release.cell("women", "adults").status is Status.SUPPRESSED_SECONDARY
    assert release.cell("women", "adults").reason is Reason.COMPLEMENTARY
    assert release.cell("women", TOTAL).value == 35
    assert release.cell("other", "unknown").value == 60
    (small, *_) = audit(VICTIMS, release)
    # x + t, 12 - t, 15 - t, 30 + t with x + t in 1..4 and the complements at least 5: t in -2..1.
    assert (small.low, small.high, small.required, small.protected) == (1, 4, 2, True)


def test_in_public_the_audit_asks_for_a_wider_interval_and_gets_it():
    release = protect(VICTIMS, PUBLIC_RULES)
    # The rectangle alone leaves 3 in 1..5 (the complements 12 and 15 cannot go below 10): narrower
    # than the public protection width of 5, so the next smallest cell of the row (20) is added,
    # and 40 closes its column.
    assert set(release.suppressed) == {
        ("women", "girls-boys"),
        ("women", "adults"),
        ("women", "unknown"),
        ("men", "girls-boys"),
        ("men", "adults"),
        ("men", "unknown"),
    }
    small = next(f for f in audit(VICTIMS, release) if f.key == ("women", "girls-boys"))
    assert (small.low, small.high, small.protected) == (1, 8, True)


def test_public_counts_are_rounded_to_five_and_totals_independently():
    assert [round_to_base(v, 5) for v in (0, 10, 12, 13, 22, 23, 25)] == [0, 10, 10, 15, 20, 25, 25]
    release = protect(Table.one_way(["a", "b", "c"], [12, 12, 12]), PUBLIC_RULES)
    assert [c.value for c in release.cells.values()] == [10, 10, 10, 35]
    assert {c.status for c in release.cells.values()} == {Status.ROUNDED}
    assert release.totals_may_not_add_up
    assert not protect(VICTIMS, NETWORK_RULES).totals_may_not_add_up


def test_zeros_are_published_and_never_chosen_as_complements():
    table = Table.one_way(["sexual", "labour", "organs", "other"], [3, 0, 0, 40])
    release = protect(table, NETWORK_RULES)
    assert release.cell("labour") == Cell(("labour",), 0, Status.PUBLISHED, Reason.PUBLISHED)
    assert release.cell("organs").value == 0
    assert release.suppressed == (("sexual",), ("other",))


def test_a_total_that_only_repeats_a_hidden_cell_is_hidden_too():
    table = Table.one_way(["sexual", "labour"], [3, 0])
    release = protect(table, NETWORK_RULES)
    assert statuses(release)[(TOTAL,)] == (Status.SUPPRESSED_PRIMARY, Reason.BELOW_THRESHOLD)


def test_a_table_whose_total_is_below_the_threshold_shows_only_that_total():
    # Four victims, one in each form: labelling each "<5" would tell the reader each is exactly 1.
    table = Table.one_way(["sexual", "labour", "begging", "marriage"], [1, 1, 1, 1])
    release = protect(table, NETWORK_RULES)
    assert statuses(release) == {
        **{(form,): (Status.SUPPRESSED_PRIMARY, Reason.SPARSE_TABLE) for form in table.rows},
        (TOTAL,): (Status.SUPPRESSED_PRIMARY, Reason.BELOW_THRESHOLD),
    }
    assert all(f.protected for f in audit(table, release))
    # A zero next to a hidden cell would say where the few victims are: zeros are withheld as well.
    girls = Table.two_way(["female", "male"], ["child", "adult"], [[2, 0], [0, 0]])
    assert all(c.value is None for c in protect(girls, PUBLIC_RULES).cells.values())


def test_a_small_country_publishes_only_its_national_total():
    release = protect(VICTIMS, PUBLIC_RULES, country_victims=7)
    grand = (TOTAL, TOTAL)
    assert release.cells[grand].value == 255
    assert {c.reason for k, c in release.cells.items() if k != grand} == {Reason.SMALL_COUNTRY}
    assert release.cell("women", "girls-boys").status is Status.SUPPRESSED_PRIMARY
    assert release.cell("other", "unknown").status is Status.SUPPRESSED_SECONDARY
    # The rule belongs to the public tier; the network sees the detail under its own rules.
    assert protect(VICTIMS, NETWORK_RULES, country_victims=7) == protect(VICTIMS, NETWORK_RULES)
    assert protect(VICTIMS, PUBLIC_RULES, country_victims=10) == protect(VICTIMS, PUBLIC_RULES)


# --- money amounts -------------------------------------------------------------------------------


def test_amounts_are_hidden_for_few_contributors_and_for_dominance():
    confiscated = Table.one_way(
        ["cash", "vehicles", "property"],
        [
            [100] * 10,  # ten defendants, none dominant
            [1000] + [10] * 9,  # the two largest hold 1010 of 1090 (93 %)
            [500, 400, 300],  # three defendants only
        ],
    )
    assert confiscated.kind is Kind.AMOUNT
    assert confiscated.values[(TOTAL,)] == 1000 + 1090 + 1200
    assert primary_reason(confiscated, ("cash",), PUBLIC_RULES) is None
    assert primary_reason(confiscated, ("vehicles",), PUBLIC_RULES) is Reason.DOMINANCE
    assert primary_reason(confiscated, ("property",), PUBLIC_RULES) is Reason.FEW_CONTRIBUTORS
    assert primary_reason(confiscated, ("property",), OWNER_RULES) is None
    release = protect(confiscated, PUBLIC_RULES)
    # Two hidden cells in the one relation: each lies anywhere in 0..2290 for the reader.
    assert release.suppressed == (("vehicles",), ("property",))
    assert release.cell("cash") == Cell(("cash",), 1000, Status.PUBLISHED, Reason.PUBLISHED)
    assert release.cells[(TOTAL,)].value == 3290  # amounts are not rounded
    assert all(f.protected for f in audit(confiscated, release))


def test_the_p_percent_rule_on_its_own():
    rules = replace(NETWORK_RULES, threshold=1, dominance_n=0)
    fees = Table.one_way(["a", "b"], [[1000, 200, 50], [1000, 200, 150]])
    # a: the others than the two largest sum to 50, less than 10 % of 1000; b: 150 is not.
    assert primary_reason(fees, ("a",), rules) is Reason.P_PERCENT
    assert primary_reason(fees, ("b",), rules) is None


def test_an_amount_is_protected_by_p_percent_of_its_largest_contribution_on_each_side():
    fees = Table.two_way(["a", "b"], ["x", "y"], [[[5000, 100], [100] * 10], [[300] * 10, [200] * 10]])
    release = protect(fees, NETWORK_RULES)
    finding = next(f for f in audit(fees, release) if f.key == ("a", "x"))
    assert finding.required == 500
    assert finding.value - finding.low >= 500
    assert finding.high is None or finding.high - finding.value >= 500


# --- the audit -----------------------------------------------------------------------------------


def test_the_audit_finds_a_cell_recoverable_from_its_row_total():
    table = Table.one_way(["sexual", "labour"], [3, 20])
    honest = protect(table, NETWORK_RULES)
    careless = replace(
        honest,
        cells={
            **honest.cells,
            ("labour",): Cell(("labour",), 20, Status.PUBLISHED, Reason.PUBLISHED),
            (TOTAL,): Cell((TOTAL,), 23, Status.PUBLISHED, Reason.PUBLISHED),
        },
    )
    (finding,) = audit(table, careless)
    assert (finding.low, finding.high, finding.protected) == (3, 3, False)


def test_the_audit_counts_what_the_labels_tell_the_reader():
    # Published: total 11 and "<5" for a; b hidden as a complement, so b >= 5: a = 11 - b <= 6,
    # and a <= 4 from its label; a >= 1 from its label, and b has no upper bound except 11 - 1.
    table = Table.one_way(["a", "b"], [3, 8])
    release = protect(table, NETWORK_RULES)
    a, b = audit(table, release)
    assert (a.low, a.high) == (1, 4)
    assert (b.low, b.high) == (7, 10)
    assert b.required == 0
    assert a.witnesses == ({("a",): 1, ("b",): 10}, {("a",): 4, ("b",): 7})


# --- rates ---------------------------------------------------------------------------------------


def test_a_rate_from_a_numerator_at_the_threshold_is_annual():
    rate = rate_per_100k(counts={2024: 25}, populations=POPULATION, year=2024, rules=PUBLIC_RULES)
    assert (rate.per_100k, rate.status, rate.reason) == (Decimal("0.14"), Status.PUBLISHED, Reason.PUBLISHED)
    assert (rate.first_year, rate.last_year) == (2024, 2024)


def test_a_small_numerator_is_pooled_over_three_years_and_labelled():
    counts = {2022: 5, 2023: 3, 2024: 4}
    rate = rate_per_100k(counts=counts, populations=POPULATION, year=2024, rules=NETWORK_RULES)
    # 12 victims over 54,379,074 person-years: 0.022 per 100,000 a year.
    assert (rate.first_year, rate.last_year, rate.per_100k) == (2022, 2024, Decimal("0.02"))
    assert (rate.status, rate.reason) == (Status.POOLED, Reason.RATE_POOLED)


def test_a_pooled_numerator_still_below_the_threshold_is_not_published():
    rate = rate_per_100k(counts={2022: 2, 2023: 3, 2024: 4}, populations=POPULATION, year=2024, rules=PUBLIC_RULES)
    assert (rate.per_100k, rate.status, rate.reason) == (None, Status.SUPPRESSED_PRIMARY, Reason.RATE_BELOW_THRESHOLD)


def test_belize_is_pooled_even_above_the_threshold():
    rate = rate_per_100k(counts={2022: 12, 2023: 3, 2024: 4}, populations=BELIZE, year=2022 + 2, rules=PUBLIC_RULES)
    # 19 victims over 1,230,911 person-years.
    assert (rate.per_100k, rate.reason) == (Decimal("1.54"), Reason.RATE_POOLED_SMALL_POPULATION)
    annual = rate_per_100k(counts={2024: 12}, populations=BELIZE, year=2024, rules=PUBLIC_RULES)
    assert annual.status is Status.UNAVAILABLE  # pooling needs the two years before


def test_the_owner_sees_the_annual_rate_of_any_count():
    rate = rate_per_100k(counts={2024: 1}, populations=BELIZE, year=2024, rules=OWNER_RULES)
    assert (rate.per_100k, rate.status) == (Decimal("0.24"), Status.PUBLISHED)


def test_a_rate_without_its_population_is_unavailable():
    rate = rate_per_100k(counts={2024: 40}, populations={}, year=2024, rules=PUBLIC_RULES)
    assert (rate.status, rate.reason) == (Status.UNAVAILABLE, Reason.RATE_DATA_MISSING)


# --- purity --------------------------------------------------------------------------------------


PURE_CORES = ("disclosure.py", "counting.py", "charts.py", "reports.py", "regional.py")


def test_the_pure_cores_import_no_django():
    package = Path(__file__).resolve().parents[1]
    for path in (package / name for name in PURE_CORES):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {m for m in imported if m.split(".")[0] == "django"}, path.name
    modules = ", ".join(f"vinculo.statistics.{name[:-3]}" for name in PURE_CORES)
    code = f"import sys, {modules}; assert 'django' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=package.parents[1], env={})
