"""Disclosure control for published statistics: what a reader of each access tier may see.

Pure: plain data in, plain data out, no Django. The rules and their sources are in
docs/disclosure-control.md; in short (research note §9, rules R2-R4, R8, R12, R14):

- counts of persons from 1 to ``threshold - 1`` are primary-suppressed (shown as "<threshold");
- money amounts are primary-suppressed when they have too few contributors, when the ``n``
  largest contributions exceed ``k`` % of the cell (n-k dominance), or when the rest of the cell
  is less than ``p`` % of the largest contribution (p-% rule);
- complementary cells are suppressed until no primary cell can be narrowed, from the published
  cells, the totals and the suppression labels, to an interval narrower than the protection
  requirement; ``audit`` computes every suppressed cell's exact feasible interval (a small linear
  programme per bound) and is what the tests check;
- published counts are rounded to the tier's base (totals independently, so they may not add up);
- rates per 100,000 only from a numerator at or above the threshold, otherwise pooled over three
  years and labelled, otherwise not published.

A table holds its interior cells and derives its margins, so published totals always equal the
sums they claim before rounding. Cell keys are tuples of labels; ``TOTAL`` marks a margin.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from functools import cached_property

import numpy as np
import numpy.typing as npt

TOTAL = "*"
"""The label of a margin in a cell key: ``(row, TOTAL)`` is a row total, ``(TOTAL, TOTAL)`` the grand total."""

Key = tuple[str, ...]
Number = int | Fraction


class Tier(StrEnum):
    """Who reads the release (research note §9)."""

    OWNER = "owner"  # T3: the office that owns the cases, on its own data
    NETWORK = "network"  # T2: authenticated prosecutors of the member offices
    PUBLIC = "public"  # T1: CCCMP and UNODC publications, open data, the public


class Kind(StrEnum):
    """What a table's cells measure."""

    COUNT = "count"  # persons (victims, suspects, migrants)
    AMOUNT = "amount"  # money in minor units (fees, confiscated assets, reparation)


class Status(StrEnum):
    """What happened to a cell; for the release log and the owner's review."""

    PUBLISHED = "published"
    ROUNDED = "rounded"
    POOLED = "pooled"
    SUPPRESSED_PRIMARY = "suppressed-primary"
    SUPPRESSED_SECONDARY = "suppressed-secondary"
    UNAVAILABLE = "unavailable"


class Reason(StrEnum):
    """The code a reader's footnote is chosen by; it reveals exactly what ``audit`` assumes a reader knows."""

    PUBLISHED = "published"
    ROUNDED = "rounded"
    BELOW_THRESHOLD = "below-threshold"  # a count from 1 to threshold - 1
    FEW_CONTRIBUTORS = "few-contributors"  # an amount with fewer contributors than the threshold
    DOMINANCE = "dominance"  # an amount dominated by its n largest contributions
    P_PERCENT = "p-percent"  # an amount whose largest contribution the others can estimate
    COMPLEMENTARY = "complementary"  # hidden so that a primary cell cannot be recovered
    SMALL_COUNTRY = "small-country"  # detail withheld: the country detected too few victims (R14)
    SPARSE_TABLE = "sparse-table"  # detail withheld: no pattern of single cells protects this table
    RATE_POOLED = "rate-pooled-3-years"  # numerator below the threshold in the year
    RATE_POOLED_SMALL_POPULATION = "rate-pooled-small-population"  # pooled by default (Belize)
    RATE_BELOW_THRESHOLD = "rate-numerator-below-threshold"  # still below after pooling
    RATE_DATA_MISSING = "rate-data-missing"  # a count or population of the period is missing


@dataclass(frozen=True)
class TierRules:
    """The parameters of one tier; ``threshold=1`` and ``rounding_base=1`` switch a rule off."""

    tier: Tier
    threshold: int  # R2: minimum cell size for persons, and minimum contributors for amounts
    rounding_base: int  # R3: published counts rounded to this base
    protection_width: int  # counts: a primary cell's feasible interval is at least this wide
    dominance_n: int  # R12: n of the n-k rule (0 = off)
    dominance_k: int  # R12: k of the n-k rule, percent
    p_percent: int  # R12: p of the p-% rule, percent (0 = off); also the amounts' protection level
    small_country_threshold: int  # R14: fewer detected victims -> only the national total (0 = off)
    rate_threshold: int  # R8: minimum numerator of a rate (0 = always annual)
    pooling_years: int  # R8: years pooled when the numerator is small
    pool_below_population: int  # R8: countries this small always get pooled rates (0 = off)

    @property
    def suppresses(self) -> bool:
        return self.threshold > 1 or self.dominance_n > 0 or self.p_percent > 0


