"""results.json: one model, its only writer and reader; a failed run's record; the page's record of a result; the
schema page of the book."""
from __future__ import annotations

import json
import re
from datetime import date
from types import SimpleNamespace

import pandas as pd
import pytest

from ivanalysis.catalogue import BY_ID
from ivanalysis.config import SCENARIOS
from ivanalysis.geography import load_geography
from ivanalysis.results import (
    CAPACITY_RELEASED,
    CASH_RELEASING,
    KPI,
    NHSE_SPECIALISED,
    PROVIDER,
    SCHEMA_VERSION,
    ComponentRecord,
    DataCoverage,
    KpiRecord,
    Measure,
    MeasureRecord,
    Opportunity,
    OpportunityComponent,
    Period,
    PoundsRecord,
    Provenance,
    Quantity,
    QuantityRecord,
    Range,
    ResultsFileError,
    RunContext,
    RunParameters,
    RunResult,
    ScenarioValues,
    SchemeResult,
    read_results,
    write_results,
)
from ivanalysis.results.record import FIGURES, identity

pytestmark = pytest.mark.unit

GEO = load_geography()
LON = GEO.get("LON")
ITP = BY_ID["immunoglobulin_itp"]


def parameters(period: str | None = "2016/17") -> RunParameters:
    return RunParameters(scheme=ITP.id, geography="LON", scenario="moderate", period=period, data_dir="data/synthetic")


def provenance(ok: bool = True) -> Provenance:
    """A run's provenance; a failed run read no inputs and has no assumptions."""
    inputs = {"immunoglobulin": {"file": "data/synthetic/immunoglobulin.parquet", "sha256": "b" * 64}}
    assumptions = {"target_share": ScenarioValues(low=0.66, moderate=0.8, high=0.9)}
    return Provenance(package_version="0.1.0", git_commit="a" * 40, git_dirty=False, inputs=inputs if ok else None,
                      parameters=parameters(), assumptions=assumptions if ok else None)


def pounds(low: float, moderate: float, high: float) -> ScenarioValues:
    return ScenarioValues(low=low, moderate=moderate, high=high)


def components() -> list[ComponentRecord]:
    """The headline's one component, and a capacity component beside it."""
    zero = pounds(0.0, 0.0, 0.0)
    return [ComponentRecord(label="Immunoglobulin not given", kind="cash_releasing", payer="nhse_specialised",
                            year="2016/17", gross=pounds(609_729.04, 1_059_856.15, 1_401_510.09),
                            implementation_cost=zero, net=pounds(609_729.04, 1_059_856.15, 1_401_510.09),
                            in_totals=True, why_not_in_totals=""),
            ComponentRecord(label="Day-case chairs released", kind="capacity_released", payer="provider",
                            year="2016/17", gross=pounds(1_000.0, 2_000.0, 3_000.0),
                            implementation_cost=pounds(100.0, 200.0, 300.0), net=pounds(900.0, 1_800.0, 2_700.0),
                            in_totals=False, why_not_in_totals="capacity, not cash; falls to the provider")]


def ok_result() -> RunResult:
    return RunResult(
        **identity(ITP, LON, "2016/17"), status="ok", error=None, scenario="moderate",
        headline="Immunoglobulin not used in a year.",
        opportunity_gbp=pounds(609_729.04, 1_059_856.15, 1_401_510.09),
        opportunity_components=components(),
        opportunity_units=[QuantityRecord(label="Immunoglobulin saved", unit="grams", low=17_933.21,
                                          moderate=31_172.24, high=41_220.88)],
        kpis=[KpiRecord(name="Episodes at 1 g/kg or less", value=0.4953, target=0.8, unit="share",
                        higher_is_better=True, met=False, note="Menu: 30% in 2015/16"),
              KpiRecord(name="ITP episodes", value="*", unit="count")],
        measure=MeasureRecord(name="Share of ITP episodes at 1 g/kg or less", higher_is_better=True, target=0.8,
                              variation="improvement_high", assurance="consistent_fail", providers=16,
                              providers_worse_998=["LON-P03"]),
        data=DataCoverage(synthetic=True, first_month="2015-04", last_month="2018-03"),
        provenance=provenance())


def test_identity_names_the_run_and_its_year():
    fields = identity(ITP, LON, "2016/17")
    assert fields["scheme_number"] == 1 and fields["geography_name"] == "London" and fields["geography_level"] == "hub"
    assert (fields["period_start"], fields["period_end"]) == (date(2016, 4, 1), date(2017, 3, 31))


def test_round_trip_is_exact_and_the_file_is_plain_json(tmp_path):
    result = ok_result()
    path = tmp_path / "run" / "results.json"
    write_results(path, result)
    assert read_results(path) == result
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION == 6
    assert data["period_start"] == "2016-04-01" and data["kpis"][1]["value"] == "*"
    assert data["opportunity_gbp"] == {"low": 609_729.04, "moderate": 1_059_856.15, "high": 1_401_510.09}
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]  # written atomically: no temporary left


