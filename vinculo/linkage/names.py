"""Hispanic names as ordered parts: folding, particles, married forms, nicknames and a Spanish phonetic key.

Folding: lower case, accents and other marks removed, **ñ folded to n** (records typed on systems
without ñ write "Munoz" for "Muñoz", so keeping ñ apart would split one surname into two), ü to u,
apostrophes dropped ("K'iche'" → "kiche", "O'Neil" → "oneil"), hyphens and other punctuation read
as spaces. Every name field of a ``PersonName`` therefore holds only ``[a-z]`` words separated by
single spaces.

Given names drop their particles ("María de los Ángeles" → ``("maria", "angeles")``) so that the
form with and without "de los" agree. Surnames keep a leading particle apart ("de la Cruz" →
particles "de la", surname "cruz"). A married form "de Pérez" / "vda. de Pérez" goes to
``married_surname``. ``phonetic`` is a rule-based key for Latin-American Spanish spelling
variation; it is a blocking key and a comparison level, never a decision on its own.
"""

from __future__ import annotations

import csv
import unicodedata
from functools import lru_cache
from pathlib import Path

from vinculo.linkage.record import PersonName, Sex

DATA_DIR = Path(__file__).resolve().parent / "data"

MAX_NAME_CHARS = 200  # longer than any real name field; a 10 kB "name" is refused, not truncated

# Sentinels written by the fold table and resolved right after ``str.translate``.
_CONTROL = "\x01"  # a control/format character (NUL, RTL marks, zero-width joiners): removed, reported
_DROPPED = "\x02"  # a digit, symbol, emoji or non-Latin letter: read as a space, reported
_APOSTROPHES = "'’‘ʼʻ`´′"  # the look-alikes of an apostrophe people type
_LIGATURES = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i", "ħ": "h"}
_CACHE_BELOW = 0x3000  # cache the fold of a code point only in the alphabetic blocks; hostile input stays bounded


def _fold_char(ch: str) -> str:
    if ch in _APOSTROPHES:
        return ""
    if ch in "\t\n\r\f\v":
        return " "
    low = ch.lower()
    if "a" <= low <= "z" and len(low) == 1:
        return low
    if low in _LIGATURES:
        return _LIGATURES[low]
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return _CONTROL
    if category.startswith("M"):
        return ""  # a combining mark left over from an earlier character
    if category[0] in "PZ":
        return " "
    if category[0] == "L":
        decomposed = unicodedata.normalize("NFKD", ch)
        if decomposed != ch:
            return "".join(_fold_char(part) for part in decomposed)
    return _DROPPED


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on first sight of each code point."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if code < _CACHE_BELOW:
            self[code] = folded
        return folded


_FOLD_TABLE = _FoldTable()


def fold_with_flags(text: str) -> tuple[str, bool, bool]:
    """Fold ``text`` to ``[a-z ]`` words; also say whether control characters or other characters were dropped."""
    folded = text.translate(_FOLD_TABLE)
    had_controls = _CONTROL in folded
    had_dropped = _DROPPED in folded
    if had_controls:
        folded = folded.replace(_CONTROL, "")
    if had_dropped:
        folded = folded.replace(_DROPPED, " ")
    return " ".join(folded.split()), had_controls, had_dropped


def fold(text: str) -> str:
    """Lower case, no accents, ñ → n, punctuation to spaces, only ``[a-z]`` words separated by one space."""
    return fold_with_flags(text)[0]


# --- tables -------------------------------------------------------------------------------------------


def _read_pairs(filename: str) -> list[tuple[str, str]]:
    pairs = []
    with (DATA_DIR / filename).open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(line for line in handle if line.strip() and not line.startswith("#"))
        next(rows)  # header
        for row in rows:
            pairs.append((fold(row[0]), "|".join(fold(part) for part in row[1].split("|"))))
    return pairs


