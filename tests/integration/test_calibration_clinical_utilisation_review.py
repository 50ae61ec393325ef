"""Scheme 14 (CUR): the England run on the default synthetic data reproduces what the Menu publishes.

The Menu gives one figure for CUR: South Tees' non-qualified (not met) patient levels improved by 35% in 12
months. It also asks for a fall in the top 5 reasons for delay and a 25% reduction in stays over 3 weeks.
"""
from __future__ import annotations

import pytest

from ivanalysis.data.io import load_table
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import clinical_utilisation_review as cur
from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration

# The module's tables, loaded once, named for the run cache: the national part (every provider in England) is
# computed once for England and the hubs, as a warm kernel does (test_national.py checks that this changes nothing).
KEPT = ("default data, loaded once by", __name__)


@pytest.fixture(scope="module")
def england(default_data):
    return registry.analyse("clinical_utilisation_review", "ENG", default_data)


@pytest.fixture(scope="module")
def analyse(default_data):
    """analyse(geography code), reading the table once."""
    geo = load_geography()
    tables = {name: load_table(default_data, name, geo) for name in cur.TABLES}
    params = registry.params("clinical_utilisation_review")
    period = Period.financial_year(params.period)
    return lambda code: registry.analyse_tables("clinical_utilisation_review", tables, geo.get(code), period, geo,
                                                params_=params, data_identity=KEPT)


def test_not_met_share_fell_35_percent_in_a_providers_first_year(england):
    # Menu ch. 14: at South Tees, non-qualified patient levels improved by 35% in a 12-month period
    assert england.kpi("Fall in the share not met over providers' first year of CUR").value == pytest.approx(
        0.35, abs=0.03)


def test_top_5_reasons_and_long_stays_are_measured(england):
    reasons = england.tables["reasons"].frame
    assert reasons["Top 5"].tolist()[:5] == ["yes"] * 5
    assert reasons["Days not met"].is_monotonic_decreasing
    long = england.kpi("Spells of more than 21 days").value
    assert long > 0
    # the 25% reduction target: a quarter of the long stays to prevent
    assert england.quantities[2].values.moderate == pytest.approx(0.25 * long)


def test_the_saving_is_net_of_the_cost_of_cur(england):
    table = england.scenario_table
    for s in ("low", "moderate", "high"):
        value = table.loc["Value of the bed days released", s]
        cost = table.loc["Cost of CUR at the providers counted", s]
        assert england.opportunity.components[0].net.get(s) == pytest.approx(value - cost)
        assert cost > 0
    beds = england.opportunity.components[0].net  # capacity: beside the headline
    assert 0 < beds.low < beds.moderate < beds.high
    # above the benchmark at moderate: the not-met share of the headline year is above England's less 35%
    kpi = england.kpi("Patient-days not meeting the criteria")
    assert kpi.target == pytest.approx(kpi.value * 0.65)


def test_hubs_patient_days_reviewed_add_up(analyse, england):
    hubs = [analyse(h.code) for h in load_geography().hubs()]
    assert sum(h.kpi("Patient-days reviewed").value for h in hubs) == england.kpi("Patient-days reviewed").value
