"""The auditor's filter form: bad input becomes errors, good input becomes criteria."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from vinculo.audit.forms import AuditFilterForm


def test_an_empty_form_is_valid_and_filters_nothing() -> None:
    form = AuditFilterForm({})
    assert form.is_valid()
    assert form.described() == {}
    assert form.criteria()["date_from"] is None


def test_given_filters_become_criteria_and_a_description() -> None:
    form = AuditFilterForm({"username": "fiscal", "action": "auth.", "date_from": "2026-03-01", "date_to": ""})
    assert form.is_valid(), form.errors
    assert form.criteria()["date_from"] == date(2026, 3, 1)
    assert form.described() == {"username": "fiscal", "action": "auth.", "date_from": "2026-03-01"}


@pytest.mark.parametrize("bad", ["2026-02-30", "yesterday", "2026-13-01", "99999-01-01", "0000-01-01", "'; DROP"])
def test_bad_dates_are_form_errors(bad: str) -> None:
    form = AuditFilterForm({"date_from": bad})
    assert not form.is_valid()
    assert "date_from" in form.errors
    assert form.submitted() == {"date_from": bad}


def test_the_end_may_not_come_before_the_start() -> None:
    with translation.override("en"):
        form = AuditFilterForm({"date_from": "2026-03-02", "date_to": "2026-03-01"})
        assert not form.is_valid()
        assert form.errors["date_to"] == ["The end date is before the start date."]
    with translation.override("es"):
        form = AuditFilterForm({"date_from": "2026-03-02", "date_to": "2026-03-01"})
        assert not form.is_valid()
        assert form.errors["date_to"] == ["La fecha final es anterior a la fecha inicial."]


def test_overlong_text_is_an_error_and_is_shortened_when_recorded() -> None:
    form = AuditFilterForm({"action": "a" * 500})
    assert not form.is_valid()
    assert form.submitted() == {"action": "a" * 100}


def test_labels_are_translatable() -> None:
    with translation.override("en"):
        assert str(AuditFilterForm().fields["date_from"].label) == "From"