def _load_nicknames() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for nickname, canonicals in _read_pairs("nicknames.csv"):
        candidates = table.setdefault(nickname, [])
        for canonical in canonicals.split("|"):  # "alberto|roberto" in one row is read like two rows
            if canonical.strip() and canonical.strip() not in candidates:
                candidates.append(canonical.strip())
    return {nickname: tuple(candidates) for nickname, candidates in table.items()}


NICKNAMES: dict[str, tuple[str, ...]] = _load_nicknames()
GIVEN_ABBREVIATIONS: dict[str, str] = dict(_read_pairs("given_abbreviations.csv"))

PARTICLES = frozenset({"de", "del", "la", "las", "los", "y"})
_GIVEN_PARTICLES = frozenset({"de", "del", "la", "las", "los"})
_CONJUNCTIONS = frozenset({"y"})
_ARTICLES = frozenset({"la", "las", "los"})
_JOINING_PREFIXES = frozenset({"san", "santa", "santo", "mac", "mc", "van", "von", "di", "da", "do", "dos", "das"})
_WIDOW_WORDS = frozenset({"vda", "viuda"})

# "de X" surnames in their own right, common in the region (de León in Guatemala, de Gracia in
# Panama, de Jesús in the Dominican Republic): without other evidence they are a second surname
# with a particle, not a married form.
DE_SURNAMES = frozenset({"leon", "paz", "jesus", "dios", "gracia", "lima", "armas", "mata", "avila", "castro", "lara"})

# Devotional continuations of a given name ("María de los Ángeles", "María del Carmen", "Juan de
# Dios"). Strong ones are almost never surnames; the ambiguous ones are also common surnames
# ("de la Cruz", "de Jesús") and are read as given names only when two surnames still follow.
_DEVOTIONAL_STRONG = frozenset(
    {
        "angeles", "carmen", "rosario", "lourdes", "fatima", "pilar", "dolores", "mercedes", "socorro",
        "concepcion", "guadalupe", "luz", "milagro", "milagros", "transito", "remedios", "asuncion",
        "refugio", "consuelo", "belen", "nieves", "esperanza", "soledad", "trinidad", "caridad", "salud",
    }
)  # fmt: skip
_DEVOTIONAL_AMBIGUOUS = frozenset({"jesus", "cruz", "paz", "dios", "los reyes", "reyes", "jose"})

# Texts that stand for "no name" in registries ("N.N.", "desconocido", "fulano de tal"). They must
# never become a name: two unidentified persons would otherwise match each other.
PLACEHOLDERS = frozenset(
    {
        "n", "nn", "n n", "nnn", "x", "xx", "xxx", "xxxx", "n a", "nd", "n d", "s n", "s a",
        "desconocido", "desconocida", "ignorado", "ignorada", "no indica", "no sabe", "no aplica",
        "no consta", "no tiene", "sin dato", "sin datos", "sin nombre", "sin apellido", "sin segundo apellido",
        "unknown", "none", "null", "nil", "nan", "fulano", "fulana", "fulano de tal", "fulana de tal", "de tal",
        "mengano", "zutano", "anonimo", "anonima", "ninguno", "ninguna", "no", "test", "prueba", "ne", "n e",
    }
)  # fmt: skip

# Given names frequent enough to tell "Juan Carlos Pérez" (two given names, one surname) from
# "Juan Pérez López" when a record does not separate the parts. Names that are also common
# surnames (Martín, Lorenzo, Salvador, Domingo, Santos, Cruz…) are deliberately absent.
_COMMON_GIVEN = frozenset(
    {
        "jose", "juan", "maria", "ana", "luis", "carlos", "miguel", "angel", "antonio", "francisco", "manuel",
        "jesus", "pedro", "pablo", "alberto", "roberto", "eduardo", "fernando", "ricardo", "mario", "jorge",
        "alejandro", "daniel", "david", "javier", "rafael", "sergio", "oscar", "victor", "marco", "andres",
        "enrique", "alfredo", "guillermo", "gustavo", "ernesto", "armando", "raul", "hector", "rene", "edgar",
        "ramon", "rosa", "carmen", "elena", "isabel", "teresa", "luisa", "patricia", "guadalupe", "josefa",
        "fernanda", "gabriela", "alejandra", "andrea", "claudia", "sofia", "lucia", "paola", "daniela",
        "veronica", "beatriz", "margarita", "cristina", "silvia", "sandra", "lorena", "marta", "martha",
        "eugenia", "esther", "julia", "angela", "adriana", "alicia", "yolanda", "gloria", "antonia", "mercedes",
        "jennifer", "karla", "johana", "yesenia", "wilmer", "kevin", "brayan", "josue", "elias", "ismael",
    }
)  # fmt: skip


