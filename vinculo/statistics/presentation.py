"""The catalogue of tables as readers see them: titles, units, labels in the reader's language, and cells
after the disclosure control of the reader's tier.

Every table shown, exported or reported goes through ``protect_table``: the owner sees the counts
as they are; the network and the public see them through ``disclosure.protect``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from vinculo.statistics import charts, counting, disclosure, regional
from vinculo.statistics.disclosure import TOTAL, Reason, Tier


@dataclass(frozen=True)
class Spec:
    """A table of the catalogue: what it shows and how its rows and columns are named."""

    key: str
    title: Promise
    units: Promise
    rows_are: str  # "years" or a label kind
    columns_are: str
    chart_by: str = "rows"  # the chart of totals: by row, or by column (amounts: kinds are not added up)


PERSONS = _("persons")
CROSSINGS = _("border crossings")

CATALOGUE: tuple[Spec, ...] = (
    Spec("cases_recorded", _("Cases recorded, by year and crime"), _("cases"), "years", "crime"),
    Spec(
        "cases_recorded_iccs",
        _("Cases recorded, by year and ICCS offence of the main charge"),
        _("cases"),
        "years",
        "iccs",
    ),
    Spec("victims_sex_age", _("Victims detected, by year and sex and age"), PERSONS, "years", "sex_age"),
    Spec("victims_sex", _("Victims detected, by year and sex"), PERSONS, "years", "sex"),
    Spec("victims_age", _("Victims detected, by year, children and adults"), PERSONS, "years", "age"),
    Spec("victims_form", _("Victims detected, by year and form of exploitation"), PERSONS, "years", "form"),
    Spec("victims_citizenship", _("Victims detected, by citizenship and year"), PERSONS, "countries", "years"),
    Spec("victims_flow", _("Victims detected, by year and kind of flow"), PERSONS, "years", "flow"),
    Spec(
        "victims_origin_destination",
        _("Victims detected, from country of origin (rows) to country of exploitation (columns)"),
        PERSONS,
        "countries",
        "countries",
    ),
    Spec(
        "victims_per_form",
        _("Victims detected, by detailed form of exploitation and year (a person counts once per form)"),
        PERSONS,
        "forms",
        "years",
    ),
    Spec("possible_victims_sex_age", _("Possible victims, by year and sex and age"), PERSONS, "years", "sex_age"),
    Spec(
        "smuggled_migrants_sex_age",
        _("Smuggled migrants identified, by year and sex and age"),
        PERSONS,
        "years",
        "sex_age",
    ),
    Spec(
        "smuggled_migrants_citizenship",
        _("Smuggled migrants identified, by citizenship and year"),
        PERSONS,
        "countries",
        "years",
    ),
    Spec("persons_investigated", _("Persons investigated (formal contact), by year and sex"), PERSONS, "years", "sex"),
    Spec("persons_prosecuted", _("Persons prosecuted, by year and sex"), PERSONS, "years", "sex"),
    Spec("persons_convicted", _("Persons convicted at first instance, by year and sex"), PERSONS, "years", "sex"),
    Spec("persons_convicted_final", _("Persons finally convicted, by year and sex"), PERSONS, "years", "sex"),
    Spec("convicted_citizenship", _("Persons convicted, by citizenship and year"), PERSONS, "countries", "years"),
    Spec(
        "smugglers_investigated",
        _("Persons investigated for smuggling of migrants, by year and sex"),
        PERSONS,
        "years",
        "sex",
    ),
    Spec(
        "smugglers_prosecuted",
        _("Persons prosecuted for smuggling of migrants, by year and sex"),
        PERSONS,
        "years",
        "sex",
    ),
    Spec(
        "smugglers_convicted",
        _("Persons convicted at first instance for smuggling of migrants, by year and sex"),
        PERSONS,
        "years",
        "sex",
    ),
    Spec(
        "smugglers_convicted_final",
        _("Persons finally convicted for smuggling of migrants, by year and sex"),
        PERSONS,
        "years",
        "sex",
    ),
    Spec(
        "border_crossings",
        _("Border crossings on the routes, by crossing point and year"),
        CROSSINGS,
        "crossings",
        "years",
    ),
)
AMOUNTS = Spec(
    "amounts_imposed",
    _("Fines, confiscated assets and reparations imposed by convictions for trafficking or smuggling, by year"),
    _("currency units"),
    "years",
    "amount",
    chart_by="columns",
)
BY_KEY: Mapping[str, Spec] = {spec.key: spec for spec in (*CATALOGUE, AMOUNTS)}

LABELS: dict[str, dict[str, Promise]] = {
    "sex_age": {
        "WOMEN": _("Women"),
        "MEN": _("Men"),
        "GIRLS": _("Girls"),
        "BOYS": _("Boys"),
        "OTHER": _("Other sex"),
        "NK": _("Not known"),
    },
    "sex": {"F": _("Female"), "M": _("Male"), "X": _("Other or intersex"), "NK": _("Not known")},
    "age": {"CHILD": _("Children"), "ADULT": _("Adults"), "NK": _("Not known")},
    "form": {
        "SEXUAL": _("Sexual exploitation"),
        "LABOUR": _("Forced labour"),
        "MIXED": _("Sexual exploitation and forced labour"),
        "OTHER": _("Other purposes"),
        "NK": _("Not known"),
    },
    "flow": {
        "DOMESTIC": _("Domestic"),
        "MEMBERS": _("Between member countries"),
        "AMERICAS": _("Within the Americas"),
        "TRANSREGIONAL": _("Transregional"),
        "NK": _("Not known"),
    },
    "stage": {
        "INVESTIGATED": _("Investigated"),
        "PROSECUTED": _("Prosecuted"),
        "CONVICTED": _("Convicted (first instance)"),
        "CONVICTED_FINAL": _("Convicted (final)"),
    },
    "countries": {"NK": _("Not known")},
    "amount": {
        "FINE": _("Fines"),
        "CONFISCATED": _("Value of assets confiscated"),
        "REPARATION": _("Reparation to victims"),
    },
    "iccs": {  # ICCS version 1.0 (UNODC, 2015): the codes the member countries' provisions use
        "0204": _("0204 Trafficking in persons"),
        "02041": _("02041 Trafficking in persons for sexual exploitation"),
        "02042": _("02042 Trafficking in persons for forced labour or services"),
        "02043": _("02043 Trafficking in persons for organ removal"),
        "02049": _("02049 Trafficking in persons for other purposes"),
        "07041": _("07041 Money laundering"),
        "08051": _("08051 Smuggling of migrants"),
        "NK": _("No ICCS code"),
        "NONE": _("No charge yet"),
    },
    "crime": {
        "TIP": _("Trafficking in persons"),
        "TIP_AND_SOM": _("Trafficking and smuggling"),
        "SOM": _("Smuggling of migrants"),
        "RELATED": _("Related offence"),
    },
}

SYMBOLS: dict[Reason, Promise] = {
    Reason.COMPLEMENTARY: _("x"),
    Reason.SMALL_COUNTRY: _("x"),
    Reason.SPARSE_TABLE: _("x"),
    Reason.FEW_CONTRIBUTORS: _("x"),
    Reason.DOMINANCE: _("x"),
    Reason.P_PERCENT: _("x"),
}
FOOTNOTES: dict[Reason, Promise] = {
    Reason.BELOW_THRESHOLD: _("“<%(n)s”: fewer than %(n)s; hidden so that nobody can be recognised."),
    Reason.COMPLEMENTARY: _("“x”: hidden so that a small figure cannot be worked out from the totals."),
    Reason.SMALL_COUNTRY: _("“x”: too few victims in the year to publish any detail; only the total is shown."),
    Reason.SPARSE_TABLE: _("“x”: too few persons in this table to publish any detail; only the total is shown."),
    Reason.ROUNDED: _("Figures are rounded to the nearest 5; components may not add up to the totals."),
    Reason.FEW_CONTRIBUTORS: _("“x”: an amount from too few convicted persons; hidden so that no one's can be known."),
    Reason.DOMINANCE: _(
        "“x”: an amount mostly from one or two convicted persons; hidden so that theirs cannot be estimated."
    ),
    Reason.P_PERCENT: _("“x”: an amount the others could narrow down to one person's; hidden."),
}
TIER_NAMES: dict[Tier, Promise] = {
    Tier.OWNER: _("This office (figures as they are)"),
    Tier.NETWORK: _("Network (as member offices see them)"),
    Tier.PUBLIC: _("Public (as published)"),
}


def label(kind: str, code: str, names: Mapping[str, str] | None = None) -> str:
    """A row or column label in the reader's language: a year as is, a country or crossing by its name."""
    if code == TOTAL:
        return gettext("Total")
    if kind in ("years", "crossings"):
        return code
    if kind == "forms":
        return (names or {}).get(code, code)
    if kind == "countries" and names and code in names:
        return names[code]
    known = LABELS.get(kind, {})
    return str(known[code]) if code in known else code


