"""Scheme 2 on the default synthetic data. The Menu (ch. 2) publishes no national figure: the England run
reproduces the volumes the generators are built to (their docstrings give the reasons), the case mix of the
haematology and transplant wards and the Menu's cost of one pharmacist PA a week."""
from __future__ import annotations

import pytest

from ivanalysis.schemes.registry import analyse

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def england(default_data):
    return analyse("antifungal_stewardship", "ENG", default_data)


def test_use_and_spend_are_of_the_designed_order(england):
    # about 91,000 occupied general and acute beds a day (KH03): 33 million bed days a year
    assert england.kpi("Occupied bed days").value == pytest.approx(33.3e6, rel=0.03)
    # about 30 DDDs per 1,000 occupied bed days in 2015/16, falling 3% a year: about 28 in 2017/18
    assert england.kpi("DDDs per 1,000 occupied bed days").value == pytest.approx(28.2, abs=1.0)
    # about 65 million pounds of antifungals in 2017/18, most of it on a few costly drugs
    assert 55e6 < england.kpi("Spend on antifungals").value < 75e6
    assert england.kpi("Oral to intravenous ratio (drugs given both ways)").value == pytest.approx(2.6, abs=0.3)
    assert england.kpi("Generic share of DDDs where a generic exists").value == pytest.approx(0.86, abs=0.03)


def test_haematology_and_transplant_wards_are_the_case_mix(england):
    # 20 centres hold the units, on 3% to 6% of their bed days: under 2% of England's; the units use about 12 times as
    # many DDDs per bed day as other wards (the generator's HAEM_TRANSPLANT_LIFT, and their costly drugs' tilt)
    units = england.kpi("Occupied bed days on haematology and transplant wards").value
    assert 0.01 < units / england.kpi("Occupied bed days").value < 0.02
    other = england.kpi("DDDs per 1,000 occupied bed days, other wards").value
    unit = england.kpi("DDDs per 1,000 occupied bed days, haematology and transplant wards").value
    assert 12 < unit / other < 20


def test_the_saving_is_like_for_like_and_the_units_stand_beside_it(england):
    # the saving (other wards' use and route, every provider's products) is a modest share of spend; what the units
    # use above their own benchmark is a prompt for review beside it, not in it
    saving, review = england.opportunity.components
    assert saving.in_totals and not review.in_totals
    assert "prompt for review" in review.why_not_in_totals
    spend = england.kpi("Spend on antifungals").value
    assert 0.05 < england.opportunity_gbp.moderate / spend < 0.20
    assert 0 < review.gross.moderate < saving.gross.moderate
    # the centres, a third of England's bed days and more than half of its spend, are no longer most of the saving
    providers = england.tables["providers"].frame
    centres = providers["Haematology and transplant bed days"] > 0
    assert providers.loc[centres, "Saving (moderate)"].sum() / providers["Saving (moderate)"].sum() < 0.6


def test_pharmacist_time_is_one_pa_a_week_per_larger_provider(england):
    # Menu ch. 2: 1 PA (4 hours) a week: 4 x 52 x £55 = £11,440 a year for each larger provider with a saving
    providers = england.kpi("Providers needing pharmacist time (moderate)").value
    cost = england.scenario_table.loc["Specialist pharmacist time", "moderate"]
    assert providers > 0
    assert cost == pytest.approx(providers * 11_440)


def test_scenarios_are_ordered_and_net_of_the_pharmacist(england):
    o = england.opportunity_gbp
    assert 0 < o.low < o.moderate < o.high < england.kpi("Spend on antifungals").value
    s = england.scenario_table["moderate"]
    gross = sum(s[k] for k in s.index if k.startswith("Saving from"))
    # net = gross - pharmacist, except at the few larger providers whose saving would not pay for the pharmacist:
    # they count as nothing (no pharmacist, no saving), so net lies a little below gross - pharmacist
    assert o.moderate <= gross - s["Specialist pharmacist time"]
    assert o.moderate == pytest.approx(gross - s["Specialist pharmacist time"], rel=0.01)
