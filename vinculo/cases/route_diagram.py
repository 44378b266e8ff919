"""The route of a case drawn as a schematic map across countries (inline SVG), with no Django imports.

The caller passes the events in route order as plain data, the countries' names in the reader's
language, and its ``gettext``, which translates the few words the drawing holds (they are marked
here with ``gettext_noop`` so that the catalogue extraction finds them). Every text that comes from
the case (place names, labels) is escaped before it enters the markup. The drawing uses SVG
presentation attributes only: the page's Content Security Policy forbids inline styles, and the
colours stay right in print and for people who do not tell red from green (Okabe-Ito palette,
with shapes and dash patterns carrying the same meaning).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from html import escape
from typing import Literal

Box = tuple[float, float, float, float]


def gettext_noop(text: str) -> str:
    """Marks a string for the catalogue; the caller's ``translate`` translates it when drawing."""
    return text


TITLE = gettext_noop("Route across countries")
PASSES_THROUGH = gettext_noop("In order: {stops}.")
ONLY_ONE_PLACE = gettext_noop("Only one place is recorded: {stop}.")
NOT_DRAWN = gettext_noop("Events without a country or border crossing, not drawn: {count}.")
NO_ROUTE = gettext_noop("No route recorded yet: no event has a country or a border crossing.")
CROSSING = gettext_noop("border crossing {name}")
NOT_VERIFIED = gettext_noop("coordinates not verified")
OTHER_COUNTRIES = gettext_noop("Other countries")
MORE_COUNTRIES = gettext_noop("and {count} more")
SCHEMATIC = gettext_noop("Schematic map: positions are approximate and distances are not to scale.")
LEGEND = gettext_noop("Legend")
LEGEND_ON_ROUTE = gettext_noop("Country on the route")
LEGEND_OFF_ROUTE = gettext_noop("Country not on the route")
LEGEND_LEG = gettext_noop("Leg, numbered in order")
LEGEND_CROSSING = gettext_noop("Border crossing")

# Approximate geographic centres (latitude, longitude) of the member countries: public geographic
# facts, as listed for instance in the CIA World Factbook ("geographic coordinates"), in decimal
# degrees. Mexico and the United States are not placed at their centres, which lie far outside the
# frame, but on its north-western edge, where routes leave the region for them.
POSITIONS: dict[str, tuple[float, float]] = {
    "GT": (15.5, -90.25),
    "SV": (13.83, -88.92),
    "HN": (15.0, -86.5),
    "NI": (13.0, -85.0),
    "CR": (10.0, -84.0),
    "PA": (9.0, -80.0),
    "BZ": (17.25, -88.75),
    "DO": (19.0, -70.67),
    "MX": (17.25, -94.0),
    "US": (20.0, -93.0),
}
MEMBERS = ("GT", "SV", "HN", "NI", "CR", "PA", "BZ", "DO")
Side = Literal["n", "s", "e", "w"]
# Where each country's name goes first (it moves when something is in the way).
LABEL_SIDE: dict[str, Side] = {"GT": "n", "SV": "s", "HN": "n", "NI": "e", "CR": "w", "PA": "s", "BZ": "e", "DO": "w"}

# The frame: equirectangular, with a scale that changes from band to band of longitude and of
# latitude, so that every point keeps its place west to east and north to south. The northern
# triangle (Guatemala, El Salvador, Honduras), where routes bend and cross most, is drawn larger;
# the sea between Panama and Hispaniola, and the edges toward Mexico and the United States, smaller.
# Each band: (from, to, scale), west to east and north to south.
LONGITUDE_BANDS = (
    (-96.5, -92.75, 0.6),
    (-92.75, -85.75, 1.75),
    (-85.75, -76.5, 0.95),
    (-76.5, -74.5, 0.1),
    (-74.5, -68.0, 0.55),
)
LATITUDE_BANDS = ((20.75, 17.75, 0.7), (17.75, 12.5, 1.7), (12.5, 7.0, 1.0))
UNIT = 34.0  # pixels per degree of latitude at scale 1
LONGITUDE_FACTOR = math.cos(math.radians(15))  # a degree of longitude at 15° N, in degrees of latitude


def _stretch(value: float, bands: Sequence[tuple[float, float, float]]) -> float:
    """How far ``value`` lies from the start of the first band, in scaled degrees."""
    return sum(scale * abs(min(max(value, min(a, b)), max(a, b)) - a) for a, b, scale in bands)


