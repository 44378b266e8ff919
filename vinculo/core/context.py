"""Per-request context shared with services (the request id and client address for audit)."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    client_ip: str


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("vinculo_request", default=None)


def current_request() -> RequestContext | None:
    """The context of the request being served, or None in commands and workers."""
    return _current.get()


def bind_request(context: RequestContext | None) -> contextvars.Token[RequestContext | None]:
    return _current.set(context)


def unbind_request(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)
