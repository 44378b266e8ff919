"""The pages of spontaneous information and alerts: who opens which, sending one, and what a
receiving office does with it (acknowledge, pass on under H2, file in a case, ask for consent).

SV-FGR, GT-MP and HN-MP share the test database and talk through the in-process network (real
envelopes and receipts); a GT person's pages are read while the network is GT's.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from vinculo.accounts.models import Office, User
from vinculo.accounts.roles import Role
from vinculo.accounts.tests.factories import UserFactory
from vinculo.audit.models import AuditEntry
from vinculo.cases.models import CaseDocument
from vinculo.cases.tests.factories import open_case
from vinculo.exchanges.forms.common import CODE_MEANINGS
from vinculo.exchanges.lifecycle import Side
from vinculo.exchanges.models import Broadcast, ConsentRequest
from vinculo.exchanges.services import broadcasts, consents
from vinculo.exchanges.tests.test_broadcasts import deliver_everywhere
from vinculo.exchanges.tests.test_pages import es, messages_of, signed_in
from vinculo.messaging.models import OutboundMessage
from vinculo.messaging.tests.conftest import FakeNetwork, net  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

GT_NAME_ES = "Ministerio Público de Guatemala"


@pytest.fixture
def gt_focal_point(db: None) -> User:
    return UserFactory(username="gt.enlace", full_name="Julio Pérez Ajú", office_code="GT-MP",
                       roles=[Role.FOCAL_POINT], with_totp=True)  # fmt: skip


@pytest.fixture
def gt_prosecutor(db: None) -> User:
    return UserFactory(username="gt.fiscal", full_name="Lucía Tzul Xec", office_code="GT-MP",
                       roles=[Role.PROSECUTOR], with_totp=True)  # fmt: skip


def compose(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "alert",
        "recipients": ["GT-MP", "HN-MP"],
        "category": "child_at_risk",
        "subject": "Niña posiblemente trasladada hacia El Florido",
        "text": "Una niña de 13 años viaja con un adulto no familiar hacia la frontera esta noche.",
        "language": "es",
        "handling": ["H2"],
        "purpose": "",
        "conditions": "",
        "source_grade": "",
        "information_grade": "",
        "case": "",
    }
    data.update(changes)
    return data


def sent_alert(net: FakeNetwork, by: User, **changes: Any) -> Broadcast:  # noqa: F811
    fields: dict[str, Any] = {
        "kind": "alert", "recipients": ["GT-MP", "HN-MP"], "category": "child_at_risk",
        "subject": "Niña posiblemente trasladada hacia El Florido",
        "text": "Una niña de 13 años viaja con un adulto no familiar hacia la frontera esta noche.", "codes": ("H2",),
    }  # fmt: skip
    fields.update(changes)
    with net.as_node("SV-FGR"):
        sent = broadcasts.send_broadcast(by=by, **fields)
    deliver_everywhere(net)
    return sent


def copy_in(office: str, sent: Broadcast) -> Broadcast:
    return Broadcast.objects.get(exchange_id=sent.exchange_id, side=Side.INCOMING, office__code=office)


def detail(item: Broadcast) -> str:
    return reverse("exchanges:broadcast_detail", args=[item.pk])


def action(item: Broadcast, name: str) -> str:
    return reverse("exchanges:broadcast_action", args=[item.pk, name])


# --- who opens which page -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "pages"),
    [
        ("prosecutor", {"list": 200, "new": 200, "sv_copy": 200, "gt_copy": 404}),
        ("focal_point", {"list": 200, "new": 200, "sv_copy": 200, "gt_copy": 404}),
        ("colleague", {"list": 200, "new": 200, "sv_copy": 404, "gt_copy": 404}),
        ("judge", {"list": 403, "new": 403, "sv_copy": 403, "gt_copy": 403}),
        ("node_admin", {"list": 403, "new": 403, "sv_copy": 403, "gt_copy": 403}),
        ("gt_focal_point", {"list": 200, "new": 200, "sv_copy": 404, "gt_copy": 200}),
        ("gt_prosecutor", {"list": 200, "new": 200, "sv_copy": 404, "gt_copy": 200}),
    ],
)
def test_each_page_opens_for_the_roles_that_may_use_it(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    request: pytest.FixtureRequest,
    persona: str,
    pages: dict[str, int],
) -> None:
    sent = sent_alert(net, prosecutor)
    client = signed_in(request.getfixturevalue(persona))
    urls = {
        "list": reverse("exchanges:broadcast_list"),
        "new": reverse("exchanges:broadcast_create"),
        "sv_copy": detail(sent),
        "gt_copy": detail(copy_in("GT-MP", sent)),
    }
    office = "GT-MP" if persona.startswith("gt_") else "SV-FGR"
    with net.as_node(office):
        got = {name: client.get(url).status_code for name, url in urls.items()}
    assert got == pages


def test_reading_an_item_is_audited(net: FakeNetwork, prosecutor: User, gt_prosecutor: User) -> None:  # noqa: F811
    sent = sent_alert(net, prosecutor)
    received = copy_in("GT-MP", sent)
    with net.as_node("GT-MP"):
        signed_in(gt_prosecutor).get(detail(received))
    assert AuditEntry.objects.filter(action="exchange.broadcast_viewed", target_id=str(received.pk)).count() == 1


# --- sending ------------------------------------------------------------------------------------


def test_the_form_offers_the_active_offices_and_all_of_them(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    net.nodes["HN-MP"].status = "suspended"
    response = signed_in(prosecutor).get(reverse("exchanges:broadcast_create"), {"kind": "alert"})
    form = response.context["form"]
    assert dict(form.fields["recipients"].choices) == {"GT-MP": f"{GT_NAME_ES} (GT-MP)"}
    assert form.initial["kind"] == "alert"
    page = response.content.decode()
    assert 'name="all_offices"' in page
    assert es(CODE_MEANINGS["H2"]).replace("'", "&#x27;") in page


def test_every_field_is_checked_in_spanish_and_nothing_is_sent(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    colleague: User,
) -> None:
    elsewhere = open_case(colleague, "FGR-AJENO-1")
    client = signed_in(prosecutor)
    path = reverse("exchanges:broadcast_create")
    empty = client.post(path, {})
    assert empty.status_code == 400
    assert set(empty.context["form"].errors) >= {"kind", "recipients", "subject", "text", "language"}
    assert "Este campo es obligatorio." in empty.content.decode()
    wrong = client.post(
        path,
        compose(category="", handling=["H0", "H3"], source_grade="A", recipients=["SV-FGR"],
                case=elsewhere.national_number),
    )  # fmt: skip
    errors = wrong.context["form"].errors
    assert errors["category"] == [es(broadcasts.CATEGORY_NEEDED)]
    assert errors["purpose"] == [es("Say what the information is for: H0 limits its use to this purpose.")]
    assert errors["conditions"] == [es("Write the conditions that come with H3.")]
    assert errors["information_grade"] == [es("Grade both the source and the information, or neither.")]
    assert errors["case"] == [es("None of the cases you may see has this number.")]
    assert "recipients" in errors  # this office is not among the choices
    none = client.post(path, compose(recipients=[]))
    assert none.context["form"].errors["recipients"] == [es("Choose at least one office, or all of them.")]
    assert not Broadcast.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_an_alert_to_all_offices_and_information_to_one(net: FakeNetwork, prosecutor: User) -> None:  # noqa: F811
    case = open_case(prosecutor, "FGR-2026-031")
    client = signed_in(prosecutor)
    path = reverse("exchanges:broadcast_create")
    sent = client.post(path, compose(recipients=[], all_offices="on", case="FGR-2026-031"), follow=True)
    alert = Broadcast.objects.get(kind="alert")
    assert sent.redirect_chain == [(detail(alert), 302)]
    assert alert.recipients_named == ["GT-MP", "HN-MP"]
    assert (alert.category, alert.handling, alert.case) == ("child_at_risk", ["H2"], case)
    assert es("The alert has been sent; each office is asked to acknowledge it.") in messages_of(sent)
    client.post(path, compose(kind="information", category="route", recipients=["HN-MP"], subject="Nueva ruta"))
    information = Broadcast.objects.get(kind="information")
    assert (information.category, information.recipients_named) == ("", ["HN-MP"])
    assert OutboundMessage.objects.count() == 3


# --- the list and an item -----------------------------------------------------------------------


def test_the_list_shows_alerts_apart_and_unacknowledged_first(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    first = sent_alert(net, prosecutor, subject="Primera alerta")
    sent_alert(net, prosecutor, kind="information", category="", subject="Información posterior", codes=())
    sent_alert(net, prosecutor, subject="Alerta más reciente")
    with net.as_node("GT-MP"):
        broadcasts.acknowledge(by=gt_focal_point, broadcast=copy_in("GT-MP", first))
        page = signed_in(gt_focal_point).get(reverse("exchanges:broadcast_list"))
    subjects = [row.item.subject for row in page.context["rows"]]
    assert subjects == ["Alerta más reciente", "Información posterior", "Primera alerta"]
    shown = page.content.decode()
    assert shown.count('class="badge-alert"') == 2
    assert GT_NAME_ES not in shown  # the rows name the sender, SV
    deliver_everywhere(net)
    sv_rows = signed_in(prosecutor).get(reverse("exchanges:broadcast_list"), {"side": "outgoing"}).context["rows"]
    counts = {row.item.subject: (row.acknowledged, row.recipients) for row in sv_rows}
    assert counts["Primera alerta"] == (1, 2)
    assert counts["Alerta más reciente"] == (0, 2)


def test_the_sender_sees_who_received_and_acknowledged_it(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_focal_point: User,
) -> None:
    sent = sent_alert(net, prosecutor)
    received = copy_in("GT-MP", sent)
    with net.as_node("GT-MP"):
        client = signed_in(gt_focal_point)
        page = client.get(detail(received))
        assert page.context["may_acknowledge"]
        assert "Una niña de 13 años" in page.content.decode()
        done = client.post(action(received, "acknowledge"), follow=True)
        assert es("Acknowledged; the sending office is told.") in messages_of(done)
        received.refresh_from_db()
        assert received.acknowledged_by == gt_focal_point
        sent_before = OutboundMessage.objects.count()
        again = client.post(action(received, "acknowledge"))
        assert again.status_code == 400
        assert messages_of(again) == [es(broadcasts.ALREADY_ACKNOWLEDGED)]
        assert OutboundMessage.objects.count() == sent_before
    deliver_everywhere(net)
    page = signed_in(prosecutor).get(detail(sent))
    rows = {delivery.row.member: delivery.row for delivery in page.context["deliveries"]}
    assert all(row.delivered_at is not None for row in rows.values())
    assert [member for member, row in rows.items() if row.acknowledged_at is not None] == ["GT-MP"]
    assert page.context["actions"] is None  # the sender's own item: nothing to forward, file or ask
    assert GT_NAME_ES in page.content.decode()


def test_forwarding_an_h2_alert_is_refused_and_offers_the_consent_to_ask(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_prosecutor: User,
) -> None:
    received = copy_in("GT-MP", sent_alert(net, prosecutor, recipients=["GT-MP"]))
    sent_before = OutboundMessage.objects.count()
    with net.as_node("GT-MP"):
        client = signed_in(gt_prosecutor)
        refused = client.post(action(received, "forward"), {"recipients": ["HN-MP"], "note": "Para Honduras."})
    assert refused.status_code == 400
    form = refused.context["forward_form"]
    with net.as_node("GT-MP"):
        names = {office.code: office.name_es for office in Office.objects.filter(code__in=["SV-FGR", "HN-MP"])}
        blocked = es(consents.FORWARD_BLOCKED) % {"office": names["SV-FGR"], "to": names["HN-MP"]}
    assert form.non_field_errors() == [blocked]
    assert form["note"].value() == "Para Honduras."
    ask = refused.context["actions"].consent_form
    assert (ask.initial["kind"], ask.initial["recipient"]) == ("onward", "HN-MP")
    assert refused.context["actions"].opened == "consent"
    assert OutboundMessage.objects.count() == sent_before
    assert AuditEntry.objects.filter(action="exchange.forward_refused").count() == 1
    with net.as_node("GT-MP"):
        asked = client.post(
            action(received, "consent"),
            {"kind": "onward", "recipient": "HN-MP", "reason": "Honduras investiga la misma red."},
            follow=True,
        )
    consent = ConsentRequest.objects.get(side=Side.OUTGOING)
    assert (consent.kind, consent.recipient, consent.counterpart) == ("onward", "HN-MP", "SV-FGR")
    assert es("Your request for consent has been sent to the provider's focal point.") in messages_of(asked)
    assert [a.consent for a in asked.context["actions"].asked] == [consent]


def test_information_without_h2_is_passed_on(net: FakeNetwork, prosecutor: User, gt_prosecutor: User) -> None:  # noqa: F811
    received = copy_in("GT-MP", sent_alert(net, prosecutor, recipients=["GT-MP"], codes=("H0",), purpose="Caso 31"))
    with net.as_node("GT-MP"):
        response = signed_in(gt_prosecutor).post(action(received, "forward"), {"recipients": ["HN-MP"]})
    assert response.status_code == 302
    forwarded = Broadcast.objects.get(side=Side.OUTGOING, office__code="GT-MP")
    assert (forwarded.handling, forwarded.recipients_named) == (["H0"], ["HN-MP"])
    assert "[SV-FGR " in broadcasts.content_of(forwarded)["text"]


def test_a_received_alert_is_filed_in_a_case_of_mine(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    gt_prosecutor: User,
    gt_focal_point: User,
) -> None:
    received = copy_in("GT-MP", sent_alert(net, prosecutor, recipients=["GT-MP"], codes=("H1",)))
    with net.as_node("GT-MP"):
        case = open_case(gt_prosecutor, "MP-GT-2026-77")
        client = signed_in(gt_prosecutor)
        wrong = client.post(action(received, "file"), {"case": "NO-EXISTE"})
        assert wrong.status_code == 400
        errors = wrong.context["actions"].file_form.errors
        assert errors["case"] == [es("None of the cases you may see has this number.")]
        filed = client.post(action(received, "file"), {"case": "MP-GT-2026-77"}, follow=True)
        with_focal_point = signed_in(gt_focal_point).get(detail(received))
    document = CaseDocument.objects.get(case=case)
    assert document.kind == CaseDocument.Kind.EXCHANGE
    assert es("Filed in case %(number)s with its provider and handling codes.") % {"number": "MP-GT-2026-77"} in (
        messages_of(filed)
    )
    assert with_focal_point.context["actions"].file_form is None  # a focal point edits no case file
    assert with_focal_point.context["actions"].is_evidence_blocked


def test_another_office_or_a_colleague_never_acts_on_an_item_not_theirs(
    net: FakeNetwork,  # noqa: F811
    prosecutor: User,
    colleague: User,
    gt_prosecutor: User,
) -> None:
    sent = sent_alert(net, prosecutor)
    received = copy_in("GT-MP", sent)
    sent_before = OutboundMessage.objects.count()
    assert signed_in(colleague).post(action(sent, "forward"), {"recipients": ["HN-MP"]}).status_code == 404
    with net.as_node("GT-MP"):
        assert signed_in(gt_prosecutor).post(action(sent, "acknowledge")).status_code == 404
    # SV's person on GT's copy (in one database both copies exist; each office sees its own only).
    assert signed_in(prosecutor).post(action(received, "acknowledge")).status_code == 404
    assert signed_in(prosecutor).post(action(sent, "nonsense")).status_code == 404
    assert OutboundMessage.objects.count() == sent_before
    assert copy_in("GT-MP", sent).acknowledged_at is None


def test_the_sender_cannot_acknowledge_its_own_item(net: FakeNetwork, focal_point: User, prosecutor: User) -> None:  # noqa: F811
    sent = sent_alert(net, prosecutor)
    client = signed_in(focal_point)
    assert client.get(detail(sent)).context["may_acknowledge"] is False
    refused = client.post(action(sent, "acknowledge"))
    assert refused.status_code == 400
    assert messages_of(refused) == [es(broadcasts.NOT_YOURS)]
