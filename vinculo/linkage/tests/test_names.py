"""Names: folding, particles, married forms, full-name splitting, nicknames and the phonetic key.

All names are generic or synthetic.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vinculo.linkage.names import NICKNAMES, fold, given_canonical, parse_name, phonetic, read_name
from vinculo.linkage.record import PersonName, Sex

WORDS = re.compile(r"^([a-z]+( [a-z]+)*)?$")

# Same-person spelling variants of Latin-American names (seseo, yeísmo, b/v, silent h, j/g/x,
# qu/k, gu/w, English-influenced spellings). Written alongside the key, so the score is optimistic;
# see the held-out lists below for an honest one.
VARIANT_PAIRS = [
    ("Valdemar", "Baldemar"), ("Hernández", "Ernandez"), ("Jiménez", "Giménez"), ("Zelaya", "Selaya"),
    ("Castillo", "Castiyo"), ("Wilmer", "Guilmer"), ("Yohana", "Johana"), ("Geovanny", "Yovani"),
    ("Pérez", "Peres"), ("González", "Gonzales"), ("Vásquez", "Vasques"), ("Vázquez", "Basquez"),
    ("Ximena", "Jimena"), ("México", "Méjico"), ("Xela", "Shela"), ("Quiroz", "Kiroz"),
    ("Quintanilla", "Kintaniya"), ("Muñoz", "Munoz"), ("Peña", "Pena"), ("Herrera", "Herera"),
    ("Hugo", "Ugo"), ("Héctor", "Ector"), ("Yesenia", "Jesenia"), ("Jennifer", "Yennifer"),
    ("Jefferson", "Yefferson"), ("Jhonatan", "Jonathan"), ("Jonathan", "Yonatan"), ("Evelyn", "Evelin"),
    ("Lissette", "Lisete"), ("Cecilia", "Sesilia"), ("Celia", "Selia"), ("Zoila", "Soila"),
    ("Ruiz", "Ruis"), ("Díaz", "Dias"), ("Estefany", "Stefany"), ("Stephany", "Estefany"),
    ("Katherine", "Katerine"), ("Karla", "Carla"), ("Kevin", "Kebin"), ("Walter", "Gualter"),
    ("Wendy", "Guendy"), ("Guadalupe", "Wadalupe"), ("Edwin", "Eduin"), ("Giovanni", "Yovani"),
    ("Yolanda", "Jolanda"), ("Marroquín", "Maroquin"), ("Barrios", "Varrios"), ("Villalobos", "Biyalobos"),
    ("Bladimir", "Vladimir"), ("Ismael", "Hismael"), ("Elmer", "Helmer"), ("Sergio", "Serjio"),
    ("Rogelio", "Rojelio"), ("Angélica", "Anjelica"), ("Zúñiga", "Suniga"), ("Chávez", "Chavez"),
    ("Chávez", "Chaves"), ("Alexander", "Alexánder"), ("Alexander", "Aleksander"), ("Xavier", "Javier"),
    ("Isaac", "Isac"), ("Mélvin", "Melbin"), ("Osmín", "Ozmin"), ("Cruz", "Crus"),
    ("Ambrosio", "Anbrosio"), ("Yuri", "Iuri"), ("Arely", "Areli"), ("Nelly", "Neli"),
    ("Quetzal", "Ketzal"), ("Maynor", "Mainor"),
]  # fmt: skip

# Different names that look alike: the key must keep them apart.
LOOKALIKE_PAIRS = [
    ("Castro", "Castillo"), ("Ortiz", "Ortega"), ("Mario", "María"), ("Sánchez", "Sancho"),
    ("Pérez", "Paredes"), ("Gómez", "Gámez"), ("Luis", "Luisa"), ("Juan", "Juana"), ("José", "Josefa"),
    ("Marco", "Marcos"), ("Rosa", "Rosario"), ("Ramos", "Ramírez"), ("Molina", "Medina"),
    ("Reyes", "Rojas"), ("Flores", "Florián"), ("Mejía", "Macías"), ("Cruz", "Cortez"), ("Vega", "Vargas"),
    ("Aguilar", "Aguirre"), ("Silva", "Salazar"), ("Carlos", "Carla"), ("Mora", "Morales"),
    ("Lara", "Lira"), ("Paz", "Paiz"), ("Toledo", "Tejada"),
]  # fmt: skip


def test_fold_lowers_strips_accents_and_folds_enye():
    assert fold("  MARÍA  Josefína Muñoz-Güell ") == "maria josefina munoz guell"
    assert fold("K'iche' O’Neil") == "kiche oneil"
    assert fold("Ｊｏｓé") == "jose"  # full-width letters as typed on some phones
    assert fold("Straße Ærø") == "strasse aero"


def test_separated_fields_keep_surname_particles_apart():
    name = parse_name(given_names="Ana Lucía", first_surname="de la Cruz", second_surname="del Cid")
    assert name == PersonName(
        given=("ana", "lucia"),
        given_canonical=(("ana",), ("lucia",)),
        first_surname="cruz",
        first_surname_particles="de la",
        second_surname="cid",
        second_surname_particles="del",
    )


def test_compound_given_name_with_devotional_particle_drops_the_particle():
    assert parse_name(given_names="María de los Ángeles").given == ("maria", "angeles")
    assert parse_name(given_names="Ma. del Carmen").given == ("maria", "carmen")
    assert parse_name(given_names="José María").given == ("jose", "maria")


def test_married_form_in_the_second_surname_field():
    name = parse_name(given_names="María", first_surname="López", second_surname="de Pérez", sex=Sex.FEMALE)
    assert (name.first_surname, name.second_surname, name.married_surname) == ("lopez", "", "perez")
    name = parse_name(given_names="María", first_surname="Gómez", second_surname="López de Pérez")
    assert (name.first_surname, name.second_surname, name.married_surname) == ("gomez", "lopez", "perez")


def test_widow_form_anywhere():
    name = parse_name(given_names="Rosa", first_surname="López vda. de Pérez")
    assert (name.first_surname, name.married_surname) == ("lopez", "perez")
    name = parse_name(full_name="Rosa Martínez Viuda de Gómez")
    assert (name.given, name.first_surname, name.married_surname) == (("rosa",), "martinez", "gomez")


def test_de_surname_of_a_man_is_a_maternal_surname_not_a_married_form():
    name = parse_name(given_names="Juan", first_surname="Pérez", second_surname="de Ávila", sex=Sex.MALE)
    assert (name.second_surname_particles, name.second_surname, name.married_surname) == ("de", "avila", "")
    name = parse_name(full_name="Ana Pérez de León")  # de León is a surname in its own right
    assert (name.second_surname_particles, name.second_surname, name.married_surname) == ("de", "leon", "")


def test_hyphenated_surnames_in_one_field_are_split_when_the_second_is_missing():
    name = parse_name(given_names="Luis", first_surname="Pérez-García")
    assert (name.first_surname, name.second_surname) == ("perez", "garcia")
    name = parse_name(given_names="Luis", first_surname="Pérez-García", second_surname="Ruiz")
    assert (name.first_surname, name.second_surname) == ("perez garcia", "ruiz")


@pytest.mark.parametrize(
    ("full_name", "given", "first", "second", "married"),
    [
        ("María de los Ángeles Pérez García", ("maria", "angeles"), "perez", "garcia", ""),
        ("María de los Ángeles Pérez", ("maria", "angeles"), "perez", "", ""),
        ("María López de Pérez", ("maria",), "lopez", "", "perez"),
        ("María Gómez López de Pérez", ("maria",), "gomez", "lopez", "perez"),
        ("José María Hernández López", ("jose", "maria"), "hernandez", "lopez", ""),
        ("Juan Carlos Pérez", ("juan", "carlos"), "perez", "", ""),
        ("Juan Pérez López", ("juan",), "perez", "lopez", ""),
        ("Juan de Dios Pérez López", ("juan", "dios"), "perez", "lopez", ""),
        ("Ana de la Cruz López", ("ana",), "cruz", "lopez", ""),
        ("Luis Alberto San Martín Ruiz", ("luis", "alberto"), "san martin", "ruiz", ""),
        ("ANA", ("ana",), "", "", ""),
        ("PÉREZ GARCÍA, JUAN JOSÉ", ("juan", "jose"), "perez", "garcia", ""),
        ("López de Pérez, María", ("maria",), "lopez", "", "perez"),
    ],
)
def test_full_name_is_split_by_the_hispanic_convention(full_name, given, first, second, married):
    name = parse_name(full_name=full_name)
    assert (name.given, name.first_surname, name.second_surname, name.married_surname) == (
        given,
        first,
        second,
        married,
    )


def test_separated_fields_win_over_full_name():
    assert parse_name(given_names="Ana", first_surname="Ruiz", full_name="Otra Persona Distinta").given == ("ana",)


@pytest.mark.parametrize(
    ("nickname", "canonical"),
    [
        ("Chepe", ("jose",)),
        ("Pepe", ("jose",)),
        ("Chema", ("jose maria",)),
        ("Paco", ("francisco",)),
        ("Pancho", ("francisco",)),
        ("Nacho", ("ignacio",)),
        ("Lupita", ("guadalupe",)),
        ("Toño", ("antonio",)),
        ("Memo", ("guillermo",)),
        ("Quique", ("enrique",)),
        ("Chayo", ("rosario",)),
        ("Chuy", ("jesus",)),
        ("Juanjo", ("juan jose",)),
        ("Maite", ("maria teresa",)),
    ],
)
def test_nicknames_resolve_to_canonical_candidates(nickname, canonical):
    assert parse_name(given_names=nickname).given_canonical == (canonical,)


def test_ambiguous_nickname_offers_every_candidate_and_plain_names_offer_themselves():
    assert {"alberto", "roberto"} <= set(given_canonical("beto"))
    assert given_canonical("rigoberto") == ("rigoberto",)


def test_nickname_table_is_large_and_folded():
    assert len(NICKNAMES) >= 150
    assert all(WORDS.match(nick) and all(WORDS.match(c) for c in names) for nick, names in NICKNAMES.items())


@pytest.mark.parametrize("text", ["N.N.", "NN", "Desconocido", "sin nombre", "N/A", "xxx", "Fulano de Tal"])
def test_placeholders_are_no_name(text):
    reading = read_name(given_names=text)
    assert reading.name.is_empty
    assert ("given_names", "placeholder") in {(field, code) for field, code, _ in reading.problems}


def test_hostile_text_becomes_an_empty_name_with_a_reason():
    assert {code for _, code, _ in read_name(given_names="😀🔥✨").problems} >= {"unreadable", "empty"}
    assert {code for _, code, _ in read_name(given_names="J" * 10_000).problems} >= {"too_long", "empty"}
    reading = read_name(given_names="Jo\x00sé\u200f", first_surname="\u202eRuiz")
    assert reading.name.given == ("jose",)
    assert reading.name.first_surname == "ruiz"
    assert {code for _, code, _ in reading.problems} == {"control_characters"}


def test_phonetic_key_joins_variants_and_separates_lookalikes():
    joined = sum(phonetic(a) == phonetic(b) for a, b in VARIANT_PAIRS)
    collided = sum(phonetic(a) == phonetic(b) for a, b in LOOKALIKE_PAIRS)
    assert joined >= 68, joined  # 70/70 when written (68/70 before the ll and initial-i rules)
    assert collided <= 1, collided  # 0/25 when written


# Written after the key and never used to tune it: the honest score (30/37 joined, 0/15 merged when
# written; the misses are English spellings: Byron/Bairon, Cynthia/Cintia, Heidy/Jeidy, Ashley/Asly…).
HELD_OUT_VARIANT_PAIRS = [
    ("Yésica", "Jessica"), ("Yessenia", "Yesenia"), ("Lizbeth", "Lisbeth"), ("Marvin", "Marbin"),
    ("Byron", "Bairon"), ("Jazmín", "Yasmin"), ("Jacqueline", "Yaquelin"), ("Cinthia", "Sintia"),
    ("Cynthia", "Cintia"), ("Joselyn", "Yoselin"), ("Henry", "Enri"), ("Heidy", "Jeidy"), ("Deysi", "Daisy"),
    ("Esmeralda", "Ezmeralda"), ("Gerson", "Jerson"), ("Jairo", "Yairo"), ("Nohemí", "Noemi"),
    ("Zulema", "Sulema"), ("Ximena", "Gimena"), ("Ceballos", "Zevallos"), ("Cevallos", "Ceballos"),
    ("Bethzabé", "Betsabe"), ("Giovanni", "Jovani"), ("Yahaira", "Jahaira"), ("Yulissa", "Julisa"),
    ("Osiris", "Oziris"), ("Velásquez", "Belasquez"), ("Quiñónez", "Quinones"), ("Hidalgo", "Idalgo"),
    ("Xiomara", "Siomara"), ("Yanira", "Llanira"), ("Ilsy", "Ilsi"), ("Wilson", "Guilson"),
    ("Kimberly", "Kimberli"), ("Stephanie", "Estefani"), ("Elizabeth", "Elisabet"), ("Ashley", "Asly"),
]  # fmt: skip
HELD_OUT_LOOKALIKE_PAIRS = [
    ("Rivera", "Rivas"), ("Ramón", "Ramos"), ("Mendoza", "Mendez"), ("Moreno", "Morán"),
    ("Castañeda", "Castellanos"), ("Salinas", "Salazar"), ("Andrés", "Andrea"), ("Julio", "Julia"),
    ("Pablo", "Paola"), ("Rubén", "Rubí"), ("Martín", "Martina"), ("Daniel", "Daniela"), ("Lucas", "Lucía"),
    ("Gabriel", "Gabriela"), ("Franco", "Francia"),
]  # fmt: skip


def test_phonetic_key_on_held_out_pairs():
    joined = sum(phonetic(a) == phonetic(b) for a, b in HELD_OUT_VARIANT_PAIRS)
    collided = sum(phonetic(a) == phonetic(b) for a, b in HELD_OUT_LOOKALIKE_PAIRS)
    assert joined >= 30, joined
    assert collided == 0, collided


def test_phonetic_key_examples():
    assert phonetic("Hernández") == phonetic("ernandes") == "ernandes"
    assert phonetic("") == ""
    assert phonetic("Guillermo") == phonetic("Guiyermo")


name_text = st.text(max_size=80)


@given(name_text, name_text, name_text, name_text, st.sampled_from(list(Sex)))
def test_reading_never_raises_and_yields_only_plain_words(given_names, first, second, full, sex):
    name = read_name(given_names, first, second, full, sex).name
    for part in (*name.given, name.first_surname, name.first_surname_particles, name.second_surname):
        assert WORDS.match(part), part
    assert WORDS.match(name.second_surname_particles)
    assert WORDS.match(name.married_surname)
    assert all(part for part in name.given)


@given(name_text)
def test_phonetic_never_raises_and_is_lower_case_letters(word):
    assert re.fullmatch(r"[a-z]*", phonetic(word))


@given(name_text, name_text, name_text)
def test_reading_a_read_name_again_changes_nothing(given_names, first, second):
    once = read_name(given_names, first, second).name
    again = read_name(
        " ".join(once.given),
        f"{once.first_surname_particles} {once.first_surname}",
        f"{once.second_surname_particles} {once.second_surname}",
    ).name
    if not once.married_surname:
        assert again.given == once.given
        assert (again.first_surname, again.second_surname) == (once.first_surname, once.second_surname)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz áéíóúñü-'.", max_size=40))
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


def test_stand_in_surnames_are_left_out():
    reading = read_name("Juan", "Pérez X")
    assert (reading.name.first_surname, reading.name.second_surname) == ("perez", "")
    assert ("first_surname", "placeholder") in {(field, code) for field, code, _ in reading.problems}
    assert parse_name(full_name="Juan Pérez NN").first_surname == "perez"
    assert parse_name(full_name="Juan N.N.").given == ("juan",)
    reading = read_name(full_name="Elena N. Robles Zelaya")  # a middle initial, not a stand-in
    assert (reading.name.given, reading.problems) == (("elena", "n"), ())
