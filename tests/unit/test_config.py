"""params/: geography.yaml and schemes/<id>.yaml are validated before anything runs; unknown keys are errors."""
from __future__ import annotations

import copy
import importlib

import pytest
import yaml

from ivanalysis.config import load_geography_file, load_scheme_params
from ivanalysis.errors import ConfigError
from ivanalysis.geography import Geography, load_geography
from ivanalysis.paths import PARAMS_DIR

pytestmark = pytest.mark.unit

# --- geography.yaml ---------------------------------------------------------------------------------------------------
# Two regions, three hubs (populations 100 + 200 in R1, 300 in R2), four providers.
GEO = {
    "england": {"code": "ENG", "name": "England"},
    "regions": [{"code": "R1", "name": "Region one"}, {"code": "R2", "name": "Region two"}],
    "hubs": [
        {"code": "H1", "name": "Hub one", "region": "R1", "population": 100},
        {"code": "H2", "name": "Hub two", "region": "R1", "population": 200},
        {"code": "H3", "name": "Hub three", "region": "R2", "population": 300},
    ],
    "providers": [{"code": "P1", "hub": "H1"}, {"code": "P2", "hub": "H2"},
                  {"code": "P3", "hub": "H3"}, {"code": "P4", "hub": "H3", "name": "Provider four"}],
}


def write_geo(tmp_path, data):
    path = tmp_path / "geography.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def edited(edit):
    data = copy.deepcopy(GEO)
    edit(data)
    return data


def test_a_valid_geography_file_loads(tmp_path):
    spec = load_geography_file(write_geo(tmp_path, GEO))
    assert [h.code for h in spec.hubs] == ["H1", "H2", "H3"]
    assert spec.providers[3].name == "Provider four"


BAD_GEOGRAPHIES = [
    pytest.param(lambda d: d["hubs"][0].update(populaton=5), ["hubs.0.populaton", "unknown key"], id="unknown-key"),
    pytest.param(lambda d: d.update(icbs=[]), ["icbs", "unknown key"], id="unknown-top-level-key"),
    pytest.param(lambda d: d["hubs"][1].update(region="R9"), ["hub H2 names region 'R9'"], id="hub-unknown-region"),
    pytest.param(lambda d: d["providers"][0].update(hub="H9"), ["provider P1 names hub 'H9'"],
                 id="provider-unknown-hub"),
    pytest.param(lambda d: d["hubs"][2].update(code="H1"), ["must be unique", "'H1'"], id="duplicate-hub-code"),
    pytest.param(lambda d: d["hubs"][0].update(code="R1"), ["must be unique", "'R1'"], id="hub-code-equals-region"),
    pytest.param(lambda d: d["providers"][1].update(code="P1"), ["provider codes must be unique", "'P1'"],
                 id="duplicate-provider-code"),
    pytest.param(lambda d: d["providers"].pop(1), ["hubs with no provider", "'H2'"], id="hub-without-provider"),
    pytest.param(lambda d: d["hubs"][0].update(code="H1/X"), ["hubs.0.code", "pattern"], id="code-with-slash"),
    pytest.param(lambda d: d["providers"][0].update(code="../P1"), ["providers.0.code", "pattern"],
                 id="provider-code-not-path-safe"),
    pytest.param(lambda d: d["hubs"][0].update(population=0), ["hubs.0.population", "greater than 0"],
                 id="zero-population"),
    pytest.param(lambda d: d.update(regions=[]), ["regions", "at least 1"], id="no-regions"),
    pytest.param(lambda d: d.pop("england"), ["england", "Field required"], id="no-england"),
]