OWNER_RULES = TierRules(Tier.OWNER, 1, 1, 0, 0, 0, 0, 0, 0, 3, 0)
NETWORK_RULES = TierRules(Tier.NETWORK, 5, 1, 2, 2, 90, 10, 0, 10, 3, 1_000_000)
PUBLIC_RULES = TierRules(Tier.PUBLIC, 10, 5, 5, 2, 90, 10, 10, 10, 3, 1_000_000)
RULES: Mapping[Tier, TierRules] = {r.tier: r for r in (OWNER_RULES, NETWORK_RULES, PUBLIC_RULES)}


# ---------------------------------------------------------------------------------------------
# Tables


@dataclass(frozen=True)
class Relation:
    """``total`` equals the sum of ``parts``: what a reader can use to recover a hidden cell."""

    total: Key
    parts: tuple[Key, ...]


@dataclass(frozen=True)
class Table:
    """A one- or two-way table with its margins; build it with ``one_way`` or ``two_way``."""

    kind: Kind
    rows: tuple[str, ...]
    columns: tuple[str, ...]  # empty for a one-way table
    values: Mapping[Key, int]  # every cell, margins included
    contributions: Mapping[Key, tuple[int, ...]]  # amounts only: the contribution of each unit

    @classmethod
    def one_way(cls, rows: Sequence[str], values: Sequence[int] | Sequence[Sequence[int]]) -> Table:
        """Counts (a sequence of ints) or amounts (a sequence of contributions per row)."""
        return cls._build(tuple(rows), (), {(r,): v for r, v in zip(rows, values, strict=True)})

    @classmethod
    def two_way(
        cls, rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[int] | Sequence[Sequence[int]]]
    ) -> Table:
        """Counts (rows of ints) or amounts (rows of contributions per cell)."""
        if len(values) != len(rows):
            raise ValueError("one sequence of values per row")
        cells: dict[Key, object] = {}
        for r, row in zip(rows, values, strict=True):
            cells.update({(r, c): v for c, v in zip(columns, row, strict=True)})
        return cls._build(tuple(rows), tuple(columns), cells)

    @classmethod
    def _build(cls, rows: tuple[str, ...], columns: tuple[str, ...], interior: Mapping[Key, object]) -> Table:
        labels = rows + columns
        if not rows or len(set(rows)) != len(rows) or len(set(columns)) != len(columns) or TOTAL in labels:
            raise ValueError(f"labels must be unique, non-empty and not {TOTAL!r}")
        counts: dict[Key, int] = {}
        contributions: dict[Key, tuple[int, ...]] = {}
        for key, value in interior.items():
            if isinstance(value, bool):
                raise TypeError(f"a count is a number, not {value!r}")
            if isinstance(value, int):
                counts[key] = value
            elif isinstance(value, Iterable):
                contributions[key] = tuple(int(x) for x in value)
                counts[key] = sum(contributions[key])
            else:
                raise TypeError(f"a cell holds a count or a sequence of contributions, not {value!r}")
        if contributions and len(contributions) != len(counts):
            raise ValueError("a table holds either counts or contributions, not both")
        kind = Kind.AMOUNT if contributions else Kind.COUNT
        if any(v < 0 for v in counts.values()) or any(x < 0 for c in contributions.values() for x in c):
            raise ValueError("counts and amounts are never negative")
        table = cls(kind, rows, columns, counts, contributions)
        values, contribs = dict(counts), dict(contributions)
        for relation in table.relations:  # ordered so that parts are known before their total
            values[relation.total] = sum(values[p] for p in relation.parts)
            if kind is Kind.AMOUNT:
                contribs[relation.total] = tuple(x for p in relation.parts for x in contribs[p])
        return cls(kind, rows, columns, {k: values[k] for k in table.keys}, {k: contribs[k] for k in contribs})

    @property
    def is_two_way(self) -> bool:
        return bool(self.columns)

    @cached_property
    def keys(self) -> tuple[Key, ...]:
        """Every cell in a fixed order: interior row by row, then row totals, column totals, grand total."""
        if not self.is_two_way:
            return (*((r,) for r in self.rows), (TOTAL,))
        interior = tuple((r, c) for r in self.rows for c in self.columns)
        return (*interior, *((r, TOTAL) for r in self.rows), *((TOTAL, c) for c in self.columns), (TOTAL, TOTAL))

    @property
    def grand_total_key(self) -> Key:
        return (TOTAL, TOTAL) if self.is_two_way else (TOTAL,)

    @cached_property
    def relations(self) -> tuple[Relation, ...]:
        if not self.is_two_way:
            return (Relation((TOTAL,), tuple((r,) for r in self.rows)),)
        rows = tuple(Relation((r, TOTAL), tuple((r, c) for c in self.columns)) for r in self.rows)
        cols = tuple(Relation((TOTAL, c), tuple((r, c) for r in self.rows)) for c in self.columns)
        grand = (
            Relation((TOTAL, TOTAL), tuple(r.total for r in rows)),
            Relation((TOTAL, TOTAL), tuple(c.total for c in cols)),
        )
        return rows + cols + grand

    @cached_property
    def order(self) -> Mapping[Key, int]:
        """The position of each key in ``keys``."""
        return {k: i for i, k in enumerate(self.keys)}


