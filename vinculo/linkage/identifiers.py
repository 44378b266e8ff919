"""Exact identifiers in canonical form: phones (E.164), national identity numbers, passports, plates, e-mail, handles.

Every reader returns ``(Identifier, None)`` or ``(None, Problem)``; none raises. A value that fails
its check digit or its format is left out, because an exact identifier that is wrong would make a
false hit on its own.

National identity numbers of the eight member countries:

- GT DPI/CUI, 13 digits: 8-digit serial, a check digit (serial digits weighted 2…9, sum mod 11;
  a remainder of 10 is never issued), department 01-22 and a municipality within the department's
  count. **Check digit verified.**
- SV DUI, 9 digits: 8 digits weighted 9…2, check = (10 - sum mod 10) mod 10. **Check digit
  verified.** A leading zero lost by a spreadsheet ("1234567-8") is restored.
- DO cédula, 11 digits: Luhn over all 11. **Check digit verified.** (A few old cédulas were issued
  with a wrong check digit; they are refused here and would need an exception list.)
- NI cédula, "001-010190-0001A": municipality, birth date ddmmyy, serial, and a check letter: the
  13 digits as one number mod 23 indexes "ABCDEFGHJKLMNPQRSTUVWXY". **Check letter verified.**
- CR cédula de identidad, 9 digits (province 1-9, tomo, asiento; "1-0234-0567", "1-234-567" and
  the 10-digit "0102340567" all read the same): **format only**, it has no check digit. An 11- or
  12-digit DIMEX (foreign resident) number is accepted on its length alone.
- PA cédula, "8-123-456", "8-AV-12-345", "PE-1-234", "E-8-12345", "N-12-345": **format only**
  (no check digit exists); the canonical value keeps the hyphens, because without them
  "8-12-3456" and "8-123-456" would collide.
- HN DNI, 13 digits (department 01-18, municipality, year of registration, serial): **format
  only**; no check digit is published.
- BZ: there is no single national identity number (the social security number is the usual one):
  **format only**, 6-10 digits.

Other countries' identity numbers are kept as upper-case letters and digits (format only).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from vinculo.linkage.names import fold
from vinculo.linkage.record import Identifier, IdentifierKind, Problem

MAX_IDENTIFIER_CHARS = 100
MAX_EMAIL_CHARS = 254
MEMBER_COUNTRIES = ("GT", "SV", "HN", "NI", "CR", "PA", "BZ", "DO")

# --- countries ---------------------------------------------------------------------------------------

# Names, demonyms (both genders) and codes people write for a country, separated by "|".
_COUNTRY_NAMES = {
    "GT": "gt|gtm|guatemala|guatemalteco|guatemalteca|guatemalan|chapin|chapina",
    "SV": "sv|slv|el salvador|salvador|salvadoreno|salvadorena|salvadoran|guanaco|guanaca",
    "HN": "hn|hnd|honduras|hondureno|hondurena|honduran|catracho|catracha",
    "NI": "ni|nic|nicaragua|nicaraguense|nicaraguan|nica",
    "CR": "cr|cri|costa rica|costarricense|costarriqueno|costarriquena|tico|tica|costa rican",
    "PA": "pa|pan|panama|panameno|panamena|panamanian",
    "BZ": "bz|blz|belice|belize|beliceno|belicena|belizean",
    "DO": "do|dom|republica dominicana|dominicana|dominicano|dominican republic|dominican|rd",
    "MX": "mx|mex|mexico|mejico|mexicano|mexicana|mexican",
    "US": "us|usa|eeuu|eua|estados unidos|estadounidense|united states|united states of america|american",
    "CO": "co|col|colombia|colombiano|colombiana|colombian",
    "VE": "ve|ven|venezuela|venezolano|venezolana|venezuelan",
    "EC": "ec|ecu|ecuador|ecuatoriano|ecuatoriana|ecuadorian",
    "CU": "cu|cub|cuba|cubano|cubana|cuban",
    "HT": "ht|hti|haiti|haitiano|haitiana|haitian",
    "PE": "pe|per|peru|peruano|peruana|peruvian",
    "ES": "es|esp|espana|espanol|espanola|spain|spanish",
    "CA": "ca|can|canada|canadiense|canadian",
}


def _country_table() -> dict[str, str]:
    return {name: code for code, names in _COUNTRY_NAMES.items() for name in names.split("|")}


_COUNTRIES = _country_table()
_ALPHA2_LOOKS = re.compile(r"[a-z]{2}")


@lru_cache(maxsize=4096)
def country_code(text: str) -> str:
    """ISO 3166 alpha-2 for a country as written ("GT", "Guatemala", "guatemalteca"), or "" when unknown."""
    if not text or len(text) > 60:
        return ""
    folded = fold(text)
    for prefix in ("republica de ", "rep de ", "rep ", "republic of "):
        if folded.startswith(prefix) and folded[len(prefix) :] in _COUNTRIES:
            folded = folded[len(prefix) :]
    if folded in _COUNTRIES:
        return _COUNTRIES[folded]
    if _ALPHA2_LOOKS.fullmatch(folded) and folded.upper() in _iso_alpha2():
        return folded.upper()
    return ""


@lru_cache(maxsize=1)
def _iso_alpha2() -> frozenset[str]:
    import pycountry  # imported on first need: its tables load slowly and most records name a known country

    return frozenset(country.alpha_2 for country in pycountry.countries)


def _issuer(country: str, field: str, what: str) -> tuple[str, Problem | None]:
    """The issuing country as alpha-2 from a code or a name as written, or the problem with it."""
    if not country or country.isspace():
        return "", Problem(field, "missing_country", f"{what} without its issuing country")
    issuer = country_code(country)
    if not issuer:
        return "", Problem(field, "unknown_country", "not a country this reader knows")
    return issuer, None


# --- phones ------------------------------------------------------------------------------------------

# calling code, national number lengths
_PHONE_PLANS: dict[str, tuple[str, tuple[int, ...]]] = {
    "GT": ("502", (8,)),
    "SV": ("503", (8,)),
    "HN": ("504", (8,)),
    "NI": ("505", (8,)),
    "CR": ("506", (8,)),
    "PA": ("507", (7, 8)),  # 7-digit fixed lines, 8-digit mobiles
    "BZ": ("501", (7,)),
    "DO": ("1", (10,)),  # North American plan: area code 809, 829 or 849 + 7 digits
}
_DO_AREA_CODES = ("809", "829", "849")
_CALLING_CODES = {plan[0]: country for country, plan in _PHONE_PLANS.items() if country != "DO"}
_PHONE_SEPARATORS = str.maketrans("", "", " \t-.()/\u00a0\u2010\u2011\u2012\u2013\u2014")


def _phone_problem(field: str, code: str, detail: str) -> tuple[None, Problem]:
    return None, Problem(field, code, detail)


def _e164(country: str, national: str) -> Identifier:
    return Identifier(IdentifierKind.PHONE, country, "+" + _PHONE_PLANS[country][0] + national)


def _national(country: str, digits: str, field: str) -> tuple[Identifier | None, Problem | None]:
    code, lengths = _PHONE_PLANS[country]
    if country == "DO":
        if len(digits) == 11 and digits[0] == "1":
            digits = digits[1:]
        if len(digits) == 10 and digits[:3] in _DO_AREA_CODES:
            return _e164(country, digits), None
        if len(digits) == 7:
            return _phone_problem(field, "bad_length", "a Dominican number needs its area code (809, 829 or 849)")
        return _phone_problem(field, "bad_length", "a Dominican number is 10 digits starting 809, 829 or 849")
    if len(digits) not in lengths and digits.startswith(code) and len(digits) - len(code) in lengths:
        digits = digits[len(code) :]  # "502 5555 1234" written without the "+"
    if len(digits) not in lengths:
        expected = " or ".join(str(length) for length in lengths)
        return _phone_problem(field, "bad_length", f"a number in {country} has {expected} digits, not {len(digits)}")
    if digits[0] == "0":
        return _phone_problem(field, "bad_format", f"no number in {country} starts with 0")
    return _e164(country, digits), None


def _fits(country: str, digits: str) -> bool:
    """Whether national ``digits`` have a length (and for the Dominican Republic an area code) of ``country``."""
    if country == "DO":
        return (len(digits) == 10 or (len(digits) == 11 and digits[0] == "1")) and digits[-10:-7] in _DO_AREA_CODES
    return country in _PHONE_PLANS and len(digits) in _PHONE_PLANS[country][1]


def normalise_phone(
    text: str, *, default_country: str = "", fallback_country: str = "", field: str = "phones"
) -> tuple[Identifier | None, Problem | None]:
    """A phone number in E.164 ("+50255551234").

    A national number takes ``default_country``'s calling code when its length fits that country
    (the office's country: local numbers are written the local way); else a calling code written
    without "+" ("502 5555 1234") or a Dominican area code gives the country; else
    ``fallback_country`` (the person's nationality) is tried.
    """
    if len(text) > 40:
        return _phone_problem(field, "too_long", f"{len(text)} characters")
    compact = text.strip().translate(_PHONE_SEPARATORS)
    international = compact.startswith("+") or compact.startswith("00")
    digits = compact[1:] if compact.startswith("+") else compact[2:] if compact.startswith("00") else compact
    if not digits.isascii() or not digits.isdigit():
        return _phone_problem(field, "unreadable", "a phone number has only digits, spaces, dashes, dots, ( ) and +")
    if len(set(digits)) == 1 or set(digits[-7:]) == {"0"}:
        return _phone_problem(field, "placeholder", "a run of one digit stands for no number")
    if international:
        if digits[0] == "1":
            if digits[1:4] in _DO_AREA_CODES:
                return _national("DO", digits, field)
            return _foreign(digits, field)
        country = _CALLING_CODES.get(digits[:3], "")
        if country:
            return _national(country, digits[3:], field)
        return _foreign(digits, field)
    if _fits(default_country, digits):
        return _national(default_country, digits, field)
    # Written with a calling code but without "+" or "00": "502 5555 1234", "1 809 555 1234".
    for code, country in _CALLING_CODES.items():
        if digits.startswith(code) and len(digits) - 3 in _PHONE_PLANS[country][1]:
            return _national(country, digits[3:], field)
    if _fits("DO", digits):
        return _national("DO", digits, field)
    if _fits(fallback_country, digits):
        return _national(fallback_country, digits, field)
    if default_country in _PHONE_PLANS:
        return _national(default_country, digits, field)
    if default_country:
        return _phone_problem(field, "unsupported_country", f"national numbers of {default_country} are not read")
    return _phone_problem(field, "missing_country", "a national number without a country")


def _foreign(digits: str, field: str) -> tuple[Identifier | None, Problem | None]:
    """A number outside the eight countries: kept in E.164 without a country when its length is possible."""
    if not 8 <= len(digits) <= 15 or digits[0] == "0":
        return _phone_problem(field, "bad_length", "an international number has 8 to 15 digits")
    if digits[0] == "1" and len(digits) != 11:
        return _phone_problem(field, "bad_length", "a North American number is 1 and 10 digits")
    return Identifier(IdentifierKind.PHONE, "", "+" + digits), None


# --- check digits ------------------------------------------------------------------------------------


def gt_cui_check_digit(serial: str) -> int | None:
    """The check digit of a Guatemalan CUI's 8-digit serial; None when no valid CUI has this serial."""
    remainder = sum(int(digit) * weight for digit, weight in zip(serial, range(2, 10), strict=True)) % 11
    return None if remainder == 10 else remainder


def sv_dui_check_digit(serial: str) -> int:
    """The check digit of a Salvadoran DUI's 8 digits."""
    return (10 - sum(int(digit) * weight for digit, weight in zip(serial, range(9, 1, -1), strict=True)) % 10) % 10


def luhn_check_digit(payload: str) -> int:
    """The Luhn digit to append to ``payload`` (Dominican cédula)."""
    total = 0
    for position, digit in enumerate(reversed(payload)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


NI_CHECK_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"


def ni_cedula_letter(digits13: str) -> str:
    """The check letter of a Nicaraguan cédula's 13 digits."""
    return NI_CHECK_LETTERS[int(digits13) % 23]


def _icao_value(char: str) -> int:
    if char.isdigit():
        return int(char)
    if char == "<":
        return 0
    return ord(char) - ord("A") + 10


def icao_check_digit(text: str) -> int:
    """ICAO 9303 check digit (weights 7, 3, 1; A-Z = 10-35; "<" = 0) of an MRZ field."""
    return sum(_icao_value(char) * (7, 3, 1)[index % 3] for index, char in enumerate(text)) % 10


# --- national identity numbers ----------------------------------------------------------------------

_ID_SEPARATORS = str.maketrans("", "", " \t-./_\u00a0\u2010\u2011\u2013\u2014")
# Municipalities per department (01 Guatemala … 22 Jutiapa), as RENAP numbers them, counting
# Sipacate (Escuintla) and Petatán (Huehuetenango), both created in 2015. A municipality created
# later must be added here, or CUIs registered there are refused.
GT_MUNICIPALITIES = (17, 8, 16, 16, 14, 14, 19, 8, 24, 21, 9, 30, 33, 21, 8, 17, 14, 5, 11, 11, 7, 17)


class _Invalid(Exception):
    """Internal: an identity number that does not hold; never leaves this module."""

    def __init__(self, code: str, detail: str) -> None:
        self.code = code
        self.detail = detail


def _digits(number: str, lengths: tuple[int, ...], country: str) -> str:
    digits = number.translate(_ID_SEPARATORS)
    if not digits.isascii() or not digits.isdigit():
        raise _Invalid("bad_format", f"a {country} identity number has only digits")
    if len(digits) not in lengths:
        raise _Invalid("bad_length", f"a {country} identity number has {lengths} digits, not {len(digits)}")
    if len(set(digits)) == 1:
        raise _Invalid("placeholder", "a run of one digit stands for no number")
    return digits


def _gt(number: str) -> str:
    digits = _digits(number, (13,), "GT")
    department, municipality = int(digits[9:11]), int(digits[11:13])
    if not 1 <= department <= 22 or not 1 <= municipality <= GT_MUNICIPALITIES[department - 1]:
        raise _Invalid("bad_format", f"no municipality {digits[9:13]} in Guatemala")
    if gt_cui_check_digit(digits[:8]) != int(digits[8]):
        raise _Invalid("bad_check_digit", "the CUI check digit does not match")
    return digits


def _sv(number: str) -> str:
    compact = number.strip()
    if "-" in compact:
        serial, _, check = compact.rpartition("-")
        compact = serial.translate(_ID_SEPARATORS).zfill(8) + check.strip()
    digits = _digits(compact, (8, 9), "SV")
    digits = digits.zfill(9)
    if sv_dui_check_digit(digits[:8]) != int(digits[8]):
        raise _Invalid("bad_check_digit", "the DUI check digit does not match")
    return digits


def _do(number: str) -> str:
    digits = _digits(number, (11,), "DO")
    if luhn_check_digit(digits[:10]) != int(digits[10]):
        raise _Invalid("bad_check_digit", "the cédula check digit (Luhn) does not match")
    return digits


_NI = re.compile(r"(\d{3})(\d{2})(\d{2})(\d{2})(\d{4})([A-Z])")


def _ni(number: str) -> str:
    compact = number.translate(_ID_SEPARATORS).upper()
    match = _NI.fullmatch(compact)
    if not match:
        raise _Invalid("bad_format", "a Nicaraguan cédula is 3 + 6 + 4 digits and a letter")
    day, month = int(match.group(2)), int(match.group(3))
    if not 1 <= day <= 31 or not 1 <= month <= 12:
        raise _Invalid("bad_format", "the cédula's birth date part is no date")
    if ni_cedula_letter(compact[:13]) != match.group(6):
        raise _Invalid("bad_check_digit", "the cédula check letter does not match")
    return compact


_CR_SEPARATORS = re.compile(r"[-. ]+")


def _cr(number: str) -> str:
    parts = [part for part in _CR_SEPARATORS.split(number.strip()) if part]
    if len(parts) == 3 and all(part.isascii() and part.isdigit() for part in parts):
        if len(parts[0]) > 2 or len(parts[1]) > 4 or len(parts[2]) > 4:
            raise _Invalid("bad_format", "a Costa Rican cédula is province-tomo-asiento")
        number = str(int(parts[0])) + parts[1].zfill(4) + parts[2].zfill(4)
    digits = _digits(number, (9, 10, 11, 12), "CR")
    if len(digits) == 10:
        if digits[0] != "0":
            raise _Invalid("bad_format", "a 10-digit Costa Rican cédula starts with 0")
        digits = digits[1:]
    if len(digits) == 9 and digits[0] == "0":
        raise _Invalid("bad_format", "a Costa Rican cédula starts with its province, 1 to 9")
    return digits


_PA = re.compile(r"(?:(\d{1,2})(?:-?(AV|PI))?|(PE|E|N))-(\d{1,4})-(\d{1,6})")
_PA_SEPARATORS = re.compile(r"[\s.-]+")


def _pa(number: str) -> str:
    compact = _PA_SEPARATORS.sub("-", number.strip().upper())
    match = _PA.fullmatch(compact)
    if not match:
        raise _Invalid("bad_format", "a Panamanian cédula is like 8-123-456, 8-AV-12-345 or PE-1-234")
    province, letters, foreign, book, entry = match.groups()
    if province is not None and not 1 <= int(province) <= 13:
        raise _Invalid("bad_format", "Panama's provinces are 1 to 13")
    if int(entry) == 0:
        raise _Invalid("placeholder", "an entry number of zero")
    head = foreign if foreign else str(int(province)) + (f"-{letters}" if letters else "")
    return f"{head}-{int(book)}-{int(entry)}"


def _hn(number: str) -> str:
    digits = _digits(number, (13,), "HN")
    if not 1 <= int(digits[:2]) <= 18 or int(digits[2:4]) == 0:
        raise _Invalid("bad_format", "a Honduran DNI starts with a department 01-18 and a municipality")
    if not 1880 <= int(digits[4:8]) <= 2100:
        raise _Invalid("bad_format", "a Honduran DNI's digits 5-8 are a year")
    return digits


def _bz(number: str) -> str:
    return _digits(number, (6, 7, 8, 9, 10), "BZ")


def _other(number: str) -> str:
    compact = number.translate(_ID_SEPARATORS).upper()
    if not compact.isascii() or not compact.isalnum() or not 4 <= len(compact) <= 20:
        raise _Invalid("bad_format", "an identity number is 4 to 20 letters and digits")
    if len(set(compact)) == 1:
        raise _Invalid("placeholder", "a run of one character stands for no number")
    return compact


_NATIONAL_ID_READERS = {"GT": _gt, "SV": _sv, "DO": _do, "NI": _ni, "CR": _cr, "PA": _pa, "HN": _hn, "BZ": _bz}


def normalise_national_id(
    country: str, number: str, *, field: str = "documents"
) -> tuple[Identifier | None, Problem | None]:
    """A national identity number of ``country`` (alpha-2 or a name), checked as described in the module docstring."""
    if len(number) > MAX_IDENTIFIER_CHARS:
        return None, Problem(field, "too_long", f"{len(number)} characters")
    issuer, problem = _issuer(country, field, "an identity number")
    if problem:
        return None, problem
    try:
        value = _NATIONAL_ID_READERS.get(issuer, _other)(number)
    except _Invalid as invalid:
        return None, Problem(field, invalid.code, invalid.detail)
    return Identifier(IdentifierKind.NATIONAL_ID, issuer, value), None


# --- passports ---------------------------------------------------------------------------------------

_PASSPORT_SEPARATORS = str.maketrans("", "", " \t-./\u00a0")


def normalise_passport(
    country: str, number: str, *, field: str = "documents"
) -> tuple[Identifier | None, Problem | None]:
    """A passport number in upper case without separators; an MRZ field with its check digit is verified.

    "L898902C3<6"-style input (the MRZ's 9-character field padded with "<" and its check digit),
    or 10 characters whose last is the ICAO check digit of the first 9, loses the check digit after
    it is verified; otherwise the number is checked for format only (5 to 9 letters and digits).
    """
    if len(number) > MAX_IDENTIFIER_CHARS:
        return None, Problem(field, "too_long", f"{len(number)} characters")
    compact = number.translate(_PASSPORT_SEPARATORS).upper()
    if not compact.isascii() or not all(char.isalnum() or char == "<" for char in compact):
        return None, Problem(field, "bad_format", "a passport number has only letters and digits")
    if "<" in compact:
        if len(compact) != 10 or not compact[9].isdigit():
            return None, Problem(field, "bad_format", "an MRZ number field is 9 characters and a check digit")
        if icao_check_digit(compact[:9]) != int(compact[9]):
            return None, Problem(field, "bad_check_digit", "the MRZ check digit does not match")
        compact = compact[:9].rstrip("<")
        if "<" in compact:
            return None, Problem(field, "bad_format", "filler inside an MRZ number")
    elif len(compact) == 10 and compact[9].isdigit() and icao_check_digit(compact[:9]) == int(compact[9]):
        compact = compact[:9]
    if not 5 <= len(compact) <= 9:
        return None, Problem(field, "bad_length", "a passport number has 5 to 9 characters")
    if not any(char.isdigit() for char in compact) or len(set(compact)) == 1:
        return None, Problem(field, "placeholder", "no passport number looks like this")
    issuer, problem = _issuer(country, field, "a passport number")
    if problem:
        return None, problem
    return Identifier(IdentifierKind.PASSPORT, issuer, compact), None


PASSPORT_KINDS = frozenset({"passport", "pasaporte", "pass", "pp", "psp"})
_NATIONAL_ID_KINDS = {
    "national id": "",
    "national_id": "",
    "nationalid": "",
    "id": "",
    "identity": "",
    "cedula": "",
    "cedula de identidad": "",
    "cedula de identidad personal": "PA",
    "cip": "PA",
    "dni": "",
    "documento nacional de identificacion": "HN",
    "dpi": "GT",
    "cui": "GT",
    "documento personal de identificacion": "GT",
    "dui": "SV",
    "documento unico de identidad": "SV",
    "dimex": "CR",
}


@lru_cache(maxsize=256)
def _document_kind(kind: str) -> tuple[bool, str | None]:
    """(is a passport, the implied issuing country of a national id or None when the kind is unknown)."""
    folded = fold(kind).replace("_", " ")
    if folded in PASSPORT_KINDS:
        return True, ""
    key = folded if folded in _NATIONAL_ID_KINDS else kind.strip().lower()
    return False, _NATIONAL_ID_KINDS.get(key)


def is_passport_kind(kind: str) -> bool:
    """Whether a document kind as written ("Pasaporte", "PP") names a passport."""
    return _document_kind(kind[:60])[0]


def normalise_document(
    kind: str, country: str, number: str, *, fallback_country: str = "", field: str = "documents"
) -> tuple[Identifier | None, Problem | None]:
    """A document as a record holds it: (kind as written, issuing country as written, number)."""
    is_passport, implied_country = _document_kind(kind[:60])
    issuer = country_code(country)
    if country and not issuer:
        return None, Problem(field, "unknown_country", "the issuing country is not one this reader knows")
    if is_passport:
        return normalise_passport(issuer or fallback_country, number, field=field)
    if implied_country is not None:
        return normalise_national_id(issuer or implied_country or fallback_country, number, field=field)
    return None, Problem(field, "unknown_kind", "a document is a passport or a national identity number")


# --- plates, e-mail, handles -------------------------------------------------------------------------

_PLATE_SEPARATORS = str.maketrans("", "", " \t-.·/_\u00a0\u2010\u2011\u2013")


def normalise_plate(country: str, plate: str, *, field: str = "plates") -> tuple[Identifier | None, Problem | None]:
    """A vehicle plate in upper case without separators ("P-123ABC" → "P123ABC").

    Formats are checked loosely (2 to 10 letters and digits, at least one digit): plate schemes
    change and special series (diplomatic, rental, motorcycles) differ in every country.
    """
    if len(plate) > 40:
        return None, Problem(field, "too_long", f"{len(plate)} characters")
    compact = plate.translate(_PLATE_SEPARATORS).upper()
    if not compact.isascii() or not compact.isalnum():
        return None, Problem(field, "bad_format", "a plate has only letters and digits")
    if not 2 <= len(compact) <= 10 or not any(char.isdigit() for char in compact):
        return None, Problem(field, "bad_format", "a plate has 2 to 10 characters, at least one a digit")
    if len(set(compact)) == 1:
        return None, Problem(field, "placeholder", "a run of one character stands for no plate")
    issuer, problem = _issuer(country, field, "a plate")
    if problem:
        return None, problem
    return Identifier(IdentifierKind.PLATE, issuer, compact), None


_EMAIL_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_EMAIL_PLACEHOLDERS = frozenset(
    {"no", "na", "ninguno", "notiene", "no.tiene", "sincorreo", "sin.correo", "noemail", "nomail", "none", "test"}
)


def normalise_email(text: str, *, field: str = "emails") -> tuple[Identifier | None, Problem | None]:
    """An e-mail address trimmed and in lower case.

    Provider rules (Gmail ignoring dots and "+tags") are deliberately not applied: they hold for
    some providers only, and folding them would merge addresses that are different mailboxes
    elsewhere; an exact identifier must stay exact.
    """
    if len(text) > MAX_EMAIL_CHARS + 10:
        return None, Problem(field, "too_long", f"{len(text)} characters")
    address = text.strip().lower()
    if not address.isascii():
        address = unicodedata.normalize("NFC", address)
    address = address.removeprefix("mailto:")
    local, at, domain = address.rpartition("@")
    if not at or not _EMAIL_LOCAL.fullmatch(local) or len(local) > 64:
        return None, Problem(field, "bad_format", "not an e-mail address")
    domain = domain.rstrip(".")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None, Problem(field, "bad_format", "the domain is not a valid host name")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return None, Problem(field, "bad_format", "the domain is not a valid host name")
    address = f"{local}@{domain}"
    if len(address) > MAX_EMAIL_CHARS:
        return None, Problem(field, "too_long", f"{len(address)} characters")
    if local in _EMAIL_PLACEHOLDERS:
        return None, Problem(field, "placeholder", "a stand-in for no e-mail address")
    return Identifier(IdentifierKind.EMAIL, "", address), None


PLATFORMS = {
    "facebook": "facebook", "fb": "facebook", "face": "facebook", "messenger": "facebook",
    "instagram": "instagram", "ig": "instagram", "insta": "instagram",
    "twitter": "twitter", "x": "twitter", "tw": "twitter",
    "tiktok": "tiktok", "tik tok": "tiktok", "tt": "tiktok",
    "whatsapp": "whatsapp", "wa": "whatsapp", "wasap": "whatsapp", "whats": "whatsapp", "wsp": "whatsapp",
    "telegram": "telegram", "tg": "telegram",
    "signal": "signal",
    "snapchat": "snapchat", "snap": "snapchat",
    "youtube": "youtube", "yt": "youtube",
    "linkedin": "linkedin",
    "threads": "threads",
    "kwai": "kwai",
}  # fmt: skip
_PHONE_PLATFORMS = frozenset({"whatsapp", "signal"})
_HANDLE = re.compile(r"[a-z0-9._-]{1,64}")
_PLATFORM_NAME = re.compile(r"[a-z0-9]{2,20}")
_URL_PREFIX = re.compile(r"^(?:https?://)?(?:www\.|m\.|mobile\.)?[a-z0-9.-]+\.[a-z]{2,}/", re.IGNORECASE)
_PROFILE_ID = re.compile(r"profile\.php\?id=(\d+)")


@lru_cache(maxsize=256)
def _platform_key(platform: str) -> str:
    return fold(platform)


def normalise_handle(
    platform: str, handle: str, *, default_country: str = "", field: str = "handles"
) -> tuple[Identifier | None, Problem | None]:
    """A social-media handle without "@" and in lower case, scoped by its platform's canonical name.

    A WhatsApp or Signal "handle" is a phone number and comes back as a phone identifier.
    """
    if len(handle) > 200 or len(platform) > 40:
        return None, Problem(field, "too_long", "longer than any handle")
    folded_platform = _platform_key(platform)
    canonical = PLATFORMS.get(folded_platform) or PLATFORMS.get(folded_platform.replace(" ", ""))
    if canonical is None:
        canonical = folded_platform.replace(" ", "")
        if not _PLATFORM_NAME.fullmatch(canonical):
            return None, Problem(field, "unknown_platform", "a handle needs the platform it belongs to")
    if canonical in _PHONE_PLATFORMS:
        return normalise_phone(handle, default_country=default_country, field=field)
    value = handle.strip()
    if profile := _PROFILE_ID.search(value):
        value = profile.group(1)
    else:
        value = _URL_PREFIX.sub("", value).split("?")[0].strip("/").lstrip("@").lower()
    if not _HANDLE.fullmatch(value) or value.strip("._-") == "":
        return None, Problem(field, "bad_format", "a handle has letters, digits, dots, dashes and underscores")
    return Identifier(IdentifierKind.HANDLE, canonical, value), None
