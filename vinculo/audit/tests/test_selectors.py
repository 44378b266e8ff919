"""Who may read the trail, and how the auditor's filters narrow it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from vinculo.accounts.models import User
from vinculo.audit import selectors, services
from vinculo.audit.models import AuditEntry
from vinculo.core.context import RequestContext, bind_request, unbind_request
from vinculo.core.errors import AccessDenied

pytestmark = pytest.mark.django_db


def seqs(entries: object) -> list[int]:
    return [entry.seq for entry in entries]  # type: ignore[attr-defined]


@pytest.fixture
def mixed_trail(prosecutor: User, node_admin: User, foreign_admin: User) -> None:
    """#1 auth.login by sv.fiscal, #2 auth.failed by the system, #3 users.created by sv.admin
    (target user 41, request req-aaaa1111), #4 authority.noted by gt.admin, #5 auth.logout by sv.fiscal."""
    services.record(action="auth.login", actor=prosecutor)
    services.record(action="auth.failed", actor=None, data={"username": "sv.fiscal"})
    token = bind_request(RequestContext(request_id="req-aaaa1111", client_ip="192.0.2.1"))
    try:
        services.record(action="users.created", actor=node_admin, target=("accounts.user", "41"))
    finally:
        unbind_request(token)
    services.record(action="authority.noted", actor=foreign_admin)
    services.record(action="auth.logout", actor=prosecutor)


@pytest.mark.parametrize("persona", ["prosecutor", "node_admin", "focal_point", "judge", "analyst", "foreign_admin"])
def test_only_auditors_read_the_trail(persona: str, request: pytest.FixtureRequest) -> None:
    actor = request.getfixturevalue(persona)
    with pytest.raises(AccessDenied):
        selectors.entries_for_auditor(actor)
    with pytest.raises(AccessDenied):
        selectors.entries_for_export(actor)
    with pytest.raises(AccessDenied):
        selectors.last_verification(actor)


def test_a_deactivated_auditor_reads_nothing(auditor: User) -> None:
    auditor.is_active = False
    with pytest.raises(AccessDenied):
        selectors.entries_for_auditor(auditor)


@pytest.mark.usefixtures("mixed_trail")
def test_the_trail_is_newest_first(auditor: User) -> None:
    assert seqs(selectors.entries_for_auditor(auditor)) == [5, 4, 3, 2, 1]


@pytest.mark.usefixtures("mixed_trail")
@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"username": "fiscal"}, [5, 1]),
        ({"username": "SV.ADMIN"}, [3]),
        ({"username": "system"}, [2]),
        ({"action": "auth.login"}, [1]),
        ({"action": "auth."}, [5, 2, 1]),
        ({"action": "auth.*"}, [5, 2, 1]),
        # A family name finds its members but not actions that merely start alike (authority.*).
        ({"action": "auth"}, [5, 2, 1]),
        ({"action": "auth.log"}, []),
        ({"office": "GT-MP"}, [4]),
        ({"office": "sv-fgr"}, [5, 3, 2, 1]),
        ({"target_type": "accounts.user"}, [3]),
        ({"target_type": "accounts.user", "target_id": "41"}, [3]),
        ({"target_id": "42"}, []),
        ({"request_id": "req-aaaa1111"}, [3]),
        ({"username": "fiscal", "action": "auth.logout"}, [5]),
    ],
)
def test_filters(auditor: User, criteria: dict[str, str], expected: list[int]) -> None:
    assert seqs(selectors.entries_for_auditor(auditor, **criteria)) == expected  # type: ignore[arg-type]


def test_dates_are_whole_days_of_the_node(auditor: User, settings: pytest.FixtureRequest) -> None:
    settings.TIME_ZONE = "America/El_Salvador"  # UTC-6 all year
    moments = [
        datetime(2026, 3, 1, 5, 59, tzinfo=UTC),  # 28 Feb, 23:59 in San Salvador
        datetime(2026, 3, 1, 6, 0, tzinfo=UTC),  # 1 Mar, 00:00
        datetime(2026, 3, 2, 5, 59, 59, 999999, tzinfo=UTC),  # 1 Mar, 23:59:59.999999
        datetime(2026, 3, 2, 6, 0, tzinfo=UTC),  # 2 Mar, 00:00
    ]
    for moment in moments:
        with time_machine.travel(moment, tick=False):
            services.record(action="test.step", actor=None)
    march_first = date(2026, 3, 1)
    assert seqs(selectors.entries_for_auditor(auditor, date_from=march_first, date_to=march_first)) == [3, 2]
    assert seqs(selectors.entries_for_auditor(auditor, date_from=march_first)) == [4, 3, 2]
    assert seqs(selectors.entries_for_auditor(auditor, date_to=date(2026, 2, 28))) == [1]


def test_the_ends_of_the_calendar_are_no_bounds(auditor: User) -> None:
    services.record(action="test.step", actor=None)
    assert seqs(selectors.entries_for_auditor(auditor, date_from=date.min, date_to=date.max)) == [1]
    assert seqs(selectors.entries_for_auditor(auditor, date_from=date(1, 1, 2), date_to=date(9999, 12, 30))) == [1]


@pytest.mark.usefixtures("mixed_trail")
def test_an_export_is_oldest_first_and_fixed_when_it_starts(auditor: User) -> None:
    entries = selectors.entries_for_export(auditor, action="auth.")
    services.record(action="auth.login", actor=auditor)  # arrives while the export is being read
    assert seqs(entries) == [1, 2, 5]


def test_the_console_may_export(db: None) -> None:
    services.record(action="test.step", actor=None)
    assert seqs(selectors.entries_for_export(None)) == [1]


def test_last_verification_is_the_latest_success(auditor: User) -> None:
    assert selectors.last_verification(auditor) is None
    services.verify_trail(actor=None)
    services.verify_trail(actor=auditor)
    latest = selectors.last_verification(auditor)
    assert isinstance(latest, AuditEntry)
    assert (latest.seq, latest.actor_label) == (2, "sv.auditor")
