"""A demo office's prosecutor asks the network a few hit/no-hit queries, through the real service.

What is asked: persons of the office's own cases that the demo planted in another office's files
too (``stories``: hits there), two persons nobody holds (no hits anywhere) and one phone number.
Each query cites its case and the demo's legal basis, travels in signed envelopes and is answered
by the other offices' delivery workers; the hits wait, pending, for the holders' focal points.

The network key reaches the other offices only once the delivery workers have carried it, so a
query sent before is answered ``refused`` (``no_key``, or ``key_mismatch`` while an old key is
in use). ``ask_until_answered`` asks those offices again, and only them, until they answer or the
time runs out: an office that has not answered anything else yet is asked one query at a time, so
that the repeats stay well inside the asking quotas (``VINCULO_MATCH_QUERIES_PER_*``).
"""

from __future__ import annotations

import datetime
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone

from vinculo.accounts.models import User
from vinculo.cases.models import Case, CaseParty
from vinculo.cases.services.parties import unseal_identity
from vinculo.core.errors import DomainError
from vinculo.demo import stories
from vinculo.demo.exchanges import LEGAL_BASIS
from vinculo.demo.persons import PHONE_PREFIX
from vinculo.matching.models import Decision, Purpose, Query, QueryKind, QueryRecipient
from vinculo.matching.services import queries

# Refusals that say "not yet": the answering office does not hold the key the query was made with.
KEY_REFUSALS = frozenset({"no_key", "key_mismatch"})
TRAVELLERS = 3
# Nobody in the demo's files: these names are not in the demo's lists of name parts.
ABSENT = (
    queries.Asked(kind=QueryKind.PERSON, given_names="Rigoberto", first_surname="Castañeda",
                  second_surname="Arriola", birth_date="1975-02-03", sex="M"),
    queries.Asked(kind=QueryKind.PERSON, given_names="Yolanda", first_surname="Quiñónez",
                  second_surname="Santizo", birth_date="1991-11-21", sex="F"),
)  # fmt: skip
POLL_SECONDS = 2.0
RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class DemoAsk:
    """One query the demo asks: what, for which purpose and case; ``label`` names it in progress lines."""

    label: str
    asked: queries.Asked
    purpose: str
    case: Case


@dataclass
class Outcome:
    """What came of the demo's queries."""

    sent: int = 0  # queries sent, repeats included
    decisions: Counter[str] = field(default_factory=Counter)  # final answers by decision
    waiting: list[str] = field(default_factory=list)  # "label: member" never answered but for the key
    stopped: str = ""  # why it stopped before every office answered, in words

    @property
    def is_complete(self) -> bool:
        return not self.waiting and not self.stopped


def _case_at(by: User, slot: int) -> Case | None:
    return Case.objects.filter(office_id=by.office_id, national_number__endswith=f"-{slot:05d}").first()


def _traveller_party(case: Case, story: stories.Story, country: str) -> CaseParty | None:
    """The party of ``case`` that is the story's traveller, recognised by name as this office wrote it."""
    written = stories.recorded_traveller(story, country, timezone.localdate())
    wanted = (written.given_names, written.first_surname, written.second_surname)
    for party in CaseParty.objects.filter(case=case).order_by("pk"):
        identity = unseal_identity(party.person_id)
        if (identity.given_names, identity.first_surname, identity.second_surname) == wanted:
            return party
    return None


def chosen_stories(country: str, *, within: int) -> list[tuple[int, stories.Story]]:
    """(this office's case slot, story) of the travellers to ask about: for each other office the earliest it
    shares with this one (a suspect if there is one), then the earliest victim left; only cases among the first
    ``within`` of both offices."""
    shared = sorted(
        (max(slot, stories.slot_of(story, story.other(country))), slot, story)
        for slot, story in stories.slots(country).items()
    )
    shared = [(last, slot, story) for last, slot, story in shared if last <= within]
    chosen: list[tuple[int, stories.Story]] = []
    for other in sorted({story.other(country) for _last, _slot, story in shared}):
        theirs = [(slot, story) for _last, slot, story in shared if story.other(country) == other]
        suspects = [(slot, story) for slot, story in theirs if story.traveller_role == "SUSPECT"]
        chosen.append((suspects or theirs)[0])
    victims = [(slot, story) for _last, slot, story in shared if story.traveller_role == "VICTIM"]
    chosen += [item for item in victims if item not in chosen][: max(0, TRAVELLERS - len(chosen))]
    return chosen