# --- given names -------------------------------------------------------------------------------------


def given_canonical(name: str) -> tuple[str, ...]:
    """Candidate canonical names for one folded given name: the nickname's names, or the name itself.

    A candidate may be compound ("chema" → ``("jose maria",)``), written with one space.
    """
    return NICKNAMES.get(name, (name,))


def _given_words(tokens: list[str]) -> list[str]:
    words = []
    for token in tokens:
        if token in _GIVEN_PARTICLES:
            continue
        words.append(GIVEN_ABBREVIATIONS.get(token, token))
    return [part for word in words for part in word.split()]


# --- surnames ----------------------------------------------------------------------------------------

Unit = tuple[str, str]  # (particles, bare name): ("de la", "cruz"), ("", "perez"), ("", "san martin")


def _units(tokens: list[str], *, split_on_y: bool) -> list[Unit]:
    """Group folded tokens into surname units: particles attach to the name that follows."""
    units: list[Unit] = []
    particles: list[str] = []
    index = 0
    count = len(tokens)
    while index < count:
        token = tokens[index]
        if token in _CONJUNCTIONS:
            if split_on_y or not units:
                particles = []
            else:  # "Paz y Miño" kept as one surname inside a surname field
                if index + 1 < count:
                    index += 1
                    units[-1] = (units[-1][0], f"{units[-1][1]} y {tokens[index]}")
            index += 1
            continue
        if token in ("de", "del") or (token in _ARTICLES and particles):
            particles.append(token)
            index += 1
            continue
        base = token
        while base.split()[-1] in _JOINING_PREFIXES and index + 1 < count:
            index += 1
            base += " " + tokens[index]
        units.append((" ".join(particles), base))
        particles = []
        index += 1
    return units


def _unit_text(unit: Unit) -> str:
    return f"{unit[0]} {unit[1]}" if unit[0] else unit[1]


def _join_units(units: list[Unit]) -> Unit:
    """Several units in one surname field ("Pérez García" with no second surname given): one surname."""
    if not units:
        return ("", "")
    return (units[0][0], " ".join([units[0][1], *(_unit_text(unit) for unit in units[1:])]))


def _split_widow(tokens: list[str]) -> tuple[list[str], str]:
    """Cut "… vda. de Pérez" / "viuda de Pérez": the tokens before it and the late husband's surname."""
    for index, token in enumerate(tokens):
        if token in _WIDOW_WORDS:
            rest = [t for t in tokens[index + 1 :] if t not in PARTICLES]
            return tokens[:index], " ".join(rest)
    return tokens, ""


def _is_married_unit(unit: Unit, sex: Sex) -> bool:
    """A trailing "de Pérez" is a married form for a woman (or unknown sex) unless "de Pérez" is itself a surname."""
    return unit[0] == "de" and sex != Sex.MALE and unit[1] not in DE_SURNAMES


def _is_placeholder(tokens: list[str]) -> bool:
    return " ".join(tokens) in PLACEHOLDERS


def _real_units(units: list[Unit], field: str, problems: list[tuple[str, str, str]]) -> list[Unit]:
    """Drop stand-ins among surnames ("Pérez X", "López N.N."): they mean "unknown", not a surname."""
    real = [unit for unit in units if unit[0] or unit[1] not in PLACEHOLDERS]
    if len(real) < len(units):
        problems.append((field, "placeholder", "a stand-in for an unknown surname was left out"))
    return real


