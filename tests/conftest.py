"""Fixtures for the cross-module tests in tests/ (the personas live in the top-level conftest.py)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connections

if TYPE_CHECKING:
    from tests.federation_harness import Federation

# --- Browser -------------------------------------------------------------------------
# Playwright's sync API runs an asyncio event loop in the test's thread, so Django sees
# "an async context" and would refuse ORM calls made by the test itself (factories, checks
# on the database); they are plain synchronous calls, so allow them.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CSP_MARKER = "Content Security Policy"


def screenshot_dir(config: pytest.Config) -> Path:
    directory = config.rootpath / "test-artifacts" / "screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def screenshot_name(test_name: str, suffix: str = "") -> str:
    """``test_x[node_admin]`` → ``test_x-node_admin.png``; safe on every file system."""
    name = test_name.replace("[", "-").replace("]", "")
    if suffix:
        name = f"{name}--{suffix}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".png"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (which never downloads a browser here)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (Debian: apt-get install chromium); the browser tests need it."
        if os.environ.get("VINCULO_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " VINCULO_REQUIRE_BROWSER=1, so this is a failure.")
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do (Playwright's own default is 5 s): on a busy 2-core
    # machine a sign-in with its redirects can take longer than that without anything being wrong.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
            # While Playwright's event loop runs, asgiref hands out connection objects of
            # their own; close them here, or they keep the test database busy when pytest
            # drops it at the end of the run.
            connections.close_all()
    connections.close_all()


class BrowserSession:
    """One browser context on the live server, with what the page logged to its console."""

    def __init__(self, browser: Any, base_url: str, request: pytest.FixtureRequest) -> None:
        # An English browser: the node must still answer in Spanish (it ignores Accept-Language).
        self.context = browser.new_context(base_url=base_url, locale="en-US", viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(15_000)
        self.request = request
        self.console: list[str] = []
        self.page = self.new_page()

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        return page

    @property
    def csp_violations(self) -> list[str]:
        return [line for line in self.console if CSP_MARKER in line]

    def screenshot(self, suffix: str = "") -> Path:
        """A full-page screenshot in test-artifacts/screenshots/<test-name>[--suffix].png."""
        path = screenshot_dir(self.request.config) / screenshot_name(self.request.node.name, suffix)
        self.page.screenshot(path=str(path), full_page=True)
        return path


def load_reference_data() -> None:
    """The offices (a flush re-creates them through post_migrate; this makes sure of it)."""
    from vinculo.accounts.models import Office
    from vinculo.accounts.offices import load_offices

    load_offices(Office)


@pytest.fixture
def session(
    browser: Any, live_server: Any, transactional_db: None, request: pytest.FixtureRequest
) -> Iterator[BrowserSession]:
    """A fresh browser context on the live server.

    The live server needs committed data, so these tests are transactional, and the flush
    after each transactional test (ours, or any other module's) empties every table: the
    reference data the migrations load is put back first. Serialized rollback would do it
    generically but breaks here: after another module's transactional test the flush has
    re-created the content types, and restoring the serialized ones then collides with
    them; and while Playwright's loop runs, asgiref gives the test new connection objects,
    which lack the serialized contents anyway.

    On the way out a full-page screenshot is saved as <test-name>.png, and any Content
    Security Policy violation the browser reported fails the test.
    """
    load_reference_data()
    browser_session = BrowserSession(browser, live_server.url, request)
    try:
        yield browser_session
        browser_session.screenshot()
        assert not browser_session.csp_violations, "CSP violations:\n" + "\n".join(browser_session.csp_violations)
    finally:
        browser_session.context.close()


@pytest.fixture
def page(session: BrowserSession) -> Any:
    return session.page


# --- A federation of real node processes (tests/federation_harness.py) -----------------


@pytest.fixture(scope="session")
def federation_snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The hub and two offices set up once per session (per xdist worker): their folder and base port."""
    from tests.federation_harness import build_snapshot

    # The xdist workers of one run share the parent of their temporary folders; a run without
    # workers keeps to its own.
    own = tmp_path_factory.getbasetemp()
    shared = own.parent if os.environ.get("PYTEST_XDIST_WORKER") else own
    return build_snapshot(tmp_path_factory.mktemp("federation-snapshot"), shared=shared)


@pytest.fixture
def federation(federation_snapshot: tuple[Path, int], tmp_path: Path) -> Iterator[Federation]:
    """A fresh copy of the snapshot for this test; every process it starts is stopped at the end."""
    from tests.federation_harness import federation_in

    snapshot, base_port = federation_snapshot
    with federation_in(snapshot, tmp_path / "federation", base_port) as network:
        yield network
