"""The life of an information request, as plain data: states, who may move it, and deadlines.

Both offices keep their own copy of a request: the requesting office's copy is *outgoing*, the
requested office's copy *incoming*. Each step is taken on the side that owns it (the requester
sends and withdraws; the requested office acknowledges, assigns, answers and refuses) and
travels to the other side as a signed message, where the same step is applied to the other
copy. Messages can arrive late or out of order (an acknowledgement may be handled before the
sender's worker has stored the delivery receipt), so a step that arrives from the counterpart
is applied when it moves the copy forward and recorded, without changing the state, when the
copy is already further on. A step a user asks for that the state does not allow is refused.

No Django here: the services call these functions and keep the results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class State(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    ANSWERED_PARTIAL = "answered_partial"
    ANSWERED = "answered"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class Step(StrEnum):
    SEND = "send"
    DELIVER = "deliver"  # the recipient's signed receipt (outgoing) or the envelope's arrival (incoming)
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    ANSWER_PARTIAL = "answer_partial"
    ANSWER = "answer"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"


class Side(StrEnum):
    OUTGOING = "outgoing"  # this office asked
    INCOMING = "incoming"  # this office was asked


S = State
# How far along a copy is: a step from the counterpart never moves a copy back.
ORDER: dict[State, int] = {
    S.DRAFT: 0,
    S.SENT: 1,
    S.DELIVERED: 2,
    S.ACKNOWLEDGED: 3,
    S.IN_PROGRESS: 4,
    S.ANSWERED_PARTIAL: 5,
    S.ANSWERED: 6,
    S.REFUSED: 6,
    S.WITHDRAWN: 6,
}
FINAL: frozenset[State] = frozenset({S.ANSWERED, S.REFUSED, S.WITHDRAWN})
OPEN: frozenset[State] = frozenset(State) - FINAL - {S.DRAFT}

# step → (the states it may be taken from, the state it leads to)
TRANSITIONS: dict[Step, tuple[frozenset[State], State]] = {
    Step.SEND: (frozenset({S.DRAFT}), S.SENT),
    Step.DELIVER: (frozenset({S.SENT}), S.DELIVERED),
    Step.ACKNOWLEDGE: (frozenset({S.SENT, S.DELIVERED}), S.ACKNOWLEDGED),
    Step.ASSIGN: (frozenset({S.SENT, S.DELIVERED, S.ACKNOWLEDGED, S.IN_PROGRESS}), S.IN_PROGRESS),
    Step.ANSWER_PARTIAL: (
        frozenset({S.SENT, S.DELIVERED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.ANSWERED_PARTIAL}),
        S.ANSWERED_PARTIAL,
    ),
    Step.ANSWER: (frozenset({S.SENT, S.DELIVERED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.ANSWERED_PARTIAL}), S.ANSWERED),
    Step.REFUSE: (frozenset({S.SENT, S.DELIVERED, S.ACKNOWLEDGED, S.IN_PROGRESS}), S.REFUSED),
    Step.WITHDRAW: (frozenset({S.SENT, S.DELIVERED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.ANSWERED_PARTIAL}), S.WITHDRAWN),
}

# Which side takes each step itself (the other side only receives it).
OWNER: dict[Step, Side] = {
    Step.SEND: Side.OUTGOING,
    Step.WITHDRAW: Side.OUTGOING,
    Step.ACKNOWLEDGE: Side.INCOMING,
    Step.ASSIGN: Side.INCOMING,
    Step.ANSWER_PARTIAL: Side.INCOMING,
    Step.ANSWER: Side.INCOMING,
    Step.REFUSE: Side.INCOMING,
}


class ImpossibleStep(Exception):
    """A user asked for a step the request's state (or their side) does not allow."""

    def __init__(self, state: State, step: Step, reason: str) -> None:
        super().__init__(f"{step} from {state}: {reason}")
        self.state = state
        self.step = step
        self.reason = reason  # "final", "not_yet", "other_side"


def take(state: State, step: Step, *, side: Side) -> State:
    """The state after ``step`` taken by this office on its copy; ``ImpossibleStep`` otherwise."""
    owner = OWNER.get(step)
    if owner is not None and owner != side:
        raise ImpossibleStep(state, step, "other_side")
    allowed, target = TRANSITIONS[step]
    if state not in allowed:
        raise ImpossibleStep(state, step, "final" if state in FINAL else "not_yet")
    return target


def apply_remote(state: State, step: Step) -> tuple[State, bool]:
    """The state after ``step`` arrives from the counterpart: (new state, whether it changed).

    A final copy never changes (an answer that crosses the requester's withdrawal is recorded
    in the timeline, and the copy stays withdrawn); a final step concludes any open copy; any
    other step moves the copy forward only (a late acknowledgement after an assignment changes
    nothing, an assignment whose acknowledgement is still on its way moves it on).
    """
    _allowed, target = TRANSITIONS[step]
    if state in FINAL or state == S.DRAFT:
        return state, False
    if target in FINAL or ORDER[target] > ORDER[state]:
        return target, True
    return state, False


def available_steps(state: State, *, side: Side) -> list[Step]:
    """The steps this office may take now on its copy, in a stable order for the page."""
    steps = []
    for step, owner in OWNER.items():
        if owner == side and state in TRANSITIONS[step][0]:
            steps.append(step)
    return steps


# --- deadlines ---------------------------------------------------------------------------------


class Urgency(StrEnum):
    URGENT = "urgent"
    PRIORITY = "priority"
    NORMAL = "normal"


@dataclass(frozen=True)
class Clock:
    """When a request is due and when it counts as due soon, from the network policy's deadlines."""

    sent_at: datetime
    deadline_seconds: int

    @property
    def due_at(self) -> datetime:
        return self.sent_at + timedelta(seconds=self.deadline_seconds)

    def warning_at(self) -> datetime:
        """A quarter of the time left, at most a day, before the deadline: the reminder goes out then."""
        return self.due_at - min(timedelta(seconds=self.deadline_seconds / 4), timedelta(days=1))

    def is_overdue(self, state: State, now: datetime) -> bool:
        """Past the deadline and not concluded (a partial answer does not stop the clock)."""
        return state in OPEN and now > self.due_at

    def is_due_soon(self, state: State, now: datetime) -> bool:
        return state in OPEN and self.warning_at() <= now <= self.due_at


def escalation_due(clock: Clock, state: State, now: datetime, *, escalated: bool) -> bool:
    """An overdue request goes to the focal point once."""
    return not escalated and clock.is_overdue(state, now)