@pytest.mark.parametrize("edit, words", BAD_GEOGRAPHIES)
def test_a_bad_geography_file_is_refused_with_a_clear_message(tmp_path, edit, words):
    path = write_geo(tmp_path, edited(edit))
    with pytest.raises(ConfigError) as info:
        load_geography_file(path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_geography_file_not_found(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_geography_file(tmp_path / "nope.yaml")


def test_geography_file_not_yaml(tmp_path):
    path = tmp_path / "geography.yaml"
    path.write_text("england: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_geography_file(path)


def test_geography_file_not_a_mapping(tmp_path):
    path = tmp_path / "geography.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping at the top level"):
        load_geography_file(path)


# --- the geography built from it --------------------------------------------------------------------------------------
def test_areas_roll_up_from_a_small_file(tmp_path):
    geo = Geography(load_geography_file(write_geo(tmp_path, GEO)))
    assert geo.england.providers == ("P1", "P2", "P3", "P4")
    assert geo.england.population == 600
    assert geo.get("R1").population == 300  # H1 + H2
    assert geo.get("R1").hubs == ("H1", "H2")
    assert geo.get("R1").providers == ("P1", "P2")
    assert geo.get("H3").providers == ("P3", "P4")
    assert geo.get("H3").region == "R2"
    assert geo.provider_name == {"P1": "P1", "P2": "P2", "P3": "P3", "P4": "Provider four"}
    assert geo.hub_of("P4") == "H3"


HUBS = ["LON", "NW", "NEC", "YH", "EM", "WM", "EOE", "SW", "KSS", "WTV"]


def test_england_holds_every_provider():
    geo = load_geography()
    every = [p.code for p in geo.spec.providers]
    assert len(every) == 101
    assert geo.england.level == "england"
    assert geo.england.providers == tuple(every)
    assert sorted(p for h in geo.hubs() for p in h.providers) == sorted(every)


def test_a_region_is_the_sum_of_its_hubs():
    geo = load_geography()
    ney = geo.get("R-NEY")
    assert ney.level == "region"
    assert ney.hubs == ("NEC", "YH")
    assert ney.population == 3_160_000 + 5_480_000
    assert ney.providers == geo.get("NEC").providers + geo.get("YH").providers
    for region in geo.spec.regions:
        area = geo.get(region.code)
        assert area.population == sum(geo.get(h).population for h in area.hubs)
    assert geo.england.population == sum(h.population for h in geo.hubs())


def test_unknown_geography_lists_the_known_codes():
    with pytest.raises(ConfigError) as info:
        load_geography().get("NOPE")
    message = str(info.value)
    assert "'NOPE'" in message
    for code in ["ENG", "R-LON", *HUBS]:
        assert code in message


def test_run_geographies_are_england_and_the_ten_hubs():
    areas = load_geography().run_geographies()
    assert [a.code for a in areas] == ["ENG", *HUBS]
    assert [a.level for a in areas] == ["england"] + ["hub"] * 10


# --- schemes/<id>.yaml ------------------------------------------------------------------------------------------------
REQUIRED = {"target_share": "share", "price_per_gram": "gbp_per_gram"}
SOURCE = "Menu of Opportunities ch. 1, a source long enough to count"


def scheme_file(**changes):
    data = {
        "scheme": "demo",
        "period": "2016/17",
        "headline": "What the headline opportunity means, in one sentence.",
        "assumptions": {
            "target_share": {"label": "Target share", "unit": "share", "low": 0.66, "moderate": 0.8, "high": 0.9,
                             "source": SOURCE},
            "price_per_gram": {"label": "Price per gram", "unit": "gbp_per_gram", "low": 34.0, "moderate": 34.0,
                               "high": 34.0, "source": SOURCE},
        },
    }
    for key, value in changes.items():
        if key in data["assumptions"]:
            data["assumptions"][key] = value
        else:
            data[key] = value
    return data


def write_scheme(tmp_path, data, scheme_id="demo"):
    folder = tmp_path / "schemes"
    folder.mkdir(exist_ok=True)
    path = folder / f"{scheme_id}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def with_assumption(name, **changes):
    a = copy.deepcopy(scheme_file()["assumptions"][name])
    a.update(changes)
    return {name: a}


def test_a_valid_scheme_file_loads(tmp_path):
    write_scheme(tmp_path, scheme_file())
    params = load_scheme_params("demo", REQUIRED, params_dir=tmp_path)
    assert params.period == "2016/17"
    assert params.assumptions["target_share"].value("moderate") == 0.8
    assert params.assumptions["price_per_gram"].value("low") == 34.0


def _without(name, key):
    a = copy.deepcopy(scheme_file()["assumptions"][name])
    del a[key]
    return {name: a}


def _assumptions(*names, extra=None):
    base = scheme_file()["assumptions"]
    out = {n: base[n] for n in names}
    out.update(extra or {})
    return out


BAD_SCHEMES = [
    pytest.param(scheme_file(**with_assumption("target_share", high=1.2)),
                 ["assumptions.target_share", "high = 1.2 is a share and must lie between 0 and 1"], id="share-1.2"),
    pytest.param(scheme_file(**with_assumption("target_share", low=-0.1)),
                 ["low = -0.1 is a share"], id="share-negative"),
    pytest.param(scheme_file(**with_assumption("price_per_gram", low=-34.0)),
                 ["assumptions.price_per_gram", "low = -34.0 must not be negative"], id="negative-price"),
    pytest.param(scheme_file(assumptions=_assumptions("target_share", "price_per_gram", extra={
        "target_shares": scheme_file()["assumptions"]["target_share"]})),
                 ["unknown assumption(s) ['target_shares']", "this scheme uses ['price_per_gram', 'target_share']"],
                 id="unknown-assumption"),
    pytest.param(scheme_file(assumptions=_assumptions("target_share")),
                 ["missing assumption(s) ['price_per_gram']"], id="missing-assumption"),
    pytest.param(scheme_file(**with_assumption("price_per_gram", unit="gbp")),
                 ["'price_per_gram' must have unit 'gbp_per_gram', not 'gbp'"], id="wrong-unit"),
    pytest.param(scheme_file(**with_assumption("price_per_gram", unit="pounds")),
                 ["assumptions.price_per_gram.unit", "'share'"], id="unknown-unit"),
    pytest.param(scheme_file(period="2016/18"), ["period", "'2016/18' must be a financial year"], id="period-2016/18"),
    pytest.param(scheme_file(period="2016"), ["period", "'2016' must be a financial year"], id="period-2016"),
    pytest.param(scheme_file(period="16/17"), ["'16/17' must be a financial year"], id="period-16/17"),
    pytest.param(scheme_file(**_without("target_share", "source")),
                 ["assumptions.target_share.source", "Field required"], id="missing-source"),
    pytest.param(scheme_file(**with_assumption("target_share", source="trust me")),
                 ["assumptions.target_share.source", "at least 10 characters"], id="source-too-short"),
    pytest.param(scheme_file(**with_assumption("target_share", sorce=SOURCE)),
                 ["assumptions.target_share.sorce", "unknown key"], id="unknown-key-in-assumption"),
    pytest.param(scheme_file(**with_assumption("target_share", moderate="high")),
                 ["assumptions.target_share.moderate", "valid number"], id="text-value"),
    pytest.param(scheme_file(scheme="other"), ["'scheme' is 'other' but the file is for 'demo'"], id="wrong-scheme-id"),
    pytest.param(scheme_file(extra="x"), ["extra", "unknown key"], id="unknown-top-level-key"),
]


@pytest.mark.parametrize("data, words", BAD_SCHEMES)
def test_a_bad_scheme_file_is_refused_with_a_clear_message(tmp_path, data, words):
    path = write_scheme(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_scheme_params("demo", REQUIRED, params_dir=tmp_path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_a_missing_scheme_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_scheme_params("demo", REQUIRED, params_dir=tmp_path)


@pytest.mark.parametrize("scheme_id", ["immunoglobulin_itp", "critical_care_delayed_discharge",
                                       "prostate_fractionation"])
def test_the_real_scheme_files_load_with_their_modules_assumptions(scheme_id):
    required = importlib.import_module(f"ivanalysis.schemes.{scheme_id}").ASSUMPTIONS
    params = load_scheme_params(scheme_id, required)
    assert params.scheme == scheme_id
    assert set(params.assumptions) == set(required)
    assert {n: a.unit for n, a in params.assumptions.items()} == required
    assert (PARAMS_DIR / "schemes" / f"{scheme_id}.yaml").exists()
    for a in params.assumptions.values():
        assert a.low >= 0 and a.moderate >= 0 and a.high >= 0
