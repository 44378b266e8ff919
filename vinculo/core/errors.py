"""The errors services raise; views and the API turn them into messages in the user's language."""

from __future__ import annotations

from django.utils.functional import Promise


class DomainError(Exception):
    """A rule of the domain refused the action; ``message`` is translated and safe to show."""

    code = "domain_error"

    def __init__(self, message: str | Promise, *, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code is not None:
            self.code = code


class AccessDenied(DomainError):
    """The actor may not do this (shown as 403; the attempt is audited by the caller)."""

    code = "access_denied"


class NotFound(DomainError):
    """The object does not exist or is not visible to the actor (never say which)."""

    code = "not_found"