def is_margin(key: Key) -> bool:
    return TOTAL in key


# ---------------------------------------------------------------------------------------------
# Releases


@dataclass(frozen=True)
class Cell:
    """One published cell: its value (None when hidden), its status and the reader's reason code."""

    key: Key
    value: int | None
    status: Status
    reason: Reason

    @property
    def is_suppressed(self) -> bool:
        return self.status in (Status.SUPPRESSED_PRIMARY, Status.SUPPRESSED_SECONDARY)


@dataclass(frozen=True)
class Release:
    """What a tier may see of a table. Hidden values are not in it."""

    rules: TierRules
    kind: Kind
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: Mapping[Key, Cell]
    totals_may_not_add_up: bool  # rounded: show the footnote that components may not add up

    def cell(self, row: str, column: str | None = None) -> Cell:
        return self.cells[(row,) if column is None else (row, column)]

    @property
    def suppressed(self) -> tuple[Key, ...]:
        return tuple(k for k, c in self.cells.items() if c.is_suppressed)


def round_to_base(value: int, base: int) -> int:
    """Conventional rounding to the nearest multiple of ``base``; a half rounds up."""
    return (value + base // 2) // base * base


def primary_reason(table: Table, key: Key, rules: TierRules) -> Reason | None:
    """Why the cell must be hidden on its own, or None; zeros are never primary-suppressed."""
    value = table.values[key]
    if value == 0:
        return None
    if table.kind is Kind.COUNT:
        return Reason.BELOW_THRESHOLD if value < rules.threshold else None
    units = sorted((x for x in table.contributions[key] if x > 0), reverse=True)
    if len(units) < rules.threshold:
        return Reason.FEW_CONTRIBUTORS
    if rules.dominance_n and 100 * sum(units[: rules.dominance_n]) > rules.dominance_k * value:
        return Reason.DOMINANCE
    if rules.p_percent and 100 * (value - sum(units[:2])) < rules.p_percent * units[0]:
        return Reason.P_PERCENT
    return None


def protect(table: Table, rules: TierRules, *, country_victims: int | None = None) -> Release:
    """The release of ``table`` for a tier, proved by ``audit`` to protect every primary cell.

    ``country_victims`` is the country's detected victims in the table's year: in a tier with the
    small-country rule, fewer than its threshold leave only the grand total (R14).
    """
    primary = {k: r for k in table.keys if (r := primary_reason(table, k, rules)) is not None}
    if not rules.suppresses:
        return _release(table, rules, primary, {})
    hidden: dict[Key, Reason] = dict(primary)
    small = rules.small_country_threshold
    if small and country_victims is not None and country_victims < small:
        return _withheld(table, rules, primary, Reason.SMALL_COUNTRY)
    if table.grand_total_key in primary:  # every non-zero cell is primary too: the zeros would only tell who is where
        return _withheld(table, rules, primary, Reason.SPARSE_TABLE)
    _close_relations(table, hidden)
    proven: set[Key] = set()  # hiding more only widens an interval, so a protected cell stays protected
    while True:
        release = _release(table, rules, primary, hidden)
        failing = None
        for finding in _findings(table, release, [k for k in primary if k not in proven]):
            if not finding.protected:
                failing = finding
                break
            proven.add(finding.key)
        if failing is None:
            return release
        candidate = _complement_for(table, hidden, failing.key)
        if candidate is None:
            return _withheld(table, rules, primary, Reason.SPARSE_TABLE)
        hidden[candidate] = Reason.COMPLEMENTARY
        _close_relations(table, hidden)


def _close_relations(table: Table, hidden: dict[Key, Reason]) -> None:
    """Hide complementary cells until no relation has exactly one hidden cell (R4's "at least two")."""
    changed = True
    while changed:
        changed = False
        for relation in table.relations:
            members = (relation.total, *relation.parts)
            if sum(k in hidden for k in members) != 1:
                continue
            candidate = _smallest(table, [k for k in members if k not in hidden])
            if candidate is not None:
                hidden[candidate] = Reason.COMPLEMENTARY
                changed = True


def _complement_for(table: Table, hidden: Mapping[Key, Reason], key: Key) -> Key | None:
    """The next complementary cell for a primary cell the audit found too narrow."""
    near = [r for r in table.relations if key in (r.total, *r.parts)]
    touched = [r for r in table.relations if any(k in hidden for k in (r.total, *r.parts))]
    for relations in (near, touched, table.relations):
        free = [k for r in relations for k in (r.total, *r.parts) if k not in hidden]
        candidate = _smallest(table, free)
        if candidate is not None:
            return candidate
    return None


def _smallest(table: Table, keys: Iterable[Key]) -> Key | None:
    """The cheapest complement: the smallest non-zero cell, interior before margins, then table order."""
    usable = [k for k in set(keys) if table.values[k] > 0]
    return min(usable, key=lambda k: (table.values[k], is_margin(k), table.order[k]), default=None)


def _withheld(table: Table, rules: TierRules, primary: Mapping[Key, Reason], reason: Reason) -> Release:
    """Only the grand total, under its own rule; or nothing at all if even that exposes a cell."""
    grand = table.grand_total_key
    hidden = {k: reason for k in table.keys if k != grand}
    if grand in primary:
        hidden[grand] = primary[grand]
    release = _release(table, rules, primary, hidden)
    if all(f.protected for f in audit(table, release)):
        return release
    return _release(table, rules, primary, dict.fromkeys(table.keys, reason))


def _release(table: Table, rules: TierRules, primary: Mapping[Key, Reason], hidden: Mapping[Key, Reason]) -> Release:
    cells = {}
    base = rules.rounding_base if table.kind is Kind.COUNT else 1
    for key in table.keys:
        if key in hidden:
            status = Status.SUPPRESSED_PRIMARY if key in primary else Status.SUPPRESSED_SECONDARY
            cells[key] = Cell(key, None, status, hidden[key])
        elif base > 1:
            cells[key] = Cell(key, round_to_base(table.values[key], base), Status.ROUNDED, Reason.ROUNDED)
        else:
            cells[key] = Cell(key, table.values[key], Status.PUBLISHED, Reason.PUBLISHED)
    return Release(rules, table.kind, table.rows, table.columns, cells, base > 1)


# ---------------------------------------------------------------------------------------------
# Audit


@dataclass(frozen=True)
class Finding:
    """The values a reader cannot rule out for one hidden cell (``high`` None = unbounded).

    It holds the hidden value and complete tables: for the owner's tier and the tests, never for a release.
    """

    key: Key
    value: int
    low: Number
    high: Number | None
    required: Number  # the width (counts) or the distance on each side (amounts) a primary cell needs
    protected: bool
    witnesses: tuple[Mapping[Key, Number], ...]  # values of all hidden cells reaching ``low`` and ``high``

    @property
    def width(self) -> Number | None:
        return None if self.high is None else self.high - self.low


def reader_bounds(kind: Kind, reason: Reason, rules: TierRules) -> tuple[int, int | None]:
    """What a hidden cell's label tells a reader about its value."""
    if kind is Kind.COUNT and reason is Reason.BELOW_THRESHOLD:
        return 1, rules.threshold - 1
    if kind is Kind.COUNT and reason is Reason.COMPLEMENTARY:
        return rules.threshold, None  # a complement is never zero and not below the threshold
    return 0, None


def audit(table: Table, release: Release) -> tuple[Finding, ...]:
    """The exact feasible interval of every hidden cell, and whether each primary cell is protected.

    The reader is assumed to know every published cell exactly (rounding is ignored, which only
    makes the reader stronger), every relation between cells, and what each hidden cell's reason
    code says about its value (``reader_bounds``). The bounds are the optimum of a linear
    programme, solved exactly; for tables of counts with margins the constraint matrix is totally
    unimodular, so they are also the integer bounds.
    """
    return tuple(_findings(table, release, release.suppressed))


def _findings(table: Table, release: Release, keys: Iterable[Key]) -> Iterator[Finding]:
    """The findings for ``keys`` (hidden cells), computed one at a time."""
    rules = release.rules
    hidden = release.suppressed
    index = {k: i for i, k in enumerate(hidden)}
    equations = []
    for relation in table.relations:
        coefficients = [0] * len(hidden)
        rhs = 0
        for key, sign in ((relation.total, 1), *((p, -1) for p in relation.parts)):
            if key in index:
                coefficients[index[key]] += sign
            else:
                rhs -= sign * table.values[key]
        if any(coefficients):
            equations.append((coefficients, rhs))
    bounds = [reader_bounds(table.kind, release.cells[k].reason, rules) for k in hidden]
    for key in keys:
        # Only the hidden cells linked to this one by equations matter; the others keep their
        # true values in the witnesses, which satisfy their own equations.
        linked = _linked(equations, index[key])
        local = [([c[v] for v in linked], b) for c, b in equations if any(c[v] for v in linked)]
        local_bounds = [bounds[v] for v in linked]
        i, value = linked.index(index[key]), table.values[key]
        lowest = _optimum(local, local_bounds, i, minimise=True)
        highest = _optimum(local, local_bounds, i, minimise=False)
        if lowest is None:  # pragma: no cover - every variable is bounded below
            raise AssertionError("a hidden cell without a lower bound")
        true_values: dict[Key, Number] = {k: table.values[k] for k in hidden}
        witnesses = tuple(
            true_values | {hidden[v]: x[j] for j, v in enumerate(linked)} for x in (lowest, highest) if x is not None
        )
        low, high = lowest[i], None if highest is None else highest[i]
        required: Number = 0
        protected = True
        if release.cells[key].status is Status.SUPPRESSED_PRIMARY:
            if table.kind is Kind.COUNT:
                required = rules.protection_width
                protected = high is None or high - low >= required
            else:
                required = Fraction(rules.p_percent * max(table.contributions[key]), 100)
                protected = value - low >= required and (high is None or high - value >= required)
        yield Finding(key, value, low, high, required, protected, witnesses)


def _linked(equations: Sequence[tuple[list[int], int]], start: int) -> list[int]:
    """The variables connected to ``start`` through shared equations, ``start`` included, in order."""
    seen, frontier = {start}, [start]
    while frontier:
        variable = frontier.pop()
        for coefficients, _ in equations:
            if coefficients[variable]:
                new = {v for v, c in enumerate(coefficients) if c and v not in seen}
                seen |= new
                frontier.extend(new)
    return sorted(seen)


def _optimum(
    equations: Sequence[tuple[list[int], int]], bounds: Sequence[tuple[int, int | None]], i: int, *, minimise: bool
) -> list[Number] | None:
    """A solution where variable i is smallest (or largest) under the equations and bounds; None if unbounded."""
    n = len(bounds)
    rows: list[list[Number]] = []
    rhs: list[Number] = []
    for coefficients, b in equations:  # substitute x = lower + y, y >= 0
        rows.append([*coefficients, *([0] * n)])
        rhs.append(b - sum(c * lo for c, (lo, _) in zip(coefficients, bounds, strict=True)))
    for j, (lo, hi) in enumerate(bounds):  # y_j + s_j = hi - lo with a slack s_j >= 0
        if hi is not None:
            row: list[Number] = [0] * (2 * n)
            row[j] = row[n + j] = 1
            rows.append(row)
            rhs.append(hi - lo)
    cost: list[Number] = [0] * (2 * n)
    cost[i] = 1 if minimise else -1
    solution = _simplex_min(rows, rhs, cost)
    if solution is None:
        return None
    return [lo + y for (lo, _), y in zip(bounds, solution, strict=False)]


def _simplex_min(rows: list[list[Number]], rhs: list[Number], cost: list[Number]) -> list[Number] | None:
    """Two-phase tableau simplex with Bland's rule: min cost.y, rows.y = rhs, y >= 0.

    Returns an optimal y, or None when unbounded. The systems of tables with margins are totally
    unimodular (a network flow), so every pivot is 1 or -1 and integer arithmetic is exact; a
    pivot of any other value is refused rather than rounded.
    """
    n = len(cost)
    a = np.array(rows, dtype=np.int64).reshape(len(rows), n)
    b = np.array(rhs, dtype=np.int64)
    a[b < 0] *= -1
    b = np.abs(b)
    m = len(b)
    tableau = np.hstack([a, np.eye(m, dtype=np.int64), b.reshape(m, 1)])
    basis = list(range(n, n + m))
    objective = np.zeros(n + m + 1, dtype=np.int64)
    objective[n : n + m] = 1
    objective -= tableau.sum(axis=0)  # reduced costs of phase one: the sum of the artificial variables
    if not _pivot_until_optimal(tableau, basis, objective, n + m) or objective[-1] != 0:
        raise ValueError("the published cells contradict each other")  # cannot happen for a real table
    for r in range(m - 1, -1, -1):  # drive artificial variables out, dropping redundant rows
        if basis[r] >= n:
            nonzero = np.flatnonzero(tableau[r, :n])
            if nonzero.size == 0:
                tableau = np.delete(tableau, r, axis=0)
                del basis[r]
            else:
                _pivot(tableau, None, r, int(nonzero[0]))
                basis[r] = int(nonzero[0])
    tableau = np.delete(tableau, np.s_[n : n + m], axis=1)
    objective = np.array([*cost, 0], dtype=np.int64)
    for r, j in enumerate(basis):
        if objective[j]:
            objective -= objective[j] * tableau[r]
    if not _pivot_until_optimal(tableau, basis, objective, n):
        return None
    solution: list[Number] = [0] * n
    for r, j in enumerate(basis):
        solution[j] = int(tableau[r, -1])
    return solution


Matrix = npt.NDArray[np.int64]


def _pivot_until_optimal(tableau: Matrix, basis: list[int], objective: Matrix, n: int) -> bool:
    """Pivot with Bland's rule until no reduced cost among the first n columns is negative; False if unbounded."""
    while True:
        negative = np.flatnonzero(objective[:n] < 0)
        if negative.size == 0:
            return True
        entering = int(negative[0])
        candidates = np.flatnonzero(tableau[:, entering] > 0)
        if candidates.size == 0:
            return False
        leaving = min(candidates, key=lambda r: (Fraction(int(tableau[r, -1]), int(tableau[r, entering])), basis[r]))
        _pivot(tableau, objective, int(leaving), entering)
        basis[int(leaving)] = entering


def _pivot(tableau: Matrix, objective: Matrix | None, r: int, j: int) -> None:
    pivot = tableau[r, j]
    if pivot == -1:
        tableau[r] *= -1
    elif pivot != 1:
        raise ValueError("a pivot other than 1 or -1: the system is not totally unimodular")
    column = tableau[:, j].copy()
    column[r] = 0
    tableau -= np.outer(column, tableau[r])
    if objective is not None and objective[j]:
        objective -= objective[j] * tableau[r]


# ---------------------------------------------------------------------------------------------
# Rates per 100,000 (SDG 16.2.2)


@dataclass(frozen=True)
class Rate:
    """A rate per 100,000 for ``first_year``..``last_year`` (one year unless pooled); None when hidden."""

    first_year: int
    last_year: int
    per_100k: Decimal | None
    status: Status
    reason: Reason


def rate_per_100k(*, counts: Mapping[int, int], populations: Mapping[int, int], year: int, rules: TierRules) -> Rate:
    """The rate of ``year`` from unrounded counts, pooled over the tier's years when the count is small.

    A pooled rate is the average annual rate: the period's count over the period's person-years.
    """
    population = populations.get(year)
    small_country = bool(rules.pool_below_population) and (population or 0) < rules.pool_below_population
    if year in counts and population and not small_country and counts[year] >= rules.rate_threshold:
        return Rate(year, year, _per_100k(counts[year], population), Status.PUBLISHED, Reason.PUBLISHED)
    if year not in counts or not population:
        return Rate(year, year, None, Status.UNAVAILABLE, Reason.RATE_DATA_MISSING)
    first = year - rules.pooling_years + 1
    years = range(first, year + 1)
    if any(y not in counts or not populations.get(y) for y in years):
        return Rate(first, year, None, Status.UNAVAILABLE, Reason.RATE_DATA_MISSING)
    numerator = sum(counts[y] for y in years)
    if numerator < rules.rate_threshold:
        return Rate(first, year, None, Status.SUPPRESSED_PRIMARY, Reason.RATE_BELOW_THRESHOLD)
    reason = Reason.RATE_POOLED_SMALL_POPULATION if small_country else Reason.RATE_POOLED
    return Rate(first, year, _per_100k(numerator, sum(populations[y] for y in years)), Status.POOLED, reason)


def _per_100k(count: int, population: int) -> Decimal:
    return (Decimal(100_000 * count) / Decimal(population)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