MARGIN, TOP = 16.0, 52.0
MAP_WIDTH = _stretch(LONGITUDE_BANDS[-1][1], LONGITUDE_BANDS) * UNIT * LONGITUDE_FACTOR
MAP_HEIGHT = _stretch(LATITUDE_BANDS[-1][1], LATITUDE_BANDS) * UNIT
SIDE_X, SIDE_WIDTH = MARGIN + MAP_WIDTH + 24, 236.0
WIDTH, HEIGHT = SIDE_X + SIDE_WIDTH + MARGIN, TOP + MAP_HEIGHT + 34
COUNTRY_RADIUS, CROSSING_SIZE, BADGE_RADIUS = 15.0, 8.0, 10.0
BOX_ROWS, BOX_ROW_HEIGHT = 6, 44.0
LINE_HEIGHT = 14.0

# Okabe-Ito colours, plus neutral inks that keep 4.5:1 contrast on white.
INK, INK_SOFT, LINE, PAPER = "#1b2631", "#4a5663", "#8795a1", "#ffffff"
BLUE, SKY_WASH, VERMILLION = "#0072b2", "#d6ebf7", "#d55e00"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
ITALIC: dict[str, object] = {"font_style": "italic"}
HALO = {"stroke": PAPER, "stroke_width": "3", "paint_order": "stroke"}  # keeps text readable over lines


@dataclass(frozen=True)
class Crossing:
    """A border crossing as the reference list has it."""

    code: str
    name: str
    latitude: float | None = None
    longitude: float | None = None
    coordinates_verified: bool = False
    countries: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteEvent:
    """One event of the case: what happened, where (country ISO2, place, crossing) and when."""

    type_code: str
    type_label: str
    country: str = ""
    country_name: str = ""
    place: str = ""
    crossing: Crossing | None = None
    occurred_on: date | None = None
    precision: str = "day"


@dataclass(frozen=True)
class Route:
    """The events in route order and the names of countries in the reader's language (by ISO2)."""

    events: tuple[RouteEvent, ...]
    country_names: Mapping[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Stop:
    """A place the route reaches: a country, or a border crossing; consecutive events there make one stop."""

    key: str
    kind: Literal["country", "crossing"]
    events: tuple[RouteEvent, ...]
    x: float
    y: float
    description: str = ""


@dataclass(frozen=True)
class Leg:
    number: int
    origin: Stop
    destination: Stop


@dataclass(frozen=True)
class RouteDiagram:
    """What the page shows: the SVG markup (empty when there is nothing to draw) and its text alternative."""

    svg: str
    title: str
    description: str
    message: str
    stops: tuple[Stop, ...]
    legs: tuple[Leg, ...]
    not_drawn: int

    @property
    def is_empty(self) -> bool:
        return not self.stops


def project(latitude: float, longitude: float) -> tuple[float, float]:
    """A point of the frame in drawing units; points outside the frame are kept on its edge."""
    x = MARGIN + _stretch(longitude, LONGITUDE_BANDS) * UNIT * LONGITUDE_FACTOR
    return x, TOP + _stretch(latitude, LATITUDE_BANDS) * UNIT


# --- Laying out ------------------------------------------------------------------------------


class _Layout:
    """Where things go: countries at their (schematic) positions, others in a box, crossings on the map."""

    def __init__(self, events: Sequence[RouteEvent], names: Mapping[str, str]) -> None:
        self.names = dict(names)
        for event in events:
            if event.country and event.country_name:
                self.names.setdefault(event.country, event.country_name)
        others = [e.country for e in events if e.country and e.country not in POSITIONS and not e.crossing]
        self.others = list(dict.fromkeys(others))
        rows = min(BOX_ROWS, len(self.others))
        self.box_height = rows * BOX_ROW_HEIGHT + 30 + (16 if len(self.others) > BOX_ROWS else 0)
        self.box_top = TOP + MAP_HEIGHT - self.box_height

    def name(self, iso2: str) -> str:
        return self.names.get(iso2) or iso2

    def country_point(self, iso2: str) -> tuple[float, float] | None:
        if iso2 in POSITIONS:
            return project(*POSITIONS[iso2])
        if iso2 in self.others[:BOX_ROWS]:
            return SIDE_X + 14, self.box_top + 48 + self.others.index(iso2) * BOX_ROW_HEIGHT
        return None

    def crossing_point(self, crossing: Crossing, fallback_country: str) -> tuple[float, float] | None:
        if crossing.latitude is not None and crossing.longitude is not None:
            return project(crossing.latitude, crossing.longitude)
        # No coordinates: halfway between the countries it joins, as far as they are drawn.
        points = [p for p in (self.country_point(c) for c in crossing.countries) if p is not None]
        if points:
            return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)
        return self.country_point(fallback_country)

    def stops(self, events: Sequence[RouteEvent], translate: Callable[[str], str]) -> list[Stop]:
        stops: list[Stop] = []
        for event in events:
            if event.crossing is not None:
                key, kind = f"crossing:{event.crossing.code}", "crossing"
                point = self.crossing_point(event.crossing, event.country)
            elif event.country:
                key, kind = f"country:{event.country}", "country"
                point = self.country_point(event.country)
            else:
                continue
            if point is None:
                continue
            if stops and stops[-1].key == key:
                stops[-1] = replace(stops[-1], events=(*stops[-1].events, event))
            else:
                stops.append(Stop(key, kind, (event,), *point))  # type: ignore[arg-type]
        return [replace(stop, description=self.describe(stop, translate)) for stop in stops]

    def describe(self, stop: Stop, translate: Callable[[str], str]) -> str:
        crossing = stop.events[0].crossing
        if crossing is not None:
            text = translate(CROSSING).format(name=crossing.name)
            return text if crossing.coordinates_verified else f"{text} ({translate(NOT_VERIFIED)})"
        places = _places(stop.events)
        name = self.name(stop.events[0].country)
        return f"{name} ({', '.join(places)})" if places else name


