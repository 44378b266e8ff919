"""An office node's copy of the network directory: fetch it from the hub, check it, keep the last good one.

``refresh_directory`` fetches ``<VINCULO_HUB_URL>/federation/directory`` and hands the token to
``accept_directory``, which checks it against the pinned hub key (``directory_trust``) and stores
it when it is newer. Any failure leaves the held copy as it was: the node keeps working on it
until it expires. ``refresh_if_due`` is what a periodic worker calls every minute.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vinculo.audit import services as audit
from vinculo.core.errors import DomainError
from vinculo.federation import client
from vinculo.federation.directory import held_directory
from vinculo.federation.directory_format import Directory
from vinculo.federation.directory_trust import DirectoryRefused, verify_directory
from vinculo.federation.models import DirectoryRefresh, SignedDirectory

logger = logging.getLogger(__name__)

DIRECTORY_PATH = "federation/directory"
MAX_TOKEN_BYTES = 2 * 1024 * 1024
# Failures that are about the hub's reachability, not about what it sent: logged, not audited.
NETWORK_CODES = frozenset({"hub_unreachable", "hub_error"})


class RefreshFailed(Exception):
    """The directory could not be refreshed; the held copy is unchanged. ``code`` says why."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class RefreshResult:
    directory: Directory
    is_new: bool


def _now(now: int | None) -> int:
    return int(time.time()) if now is None else now


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _require_office() -> None:
    if settings.NODE_ROLE == "hub":
        raise DomainError(_("The hub publishes the directory itself; it does not fetch one."), code="is_hub")


@transaction.atomic(durable=True)
def _store(directory: Directory, *, source: str) -> None:
    SignedDirectory.objects.create(
        version=directory.version,
        token=directory.token,
        signer=directory.signer,
        issued_at=_moment(directory.issued_at),
        expires_at=_moment(directory.expires_at),
    )
    audit.record(
        action="directory.accepted",
        actor=None,
        target=("federation.directory", str(directory.version)),
        data={
            "version": directory.version,
            "signer": directory.signer,
            "expires_at": directory.expires_at,
            "members": len(directory.members),
            "source": source,
        },
    )


@transaction.atomic(durable=True)
def _note_attempt(*, code: str = "", detail: str = "") -> None:
    """Keep how the last attempt went; audit a refusal of what the hub sent when it is a new one."""
    state, _created = DirectoryRefresh.objects.select_for_update().get_or_create(pk=1)
    now = timezone.now()
    is_new_problem = code != state.last_error_code or detail[:500] != state.last_error_detail
    state.last_attempt_at = now
    if not code:
        state.last_success_at = now
    state.last_error_code = code
    state.last_error_detail = detail[:500]
    state.save()
    if code and code not in NETWORK_CODES and is_new_problem:
        audit.record(action="directory.refused", actor=None, data={"code": code, "detail": detail[:500]})


def accept_directory(token: str, *, source: str, now: int | None = None) -> RefreshResult:
    """Check ``token`` against the pinned hub key and the held copy; store it when it is newer."""
    _require_office()
    if not settings.HUB_KEY:
        raise RefreshFailed("not_configured", "VINCULO_HUB_KEY (the hub's key thumbprint) is not set")
    held = held_directory()
    try:
        verified = verify_directory(token, pinned=settings.HUB_KEY, held=held, now=_now(now))
    except DirectoryRefused as refused:
        raise RefreshFailed(refused.code, refused.detail) from None
    if verified.is_new:
        try:
            _store(verified.directory, source=source)
        except IntegrityError:  # another worker stored this version first
            return RefreshResult(verified.directory, is_new=False)
        logger.info("network directory version %s accepted (%s)", verified.directory.version, source)
    return RefreshResult(verified.directory, is_new=verified.is_new)


def fetch_directory_token() -> str:
    """The signed directory as the hub serves it; ``RefreshFailed`` (hub_unreachable, hub_error)."""
    if not settings.HUB_URL:
        raise RefreshFailed("not_configured", "VINCULO_HUB_URL (the hub's address) is not set")
    url = client.hub_url(DIRECTORY_PATH)
    try:
        status, body = client.http_request(url)
    except client.HubUnreachable as error:
        raise RefreshFailed("hub_unreachable", str(error)) from None
    if status != 200:
        raise RefreshFailed("hub_error", f"{url} answered {status}")
    if len(body) > MAX_TOKEN_BYTES:
        raise RefreshFailed("hub_error", "the directory is too large")
    try:
        return body.decode("ascii").strip()
    except UnicodeDecodeError:
        raise RefreshFailed("malformed", "the directory is not ASCII") from None


def refresh_directory(*, now: int | None = None) -> RefreshResult:
    """Fetch the directory from the hub and accept it if it checks out; the attempt is recorded either way."""
    _require_office()
    try:
        result = accept_directory(fetch_directory_token(), source="hub", now=now)
    except RefreshFailed as failure:
        _note_attempt(code=failure.code, detail=failure.detail)
        logger.warning("network directory not refreshed: %s", failure)
        raise
    _note_attempt()
    return result


def import_directory(token: str, *, now: int | None = None) -> RefreshResult:
    """Accept a directory handed over as a file (first install without a route to the hub, or a demo)."""
    try:
        result = accept_directory(token, source="file", now=now)
    except RefreshFailed as failure:
        _note_attempt(code=failure.code, detail=failure.detail)
        raise
    _note_attempt()
    return result


def _republish_if_due(now: int | None) -> None:
    from vinculo.federation.services import hub

    try:
        hub.republish_if_due(now=now)
    except (DomainError, ImproperlyConfigured) as error:
        logger.error("network directory not republished: %s", error)


def refresh_if_due(*, now: int | None = None) -> RefreshResult | None:
    """Refresh when ``VINCULO_DIRECTORY_REFRESH_MINUTES`` have passed since the last attempt (or none held).

    For a worker's periodic loop: never raises for a failed refresh (it is logged and recorded).
    Returns None when nothing was due or the attempt failed. On the hub it republishes instead
    when half the latest directory's validity has passed.
    """
    if settings.NODE_ROLE == "hub":
        _republish_if_due(now)
        return None
    if not settings.HUB_URL:
        return None
    state = DirectoryRefresh.objects.filter(pk=1).first()
    moment = _moment(_now(now))
    interval = timedelta(minutes=settings.DIRECTORY_REFRESH_MINUTES)
    recently = state is not None and state.last_attempt_at is not None and moment - state.last_attempt_at < interval
    if recently and held_directory() is not None:
        return None
    try:
        return refresh_directory(now=now)
    except RefreshFailed:
        return None
