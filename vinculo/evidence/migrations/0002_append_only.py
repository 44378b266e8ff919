"""Make evidence entries append-only at the database level and create the chain head."""

from django.db import migrations

from vinculo.evidence import triggers
from vinculo.evidence.chain import GENESIS_HASH


def install_triggers(apps, schema_editor):
    triggers.install(schema_editor.connection)


def remove_triggers(apps, schema_editor):
    triggers.remove(schema_editor.connection)


def create_head(apps, schema_editor):
    EvidenceHead = apps.get_model("evidence", "EvidenceHead")
    EvidenceHead.objects.get_or_create(pk=1, defaults={"seq": 0, "entry_hash": GENESIS_HASH})


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]
    operations = [
        migrations.RunPython(install_triggers, remove_triggers),
        migrations.RunPython(create_head, migrations.RunPython.noop),
    ]
