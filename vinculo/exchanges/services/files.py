"""Files a person attaches to a request or an answer: encrypted for the network before the business transaction.

``prepare_uploads`` reads each uploaded file once, encrypting it into the node's outgoing chunk
store (``messaging.services.attachments.prepare``); the service that sends the message then
takes the prepared files inside its transaction. A file prepared for a message that is never
sent (the step was refused) is left for ``vinculo attachments clean``; its key was only ever in
this process's memory, so what stays on disk until then cannot be read.

The media type recorded is decided from the file's first bytes, never from its name or what the
browser says, so that the receiving office is not told a program is a PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from vinculo.core import filetypes
from vinculo.messaging.services import attachments as attachment_store

HEAD_BYTES = 8192
OCTET_STREAM = "application/octet-stream"


def media_type_of(head: bytes, *, complete: bool) -> str:
    """The media type the first bytes of a file show; ``complete`` when ``head`` is the whole file."""
    known = filetypes.by_signature(head)
    if known is not None:
        return known
    if head.startswith(filetypes.ZIP_SIGNATURE):
        return "application/zip"  # office documents are zip files; the receiver opens them as such
    return "text/plain" if filetypes.is_text(head, complete=complete) else OCTET_STREAM


def prepare_uploads(uploads: Sequence[UploadedFile[Any]]) -> list[attachment_store.Prepared]:
    """Encrypt each file for the network (outside any transaction); refusals as ``DomainError``."""
    prepared = []
    for upload in uploads:
        size = int(upload.size or 0)
        head = upload.read(HEAD_BYTES)
        upload.seek(0)
        media_type = media_type_of(head, complete=len(head) >= size)
        prepared.append(attachment_store.prepare(upload, size=size, name=upload.name or "file", media_type=media_type))
    return prepared
