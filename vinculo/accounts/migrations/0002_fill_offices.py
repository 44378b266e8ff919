"""Load the network's member offices and the hub secretariat from accounts/data/offices.csv."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "offices.csv"


def fill_offices(apps, schema_editor):
    Office = apps.get_model("accounts", "Office")
    with DATA.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            Office.objects.update_or_create(
                code=row["code"],
                defaults={
                    "country": row["country"],
                    "name_es": row["name_es"],
                    "name_en": row["name_en"],
                    "is_hub": row["is_hub"] == "true",
                },
            )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(fill_offices, migrations.RunPython.noop)]
