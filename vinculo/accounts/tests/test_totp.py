"""RFC 6238 / RFC 4226 conformance and the replay rule."""

from __future__ import annotations

import base64

from vinculo.accounts import totp

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode().rstrip("=")


def test_hotp_matches_rfc4226_appendix_d() -> None:
    expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
    key = b"12345678901234567890"
    assert [totp.hotp(key, counter) for counter in range(10)] == expected


def test_totp_matches_rfc6238_sha1_vectors() -> None:
    # RFC 6238 appendix B (SHA-1, 8 digits); our 6-digit codes are the last six digits.
    vectors = {
        59: "94287082",
        1111111109: "07081804",
        1111111111: "14050471",
        1234567890: "89005924",
        2000000000: "69279037",
    }
    for moment, code in vectors.items():
        assert totp.code_at(RFC_SECRET, moment) == code[-6:]


def test_verify_accepts_the_current_and_adjacent_steps_only() -> None:
    now = 1_800_000_000
    secret = totp.new_secret()
    assert totp.verify(secret, totp.code_at(secret, now), unix_time=now) == totp.step_at(now)
    assert totp.verify(secret, totp.code_at(secret, now - 30), unix_time=now) == totp.step_at(now) - 1
    assert totp.verify(secret, totp.code_at(secret, now - 90), unix_time=now) is None
    assert totp.verify(secret, totp.code_at(secret, now + 90), unix_time=now) is None


def test_verify_refuses_a_code_already_used() -> None:
    now = 1_800_000_000
    secret = totp.new_secret()
    code = totp.code_at(secret, now)
    step = totp.verify(secret, code, unix_time=now)
    assert step is not None
    assert totp.verify(secret, code, unix_time=now, last_step=step) is None


def test_verify_tolerates_spaces_and_refuses_garbage() -> None:
    now = 1_800_000_000
    secret = totp.new_secret()
    code = totp.code_at(secret, now)
    assert totp.verify(secret, f"{code[:3]} {code[3:]}", unix_time=now) is not None
    assert totp.verify(secret, "abcdef", unix_time=now) is None
    assert totp.verify(secret, "12345", unix_time=now) is None
    assert totp.verify(secret, "", unix_time=now) is None


def test_provisioning_uri_names_issuer_and_account() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", account="sv.fiscal@SV-FGR", issuer="Vínculo SV-FGR")
    assert uri.startswith("otpauth://totp/V%C3%ADnculo%20SV-FGR%3Asv.fiscal%40SV-FGR?")
    assert "secret=JBSWY3DPEHPK3PXP" in uri
    assert "digits=6" in uri


def test_recovery_codes_are_unique_and_digest_ignores_formatting() -> None:
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10
    assert totp.recovery_code_digest(codes[0]) == totp.recovery_code_digest(codes[0].upper().replace("-", " "))