def _places(events: Iterable[RouteEvent]) -> list[str]:
    return list(dict.fromkeys(" ".join(e.place.split()) for e in events if e.place.strip()))


def _description(stops: Sequence[Stop], not_drawn: int, translate: Callable[[str], str]) -> str:
    if len(stops) == 1:
        text = translate(ONLY_ONE_PLACE).format(stop=stops[0].description)
    else:
        text = translate(PASSES_THROUGH).format(stops=" → ".join(stop.description for stop in stops))
    if not_drawn:
        text += " " + translate(NOT_DRAWN).format(count=not_drawn)
    return text


# --- Drawing ---------------------------------------------------------------------------------


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _number(value: float) -> str:
    # Fixed precision: the same route always gives the same bytes.
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _element(tag: str, content: str = "", /, **values: object) -> str:
    """``class_`` → ``class``, ``stroke_width`` → ``stroke-width``; every value escaped."""
    attributes = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{escape(_number(v) if isinstance(v, float) else str(v))}"'
        for name, v in values.items()
    )
    return f"<{tag}{attributes}>{content}</{tag}>" if content else f"<{tag}{attributes}/>"


def _text(x: float, y: float, words: str, *, size: float = 12, anchor: str = "start", **values: object) -> str:
    values.setdefault("fill", INK)
    return _element("text", escape(words), x=x, y=y, font_size=_number(size), text_anchor=anchor, **values)


def _diamond(x: float, y: float, *, verified: bool, size: float = CROSSING_SIZE) -> str:
    points = " ".join(f"{_number(px)},{_number(py)}" for px, py in ((x, y - size), (x + size, y), (x, y + size)))
    points += f" {_number(x - size)},{_number(y)}"
    if verified:
        return _element("polygon", points=points, fill=VERMILLION, stroke=INK, stroke_width="1.5")
    return _element("polygon", points=points, fill=PAPER, stroke=VERMILLION, stroke_width="2.5", stroke_dasharray="3 2")


def _text_box(x: float, y: float, words: str, size: float, anchor: str) -> Box:
    width = len(words) * size * 0.6  # a little wider than the average glyph of the usual sans-serif fonts
    left = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
    return left, y - size * 0.8, left + width, y + size * 0.25


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


Line = tuple[str, float, dict[str, object]]  # words, font size, further attributes