@dataclass(frozen=True)
class DisplayCell:
    text: str
    value: int | None
    is_hidden: bool
    is_total: bool


@dataclass(frozen=True)
class DisplayTable:
    """A protected table ready for a page or a file: labels, cell texts, footnotes."""

    key: str
    title: str
    units: str
    row_labels: list[str]
    column_labels: list[str]  # the interior columns then "Total"; one-way tables: just "Total"
    rows: list[list[DisplayCell]]  # interior rows then the total row
    footnotes: list[str]
    release: disclosure.Release | None

    @property
    def body(self) -> list[tuple[str, list[DisplayCell]]]:
        return list(zip(self.row_labels, self.rows, strict=True))

    @property
    def header(self) -> list[str]:
        return ["", *self.column_labels]

    def as_rows(self) -> list[list[str]]:
        """Header and rows as text (CSV and XLSX)."""
        body = [[r, *(c.text for c in row)] for r, row in zip(self.row_labels, self.rows, strict=True)]
        return [[self.title], [self.units], self.header, *body, *([note] for note in self.footnotes)]


def protect_table(
    table: counting.CountTable | counting.AmountTable,
    tier: Tier,
    *,
    names: Mapping[str, str] | None = None,
) -> DisplayTable:
    """The table as a reader of ``tier`` may see it, with its margins.

    An amounts table is protected from its contributions (too few contributors, n-k dominance,
    the p-% rule) and shows its currency in its units.
    """
    spec = BY_KEY.get(table.key)
    rows_are = spec.rows_are if spec else "codes"
    columns_are = spec.columns_are if spec else "codes"
    if not table.rows:
        return _empty(table, spec)
    if isinstance(table, counting.AmountTable):
        if not table.currency:
            return _empty(table, spec)
        cells = [[list(cell) for cell in row] for row in table.contributions]
        source = disclosure.Table.two_way(table.rows, table.columns, cells)
    elif table.columns:
        source = disclosure.Table.two_way(table.rows, table.columns, [list(r) for r in table.values])
    else:
        source = disclosure.Table.one_way(table.rows, [r[0] for r in table.values])
    release = disclosure.protect(source, disclosure.RULES[tier])
    threshold = release.rules.threshold
    used: set[Reason] = set()

    def cell(key: tuple[str, ...]) -> DisplayCell:
        published = release.cells[key]
        total = TOTAL in key
        if published.value is not None:
            if published.reason is Reason.ROUNDED:
                used.add(Reason.ROUNDED)
            return DisplayCell(f"{published.value:,}".replace(",", "\u202f"), published.value, False, total)
        used.add(published.reason)
        text = (
            f"<{threshold}" if published.reason is Reason.BELOW_THRESHOLD else str(SYMBOLS.get(published.reason, "x"))
        )
        return DisplayCell(text, None, True, total)

    if table.columns:
        grid = [[cell((r, c)) for c in (*table.columns, TOTAL)] for r in (*table.rows, TOTAL)]
        column_labels = [label(columns_are, c, names) for c in table.columns] + [gettext("Total")]
    else:
        grid = [[cell((r,))] for r in (*table.rows, TOTAL)]
        column_labels = [gettext("Total")]
    row_labels = [label(rows_are, r, names) for r in table.rows] + [gettext("Total")]
    notes = [
        str(FOOTNOTES[r]) % {"n": threshold} if r is Reason.BELOW_THRESHOLD else str(FOOTNOTES[r])
        for r in FOOTNOTES
        if r in used
    ]
    units = str(spec.units) if spec else ""
    if isinstance(table, counting.AmountTable):
        units = f"{units} ({table.currency})"
        if table.other_currencies:
            notes.append(
                ngettext(
                    "%(n)s sentence in another currency than %(currency)s is not in this table.",
                    "%(n)s sentences in other currencies than %(currency)s are not in this table.",
                    table.other_currencies,
                )
                % {"n": table.other_currencies, "currency": table.currency}
            )
    if table.key == "victims_per_form":
        notes.append(
            gettext(
                "A person exploited in several forms counts once in each; the total counts each person once per form."
            )
        )
    return DisplayTable(
        table.key,
        str(spec.title) if spec else table.key,
        units,
        row_labels,
        column_labels,
        grid,
        notes,
        release,
    )