class NameReading:
    """What was read from the name fields, and the problem codes met on the way (field, code, detail)."""

    __slots__ = ("name", "problems")

    def __init__(self, name: PersonName, problems: tuple[tuple[str, str, str], ...]) -> None:
        self.name = name
        self.problems = problems


def _tokens(text: str, field: str, problems: list[tuple[str, str, str]]) -> list[str]:
    """Fold one name field into tokens, noting what was wrong with it; hostile text yields no tokens."""
    if not text or text.isspace():
        return []
    if len(text) > MAX_NAME_CHARS:
        problems.append((field, "too_long", f"{len(text)} characters; at most {MAX_NAME_CHARS}"))
        return []
    tokens, found = _field_tokens(text, field)
    if found:
        problems.extend(found)
    return list(tokens)


@lru_cache(maxsize=1 << 16)
def _field_tokens(text: str, field: str) -> tuple[tuple[str, ...], tuple[tuple[str, str, str], ...]]:
    """One field's tokens and problems, cached: given names and surnames repeat far more than whole names."""
    problems: list[tuple[str, str, str]] = []
    return tuple(_fold_tokens(text, field, problems)), tuple(problems)


def _fold_tokens(text: str, field: str, problems: list[tuple[str, str, str]]) -> list[str]:
    folded, had_controls, had_dropped = fold_with_flags(text)
    if had_controls:
        problems.append((field, "control_characters", "control or invisible formatting characters removed"))
    tokens = folded.split()
    if not tokens:
        if folded or had_dropped or not had_controls:
            problems.append((field, "unreadable", "no Latin letters in the field"))
        return []
    if had_dropped:
        problems.append((field, "dropped_characters", "digits, symbols or non-Latin letters removed"))
    if _is_placeholder(tokens):
        problems.append((field, "placeholder", "a stand-in for an unknown name, not a name"))
        return []
    return tokens


def _read_separated(
    given_names: str,
    first_surname: str,
    second_surname: str,
    sex: Sex,
    problems: list[tuple[str, str, str]],
    field: str = "",
) -> PersonName:
    given = _given_words(_tokens(given_names, field or "given_names", problems))
    first_tokens, married = _split_widow(_tokens(first_surname, field or "first_surname", problems))
    second_tokens, second_married = _split_widow(_tokens(second_surname, field or "second_surname", problems))
    married = married or second_married
    first_units = _real_units(_units(first_tokens, split_on_y=False), field or "first_surname", problems)
    second_units = _real_units(_units(second_tokens, split_on_y=False), field or "second_surname", problems)
    if not married and second_units and _is_married_unit(second_units[-1], sex):
        married = second_units.pop()[1]
    if not married and len(first_units) > 1 and not second_units and _is_married_unit(first_units[-1], sex):
        married = first_units.pop()[1]
    if not second_units and len(first_units) == 2:
        # "Pérez García" or "Pérez-García" in the first field and nothing in the second: both surnames.
        second_units = [first_units.pop()]
    first = _join_units(first_units)
    second = _join_units(second_units)
    return _person_name(given, first, second, married)


