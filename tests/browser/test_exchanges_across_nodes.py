"""Exchanges between real office nodes, through their pages in a real browser (screenshots of each step).

The hub and four offices (GT-MP, SV-FGR, HN-MP and CR-MP) run as their own processes on the
loopback interface, each with its gunicorn server and delivery worker (tests/federation_harness.py),
and each office is seeded with the demo's accounts (``seed_demo``). One browser context per person
signs in on that person's own node:

1. SV's prosecutor composes an information request to GT and sends it; the page shows it sent,
   then delivered once GT's signed receipt is back.
2. GT's focal point finds it at the desk, acknowledges it and assigns it to GT's prosecutor.
3. With the clock moved past its deadline (``vinculo exchanges deadlines --at``), the request,
   still unanswered, is escalated: GT's focal point sees it in the request's timeline (and the
   focal points are told by e-mail).
4. GT's prosecutor answers it completely, with a file.
5. SV's prosecutor reads the answer, downloads the file (the very bytes GT sent) and sees every
   step in the timeline with its signed evidence; GT's page shows SV's receipt of each of its steps.
6. SV's prosecutor sends an alert marked H2 to GT, HN and CR; GT's and HN's focal points
   acknowledge it, CR's does not; SV's page shows who did.
7. GT's prosecutor tries to pass the alert on to HN: H2 refuses, and the consent request is offered.

Screenshots: test-artifacts/screenshots/nodes-NN-*.png.
"""

from __future__ import annotations

import contextlib
import csv
import email
import email.policy
import hashlib
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import override_settings
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.helpers import enter_password, path_pattern, translated
from tests.browser.test_exchanges import UNNAMED_CONTROLS
from tests.conftest import CSP_MARKER, screenshot_dir
from tests.federation_harness import CR, GT, HN, HUB, SV, Federation, build_snapshot, federation_in
from tests.test_demo_network import ROOT
from vinculo.accounts.roles import Role
from vinculo.demo.management.commands.seed_demo import DEMO_PASSWORD, demo_username
from vinculo.exchanges.lifecycle import State
from vinculo.exchanges.models import InformationRequest
from vinculo.exchanges.services.consents import FORWARD_BLOCKED
from vinculo.exchanges.services.deadlines import OVERDUE_SUBJECT
from vinculo.exchanges.views.requests import STEP_LABELS
from vinculo.notifications.kinds import KINDS

# The nodes keep their own SQLite databases whatever the database under test (as in
# tests/test_federation_faults.py): the PostgreSQL pass would only repeat this.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="node processes use their own SQLite databases; run in the SQLite pass"
    ),
]

MEMBERS = (HUB, GT, SV, HN, CR)
OFFICES = (GT, SV, HN, CR)
WAIT_SECONDS = 60.0  # for a message to travel and be handed on (the workers poll; two busy CPUs)
RELOAD_PAUSE = 0.5
ES = "es"

REQUEST_SUBJECT = "Movimientos migratorios, expediente entre nodos"
ALERT_SUBJECT = "Adolescente posiblemente trasladado por Agua Caliente"
REPORT_NAME = "informe-movimientos-migratorios.txt"
REPORT = (
    "Informe de movimientos migratorios (documento sintético de prueba)\n"
    + "".join(f"{day:02d}/01/2026 entrada por El Florido, pasaporte SV-0{day:04d}\n" for day in range(1, 41))
).encode()


# --- the nodes -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def five_node_snapshot(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """The hub and the four offices set up once for this module: their folder and base port."""
    own = tmp_path_factory.getbasetemp()
    shared = own.parent if os.environ.get("PYTEST_XDIST_WORKER") else own
    return build_snapshot(tmp_path_factory.mktemp("federation-five"), shared=shared, members=MEMBERS)


@pytest.fixture
def nodes(five_node_snapshot: tuple[Path, int], tmp_path: Path) -> Iterator[Federation]:
    """The five nodes, each office with the demo accounts, serving and delivering; all stopped at the end."""
    snapshot, base_port = five_node_snapshot
    with federation_in(snapshot, tmp_path / "federation", base_port, MEMBERS) as federation:
        # One synthetic case each: seed_demo's accounts are what this test needs (its demo
        # exchanges between the offices are queued too, and travel once the workers start).
        federation.run_each({office: ["seed_demo", "--cases", "1"] for office in OFFICES})
        federation.start_servers(*MEMBERS)
        for node_id in MEMBERS:
            federation.start_worker(node_id)
        yield federation


# --- people in the browser -------------------------------------------------------------------------