def _empty(table: counting.CountTable | counting.AmountTable, spec: Spec | None) -> DisplayTable:
    return DisplayTable(
        table.key,
        str(spec.title) if spec else table.key,
        str(spec.units) if spec else "",
        [],
        [],
        [],
        [gettext("Nothing to count yet.")],
        None,
    )


def chart_of_totals(table: DisplayTable, *, chart_id: str, by: str = "rows") -> str:
    """A bar chart of a table's row totals (``by="rows"``) or of its total row (``by="columns"``)."""
    if not table.rows:
        return ""
    if by == "rows":
        cells = [(label_, row[-1]) for label_, row in zip(table.row_labels[:-1], table.rows[:-1], strict=True)]
        description = gettext("Totals by row of the table below.")
    else:
        cells = list(zip(table.column_labels[:-1], table.rows[-1][:-1], strict=True))
        description = gettext("Totals by column of the table below.")
    bars = [charts.Bar(name, c.value, c.text) for name, c in cells]
    return charts.bar_chart(chart_id=chart_id, title=table.title, description=description, units=table.units, bars=bars)


def chart_of_row(table: DisplayTable, row: int, *, chart_id: str) -> str:
    """A bar chart of one row of a table (the columns of one year)."""
    if not table.rows or row >= len(table.rows) - 1:
        return ""
    cells = list(zip(table.column_labels[:-1], table.rows[row][:-1], strict=True))
    title = f"{table.title}: {table.row_labels[row]}"
    description = gettext("One row of the table below.")
    bars = [charts.Bar(name, c.value, c.text) for name, c in cells]
    return charts.bar_chart(chart_id=chart_id, title=title, description=description, units=table.units, bars=bars)