class _Drawing:
    """The picture in layers, and the room already taken, so that labels go where they are readable."""

    def __init__(self, translate: Callable[[str], str]) -> None:
        self.translate = translate
        self.shapes: list[str] = []
        self.arrows: list[str] = []
        self.labels: list[str] = []
        self.badges: list[str] = []
        self.taken: list[Box] = []

    def take(self, x: float, y: float, radius: float) -> None:
        self.taken.append((x - radius, y - radius, x + radius, y + radius))

    def label(
        self,
        x: float,
        y: float,
        radius: float,
        variants: Sequence[Sequence[Line]],
        sides: Sequence[Side],
        *,
        right: float,
        css_class: str,
    ) -> None:
        """Puts a label beside a mark where it hides the least and stays in the frame.

        Sides are tried in the order given, for each way of setting the label (``variants``, in order
        of preference); the first place with nothing in the way wins, else the one hiding the least.
        """

        def placed(lines: Sequence[Line], side: Side) -> tuple[float, float, str]:
            return {
                "s": (x, y + radius + 14, "middle"),
                "n": (x, y - radius - 7 - LINE_HEIGHT * (len(lines) - 1), "middle"),
                "e": (x + radius + 6, y + 4, "start"),
                "w": (x - radius - 6, y + 4, "end"),
            }[side]

        def boxes(lines: Sequence[Line], side: Side) -> list[Box]:
            lx, ly, anchor = placed(lines, side)
            return [_text_box(lx, ly + LINE_HEIGHT * i, w, size, anchor) for i, (w, size, _) in enumerate(lines)]

        def clash(lines: Sequence[Line], side: Side) -> float:
            found = boxes(lines, side)
            outside = sum(1e6 for b in found if b[0] < 2 or b[2] > right or b[1] < TOP - 12 or b[3] > HEIGHT - 26)
            return outside + sum(_overlap(b, t) for b in found for t in self.taken)

        choices = [(lines, side) for lines in variants for side in sides]
        costs: list[tuple[float, int]] = []
        for index, (lines, side) in enumerate(choices):
            costs.append((clash(lines, side) + 12 * index, index))  # a little preference for the first choices
            if costs[-1][0] == 12 * index:
                break  # nothing in the way
        lines, side = choices[min(costs)[1]]
        self.taken.extend(boxes(lines, side))
        lx, ly, anchor = placed(lines, side)
        texts = [
            _text(lx, ly + LINE_HEIGHT * i, words, size=size, anchor=anchor, **{**HALO, **values})
            for i, (words, size, values) in enumerate(lines)
        ]
        self.labels.append(_element("g", "".join(texts), class_=css_class))

    def country(self, iso2: str, point: tuple[float, float], *, on_route: bool) -> None:
        x, y = point
        self.take(x, y, COUNTRY_RADIUS)
        self.shapes.append(
            _element(
                "circle",
                cx=x,
                cy=y,
                r=COUNTRY_RADIUS,
                fill=SKY_WASH if on_route else PAPER,
                stroke=BLUE if on_route else LINE,
                stroke_width="2.5" if on_route else "1.5",
            )
            + _text(x, y + 4, iso2, size=11, anchor="middle", font_weight="700", fill=INK if on_route else INK_SOFT)
        )

    def country_label(
        self,
        iso2: str,
        point: tuple[float, float],
        name: str,
        places: Sequence[str],
        *,
        on_route: bool,
        in_box: bool = False,
    ) -> None:
        lines: list[Line] = [(name, 13.0, {"font_weight": "700"} if on_route else {"fill": INK_SOFT})]
        if places:
            lines.append((_short(", ".join(places), 34), 11.0, ITALIC))
        first = LABEL_SIDE.get(iso2, "s")
        sides: list[Side] = ["e"] if in_box else list(dict.fromkeys([first, "s", "n", "e", "w"]))
        right = WIDTH - 4 if in_box else SIDE_X - 8
        self.label(*point, COUNTRY_RADIUS, [lines], sides, right=right, css_class="route-country-label")

    def crossing(self, stop: Stop) -> None:
        crossing = stop.events[0].crossing
        if crossing is not None:
            self.take(stop.x, stop.y, CROSSING_SIZE)
            self.shapes.append(
                _element("g", _diamond(stop.x, stop.y, verified=crossing.coordinates_verified), class_="route-crossing")
            )

    def crossing_label(self, stop: Stop) -> None:
        crossing = stop.events[0].crossing
        if crossing is None:
            return
        name = _short(crossing.name, 40)
        note: list[Line] = [] if crossing.coordinates_verified else [(self.translate(NOT_VERIFIED), 10.5, ITALIC)]
        # Names of crossings often join two towns ("A / B"): on two lines they fit in more places.
        first, slash, second = name.partition(" / ")
        variants = [[(name, 11.0, {}), *note]]
        if slash:
            variants.append([(f"{first} /", 11.0, {}), (second, 11.0, {}), *note])
        sides: list[Side] = ["e", "w", "s", "n"]
        self.label(stop.x, stop.y, CROSSING_SIZE, variants, sides, right=SIDE_X - 8, css_class="route-crossing-label")

    def legs(self, legs: Sequence[Leg]) -> None:
        seen: dict[tuple[str, str], int] = {}
        for leg in legs:
            pair = (leg.origin.key, leg.destination.key)
            seen[pair] = seen.get(pair, 0) + 1
            path, samples, (bx, by) = _curve(leg, seen[pair] - 1)
            if path:
                self.arrows.append(
                    _element("path", d=path, fill="none", stroke=BLUE, stroke_width="3", marker_end=ARROW_REFERENCE)
                )
            for sx, sy in samples:
                self.take(sx, sy, 4)
            self.take(bx, by, BADGE_RADIUS)
            self.badges.append(
                _element("circle", cx=bx, cy=by, r=BADGE_RADIUS, fill=PAPER, stroke=BLUE, stroke_width="2")
                + _text(bx, by + 4, str(leg.number), size=11.5, anchor="middle", font_weight="700")
            )

    def legend(self) -> str:
        x, y, t = SIDE_X, TOP, self.translate
        arrow = f"M{_number(x)} {_number(y + 78)} L{_number(x + 20)} {_number(y + 78)}"
        rows = [
            _text(x, y + 4, t(LEGEND), size=13, font_weight="700"),
            _element("circle", cx=x + 12, cy=y + 26, r=9.0, fill=SKY_WASH, stroke=BLUE, stroke_width="2.5"),
            _text(x + 30, y + 30, t(LEGEND_ON_ROUTE)),
            _element("circle", cx=x + 12, cy=y + 52, r=9.0, fill=PAPER, stroke=LINE, stroke_width="1.5"),
            _text(x + 30, y + 56, t(LEGEND_OFF_ROUTE)),
            _element("path", d=arrow, stroke=BLUE, stroke_width="3", marker_end=ARROW_REFERENCE),
            _text(x + 30, y + 82, t(LEGEND_LEG)),
            _diamond(x + 12, y + 104, verified=True, size=7),
            _text(x + 30, y + 108, t(LEGEND_CROSSING)),
            _diamond(x + 12, y + 130, verified=False, size=7),
            _text(x + 30, y + 128, t(LEGEND_CROSSING)),
            _text(x + 30, y + 142, t(NOT_VERIFIED), size=11, font_style="italic"),
        ]
        return _element("g", "".join(rows), class_="route-legend")

    def box(self, layout: _Layout) -> str:
        """The frame of the box for countries the map does not place."""
        if not layout.others:
            return ""
        top, height = layout.box_top, layout.box_height
        parts = [
            _element("rect", x=SIDE_X - 8, y=top, width=SIDE_WIDTH, height=height, rx="6", fill=PAPER, stroke=LINE),
            _text(SIDE_X + 4, top + 18, self.translate(OTHER_COUNTRIES), size=12.5, font_weight="700"),
        ]
        if len(layout.others) > BOX_ROWS:
            more = self.translate(MORE_COUNTRIES).format(count=len(layout.others) - BOX_ROWS)
            parts.append(_text(SIDE_X + 4, top + height - 8, more, size=11))
        return _element("g", "".join(parts), class_="route-other-countries")


