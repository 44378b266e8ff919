"""A file handed to the person who asked for it: as an attachment, never kept by a browser or proxy cache."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse


def private_download(stream: Any, *, name: str, media_type: str) -> FileResponse:
    """``stream`` (closed when the response is) as a download named ``name``, with ``Cache-Control: no-store``."""
    response = FileResponse(stream, as_attachment=True, filename=name, content_type=media_type)
    response["Cache-Control"] = "no-store, private"
    return response
