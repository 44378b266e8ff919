"""House styles: how each office writes a person down (case, date layout, sex, nationality)."""

from __future__ import annotations

from dataclasses import dataclass

from vinculo.linkage.record import RawPerson
from vinculo.linkage.synthetic.common import fold
from vinculo.linkage.synthetic.contacts import phone_layouts, plate_layouts
from vinculo.linkage.synthetic.documents import document_layouts
from vinculo.linkage.synthetic.population import Person

# --------------------------------------------------------------------------------------------
# House styles: how each office writes a person down
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseStyle:
    upper: bool  # names in capitals
    accents: bool  # False: the registry's system drops them
    date: str  # "dmy/" 07/03/1990, "dmy-" 07-03-1990, "iso" 1990-03-07
    sex: tuple[str, str]  # how female and male are written
    nationality: str  # "code" GT, "name" Guatemala, "demonym" guatemalteca


HOUSE_STYLES = {
    "GT": HouseStyle(upper=True, accents=True, date="dmy/", sex=("Femenino", "Masculino"), nationality="demonym"),
    "SV": HouseStyle(upper=False, accents=True, date="dmy/", sex=("F", "M"), nationality="demonym"),
    "HN": HouseStyle(upper=True, accents=True, date="dmy-", sex=("mujer", "hombre"), nationality="name"),
    "NI": HouseStyle(upper=False, accents=True, date="dmy/", sex=("F", "M"), nationality="name"),
    "CR": HouseStyle(upper=True, accents=True, date="iso", sex=("Femenino", "Masculino"), nationality="code"),
    "PA": HouseStyle(upper=False, accents=True, date="dmy/", sex=("F", "M"), nationality="demonym"),
    "BZ": HouseStyle(upper=False, accents=False, date="dmy/", sex=("Female", "Male"), nationality="code"),
    "DO": HouseStyle(upper=True, accents=False, date="dmy/", sex=("F", "M"), nationality="demonym"),
}
COUNTRY_NAMES = {
    "GT": "Guatemala",
    "SV": "El Salvador",
    "HN": "Honduras",
    "NI": "Nicaragua",
    "CR": "Costa Rica",
    "PA": "Panamá",
    "BZ": "Belice",
    "DO": "República Dominicana",
}
DEMONYMS = {  # (female, male)
    "GT": ("guatemalteca", "guatemalteco"),
    "SV": ("salvadoreña", "salvadoreño"),
    "HN": ("hondureña", "hondureño"),
    "NI": ("nicaragüense", "nicaragüense"),
    "CR": ("costarricense", "costarricense"),
    "PA": ("panameña", "panameño"),
    "BZ": ("beliceña", "beliceño"),
    "DO": ("dominicana", "dominicano"),
}


@dataclass
class _Draft:
    """A person on their way to a record: what the writing office knows, in the person's own spelling."""

    given: list[str]
    first: str
    second: str
    sex: str
    nationality: str
    birth: tuple[int, int | None, int | None] | None
    phones: list[tuple[str, str, int]]  # (country, national number, layout)
    documents: list[tuple[str, str, str, int]]  # (kind, country, number, layout)
    plates: list[tuple[str, str, int]]  # (country, plate, layout)
    emails: list[str]
    handles: list[tuple[str, str]]
    full_name_only: bool = False
    surname_first: bool = False  # with full_name_only: "López de Pérez, María"
    accents_lost: bool = False

    @classmethod
    def of(cls, person: Person) -> _Draft:
        born = person.birth
        return cls(
            given=list(person.given),
            first=person.first_surname,
            second=person.second_surname,
            sex=person.sex,
            nationality=person.country,
            birth=(born.year, born.month, born.day),
            phones=[(c, n, 0) for c, n in person.phones],
            documents=[(k, c, n, 0) for k, c, n in person.documents],
            plates=[(c, p, 0) for c, p in person.plates],
            emails=list(person.emails),
            handles=list(person.handles),
        )


def render(draft: _Draft, *, office: str, record_id: str) -> RawPerson:
    """The record ``office`` writes for ``draft``, in its house style."""
    style = HOUSE_STYLES[office]

    def name(text: str) -> str:
        if draft.accents_lost or not style.accents:
            text = fold(text)
        return text.upper() if style.upper else text

    given, first, second = name(" ".join(draft.given)), name(draft.first), name(draft.second)
    full_name = ""
    if draft.full_name_only:
        surnames = " ".join(p for p in (first, second) if p)
        full_name = f"{surnames}, {given}" if draft.surname_first else " ".join(p for p in (given, surnames) if p)
        given, first, second = "", "", ""
    birth = ""
    if draft.birth:
        year, month, day = draft.birth
        if day is not None and month is not None:
            birth = {
                "iso": f"{year:04d}-{month:02d}-{day:02d}",
                "dmy-": f"{day:02d}-{month:02d}-{year:04d}",
            }.get(style.date, f"{day:02d}/{month:02d}/{year:04d}")
        elif month is not None:
            birth = f"{year:04d}-{month:02d}" if style.date == "iso" else f"{month:02d}/{year:04d}"
        else:
            birth = str(year)
    female = draft.sex == "F"
    sex = (style.sex[0] if female else style.sex[1]) if draft.sex else ""
    nationality = ""
    if draft.nationality:
        nationality = {
            "code": draft.nationality,
            "name": COUNTRY_NAMES[draft.nationality],
            "demonym": DEMONYMS[draft.nationality][0 if female else 1],
        }[style.nationality]
    phones = []
    for country, national, layout in draft.phones:
        layouts = phone_layouts(country, national, domestic=country == office)
        phones.append(layouts[layout % len(layouts)])
    documents = []
    for kind, country, number, layout in draft.documents:
        layouts = document_layouts(kind, country, number)
        documents.append((kind, country, layouts[layout % len(layouts)]))
    plates = tuple((country, plate_layouts(plate)[layout % 4]) for country, plate, layout in draft.plates)
    return RawPerson(
        record_id=record_id,
        given_names=given,
        first_surname=first,
        second_surname=second,
        full_name=full_name,
        sex=sex,
        birth_date=birth,
        nationality=nationality,
        phones=tuple(phones),
        documents=tuple(documents),
        plates=plates,
        emails=tuple(draft.emails),
        handles=tuple((platform, f"@{handle}") for platform, handle in draft.handles),
    )
