"""Seal the sender's signed message of every accepted message in the vault, like its payload.

The signed message holds the payload (and attachments' keys) in base64: kept in clear, it undid
the payload's sealing. Rows written before this migration are sealed here; reversing unseals them.
"""

from django.db import migrations

PREFIX = "vault1."


def _context(row):
    return f"messaging.inbound:{row.sender}:{row.message_id}:signed"


def seal_signed(apps, schema_editor):
    from vinculo.vault import crypto, keys

    InboundMessage = apps.get_model("messaging", "InboundMessage")
    rows = InboundMessage.objects.exclude(signed__startswith=PREFIX).only("id", "sender", "message_id", "signed")
    if not rows.exists():
        return
    keyring = keys.current_keyring()
    for row in rows.iterator():
        sealed = crypto.seal_bytes(row.signed.encode("ascii"), keyring=keyring, context=_context(row))
        InboundMessage.objects.filter(pk=row.pk).update(signed=sealed)


def unseal_signed(apps, schema_editor):
    from vinculo.vault import crypto, keys

    InboundMessage = apps.get_model("messaging", "InboundMessage")
    rows = InboundMessage.objects.filter(signed__startswith=PREFIX).only("id", "sender", "message_id", "signed")
    if not rows.exists():
        return
    keyring = keys.current_keyring()
    for row in rows.iterator():
        signed = crypto.unseal_bytes(row.signed, keyring=keyring, context=_context(row)).decode("ascii")
        InboundMessage.objects.filter(pk=row.pk).update(signed=signed)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0002_attachments")]

    operations = [migrations.RunPython(seal_signed, unseal_signed, elidable=False)]
