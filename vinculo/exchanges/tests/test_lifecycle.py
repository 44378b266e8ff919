"""The request's life as plain data: every step from every state, both sides, and the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vinculo.exchanges import handling
from vinculo.exchanges.lifecycle import (
    FINAL,
    ORDER,
    Clock,
    ImpossibleStep,
    Side,
    State,
    Step,
    apply_remote,
    available_steps,
    escalation_due,
    take,
)

S = State


def test_the_requester_sends_a_draft_and_may_withdraw_until_it_is_answered() -> None:
    assert take(S.DRAFT, Step.SEND, side=Side.OUTGOING) == S.SENT
    for state in (S.SENT, S.DELIVERED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.ANSWERED_PARTIAL):
        assert take(state, Step.WITHDRAW, side=Side.OUTGOING) == S.WITHDRAWN


@pytest.mark.parametrize("state", [S.ANSWERED, S.REFUSED, S.WITHDRAWN])
def test_nothing_is_done_to_a_concluded_request(state: State) -> None:
    for step in (Step.WITHDRAW,):
        with pytest.raises(ImpossibleStep) as refused:
            take(state, step, side=Side.OUTGOING)
        assert refused.value.reason == "final"
    for step in (Step.ACKNOWLEDGE, Step.ASSIGN, Step.ANSWER, Step.ANSWER_PARTIAL, Step.REFUSE):
        with pytest.raises(ImpossibleStep) as refused:
            take(state, step, side=Side.INCOMING)
        assert refused.value.reason == "final"


def test_a_draft_cannot_be_withdrawn_nor_answered() -> None:
    with pytest.raises(ImpossibleStep) as refused:
        take(S.DRAFT, Step.WITHDRAW, side=Side.OUTGOING)
    assert refused.value.reason == "not_yet"


def test_each_side_takes_only_its_own_steps() -> None:
    with pytest.raises(ImpossibleStep) as refused:
        take(S.DELIVERED, Step.ANSWER, side=Side.OUTGOING)
    assert refused.value.reason == "other_side"
    with pytest.raises(ImpossibleStep):
        take(S.DELIVERED, Step.WITHDRAW, side=Side.INCOMING)


def test_the_requested_office_acknowledges_assigns_and_answers_in_parts() -> None:
    state = S.DELIVERED
    state = take(state, Step.ACKNOWLEDGE, side=Side.INCOMING)
    state = take(state, Step.ASSIGN, side=Side.INCOMING)
    assert state == S.IN_PROGRESS
    state = take(state, Step.ANSWER_PARTIAL, side=Side.INCOMING)
    state = take(state, Step.ANSWER_PARTIAL, side=Side.INCOMING)
    assert state == S.ANSWERED_PARTIAL
    with pytest.raises(ImpossibleStep):
        take(state, Step.REFUSE, side=Side.INCOMING)  # what was given stays given
    assert take(state, Step.ANSWER, side=Side.INCOMING) == S.ANSWERED


def test_available_steps_follow_the_state() -> None:
    assert available_steps(S.DELIVERED, side=Side.INCOMING) == [
        Step.ACKNOWLEDGE,
        Step.ASSIGN,
        Step.ANSWER_PARTIAL,
        Step.ANSWER,
        Step.REFUSE,
    ]
    assert available_steps(S.ANSWERED, side=Side.INCOMING) == []
    assert available_steps(S.DRAFT, side=Side.OUTGOING) == [Step.SEND]


def test_remote_steps_out_of_order_never_move_a_copy_back() -> None:
    # The assignment arrives before the acknowledgement it followed.
    state, changed = apply_remote(S.SENT, Step.ASSIGN)
    assert (state, changed) == (S.IN_PROGRESS, True)
    assert apply_remote(state, Step.ACKNOWLEDGE) == (S.IN_PROGRESS, False)
    assert apply_remote(state, Step.DELIVER) == (S.IN_PROGRESS, False)


def test_a_withdrawal_and_an_answer_that_cross_leave_each_copy_as_its_office_concluded_it() -> None:
    assert apply_remote(S.WITHDRAWN, Step.ANSWER) == (S.WITHDRAWN, False)
    assert apply_remote(S.ANSWERED, Step.WITHDRAW) == (S.ANSWERED, False)
    assert apply_remote(S.ANSWERED_PARTIAL, Step.WITHDRAW) == (S.WITHDRAWN, True)


@given(st.lists(st.sampled_from(list(Step)), max_size=12), st.sampled_from([S.SENT, S.DELIVERED]))
def test_remote_steps_only_move_forward_and_a_final_state_is_kept(steps: list[Step], start: State) -> None:
    state = start
    for step in steps:
        new, changed = apply_remote(state, step)
        assert ORDER[new] >= ORDER[state]
        assert changed == (new != state)
        if state in FINAL:
            assert new == state
        state = new


def test_the_clock_reminds_before_and_escalates_once_after_the_deadline() -> None:
    sent = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    urgent = Clock(sent_at=sent, deadline_seconds=8 * 3600)
    assert urgent.due_at == sent + timedelta(hours=8)
    assert urgent.warning_at() == sent + timedelta(hours=6)
    assert not urgent.is_due_soon(S.ACKNOWLEDGED, sent + timedelta(hours=5))
    assert urgent.is_due_soon(S.ACKNOWLEDGED, sent + timedelta(hours=7))
    assert not urgent.is_overdue(S.ACKNOWLEDGED, sent + timedelta(hours=8))
    assert urgent.is_overdue(S.ANSWERED_PARTIAL, sent + timedelta(hours=8, seconds=1))
    assert not urgent.is_overdue(S.ANSWERED, sent + timedelta(days=3))
    assert escalation_due(urgent, S.IN_PROGRESS, sent + timedelta(hours=9), escalated=False)
    assert not escalation_due(urgent, S.IN_PROGRESS, sent + timedelta(hours=9), escalated=True)
    normal = Clock(sent_at=sent, deadline_seconds=7 * 86400)
    assert normal.warning_at() == sent + timedelta(days=6)  # a day before, not a quarter


# --- handling codes ----------------------------------------------------------------------------


def test_h2_blocks_forwarding_until_the_provider_consents_for_that_recipient() -> None:
    blocked = handling.restrictions(["H2"])
    assert not blocked.may_forward_to("HN-MP")
    consents = [
        handling.Consent(handling.ConsentKind.ONWARD_TRANSMISSION, granted=True, recipient="HN-MP"),
        handling.Consent(handling.ConsentKind.ONWARD_TRANSMISSION, granted=False, recipient="CR-MP"),
    ]
    allowed = handling.restrictions(["H2"], consents=consents)
    assert allowed.may_forward_to("HN-MP")
    assert not allowed.may_forward_to("CR-MP")
    assert handling.restrictions(["H0"]).may_forward_to("CR-MP")


def test_h1_content_is_stamped_until_its_use_as_evidence_is_granted() -> None:
    assert handling.restrictions(["H1"]).export_stamp == "H1"
    refused = handling.Consent(handling.ConsentKind.USE_AS_EVIDENCE, granted=False)
    assert not handling.restrictions(["H1"], consents=[refused]).may_use_as_evidence
    granted = handling.Consent(handling.ConsentKind.USE_AS_EVIDENCE, granted=True)
    assert handling.restrictions(["H1"], consents=[granted]).export_stamp == ""


def test_codes_are_checked_and_h3_carries_its_conditions() -> None:
    assert handling.check_codes(["H2", "H0", "H2"]) == ("H0", "H2")
    with pytest.raises(handling.InvalidHandling):
        handling.check_codes(["H9"])
    with pytest.raises(handling.InvalidHandling):
        handling.check_codes(["H3"])
    with pytest.raises(handling.InvalidHandling):
        handling.check_codes(["H0"], conditions="only for the prosecutor")
    assert handling.check_codes(["H3"], conditions="Only the lead prosecutor reads it.") == ("H3",)
    shown = handling.restrictions(["H0", "H3"], purpose="Case 12/2026", conditions="No copies.")
    assert (shown.purpose, shown.conditions) == ("Case 12/2026", "No copies.")


def test_a_4x4_grade_needs_both_parts() -> None:
    assert handling.check_evaluation("B", "2") == "B2"
    assert handling.check_evaluation("", "") == ""
    for source, information in (("B", ""), ("", "2"), ("E", "1"), ("A", "5")):
        with pytest.raises(handling.InvalidHandling):
            handling.check_evaluation(source, information)
