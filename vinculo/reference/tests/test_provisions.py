"""Legal provisions through their life: entered, corrected, retired and put back in force, with personas.

A node administrator of El Salvador's office (``node_admin``) keeps El Salvador's law; a
prosecutor cites it in charges but may not change it; the auditor reads the trail only; an
administrator of Guatemala's office (``foreign_admin``) never touches El Salvador's provisions.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from vinculo.accounts.models import User
from vinculo.audit.models import AuditEntry
from vinculo.core.errors import AccessDenied, DomainError
from vinculo.reference import services
from vinculo.reference.models import LegalProvision
from vinculo.reference.tests.factories import add_provision, crime, provision_values

LIST = reverse("reference:provision_list")
ADD = reverse("reference:provision_add")


def _edit(provision: LegalProvision) -> str:
    return reverse("reference:provision_edit", args=[provision.pk])


def _state(provision: LegalProvision, action: str) -> str:
    return reverse("reference:provision_state", args=[provision.pk, action])


def _post_data(**overrides: Any) -> dict[str, Any]:
    values = provision_values(**overrides)
    values["crime_family"] = values["crime_family"].pk
    return values


def _edit_data(provision: LegalProvision, **overrides: Any) -> dict[str, Any]:
    current = {
        "instrument": provision.instrument,
        "article": provision.article,
        "title_es": provision.title_es,
        "title_en": provision.title_en,
        "iccs_code": provision.iccs_code,
        "crime_family": provision.crime_family,
    }
    data = _post_data(**{**current, **overrides})
    data["version"] = provision.version
    return data


def _actions() -> list[str]:
    entries = AuditEntry.objects.filter(action__startswith="reference.provision").order_by("seq")
    return list(entries.values_list("action", flat=True))


# --- Who may do what ------------------------------------------------------------------------


def test_the_node_administrator_adds_a_provision_of_their_own_country(client: Client, node_admin: User) -> None:
    client.force_login(node_admin)
    assert client.get(ADD).status_code == 200
    # A country in the request is ignored: the law is always the office's own country's.
    response = client.post(ADD, {**_post_data(article="Art. 54"), "country": "GT"})
    assert response.status_code == 302
    provision = LegalProvision.objects.get()
    assert (provision.country.iso2, provision.article, provision.is_active) == ("SV", "54", True)
    entry = AuditEntry.objects.get(action="reference.provision_added")
    assert entry.actor_id == node_admin.pk
    assert entry.data == {"country": "SV", "provision": "Ley Especial contra la Trata de Personas, art. 54",
                          "iccs": "02041"}  # fmt: skip
    page = client.get(LIST).content.decode()
    assert _edit(provision) in page


@pytest.mark.parametrize("persona", ["prosecutor", "auditor"])
def test_prosecutors_and_auditors_may_read_but_not_change(
    client: Client, node_admin: User, persona: str, request: pytest.FixtureRequest
) -> None:
    provision = add_provision(node_admin)
    user: User = request.getfixturevalue(persona)
    client.force_login(user)
    page = client.get(LIST).content.decode()
    assert "Ley Especial contra la Trata de Personas" in page
    assert _edit(provision) not in page
    assert ADD not in page
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, _post_data(article="55")).status_code == 403
    assert client.post(LIST, _post_data(article="55")).status_code == 403
    assert client.get(_edit(provision)).status_code == 403
    assert client.post(_edit(provision), _edit_data(provision, title_es="Otro")).status_code == 403
    assert client.post(_state(provision, "retire"), {"version": provision.version}).status_code == 403
    with pytest.raises(AccessDenied):
        services.add_legal_provision(by=user, **provision_values(article="55"))
    with pytest.raises(AccessDenied):
        services.retire_legal_provision(by=user, provision=provision, expected_version=provision.version)
    provision.refresh_from_db()
    assert (provision.title_es, provision.is_active, LegalProvision.objects.count()) == ("Trata de personas", True, 1)
    assert _actions() == ["reference.provision_added"]
    assert AuditEntry.objects.filter(action="access.denied", actor_id=user.pk).count() >= 5


def test_another_countrys_administrator_neither_sees_nor_changes_it(
    client: Client, node_admin: User, foreign_admin: User
) -> None:
    salvadoran = add_provision(node_admin)
    guatemalan = add_provision(foreign_admin, instrument="Código Penal", article="202 Ter")
    assert guatemalan.country.iso2 == "GT"
    client.force_login(foreign_admin)
    page = client.get(LIST).content.decode()
    assert _edit(guatemalan) in page
    assert _edit(salvadoran) not in page
    assert client.get(_edit(salvadoran)).status_code == 404
    assert client.post(_state(salvadoran, "retire"), {"version": salvadoran.version}).status_code == 404
    with pytest.raises(AccessDenied):
        services.retire_legal_provision(by=foreign_admin, provision=salvadoran, expected_version=salvadoran.version)
    assert LegalProvision.objects.get(pk=salvadoran.pk).is_active


def test_an_office_without_a_country_keeps_no_provisions(db: None) -> None:
    from vinculo.accounts.roles import Role
    from vinculo.accounts.tests.factories import UserFactory

    hub_admin = UserFactory(office_code="CCCMP-HUB", roles=[Role.NODE_ADMIN])
    with pytest.raises(DomainError):
        add_provision(hub_admin)
    assert not LegalProvision.objects.exists()


# --- Validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"iccs_code": "2A"}, "iccs_code"),
        ({"iccs_code": "204"}, "iccs_code"),
        ({"iccs_code": "0204111"}, "iccs_code"),
        ({"iccs_code": "08051"}, "iccs_code"),  # smuggling code, trafficking crime
        ({"iccs_code": "02047"}, "iccs_code"),  # no such form of trafficking
        ({"iccs_code": "0204", "crime_family": "SOM"}, "iccs_code"),
        ({"iccs_code": "02041", "crime_family": "RELATED"}, "iccs_code"),
        ({"article": "  "}, "article"),
        ({"title_en": ""}, "title_en"),
        ({"crime_family": "NOPE"}, "crime_family"),
    ],
)
def test_bad_provisions_are_refused_and_nothing_is_stored(
    client: Client, node_admin: User, changes: dict[str, str], field: str
) -> None:
    client.force_login(node_admin)
    data = _post_data(**{k: v for k, v in changes.items() if k != "crime_family"})
    if "crime_family" in changes:
        family = changes["crime_family"]
        data["crime_family"] = crime(family).pk if family != "NOPE" else 999999
    response = client.post(ADD, data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert not LegalProvision.objects.exists()
    assert _actions() == []


@pytest.mark.parametrize(
    ("code", "family", "words"),
    [
        ("08051", "TIP", "ICCS 08051 is a code of “Smuggling of migrants”"),
        ("02041", "RELATED", "ICCS 02041 is a code of “Trafficking in persons”"),
        ("0805", "SOM", "ICCS codes of “Smuggling of migrants” start with 08051; 0805 does not."),
        ("02047", "TIP", "its codes are 0204, 02041, 02042, 02043, 02044"),
    ],
)
def test_an_iccs_code_that_does_not_fit_the_crime_says_why(
    node_admin: User, code: str, family: str, words: str
) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        add_provision(node_admin, iccs_code=code, crime_family=crime(family))
    assert words in refused.value.message_dict["iccs_code"][0]


def test_the_crime_is_named_in_the_persons_language(node_admin: User) -> None:
    # The crime's name comes from the code list, which carries both languages.
    with translation.override("es"), pytest.raises(ValidationError) as refused:
        add_provision(node_admin, iccs_code="08051")
    assert "Tráfico ilícito de migrantes" in refused.value.message_dict["iccs_code"][0]


@pytest.mark.parametrize(
    "twin",
    [
        {},
        {"instrument": "  ley especial contra la trata  de personas ", "article": "Art. 54"},
        {"article": "artículo 54", "title_es": "Otra redacción"},
    ],
)
def test_the_same_article_of_the_same_law_is_refused_with_a_clear_message(
    client: Client, node_admin: User, twin: dict[str, str]
) -> None:
    add_provision(node_admin)
    client.force_login(node_admin)
    response = client.post(ADD, _post_data(**twin))
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["article"]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        add_provision(node_admin, **twin)
    assert "is already in the list" in refused.value.message_dict["article"][0]
    assert LegalProvision.objects.count() == 1


def test_the_same_article_in_another_country_is_a_different_provision(node_admin: User, foreign_admin: User) -> None:
    add_provision(node_admin)
    add_provision(foreign_admin)
    assert LegalProvision.objects.count() == 2


# --- Correcting -------------------------------------------------------------------------------


def test_the_administrator_corrects_a_provision(client: Client, node_admin: User) -> None:
    provision = add_provision(node_admin)
    other = add_provision(node_admin, article="55", title_es="Remuneración por la trata", iccs_code="0204")
    client.force_login(node_admin)
    page = client.get(_edit(provision)).content.decode()
    assert re.search(r'name="version" value="1"', page)
    response = client.post(_edit(provision), _edit_data(provision, article="54-A", iccs_code="02042"))
    assert response.status_code == 302
    provision.refresh_from_db()
    assert (provision.article, provision.iccs_code, provision.version) == ("54-A", "02042", 2)
    entry = AuditEntry.objects.get(action="reference.provision_updated")
    assert entry.data == {
        "provision": "Ley Especial contra la Trata de Personas, art. 54-A",
        "iccs": "02042",
        "fields": ["article", "iccs_code"],
        "was": "Ley Especial contra la Trata de Personas, art. 54",
    }
    # Turning it into a copy of another provision is refused like a new duplicate.
    duplicate = client.post(_edit(provision), _edit_data(provision, article=other.article))
    assert duplicate.status_code == 400
    assert list(duplicate.context["form"].errors) == ["article"]
    assert LegalProvision.objects.get(pk=provision.pk).article == "54-A"


def test_saving_unchanged_values_records_nothing(node_admin: User) -> None:
    provision = add_provision(node_admin)
    saved = services.update_legal_provision(
        by=node_admin, provision=provision, expected_version=1, **provision_values()
    )
    assert saved.version == 1
    assert _actions() == ["reference.provision_added"]


def test_a_save_over_someone_elses_change_is_refused(client: Client, node_admin: User) -> None:
    provision = add_provision(node_admin)
    client.force_login(node_admin)
    stale = _edit_data(provision, title_en="First editor")
    assert client.post(_edit(provision), _edit_data(provision, title_en="Second editor")).status_code == 302
    response = client.post(_edit(provision), stale)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert LegalProvision.objects.get(pk=provision.pk).title_en == "Second editor"


# --- Retiring, with a charge that cites the provision --------------------------------------------


@pytest.fixture
def charged(node_admin: User, prosecutor: User) -> tuple[Any, Any, LegalProvision]:
    """A Salvadoran case whose suspect is charged under art. 54."""
    from vinculo.cases.services import charges, parties
    from vinculo.cases.tests.factories import code, open_case

    provision = add_provision(node_admin)
    case = open_case(prosecutor)
    suspect = parties.add_party(
        by=prosecutor,
        case=case,
        role=code("party_role", "SUSPECT"),
        sex=code("sex", "M"),
        identity=parties.Identity(given_names="Carlos", first_surname="Ramírez"),
        birth_year=1980,
    )
    charges.add_charge(
        by=prosecutor,
        party=suspect,
        provision=provision,
        participation=code("offence_participation", "PRINCIPAL"),
        status=code("charge_status", "CHARGED"),
    )
    return case, suspect, provision


def test_a_retired_provision_is_not_offered_but_old_charges_keep_it(
    client: Client, node_admin: User, prosecutor: User, charged: tuple[Any, Any, LegalProvision]
) -> None:
    from vinculo.cases.forms import ChargeForm
    from vinculo.cases.services import charges
    from vinculo.cases.tests.factories import code

    case, suspect, provision = charged
    other = add_provision(node_admin, article="55", iccs_code="02042")
    client.force_login(node_admin)
    assert client.get(_edit(provision)).context["charge_count"] == 1
    response = client.post(_state(provision, "retire"), {"version": provision.version})
    assert response.status_code == 302
    provision.refresh_from_db()
    assert not provision.is_active
    assert LegalProvision.objects.filter(pk=provision.pk).exists()  # retired, never deleted
    entry = AuditEntry.objects.get(action="reference.provision_retired")
    assert entry.data == {"provision": str(provision), "iccs": "02041", "charges": 1}

    offered = ChargeForm(country="SV").fields["provision"].queryset
    assert list(offered) == [other]
    with pytest.raises(DomainError):
        charges.add_charge(
            by=prosecutor,
            party=suspect,
            provision=provision,
            participation=code("offence_participation", "PRINCIPAL"),
            status=code("charge_status", "CHARGED"),
        )
    client.force_login(prosecutor)
    page = client.get(reverse("cases:case_detail", args=[case.pk])).content.decode()
    assert "Ley Especial contra la Trata de Personas, art. 54" in page

    client.force_login(node_admin)
    assert client.post(_state(provision, "reactivate"), {"version": provision.version}).status_code == 302
    provision.refresh_from_db()
    assert provision.is_active
    assert set(ChargeForm(country="SV").fields["provision"].queryset) == {provision, other}
    assert _actions()[-2:] == ["reference.provision_retired", "reference.provision_reactivated"]


def test_the_list_can_show_only_retired_provisions(client: Client, node_admin: User, prosecutor: User) -> None:
    provision = add_provision(node_admin)
    add_provision(node_admin, article="55", title_es="Remuneración por la trata", iccs_code="02042")
    services.retire_legal_provision(by=node_admin, provision=provision, expected_version=provision.version)
    client.force_login(prosecutor)
    retired = client.get(LIST, {"status": "retired"}).content.decode()
    in_force = client.get(LIST, {"status": "active"}).content.decode()
    assert (">54<" in retired, ">55<" in retired) == (True, False)
    assert (">54<" in in_force, ">55<" in in_force) == (False, True)


def test_retiring_twice_changes_nothing_more(node_admin: User) -> None:
    provision = add_provision(node_admin)
    once = services.retire_legal_provision(by=node_admin, provision=provision, expected_version=1)
    twice = services.retire_legal_provision(by=node_admin, provision=provision, expected_version=once.version)
    assert twice.version == once.version == 2
    assert _actions().count("reference.provision_retired") == 1


def test_a_retire_button_from_an_old_page_is_refused(client: Client, node_admin: User) -> None:
    provision = add_provision(node_admin)
    services.update_legal_provision(
        by=node_admin, provision=provision, expected_version=1, **provision_values(title_en="Reworded")
    )
    client.force_login(node_admin)
    response = client.post(_state(provision, "retire"), {"version": 1})
    assert response.status_code == 302
    assert response.url == _edit(provision)
    assert LegalProvision.objects.get(pk=provision.pk).is_active
    assert client.post(_state(provision, "delete"), {"version": 2}).status_code == 404


def test_what_a_charge_cites_no_longer_changes_only_its_wording(
    client: Client, node_admin: User, charged: tuple[Any, Any, LegalProvision]
) -> None:
    _case, _suspect, provision = charged
    for changes in ({"article": "54-A"}, {"iccs_code": "02042"}, {"instrument": "Código Penal"}):
        with pytest.raises(DomainError) as refused:
            services.update_legal_provision(
                by=node_admin, provision=provision, expected_version=provision.version, **provision_values(**changes)
            )
        assert refused.value.code == "provision_cited"
    client.force_login(node_admin)
    response = client.post(_edit(provision), _edit_data(provision, article="99"))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    reworded = client.post(_edit(provision), _edit_data(provision, title_es="Trata de personas (agravada)"))
    assert reworded.status_code == 302
    provision.refresh_from_db()
    assert (provision.article, provision.title_es) == ("54", "Trata de personas (agravada)")
