"""How many refusals the inbox records per remote address: past the limit, a flood is counted, not logged.

Every refused envelope normally leaves a ``RefusedEnvelope`` row and an evidence entry. Anyone
can post to the inbox, so without a limit a flood of rubbish would fill both logs, and each entry
takes the evidence log's head lock, which accepted envelopes need too. Per remote address and
minute (fixed windows on the clock's minutes), the first ``VINCULO_INBOX_REFUSALS_PER_MINUTE``
refusals are recorded as usual; the envelopes refused after that are answered ``429
rate_limited`` with ``Retry-After`` and only counted: one summary row per address and window,
with code ``rate_limited`` and the number of envelopes in its ``size``.

Only refusals are limited. An envelope is checked before its address is looked at, so an
accepted envelope gets its receipt whatever address it comes from and however busy that address
is (peers may share a proxy's address with a flooder). The state is the refusal table itself, so
every process of the node (several gunicorn workers) counts the same rows; two processes deciding
at the same moment may record a refusal or two beyond the limit, or make two summary rows for one
window, which is harmless.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F

from vinculo.messaging.models import RefusedEnvelope

log = logging.getLogger(__name__)

RATE_LIMITED = "rate_limited"
WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Window:
    """One minute of the clock: refusals are counted per address from ``start`` (inclusive) to ``end``."""

    start: datetime
    end: datetime

    @classmethod
    def at(cls, moment: datetime) -> Window:
        seconds = moment.timestamp()
        start = moment - timedelta(seconds=seconds % WINDOW_SECONDS)
        return cls(start=start, end=start + timedelta(seconds=WINDOW_SECONDS))

    def seconds_left(self, moment: datetime) -> int:
        """Whole seconds until the window ends (at least 1): the ``Retry-After`` to give."""
        return max(1, math.ceil((self.end - moment).total_seconds()))


def last_pk_before(moment: datetime) -> int:
    """The key of the newest refusal older than ``moment`` (0 if none): every later key is as recent.

    Rows get increasing keys as they are written, so this walks the primary key back from the
    newest row and stops at the first older one. It costs as many rows as were written since
    ``moment``, whatever the size of the table, which has no index on time alone (only after the address).
    """
    older = RefusedEnvelope.objects.filter(refused_at__lt=moment).order_by("-pk").values_list("pk", flat=True)
    return older.first() or 0


def limit_per_minute() -> int:
    return int(settings.INBOX_REFUSALS_PER_MINUTE)


def counted_instead(remote_address: str | None, *, sha256: str, now: datetime) -> int | None:
    """Count a refused envelope instead of recording it, when its address has had its share this minute.

    Returns the seconds until the window ends (the answer's ``Retry-After``) when the envelope was
    counted, or None when it is to be recorded as usual (also when the address is unknown).
    """
    if not remote_address:
        return None
    window = Window.at(now)
    this_window = RefusedEnvelope.objects.filter(
        pk__gt=last_pk_before(window.start), remote_address=remote_address, refused_at__gte=window.start
    ).order_by()  # counted, never sorted
    if this_window.filter(code=RATE_LIMITED).update(size=F("size") + 1):
        return window.seconds_left(now)
    limit = limit_per_minute()
    if this_window.exclude(code=RATE_LIMITED)[:limit].count() < limit:
        return None
    RefusedEnvelope.objects.create(
        code=RATE_LIMITED,
        envelope_sha256=sha256,  # the first envelope counted
        size=1,
        detail=f"more than {limit} refusals from this address in a minute: further envelopes counted, not read",
        remote_address=remote_address,
        refused_at=now,
    )
    log.warning(
        "inbox: %s had %d envelopes refused this minute; until %s its refused envelopes are counted, not recorded",
        remote_address,
        limit,
        window.end.isoformat(),
    )
    return window.seconds_left(now)