def _read_full(full_name: str, sex: Sex, problems: list[tuple[str, str, str]]) -> PersonName:
    """Split a whole name by the Hispanic convention: the last two surname units are the surnames.

    "Surnames, given names" (a registry's "PÉREZ GARCÍA, JUAN") is read as exactly that.
    """
    if full_name.count(",") == 1 and len(full_name) <= MAX_NAME_CHARS:
        surnames, given_names = full_name.split(",")
        if surnames.strip() and given_names.strip():
            return _read_separated(given_names, surnames, "", sex, problems, field="full_name")
    tokens, married = _split_widow(_tokens(full_name, "full_name", problems))
    units = _units(tokens, split_on_y=True)
    # Stand-ins are looked for in the surname slots only: "Elena N. Robles" has a middle initial.
    units = units[:-2] + _real_units(units[-2:], "full_name", problems)
    if not married and len(units) >= 3 and _is_married_unit(units[-1], sex):
        married = units.pop()[1]
    if not units:
        return _person_name([], ("", ""), ("", ""), married)
    given_count = 1
    while given_count < len(units):
        particles, base = units[given_count]
        remaining = len(units) - given_count - 1
        devotional = particles and (
            (base in _DEVOTIONAL_STRONG and remaining >= 1) or (base in _DEVOTIONAL_AMBIGUOUS and remaining >= 2)
        )
        if not devotional:
            break
        given_count += 1
    surname_units = units[given_count:]
    if (
        len(surname_units) == 2
        and not surname_units[0][0]
        and surname_units[0][1] in _COMMON_GIVEN
        and surname_units[1][1] not in _COMMON_GIVEN
        and not married
    ):
        # "Juan Carlos Pérez": a second given name and one surname, not surnames "Carlos" and "Pérez".
        given_count += 1
        surname_units = units[given_count:]
    if len(surname_units) > 2:
        given_count += len(surname_units) - 2
        surname_units = surname_units[-2:]
    given = _given_words([word for unit in units[:given_count] for word in unit[1].split()])
    if _is_placeholder(given):  # "N Pérez López" reads like given_names="N": no given name
        problems.append(("full_name", "placeholder", "a stand-in for an unknown given name was left out"))
        given = []
    first = surname_units[0] if surname_units else ("", "")
    second = surname_units[1] if len(surname_units) > 1 else ("", "")
    return _person_name(given, first, second, married)


def _person_name(given: list[str], first: Unit, second: Unit, married: str) -> PersonName:
    return PersonName(
        given=tuple(given),
        given_canonical=tuple(given_canonical(name) for name in given),
        first_surname=first[1],
        first_surname_particles=first[0],
        second_surname=second[1],
        second_surname_particles=second[0],
        married_surname=married,
    )


def read_name(
    given_names: str = "",
    first_surname: str = "",
    second_surname: str = "",
    full_name: str = "",
    sex: Sex = Sex.UNKNOWN,
) -> NameReading:
    """Read a person's name from separated fields, or from ``full_name`` when the separated ones give nothing.

    Readings are cached (registries repeat names, and a reading depends on the text and sex only),
    except for oversized text, which must not fill the cache.
    """
    if max(len(given_names), len(first_surname), len(second_surname), len(full_name)) > MAX_NAME_CHARS:
        return _read_name(given_names, first_surname, second_surname, full_name, sex)
    return _read_name_cached(given_names, first_surname, second_surname, full_name, sex)


def _read_name(given_names: str, first_surname: str, second_surname: str, full_name: str, sex: Sex) -> NameReading:
    problems: list[tuple[str, str, str]] = []
    name = _read_separated(given_names, first_surname, second_surname, sex, problems)
    if name.is_empty and full_name:
        name = _read_full(full_name, sex, problems)
    if name.is_empty:
        problems.append(("name", "empty", "no readable given name or surname"))
    return NameReading(name, tuple(problems))


_read_name_cached = lru_cache(maxsize=1 << 16)(_read_name)


def parse_name(
    *,
    given_names: str = "",
    first_surname: str = "",
    second_surname: str = "",
    full_name: str = "",
    sex: Sex = Sex.UNKNOWN,
) -> PersonName:
    """The ``PersonName`` alone (problems dropped): for tests, the generator and quick use."""
    return read_name(given_names, first_surname, second_surname, full_name, sex).name


# --- phonetic key ------------------------------------------------------------------------------------

_VOWELS = frozenset("aeiou")
_FRONT = frozenset("ei")
# Words whose x is the old Spanish /x/ (now written j): México, Oaxaca, Texas (Tejas), Xavier.
_X_AS_J_STEMS = ("mexic", "oaxac", "texa", "xavi", "xim")