def planned_asks(*, by: User, within: int, today: datetime.date | None = None) -> list[DemoAsk]:
    """The office's demo queries: its travellers (``chosen_stories``), two persons nobody holds, a phone."""
    country = by.office.country
    today = today or timezone.localdate()
    asks: list[DemoAsk] = []
    phone: DemoAsk | None = None
    for slot, story in chosen_stories(country, within=within):
        case = _case_at(by, slot)
        party = _traveller_party(case, story, country) if case is not None else None
        if case is None or party is None:
            continue
        purpose = Purpose.INVESTIGATION if story.traveller_role == "SUSPECT" else Purpose.VICTIM_WHEREABOUTS
        asks.append(DemoAsk(f"a person of {case.national_number}", queries.Asked(kind=QueryKind.PERSON,
                    party_id=party.pk), purpose, case))  # fmt: skip
        # A number this office wrote down that the other office wrote down too: a hit on the phone.
        mine = unseal_identity(party.person_id).phones
        theirs = stories.recorded_traveller(story, story.other(country), today).phones
        if phone is None and mine and mine == theirs:
            phone = DemoAsk(f"a phone of {case.national_number}", queries.Asked(kind=QueryKind.PHONE, phone=mine),
                            purpose, case)  # fmt: skip
    first = Case.objects.filter(office_id=by.office_id).order_by("created_at", "pk").first()
    if first is None:
        return asks
    for number, absent in enumerate(ABSENT, start=1):
        asks.append(DemoAsk(f"absent person {number} for {first.national_number}", absent, Purpose.INVESTIGATION,
                            first))  # fmt: skip
    if phone is None:  # no shared number among the chosen travellers: one nobody holds (no subscriber starts with 1)
        prefix = PHONE_PREFIX.get(country, "+502")
        phone = DemoAsk(f"a phone for {first.national_number}", queries.Asked(kind=QueryKind.PHONE,
                        phone=f"{prefix} 1999-0000"), Purpose.INVESTIGATION, first)  # fmt: skip
    asks.append(phone)
    return asks


def already_answered(by: User) -> bool:
    """True when an earlier run's queries got real answers (the demo asks once per node)."""
    return (
        QueryRecipient.objects.filter(
            query__asked_by=by, query__legal_basis=LEGAL_BASIS, state=QueryRecipient.State.ANSWERED
        )
        .exclude(decision=Decision.REFUSED)
        .exists()
    )


