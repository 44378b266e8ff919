"""Phones, plates, e-mail addresses and handles of the synthetic population, in the layouts offices write them."""

from __future__ import annotations

import random

from vinculo.linkage.synthetic.documents import _Numbers

# --------------------------------------------------------------------------------------------
# Phones, plates, e-mail addresses, handles
# --------------------------------------------------------------------------------------------

CALLING_CODES = {"GT": "502", "SV": "503", "HN": "504", "NI": "505", "CR": "506", "PA": "507", "BZ": "501", "DO": "1"}
DO_AREA_CODES = ("809", "829", "849")


def phone_number(numbers: _Numbers, *, country: str) -> str:
    """A national number no subscriber holds: it starts with 1 (after the area code in the Dominican Republic)."""
    if country == "DO":
        value = numbers.next("DO-phone", 3 * 10**6)
        area, rest = divmod(value, 10**6)
        return f"{DO_AREA_CODES[area]}1{rest:06d}"
    if country == "BZ":
        return f"1{numbers.next('BZ-phone', 10**6):06d}"
    return f"1{numbers.next(f'{country}-phone', 10**7):07d}"


def phone_layouts(country: str, national: str, *, domestic: bool) -> tuple[str, ...]:
    """How a phone is written: domestic layouts for an office of the same country, else international ones."""
    n, cc = national, CALLING_CODES[country]
    local: tuple[str, ...]
    world: tuple[str, ...]
    if country == "DO":
        local = (f"{n[:3]}-{n[3:6]}-{n[6:]}", f"({n[:3]}) {n[3:6]}-{n[6:]}", n, f"{n[:3]} {n[3:6]} {n[6:]}")
        world = (
            f"+1 {n[:3]}-{n[3:6]}-{n[6:]}",
            f"+1{n}",
            f"1-{n[:3]}-{n[3:6]}-{n[6:]}",
            f"+1 ({n[:3]}) {n[3:6]}-{n[6:]}",
        )
    else:
        cut = 3 if len(n) == 7 else 4
        local = (f"{n[:cut]}-{n[cut:]}", n, f"{n[:cut]} {n[cut:]}")
        world = (
            f"+{cc} {n[:cut]}-{n[cut:]}",
            f"+{cc}{n}",
            f"+{cc} {n[:cut]} {n[cut:]}",
            f"({cc}) {n[:cut]}-{n[cut:]}",
            f"00{cc} {n}",
            f"{cc}-{n[:cut]}-{n[cut:]}",
        )
    return local + world if domestic else world + local


def plate_number(rng: random.Random, *, country: str) -> str:
    """A private-car plate in the country's layout (approximate; plates carry no check digit)."""
    letters = "BCDFGHJKLMNPRSTVWXYZ"

    def pick(k: int) -> str:
        return "".join(rng.choice(letters) for _ in range(k))

    def digits(k: int) -> str:
        return f"{rng.randrange(10**k):0{k}d}"

    match country:
        case "GT":
            return f"P-{digits(3)}{pick(3)}"
        case "SV":
            return f"P {digits(3)}-{digits(3)}"
        case "HN":
            return f"H{pick(2)} {digits(4)}"
        case "NI":
            return f"M {digits(3)}-{digits(3)}"
        case "CR":
            return f"{pick(3)}-{digits(3)}"
        case "PA":
            return f"{pick(2)} {digits(4)}"
        case "BZ":
            return f"{rng.choice(('BZ', 'CY', 'OW', 'CZ', 'SC', 'TL'))} C-{digits(5)}"
        case _:
            return f"A{digits(6)}"


def plate_layouts(plate: str) -> tuple[str, ...]:
    bare = plate.replace("-", "").replace(" ", "")
    return (plate, bare, plate.replace("-", " "), plate.lower())
