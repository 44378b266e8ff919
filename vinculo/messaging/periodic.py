"""Jobs the delivery worker runs every so often on behalf of other modules.

Modules register a job with how often it is due (``register("exchanges.deadlines", check,
every_seconds=...)``, from their ``AppConfig.ready``), so messaging runs them without importing
the modules that own them. The interval is read each time the worker looks, so it follows the
settings; 0 or less disables the job. A job runs on the worker's first pass, then once its
interval has passed since it last started. A job that fails is logged and waits its interval
like one that succeeded (a database that is down is not hammered every second); the worker and
the other jobs go on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[], object]
    every_seconds: Callable[[], float]  # read at each look: 0 or less disables the job


JOBS: dict[str, PeriodicJob] = {}


def register(name: str, run: Callable[[], object], *, every_seconds: Callable[[], float]) -> None:
    """Have the delivery worker call ``run()`` every ``every_seconds()`` seconds (0: never)."""
    JOBS[name] = PeriodicJob(name=name, run=run, every_seconds=every_seconds)


class Schedule:
    """When each job last started, for one worker; ``run_due`` runs those whose time has come."""

    def __init__(
        self, jobs: Mapping[str, PeriodicJob] | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._jobs = JOBS if jobs is None else jobs
        self._clock = clock
        self._started: dict[str, float] = {}

    def run_due(self) -> list[str]:
        """Run every job that is due, one after the other; the names of those that ran (failed or not)."""
        ran = []
        for job in list(self._jobs.values()):
            every = job.every_seconds()
            if every <= 0:
                continue
            now = self._clock()
            started = self._started.get(job.name)
            if started is not None and now - started < every:
                continue
            self._started[job.name] = now
            try:
                job.run()
            except Exception:
                log.exception("periodic job %s failed; it runs again in %s s", job.name, every)
            ran.append(job.name)
        return ran
