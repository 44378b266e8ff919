"""Synthetic benchmark data: a seeded population of the eight countries and the same people recorded elsewhere.

No person here is real. Names are drawn from ranked lists of frequent name parts
(``data/synthetic_names.json``) with Zipf weights, so that "José Hernández López" and
"María García" recur the way they do in the region's registries and make hard negatives.
Identity numbers are drawn from blocks no registry has issued (see ``DOCUMENT_FORMATS``), phone
numbers from ranges no subscriber holds (the subscriber number starts with 1), e-mail addresses
use the reserved ``example.*`` domains.

The pieces:

- the population model (``Person``): country, sex, given names and surnames, birth date (ages
  0-70, children frequent), nationality, phones, documents with valid check digits, plates,
  e-mail addresses, social-media handles; households of siblings and of a parent with children;
- house styles: each office writes people its own way (upper case, date layout, "F" or
  "Femenino", "GT" or "guatemalteca"); index records are a person written by one office with no
  other change;
- the corruption model (``CORRUPTIONS``): the named changes another office's record of the same
  person shows, each with a rate; the ones applied are recorded per query;
- the benchmark (``BenchmarkGenerator``, ``BenchmarkSet``): index records, queries (half of them
  people the index does not hold, many of them hard negatives), the truth, written to and read
  from JSONL or CSV files (``write_benchmark``, ``read_benchmark``).

Determinism: every draw comes from ``random.Random`` instances seeded from the seed and a
purpose name; no global random state is touched. The same seed, size, query count and nickname
table give byte-identical files.

The package's modules, in the order they build on each other: ``common``, ``documents``,
``contacts``, ``names``, ``population``, ``styles``, ``corruption``, ``benchmark``, ``files``. Every
public name is importable from the package itself, as when it was one module.
"""

from __future__ import annotations

from vinculo.linkage.identifiers import gt_cui_check_digit, luhn_check_digit, ni_cedula_letter, sv_dui_check_digit
from vinculo.linkage.record import RawPerson
from vinculo.linkage.synthetic.benchmark import (
    ABSENT_KINDS,
    COMMON_GIVEN_RANK,
    COMMON_SURNAME_RANK,
    HOUSEHOLDS,
    QUERY_KINDS,
    SAME_OFFICE_SHARE,
    BenchmarkGenerator,
    BenchmarkSet,
    Query,
    Stats,
    default_query_count,
    generate_benchmark,
)
from vinculo.linkage.synthetic.common import (
    COUNTRIES,
    COUNTRY_SHARES,
    DATA_DIR,
    EMAIL_DOMAINS,
    GENERATOR_VERSION,
    HANDLE_PLATFORMS,
    NICKNAMES_CSV,
    PARTICLES,
    REFERENCE_DATE,
    ZIPF_GIVEN,
    ZIPF_SURNAME,
    fold,
)
from vinculo.linkage.synthetic.contacts import (
    CALLING_CODES,
    DO_AREA_CODES,
    phone_layouts,
    phone_number,
    plate_layouts,
    plate_number,
)
from vinculo.linkage.synthetic.corruption import (
    ABBREVIATIONS,
    CORRUPTIONS,
    KEYBOARD_ROWS,
    PHONETIC_RULES,
    RATES,
    Corruption,
    CorruptionModel,
    phonetic_variant,
    typo,
)
from vinculo.linkage.synthetic.documents import (
    DO_SERIES,
    DOCUMENT_FORMATS,
    GT_MUNICIPALITIES,
    HN_MUNICIPALITIES,
    NI_MUNICIPALITIES,
    PASSPORT_LETTER,
    document_layouts,
    national_id,
    passport_number,
)
from vinculo.linkage.synthetic.files import (
    FORMATS,
    iter_index,
    person_from_dict,
    person_to_dict,
    read_benchmark,
    read_manifest,
    read_queries,
    write_benchmark,
)
from vinculo.linkage.synthetic.names import BUILTIN_NICKNAMES, given_groups, load_nicknames, name_frequencies
from vinculo.linkage.synthetic.population import Person, Population, birth_for_age, draw_age
from vinculo.linkage.synthetic.styles import COUNTRY_NAMES, DEMONYMS, HOUSE_STYLES, HouseStyle, render

__all__ = [
    "ABBREVIATIONS",
    "ABSENT_KINDS",
    "BUILTIN_NICKNAMES",
    "CALLING_CODES",
    "COMMON_GIVEN_RANK",
    "COMMON_SURNAME_RANK",
    "CORRUPTIONS",
    "COUNTRIES",
    "COUNTRY_NAMES",
    "COUNTRY_SHARES",
    "DATA_DIR",
    "DEMONYMS",
    "DOCUMENT_FORMATS",
    "DO_AREA_CODES",
    "DO_SERIES",
    "EMAIL_DOMAINS",
    "FORMATS",
    "GENERATOR_VERSION",
    "GT_MUNICIPALITIES",
    "HANDLE_PLATFORMS",
    "HN_MUNICIPALITIES",
    "HOUSEHOLDS",
    "HOUSE_STYLES",
    "KEYBOARD_ROWS",
    "NICKNAMES_CSV",
    "NI_MUNICIPALITIES",
    "PARTICLES",
    "PASSPORT_LETTER",
    "PHONETIC_RULES",
    "QUERY_KINDS",
    "RATES",
    "REFERENCE_DATE",
    "SAME_OFFICE_SHARE",
    "ZIPF_GIVEN",
    "ZIPF_SURNAME",
    "BenchmarkGenerator",
    "BenchmarkSet",
    "Corruption",
    "CorruptionModel",
    "HouseStyle",
    "Person",
    "Population",
    "Query",
    "RawPerson",
    "Stats",
    "birth_for_age",
    "default_query_count",
    "document_layouts",
    "draw_age",
    "fold",
    "generate_benchmark",
    "given_groups",
    "gt_cui_check_digit",
    "iter_index",
    "load_nicknames",
    "luhn_check_digit",
    "name_frequencies",
    "national_id",
    "ni_cedula_letter",
    "passport_number",
    "person_from_dict",
    "person_to_dict",
    "phone_layouts",
    "phone_number",
    "phonetic_variant",
    "plate_layouts",
    "plate_number",
    "read_benchmark",
    "read_manifest",
    "read_queries",
    "render",
    "sv_dui_check_digit",
    "typo",
    "write_benchmark",
]
