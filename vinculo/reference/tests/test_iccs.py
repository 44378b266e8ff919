"""The ICCS code of a provision against its crime family (pure: plain data, no database)."""

from __future__ import annotations

import pytest

from vinculo.reference import iccs

PREFIXES = {"TIP": "0204", "SOM": "08051"}  # as crime_family.csv maps them
SUB_CODES = ["02041", "02042", "02042", "02043", "02044"]  # as exploitation_form.csv maps them


@pytest.mark.parametrize("code", ["0204", "02041", "02044", "020411"])
def test_trafficking_codes_fit_trafficking(code: str) -> None:
    assert iccs.mismatch(code, "TIP", PREFIXES, SUB_CODES) is None


@pytest.mark.parametrize("code", ["08051", "080511"])
def test_smuggling_codes_fit_smuggling(code: str) -> None:
    assert iccs.mismatch(code, "SOM", PREFIXES, SUB_CODES) is None


def test_a_smuggling_code_on_trafficking_names_smuggling() -> None:
    assert iccs.mismatch("08051", "TIP", PREFIXES, SUB_CODES) == iccs.Mismatch(owner="SOM", expected_prefix="0204")


def test_a_code_of_no_family_on_smuggling_says_what_smuggling_expects() -> None:
    assert iccs.mismatch("0805", "SOM", PREFIXES, SUB_CODES) == iccs.Mismatch(owner=None, expected_prefix="08051")


@pytest.mark.parametrize("code", ["02045", "020491"])
def test_an_unknown_trafficking_sub_code_lists_the_known_ones(code: str) -> None:
    found = iccs.mismatch(code, "TIP", PREFIXES, SUB_CODES)
    assert found is not None
    assert found.known_codes == ("0204", "02041", "02042", "02043", "02044")


@pytest.mark.parametrize("family", ["RELATED", "TIP_AND_SOM"])
def test_families_without_a_category_take_no_trafficking_or_smuggling_code(family: str) -> None:
    assert iccs.mismatch("02041", family, PREFIXES, SUB_CODES) == iccs.Mismatch(owner="TIP", expected_prefix=None)
    assert iccs.mismatch("08051", family, PREFIXES, SUB_CODES) == iccs.Mismatch(owner="SOM", expected_prefix=None)
    assert iccs.mismatch("020291", family, PREFIXES, SUB_CODES) is None  # irregular adoption, a related offence


def test_without_sub_codes_any_code_under_the_category_fits() -> None:
    assert iccs.mismatch("02049", "TIP", PREFIXES) is None


@pytest.mark.parametrize(("code", "ok"), [("0204", True), ("020411", True), ("204", False), ("0204111", False),
                                          ("02O41", False), ("", False), ("02041\n", False)])  # fmt: skip
def test_well_formed_codes_have_4_to_6_digits(code: str, ok: bool) -> None:
    assert iccs.is_well_formed(code) is ok
