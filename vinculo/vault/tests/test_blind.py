"""Blind-index normalisation: accents, particles, missing second surname, number formats."""

from __future__ import annotations

from vinculo.vault import blind

KEY = b"k" * 32


def test_names_fold_accents_case_and_particles() -> None:
    assert blind.name_words("María José", "López de la Cruz") == {"maria", "jose", "lopez", "cruz"}
    assert blind.name_words("ÑUÑEZ") == {"nunez"}


def test_a_query_without_the_second_surname_is_a_subset() -> None:
    stored = {d for kind, d in blind.index_entries(KEY, names=["José", "Hernández", "López"], documents="", phones="")}
    kind, wanted = blind.query_entries(KEY, "jose hernandez")
    assert kind == "name"
    assert wanted <= stored
    _kind, other = blind.query_entries(KEY, "José Martínez")
    assert not other <= stored


def test_document_and_phone_formats_meet() -> None:
    stored = {d for _k, d in blind.index_entries(KEY, names=[], documents="DUI 01234567-8", phones="+503 7000-0000")}
    for query in ("012345678", "DUI 01234567-8", "01234567-8"):
        _kind, wanted = blind.query_entries(KEY, query)
        assert wanted & stored, query
    _kind, wanted = blind.query_entries(KEY, "7000 0000")
    assert wanted & stored


def test_digests_depend_on_the_key() -> None:
    assert blind.digest(KEY, "name", "maria") != blind.digest(b"x" * 32, "name", "maria")
    assert blind.digest(KEY, "name", "maria") != blind.digest(KEY, "document", "maria")
