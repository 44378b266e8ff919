"""Synthetic people for demo networks: deterministic, built from common given names and surnames.

No real person is described: names are drawn at random from lists of frequent name parts,
with each country's own flavour (Maya surnames in Guatemala, for instance).
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
    "María José",
    "Ana Lucía",
    "Dulce María",
    "Guadalupe",
    "Rosario",
    "Dolores",
    "Mercedes",
    "Margarita",
    "Yesenia",
    "Heidy",
    "Jennifer",
    "Katherine",
    "Marleny",
    "Wendy",
    "Glenda",
    "Sandra",
    "Elena",
    "Fátima",
    "Brenda",
    "Jessica",
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
    "Juan Carlos",
    "José Luis",
    "Francisco",
    "Antonio",
    "Jesús",
    "Roberto",
    "Eduardo",
    "Manuel",
    "Wilmer",
    "Elmer",
    "Kevin",
    "Brayan",
    "Erick",
    "Nelson",
    "Marvin",
    "Santos",
    "Wilfredo",
    "Alfredo",
    "Ignacio",
    "Enrique",
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
    "Sánchez",
    "Díaz",
    "Torres",
    "Romero",
    "Ortiz",
    "Gutiérrez",
    "Ramos",
    "Mendoza",
    "Escobar",
    "Villatoro",
    "de León",
    "Castro",
    "Guzmán",
    "Salazar",
    "Recinos",
    "Lemus",
]
# Surnames more frequent in one country than in the others.
LOCAL_SURNAMES: dict[str, list[str]] = {
    "GT": ["Tzoc", "Xicará", "Cux", "Pop", "Caal", "Choc", "Coc", "Ixcoy", "Tum", "Chacón", "Juárez", "Barrios"],
    "SV": ["Alvarenga", "Quintanilla", "Rivas", "Portillo", "Amaya", "Henríquez", "Ayala", "Menjívar", "Chicas"],
    "HN": ["Zelaya", "Maradiaga", "Banegas", "Zúniga", "Bonilla", "Ordóñez", "Cálix", "Funes", "Matute", "Padilla"],
    "NI": ["Somarriba", "Ortega", "Rivera", "Blandón", "Úbeda", "Zeledón", "Arróliga"],
    "MX": ["Jiménez", "Vázquez", "Domínguez", "Ruiz", "Moreno", "Velázquez"],
}
ENGLISH_GIVEN = ["Sarah", "Michael", "Jennifer", "David", "Kimberly", "Anthony"]
ENGLISH_SURNAMES = ["Young", "Flowers", "Gentle", "Castillo", "Usher", "Martinez"]


def surnames_for(country: str) -> list[str]:
    """The surnames to draw from for someone of ``country``: common ones, local ones weighted up."""
    local = LOCAL_SURNAMES.get(country, [])
    return SURNAMES + local * 2


def synthetic_name(rng: random.Random, *, country: str) -> str:
    """A plausible full name for the country (two surnames in Spanish-speaking ones)."""
    if country == "BZ":
        return f"{rng.choice(ENGLISH_GIVEN)} {rng.choice(ENGLISH_SURNAMES)}"
    given = rng.choice(GIVEN_FEMALE if rng.random() < 0.5 else GIVEN_MALE)
    first, second = rng.sample(SURNAMES, 2)
    return f"{given} {first} {second}"
