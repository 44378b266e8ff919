"""How deliveries to a peer are going, as one word: healthy, delayed or failing (no Django imports).

The rules, shown on the delivery-health page and kept here in one place:

- **failing**: a message to the peer has waited more than ``FAILING_AFTER`` (6 hours) without a
  receipt, or a message was given up and nothing has been delivered to the peer since that
  message was queued;
- **delayed**: a message has waited more than ``DELAYED_AFTER`` (15 minutes) without a receipt
  (the worker is retrying);
- **healthy**: otherwise: nothing waits for long and the latest outcome was a delivery (or
  nothing has been sent yet).

Refusals that claim the peer as sender do not count: anyone can write any sender on an envelope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

DELAYED_AFTER = timedelta(minutes=15)
FAILING_AFTER = timedelta(hours=6)


class State(StrEnum):
    HEALTHY = "healthy"
    DELAYED = "delayed"
    FAILING = "failing"


@dataclass(frozen=True)
class Traffic:
    """What the outbox and the inbox hold for one peer."""

    pending: int = 0
    delivered: int = 0
    failed: int = 0
    oldest_pending_at: datetime | None = None
    last_delivered_at: datetime | None = None
    last_failure_queued_at: datetime | None = None  # when the newest given-up message was queued
    last_error: str = ""
    received: int = 0
    refusals_last_day: int = 0


def state_of(traffic: Traffic, *, now: datetime) -> State:
    waited = now - traffic.oldest_pending_at if traffic.oldest_pending_at else timedelta(0)
    if waited > FAILING_AFTER:
        return State.FAILING
    failure = traffic.last_failure_queued_at
    if failure is not None and (traffic.last_delivered_at is None or traffic.last_delivered_at < failure):
        return State.FAILING
    if waited > DELAYED_AFTER:
        return State.DELAYED
    return State.HEALTHY