def username(node_id: str, role: Role) -> str:
    """The demo account of ``role`` on the office node (as the demo network's login table names it)."""
    with override_settings(NODE_ROLE="office", NODE_ID=node_id):
        return demo_username(role)


class People:
    """One browser context per person, on that person's own node; what their pages log, for the CSP check."""

    def __init__(self, browser: Any, federation: Federation, request: pytest.FixtureRequest) -> None:
        self.browser, self.federation, self.request = browser, federation, request
        self.console: list[str] = []
        self.contexts: list[Any] = []

    def sign_in(self, node_id: str, role: Role) -> Any:
        context = self.browser.new_context(
            base_url=self.federation.nodes[node_id].url.rstrip("/"),
            locale="en-US",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: self.console.append(f"{node_id} {message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"{node_id} pageerror: {error}"))
        enter_password(page, username(node_id, role), DEMO_PASSWORD)  # demo accounts: no second factor
        expect(page).to_have_url(path_pattern(reverse("web:home")))
        return page

    def full_name(self, node_id: str, role: Role) -> str:
        [[name]] = self.federation.sql(
            node_id, "SELECT full_name FROM accounts_user WHERE username = ?", [username(node_id, role)]
        )
        return str(name)

    def shoot(self, page: Any, name: str) -> None:
        page.screenshot(path=str(screenshot_dir(self.request.config) / f"nodes-{name}.png"), full_page=True)

    def close(self) -> None:
        for context in self.contexts:
            with contextlib.suppress(Exception):
                context.close()

    @property
    def csp_violations(self) -> list[str]:
        return [line for line in self.console if CSP_MARKER in line]


def _check(page: Any, what: str) -> None:
    """A page with its heading and every control named (as tests/browser/test_exchanges.py checks)."""
    expect(page.locator("main h1")).to_be_visible()
    assert page.evaluate(UNNAMED_CONTROLS) == [], what


def _press(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def _reload_until(federation: Federation, page: Any, locator: Any, what: str, *, timeout: float = WAIT_SECONDS) -> None:
    """Reload the page until ``locator`` finds something visible; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if locator.count() and locator.first.is_visible():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"Waited {timeout:.0f} s for {what} ({page.url}).\n{federation.logs()}")
        time.sleep(RELOAD_PAUSE)
        page.reload()


def _prefix(msgid: str) -> str:
    """The Spanish text of a message with a placeholder, up to that placeholder."""
    return re.split(r"%\(\w+\)s", translated(msgid, ES))[0].strip()


def _emails(console: str) -> list[EmailMessage]:
    """The e-mails Django's console backend wrote (each followed by a line of 79 dashes)."""
    parts = [part.strip() for part in console.split("-" * 79)]
    return [
        message
        for part in parts
        if part.startswith("Content-Type:")
        and isinstance(message := email.message_from_string(part, policy=email.policy.default), EmailMessage)
    ]


def _state(state: State) -> str:
    return translated(InformationRequest.STATE_LABELS[state], ES)


# --- the test --------------------------------------------------------------------------------------


def test_a_request_an_alert_and_an_escalation_between_real_nodes_through_the_pages(
    browser: Any, nodes: Federation, request: pytest.FixtureRequest
) -> None:
    people = People(browser, nodes, request)
    try:
        _walk(nodes, people)
        assert not people.csp_violations, "CSP violations:\n" + "\n".join(people.csp_violations)
    finally:
        people.close()


def _walk(federation: Federation, people: People) -> None:
    sv = people.sign_in(SV, Role.PROSECUTOR)
    gt_desk = people.sign_in(GT, Role.FOCAL_POINT)
    gt_prosecutor_name = people.full_name(GT, Role.PROSECUTOR)

    # --- 1. SV's prosecutor composes the request to GT and sends it ----------------------------------
    sv.goto(reverse("exchanges:request_create"))
    _check(sv, "compose")
    sv.locator("select[name=counterpart]").select_option(GT)
    sv.locator("select[name=request_type]").select_option("migration_movements")
    sv.locator("input[name=subject]").fill(REQUEST_SUBJECT)
    sv.locator("input[name=legal_basis]").fill("Memorando de Entendimiento, art. 4; Código Procesal Penal, art. 270")
    sv.locator("input[name=urgency][value=urgent]").check()
    sv.locator("textarea[name=text]").fill(
        "Solicitamos los movimientos migratorios de Marleny Quintanilla Ruiz entre enero y marzo de 2026."
    )
    sv.locator("textarea[name=items]").fill("Entradas y salidas por El Florido\nDocumento de viaje usado")
    for code in ("H0", "H3"):
        sv.locator(f"input[name=handling][value={code}]").check()
    sv.locator("input[name=purpose]").fill("Investigación de una red de trata (datos sintéticos)")
    sv.locator("textarea[name=conditions]").fill("Respuesta sólo al fiscal del caso.")
    sv.locator("select[name=source_grade]").select_option("B")
    sv.locator("select[name=information_grade]").select_option("2")
    people.shoot(sv, "01-sv-compose")
    _press(sv, "button[name=then][value=send]")
    expect(sv.locator(".message-success")).to_contain_text(translated("The request has been sent.", ES))
    expect(sv.locator("main h1")).to_have_text(REQUEST_SUBJECT)
    # Sent; GT's receipt may already be back by the time the page is drawn.
    sent_or_delivered = "|".join(re.escape(_state(state)) for state in (State.SENT, State.DELIVERED))
    expect(sv.locator(".subtitle .state")).to_have_text(re.compile(rf"^({sent_or_delivered})$"))
    request_url = sv.url
    people.shoot(sv, "02-sv-sent")
    # Delivered once GT's node has given its signed receipt (SV's worker posts it to GT's inbox).
    _reload_until(
        federation, sv, sv.locator(".subtitle .state", has_text=_state(State.DELIVERED)), "GT's receipt at SV"
    )
    delivered = sv.locator(".exchange-timeline li.step-deliver")
    expect(delivered.locator(".evidence")).to_contain_text(_prefix("Signed receipt received at %(at)s."))
    _check(sv, "request delivered")
    people.shoot(sv, "03-sv-delivered")

    # --- 2. GT's focal point acknowledges it and assigns it -------------------------------------------
    gt_desk.goto(reverse("exchanges:desk"))
    triage = gt_desk.locator("section[aria-labelledby=triage-heading]")
    _reload_until(federation, gt_desk, triage.get_by_role("link", name=REQUEST_SUBJECT), "the request at GT's desk")
    _check(gt_desk, "desk")
    people.shoot(gt_desk, "04-gt-desk")
    with gt_desk.expect_navigation():
        triage.get_by_role("link", name=REQUEST_SUBJECT).click()
    expect(gt_desk.locator(".sealed-text")).to_contain_text("Marleny Quintanilla Ruiz")
    incoming_url = gt_desk.url
    _check(gt_desk, "incoming request")
    people.shoot(gt_desk, "05-gt-incoming")
    _press(gt_desk, "form[action$='/acknowledge/'] button")
    expect(gt_desk.locator(".message-success")).to_be_visible()
    expect(gt_desk.locator(".subtitle .state")).to_have_text(_state(State.ACKNOWLEDGED))
    gt_desk.locator("select[name=person]").select_option(label=gt_prosecutor_name)
    _press(gt_desk, "form[action$='/assign/'] button[type=submit]")
    expect(gt_desk.locator(".message-success")).to_contain_text(gt_prosecutor_name)
    expect(gt_desk.locator(".subtitle .state")).to_have_text(_state(State.IN_PROGRESS))
    people.shoot(gt_desk, "06-gt-assigned")

    # --- 3. Still unanswered past its deadline: the clock moved, GT escalates it -----------------------
    [[due_at]] = federation.sql(
        GT, "SELECT due_at FROM exchanges_informationrequest WHERE side = 'incoming' AND subject = ?", [REQUEST_SUBJECT]
    )
    moment = datetime.fromisoformat(due_at).replace(tzinfo=UTC) + timedelta(hours=1)
    checked = federation.run(GT, "exchanges", "deadlines", "--at", moment.isoformat())
    assert re.search(r"\b[1-9]\d* escalated\b", checked.stdout), checked.stdout
    # The focal points (and whoever holds it) are told by e-mail: the console backend's output.
    told = {
        str(message["To"])
        for message in _emails(checked.stdout)
        if str(message["Subject"]) == translated(OVERDUE_SUBJECT, ES) and REQUEST_SUBJECT in message.get_content()
    }
    assert told == {f"{username(GT, role)}@demo.invalid" for role in (Role.FOCAL_POINT, Role.PROSECUTOR)}, (
        checked.stdout
    )
    gt_desk.goto(incoming_url)
    escalation = gt_desk.locator(".exchange-timeline li.step-escalation")
    expect(escalation).to_contain_text(translated(STEP_LABELS["escalation"], ES))
    people.shoot(gt_desk, "07-gt-escalated")
    gt_desk.goto(reverse("exchanges:desk"))
    # With the overdue ones at the desk, marked escalated, although the reader's clock says it is not due yet.
    overdue = gt_desk.locator("section[aria-labelledby=overdue-heading]")
    expect(overdue.get_by_role("link", name=REQUEST_SUBJECT)).to_be_visible()
    expect(overdue).to_contain_text(translated("escalated", ES))
    people.shoot(gt_desk, "08-gt-desk-after-escalation")
    gt_desk.goto(reverse("notifications:list"))
    overdue_text = translated(KINDS["request.overdue"].text, ES)
    overdue_notice = overdue_text % {"office": _name_es(SV), "subject": REQUEST_SUBJECT}
    expect(gt_desk.locator("main")).to_contain_text(overdue_notice)
    people.shoot(gt_desk, "09-gt-notifications")

    # --- 4. GT's prosecutor answers it, with a file -----------------------------------------------------
    gt = people.sign_in(GT, Role.PROSECUTOR)
    gt.goto(incoming_url)
    _check(gt, "assigned request")
    form = gt.locator("form[action$='/answer/']")
    form.locator("textarea[name=text]").fill(
        "Registra dos entradas por El Florido (12 y 30 de enero) y una salida por Pedro de Alvarado el 2 de marzo,"
        " con pasaporte salvadoreño. Se adjunta el informe."
    )
    form.locator("input[name=completeness][value=complete]").check()
    form.locator("input[name=handling][value=H1]").check()
    form.locator("select[name=source_grade]").select_option("A")
    form.locator("select[name=information_grade]").select_option("1")
    form.locator("input[name=files]").set_input_files(
        [{"name": REPORT_NAME, "mimeType": "text/plain", "buffer": REPORT}]
    )
    people.shoot(gt, "10-gt-answer-form")
    _press(gt, "form[action$='/answer/'] button[type=submit]")
    expect(gt.locator(".message-success")).to_contain_text(translated("The answer has been sent.", ES))
    expect(gt.locator(".subtitle .state")).to_have_text(_state(State.ANSWERED))
    expect(gt.locator("#steps")).to_have_count(0)  # answered: nothing more to do
    people.shoot(gt, "11-gt-answered")

    # --- 5. SV reads the answer, downloads the file and sees every signed step ----------------------------
    sv.goto(request_url)
    _reload_until(federation, sv, sv.locator(".subtitle .state", has_text=_state(State.ANSWERED)), "the answer at SV")
    expect(sv.locator(".answer .sealed-text")).to_contain_text("Pedro de Alvarado")
    link = sv.locator(".answer ul.files a", has_text=REPORT_NAME)
    _reload_until(federation, sv, link, "the answer's file at SV")
    report_sha256 = hashlib.sha256(REPORT).hexdigest()
    expect(sv.locator(".answer ul.files li", has_text=REPORT_NAME)).to_contain_text(report_sha256[:12])
    with sv.expect_download() as download:
        link.click()
    downloaded = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(downloaded).hexdigest() == report_sha256, "the bytes GT sent"
    timeline = sv.locator(".exchange-timeline")
    expect(timeline.locator("li.step-send")).to_have_count(1)
    expect(timeline.locator("li.step-deliver .evidence")).to_contain_text(_prefix("Signed receipt received at %(at)s."))
    arrived = _prefix("Arrived in a signed message at %(at)s; this node gave its receipt.")
    for step, label in (
        ("acknowledge", STEP_LABELS["acknowledge"]),
        ("assign", STEP_LABELS["assign"]),
        ("answer", STEP_LABELS["answer"]),
    ):
        entry = timeline.locator(f"li.step-{step}")
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text(translated(label, ES))
        expect(entry.locator(".evidence")).to_contain_text(arrived)
    _check(sv, "answered request")
    people.shoot(sv, "12-sv-answered")
    # And GT holds SV's signed receipt of each of its steps.
    gt.goto(incoming_url)
    received = _prefix("Signed receipt received at %(at)s.")
    for step in ("acknowledge", "assign", "answer"):
        _reload_until(
            federation,
            gt,
            gt.locator(f".exchange-timeline li.step-{step} .evidence", has_text=received),
            f"SV's receipt of GT's {step}",
        )
    people.shoot(gt, "13-gt-receipts")

    # --- 6. SV sends an H2 alert to GT, HN and CR; GT and HN acknowledge it ------------------------------
    sv.goto(reverse("exchanges:broadcast_create") + "?kind=alert")
    _check(sv, "alert form")
    expect(sv.locator("input[name=kind][value=alert]")).to_be_checked()
    for office in (GT, HN, CR):
        sv.locator(f"input[name=recipients][value={office}]").check()
    sv.locator("select[name=category]").select_option("child_at_risk")
    sv.locator("input[name=subject]").fill(ALERT_SUBJECT)
    sv.locator("textarea[name=text]").fill(
        "Un adolescente de 14 años, visto con un adulto no familiar en la terminal de San Salvador, viaja hacia el"
        " puesto fronterizo de Agua Caliente esta noche."
    )
    for code in ("H2", "H3"):
        sv.locator(f"input[name=handling][value={code}]").check()
    sv.locator("textarea[name=conditions]").fill("Sólo para la protección del adolescente.")
    sv.locator("select[name=source_grade]").select_option("B")
    sv.locator("select[name=information_grade]").select_option("2")
    people.shoot(sv, "14-sv-alert-compose")
    _press(sv, "main form button[type=submit]")
    expect(sv.locator(".message-success")).to_be_visible()
    expect(sv.locator(".subtitle .badge-alert")).to_be_visible()
    alert_url = sv.url
    people.shoot(sv, "15-sv-alert-sent")

    hn_desk = people.sign_in(HN, Role.FOCAL_POINT)
    for node_id, desk, shot in ((GT, gt_desk, "16-gt-alert-acknowledged"), (HN, hn_desk, "17-hn-alert-acknowledged")):
        desk.goto(reverse("exchanges:broadcast_list"))
        _reload_until(federation, desk, desk.get_by_role("link", name=ALERT_SUBJECT), f"the alert at {node_id}")
        with desk.expect_navigation():
            desk.get_by_role("link", name=ALERT_SUBJECT).click()
        expect(desk.locator(".sealed-text")).to_contain_text("Agua Caliente")
        _press(desk, "form[action$='/acknowledge/'] button")
        expect(desk.locator(".message-success")).to_be_visible()
        expect(desk.locator("section[aria-labelledby=ack-heading]")).to_contain_text(
            people.full_name(node_id, Role.FOCAL_POINT)
        )
        _check(desk, f"alert acknowledged at {node_id}")
        people.shoot(desk, shot)

    sv.goto(alert_url)
    rows = sv.locator("table.deliveries tbody tr")
    expect(rows).to_have_count(3)
    acknowledged = rows.locator("td:nth-of-type(2) .tag-ok")
    _reload_until(
        federation, sv, sv.locator("table.deliveries tbody tr:has(td:nth-of-type(2) .tag-ok)").nth(1), "two acks"
    )
    expect(acknowledged).to_have_count(2)
    for name in ("Guatemala", "Honduras"):
        expect(rows.filter(has_text=name).locator("td").nth(1).locator(".tag-ok")).to_be_visible()
    costa_rica = rows.filter(has_text="Costa Rica")
    expect(costa_rica.locator("td").nth(0).locator(".tag-ok")).to_be_visible()  # delivered
    expect(costa_rica.locator("td").nth(1).locator(".tag-warn")).to_have_text(translated("not yet", ES))
    _check(sv, "acknowledgements")
    people.shoot(sv, "18-sv-alert-acknowledgements")

    # --- 7. At GT, passing the H2 alert on to HN is refused; the consent request is offered ---------------
    gt.goto(reverse("exchanges:broadcast_list"))
    with gt.expect_navigation():
        gt.get_by_role("link", name=ALERT_SUBJECT).click()
    gt.locator("details[id^=forward-] summary").click()
    forward = gt.locator("form[action$='/forward/']")
    forward.locator(f"input[name=recipients][value={HN}]").check()
    forward.locator("textarea[name=note]").fill("Honduras investiga la misma red.")
    _press(gt, "form[action$='/forward/'] button[type=submit]")
    blocked = translated(FORWARD_BLOCKED, ES) % {"office": _name_es(SV), "to": _name_es(HN)}
    expect(gt.locator("form[action$='/forward/'] .errorlist.nonfield")).to_contain_text(blocked)
    expect(gt.locator(".message-error")).to_be_visible()
    ask = gt.locator("form[action$='/consent/']")
    expect(ask).to_be_visible()
    expect(ask.locator("input[name=kind][value=onward]")).to_be_checked()
    expect(ask.locator("select[name=recipient]")).to_have_value(HN)
    _check(gt, "forward refused")
    people.shoot(gt, "19-gt-forward-blocked")
    # Nothing left GT for HN: HN holds no copy of the alert from GT.
    assert not federation.sql(HN, "SELECT 1 FROM exchanges_broadcast WHERE origin = ?", [GT])


def _name_es(code: str) -> str:
    """An office's Spanish name, as every node has it (the shipped list of offices)."""
    with (ROOT / "vinculo" / "accounts" / "data" / "offices.csv").open(encoding="utf-8") as handle:
        return next(row["name_es"] for row in csv.DictReader(handle) if row["code"] == code)
