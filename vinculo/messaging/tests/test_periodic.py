"""The delivery worker runs the periodic jobs other modules register: on its first pass, then at
their interval; a job that fails is logged and the worker goes on; an interval of 0 disables one."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import pytest
from django.core.management import call_command

from vinculo.messaging import periodic
from vinculo.messaging.management.commands.messaging import Command


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _jobs(*jobs: periodic.PeriodicJob) -> dict[str, periodic.PeriodicJob]:
    return {job.name: job for job in jobs}


def test_a_job_runs_on_the_first_pass_then_only_after_its_interval() -> None:
    runs: list[float] = []
    clock = Clock()
    schedule = periodic.Schedule(
        _jobs(periodic.PeriodicJob("count", lambda: runs.append(clock.now), every_seconds=lambda: 300)), clock=clock
    )
    assert schedule.run_due() == ["count"], "the first pass runs it"
    clock.now += 299
    assert schedule.run_due() == []
    clock.now += 1
    assert schedule.run_due() == ["count"]
    clock.now += 10
    assert schedule.run_due() == []
    assert runs == [1000.0, 1300.0]


def test_a_failing_job_is_logged_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    runs: list[str] = []

    def broken() -> None:
        runs.append("broken")
        raise RuntimeError("the database went away")

    clock = Clock()
    schedule = periodic.Schedule(
        _jobs(
            periodic.PeriodicJob("broken", broken, every_seconds=lambda: 60),
            periodic.PeriodicJob("fine", lambda: runs.append("fine"), every_seconds=lambda: 60),
        ),
        clock=clock,
    )
    with caplog.at_level(logging.ERROR, logger="vinculo.messaging.periodic"):
        assert schedule.run_due() == ["broken", "fine"]
    assert runs == ["broken", "fine"]
    [record] = caplog.records
    assert "broken" in record.getMessage()
    assert record.exc_info is not None
    assert "the database went away" in str(record.exc_info[1])
    clock.now += 30
    assert schedule.run_due() == [], "a failed job waits its interval too"
    clock.now += 30
    assert schedule.run_due() == ["broken", "fine"]


def test_an_interval_of_zero_disables_a_job_and_is_read_at_each_look() -> None:
    runs: list[float] = []
    interval = [0]
    clock = Clock()
    schedule = periodic.Schedule(
        _jobs(periodic.PeriodicJob("count", lambda: runs.append(clock.now), every_seconds=lambda: interval[0])),
        clock=clock,
    )
    for _ in range(3):
        assert schedule.run_due() == []
        clock.now += 1000
    assert runs == []
    interval[0] = 60
    assert schedule.run_due() == ["count"]


def test_the_exchanges_app_registers_its_deadline_check(settings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from vinculo.exchanges.services import deadlines

    moments: list[datetime] = []
    monkeypatch.setattr(deadlines, "check_deadlines", lambda *, now: moments.append(now))
    job = periodic.JOBS["exchanges.deadlines"]
    settings.DEADLINE_CHECK_SECONDS = 300
    assert job.every_seconds() == 300
    settings.DEADLINE_CHECK_SECONDS = 0
    assert job.every_seconds() == 0, "0 disables it"
    job.run()
    [moment] = moments
    assert moment.tzinfo is not None
    assert abs((datetime.now(UTC) - moment).total_seconds()) < 60


def test_the_worker_goes_on_after_a_job_fails(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    stopping = threading.Event()
    runs: list[str] = []
    clock = Clock()

    def broken() -> None:
        runs.append("broken")
        clock.now += 60  # the next pass finds it due again
        if len(runs) == 2:
            stopping.set()
        raise RuntimeError("no database")

    # Only the loop and its jobs: no directory, no database.
    worker_module = "vinculo.messaging.management.commands.messaging"
    monkeypatch.setattr(Command, "_refresh_directory", lambda self: None)
    monkeypatch.setattr(f"{worker_module}.close_old_connections", lambda: None)
    monkeypatch.setattr(f"{worker_module}.handlers.process_pending", lambda: 0)
    monkeypatch.setattr(f"{worker_module}.IDLE_SECONDS", 0.01)
    schedule = periodic.Schedule(_jobs(periodic.PeriodicJob("broken", broken, every_seconds=lambda: 60)), clock=clock)
    with caplog.at_level(logging.ERROR, logger="vinculo.messaging.periodic"):
        Command()._main_loop(stopping, schedule=schedule)
    assert runs == ["broken", "broken"], "the loop went on after the first failure"
    assert len([r for r in caplog.records if r.name == "vinculo.messaging.periodic"]) == 2


@pytest.mark.django_db
def test_one_pass_of_the_worker_runs_the_registered_jobs(monkeypatch: pytest.MonkeyPatch, settings) -> None:  # type: ignore[no-untyped-def]
    runs: list[str] = []
    monkeypatch.setattr(Command, "_refresh_directory", lambda self: None)
    monkeypatch.setattr(Command, "_deliver_due", lambda self, name, batch, stopping: None)
    monkeypatch.setattr(
        periodic,
        "JOBS",
        _jobs(
            periodic.PeriodicJob("on", lambda: runs.append("on"), every_seconds=lambda: 300),
            periodic.PeriodicJob("off", lambda: runs.append("off"), every_seconds=lambda: 0),
        ),
    )
    call_command("messaging", "worker", "--once")
    assert runs == ["on"]
