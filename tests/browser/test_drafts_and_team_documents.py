"""A draft request changed and discarded, and a document shared in a joint team, through the pages.

SV's prosecutor saves a request as a draft, changes it, saves another and discards it; then
shares a document in a team with GT, whose prosecutor downloads it. One live server serves both
offices through the in-process network (as tests/browser/test_exchanges.py); every page is also
read at 360 px, with screenshots of each.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.helpers import translated
from tests.browser.test_exchanges import Offices, People, _check, _press
from tests.conftest import BrowserSession
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.exchanges.lifecycle import Side, State
from vinculo.exchanges.models import InformationRequest, JointTeam, TeamItem
from vinculo.exchanges.services import teams
from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture
from vinculo.messaging.tests.test_attachments import FakeTransport, transport  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser
NARROW = {"width": 360, "height": 800}
PLAN = b"%PDF-1.7\n" + b"Plan operativo conjunto (documento sintetico de demostracion)\n" * 200 + b"%%EOF\n"


def _fill_request(page: Any, subject: str) -> None:
    page.locator("select[name=counterpart]").select_option("GT-MP")
    page.locator("select[name=request_type]").select_option("identification")
    page.locator("input[name=subject]").fill(subject)
    page.locator("input[name=legal_basis]").fill("Memorando de Entendimiento, art. 4")
    page.locator("input[name=urgency][value=normal]").check()
    page.locator("textarea[name=text]").fill("Solicitamos la identificación de la persona retenida en la frontera.")
    page.locator("textarea[name=items]").fill("Nombre completo\nDocumento de identidad")


def test_a_draft_is_changed_and_discarded_and_a_team_shares_a_document_through_the_pages(
    session: BrowserSession,
    page: Any,
    net: FakeNetwork,  # noqa: F811
    transport: FakeTransport,  # noqa: F811
    settings: Any,
    live_server: Any,
    tmp_path: Path,
) -> None:
    offices = Offices(net, settings)
    people = People(session, live_server.url)
    sv_prosecutor = UserFactory(username="sv.fiscal", full_name="Ana Morales Castillo", roles=[Role.PROSECUTOR],
                                with_totp=True)  # fmt: skip
    gt_prosecutor = UserFactory(username="gt.fiscal", full_name="Lucía Tzul Xec", office_code="GT-MP",
                                roles=[Role.PROSECUTOR], with_totp=True)  # fmt: skip
    try:
        sv = people.page_of(sv_prosecutor)
        # --- a draft, changed, then sent ---------------------------------------------------------------
        sv.goto(reverse("exchanges:request_create"))
        _fill_request(sv, "Identificación, borrador")
        _press(sv, "button[name=then][value=draft]")
        draft = InformationRequest.objects.get(side=Side.OUTGOING)
        assert draft.state == State.DRAFT
        _check(sv, "draft")
        people.shoot(sv, "draft-saved")
        _press(sv, f"a[href='{reverse('exchanges:request_edit', args=[draft.pk])}']")
        _check(sv, "editing the draft")
        expect(sv.locator("input[name=subject]")).to_have_value("Identificación, borrador")
        sv.locator("input[name=subject]").fill("Identificación de persona retenida")
        document = tmp_path / "fotografia-del-documento.pdf"
        document.write_bytes(PLAN)
        sv.locator("input[name=files]").set_input_files(str(document))
        people.shoot(sv, "draft-edit")
        _press(sv, "button[name=then][value=send]")
        expect(sv.locator(".message-success")).to_be_visible()
        draft.refresh_from_db()
        assert (draft.subject, draft.state) == ("Identificación de persona retenida", State.SENT)
        expect(sv.locator("main")).to_contain_text("fotografia-del-documento.pdf")
        people.shoot(sv, "draft-sent-with-file")

        # --- another draft, discarded -----------------------------------------------------------------
        sv.goto(reverse("exchanges:request_create"))
        _fill_request(sv, "Borrador que no se enviará")
        _press(sv, "button[name=then][value=draft]")
        _press(sv, "form[action$='/discard/'] button")
        expect(sv.locator(".message-success")).to_contain_text(translated("The draft has been discarded.", "es"))
        assert not InformationRequest.objects.filter(subject="Borrador que no se enviará").exists()
        people.shoot(sv, "draft-discarded")

        # --- a document in a joint team ---------------------------------------------------------------
        team = teams.form_team(by=sv_prosecutor, name="Operación Ruta Norte", members=["GT-MP"])
        deliver_everywhere(net)
        sv.goto(reverse("exchanges:team_detail", args=[team.pk]))
        post = sv.locator("form[action$='/post/']")
        post.locator("textarea[name=text]").fill("Plan operativo para la reunión técnica del lunes.")
        post.locator("input[name=files]").set_input_files(str(document))
        people.shoot(sv, "team-document-form")
        _press(sv, "form[action$='/post/'] button[type=submit]")
        expect(sv.locator(".message-success")).to_be_visible()
        expect(sv.locator(".document-line")).to_contain_text("fotografia-del-documento.pdf")
        _check(sv, "team with a document")
        people.shoot(sv, "team-document-sent")
        deliver_everywhere(net)
        with offices.of("GT-MP"):
            gt = people.page_of(gt_prosecutor)
            gt_team = JointTeam.objects.get(team_id=team.team_id, office__code="GT-MP")
            gt.goto(reverse("exchanges:team_detail", args=[gt_team.pk]))
            _check(gt, "team at GT")
            item = TeamItem.objects.get(team=gt_team)
            with gt.expect_download() as download_info:
                gt.locator(f"a[href='{reverse('exchanges:team_document', args=[gt_team.pk, item.pk])}']").click()
            saved = tmp_path / "downloaded.pdf"
            download_info.value.save_as(saved)
            assert hashlib.sha256(saved.read_bytes()).hexdigest() == hashlib.sha256(PLAN).hexdigest()
            people.shoot(gt, "team-document-received")
            gt.set_viewport_size(NARROW)
            gt.goto(reverse("exchanges:team_detail", args=[gt_team.pk]))
            _check(gt, "team at GT at 360 px")
            people.shoot(gt, "team-document-received-360")
        sv.set_viewport_size(NARROW)
        sv.goto(reverse("exchanges:request_edit", args=[draft.pk]))  # sent: back to the request, told why
        expect(sv.locator(".message-error")).to_be_visible()
        sv.goto(reverse("exchanges:request_create"))
        _check(sv, "compose at 360 px")
        people.shoot(sv, "compose-with-files-360")
    finally:
        people.close()
