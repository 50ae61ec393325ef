"""Scheme 13 (ATAIN): the England run on the default synthetic data reproduces the Menu's published figures."""
from __future__ import annotations

import pytest

from ivanalysis.data.io import load_table
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import atain_neonatal, registry

pytestmark = pytest.mark.integration

# The module's tables, loaded once, named for the run cache: the national part (every provider in England) is
# computed once for England and the hubs, as a warm kernel does (test_national.py checks that this changes nothing).
KEPT = ("default data, loaded once by", __name__)


@pytest.fixture(scope="module")
def england(default_data):
    return registry.analyse("atain_neonatal", "ENG", default_data)


@pytest.fixture(scope="module")
def analyse(default_data):
    """analyse(geography code), reading the tables once (births has two million rows)."""
    geo = load_geography()
    tables = {name: load_table(default_data, name, geo) for name in atain_neonatal.TABLES}
    params = registry.params("atain_neonatal")
    return lambda code: registry.analyse_tables("atain_neonatal", tables, geo.get(code),
                                                Period.financial_year(params.period), geo, params_=params,
                                                data_identity=KEPT)


def test_80251_admissions_almost_60_percent_at_term(england):
    # Menu ch. 13: 80,251 admissions to neonatal units in England, almost 60% (48,000) of babies born at term
    assert england.kpi("Admissions to neonatal units").value == pytest.approx(80_251, rel=0.02)
    assert england.kpi("Admissions of babies born at term").value == pytest.approx(0.60, abs=0.01)
    assert england.kpi("Term admissions").value == pytest.approx(48_000, rel=0.02)


def test_30_percent_of_reviewed_term_admissions_judged_avoidable(england):
    # Menu ch. 13: NHS Improvement say 30% of term admissions are avoidable
    assert england.kpi("Reviewed term admissions judged avoidable").value == pytest.approx(0.30, abs=0.02)


def test_about_3m_pounds_for_avoidable_hypoglycaemia_admissions(england):
    # Menu ch. 13: 30% of term hypoglycaemia admissions avoidable, about 3 m pounds a year; the reviews in the data
    # judge about 30% of them avoidable too, and the share used is theirs
    hypo = england.scenario_table.loc["Hypoglycaemia: avoidable share used (ATAIN reviews)", "moderate"]
    assert hypo == pytest.approx(0.30, abs=0.02)
    cost = england.kpi("Cost of the avoidable share of term hypoglycaemia admissions").value
    assert cost == pytest.approx(3.0e6, rel=0.1)


def test_asphyxia_is_judged_avoidable_far_less_often_than_the_other_key_reasons(england):
    # the reviews in the data judge about 12% of term asphyxia (HIE) admissions avoidable, against 30% or more for
    # the other three: the saving takes each reason at its own share
    table = england.scenario_table["moderate"]
    asphyxia = table["Asphyxia (HIE): avoidable share used (ATAIN reviews)"]
    assert asphyxia == pytest.approx(0.12, abs=0.02)
    for reason in ("Hypoglycaemia", "Jaundice", "Respiratory"):
        assert table[f"{reason}: avoidable share used (ATAIN reviews)"] > 2 * asphyxia


def test_south_region_49_and_south_east_coast_41_per_1000_births(analyse):
    # Menu ch. 13: term admissions as a % of all live births, Q3 2017/18: South region 4.9%, South East Coast 4.1%
    # (here the South West and South East regions together, and the Kent, Surrey and Sussex hub)
    south = [analyse(code) for code in ("R-SW", "R-SE")]
    births = sum(r.kpi("Live births").value for r in south)
    term = sum(r.kpi("Term admissions").value for r in south)
    assert term / births == pytest.approx(0.049, abs=0.003)
    kss = analyse("KSS")
    assert kss.kpi("Term admissions as a share of live births").value == pytest.approx(0.041, abs=0.003)


def test_the_rest_of_england_is_above_the_benchmark_so_there_is_an_opportunity(england):
    assert england.kpi("Term admissions as a share of live births").value > 0.049
    gbp = england.opportunity_gbp
    assert 0 < gbp.low < gbp.moderate < gbp.high
    avoided = england.quantities[0].values.moderate
    # never more than the avoidable share of each key reason's term admissions
    reasons = england.tables["reasons"].frame.set_index("Reason")["Term admissions"]
    table = england.scenario_table["moderate"]
    avoidable = sum(reasons[label] * table[f"{label}: avoidable share used (ATAIN reviews)"]
                    for label in ("Hypoglycaemia", "Jaundice", "Respiratory", "Asphyxia (HIE)"))
    assert avoided <= avoidable
