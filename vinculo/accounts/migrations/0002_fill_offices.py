"""Load the network's member offices and the hub secretariat from accounts/data/offices.csv."""

from django.db import migrations

from vinculo.accounts.offices import load_offices


def fill_offices(apps, schema_editor):
    load_offices(apps.get_model("accounts", "Office"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(fill_offices, migrations.RunPython.noop)]
