"""Routes of the demo cases over the real border crossings (pure, no Django).

The crossings come from the reference table (``reference.BorderCrossing``) as plain
``Crossing`` records; two countries are neighbours when a crossing joins them. A route is a
list of countries, each step crossed at a crossing that joins the two.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

# Towns and departments where the steps of a route happen (real places, no people).
PLACES: dict[str, list[str]] = {
    "GT": [
        "Ciudad de Guatemala",
        "Huehuetenango",
        "San Marcos",
        "Tecún Umán, San Marcos",
        "Coatepeque, Quetzaltenango",
        "Quetzaltenango",
        "Escuintla",
        "Flores, Petén",
        "Puerto Barrios, Izabal",
        "Esquipulas, Chiquimula",
        "Jutiapa",
        "Cobán, Alta Verapaz",
        "Retalhuleu",
        "Mazatenango, Suchitepéquez",
    ],
    "SV": [
        "San Salvador",
        "Soyapango, San Salvador",
        "Santa Ana",
        "San Miguel",
        "La Unión",
        "Sonsonate",
        "Usulután",
        "Ahuachapán",
        "Chalatenango",
        "San Francisco Gotera, Morazán",
        "La Libertad",
    ],
    "HN": [
        "San Pedro Sula, Cortés",
        "Choloma, Cortés",
        "Tegucigalpa, Francisco Morazán",
        "La Ceiba, Atlántida",
        "Choluteca",
        "Ocotepeque",
        "Copán Ruinas, Copán",
        "Danlí, El Paraíso",
        "Santa Rosa de Copán",
        "Puerto Cortés, Cortés",
    ],
    "MX": [
        "Tapachula, Chiapas",
        "Ciudad Hidalgo, Chiapas",
        "Tenosique, Tabasco",
        "Chetumal, Quintana Roo",
        "Cancún, Quintana Roo",
        "Ciudad de México",
        "Monterrey, Nuevo León",
        "Reynosa, Tamaulipas",
    ],
    "NI": ["Managua", "Chinandega", "Somoto, Madriz", "Estelí", "León", "Rivas"],
    "BZ": ["Belize City", "Benque Viejo del Carmen, Cayo", "Orange Walk", "San Ignacio, Cayo"],
    "CR": ["San José", "Liberia, Guanacaste", "Upala, Alajuela", "Ciudad Neily, Puntarenas"],
    "PA": ["Ciudad de Panamá", "David, Chiriquí", "Metetí, Darién"],
    "CO": ["Necoclí, Antioquia", "Acandí, Chocó", "Turbo, Antioquia"],
}


@dataclass(frozen=True)
class Crossing:
    code: str
    countries: frozenset[str]  # ISO alpha-2
    kind: str  # BorderCrossing.Kind value


class Geography:
    """Who borders whom, and through which crossings."""

    def __init__(self, crossings: Iterable[Crossing]) -> None:
        self.crossings = sorted(crossings, key=lambda crossing: crossing.code)
        self.neighbours: dict[str, set[str]] = {}
        for crossing in self.crossings:
            for country in crossing.countries:
                self.neighbours.setdefault(country, set()).update(crossing.countries - {country})

    def between(self, left: str, right: str) -> list[Crossing]:
        return [c for c in self.crossings if left in c.countries and right in c.countries]

    def path(self, start: str, end: str, rng: random.Random) -> list[str]:
        """A shortest list of countries from ``start`` to ``end`` (ties broken at random); [start] if no way."""
        if start == end:
            return [start]
        previous: dict[str, str] = {start: start}
        queue = deque([start])
        while queue:
            country = queue.popleft()
            for neighbour in rng.sample(
                sorted(self.neighbours.get(country, ())), len(self.neighbours.get(country, ()))
            ):
                if neighbour not in previous:
                    previous[neighbour] = country
                    queue.append(neighbour)
        if end not in previous:
            return [start]
        route = [end]
        while route[-1] != start:
            route.append(previous[route[-1]])
        return route[::-1]

    def through(self, stops: list[str], rng: random.Random) -> list[str]:
        """A route visiting ``stops`` in order, each leg a shortest path."""
        route = [stops[0]]
        for stop in stops[1:]:
            route += self.path(route[-1], stop, rng)[1:]
        return route

    def crossing(self, left: str, right: str, rng: random.Random) -> Crossing | None:
        """A crossing between two neighbours: official ones mostly, known irregular points sometimes."""
        choices = self.between(left, right)
        if not choices:
            return None
        irregular = [c for c in choices if c.kind != "official_land"]
        if irregular and rng.random() < 0.25:
            return rng.choice(irregular)
        official = [c for c in choices if c.kind == "official_land"] or choices
        return rng.choice(official)


def place(rng: random.Random, country: str) -> str:
    return rng.choice(PLACES.get(country, [""]))


def transport_at(crossing: Crossing, rng: random.Random) -> list[str]:
    """How people usually cross there."""
    if crossing.kind == "official_sea":
        return ["BOAT"]
    if crossing.kind == "irregular_known_point":
        return ["FOOT"] if rng.random() < 0.8 else ["FOOT", "BOAT"]
    if crossing.code == "GTM-MEX-01" and rng.random() < 0.4:
        return ["BOAT"]  # the rafts on the Suchiate river
    return [rng.choices(["BUS", "FOOT", "CAR", "TRUCK_TRAILER"], weights=[45, 25, 17, 13])[0]]
