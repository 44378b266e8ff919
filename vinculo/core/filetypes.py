"""What a file is, from its first bytes (never from its name or what a browser says of it).

Pure: the case documents and the exchanges' files both decide a file's type here, the first
with the whole content in hand (and its own list of accepted formats), the second from the
first few kilobytes of a file that may be large.
"""

from __future__ import annotations

# Formats recognised by their signature at the start of the file.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
ZIP_SIGNATURE = b"PK\x03\x04"


def by_signature(head: bytes) -> str | None:
    """The media type a known signature at the start of ``head`` names; None when there is none."""
    for signature, media_type in SIGNATURES:
        if head.startswith(signature):
            return media_type
    return None


def is_text(data: bytes, *, complete: bool = True) -> bool:
    """UTF-8 text without NUL bytes; with ``complete`` False a character cut at the end still counts."""
    if not data or b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return not complete and error.start >= len(data) - 3
    return True
