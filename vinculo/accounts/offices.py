"""The network's member offices and the hub secretariat, loaded from accounts/data/offices.csv."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "offices.csv"


def load_offices(office_model: Any) -> int:
    """Create or update every office of the file (idempotent); returns how many rows it read."""
    count = 0
    with DATA.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            office_model.objects.update_or_create(
                code=row["code"],
                defaults={
                    "country": row["country"],
                    "name_es": row["name_es"],
                    "name_en": row["name_en"],
                    "is_hub": row["is_hub"] == "true",
                },
            )
            count += 1
    return count


def ensure_offices(sender: Any, **kwargs: Any) -> None:
    """post_migrate: keep the offices present, also after `flush` (which empties every table)."""
    from vinculo.accounts.models import Office

    if not Office.objects.using(kwargs.get("using", "default")).exists():
        load_offices(Office)