def test_every_variation_the_model_allows_has_its_words_on_the_pages():
    from typing import get_args

    from ivanalysis.report.mdc import VARIATION_TEXT
    from ivanalysis.results.record import Variation

    assert set(VARIATION_TEXT) == set(get_args(Variation))


def test_scenario_figures_follow_the_scenarios_of_config():
    assert tuple(ScenarioValues.model_fields) == SCENARIOS
    assert ok_result().opportunity_gbp.get("high") == 1_401_510.09
    assert ok_result().opportunity_units[0].get("moderate") == 31_172.24


def _refusal(path) -> str:
    with pytest.raises(ResultsFileError) as info:
        read_results(path)
    message = str(info.value)
    assert str(path) in message  # every refusal names the file
    return message


def test_a_file_that_is_not_the_contract_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "results.json"
    assert "cannot read" in _refusal(path)
    path.write_text("{not json", encoding="utf-8")
    assert "is not valid JSON" in _refusal(path)
    path.write_text("[1, 2]", encoding="utf-8")
    assert "holds a list" in _refusal(path)

    good = ok_result().model_dump(mode="json")
    path.write_text(json.dumps({**good, "schema_version": 1}), encoding="utf-8")
    message = _refusal(path)
    assert "schema version 1" in message and "reads version 6" in message and "run the scheme" in message

    broken = json.loads(json.dumps(good))
    broken["opportunity_gbp"]["low"] = "a lot"
    broken["kpis"][0]["colour"] = "red"
    path.write_text(json.dumps(broken), encoding="utf-8")
    message = _refusal(path)
    assert "opportunity_gbp.low" in message and "kpis.0.colour" in message

    path.write_text(json.dumps({**good, "measure": {**good["measure"], "variation": "wobbly"}}), encoding="utf-8")
    assert "measure.variation" in _refusal(path)


def test_a_failed_run_has_its_error_and_no_figures(tmp_path):
    failed = RunResult.failed(ITP, LON, None, "moderate", "DataError: immunoglobulin.parquet: no rows",
                              provenance(ok=False))
    assert failed.status == "failed" and not failed.ok
    assert all(getattr(failed, name) is None for name in FIGURES)  # None, never zeros
    assert (failed.period, failed.period_start, failed.geography_name) == (None, None, "London")
    path = tmp_path / "results.json"
    write_results(path, failed)
    assert read_results(path) == failed
    asked = RunResult.failed(ITP, LON, "2017/18", "low", "SyntaxError", provenance(ok=False))
    assert asked.period_end == date(2018, 3, 31)


def test_status_and_figures_must_agree():
    good = ok_result().model_dump()
    with pytest.raises(ValueError, match="a failed run has no figures, but this one has headline"):
        RunResult(**{**good, "status": "failed", "error": "boom"})
    with pytest.raises(ValueError, match="says why"):
        RunResult(**{**good, **{name: None for name in FIGURES}, "status": "failed", "error": ""})
    with pytest.raises(ValueError, match="status 'ok' needs kpis, measure"):
        RunResult(**{**good, "kpis": None, "measure": None})
    with pytest.raises(ValueError, match="provenance.inputs"):
        RunResult(**{**good, "provenance": provenance(ok=False)})
    with pytest.raises(ValueError, match="has no error"):
        RunResult(**{**good, "error": "left over"})


def test_the_headline_is_the_net_of_the_components_in_totals():
    good = ok_result().model_dump()
    with pytest.raises(ValueError, match="sum of the net of the components in totals"):
        RunResult(**{**good, "opportunity_gbp": {"low": 609_729.04, "moderate": 1_061_656.15, "high": 1_401_510.09}})
    counted = good["opportunity_components"][0]
    with pytest.raises(ValueError, match="net must be gross less implementation cost"):
        ComponentRecord(**{**counted, "net": {"low": 1.0, "moderate": 1_059_856.15, "high": 1_401_510.09}})
    with pytest.raises(ValueError, match="says why"):
        ComponentRecord(**{**counted, "in_totals": False})
    with pytest.raises(ValueError, match="kind"):
        ComponentRecord(**{**counted, "kind": "cash"})
    with pytest.raises(ValueError, match="keeps outside totals"):
        ComponentRecord(**{**counted, "outside_totals": "overlaps schemes 1, 8 and 9"})


