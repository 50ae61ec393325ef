"""Commissioning areas (CCG-like) below the hubs: read and checked from params/geography.yaml, rolled up into hubs,
regions and England, and used to check the area codes of area-coded input tables."""
from __future__ import annotations

import copy
import math
import re
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest
import yaml

from ivanalysis.config import load_geography_file
from ivanalysis.data.io import validate_table
from ivanalysis.data.schemas.base import TableSpec, code_column
from ivanalysis.errors import ConfigError, DataError
from ivanalysis.geography import Geography, load_geography

pytestmark = pytest.mark.unit

HUBS = ["LON", "NW", "NEC", "YH", "EM", "WM", "EOE", "SW", "KSS", "WTV"]

# Two regions, three hubs (100 + 200 in R1, 300 in R2), four providers, and five areas: H1 = A1 (100);
# H2 = A2 (150) + A3 (50); H3 = A4 (120) + A5 (180).
GEO = {
    "england": {"code": "ENG", "name": "England"},
    "regions": [{"code": "R1", "name": "Region one"}, {"code": "R2", "name": "Region two"}],
    "hubs": [
        {"code": "H1", "name": "Hub one", "region": "R1", "population": 100},
        {"code": "H2", "name": "Hub two", "region": "R1", "population": 200},
        {"code": "H3", "name": "Hub three", "region": "R2", "population": 300},
    ],
    "providers": [{"code": "P1", "hub": "H1"}, {"code": "P2", "hub": "H2"},
                  {"code": "P3", "hub": "H3"}, {"code": "P4", "hub": "H3"}],
    "areas": [
        {"code": "A1", "hub": "H1", "population": 100, "need_index": 1.2, "demography": {"imd": 30.0, "old": 0.2}},
        {"code": "A2", "hub": "H2", "population": 150, "demography": {"imd": 10.0, "old": 0.1}},
        {"code": "A3", "hub": "H2", "population": 50, "name": "Area three", "demography": {"imd": 20.0, "old": 0.3}},
        {"code": "A4", "hub": "H3", "population": 120, "need_index": 0.5, "demography": {"imd": 25.0, "old": 0.15}},
        {"code": "A5", "hub": "H3", "population": 180, "demography": {"imd": 15.0, "old": 0.25}},
    ],
}


