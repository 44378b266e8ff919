"""Synthetic people for demo networks: deterministic, built from common given names and surnames.

No real person is described: names are drawn at random from lists of frequent name parts.
"""

from __future__ import annotations

import random

GIVEN_FEMALE = [
    "María",
    "Ana",
    "Claudia",
    "Rosa",
    "Karla",
    "Gabriela",
    "Sofía",
    "Lucía",
    "Andrea",
    "Carmen",
    "Patricia",
    "Daniela",
]
GIVEN_MALE = [
    "José",
    "Juan",
    "Carlos",
    "Luis",
    "Jorge",
    "Miguel",
    "Mario",
    "Óscar",
    "Ricardo",
    "Fernando",
    "Edwin",
    "Raúl",
]
SURNAMES = [
    "Hernández",
    "López",
    "García",
    "Martínez",
    "Pérez",
    "Rodríguez",
    "González",
    "Ramírez",
    "Flores",
    "Cruz",
    "Reyes",
    "Morales",
    "Castillo",
    "Mejía",
    "Orellana",
    "Argueta",
    "Aguilar",
    "Chávez",
    "Méndez",
    "Vásquez",
]
ENGLISH_GIVEN = ["Sarah", "Michael", "Jennifer", "David", "Kimberly", "Anthony"]
ENGLISH_SURNAMES = ["Young", "Flowers", "Gentle", "Castillo", "Usher", "Martinez"]


def synthetic_name(rng: random.Random, *, country: str) -> str:
    """A plausible full name for the country (two surnames in Spanish-speaking ones)."""
    if country == "BZ":
        return f"{rng.choice(ENGLISH_GIVEN)} {rng.choice(ENGLISH_SURNAMES)}"
    given = rng.choice(GIVEN_FEMALE if rng.random() < 0.5 else GIVEN_MALE)
    first, second = rng.sample(SURNAMES, 2)
    return f"{given} {first} {second}"