def funnel_chart(stage_totals: Sequence[tuple[str, DisplayCell]], *, chart_id: str, year: str) -> str:
    """The criminal-justice funnel: persons reaching each stage in the year."""
    bars = [charts.Bar(label("stage", stage), c.value, c.text) for stage, c in stage_totals]
    title = gettext("Criminal-justice funnel, %(year)s") % {"year": year}
    description = gettext(
        "Persons investigated, prosecuted, convicted at first instance and finally convicted in the year."
    )
    return charts.bar_chart(chart_id=chart_id, title=title, description=description, units=str(PERSONS), bars=bars)


HIT_STEP_NAMES = {  # short: the chart's labels must fit its left margin
    "queries": _("Queries"),
    "hits": _("Hits"),
    "confirmed": _("Hits confirmed"),
    "requests": _("Requests citing them"),
    "answered": _("… answered"),
}


def hit_funnel_chart(total: Mapping[str, int], *, way: str, chart_id: str, network: bool = False) -> str:
    """What followed from the hits, summed over the counterparts.

    ``way`` "sent": the queries this office (or, ``network``, every reporting office) sent;
    "received": the queries it was sent.
    """
    bars = [
        charts.Bar(str(name), total[f"{step}_{way}"], str(total[f"{step}_{way}"]))
        for step, name in HIT_STEP_NAMES.items()
    ]
    if network:
        title = gettext("From queries to answers in the network")
        description = gettext(
            "Queries the reporting offices sent, the hits among their answers, the hits the holders confirmed, "
            "the information requests sent on the hits and those answered."
        )
    elif way == "sent":
        title = gettext("From our queries to answers")
        description = gettext(
            "Queries this office sent, the hits among their answers, the hits the holders confirmed, "
            "the information requests sent on the hits and those answered."
        )
    else:
        title = gettext("From the queries we received to our answers")
        description = gettext(
            "Queries other offices sent this office, the hits among its answers, the hits it confirmed, "
            "the information requests received on the hits and those it answered."
        )
    units = str(_("queries and requests"))
    return charts.bar_chart(chart_id=chart_id, title=title, description=description, units=units, bars=bars)


def regional_table(
    table: regional.RegionalTable, tier: Tier, *, names: Mapping[str, str] | None = None
) -> DisplayTable:
    """A regional table: sums of the published national cells (network), or protected again for the public.

    A sum with hidden national parts is shown as "≥ n": it is at least that.
    """
    spec = BY_KEY.get(table.key)
    if tier is Tier.PUBLIC:
        values = tuple(tuple(table.cells[(r, c)].value for c in table.columns) for r in table.rows)
        return protect_table(counting.CountTable(table.key, table.rows, table.columns, values), tier, names=names)
    rows_are = spec.rows_are if spec else "codes"
    columns_are = spec.columns_are if spec else "codes"
    grid = []
    partial = False
    for r in (*table.rows, TOTAL):
        line = []
        for c in (*table.columns, TOTAL):
            cell = table.cells[(r, c)]
            partial = partial or cell.is_lower_bound
            text = f"≥ {cell.value}" if cell.is_lower_bound else str(cell.value)
            line.append(DisplayCell(text, cell.value, False, TOTAL in (r, c)))
        grid.append(line)
    notes = [
        gettext("Sums of the figures the offices reported; “≥ n”: some offices' figures were hidden, so at least n.")
    ]
    return DisplayTable(
        table.key,
        str(spec.title) if spec else table.key,
        str(spec.units) if spec else "",
        [label(rows_are, r, names) for r in table.rows] + [gettext("Total")],
        [label(columns_are, c, names) for c in table.columns] + [gettext("Total")],
        grid,
        notes if partial else [],
        None,
    )
