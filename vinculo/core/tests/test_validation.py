"""validate(): full_clean's checks without a query per loaded foreign key."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from vinculo.accounts.models import User
from vinculo.cases.models import CaseParty, SupportRecord
from vinculo.cases.services import parties
from vinculo.cases.tests.factories import code, open_case
from vinculo.core.validation import validate


@pytest.fixture
def victim(prosecutor: User) -> CaseParty:
    case = open_case(prosecutor)
    return parties.add_party(
        by=prosecutor, case=case, role=code("party_role", "VICTIM"), sex=code("sex", "F"), identity=parties.Identity()
    )


def test_the_same_errors_as_full_clean(victim: CaseParty, prosecutor: User) -> None:
    # A code of the wrong list: the model's clean() refuses it, in both.
    record = SupportRecord(party=victim, category="service", kind=code("sex", "F"), created_by=prosecutor)
    with pytest.raises(ValidationError) as ours:
        validate(record)
    with pytest.raises(ValidationError) as django:
        record.full_clean()
    assert ours.value.message_dict == django.value.message_dict
    duplicate = CaseParty(case=victim.case, person=victim.person, role=victim.role, created_by=prosecutor)
    with pytest.raises(ValidationError) as unique:
        validate(duplicate)
    assert "__all__" in unique.value.message_dict, "constraints are still checked"


def test_no_query_per_loaded_foreign_key(victim: CaseParty, prosecutor: User) -> None:
    record = SupportRecord(
        party=victim, category="service", kind=code("victim_service", "HEALTH"), created_by=prosecutor
    )
    record.kind.code_list  # noqa: B018 - loaded before counting, as services have it
    with CaptureQueriesContext(connection) as ours:
        validate(record)
    with CaptureQueriesContext(connection) as django:
        record.full_clean()
    assert len(ours.captured_queries) < len(django.captured_queries)
    assert not any('FROM "accounts_user"' in query["sql"] for query in ours.captured_queries)