def phonetic(word: str) -> str:
    """A Spanish phonetic key for one folded word, as Latin Americans pronounce it.

    Merges: b/v; c(e,i)/s/z (seseo); ll/y/j/g(e,i) and English-style j ("Johana" = "Yohana");
    silent h; qu/k/c(a,o,u); gu(a,o)/w/hu(vowel); initial w(e,i) = gu(e,i) ("Wilmer"/"Guilmer");
    an initial i before a vowel as y ("Iuri"); English ll before a final y or at the end as l ("Nelly");
    x as j in México/Ximena, as s at the start of other words (Xela), as ks elsewhere; ph/f,
    th/t, sh/s; n before b/p = m; doubled letters; a final y as i; an initial s before a consonant
    gets the Spanish e ("Stefany" = "Estefany"). Vowels are kept: they tell Mario from María.
    Output: lower-case letters; "c" stands for the ch sound only.
    """
    if len(word) > 64:  # no name part is this long; keep such text out of the cache
        return _phonetic(word)
    return _phonetic_cached(word)


def _phonetic(word: str) -> str:
    word = fold(word).replace(" ", "")
    if not word:
        return ""
    if word.startswith(_X_AS_J_STEMS):
        word = word.replace("x", "j", 1)
    if word[0] == "s" and len(word) > 1 and word[1] not in _VOWELS and word[1] != "h":
        word = "e" + word
    out: list[str] = []
    index = 0
    length = len(word)
    while index < length:
        char = word[index]
        nxt = word[index + 1] if index + 1 < length else ""
        after = word[index + 2] if index + 2 < length else ""
        step = 1
        code = ""
        if char in _VOWELS:
            code = "y" if char == "i" and index == 0 and nxt in _VOWELS else char  # "Iuri" = "Yuri"
        elif char in "bv":
            code = "b"
        elif char == "c":
            if nxt == "h":
                code, step = "c", 2
            elif nxt in _FRONT:
                code = "s"
            elif nxt == "k":
                code, step = "k", 2
            else:
                code = "k"
        elif char in "sz":
            code = "s"
            if nxt == "h":
                step = 2
        elif char == "q":
            code = "k"
            if nxt == "u":
                step = 2
        elif char == "k":
            code = "k"
        elif char == "g":
            if nxt == "u" and after in _VOWELS:
                code, step = ("g", 2) if after in _FRONT else ("u", 2)
            elif nxt in _FRONT:
                code = "y"
                if after in _VOWELS and index == 0:  # "Geovanny", "Giancarlo": the e/i only softens the g
                    step = 2
            else:
                code = "g"
        elif char == "j":
            code = "y"
            if nxt == "h":
                step = 2
        elif char == "l":
            if nxt == "l":  # Spanish ll is y, but English "Nelly", "Bill" keep an l
                code, step = ("l", 2) if after in ("", "y") else ("y", 2)
            else:
                code = "l"
        elif char == "y":
            code = "y" if nxt in _VOWELS else "i"
        elif char == "h":
            if nxt == "u" and after in _VOWELS and index == 0:
                code, step = "u", 2
            else:
                code = ""
        elif char == "w":
            code = "g" if index == 0 and nxt in _FRONT else "u"
        elif char == "x":
            code = "s" if index == 0 else "ks"
        elif char == "p":
            code, step = ("f", 2) if nxt == "h" else ("p", 1)
        elif char == "t":
            code, step = ("t", 2) if nxt == "h" else ("t", 1)
        elif char == "n":
            code = "m" if nxt in ("b", "p", "v") else "n"
        elif char == "r":
            code = "r"
        else:
            code = char
        for letter in code:
            if not out or out[-1] != letter:
                out.append(letter)
        index += step
    return "".join(out)


_phonetic_cached = lru_cache(maxsize=1 << 16)(_phonetic)
