"""An alert from SV to GT and HN, and a joint team of SV and GT, through the pages in a real browser.

SV's prosecutor sends an alert marked H2 to GT and HN; GT's focal point acknowledges it; SV's
prosecutor sees which office acknowledged it; GT's prosecutor tries to pass it on to HN and is
refused under H2, with the consent request ready to send. Then SV's prosecutor forms a team with
GT, posts a message and a task for GT, and GT's prosecutor marks the task done. One live server
serves the three offices through the in-process network (as tests/browser/test_exchanges.py);
every page is also read at 360 px, with screenshots of each.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.helpers import navigation_links, translated
from tests.browser.test_exchanges import Offices, People, _check, _press
from tests.conftest import BrowserSession
from vinculo.accounts.models import Office, User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import Broadcast, JointTeam, TeamItem
from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser

NARROW = {"width": 360, "height": 800}


def test_an_alert_is_acknowledged_and_kept_from_onward_transmission_and_a_team_works_through_the_pages(
    session: BrowserSession,
    page: Any,
    net: FakeNetwork,  # noqa: F811
    settings: Any,
    live_server: Any,
) -> None:
    offices = Offices(net, settings)
    people = People(session, live_server.url)
    sv_prosecutor = UserFactory(username="sv.fiscal", full_name="Ana Morales Castillo", roles=[Role.PROSECUTOR],
                                with_totp=True)  # fmt: skip
    gt_focal_point = UserFactory(username="gt.enlace", full_name="Julio Pérez Ajú", office_code="GT-MP",
                                 roles=[Role.FOCAL_POINT], with_totp=True)  # fmt: skip
    gt_prosecutor = UserFactory(username="gt.fiscal", full_name="Lucía Tzul Xec", office_code="GT-MP",
                                roles=[Role.PROSECUTOR], with_totp=True)  # fmt: skip
    try:
        _alert(offices, people, sv_prosecutor, gt_focal_point, gt_prosecutor)
        _team(offices, people, sv_prosecutor, gt_prosecutor)
    finally:
        people.close()


def _shoot(people: People, page: Any, name: str) -> None:
    people.shoot(page, f"alerts-{name}")


def _alert(offices: Offices, people: People, sv_prosecutor: User, gt_focal_point: User, gt_prosecutor: User) -> None:
    # --- SV's prosecutor sends the alert ------------------------------------------------------------
    sv = people.page_of(sv_prosecutor)
    assert navigation_links(sv).get(reverse("exchanges:request_list")) == translated("Exchanges", "es")
    sv.goto(reverse("exchanges:request_list"))
    _press(sv, ".area-nav a[href$='/exchanges/broadcasts/']")
    _check(sv, "alerts list, empty")
    _press(sv, "main a[href$='/broadcasts/new/?kind=alert']")
    _check(sv, "alert form")
    expect(sv.locator("input[name=kind][value=alert]")).to_be_checked()
    _press(sv, "main form button[type=submit]")  # nothing filled in: every error shown
    expect(sv.locator(".field-error").first).to_be_visible()
    expect(sv.locator("main")).to_contain_text("Este campo es obligatorio.")
    _shoot(people, sv, "sv-compose-errors")

    sv.locator("input[name=recipients][value=GT-MP]").check()
    sv.locator("input[name=recipients][value=HN-MP]").check()
    sv.locator("select[name=category]").select_option("child_at_risk")
    sv.locator("input[name=subject]").fill("Niña posiblemente trasladada hacia El Florido")
    sv.locator("textarea[name=text]").fill(
        "Una niña de 13 años, vista con un adulto no familiar en la terminal de San Salvador, viaja hacia"
        " la frontera de El Florido esta noche en un autobús de la línea Pullmantur."
    )
    for code in ("H2", "H3"):
        sv.locator(f"input[name=handling][value={code}]").check()
    sv.locator("textarea[name=conditions]").fill("Sólo para la protección de la niña; no se comparte con la prensa.")
    sv.locator("select[name=source_grade]").select_option("B")
    sv.locator("select[name=information_grade]").select_option("2")
    _shoot(people, sv, "sv-compose-filled")
    _press(sv, "main form button[type=submit]")
    expect(sv.locator(".message-success")).to_be_visible()
    sent = Broadcast.objects.get(side=Side.OUTGOING)
    assert sent.recipients_named == ["GT-MP", "HN-MP"]
    expect(sv.locator(".subtitle .badge-alert")).to_be_visible()
    expect(sv.locator(".conditions")).to_contain_text("no se comparte con la prensa")
    _check(sv, "alert sent")
    _shoot(people, sv, "sv-sent")

    deliver_everywhere(offices.net)

    # --- GT's focal point acknowledges it -----------------------------------------------------------
    with offices.of("GT-MP"):
        desk = people.page_of(gt_focal_point)
        desk.goto(reverse("exchanges:broadcast_list"))
        _check(desk, "alerts received")
        first = desk.locator("main tbody tr").first
        expect(first.locator(".badge-alert")).to_have_text(translated("ALERT", "es"))
        expect(first.locator(".tag-warn")).to_be_visible()  # not acknowledged yet
        _shoot(people, desk, "gt-list")
        _press(desk, "main tbody a")
        expect(desk.locator(".sealed-text")).to_contain_text("Pullmantur")
        _check(desk, "alert received")
        _shoot(people, desk, "gt-received")
        _press(desk, "form[action$='/acknowledge/'] button")
        expect(desk.locator(".message-success")).to_be_visible()
        expect(desk.locator("section[aria-labelledby=ack-heading]")).to_contain_text("Julio Pérez Ajú")
        _shoot(people, desk, "gt-acknowledged")
    deliver_everywhere(offices.net)

    # --- SV sees who acknowledged it -------------------------------------------------------------------
    sv.goto(reverse("exchanges:broadcast_detail", args=[sent.pk]))
    rows = sv.locator("table.deliveries tbody tr")
    expect(rows).to_have_count(2)
    gt_row = rows.filter(has_text="Guatemala")
    hn_row = rows.filter(has_text="Honduras")
    expect(gt_row.locator("td").nth(1).locator(".tag-ok")).to_be_visible()
    expect(hn_row.locator("td").nth(0).locator(".tag-ok")).to_be_visible()  # delivered
    expect(hn_row.locator("td").nth(1).locator(".tag-warn")).to_be_visible()  # not acknowledged yet
    _check(sv, "acknowledgements")
    _shoot(people, sv, "sv-acknowledgements")
    sv.goto(reverse("exchanges:broadcast_list") + "?side=outgoing")
    _check(sv, "alerts sent")
    _shoot(people, sv, "sv-list")

    # --- GT's prosecutor tries to pass it on to HN: H2 refuses --------------------------------------
    with offices.of("GT-MP"):
        received = Broadcast.objects.get(side=Side.INCOMING, office__code="GT-MP")
        gt = people.page_of(gt_prosecutor)
        gt.goto(reverse("exchanges:broadcast_detail", args=[received.pk]))
        gt.locator("#steps details.step summary").first.click()
        forward = gt.locator("form[action$='/forward/']")
        forward.locator("input[name=recipients][value=HN-MP]").check()
        forward.locator("textarea[name=note]").fill("Honduras investiga la misma red.")
        sent_before = Broadcast.objects.filter(side=Side.OUTGOING).count()
        _press(gt, "form[action$='/forward/'] button[type=submit]")
        honduras = Office.objects.get(code="HN-MP").name_es
        expect(gt.locator("form[action$='/forward/'] .errorlist.nonfield")).to_contain_text(honduras)
        expect(gt.locator(".message-error")).to_be_visible()
        assert Broadcast.objects.filter(side=Side.OUTGOING).count() == sent_before
        ask = gt.locator("form[action$='/consent/']")
        expect(ask).to_be_visible()  # opened, ready to ask for Honduras
        expect(ask.locator("input[name=kind][value=onward]")).to_be_checked()
        expect(ask.locator("select[name=recipient]")).to_have_value("HN-MP")
        _check(gt, "forward refused")
        _shoot(people, gt, "gt-forward-blocked")
        ask.locator("textarea[name=reason]").fill("Honduras investiga la misma red de traslado.")
        _press(gt, "form[action$='/consent/'] button[type=submit]")
        expect(gt.locator(".message-success")).to_be_visible()
        expect(gt.locator(".consents-asked")).to_contain_text("Honduras")
        _shoot(people, gt, "gt-consent-asked")
        gt.goto(reverse("exchanges:consent_list"))
        _check(gt, "consents asked")
        _shoot(people, gt, "gt-consents")

    # --- the same pages on a phone -------------------------------------------------------------------
    sv.set_viewport_size(NARROW)
    for name, url in (
        ("list", reverse("exchanges:broadcast_list") + "?side=outgoing"),
        ("compose", reverse("exchanges:broadcast_create") + "?kind=alert"),
        ("sent", reverse("exchanges:broadcast_detail", args=[sent.pk])),
    ):
        sv.goto(url)
        _check(sv, f"SV {name} at 360 px")
        _shoot(people, sv, f"sv-{name}-360")
    sv.set_viewport_size({"width": 1280, "height": 900})
    with offices.of("GT-MP"):
        gt.set_viewport_size(NARROW)
        for name, url in (
            ("list", reverse("exchanges:broadcast_list")),
            ("received", reverse("exchanges:broadcast_detail", args=[received.pk])),
            ("consents", reverse("exchanges:consent_list")),
        ):
            gt.goto(url)
            _check(gt, f"GT {name} at 360 px")
            _shoot(people, gt, f"gt-{name}-360")
        gt.set_viewport_size({"width": 1280, "height": 900})


def _team(offices: Offices, people: People, sv_prosecutor: User, gt_prosecutor: User) -> None:
    # --- SV forms a team with GT, posts a message and a task ---------------------------------------
    sv = people.page_of(sv_prosecutor)
    sv.goto(reverse("exchanges:team_list"))
    _check(sv, "teams, empty")
    _press(sv, "main a[href$='/teams/new/']")
    sv.locator("input[name=name]").fill("Operación Frontera Sur")
    sv.locator("input[name=members][value=GT-MP]").check()
    _shoot(people, sv, "team-form")
    _press(sv, "main form button[type=submit]")
    expect(sv.locator(".message-success")).to_be_visible()
    team = JointTeam.objects.get(office__code="SV-FGR")
    post = sv.locator("form[action$='/post/']")
    post.locator("textarea[name=text]").fill("Propongo una reunión técnica por videoconferencia el lunes a las 9:00.")
    _press(sv, "form[action$='/post/'] button[type=submit]")
    sv.locator("#post summary").click()
    post.locator("textarea[name=text]").fill("Solicitar a migración los registros de salida por El Florido, enero.")
    post.locator("select[name=task_owner]").select_option("GT-MP")
    post.locator("input[name=task_due_on]").fill("2026-12-15")
    post.locator("input[name=handling][value=H2]").check()
    _press(sv, "form[action$='/post/'] button[type=submit]")
    expect(sv.locator("ol.thread > li")).to_have_count(2)
    expect(sv.locator("ol.thread > li.is-task .tag-h2")).to_be_visible()
    _check(sv, "team page")
    _shoot(people, sv, "team-sv")
    deliver_everywhere(offices.net)

    # --- GT marks the task done ------------------------------------------------------------------------
    with offices.of("GT-MP"):
        gt = people.page_of(gt_prosecutor)
        gt.goto(reverse("exchanges:team_list"))
        _check(gt, "GT teams")
        _shoot(people, gt, "team-gt-list")
        _press(gt, "main tbody a")
        expect(gt.locator(".members")).to_contain_text(translated("lead", "es"))
        expect(gt.locator("form[action$='/add-member/']")).to_have_count(0)  # only the lead adds offices
        _press(gt, "ol.thread form[action$='/done/'] button")
        expect(gt.locator(".message-success")).to_be_visible()
        expect(gt.locator("ol.thread > li.is-task.is-done")).to_have_count(1)
        _check(gt, "GT team page")
        _shoot(people, gt, "team-gt-done")
        gt.set_viewport_size(NARROW)
        gt.reload()
        _check(gt, "GT team at 360 px")
        _shoot(people, gt, "team-gt-360")
    deliver_everywhere(offices.net)
    assert team.items.get(kind=TeamItem.Kind.TASK).task_status == TeamItem.TaskStatus.DONE
    sv.reload()
    expect(sv.locator("ol.thread > li.is-task.is-done")).to_have_count(1)
    sv.set_viewport_size(NARROW)
    for name, url in (
        ("list", reverse("exchanges:team_list")),
        ("team", reverse("exchanges:team_detail", args=[team.pk])),
    ):
        sv.goto(url)
        _check(sv, f"team {name} at 360 px")
        _shoot(people, sv, f"team-sv-{name}-360")