def write_geo(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "geography.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def small(tmp_path: Path, edit=None) -> Geography:
    data = copy.deepcopy(GEO)
    if edit:
        edit(data)
    return Geography(load_geography_file(write_geo(tmp_path, data)))


# --- a small file -----------------------------------------------------------------------------------------------------
def test_areas_roll_up_into_hubs_regions_and_england(tmp_path):
    geo = small(tmp_path)
    assert geo.england.commissioning_areas == ("A1", "A2", "A3", "A4", "A5")
    assert geo.get("R1").commissioning_areas == ("A1", "A2", "A3")
    assert geo.get("H2").commissioning_areas == ("A2", "A3")
    assert [a.code for a in geo.areas_in("H3")] == ["A4", "A5"]
    a3 = geo.commissioning_area("A3")
    assert (a3.name, a3.hub, a3.region, a3.population) == ("Area three", "H2", "R1", 50)
    assert geo.commissioning_area("A2").name == "A2"  # no name: the code stands in
    assert dict(a3.demography) == {"imd": 20.0, "old": 0.3}
    assert geo.demographic_variables == ("imd", "old")


def test_need_index_defaults_to_one_and_weights_the_population(tmp_path):
    geo = small(tmp_path)
    assert geo.commissioning_area("A2").need_index == 1.0
    assert geo.commissioning_area("A1").weighted_population == pytest.approx(120.0)  # 100 x 1.2
    assert geo.commissioning_area("A4").weighted_population == pytest.approx(60.0)  # 120 x 0.5


def test_area_table_has_one_row_per_area_with_its_variables(tmp_path):
    geo = small(tmp_path)
    t = geo.area_table("H3")
    assert list(t.index) == ["A4", "A5"]
    assert t.loc["A4", "hub"] == "H3" and t.loc["A4", "region"] == "R2"
    assert t.loc["A4", "weighted_population"] == pytest.approx(60.0)
    assert t.loc["A5", "imd"] == 15.0 and t.loc["A5", "old"] == 0.25
    assert len(geo.area_table()) == 5
    assert geo.area_table("ENG")["population"].sum() == geo.england.population == 600


def test_areas_are_not_run_geographies(tmp_path):
    geo = small(tmp_path)
    assert [a.code for a in geo.run_geographies()] == ["ENG", "H1", "H2", "H3"]
    with pytest.raises(ConfigError, match="unknown geography 'A1'"):
        geo.get("A1")
    with pytest.raises(ConfigError, match="unknown commissioning area 'Z9'"):
        geo.commissioning_area("Z9")


def test_a_file_without_areas_still_loads(tmp_path):
    geo = small(tmp_path, lambda d: d.pop("areas"))
    assert geo.commissioning_areas == {}
    assert geo.get("H1").commissioning_areas == ()
    assert geo.demographic_variables == ()
    with pytest.raises(ConfigError, match="defines no commissioning areas"):
        geo.area_table()


BAD_AREAS = [
    pytest.param(lambda d: d["areas"][1].update(population=149),
                 ["hub H2 has population 200 but its areas add up to 199"], id="populations-do-not-add-up"),
    pytest.param(lambda d: d["areas"][0].update(hub="H9"), ["area A1 names hub 'H9'"], id="unknown-hub"),
    pytest.param(lambda d: d["areas"][2].update(code="A2"), ["area codes must be unique", "'A2'"],
                 id="duplicate-code"),
    pytest.param(lambda d: d["areas"][0].update(code="H1"), ["area codes must be unique", "'H1'"],
                 id="code-equals-hub"),
    pytest.param(lambda d: d["areas"][0].update(code="P1"), ["area codes must be unique", "'P1'"],
                 id="code-equals-provider"),
    pytest.param(lambda d: d["areas"][3]["demography"].pop("old"), ["area A4 has demography ['imd']",
                                                                      "the same variables"], id="missing-variable"),
    pytest.param(lambda d: d["areas"].pop(0), ["hub H1 has no area"], id="hub-without-area"),
    pytest.param(lambda d: d["areas"][0]["demography"].update(imd=math.nan), ["areas.0.demography.imd", "finite"],
                 id="nan-variable"),
    pytest.param(lambda d: d["areas"][0].update(need_index=0), ["areas.0.need_index", "greater than 0"],
                 id="zero-need"),
    pytest.param(lambda d: d["areas"][0].update(demography={}), ["areas.0.demography", "at least 1"],
                 id="no-variables"),
    pytest.param(lambda d: d["areas"][0].update(populaton=5), ["areas.0.populaton", "unknown key"],
                 id="unknown-key"),
    pytest.param(lambda d: d["areas"][0].update(code="A/1"), ["areas.0.code", "pattern"], id="code-not-path-safe"),
]


@pytest.mark.parametrize("edit, words", BAD_AREAS)
def test_a_bad_area_is_refused_with_a_clear_message(tmp_path, edit, words):
    data = copy.deepcopy(GEO)
    edit(data)
    path = write_geo(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_geography_file(path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message, message


# --- the book's file --------------------------------------------------------------------------------------------------
def test_the_book_has_60_to_120_areas_each_in_one_hub():
    geo = load_geography()
    areas = geo.commissioning_areas
    assert 60 <= len(areas) <= 120
    for code, a in areas.items():
        assert re.fullmatch(rf"A-{a.hub}-\d\d", code), code
    assert sorted(a for h in geo.hubs() for a in h.commissioning_areas) == sorted(areas)
    assert geo.england.commissioning_areas == tuple(areas)


def test_each_hub_is_the_sum_of_its_areas():
    geo = load_geography()
    for hub in geo.hubs():
        assert hub.commissioning_areas, hub.code
        assert sum(a.population for a in geo.areas_in(hub.code)) == hub.population
    assert geo.area_table()["population"].sum() == geo.england.population


def test_the_book_still_runs_for_england_and_the_ten_hubs():
    geo = load_geography()
    assert [a.code for a in geo.run_geographies()] == ["ENG", *HUBS]
    assert [a.code for a in geo.hubs()] == HUBS
    assert len(geo.england.providers) == 101


def test_need_index_averages_one_over_england():
    t = load_geography().area_table()
    assert (t["weighted_population"].sum() / t["population"].sum()) == pytest.approx(1.0, abs=0.002)
    assert t["need_index"].between(0.7, 1.4).all()


def test_demographic_variables_are_plausible_and_vary_within_hubs():
    geo = load_geography()
    t = geo.area_table()
    assert geo.demographic_variables == ("imd_score", "age_0_15", "age_65_plus", "rural", "ethnic_minority")
    for share in ("age_0_15", "age_65_plus", "rural", "ethnic_minority"):
        assert t[share].between(0, 1).all(), share
    assert t["imd_score"].between(0, 100).all()
    # London is younger and more diverse than the South West: peers are found across hubs, not only within
    lon, sw = t[t["hub"] == "LON"].mean(numeric_only=True), t[t["hub"] == "SW"].mean(numeric_only=True)
    assert lon["ethnic_minority"] > sw["ethnic_minority"] and lon["age_65_plus"] < sw["age_65_plus"]
    assert (t.groupby("hub")["imd_score"].std() > 0).all()


# --- area-coded input tables ------------------------------------------------------------------------------------------
AREA_SPEC = TableSpec(
    name="area_test", title="Area test", like="a table coded by area of residence", description="test only",
    key="row_id", date_column="month", source="test only", access="test only", provider_column=None,
    area_column="area_code",
    schema=pa.DataFrameSchema({"row_id": code_column("row", unique=True), "area_code": code_column("area")},
                              strict=False, name="area_test"),
)


def test_an_unknown_area_code_is_named_with_its_row():
    frame = pd.DataFrame({"row_id": ["r1", "r2", "r3"], "month": ["2017-04-01"] * 3,
                          "area_code": ["A-LON-01", "A-ZZZ-99", "A-SW-02"]})
    with pytest.raises(DataError) as info:
        validate_table(frame, AREA_SPEC, Path("area_test.csv"), load_geography())
    message = str(info.value)
    assert "column 'area_code', rule commissioning area listed in params/geography.yaml" in message
    assert "row 2 (line 3): 'A-ZZZ-99'" in message
    assert "provider" not in message.replace("params/geography.yaml", "")  # no provider column to check


def test_known_area_codes_pass():
    frame = pd.DataFrame({"row_id": ["r1", "r2"], "month": ["2017-04-01"] * 2, "area_code": ["A-LON-01", "A-WTV-08"]})
    assert len(validate_table(frame, AREA_SPEC, Path("area_test.csv"), load_geography())) == 2
