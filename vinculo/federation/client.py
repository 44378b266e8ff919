"""The one HTTP call the directory needs: fetch or post a small document, with a timeout and a size cap.

Tests replace ``http_request`` (or point ``VINCULO_HUB_URL`` at a live server on the loopback
interface). Proxies from the environment are ignored: a node talks to the hub directly.
"""

from __future__ import annotations

import urllib.error
import urllib.request

from django.conf import settings

TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 4 * 1024 * 1024


class HubUnreachable(Exception):
    """The hub did not answer (connection refused, timeout, a response too large)."""


def http_request(
    url: str, *, data: bytes | None = None, content_type: str = "application/jose", timeout: float = TIMEOUT_SECONDS
) -> tuple[int, bytes]:
    """GET ``url`` (or POST ``data``); the status and body, including error statuses; ``HubUnreachable`` otherwise."""
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", content_type)
    request.add_header("Accept", "application/jose, application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, _read_capped(response)
    except urllib.error.HTTPError as error:
        return error.code, _read_capped(error)
    except (OSError, ValueError) as error:  # URLError, timeouts and resets are OSErrors
        raise HubUnreachable(f"{url}: {getattr(error, 'reason', error)}") from None


def _read_capped(response: object) -> bytes:
    body = response.read(MAX_RESPONSE_BYTES + 1)  # type: ignore[attr-defined]
    if len(body) > MAX_RESPONSE_BYTES:
        raise HubUnreachable(f"the answer is larger than {MAX_RESPONSE_BYTES} bytes")
    return bytes(body)


def hub_url(path: str) -> str:
    """``path`` (e.g. ``federation/directory``) on the hub named by ``VINCULO_HUB_URL``."""
    return settings.HUB_URL.rstrip("/") + "/" + path.lstrip("/")
