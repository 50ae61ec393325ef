"""Scheme 19 on the default synthetic data reproduces the Menu of Opportunities' figures, and hubs add up."""
from __future__ import annotations

import pytest

from ivanalysis.geography import load_geography
from ivanalysis.schemes.registry import analyse

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def england(default_data):
    return analyse("rheumatology_network", "ENG", default_data)


def test_menu_minimum_12_cases_and_360000_pounds(england):
    # Menu ch. 19: a 15-20% reduction in progression to end-stage RRT; 'estimated minimum 12 cases avoided amounts
    # to £360,000' (15% of 80 progressions outside a network, at £30,000 a case a year); 20% gives 16 and £480,000
    assert england.period.label == "2017/18"
    assert england.kpi("Patients starting renal replacement therapy outside a network").value == 80
    cases = england.quantities[0].values
    assert cases.low == pytest.approx(12.0)
    component = england.opportunity.components[0]  # cost avoided: beside the headline
    rrt = component.gross
    assert rrt.low == pytest.approx(360_000)
    assert cases.high == pytest.approx(16.0)
    assert rrt.high == pytest.approx(480_000)
    assert rrt.low < rrt.moderate < rrt.high
    # net of the clinician time the network takes (an unsourced assumption): about 100,000 a year per 24 hours a
    # provider gives it (90 of the 101 providers have patients outside a network, 37% of all patients), so in the
    # low scenario (96 hours) the renal saving alone does not pay for the network
    cost = component.implementation_cost
    assert cost.moderate == pytest.approx(2 * cost.high) and cost.low == pytest.approx(4 * cost.high)
    assert cost.high == pytest.approx(100_000, rel=0.05)
    assert component.net.low < 0 < component.net.moderate < component.net.high


def test_progression_chart_pools_the_three_years_ending_2017_18(england):
    assert england.charts["progression"].title.endswith("England, 2015/16 to 2017/18 pooled")


def test_registry_completeness_falls_short_of_90_percent(england):
    # Menu ch. 19: savings calculated from data on 90% of patients on high-cost drugs; the synthetic registry
    # reaches about 78% in 2017/18, better at hubs than outside a network
    kpi = england.kpi("High-cost drug starts recorded in the registry")
    assert kpi.target == 0.90
    assert kpi.value == pytest.approx(0.78, abs=0.03)
    assert kpi.met is False
    network = england.tables["network"].frame.set_index("Network status")
    assert (network.loc["Hub (specialised centre)", "Registry completeness"]
            > network.loc["Outside a network", "Registry completeness"])


def test_progression_is_lower_within_a_network(england):
    chart = england.charts["progression"].frame.set_index("Network status")["Share a year"]
    assert chart["Outside a network"] > chart["Spoke (shared care)"]
    assert chart["Outside a network"] > chart["Hub (specialised centre)"]


def test_hubs_differ(england, default_data):
    hubs = [analyse("rheumatology_network", h.code, default_data) for h in load_geography().hubs()]
    shares = [r.kpi("Patients cared for within a coordinated network").value for r in hubs]
    assert max(shares) - min(shares) > 0.2  # networks are at different stages in different hubs
