"""`vinculo attachments clean|status`: housekeeping of attachments' chunk files.

vinculo attachments clean    delete what is no longer needed: the chunks of messages delivered or
                             given up, blobs prepared for a message that was never queued, uploads
                             no message claimed within the policy's maximum delivery age, and
                             stray files; run it daily
vinculo attachments status   what the attachment directory holds
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count, Sum

from vinculo.messaging.models import InboundAttachment, OutboundAttachment
from vinculo.messaging.services import attachments


class Command(BaseCommand):
    help = "Delete attachment chunks that are no longer needed, or show what the attachment directory holds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["clean", "status"])

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "clean":
            report = attachments.clean_up()
            self.stdout.write(
                f"Released {report.released} sent messages' blobs, deleted {report.unsent} never sent, "
                f"expired {report.expired} unclaimed uploads, removed {report.strays} stray directories and "
                f"{report.leftovers} chunks cut off mid-write."
            )
            return
        waiting = OutboundAttachment.objects.filter(released_at__isnull=True).aggregate(n=Count("id"), b=Sum("size"))
        kept = InboundAttachment.objects.filter(message__isnull=False).aggregate(n=Count("id"), b=Sum("size"))
        uploads = InboundAttachment.objects.filter(message__isnull=True).aggregate(
            n=Count("id"), b=Sum("received_bytes")
        )
        self.stdout.write(f"directory  {settings.ATTACHMENT_DIR}")
        self.stdout.write(f"outgoing   {waiting['n']} waiting to be delivered, {waiting['b'] or 0} bytes")
        self.stdout.write(f"received   {kept['n']} attachments of accepted messages, {kept['b'] or 0} bytes")
        self.stdout.write(f"uploads    {uploads['n']} not yet claimed by a message, {uploads['b'] or 0} bytes")