def _curve(leg: Leg, repeat: int) -> tuple[str, list[tuple[float, float]], tuple[float, float]]:
    """A gently bent arrow (to the right of its direction, so that A→B and B→A stay apart).

    Returns the path, points along it (for labels to avoid) and where the leg's number goes.
    """
    x0, y0, x2, y2 = leg.origin.x, leg.origin.y, leg.destination.x, leg.destination.y
    dx, dy = x2 - x0, y2 - y0
    length = math.hypot(dx, dy)
    if length < 1:
        return "", [], (x0, y0 - COUNTRY_RADIUS - BADGE_RADIUS - 2)
    bend = max(24.0, min(0.14 * length, 36.0)) + 26 * repeat
    nx, ny = -dy / length, dx / length  # the normal to the right of the direction
    cx, cy = (x0 + x2) / 2 + nx * bend, (y0 + y2) / 2 + ny * bend

    def along(t: float) -> tuple[float, float]:
        return (
            (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x2,
            (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y2,
        )

    def trimmed(x: float, y: float, by: float) -> tuple[float, float]:
        size = math.hypot(cx - x, cy - y) or 1.0
        return x + (cx - x) / size * by, y + (cy - y) / size * by

    (sx, sy), (ex, ey) = trimmed(x0, y0, _radius(leg.origin) + 3), trimmed(x2, y2, _radius(leg.destination) + 4)
    path = f"M{_number(sx)} {_number(sy)} Q{_number(cx)} {_number(cy)} {_number(ex)} {_number(ey)}"
    # On a short leg the number would hide the arrow: it moves out to the side the arrow bends to.
    aside = 14.0 if length < 90 else 0.0
    # Numbers of legs repeated between the same places are staggered along their arrows.
    mx, my = along((0.5, 0.33, 0.67, 0.42, 0.58)[repeat % 5])
    samples = [along(step / 10) for step in range(1, 10)]
    return path, samples, (mx + nx * aside, my + ny * aside)


def _radius(stop: Stop) -> float:
    return COUNTRY_RADIUS if stop.kind == "country" else CROSSING_SIZE + 1


ARROW_REFERENCE = "url(#route-diagram-arrow)"
ARROW = _element(
    "marker",
    _element("path", d="M0 0 L10 5 L0 10 Z", fill=BLUE),
    id="route-diagram-arrow",
    viewBox="0 0 10 10",
    refX="8",
    refY="5",
    markerWidth="4.5",
    markerHeight="4.5",
    orient="auto-start-reverse",
)


def draw(route: Route, *, translate: Callable[[str], str] = gettext_noop) -> RouteDiagram:
    """Lay out and draw the route; the same route and language always give the same markup."""
    events = list(route.events)
    layout = _Layout(events, route.country_names)
    title = translate(TITLE)
    stops = layout.stops(events, translate)
    not_drawn = len(events) - sum(len(stop.events) for stop in stops)
    if not stops:
        return RouteDiagram("", title, "", translate(NO_ROUTE), (), (), not_drawn)
    legs = tuple(Leg(number, a, b) for number, (a, b) in enumerate(itertools.pairwise(stops), 1))
    on_route = {event.country for event in events if event.country}
    places: dict[str, list[str]] = {}
    for stop in stops:
        if stop.kind == "country":
            places.setdefault(stop.events[0].country, []).extend(_places(stop.events))
    on_map = [*MEMBERS, *(iso2 for iso2 in ("MX", "US") if iso2 in on_route)]
    in_box = layout.others[:BOX_ROWS]
    crossings = list({stop.key: stop for stop in stops if stop.kind == "crossing"}.values())

    drawing = _Drawing(translate)
    for iso2 in [*on_map, *in_box]:
        drawing.country(iso2, layout.country_point(iso2) or (0.0, 0.0), on_route=iso2 in on_route)
    for stop in crossings:
        drawing.crossing(stop)
    drawing.legs(legs)
    # The labels of what the route touches come first, so that they get the best places.
    for touched in (True, False):
        for iso2 in (iso2 for iso2 in [*on_map, *in_box] if (iso2 in on_route) == touched):
            point, name = layout.country_point(iso2) or (0.0, 0.0), layout.name(iso2)
            found = list(dict.fromkeys(places.get(iso2, [])))
            drawing.country_label(iso2, point, name, found, on_route=touched, in_box=iso2 in in_box)
        if touched:
            for stop in crossings:
                drawing.crossing_label(stop)
    description = _description(stops, not_drawn, translate)
    body = [
        _element("title", escape(title), id="route-diagram-title"),
        _element("desc", escape(description), id="route-diagram-desc"),
        _element("defs", ARROW),
        _element("rect", x="0", y="0", width=WIDTH, height=HEIGHT, fill=PAPER),
        _text(MARGIN, 30, title, size=17, font_weight="700"),
        drawing.box(layout),
        _element("g", "".join(drawing.shapes), class_="route-places"),
        _element("g", "".join(drawing.arrows), class_="route-legs"),
        _element("g", "".join(drawing.labels), class_="route-labels"),
        _element("g", "".join(drawing.badges), class_="route-leg-numbers"),
        drawing.legend(),
        _text(MARGIN, HEIGHT - 12, translate(SCHEMATIC), size=11, fill=INK_SOFT),
    ]
    svg = _element(
        "svg",
        "".join(body),
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {_number(WIDTH)} {_number(HEIGHT)}",
        role="img",
        aria_labelledby="route-diagram-title route-diagram-desc",
        font_family=FONT,
    )
    return RouteDiagram(svg, title, description, "", tuple(stops), legs, not_drawn)
