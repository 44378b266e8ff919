"""Shared constants and helpers of the synthetic benchmark: countries, shares, reference date, seeded randoms."""

from __future__ import annotations

import datetime
import random
import unicodedata
from pathlib import Path

GENERATOR_VERSION = "1"
COUNTRIES = ("GT", "SV", "HN", "NI", "CR", "PA", "BZ", "DO")
# Share of each country in the population: roughly the offices' case loads, Belize kept big enough to test.
COUNTRY_SHARES = {"GT": 0.20, "SV": 0.13, "HN": 0.16, "NI": 0.10, "CR": 0.09, "PA": 0.09, "BZ": 0.07, "DO": 0.16}
# Ages are counted on this day, not today: the output must not depend on when it is generated.
REFERENCE_DATE = datetime.date(2026, 1, 1)
DATA_DIR = Path(__file__).parent.parent / "data"
NICKNAMES_CSV = DATA_DIR / "nicknames.csv"
EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved (RFC 2606): no real mailbox
HANDLE_PLATFORMS = ("facebook", "instagram", "tiktok")
ZIPF_GIVEN = 1.0
ZIPF_SURNAME = 0.9
PARTICLES = ("de", "del", "la", "las", "los", "y")


def fold(text: str) -> str:
    """Without accents or tilde, as records typed on machines without them show ("Peña" -> "Pena")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _rng(seed: int, purpose: str) -> random.Random:
    return random.Random(f"vinculo-synthetic:{GENERATOR_VERSION}:{seed}:{purpose}")  # noqa: S311 - synthetic data
