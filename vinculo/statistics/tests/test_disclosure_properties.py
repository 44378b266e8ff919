"""Properties of disclosure control on random small tables, for every tier.

The central one: for every hidden cell the audit gives the values a reader cannot rule out, and
two complete tables consistent with everything published (the witnesses, checked here without the
audit's solver) reach both ends of that interval; so no primary cell is narrowed below its
protection requirement. A brute-force reader on tiny tables confirms the intervals are exact.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.statistics.disclosure import (
    RULES,
    TOTAL,
    Kind,
    Reason,
    Release,
    Status,
    Table,
    Tier,
    audit,
    primary_reason,
    protect,
    rate_per_100k,
    reader_bounds,
    round_to_base,
)

PROPERTY = settings(max_examples=150, deadline=None)
tiers = st.sampled_from(list(Tier))
counts = st.one_of(st.just(0), st.integers(1, 12), st.integers(10, 60))


@st.composite
def count_tables(draw: st.DrawFn, max_rows: int = 4, max_columns: int = 4) -> Table:
    rows = [f"r{i}" for i in range(draw(st.integers(1, max_rows)))]
    columns = [f"c{j}" for j in range(draw(st.integers(0, max_columns)))]
    if not columns:
        return Table.one_way(rows, [draw(counts) for _ in rows])
    return Table.two_way(rows, columns, [[draw(counts) for _ in columns] for _ in rows])


@st.composite
def amount_tables(draw: st.DrawFn) -> Table:
    rows = [f"r{i}" for i in range(draw(st.integers(1, 3)))]
    columns = [f"c{j}" for j in range(draw(st.integers(0, 3)))]
    contribution = st.one_of(st.integers(1, 500), st.integers(5_000, 50_000))
    cell = st.lists(contribution, max_size=14)
    if not columns:
        return Table.one_way(rows, [draw(cell) for _ in rows])
    return Table.two_way(rows, columns, [[draw(cell) for _ in columns] for _ in rows])


def check_witnesses(table: Table, release: Release) -> None:
    """Every witness completes the table consistently with what the reader sees, and reaches its end."""
    for finding in audit(table, release):
        assert len(finding.witnesses) == (1 if finding.high is None else 2)
        for witness, end in zip(finding.witnesses, (finding.low, finding.high), strict=False):
            assert witness[finding.key] == end
            full = {k: witness.get(k, v) for k, v in table.values.items()}
            assert set(witness) == set(release.suppressed)
            for relation in table.relations:
                assert full[relation.total] == sum(full[p] for p in relation.parts)
            for key in release.suppressed:
                low, high = reader_bounds(table.kind, release.cells[key].reason, release.rules)
                assert low <= full[key]
                assert high is None or full[key] <= high
                if table.kind is Kind.COUNT:
                    assert Fraction(full[key]).denominator == 1  # a table of persons, not a fraction of one


def check_release(table: Table, release: Release) -> None:
    rules = release.rules
    findings = audit(table, release)
    # No hidden primary cell can be narrowed below its protection requirement.
    assert all(f.protected for f in findings), [f for f in findings if not f.protected]
    assert {f.key for f in findings} == set(release.suppressed)
    assert all(f.low <= f.value and (f.high is None or f.value <= f.high) for f in findings)
    check_witnesses(table, release)
    for key, cell in release.cells.items():
        reason = primary_reason(table, key, rules)
        # Suppression never hides less than the primary rule requires, and says so truthfully.
        if reason is not None and rules.suppresses:
            assert cell.status is Status.SUPPRESSED_PRIMARY
        if cell.status is Status.SUPPRESSED_PRIMARY:
            assert reason is not None
        if cell.is_suppressed:
            assert cell.value is None
        elif release.totals_may_not_add_up:
            assert (cell.value, cell.status) == (round_to_base(table.values[key], rules.rounding_base), Status.ROUNDED)
        else:
            assert (cell.value, cell.status) == (table.values[key], Status.PUBLISHED)
    if not release.totals_may_not_add_up:  # published totals equal the sums they claim
        for relation in table.relations:
            members = [release.cells[k] for k in (relation.total, *relation.parts)]
            if not any(c.is_suppressed for c in members):
                assert members[0].value == sum(c.value for c in members[1:])  # type: ignore[misc]


@settings(max_examples=300, deadline=None)
@given(count_tables(), tiers)
def test_no_hidden_count_can_be_derived_from_what_is_published(table: Table, tier: Tier) -> None:
    release = protect(table, RULES[tier])
    check_release(table, release)
    if tier is Tier.OWNER:
        assert release.suppressed == ()
    else:  # a published count is zero or at least the threshold
        assert all(c.value in (None, 0) or c.value >= RULES[tier].threshold for c in release.cells.values())


@PROPERTY
@given(amount_tables(), tiers)
def test_no_hidden_amount_can_be_estimated_within_p_percent(table: Table, tier: Tier) -> None:
    check_release(table, protect(table, RULES[tier]))


@PROPERTY
@given(count_tables(), tiers, st.integers(0, 20))
def test_the_small_country_rule_leaves_only_the_national_total(table: Table, tier: Tier, victims: int) -> None:
    rules = RULES[tier]
    release = protect(table, rules, country_victims=victims)
    check_release(table, release)
    if rules.small_country_threshold and victims < rules.small_country_threshold:
        shown = [k for k, c in release.cells.items() if not c.is_suppressed]
        assert set(shown) <= {table.grand_total_key}


@settings(max_examples=30, deadline=None)
@given(count_tables(), tiers)
def test_disclosure_control_is_deterministic(table: Table, tier: Tier) -> None:
    rebuilt = (
        Table.two_way(table.rows, table.columns, [[table.values[(r, c)] for c in table.columns] for r in table.rows])
        if table.is_two_way
        else Table.one_way(table.rows, [table.values[(r,)] for r in table.rows])
    )
    assert protect(table, RULES[tier]) == protect(rebuilt, RULES[tier])
    assert audit(table, protect(table, RULES[tier])) == audit(rebuilt, protect(rebuilt, RULES[tier]))


small_counts = st.one_of(st.just(0), st.integers(1, 12), st.integers(10, 20))


@settings(max_examples=40, deadline=None)
@given(st.lists(small_counts, min_size=1, max_size=3), st.sampled_from([Tier.NETWORK, Tier.PUBLIC]))
def test_the_audit_intervals_are_exactly_what_a_brute_force_reader_finds(values: list[int], tier: Tier) -> None:
    table = Table.one_way([f"r{i}" for i in range(len(values))], values)
    release = protect(table, RULES[tier])
    parts = [k for k in release.suppressed if k != (TOTAL,)]
    cap = 61  # above any total of three drawn values: reaching it means "unbounded"
    ranges = []
    for key in parts:
        low, high = reader_bounds(table.kind, release.cells[key].reason, release.rules)
        ranges.append(range(low, (cap if high is None else min(high, cap)) + 1))
    total_low, total_high = reader_bounds(table.kind, release.cells[(TOTAL,)].reason, release.rules)
    feasible: dict[tuple[str, ...], set[int]] = {k: set() for k in release.suppressed}
    for guess in itertools.product(*ranges):  # every table the reader cannot rule out
        full = {**table.values, **dict(zip(parts, guess, strict=True))}
        total = sum(full[(r,)] for r in table.rows)
        if release.cells[(TOTAL,)].is_suppressed:
            if total < total_low or (total_high is not None and total > total_high):
                continue
            full[(TOTAL,)] = total
        elif total != table.values[(TOTAL,)]:
            continue
        for key in release.suppressed:
            feasible[key].add(full[key])
    for finding in audit(table, release):
        values_seen = feasible[finding.key]
        assert min(values_seen) == finding.low
        if finding.high is None:
            assert max(values_seen) >= cap
        else:
            assert max(values_seen) == finding.high
            assert values_seen == set(range(finding.low, finding.high + 1))  # no holes: an interval


populations = st.sampled_from([417_072, 4_515_577, 18_406_359])


@PROPERTY
@given(st.dictionaries(st.integers(2020, 2024), st.integers(0, 30)), populations, tiers)
def test_a_rate_is_never_computed_from_a_numerator_below_the_threshold(
    counts: dict[int, int], population: int, tier: Tier
) -> None:
    rules = RULES[tier]
    rate = rate_per_100k(
        counts=counts, populations=dict.fromkeys(range(2018, 2025), population), year=2024, rules=rules
    )
    numerator = sum(counts.get(y, 0) for y in range(rate.first_year, rate.last_year + 1))
    assert (rate.per_100k is None) == (rate.status in (Status.SUPPRESSED_PRIMARY, Status.UNAVAILABLE))
    if rate.per_100k is not None:
        assert numerator >= rules.rate_threshold
        years = rate.last_year - rate.first_year + 1
        assert years == (1 if rate.status is Status.PUBLISHED else rules.pooling_years)
        assert abs(Fraction(rate.per_100k) - Fraction(100_000 * numerator, years * population)) <= Fraction(1, 200)
    if rate.status is Status.PUBLISHED and rules.pool_below_population:
        assert population >= rules.pool_below_population
    if rate.status is Status.SUPPRESSED_PRIMARY:
        assert numerator < rules.rate_threshold


tiny_counts = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 6))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(tiny_counts, min_size=2, max_size=2), min_size=2, max_size=2))
def test_two_way_audit_intervals_are_exactly_what_a_brute_force_reader_finds(values: list[list[int]]) -> None:
    table = Table.two_way(["r0", "r1"], ["c0", "c1"], values)
    release = protect(table, RULES[Tier.NETWORK])
    if release.cells[(TOTAL, TOTAL)].reason is Reason.COMPLEMENTARY:
        return  # no finite search covers an unbounded reader; the one-way test covers unbounded cells
    cap = 24  # the largest grand total drawn: with the grand total bounded, no cell can exceed it

    def admitted(key: tuple[str, ...]) -> set[int]:
        """The values the reader cannot rule out for one cell taken alone."""
        if not release.cells[key].is_suppressed:
            return {table.values[key]}
        low, high = reader_bounds(table.kind, release.cells[key].reason, release.rules)
        return set(range(low, (2 * cap if high is None else high) + 1))

    allowed = {key: admitted(key) for key in table.keys}
    rows = [
        [
            (a, b)
            for a, b in itertools.product(range(cap + 1), repeat=2)
            if a in allowed[(r, "c0")] and b in allowed[(r, "c1")] and a + b in allowed[(r, TOTAL)]
        ]
        for r in ("r0", "r1")
    ]
    feasible: dict[tuple[str, ...], set[int]] = {k: set() for k in release.suppressed}
    for (a, b), (c, d) in itertools.product(*rows):  # every table the reader cannot rule out
        if (
            a + c in allowed[(TOTAL, "c0")]
            and b + d in allowed[(TOTAL, "c1")]
            and a + b + c + d in allowed[(TOTAL, TOTAL)]
        ):
            full = {("r0", "c0"): a, ("r0", "c1"): b, ("r1", "c0"): c, ("r1", "c1"): d}
            full |= {("r0", TOTAL): a + b, ("r1", TOTAL): c + d, (TOTAL, "c0"): a + c, (TOTAL, "c1"): b + d}
            full[(TOTAL, TOTAL)] = a + b + c + d
            for key in release.suppressed:
                feasible[key].add(full[key])
    for finding in audit(table, release):
        assert (min(feasible[finding.key]), max(feasible[finding.key])) == (finding.low, finding.high)