def test_the_page_records_a_result_with_counts_controlled_below_england():
    from ivanalysis.page.record import run_result
    from ivanalysis.schemes import registry

    params = registry.params(ITP.id)
    funnel = pd.DataFrame({"unit": ["LON-P01", "LON-P02", "LON-P03", "NW-P01"],
                           "flag": ["low_998", "high_998", "low_95", "low_998"]})
    measure = Measure(name="Share at 1 g/kg", higher_is_better=True, target=0.8,
                      funnel=SimpleNamespace(data=funnel),
                      trend=SimpleNamespace(variation="common_cause", assurance="hit_or_miss"),
                      denominator_label="episodes")

    def result(area) -> SchemeResult:
        return SchemeResult(
            context=RunContext(ITP, area, params, Period.financial_year("2016/17"), GEO),
            kpis=[KPI("Episodes", 1_472.0, "count"), KPI("Small", 3.0, "count"),
                  KPI("Share", 0.123456, "share", 0.8, True)],
            opportunity=Opportunity([
                OpportunityComponent("Immunoglobulin not given", CASH_RELEASING, NHSE_SPECIALISED,
                                     Range(1_000.004, 2_000.006, 3_000.0), "2016/17"),
                OpportunityComponent("Day-case chairs", CAPACITY_RELEASED, PROVIDER, Range(10.0, 20.0, 30.0),
                                     "2016/17", implementation_cost=Range(1.0, 2.0, 3.004))]),
            quantities=[Quantity("Grams", "grams", Range(1.234, 2.345, 3.456))],
            measure=measure, tables={}, scenario_table=pd.DataFrame(), caveats=[],
            data_months=(pd.Timestamp(2015, 4, 1), pd.Timestamp(2018, 3, 1)), area_providers=area.providers)

    inputs = {"immunoglobulin": {"file": "data/synthetic/immunoglobulin.parquet", "sha256": "c" * 64}}
    args = dict(scenario="moderate", parameters=parameters().model_dump(), inputs=inputs, synthetic=True)
    lon = run_result(result(LON), **args)
    assert [k.value for k in lon.kpis] == [1_470.0, "*", 0.1235]  # rounded to 5, suppressed, 4 decimals
    assert lon.kpis[2].met is False
    assert lon.opportunity_gbp == PoundsRecord(low=1_000.0, moderate=2_000.01, high=3_000.0)
    counted, beside = lon.opportunity_components
    assert (counted.kind, counted.payer, counted.year, counted.in_totals) == ("cash_releasing", "nhse_specialised",
                                                                            "2016/17", True)
    assert (beside.in_totals, beside.why_not_in_totals) == (False, "capacity, not cash; falls to the provider")
    assert beside.implementation_cost.high == 3.0 and beside.net.high == 27.0  # to the penny
    assert counted.outside_totals == beside.outside_totals == ""
    # a modelled quantity below England is controlled as a count: 1.2 to 3.5 grams is 'fewer than 8', never 3.46
    assert [lon.opportunity_units[0].get(s) for s in ("low", "moderate", "high")] == ["*", "*", "*"]
    # the area's providers only (NW-P01 is not London's), beyond the 99.8% limit on the worse (low) side
    assert lon.measure.providers == 3 and lon.measure.providers_worse_998 == ["LON-P01"]
    assert (lon.data.first_month, lon.data.last_month) == ("2015-04", "2018-03")
    assert set(lon.provenance.assumptions) == set(params.assumptions)
    eng = run_result(result(GEO.england), **args)
    assert [k.value for k in eng.kpis][:2] == [1_472.0, 3.0]  # England is not controlled
    assert eng.opportunity_units[0].get("high") == 3.46


def test_the_schema_page_lists_every_field_of_every_part():
    from ivanalysis.pipeline.book import results_schema

    page, schema_text = results_schema()
    schema = RunResult.model_json_schema()
    assert json.loads(schema_text) == schema
    sections = dict(re.findall(r"^## `(\w+)`\n(.*?)(?=^## |\Z)", page, re.S | re.M))
    models = {"RunResult": schema, **schema["$defs"]}
    assert set(sections) == set(models)
    for name, model in models.items():
        listed = re.findall(r"^\| `(\w+)` \|", sections[name], re.M)
        assert listed == list(model["properties"]), name
    for name in FIGURES:
        assert f"`{name}`" in page.split("## ")[0]  # the rule of a failed run, before the tables


def test_the_book_reads_each_run_through_the_model(build_dir):
    from ivanalysis.pipeline.runs_view import collect

    runs = build_dir / "runs" / ITP.id
    write_results(runs / "LON" / "results.json", ok_result())
    write_results(runs / "ENG" / "results.json",
                  RunResult.failed(ITP, GEO.england, None, "moderate", "no rows", provenance(ok=False)))
    views = {(v.scheme.id, v.area.code): v for v in collect(GEO)}
    assert views[(ITP.id, "LON")].ok and views[(ITP.id, "LON")].moderate() == 1_059_856.15
    assert not views[(ITP.id, "ENG")].ok and views[(ITP.id, "ENG")].results.error == "no rows"
    assert views[(ITP.id, "NW")].results is None  # not run
    (runs / "NW").mkdir()
    (runs / "NW" / "results.json").write_text('{"schema_version": 1}', encoding="utf-8")
    with pytest.raises(ResultsFileError, match=re.escape(str(runs / "NW" / "results.json"))):
        collect(GEO)


def test_pages_never_show_the_build_machines_folders(tmp_path):
    """A path inside the project is shown relative to it; outside it, only its own name (no user or share names);
    a URL without its credentials."""
    from ivanalysis.page.record import display_path
    from ivanalysis.paths import ROOT

    assert display_path(ROOT / "data" / "synthetic") == "data/synthetic"
    outside = tmp_path / "home" / "jsmith" / "extracts" / "lon_2018"
    assert display_path(outside) == ".../lon_2018" and "jsmith" not in display_path(outside)
    assert display_path("s3://key:secret@bucket/extract") == "s3://bucket/extract"
