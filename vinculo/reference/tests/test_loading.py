"""Loading the shipped reference data: parsing, idempotence, and local corrections kept."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from vinculo.reference import loading
from vinculo.reference.models import BorderCrossing, Country, PopulationFigure

CROSSING_HEADER = "id,name,countries_iso3,lat,lon,notes,coordinates_verified\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_crossings_parse_with_unknown_and_multi_point_coordinates() -> None:
    records = {r.code: r for r in loading.parse_crossings(loading.DATA / "border_crossings.csv")}
    assert len(records) == 30
    darien = records["PAN-COL-02"]
    assert darien.latitude is None
    assert darien.kind == "irregular_known_point"
    gulf = records["GULF-01"]
    assert gulf.countries_iso3 == ("SLV", "HND", "NIC")
    assert gulf.latitude == Decimal("13.33")
    assert gulf.other_points == [["13.29", "-87.65"], ["12.97", "-87.50"]]
    assert not any(r.coordinates_verified for r in records.values()), "nothing ships as verified"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("X-1,Somewhere,GTM–MEX,abc,-92.1,,false", "row 2, lat: not a number"),
        ("X-1,Somewhere,GTM–MEX,95,-92.1,,false", "outside -90..90"),
        ("X-1,Somewhere,GTM–MEX,14.1,-92.1,,maybe", "expected true or false"),
        ("X-1,,GTM–MEX,14.1,-92.1,,false", "needs an id, a name"),
        ("X-1,Somewhere,GTM–MEX,14.1 / 14.2,-92.1,,false", "as many latitudes as longitudes"),
    ],
)
def test_bad_crossing_rows_are_named(tmp_path: Path, row: str, message: str) -> None:
    path = _write(tmp_path / "border_crossings.csv", CROSSING_HEADER + row + "\n")
    with pytest.raises(loading.ReferenceDataError, match=message):
        loading.parse_crossings(path)


def test_wrong_header_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "border_crossings.csv", "code,name\nA,B\n")
    with pytest.raises(loading.ReferenceDataError, match="header must be"):
        loading.parse_crossings(path)


def test_duplicate_population_rows_are_refused(tmp_path: Path) -> None:
    header = "iso3,iso2,country_en,country_es,year,population,source\n"
    row = "GTM,GT,Guatemala,Guatemala,2024,100,test\n"
    with pytest.raises(loading.ReferenceDataError, match="appears twice"):
        loading.parse_populations(_write(tmp_path / "p.csv", header + row + row))


def _code_lists(tmp_path: Path, index_rows: str, files: dict[str, str]) -> Path:
    _write(tmp_path / "index.csv", ",".join(loading.INDEX_HEADER) + "\n" + index_rows)
    for name, body in files.items():
        _write(tmp_path / f"{name}.csv", ",".join(loading.CODELIST_HEADER) + "\n" + body)
    return tmp_path


def test_code_lists_parse_with_mappings(tmp_path: Path) -> None:
    directory = _code_lists(
        tmp_path,
        "sex,Sexo,Sex,Sex of the person,GLOTIP,false,false,true\n",
        {"sex": "F,Mujer,Female,Def es,Def en,,,female,,10\nNK,No se sabe,Not known,,,,,,,990\n"},
    )
    (sex,) = loading.parse_code_lists(directory)
    assert [c.code for c in sex.codes] == ["F", "NK"]
    assert sex.codes[0].mappings == {"glotip": "female"}


@pytest.mark.parametrize(
    ("index_row", "body", "message"),
    [
        ("sex,S,S,d,s,false,false,true\n", "F,M,F,,,,,,,10\n", "says it has NK"),
        ("sex,S,S,d,s,false,false,false\n", "F,M,F,,,,,,,10\nF,M,F,,,,,,,20\n", "a code appears twice"),
        ("sex,S,S,d,s,false,false,false\n", "F,,Female,,,,,,,10\n", "label_es and label_en are required"),
        ("sex,S,S,d,s,false,false,false\n", "F,M,F,,,,,,,ten\n", "sort: must be a whole number"),
        ("sex,S,S,d,s,maybe,false,false\n", "F,M,F,,,,,,,10\n", "expected true or false"),
    ],
)
def test_bad_code_lists_are_refused(tmp_path: Path, index_row: str, body: str, message: str) -> None:
    directory = _code_lists(tmp_path, index_row, {"sex": body})
    with pytest.raises(loading.ReferenceDataError, match=message):
        loading.parse_code_lists(directory)


def test_code_list_files_must_be_indexed(tmp_path: Path) -> None:
    directory = _code_lists(tmp_path, "", {"stray": "A,A,A,,,,,,,10\n"})
    with pytest.raises(loading.ReferenceDataError, match=r"missing from index\.csv: stray"):
        loading.parse_code_lists(directory)


REGISTRY_LISTS = {
    "sex", "age_band", "exploitation_form", "means", "act", "suspect_role", "relationship",
    "trafficker_organization", "control_method", "stage", "closure_type", "som_aggravating",
    "tip_aggravating", "verdict", "acquittal_reason", "sanction", "crime_family", "case_origin",
    "party_role", "identification_status", "event_type", "yes_no",
}  # fmt: skip


def test_shipped_code_lists_cover_the_registry() -> None:
    lists = {code_list.key: code_list for code_list in loading.parse_code_lists(loading.CODELISTS)}
    assert set(lists) >= REGISTRY_LISTS, sorted(REGISTRY_LISTS - set(lists))
    for code_list in lists.values():
        codes = [code.code for code in code_list.codes]
        assert codes, code_list.key
        assert all(code.definition_es and code.definition_en for code in code_list.codes), code_list.key
        # Not applicable / not known come last, so forms offer the real answers first.
        reserved = [code for code in code_list.codes if code.code in ("NA", "NK")]
        assert all(code.sort > max(c.sort for c in code_list.codes if c not in reserved) for code in reserved)
    assert {c.code for c in lists["exploitation_form"].codes} >= {"SEXUAL_EXPLOITATION", "FORCED_LABOUR_SERVICES", "NK"}
    iccs = {c.code: c.mappings.get("iccs") for c in lists["exploitation_form"].codes}
    assert iccs["SEXUAL_EXPLOITATION"] == "02041"
    assert iccs["FORCED_LABOUR_SERVICES"] == "02042"


def test_migrate_loaded_everything(db: None) -> None:
    assert Country.objects.count() >= 249
    assert Country.objects.filter(is_member=True).count() == 8
    assert Country.objects.get(iso2="BZ").name_es == "Belice"
    assert Country.objects.get(iso2="DO").name_en == "Dominican Republic"
    assert BorderCrossing.objects.count() == 30
    assert PopulationFigure.objects.count() == 24


def test_loading_twice_changes_nothing(db: None) -> None:
    before = (Country.objects.count(), BorderCrossing.objects.count(), PopulationFigure.objects.count())
    loading.load_reference_data()
    after = (Country.objects.count(), BorderCrossing.objects.count(), PopulationFigure.objects.count())
    assert before == after


def test_a_crossing_corrected_on_the_node_survives_a_reload(db: None) -> None:
    crossing = BorderCrossing.objects.get(code="GTM-MEX-01")
    crossing.latitude = Decimal("14.67891")
    crossing.coordinates_verified = True
    crossing.edited_on_node = True
    crossing.save()
    report = loading.load_reference_data()
    crossing.refresh_from_db()
    assert crossing.latitude == Decimal("14.67891")
    assert crossing.coordinates_verified
    assert report.crossings_kept == 1
    untouched = BorderCrossing.objects.get(code="GTM-MEX-02")
    assert not untouched.coordinates_verified


def test_a_bad_file_stores_nothing(db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = _write(tmp_path / "border_crossings.csv", CROSSING_HEADER + "X-1,Somewhere,GTM–MEX,abc,1,,false\n")
    monkeypatch.setattr(loading, "DATA", tmp_path)
    (tmp_path / "populations.csv").write_text("iso3,iso2,country_en,country_es,year,population,source\n")
    BorderCrossing.objects.filter(code="GTM-MEX-01").update(name="kept")
    with pytest.raises(loading.ReferenceDataError):
        loading.load_reference_data()
    assert bad.exists()
    assert BorderCrossing.objects.get(code="GTM-MEX-01").name == "kept"


def test_check_command_reports_counts(db: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("reference", "check", stdout=out)
    assert "30 border crossings" in out.getvalue()
