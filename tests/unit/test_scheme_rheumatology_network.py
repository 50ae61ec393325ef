"""Scheme 19, a coordinated network for specialised rheumatology: the arithmetic against hand-checked figures."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import registry
from ivanalysis.schemes import rheumatology_network as rh

pytestmark = pytest.mark.unit

FY = Period.financial_year("2017/18")


def test_menu_figure_12_cases_360000_pounds():
    # Menu ch. 19: a 15% reduction; 'estimated minimum 12 cases avoided amounts to £360,000' at £30,000 a case a
    # year. 12 is 15% of 80 progressions: 80 x 0.15 = 12 cases, 12 x 30,000 = £360,000.
    assert rh.avoided_cases(80, 0.15) == pytest.approx(12.0)
    assert rh.saving(rh.avoided_cases(80, 0.15), 30_000) == pytest.approx(360_000)
    # the top of the Menu's 15-20%: 80 x 0.20 = 16 cases, £480,000
    assert rh.saving(rh.avoided_cases(80, 0.20), 30_000) == pytest.approx(480_000)


def test_expected_progressions_apply_englands_rate():
    # 4,000 patients at risk outside a network in England, 80 started RRT: a rate of 2% a year.
    # A provider with 150 of them expects 150 x 0.02 = 3 progressions; England's total is the 80 observed.
    rate = 80 / 4_000
    assert rh.expected_progressions(150, rate) == pytest.approx(3.0)
    assert rh.expected_progressions(4_000, rate) == pytest.approx(80.0)
    assert rh.expected_progressions(0, rate) == 0.0


def test_network_cost_is_the_leads_time_for_the_patients_still_outside():
    # 48 hours a year at £100 an hour = £4,800 for a provider with all its patients outside a network; with 40 of
    # its 100 patients outside, 4,800 x 40 / 100 = £1,920; nothing where all are within one, or there are none
    assert rh.network_cost(100, 100, 48, 100) == pytest.approx(4_800)
    assert rh.network_cost(40, 100, 48, 100) == pytest.approx(1_920)
    assert rh.network_cost(0, 100, 48, 100) == 0.0
    assert rh.network_cost(0, 0, 48, 100) == 0.0


def test_the_chart_pools_the_three_years_ending_with_the_headline_year():
    # drug starts from June 2012 to 2017: the three financial years ending with 2017/18 are 2015/16 to 2017/18
    dates = pd.Series(pd.to_datetime(["2012-06-01", "2016-05-01", "2017-09-01"]))
    years = rh.pooled_years(FY, dates)
    assert [p.label for p in years] == ["2015/16", "2016/17", "2017/18"]
    assert rh.span_label(years) == "2015/16 to 2017/18"
    # data from May 2016 only: the years of the three it covers
    assert [p.label for p in rh.pooled_years(FY, dates.iloc[1:])] == ["2016/17", "2017/18"]
    assert rh.span_label(rh.pooled_years(FY, dates.iloc[2:])) == "2017/18"


def patient(pid, provider, status, diagnosed="2010-05-01", renal="Y", rrt=None, drug="none", start=None, reg="N"):
    return {"patient_id": pid, "provider_code": provider, "condition": "SLE", "diagnosis_date": pd.Timestamp(diagnosed),
            "network_status": status, "renal_involvement": renal, "rrt_date": pd.Timestamp(rrt) if rrt else pd.NaT,
            "high_cost_drug": drug, "hcd_start_date": pd.Timestamp(start) if start else pd.NaT, "hcd_registered": reg}


def test_at_risk_and_started_rrt():
    df = pd.DataFrame([
        patient("a", "X", "outside"),                                # at risk all year
        patient("b", "X", "outside", rrt="2017-09-01"),              # at risk, starts RRT in the year
        patient("c", "X", "outside", rrt="2016-09-01"),              # on RRT before the year: not at risk
        patient("d", "X", "outside", renal="N"),                     # no renal involvement
        patient("e", "X", "spoke", diagnosed="2018-03-31"),          # diagnosed on the year's last day: at risk
        patient("f", "X", "hub", diagnosed="2018-04-01"),            # diagnosed after the year: not known yet
    ])
    assert rh.known_by(df, FY).tolist() == [True, True, True, True, True, False]
    assert rh.at_risk(df, FY).tolist() == [True, True, False, False, True, False]
    assert rh.started_rrt(df, FY).tolist() == [False, True, False, False, False, False]
    assert rh.in_network(df["network_status"]).tolist() == [False] * 4 + [True, True]
    counts = rh.provider_counts(df, FY)
    # 5 known patients, 4 outside a network, 3 at risk (a, b, e) of whom 2 outside, 1 RRT start, outside
    assert counts.loc["X"].to_dict() == {"patients": 5, "outside": 4, "at_risk": 3, "at_risk_outside": 2, "rrt": 1,
                                         "rrt_outside": 1}


def small_registry() -> pd.DataFrame:
    """LON-P01: 10 renal patients outside a network, 2 start RRT in 2017/18. NW-P01: 10 at its hub, 1 starts RRT.

    England's rate outside a network is 2 / 10 = 20% a year; LON-P01 expects 10 x 0.2 = 2 progressions.
    Each provider also starts 4 patients on a high-cost drug over several months, 3 of them registered.
    """
    rows = []
    for i in range(10):
        rows.append(patient(f"L{i}", "LON-P01", "outside", rrt="2017-06-01" if i < 2 else None))
        rows.append(patient(f"N{i}", "NW-P01", "hub", rrt="2017-07-01" if i < 1 else None))
    for i in range(4):
        for p in ("L", "N"):
            row = patient(f"{p}D{i}", "LON-P01" if p == "L" else "NW-P01", "outside" if p == "L" else "hub",
                          renal="N", drug="rituximab", start=f"2017-{5 + i:02d}-15", reg="Y" if i < 3 else "N")
            rows.append(row)
    return pd.DataFrame(rows)


def test_englands_rate_each_providers_opportunity_and_registry():
    patients = small_registry()
    # outside a network: 10 renal patients at risk at LON-P01, 2 start RRT; NW-P01's patients are all at its hub
    rate = rh.england_rate(patients, FY)
    assert rate == pytest.approx(0.2)
    counts = rh.provider_counts(patients, FY)
    opportunity = rh.provider_opportunity(counts, rate, reduction=0.175, cost_per_case=30_000, hours=48,
                                          cost_per_hour=100)
    # LON-P01: 10 x 0.2 = 2 expected progressions, 2 x 0.175 = 0.35 cases avoided, x £30,000 = £10,500; all 14 of
    # its patients outside a network: the lead's 48 hours x £100 = £4,800; net £10,500 - £4,800 = £5,700
    assert opportunity.loc["LON-P01"].tolist() == pytest.approx([2.0, 0.35, 10_500, 4_800, 5_700])
    assert opportunity.loc["NW-P01"].tolist() == [0.0, 0.0, 0.0, 0.0, 0.0]  # all at its hub: nothing to do
    starts = rh.drug_starts(patients)
    assert len(starts) == 8 and starts["registered"].sum() == 6  # 4 starts each, the first 3 registered
    by_provider = rh.provider_registry(starts, pd.Index(["LON-P01", "NW-P01", "SW-P01"]))
    assert by_provider.to_dict("index") == {"LON-P01": {"starts": 4, "registered": 3},
                                            "NW-P01": {"starts": 4, "registered": 3},
                                            "SW-P01": {"starts": 0, "registered": 0}}


def test_within_network_rate_pools_hubs_and_spokes():
    by_status = pd.DataFrame({"Network status": list(rh.NETWORK.values()), "Started RRT": [1, 1, 8],
                              "Patient-years at risk": [10, 30, 100]})
    # hub 1 of 10 and spoke 1 of 30: 2 of 40 = 5% a year (outside the network is left out)
    assert rh.within_network_rate(by_status) == pytest.approx(0.05)


@pytest.fixture(scope="module")
def params():
    return load_scheme_params("rheumatology_network", rh.ASSUMPTIONS)


def test_analyse_counts_only_patients_outside_a_network(params):
    geo = load_geography()
    tables = {"rheumatology_patients": small_registry()}
    eng = registry.analyse_tables("rheumatology_network", tables, geo.get("ENG"), FY, geo, params_=params)
    # England: 2 expected progressions outside a network; low 15% = 0.3 cases = £9,000, high 20% = 0.4 = £12,000.
    # The network's cost: LON-P01's lead (all 14 of its patients outside), 96, 48 and 24 hours at £100 an hour =
    # £9,600 (low), £4,800 (moderate), £2,400 (high); NW-P01 has all its patients at its hub and pays nothing.
    # Net: low 9,000 - 9,600 = -£600 (the renal saving alone does not pay for it), high 12,000 - 2,400 = £9,600
    assert eng.quantities[0].values.low == pytest.approx(0.3)
    (rrt,) = eng.opportunity.components  # progression prevented: a future cost avoided, not cash released
    assert (rrt.kind, rrt.payer, rrt.in_totals) == ("cost_avoided", "nhse_specialised", False)
    assert (rrt.gross.low, rrt.gross.high) == pytest.approx((9_000, 12_000))
    assert rrt.implementation_cost.as_dict() == pytest.approx({"low": 9_600, "moderate": 4_800, "high": 2_400})
    assert (rrt.net.low, rrt.net.high) == pytest.approx((-600, 9_600))
    assert eng.opportunity_gbp.high == 0.0
    prov = eng.tables["providers"].frame.set_index("Provider")
    assert prov.loc["NW-P01", "Saving (moderate)"] == 0.0  # all its patients are in a network: nothing to gain
    # moderate 17.5%: 2 x 0.175 = 0.35 cases, x £30,000 = £10,500, less its lead's 48 hours at £100 = £5,700
    assert prov.loc["LON-P01", ["RRT avoided (moderate)", "Network cost (moderate)", "Saving (moderate)"]
                    ].tolist() == pytest.approx([10_500, 4_800, 5_700])
    assert eng.kpi("High-cost drug starts recorded in the registry").value == pytest.approx(6 / 8)
    assert eng.kpi("High-cost drug starts recorded in the registry").met is False  # 75% against 90%
    # the hubs add up to England
    lon = registry.analyse_tables("rheumatology_network", tables, geo.get("LON"), FY, geo, params_=params)
    nw = registry.analyse_tables("rheumatology_network", tables, geo.get("NW"), FY, geo, params_=params)
    net = lambda r: r.opportunity.components[0].net.moderate  # noqa: E731
    assert net(lon) + net(nw) == pytest.approx(net(eng))
    assert net(nw) == 0.0
    network = eng.tables["network"].frame.set_index("Network status")
    assert network.loc["Outside a network", "Share of those at risk starting RRT"] == pytest.approx(0.2)
    assert network.loc["All patients", "Patients"] == 28
    assert eng.charts["progression"].title.endswith("England, 2017/18")  # drug starts in 2017/18 only


def test_the_progression_chart_pools_three_years_not_every_year_in_the_data(params):
    # one more patient outside a network, renal, started on a drug in June 2012 and on RRT from January 2013: the
    # data now run from 2012/13, but the chart pools 2015/16 to 2017/18, when that patient was already on RRT.
    # Outside a network: L0-L9 at risk in each of the three years (30 patient-years), 2 RRT starts (2017/18): 2 / 30;
    # (pooling every year from 2012/13 would count the 2013 start as well: 3 starts)
    geo = load_geography()
    old = patient("OLD", "LON-P01", "outside", rrt="2013-01-01", drug="rituximab", start="2012-06-01", reg="Y")
    tables = {"rheumatology_patients": pd.concat([small_registry(), pd.DataFrame([old])], ignore_index=True)}
    eng = registry.analyse_tables("rheumatology_network", tables, geo.get("ENG"), FY, geo, params_=params)
    chart = eng.charts["progression"]
    assert chart.title == "Patients at risk starting RRT each year, England, 2015/16 to 2017/18 pooled"
    assert "(2015/16 to 2017/18 pooled)" in chart.finding
    outside = chart.frame.set_index("Network status").loc["Outside a network"]
    assert outside[["Started RRT", "Patient-years at risk"]].tolist() == [2, 30]
    assert outside["Share a year"] == pytest.approx(2 / 30)


def test_an_area_without_patients_is_a_data_error(params):
    geo = load_geography()
    with pytest.raises(DataError, match="no patients with lupus or vasculitis for South West"):
        registry.analyse_tables("rheumatology_network", {"rheumatology_patients": small_registry()}, geo.get("SW"),
                                FY, geo, params_=params)


def test_a_year_without_data_is_a_data_error(params):
    geo = load_geography()
    with pytest.raises(DataError, match="no high-cost drug starts in 2015/16"):
        registry.analyse_tables("rheumatology_network", {"rheumatology_patients": small_registry()}, geo.get("ENG"),
                                Period.financial_year("2015/16"), geo, params_=params)


def test_financial_years_cover_the_data():
    dates = pd.Series(pd.to_datetime(["2015-04-03", "2016-12-01", "2018-03-30"]))
    assert [p.label for p in Period.covering(dates)] == ["2015/16", "2016/17", "2017/18"]
