"""The pages of information requests: who opens which, the compose form's checks, every step by POST.

SV-FGR and GT-MP share the test database and talk through the in-process network (real
envelopes and receipts); a GT person's requests are made while the network is GT's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise

from vinculo.accounts.models import User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.cases.tests.factories import open_case
from vinculo.core.errors import DomainError
from vinculo.core.versioning import CHANGED_MEANWHILE
from vinculo.exchanges.forms import common as forms
from vinculo.exchanges.lifecycle import Side, State
from vinculo.exchanges.models import InformationRequest, RefusalReason
from vinculo.exchanges.services import deadlines, requests
from vinculo.exchanges.tests.test_desk import sent_request
from vinculo.exchanges.tests.test_requests import copies, deliver_all
from vinculo.exchanges.views import requests as views
from vinculo.exchanges.views.requests import NO_DIRECTORY
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

GT_NAME_ES = "Ministerio Público de Guatemala"
GT_NAME_EN = "Public Prosecutor's Office of Guatemala"


@pytest.fixture
def gt_focal_point(db: None) -> User:
    return UserFactory(username="gt.enlace", full_name="Julio Pérez Ajú", office_code="GT-MP",
                       roles=[Role.FOCAL_POINT], with_totp=True)  # fmt: skip


@pytest.fixture
def gt_prosecutor(db: None) -> User:
    return UserFactory(username="gt.fiscal", full_name="Lucía Tzul Xec", office_code="GT-MP",
                       roles=[Role.PROSECUTOR], with_totp=True)  # fmt: skip


def es(text: Any) -> str:
    """A msgid or a lazy label as the page shows it in Spanish (per the catalogue)."""
    with translation.override("es"):
        return str(text) if isinstance(text, Promise) else translation.gettext(text)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def detail(request: InformationRequest) -> str:
    return reverse("exchanges:request_detail", args=[request.pk])


def step(request: InformationRequest, name: str) -> str:
    return reverse("exchanges:request_step", args=[request.pk, name])


def compose(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "counterpart": "GT-MP",
        "request_type": "migration_movements",
        "subject": "Movimientos migratorios, caso FGR-2026-014",
        "legal_basis": "Memorando de Entendimiento, art. 4",
        "urgency": "priority",
        "text": "Solicitamos los movimientos migratorios de la persona indicada.",
        "items": "Entradas y salidas por El Florido\n\n  Documento de viaje usado  \n",
        "language": "es",
        "handling": ["H0", "H2"],
        "purpose": "Investigación del caso FGR-2026-014",
        "conditions": "",
        "source_grade": "B",
        "information_grade": "2",
        "case": "",
        "then": "send",
    }
    data.update(changes)
    return data


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- who opens which page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "pages"),
    [
        ("prosecutor", {"list": 200, "new": 200, "desk": 403, "own": 200}),
        ("focal_point", {"list": 200, "new": 200, "desk": 200, "own": 200}),
        ("colleague", {"list": 200, "new": 200, "desk": 403, "own": 404}),
        ("judge", {"list": 403, "new": 403, "desk": 403, "own": 403}),
        ("node_admin", {"list": 403, "new": 403, "desk": 403, "own": 403}),
        ("gt_focal_point", {"list": 200, "new": 200, "desk": 200, "own": 404}),
        ("gt_prosecutor", {"list": 200, "new": 200, "desk": 403, "own": 404}),
    ],
)
def test_each_page_opens_for_the_roles_that_may_use_it(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    request: pytest.FixtureRequest,
    persona: str,
    pages: dict[str, int],
) -> None:
    sent = sent_request(net, prosecutor)
    outgoing, _incoming = copies(sent)
    client = signed_in(request.getfixturevalue(persona))
    urls = {
        "list": reverse("exchanges:request_list"),
        "new": reverse("exchanges:request_create"),
        "desk": reverse("exchanges:desk"),
        "own": detail(outgoing),  # SV's copy, whoever asks for it
    }
    office = "GT-MP" if persona.startswith("gt_") else "SV-FGR"
    with net.as_node(office):
        got = {name: client.get(url).status_code for name, url in urls.items()}
    assert got == pages


def test_a_gt_person_never_reaches_svs_copy_even_by_posting_a_step(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    outgoing, _incoming = copies(sent_request(net, prosecutor))
    client = signed_in(gt_focal_point)
    with net.as_node("GT-MP"):
        response = client.post(
            step(outgoing, "withdraw"), {"version": outgoing.version, "reason": "No lo necesitamos."}
        )
    assert response.status_code == 404
    assert InformationRequest.objects.get(pk=outgoing.pk).state == State.DELIVERED


def test_reading_a_request_is_audited(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    outgoing, _incoming = copies(sent_request(net, prosecutor))
    signed_in(prosecutor).get(detail(outgoing))
    assert AuditEntry.objects.filter(action="exchange.request_viewed", target_id=str(outgoing.pk)).count() == 1


# --- the list and the desk ----------------------------------------------------------------------


def test_the_list_filters_by_direction_state_and_office_in_the_readers_language(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    focal_point: User,
    gt_prosecutor: User,
) -> None:
    sent_request(net, prosecutor, subject="Enviada a Guatemala")
    sent_request(net, prosecutor, subject="Enviada a Honduras", counterpart="HN-MP", urgency="urgent")
    with net.as_node("SV-FGR"):
        requests.create_draft(by=prosecutor, draft=requests.Draft(**{**_draft_fields(), "subject": "Borrador"}))
    with net.as_node("GT-MP"):
        asked = requests.create_draft(
            by=gt_prosecutor, draft=requests.Draft(**{**_draft_fields(), "counterpart": "SV-FGR", "subject": "De GT"})
        )
        requests.send_request(by=gt_prosecutor, request=asked, expected_version=asked.version)
    deliver_all(net)
    client = signed_in(focal_point)
    path = reverse("exchanges:request_list")

    def subjects(**filters: str) -> set[str]:
        page = client.get(path, filters)
        assert page.status_code == 200
        return {row.request.subject for row in page.context["rows"]}

    everything = {"Enviada a Guatemala", "Enviada a Honduras", "Borrador", "De GT"}
    assert subjects() == everything
    assert subjects(side="incoming") == {"De GT"}
    assert subjects(side="outgoing", state="open") == {"Enviada a Guatemala", "Enviada a Honduras"}
    assert subjects(state="draft") == {"Borrador"}
    assert subjects(counterpart="HN-MP") == {"Enviada a Honduras"}
    assert subjects(state="nonsense") == everything  # an unknown filter value is ignored, not an error
    assert signed_in(prosecutor).get(path).context["page"].paginator.count == 3  # not GT's request to the office
    page = client.get(path).content.decode()
    assert GT_NAME_ES in page
    assert es(InformationRequest.STATE_LABELS[State.DELIVERED]) in page
    focal_point.language = "en"
    focal_point.save()
    assert GT_NAME_EN.replace("'", "&#x27;") in signed_in(focal_point).get(path).content.decode()
    # With htmx, only the rows come back.
    rows = client.get(path, {"side": "incoming"}, headers={"HX-Request": "true"}).content.decode()
    assert rows.lstrip().startswith('<div id="rows">')


def _draft_fields() -> dict[str, Any]:
    return {
        "counterpart": "GT-MP", "request_type": "criminal_record", "subject": "Antecedentes",
        "legal_basis": "MoU, art. 4", "urgency": "normal", "text": "Antecedentes penales.",
        "items": ("Sentencias firmes",),
    }  # fmt: skip


def test_the_desk_shows_what_to_triage_and_the_count_per_office(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    sent_request(net, prosecutor, subject="Por clasificar")
    with net.as_node("GT-MP"):
        response = signed_in(gt_focal_point).get(reverse("exchanges:desk"))
    assert response.status_code == 200
    assert [row.request.subject for row in response.context["to_triage"]] == ["Por clasificar"]
    assert response.context["by_counterpart"] == [("SV-FGR", "Fiscalía General de la República de El Salvador", 1)]
    assert "Por clasificar" in response.content.decode()


# --- composing ----------------------------------------------------------------------------------


def test_the_form_offers_the_networks_active_offices_and_each_urgencys_deadline(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
) -> None:
    net.nodes["HN-MP"].status = "suspended"
    response = signed_in(prosecutor).get(reverse("exchanges:request_create"))
    choices = dict(response.context["form"].fields["counterpart"].choices)
    assert set(choices) == {"", "GT-MP"}  # not this office, not the hub, not a suspended member
    assert choices["GT-MP"] == f"{GT_NAME_ES} (GT-MP)"
    page = response.content.decode()
    for words in (forms.deadline_in_words(8 * 3600), forms.deadline_in_words(3 * 86400)):
        assert words in page
    assert es(forms.CODE_MEANINGS["H1"]).replace("'", "&#x27;") in page


def test_without_a_directory_the_form_says_nothing_can_be_sent(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    net.available = False
    page = signed_in(prosecutor).get(reverse("exchanges:request_create")).content.decode()
    assert es(NO_DIRECTORY) in page


def test_every_field_is_checked_in_spanish_and_nothing_is_stored(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    colleague: User,
) -> None:
    elsewhere = open_case(colleague, "FGR-AJENO-1")
    client = signed_in(prosecutor)
    path = reverse("exchanges:request_create")
    empty = client.post(path, {"then": "send"})
    assert empty.status_code == 400
    assert "Este campo es obligatorio." in empty.content.decode()
    assert set(empty.context["form"].errors) >= {"counterpart", "request_type", "subject", "urgency", "text", "items"}
    wrong = client.post(
        path,
        compose(
            handling=["H0", "H3"], purpose="", conditions="", information_grade="", items="\n  \n",
            case=elsewhere.national_number, counterpart="SV-FGR",
        ),
    )  # fmt: skip
    errors = wrong.context["form"].errors
    assert errors["purpose"] == [es("Say what the information is for: H0 limits its use to this purpose.")]
    assert errors["conditions"] == [es("Write the conditions that come with H3.")]
    assert errors["information_grade"] == [es("Grade both the source and the information, or neither.")]
    assert errors["items"] == ["Este campo es obligatorio."]
    assert errors["case"] == [es("None of the cases you may see has this number.")]
    assert "counterpart" in errors  # this office is not among the choices
    stray = client.post(path, compose(conditions="No usar en juicio"))
    assert stray.context["form"].errors["conditions"] == [
        es("Conditions are given with H3: tick H3 or leave this empty.")
    ]
    assert not InformationRequest.objects.exists()


def test_a_refusal_of_the_service_is_shown_on_the_form(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(**kwargs: Any) -> None:
        raise DomainError("El destinatario no acepta solicitudes ahora.", code="test")

    monkeypatch.setattr(requests, "create_draft", refuse)
    response = signed_in(prosecutor).post(reverse("exchanges:request_create"), compose())
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["El destinatario no acepta solicitudes ahora."]


def test_save_as_draft_then_send_from_the_page_or_at_once(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    case = open_case(prosecutor, "FGR-2026-014")
    client = signed_in(prosecutor)
    saved = client.post(reverse("exchanges:request_create"), compose(then="draft", case="FGR-2026-014"))
    draft = InformationRequest.objects.get()
    assert saved.status_code == 302
    assert saved["Location"] == detail(draft)
    assert (draft.state, draft.case, draft.handling, draft.evaluation) == (State.DRAFT, case, ["H0", "H2"], "B2")
    assert requests.content_of(draft)["items"] == ["Entradas y salidas por El Florido", "Documento de viaje usado"]
    assert not OutboundMessage.objects.exists()
    page = client.get(detail(draft))
    assert set(page.context["step_forms"]) == {"send", "discard"}
    client.post(step(draft, "send"), {"version": draft.version})
    assert InformationRequest.objects.get(pk=draft.pk).state == State.SENT

    at_once = client.post(reverse("exchanges:request_create"), compose(subject="Otra"), follow=True)
    sent = InformationRequest.objects.get(subject="Otra")
    assert sent.state == State.SENT
    assert es("The request has been sent.") in messages_of(at_once)
    assert OutboundMessage.objects.count() == 2


# --- a request and its steps --------------------------------------------------------------------


def test_a_request_goes_round_through_the_pages(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
    gt_prosecutor: User,
) -> None:
    sv = signed_in(prosecutor)
    sv.post(reverse("exchanges:request_create"), compose(handling=["H0", "H2", "H3"], conditions="Sólo para la FGR."))
    deliver_all(net)
    outgoing, incoming = copies(InformationRequest.objects.get(side=Side.OUTGOING))
    gt_desk, gt_answering = signed_in(gt_focal_point), signed_in(gt_prosecutor)

    with net.as_node("GT-MP"):
        page = gt_desk.get(detail(incoming))
        shown = page.content.decode()
        assert "Solicitamos los movimientos migratorios" in shown
        assert "Sólo para la FGR." in shown  # H3's conditions, in their box
        assert es(forms.CODE_MEANINGS["H2"]).replace("'", "&#x27;") in shown
        assert set(page.context["step_forms"]) == {"acknowledge", "assign", "answer", "clarify", "refuse"}
        gt_desk.post(step(incoming, "acknowledge"), {"version": incoming.version})
        incoming.refresh_from_db()
        assert incoming.state == State.ACKNOWLEDGED
        gt_desk.post(step(incoming, "assign"), {"version": incoming.version, "person": gt_prosecutor.pk})
        incoming.refresh_from_db()
        assert (incoming.state, incoming.assigned_to) == (State.IN_PROGRESS, gt_prosecutor)
        assert set(gt_answering.get(detail(incoming)).context["step_forms"]) == {"answer", "clarify", "refuse"}
        gt_answering.post(
            step(incoming, "answer"),
            {"version": incoming.version, "text": "Dos entradas en enero.", "completeness": "partial",
             "language": "es", "handling": ["H2"]},
        )  # fmt: skip
        incoming.refresh_from_db()
        gt_answering.post(
            step(incoming, "answer"),
            {"version": incoming.version, "text": "Salida el 2 de marzo.", "completeness": "complete",
             "language": "es", "handling": ["H1", "H3"], "conditions": "Pedir permiso antes del juicio.",
             "source_grade": "A", "information_grade": "1"},
        )  # fmt: skip
    deliver_all(net)
    outgoing, incoming = copies(outgoing)
    assert outgoing.state == incoming.state == State.ANSWERED

    page = sv.get(detail(outgoing))
    shown = page.content.decode()
    assert "Dos entradas en enero." in shown
    assert "Salida el 2 de marzo." in shown
    assert "Pedir permiso antes del juicio." in shown
    assert es(forms.SOURCE_GRADES["A"]) in shown
    assert page.context["step_forms"] == {}  # answered: nothing more to do
    steps = [entry.event.step for entry in page.context["timeline"]]
    assert steps[:3] == ["draft", "send", "deliver"]
    assert {"acknowledge", "assign", "answer_partial", "answer"} <= set(steps)
    entries = {entry.event.step: entry for entry in page.context["timeline"]}
    assert entries["send"].who == prosecutor.full_name
    assert entries["send"].delivery is None  # its receipt is the next entry's
    delivered = entries["deliver"]
    assert (delivered.who, delivered.delivery.status) == (GT_NAME_ES, "delivered")
    assert delivered.delivery.message_id == entries["send"].event.message_id
    assert delivered.message_url == ""  # a prosecutor does not open the network pages
    receipt_at = timezone.localtime(delivered.delivery.at).strftime("%Y-%m-%d %H:%M")
    assert es("Signed receipt received at %(at)s.") % {"at": receipt_at} in shown
    assert entries["acknowledge"].who == GT_NAME_ES
    assert entries["acknowledge"].delivery.outgoing is False  # it arrived here


def test_a_node_administrator_who_also_works_on_requests_gets_the_message_pages(
    net: FakeNetwork,  # noqa: F811
    gt_focal_point: User,
) -> None:
    both = UserFactory(username="sv.enlace.admin", roles=[Role.FOCAL_POINT, Role.NODE_ADMIN], with_totp=True)
    outgoing, incoming = copies(sent_request(net, both))
    with net.as_node("GT-MP"):
        requests.clarify(by=gt_focal_point, request=incoming, text="¿Qué pasaporte?")
    deliver_all(net)
    timeline = {entry.event.step: entry for entry in signed_in(both).get(detail(outgoing)).context["timeline"]}
    sent_id = timeline["send"].event.message_id
    assert timeline["deliver"].message_url == reverse("messaging:sent_detail", args=[sent_id])
    question = timeline["clarification"]
    assert question.message_url == reverse("messaging:received_detail", args=["GT-MP", question.event.message_id])


def test_the_other_offices_reminders_and_clarifications_show_with_their_text(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    outgoing, incoming = copies(sent_request(net, prosecutor))
    sv = signed_in(prosecutor)
    sv.post(step(outgoing, "remind"))
    sv.post(step(outgoing, "clarify"), {"text": "El pasaporte es A01234567."})
    deliver_all(net)
    with net.as_node("GT-MP"):
        page = signed_in(gt_focal_point).get(detail(incoming))
    entries = {entry.event.step: entry for entry in page.context["timeline"]}
    assert entries["clarification"].note == "El pasaporte es A01234567."
    assert entries["clarification"].who == "Fiscalía General de la República de El Salvador"
    assert "reminder" in entries
    assert "El pasaporte es A01234567." in page.content.decode()


def test_an_impossible_step_is_refused_with_a_message_and_changes_nothing(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    focal_point: User,
) -> None:
    outgoing, _incoming = copies(sent_request(net, prosecutor))
    sent_before = OutboundMessage.objects.count()
    # The SV focal point may triage, but acknowledging is the other office's step.
    refused = signed_in(focal_point).post(step(outgoing, "acknowledge"), {"version": outgoing.version})
    assert refused.status_code == 400
    assert messages_of(refused) == [es(requests.STEP_REFUSED["other_side"])]
    sv = signed_in(prosecutor)
    sv.post(step(outgoing, "withdraw"), {"version": outgoing.version, "reason": "El caso fue archivado."})
    outgoing.refresh_from_db()
    assert outgoing.state == State.WITHDRAWN
    again = sv.post(step(outgoing, "withdraw"), {"version": outgoing.version, "reason": "Otra vez, por si acaso."})
    assert again.status_code == 400
    with translation.override("es"):
        concluded = requests.STEP_REFUSED["final"] % {
            "state": str(InformationRequest.STATE_LABELS[State.WITHDRAWN]).lower()
        }
    assert messages_of(again)[-1] == concluded  # after the withdrawal's own message
    assert InformationRequest.objects.get(pk=outgoing.pk).version == outgoing.version
    assert OutboundMessage.objects.count() == sent_before + 1  # the withdrawal only
    assert sv.post(step(outgoing, "nonsense"), {}).status_code == 404


def test_a_stale_version_gets_the_services_message_and_keeps_what_was_typed(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
) -> None:
    outgoing, _incoming = copies(sent_request(net, prosecutor))
    stale = outgoing.version - 1
    response = signed_in(prosecutor).post(
        step(outgoing, "withdraw"), {"version": stale, "reason": "Ya no hace falta la información."}
    )
    assert response.status_code == 400
    assert messages_of(response) == [es(CHANGED_MEANWHILE)]
    again = response.context["step_forms"]["withdraw"]
    assert again["reason"].value() == "Ya no hace falta la información."
    assert again["version"].value() == str(outgoing.version)  # now based on what the page shows
    assert InformationRequest.objects.get(pk=outgoing.pk).state == State.DELIVERED


def test_a_step_forms_errors_are_shown_on_it_and_nothing_is_sent(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    _outgoing, incoming = copies(sent_request(net, prosecutor))
    sent_before = OutboundMessage.objects.count()
    with net.as_node("GT-MP"):
        response = signed_in(gt_focal_point).post(
            step(incoming, "refuse"), {"version": incoming.version, "reason": "other", "explanation": "No."}
        )
    assert response.status_code == 400
    form = response.context["step_forms"]["refuse"]
    assert form.errors["explanation"] == [es("Explain the refusal (at least 10 characters).")]
    assert response.context["opened"] == "refuse"
    assert InformationRequest.objects.get(pk=incoming.pk).state == State.DELIVERED
    assert OutboundMessage.objects.count() == sent_before


def test_a_refusal_reaches_the_requester_with_its_reason_and_explanation(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    outgoing, incoming = copies(sent_request(net, prosecutor))
    with net.as_node("GT-MP"):
        signed_in(gt_focal_point).post(
            step(incoming, "refuse"),
            {"version": incoming.version, "reason": "needs_mla", "explanation": "Hace falta una asistencia formal."},
        )
    deliver_all(net)
    page = signed_in(prosecutor).get(detail(outgoing))
    refused = next(entry for entry in page.context["timeline"] if entry.event.step == "refuse")
    with translation.override("es"):
        reason = str(RefusalReason.NEEDS_MLA.label)
        assert refused.label == translation.gettext("Refused: %(reason)s") % {"reason": reason}
    assert refused.note == "Hace falta una asistencia formal."
    assert page.context["step_forms"] == {}
    assert InformationRequest.objects.get(pk=outgoing.pk).state == State.REFUSED


def test_deadlines_show_in_the_list_and_the_timeline(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    _outgoing, incoming = copies(sent_request(net, prosecutor, urgency="urgent", subject="Urgente"))
    start = timezone.now()
    deadlines.check_deadlines(now=start + timedelta(hours=7))
    deadlines.check_deadlines(now=start + timedelta(hours=9))
    with time_machine.travel(start + timedelta(hours=9), tick=False), net.as_node("GT-MP"):
        client = signed_in(gt_focal_point)  # a session of that moment (an older one would have expired)
        rows = client.get(reverse("exchanges:request_list")).context["rows"]
        page = client.get(detail(incoming))
    assert [(row.request.subject, row.deadline.is_overdue) for row in rows] == [("Urgente", True)]
    assert page.context["deadline"].is_overdue
    labels = [entry.label for entry in page.context["timeline"]]
    with translation.override("es"):
        assert translation.gettext("Due soon: whoever holds it was reminded") in labels
        assert translation.gettext("Overdue: escalated to the focal points") in labels
    assert es(views.STEP_LABELS["escalation"]) in page.content.decode()
