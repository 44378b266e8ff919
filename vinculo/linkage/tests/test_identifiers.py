"""Identifiers: phones to E.164, national identity numbers with their check digits, passports, plates, e-mail, handles.

All numbers are generated or made up; none belongs to a real person.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from vinculo.linkage.identifiers import (
    NI_CHECK_LETTERS,
    country_code,
    gt_cui_check_digit,
    icao_check_digit,
    luhn_check_digit,
    ni_cedula_letter,
    normalise_document,
    normalise_email,
    normalise_handle,
    normalise_national_id,
    normalise_passport,
    normalise_phone,
    normalise_plate,
    sv_dui_check_digit,
)
from vinculo.linkage.record import Identifier, IdentifierKind


def value(result):
    identifier, problem = result
    assert problem is None, problem
    return identifier.value


def code(result):
    identifier, problem = result
    assert identifier is None
    return problem.code


# --- phones


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("5555-1234", "GT", "+50255551234"),
        ("+502 5555 1234", "", "+50255551234"),
        ("(502) 5555-1234", "SV", "+50255551234"),
        ("00502.5555.1234", "", "+50255551234"),
        ("7777 8888", "SV", "+50377778888"),
        ("9999-0000", "HN", "+50499990000"),
        ("8888-7777", "NI", "+50588887777"),
        ("8888 7777", "CR", "+50688887777"),
        ("6123-4567", "PA", "+50761234567"),
        ("223-4567", "PA", "+5072234567"),
        ("622-1234", "BZ", "+5016221234"),
        ("809-555-1234", "DO", "+18095551234"),
        ("1-849-555-1234", "DO", "+18495551234"),
        ("+1 (829) 555-1234", "", "+18295551234"),
        ("50255551234", "", "+50255551234"),
        ("+1 212 555 0123", "GT", "+12125550123"),
    ],
)
def test_phones_become_e164(text, default, expected):
    assert value(normalise_phone(text, default_country=default)) == expected


@pytest.mark.parametrize(
    ("text", "default", "problem"),
    [
        ("555-1234", "DO", "bad_length"),  # the area code is missing
        ("5555-123", "GT", "bad_length"),
        ("+502 5555 12345", "", "bad_length"),
        ("5555-1234", "", "missing_country"),
        ("5555-1234", "MX", "unsupported_country"),
        ("0000-0000", "GT", "placeholder"),
        ("5555-1234 ext 2", "GT", "unreadable"),
        ("0555-1234", "GT", "bad_format"),
        ("+1 234 5678", "", "bad_length"),
        ("1" * 50, "GT", "too_long"),
    ],
)
def test_phones_refused_with_a_reason(text, default, problem):
    assert code(normalise_phone(text, default_country=default)) == problem


def test_national_numbers_try_the_office_country_then_the_nationality():
    assert value(normalise_phone("7777 8888", default_country="SV", fallback_country="GT")) == "+50377778888"
    assert value(normalise_phone("622-1234", default_country="GT", fallback_country="BZ")) == "+5016221234"
    assert value(normalise_phone("(829) 148-0199", default_country="CR")) == "+18291480199"
    assert value(normalise_phone("(501) 150-8948", default_country="DO")) == "+5011508948"
    assert code(normalise_phone("622-1234", default_country="GT", fallback_country="SV")) == "bad_length"


def test_phone_scope_is_the_country():
    identifier, _ = normalise_phone("+503 7777 8888")
    assert identifier == Identifier(IdentifierKind.PHONE, "SV", "+50377778888")


# --- national identity numbers: generated valid numbers pass, one changed digit fails

serials = st.text(alphabet="0123456789", min_size=8, max_size=8)


def make_cui(serial: str, department: int, municipality: int) -> str | None:
    check = gt_cui_check_digit(serial)
    return None if check is None else f"{serial}{check}{department:02d}{municipality:02d}"


@given(serials, st.integers(1, 22), st.integers(1, 5), st.integers(0, 8), st.integers(1, 9))
def test_gt_cui_valid_numbers_pass_and_one_changed_digit_fails(serial, department, municipality, position, delta):
    cui = make_cui(serial, department, municipality)
    assume(cui is not None and len(set(cui)) > 1)
    assert value(normalise_national_id("GT", f"{cui[:4]} {cui[4:9]} {cui[9:]}")) == cui
    changed = cui[:position] + str((int(cui[position]) + delta) % 10) + cui[position + 1 :]
    assert code(normalise_national_id("GT", changed)) == "bad_check_digit"


def test_gt_cui_department_and_municipality_are_checked():
    serial = next(s for s in (f"{n:08d}" for n in range(1234567, 1300000)) if gt_cui_check_digit(s) is not None)
    check = gt_cui_check_digit(serial)
    assert code(normalise_national_id("GT", f"{serial}{check}2301")) == "bad_format"  # no department 23
    assert code(normalise_national_id("GT", f"{serial}{check}0299")) == "bad_format"  # El Progreso has 8


@given(serials, st.integers(0, 8), st.integers(1, 9))
def test_sv_dui_valid_numbers_pass_and_detectable_changes_fail(serial, position, delta):
    dui = serial + str(sv_dui_check_digit(serial))
    assume(len(set(dui)) > 1)
    assert value(normalise_national_id("SV", f"{dui[:8]}-{dui[8]}")) == dui
    changed = dui[:position] + str((int(dui[position]) + delta) % 10) + dui[position + 1 :]
    weight = 1 if position == 8 else 9 - position
    if (weight * delta) % 10:  # the DUI's weights 9…2 miss a few changes (e.g. weight 5, ±2): that is the scheme
        assert code(normalise_national_id("SV", changed)) == "bad_check_digit"


def test_sv_dui_lost_leading_zero_is_restored():
    serial = "01234567"
    dui = serial + str(sv_dui_check_digit(serial))
    assert value(normalise_national_id("SV", f"1234567-{dui[8]}")) == dui


@given(st.text(alphabet="0123456789", min_size=10, max_size=10), st.integers(0, 10), st.integers(1, 9))
def test_do_cedula_luhn_valid_numbers_pass_and_one_changed_digit_fails(payload, position, delta):
    cedula = payload + str(luhn_check_digit(payload))
    assume(len(set(cedula)) > 1)
    assert value(normalise_national_id("DO", f"{cedula[:3]}-{cedula[3:10]}-{cedula[10]}")) == cedula
    changed = cedula[:position] + str((int(cedula[position]) + delta) % 10) + cedula[position + 1 :]
    assert code(normalise_national_id("DO", changed)) == "bad_check_digit"


@given(
    st.integers(1, 999),
    st.dates(),
    st.integers(1, 9999),
    st.integers(0, 12),
    st.integers(1, 9),
)
def test_ni_cedula_valid_numbers_pass_and_one_changed_digit_fails(place, birth, serial, position, delta):
    digits = f"{place:03d}{birth.day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
    cedula = digits + ni_cedula_letter(digits)
    assert value(normalise_national_id("NI", f"{digits[:3]}-{digits[3:9]}-{digits[9:]}{cedula[-1].lower()}")) == cedula
    changed = digits[:position] + str((int(digits[position]) + delta) % 10) + digits[position + 1 :]
    result = normalise_national_id("NI", changed + cedula[-1])
    assert code(result) in {"bad_check_digit", "bad_format"}  # a changed date digit may make no date


def test_ni_wrong_letter_is_refused():
    digits = "0010101900001"
    wrong = next(letter for letter in NI_CHECK_LETTERS if letter != ni_cedula_letter(digits))
    assert code(normalise_national_id("NI", digits + wrong)) == "bad_check_digit"


@pytest.mark.parametrize(
    ("country", "text", "expected"),
    [
        ("CR", "1-0234-0567", "102340567"),
        ("CR", "1-234-567", "102340567"),
        ("CR", "0102340567", "102340567"),
        ("CR", "102340567", "102340567"),
        ("CR", "155812345678", "155812345678"),  # DIMEX
        ("PA", "8-123-456", "8-123-456"),
        ("PA", "08-0123-000456", "8-123-456"),
        ("PA", "8-AV-12-345", "8-AV-12-345"),
        ("PA", "8av-12-345", "8-AV-12-345"),
        ("PA", "PE-1-234", "PE-1-234"),
        ("PA", "E 8 12345", "E-8-12345"),
        ("PA", "N-12-345", "N-12-345"),
        ("HN", "0801-1990-12345", "0801199012345"),
        ("BZ", "123456789", "123456789"),
        ("MX", "abcd-123456", "ABCD123456"),
    ],
)
def test_format_only_national_ids_are_canonical(country, text, expected):
    assert value(normalise_national_id(country, text)) == expected


@pytest.mark.parametrize(
    ("country", "text", "problem"),
    [
        ("CR", "0-0234-0567", "bad_format"),
        ("CR", "1234", "bad_length"),
        ("PA", "14-123-456", "bad_format"),
        ("PA", "8/123", "bad_format"),
        ("HN", "1901-1990-12345", "bad_format"),
        ("HN", "0801-1990-1234", "bad_length"),
        ("GT", "1111111111111", "placeholder"),
        ("GT", "12345", "bad_length"),
        ("GT", "12345678901ab", "bad_format"),
        ("", "123456789", "missing_country"),
    ],
)
def test_bad_national_ids_are_refused(country, text, problem):
    assert code(normalise_national_id(country, text)) == problem


def test_documents_read_their_kind_and_country_as_written():
    identifier, problem = normalise_document("Pasaporte", "Guatemala", "ab 123-4567")
    assert problem is None
    assert identifier == Identifier(IdentifierKind.PASSPORT, "GT", "AB1234567")
    serial = "01234567"
    dui = serial + str(sv_dui_check_digit(serial))
    identifier, _ = normalise_document("DUI", "", dui)
    assert identifier == Identifier(IdentifierKind.NATIONAL_ID, "SV", dui)
    assert code(normalise_document("licencia", "GT", "123")) == "unknown_kind"
    assert code(normalise_document("passport", "Atlantis", "AB123456")) == "unknown_country"


# --- passports


def test_passport_format_only_and_mrz_check_digit():
    assert value(normalise_passport("HN", " f-123.456 ")) == "F123456"
    assert icao_check_digit("L898902C3") == 6  # the ICAO 9303 specimen
    assert value(normalise_passport("NL", "L898902C36")) == "L898902C3"
    check = icao_check_digit("AB12345<<")
    assert value(normalise_passport("NL", f"AB12345<<{check}")) == "AB12345"
    assert code(normalise_passport("NL", f"AB12345<<{(check + 1) % 10}")) == "bad_check_digit"
    assert code(normalise_passport("GT", "ABCDEFGH")) == "placeholder"
    assert code(normalise_passport("GT", "A12")) == "bad_length"
    assert code(normalise_passport("", "A1234567")) == "missing_country"


@given(
    st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=9, max_size=9), st.integers(0, 8), st.integers(1, 9)
)
def test_mrz_check_digit_catches_one_changed_digit(number, position, delta):
    assume(number[position].isdigit())
    field = number + str(icao_check_digit(number))
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    assert icao_check_digit(changed) != int(field[9])


# --- plates, e-mail, handles


def test_plates_are_upper_case_without_separators():
    assert value(normalise_plate("GT", "p-123abc")) == "P123ABC"
    assert value(normalise_plate("HN", "HAB 1234")) == "HAB1234"
    assert value(normalise_plate("SV", "P 123-456")) == "P123456"
    assert code(normalise_plate("GT", "ABC")) == "bad_format"
    assert code(normalise_plate("GT", "P-12#3")) == "bad_format"
    assert code(normalise_plate("", "P123ABC")) == "missing_country"
    assert normalise_plate("Guatemala", "P123ABC")[0].scope == "GT"
    assert code(normalise_plate("Atlantis", "P123ABC")) == "unknown_country"
    assert normalise_passport("Honduras", "F123456")[0].scope == "HN"


def test_email_is_trimmed_and_lower_case_without_provider_rules():
    assert value(normalise_email("  Ana.Ruiz+casos@Example.COM ")) == "ana.ruiz+casos@example.com"
    assert value(normalise_email("ana@ejémplo.gt")).startswith("ana@xn--ejmplo-")  # IDNA (punycode)
    for bad in ("ana", "ana@", "@example.com", "ana@@example.com", "ana@example", "a..b@example.com", "ana@-x.com"):
        assert code(normalise_email(bad)) == "bad_format", bad
    assert code(normalise_email("notiene@example.com")) == "placeholder"


def test_handles_lose_at_and_urls_and_platforms_are_canonical():
    assert normalise_handle("FB", "@Chepe.Lopez")[0] == Identifier(IdentifierKind.HANDLE, "facebook", "chepe.lopez")
    assert value(normalise_handle("facebook", "https://www.facebook.com/chepe.lopez/")) == "chepe.lopez"
    assert value(normalise_handle("Facebook", "facebook.com/profile.php?id=100012345")) == "100012345"
    assert normalise_handle("Insta", "@ana_r")[0].scope == "instagram"
    assert normalise_handle("X", "@ana_r")[0].scope == "twitter"
    assert normalise_handle("WhatsApp", "+502 5555 1234")[0] == Identifier(IdentifierKind.PHONE, "GT", "+50255551234")
    assert code(normalise_handle("facebook", "@ ")) == "bad_format"
    assert code(normalise_handle("", "@ana")) == "unknown_platform"


def test_country_names_and_demonyms():
    assert country_code("Guatemala") == country_code("guatemalteca") == country_code("GTM") == "GT"
    assert country_code("República Dominicana") == "DO"
    assert country_code("Rep. de Panamá") == "PA"
    assert country_code("hondureño") == "HN"
    assert country_code("FR") == "FR"
    assert country_code("Atlantis") == ""


text = st.text(max_size=60)


@given(text, text, text)
def test_identifier_readers_never_raise(a, b, c):
    for result in (
        normalise_phone(a, default_country="GT"),
        normalise_document(a, b, c),
        normalise_national_id("PA", a),
        normalise_national_id("NI", a),
        normalise_national_id("CR", a),
        normalise_passport("GT", a),
        normalise_plate("GT", a),
        normalise_email(a),
        normalise_handle(a, b),
    ):
        identifier, problem = result
        assert (identifier is None) != (problem is None)
        if identifier is not None:
            assert identifier.value.isascii()
            assert identifier.value.strip() == identifier.value
