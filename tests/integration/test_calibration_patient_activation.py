"""Scheme 16 on the default synthetic data. The Menu of Opportunities (ch. 16) publishes no figures for this scheme,
so the England run is checked against the generator's stated calibration (PAM volumes, the spread of levels and the
use of unplanned care by level reported by Barker et al., BMJ Qual Saf 2018), and the hubs must add up."""
from __future__ import annotations

import pytest

from ivanalysis.geography import load_geography
from ivanalysis.schemes.registry import analyse

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def england(default_data):
    return analyse("patient_activation", "ENG", default_data)


def test_volumes_and_levels(england):
    # the latest complete year: 22,000 patients assessed for the first time in 2017/18, and about 8,000 of 2016/17's
    # 16,000 reassessed within it, with a few hundred of 2015/16's reassessed a second time
    assert england.period.label == "2017/18"
    assert england.kpi("Patients assessed with the PAM").value == pytest.approx(31_000, rel=0.05)
    # about a quarter at level 1 (Barker et al.: 22%), about half at level 3 or 4
    assert england.kpi("Patients at activation level 1").value == pytest.approx(0.24, abs=0.04)
    assert england.kpi("Patients at activation level 3 or 4").value == pytest.approx(0.52, abs=0.05)


def test_the_least_activated_use_most_unplanned_care(england):
    # Barker et al. 2018: level 4 had 0.62 times the emergency admissions and 0.68 times the A&E attendances of
    # level 1 (adjusted); crude rates by level differ more, since activation goes with the service's case mix
    levels = england.tables["levels"].frame.set_index("Activation level")
    admissions = levels["Admissions per 100 patients a year"].to_numpy()
    ae = levels["A&E attendances per 100 patients a year"].to_numpy()
    assert list(admissions) == sorted(admissions, reverse=True)
    assert list(ae) == sorted(ae, reverse=True)
    assert 0.4 < admissions[-1] / admissions[0] < 0.65
    assert 0.45 < ae[-1] / ae[0] < 0.7
    # within each service (the model the saving is valued by) the generator's 0.62 and 0.68 come back
    assert levels["England within service: admissions, % of level 1"].iloc[-1] == pytest.approx(62, abs=4)
    assert levels["England within service: A&E, % of level 1"].iloc[-1] == pytest.approx(68, abs=4)
    bars = england.charts["admissions"].frame["Rate"]
    assert bars.iloc[-1] / bars.iloc[0] == pytest.approx(0.62, abs=0.04)


def test_scenarios_are_ordered_and_net_of_costs(england):
    (care,) = england.opportunity.components  # ICBs'/CCGs': beside the headline
    o = care.net
    assert 0 <= o.low <= o.moderate <= o.high
    assert 2e5 < o.moderate < 2e6
    outputs = england.scenario_table
    gross = outputs.loc["Unplanned care avoided at the providers counted (gross)", "moderate"]
    costs = outputs.loc["Intervention and licence costs at the providers counted", "moderate"]
    # providers whose costs exceed their gain count as nothing (neither gain nor cost), never negative
    assert (care.gross.moderate, care.implementation_cost.moderate) == pytest.approx((gross, costs))
    assert o.moderate == pytest.approx(gross - costs)


def test_hubs_differ(england, default_data):
    hubs = [analyse("patient_activation", h.code, default_data) for h in load_geography().hubs()]
    shares = [r.kpi("Patients at activation level 3 or 4").value for r in hubs]
    assert max(shares) - min(shares) > 0.05