def allowance(by: User) -> int:
    """How many queries the demo may send: what the asking quotas leave, less half of each quota, kept for the
    demo prosecutor's own queries from the pages."""
    return max(0, min(use.limit - use.used - use.limit // 2 for use in queries.quota_use(by)))


def ask_until_answered(
    *,
    by: User,
    asks: Sequence[DemoAsk],
    members: Sequence[str],
    wait_seconds: float,
    poll_seconds: float = POLL_SECONDS,
    retry_seconds: float = RETRY_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    say: Callable[[str], None] = lambda text: None,
) -> Outcome:
    """Ask each of ``asks`` of every member; ask again the members that refused for the key, until all answered
    otherwise or ``wait_seconds`` have passed."""
    outcome = Outcome()
    deadline = clock() + wait_seconds
    budget = allowance(by)
    if budget < len(asks):
        say(f"the asking quotas leave room for {budget} of {len(asks)} queries")
        asks = asks[:budget]
    # Per ask, the members still to answer it, and per (ask, member) the last query that asked it.
    pending = {index: set(members) for index in range(len(asks))}
    last: dict[tuple[int, str], Query] = {}
    ready: set[str] = set()  # members that have answered something other than a key refusal
    next_round = clock()
    told_no_key = False
    while True:
        key_refused = _collect(asks, pending, last, ready, outcome)
        if not any(pending.values()):
            return outcome
        now = clock()
        if now >= deadline:
            late = sorted({member for owed in pending.values() for member in owed})
            outcome.stopped = (
                f"{', '.join(late)} gave no answer other than a refusal for the network key within {wait_seconds:.0f} s"
            )
            outcome.waiting = _owed(asks, pending)
            return outcome
        due = _due(pending, last, key_refused, ready)
        if due and now >= next_round:
            next_round = now + retry_seconds
            for index, chosen in sorted(due.items()):
                if outcome.sent >= budget:
                    outcome.stopped = f"the {budget} queries the asking quotas leave room for were used up"
                    outcome.waiting = _owed(asks, pending)
                    return outcome
                ask = asks[index]
                try:
                    query = queries.ask(
                        by=by, asked=ask.asked, purpose=ask.purpose, case=ask.case, case_reference="",
                        legal_basis=LEGAL_BASIS, members=sorted(chosen),
                    )  # fmt: skip
                except DomainError as refused:
                    if refused.code == "no_match_key":  # this node has not received the key yet: later
                        if not told_no_key:
                            say("this office does not hold the network key yet; waiting for it")
                            told_no_key = True
                        break
                    if refused.code in ("rate_limited", "office_quota"):
                        outcome.stopped = str(refused.message)
                        outcome.waiting = _owed(asks, pending)
                        return outcome
                    say(f"{ask.label} not asked: {refused.message}")
                    pending[index].clear()
                    continue
                outcome.sent += 1
                repeat = " again" if any((index, m) in last for m in chosen) else ""
                say(f"asked {', '.join(sorted(chosen))}{repeat} about {ask.label}")
                for member in chosen:
                    last[(index, member)] = query
        sleep(poll_seconds)


def _owed(asks: Sequence[DemoAsk], pending: dict[int, set[str]]) -> list[str]:
    return [f"{asks[index].label}: {member}" for index, owed in sorted(pending.items()) for member in sorted(owed)]


def _collect(
    asks: Sequence[DemoAsk],
    pending: dict[int, set[str]],
    last: dict[tuple[int, str], Query],
    ready: set[str],
    outcome: Outcome,
) -> set[tuple[int, str]]:
    """Read the answers that arrived; returns the (ask, member) pairs last refused for the key."""
    key_refused = set()
    for (index, member), query in last.items():
        if member not in pending[index]:
            continue
        answer = QueryRecipient.objects.filter(query=query, member=member).first()
        if answer is None or answer.state == QueryRecipient.State.SENT:
            continue
        if answer.state == QueryRecipient.State.UNDELIVERED:
            pending[index].discard(member)
            outcome.decisions["undelivered"] += 1
        elif answer.decision == Decision.REFUSED and answer.refusal in KEY_REFUSALS:
            key_refused.add((index, member))
        else:
            ready.add(member)
            pending[index].discard(member)
            outcome.decisions[answer.decision] += 1
    return key_refused


def _due(
    pending: dict[int, set[str]],
    last: dict[tuple[int, str], Query],
    key_refused: set[tuple[int, str]],
    ready: set[str],
) -> dict[int, set[str]]:
    """What to ask now: never asked yet, or refused for the key. A member that has answered nothing
    but key refusals gets one query (the first it still owes) until it answers one otherwise."""
    due: dict[int, set[str]] = {}
    probed: set[str] = set()
    for index in sorted(pending):
        for member in sorted(pending[index]):
            never = (index, member) not in last
            if not never and (index, member) not in key_refused:
                continue  # still awaited
            if not never and member not in ready:
                if member in probed or any((i, member) in last and (i, member) not in key_refused
                                           for i in pending if member in pending[i]):  # fmt: skip
                    continue
                probed.add(member)
            due.setdefault(index, set()).add(member)
    return due
