"""The route diagram (pure): stops and legs in event order, crossings marked, safe and repeatable markup."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from hypothesis import given, settings
from hypothesis import strategies as st

from vinculo.accounts.models import User
from vinculo.cases import route_diagram
from vinculo.cases.route_diagram import NOT_VERIFIED, TITLE, Crossing, Route, RouteEvent, draw

SVG = "{http://www.w3.org/2000/svg}"
NAMES = {"SV": "El Salvador", "GT": "Guatemala", "MX": "México", "US": "Estados Unidos", "HN": "Honduras"}
PEDRO_DE_ALVARADO = Crossing("GTM-SLV-01", "Pedro de Alvarado / La Hachadura", 13.86, -90.09, False, ("GT", "SV"))
TECUN_UMAN = Crossing("GTM-MEX-01", "Tecún Umán / Ciudad Hidalgo", 14.68, -92.14, True, ("GT", "MX"))


def event(country: str = "", place: str = "", crossing: Crossing | None = None, kind: str = "TRANSIT") -> RouteEvent:
    return RouteEvent(kind, kind.title(), country, NAMES.get(country, ""), place, crossing, date(2025, 3, 1), "month")


def a_route_north() -> Route:
    """Recruited in San Miguel, through Guatemala and Mexico, exploited in the United States."""
    return Route(
        (
            event("SV", "San Miguel", kind="RECRUITMENT"),
            event("SV", "San Salvador", kind="DEPARTURE"),
            event("GT", crossing=PEDRO_DE_ALVARADO, kind="BORDER_CROSSING"),
            event("GT", "Quetzaltenango"),
            event("MX", crossing=TECUN_UMAN, kind="BORDER_CROSSING"),
            event("US", "Houston", kind="EXPLOITATION"),
        ),
        NAMES,
    )


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own markup, parsed to check that it is well formed


def groups(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == css_class]


def texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in element.iter(f"{SVG}text")]


def test_legs_join_the_stops_in_event_order_and_consecutive_events_in_one_place_merge() -> None:
    diagram = draw(a_route_north())

    keys = [stop.key for stop in diagram.stops]
    assert keys == ["country:SV", "crossing:GTM-SLV-01", "country:GT", "crossing:GTM-MEX-01", "country:US"]
    assert [e.type_code for e in diagram.stops[0].events] == ["RECRUITMENT", "DEPARTURE"]
    assert [(leg.number, leg.origin.key, leg.destination.key) for leg in diagram.legs] == [
        (1, "country:SV", "crossing:GTM-SLV-01"),
        (2, "crossing:GTM-SLV-01", "country:GT"),
        (3, "country:GT", "crossing:GTM-MEX-01"),
        (4, "crossing:GTM-MEX-01", "country:US"),
    ]
    root = parse(diagram.svg)
    numbers = [texts(badge) for badge in groups(root, "route-leg-numbers")]
    assert numbers == [["1", "2", "3", "4"]]
    arrows = [path for path in root.iter(f"{SVG}path") if path.get("marker-end") and path.get("fill") == "none"]
    assert len(arrows) == 4
    assert (
        diagram.description.index("El Salvador (San Miguel, San Salvador)")
        < diagram.description.index("Guatemala (Quetzaltenango)")
        < diagram.description.index("Estados Unidos (Houston)")
    )


def test_each_arrow_starts_near_its_origin_and_ends_near_its_destination() -> None:
    diagram = draw(a_route_north())
    root = parse(diagram.svg)
    arrows = [path for path in root.iter(f"{SVG}path") if path.get("fill") == "none"]
    for leg, arrow in zip(diagram.legs, arrows, strict=True):
        numbers = [float(n) for n in re.findall(r"-?\d+\.\d", arrow.get("d", ""))]
        (sx, sy), (ex, ey) = numbers[:2], numbers[-2:]
        assert abs(sx - leg.origin.x) < 25
        assert abs(sy - leg.origin.y) < 25
        assert abs(ex - leg.destination.x) < 25
        assert abs(ey - leg.destination.y) < 25


def test_crossings_are_marked_and_unverified_coordinates_are_said() -> None:
    diagram = draw(a_route_north())
    root = parse(diagram.svg)

    marks = [g.find(f"{SVG}polygon") for g in groups(root, "route-crossing")]
    tops = [mark.get("points", "").split()[0] for mark in marks if mark is not None]
    crossings = [stop for stop in diagram.stops if stop.kind == "crossing"]
    assert tops == [f"{stop.x:.1f},{stop.y - route_diagram.CROSSING_SIZE:.1f}" for stop in crossings], "on each"
    unverified, verified = marks
    assert unverified is not None
    assert unverified.get("stroke-dasharray"), "an unverified crossing is dashed"
    assert verified is not None
    assert verified.get("fill") == route_diagram.VERMILLION
    # A name may be set on two lines where that fits better ("A /" then "B").
    labels = {
        " ".join(line for line in texts(g) if line != NOT_VERIFIED): NOT_VERIFIED in texts(g)
        for g in groups(root, "route-crossing-label")
    }
    assert labels == {"Pedro de Alvarado / La Hachadura": True, "Tecún Umán / Ciudad Hidalgo": False}


def test_a_crossing_is_drawn_at_its_coordinates_or_else_between_its_countries() -> None:
    unknown_point = Crossing("PAN-COL-02", "Lajas Blancas", None, None, False, ("CR", "PA"))
    diagram = draw(Route((event("CR"), event("PA", crossing=unknown_point), event("PA"))))

    crossing = diagram.stops[1]
    costa_rica, panama = route_diagram.project(10.0, -84.0), route_diagram.project(9.0, -80.0)
    assert (crossing.x, crossing.y) == ((costa_rica[0] + panama[0]) / 2, (costa_rica[1] + panama[1]) / 2)
    placed = draw(Route((event("GT", crossing=TECUN_UMAN),))).stops[0]
    assert (placed.x, placed.y) == route_diagram.project(14.68, -92.14)


def test_countries_without_a_place_on_the_map_go_to_a_box_and_unlocated_events_are_counted() -> None:
    route = Route(
        (
            event("SV"),
            RouteEvent("TRANSIT", "Transit", "CO", "Colombia", "Necoclí"),
            RouteEvent("TRANSIT", "Transit", "ZZ", "", ""),
            event(),  # neither a country nor a crossing
        ),
        NAMES,
    )
    diagram = draw(route)

    assert [stop.key for stop in diagram.stops] == ["country:SV", "country:CO", "country:ZZ"]
    assert diagram.not_drawn == 1
    assert "not drawn: 1" in diagram.description
    root = parse(diagram.svg)
    (box,) = groups(root, "route-other-countries")
    assert "Other countries" in texts(box)
    labels = {texts(g)[0]: g for g in groups(root, "route-country-label")}
    assert texts(labels["Colombia"]) == ["Colombia", "Necoclí"]
    assert texts(labels["ZZ"]) == ["ZZ"], "a country without a name shows its code"
    for stop in diagram.stops[1:]:
        assert stop.x > route_diagram.SIDE_X - 10, "inside the box, beside the map"


def test_a_crossing_far_outside_the_frame_stays_on_its_edge() -> None:
    far = Crossing("USA-MEX-99", "Far away", 32.5, -117.0, False, ("MX", "US"))
    stop = draw(Route((event("GT"), event("MX", crossing=far)))).stops[1]
    assert 0 <= stop.x <= route_diagram.WIDTH
    assert 0 <= stop.y <= route_diagram.HEIGHT


def test_an_empty_route_says_that_no_route_is_recorded() -> None:
    for route in (Route(()), Route((event(), event()))):
        diagram = draw(route)
        assert diagram.is_empty
        assert diagram.svg == ""
        assert diagram.legs == ()
        assert diagram.message == route_diagram.NO_ROUTE
        assert "No route recorded" in diagram.message
    assert draw(Route((event(), event()))).not_drawn == 2


def test_one_place_is_drawn_without_legs() -> None:
    diagram = draw(Route((event("HN", "San Pedro Sula"),), NAMES))
    assert diagram.legs == ()
    assert diagram.description == "Only one place is recorded: Honduras (San Pedro Sula)."
    assert parse(diagram.svg).find(f"{SVG}title") is not None


def test_names_from_the_case_cannot_inject_markup() -> None:
    hostile = '<script>alert("x")</script> & <b onload="y">'
    crossing = Crossing("X-1", f"Paso {hostile}", 14.0, -89.5, False, ("GT", "SV"))
    route = Route(
        (event("SV", hostile), RouteEvent("TRANSIT", "Transit", "ZZ", hostile, hostile), event("GT", crossing=crossing))
    )
    diagram = draw(route)

    assert "<script" not in diagram.svg
    assert "<b " not in diagram.svg
    assert "&lt;script&gt;" in diagram.svg
    root = parse(diagram.svg)
    assert not list(root.iter(f"{SVG}script"))
    assert not list(root.iter("script"))
    assert all(not name.startswith("on") for element in root.iter() for name in element.attrib)
    assert hostile in "".join(root.itertext()), "the text is shown as text, not dropped"


def test_the_same_route_always_gives_the_same_markup() -> None:
    first = draw(a_route_north())
    again = draw(Route(a_route_north().events, dict(reversed(list(NAMES.items())))))
    assert first.svg == again.svg
    assert first.description == again.description


def test_the_drawing_is_translated_and_described_for_screen_readers() -> None:
    spanish = {
        route_diagram.TITLE: "Ruta entre países",
        route_diagram.NOT_VERIFIED: "coordenadas sin verificar",
        route_diagram.PASSES_THROUGH: "En orden: {stops}.",
    }
    diagram = draw(a_route_north(), translate=lambda text: spanish.get(text, text))
    root = parse(diagram.svg)

    assert root.get("role") == "img"
    title, description = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None
    assert description is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {description.get('id')}"
    assert title.text == diagram.title == "Ruta entre países"
    assert description.text == diagram.description
    assert description.text.startswith("En orden: El Salvador")
    assert "coordenadas sin verificar" in "".join(root.itertext())
    assert "coordinates not verified" not in "".join(root.itertext())
    assert not list(root.iter(f"{SVG}style")), "no inline CSS"
    assert all("style" not in element.attrib for element in root.iter()), "CSP forbids style attributes"


# Any text a person can type (no control characters, nor code points that are not characters).
PLACES = st.text(alphabet=st.characters(exclude_categories=["Cs", "Cc", "Cn"]), max_size=60)
COUNTRIES = st.sampled_from(["", "GT", "SV", "HN", "NI", "CR", "PA", "BZ", "DO", "MX", "US", "CO", "ES", "??"])
CROSSINGS = st.none() | st.builds(
    Crossing,
    code=st.sampled_from(["A", "B", "C"]),
    name=PLACES,
    latitude=st.none() | st.floats(-90, 90),
    longitude=st.none() | st.floats(-180, 180),
    coordinates_verified=st.booleans(),
    countries=st.lists(COUNTRIES, max_size=3).map(tuple),
)
EVENTS = st.builds(
    RouteEvent, type_code=st.just("TRANSIT"), type_label=PLACES, country=COUNTRIES, place=PLACES, crossing=CROSSINGS
)


@settings(deadline=None)  # drawing is fast, but a busy test machine is not
@given(st.lists(EVENTS, max_size=14))
def test_any_route_gives_well_formed_markup_inside_the_picture(events: list[RouteEvent]) -> None:
    diagram = draw(Route(tuple(events)))
    assert len(diagram.legs) == max(len(diagram.stops) - 1, 0)
    assert diagram.not_drawn + sum(len(stop.events) for stop in diagram.stops) == len(events)
    if diagram.is_empty:
        assert diagram.svg == ""
        return
    parse(diagram.svg)
    for stop in diagram.stops:
        assert 0 <= stop.x <= route_diagram.WIDTH
        assert 0 <= stop.y <= route_diagram.HEIGHT
    assert diagram.svg == draw(Route(tuple(events))).svg


@pytest.mark.django_db
def test_the_case_page_shows_the_diagram_of_its_route(client: Client, prosecutor: User, victim_care: User) -> None:
    from vinculo.cases.services import case_files, events
    from vinculo.cases.tests.factories import code, open_case
    from vinculo.reference.models import BorderCrossing, Country

    case = open_case(prosecutor)
    page_url = reverse("cases:case_detail", args=[case.pk])
    client.force_login(prosecutor)
    assert "<svg" not in client.get(page_url).content.decode()
    steps = [
        ("RECRUITMENT", Country.objects.get(iso2="SV"), "San Miguel <b>", None),
        ("BORDER_CROSSING", None, "", BorderCrossing.objects.get(code="GTM-SLV-01")),
        ("EXPLOITATION", Country.objects.get(iso2="GT"), "Quetzaltenango", None),
    ]
    for kind, country, place, crossing in steps:
        events.add_event(
            by=prosecutor, case=case, event_type=code("event_type", kind), occurred_on=None,
            occurred_on_precision="day", country=country, place=place, border_crossing=crossing,
        )  # fmt: skip

    page = client.get(page_url).content.decode()

    svg = page[page.index("<svg") : page.index("</svg>") + len("</svg>")]
    root = parse(svg)
    with translation.override("es"):  # the node's default language
        title, not_verified, legs_label = (gettext(text) for text in (TITLE, NOT_VERIFIED, "Legs of the route"))
    assert root.find(f"{SVG}title").text == title  # type: ignore[union-attr]
    assert not_verified in texts(groups(root, "route-crossing-label")[0])
    assert "San Miguel &lt;b&gt;" in svg
    legs = page[page.index(f'<ol aria-label="{legs_label}">') :]
    assert legs.index("Pedro de Alvarado") < legs.index("Guatemala (Quetzaltenango)") < legs.index("</ol>")
    # Victim care does not see the suspects' side of a case, and the route is part of it.
    case_files.assign(by=prosecutor, case=case, person=victim_care, role="victim_care")
    client.force_login(victim_care)
    assert "<svg" not in client.get(page_url).content.decode()
