"""Scheme 17, the spinal surgery pathway: the Menu's savings calculator, conversion and waits, on hand-checked
figures."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import registry
from ivanalysis.schemes import spinal_pathway as sp

pytestmark = pytest.mark.unit

COST = 176_425.58  # Menu ch. 17: the estimated yearly cost of the pathway
FY = Period.financial_year("2017/18")


# --- the savings calculator -------------------------------------------------------------------------------------------
def test_the_menus_worked_example_500000_people_save_half_a_million():
    # Menu ch. 17: 'a service serving a notional catchment of 500,000 people would save £0.5M per year'
    assert sp.gross_saving(500_000, 1.0) == pytest.approx(500_000)


def test_england_saves_about_50m_net_of_15_networks():
    # 15 networks x £176,425.58 = £2,646,383.70; England's 56,010,000 people x £0.89 = £49,848,900;
    # net £47,202,516.30 (the Menu: 'approximately £50m' nationally, before the pathway's cost)
    england = 56_010_000
    assert sp.network_cost(england, england, 15, COST) == pytest.approx(2_646_383.70)
    assert sp.net_saving(england, england, 0.89, 15, COST) == pytest.approx(47_202_516.30)


def test_a_population_carries_its_share_of_the_networks_cost():
    # a fifth of the population carries 3 of the 15 networks: 3 x £176,425.58 = £529,276.74
    assert sp.network_cost(20, 100, 15, COST) == pytest.approx(529_276.74)
    # 500,000 people of 56,010,000 at £1 a head: £500,000 - £2,646,383.70 x 500,000 / 56,010,000 = £476,375.79
    assert sp.net_saving(500_000, 56_010_000, 1.0, 15, COST) == pytest.approx(476_375.79, abs=0.01)


def test_no_england_population_is_refused():
    with pytest.raises(DataError, match="England's population"):
        sp.network_cost(10, 0, 15, COST)


# --- conversion -------------------------------------------------------------------------------------------------------
def test_redirected_attendances_reach_the_benchmark_with_the_same_operations():
    # 1,000 assessments, 200 listed (20%); at a 25% benchmark the 200 listed need 200 / 0.25 = 800 assessments,
    # so 200 first attendances go to the triage practitioners instead
    assert sp.redirected_attendances(1_000, 200, 0.25) == pytest.approx(200.0)
    # a centre already at 30% redirects nothing (never netted off against others)
    assert sp.redirected_attendances(1_000, 300, 0.25) == 0.0
    assert sp.redirected_attendances(1_000, 200, 0.0) == 0.0


def test_benchmark_is_a_centile_of_centres_each_counted_once():
    rates = pd.Series([0.10, 0.20, 0.30, 0.40])
    # linear interpolation: position 0.75 x 3 = 2.25, between 0.30 and 0.40: 0.325
    assert sp.benchmark_conversion(rates, 0.75) == pytest.approx(0.325)
    assert sp.benchmark_conversion(rates, 0.50) == pytest.approx(0.25)
    with pytest.raises(DataError, match="no spinal centre"):
        sp.benchmark_conversion(pd.Series([], dtype=float), 0.75)


# --- a small extract --------------------------------------------------------------------------------------------------
def pathways(rows: list[tuple]) -> pd.DataFrame:
    cols = ["provider_code", "referral_date", "first_attendance_date", "decision_date", "outcome", "surgery_date"]
    df = pd.DataFrame(rows, columns=cols)
    for c in sp.STEPS:
        df[c] = pd.to_datetime(df[c])
    df.insert(0, "referral_id", [f"R{i}" for i in range(len(df))])
    df["procedure_group"] = df["surgery_date"].notna().map({True: "lumbar_decompression", False: None})
    return df


def centre(provider: str, assessed: int, listed: int) -> list[tuple]:
    """`assessed` pathways decided in 2017/18 over six months, `listed` of them operated 70 days after the decision.

    Each is referred on day d, seen on d + 28, decided on d + 67 and (if listed) operated on d + 137.
    """
    out = []
    for i in range(assessed):
        d = pd.Timestamp("2017-05-01") + pd.Timedelta(days=30 * (i % 6))
        step = [(d + pd.Timedelta(days=k)).date().isoformat() for k in (0, 28, 67, 137)]
        out.append((provider, step[0], step[1], step[2], "listed_for_surgery" if i < listed else "physiotherapy",
                    step[3] if i < listed else None))
    return out


def test_each_step_counts_in_the_year_it_happened():
    df = pathways([
        # referred in 2016/17, seen, decided and operated in 2017/18: only the later steps count in 2017/18
        ("LON-P01", "2017-02-01", "2017-04-12", "2017-04-12", "listed_for_surgery", "2017-06-07"),
        # referred and seen in 2017/18, not yet decided
        ("LON-P01", "2017-06-01", "2017-07-13", None, None, None),
        # all in 2016/17: counts nowhere in 2017/18
        ("LON-P01", "2016-05-01", "2016-06-01", "2016-06-01", "discharged", None),
    ])
    a = sp.centre_activity(df, FY).loc["LON-P01"]
    assert (a["referrals"], a["first_attendances"], a["decisions"], a["listed"], a["operations"]) == (1, 2, 1, 1, 1)
    assert a["conversion"] == 1.0
    # waits of the steps in the year: 70 and 42 days to the first attendance (median 56 days = 8 weeks);
    # 56 days from decision to operation = 8 weeks; referral to operation 126 days = 18 weeks, within 18 weeks
    assert a["weeks_to_first"] == pytest.approx(8.0)
    assert a["weeks_to_surgery"] == pytest.approx(8.0)
    assert a["operations_18w"] == 1


def test_the_extract_starts_where_the_earliest_finished_pathway_ends():
    df = pathways([
        ("LON-P01", "2014-11-03", "2015-01-05", "2015-01-05", "listed_for_surgery", "2015-04-20"),  # open in April
        ("LON-P01", "2015-04-02", "2015-05-05", "2015-05-05", "discharged", None),
        ("LON-P01", "2016-01-02", None, None, None, None),
    ])
    assert sp.extract_start(df) == pd.Timestamp("2015-04-01")


def test_catchment_share_splits_each_hub_by_referrals():
    activity = pd.DataFrame({"referrals": [300, 100, 50]}, index=["LON-P01", "LON-P02", "NW-P01"])
    share = sp.catchment_share(activity, load_geography())
    assert share.tolist() == pytest.approx([0.75, 0.25, 1.0])


def test_the_calculator_for_a_fifth_of_england_in_each_scenario():
    # a fifth of England: 3 of the 15 networks, 3 x £176,425.58 = £529,276.74 in every scenario;
    # 11,202,000 people x £0.50 / £0.89 / £1.00 = £5,601,000 / £9,969,780 / £11,202,000 gross
    a = load_scheme_params("spinal_pathway", sp.ASSUMPTIONS).assumptions
    c = sp.savings_calculator(11_202_000, 56_010_000, a)
    assert c.networks.as_dict() == pytest.approx({"low": 3.0, "moderate": 3.0, "high": 3.0})
    assert c.cost.moderate == pytest.approx(529_276.74)
    assert c.gross.as_dict() == pytest.approx({"low": 5_601_000, "moderate": 9_969_780, "high": 11_202_000})
    assert c.net.moderate == pytest.approx(9_969_780 - 529_276.74)


def test_the_page_states_both_readings_of_the_menus_pathway_cost():
    # The Menu gives '£176,425.58' a year without saying per network or per catchment. A fifth of England
    # (11,202,000 people): as networks, 3 of 15 x £176,425.58 = £529,276.74 (shown £529,000); per 500,000 people,
    # 11,202,000 / 500,000 = 22.404 catchments x £176,425.58 = £3,952,638.69 (shown £4.0 million, to 3 figures £3.95m)
    a = load_scheme_params("spinal_pathway", sp.ASSUMPTIONS).assumptions
    text = sp.cost_reading(11_202_000, 56_010_000, a)
    assert "does not say whether that is per network or per catchment" in text
    assert "share is £529,000 a year" in text
    # and the net saving £3,952,638.69 - £529,276.74 = £3,423,361.95 lower (shown £3.4 million)
    assert "per 500,000 people it would be £4 million, and the net saving £3.4 million lower" in text


def test_redirected_at_each_centre_below_the_benchmark_only():
    # at 25%: 1,000 assessments with 200 listed need 800, so 200 are redirected; 300 listed of 1,000 need none
    local = pd.DataFrame({"decisions": [1_000, 1_000], "listed": [200, 300]}, index=["LON-P01", "LON-P02"])
    assert sp.redirected_at_centres(local, 0.25).tolist() == pytest.approx([200.0, 0.0])


def test_centre_savings_share_their_hubs_net_saving_by_referrals():
    # London's net saving (moderate): 8,910,000 x £0.89 - 15 x £176,425.58 x 8,910,000 / 56,010,000
    # = £7,929,900 - £420,983.37 = £7,508,916.63; LON-P01 has 3 of London's 4 referrals, so 3/4 of it
    geo = load_geography()
    a = load_scheme_params("spinal_pathway", sp.ASSUMPTIONS).assumptions
    activity = pd.DataFrame({"referrals": [300, 100, 50]}, index=["LON-P01", "LON-P02", "NW-P01"])
    saving = sp.centre_savings(activity, pd.Index(["LON-P01", "LON-P02"]), geo, a)
    assert saving.tolist() == pytest.approx([0.75 * 7_508_916.63, 0.25 * 7_508_916.63], abs=0.01)


@pytest.fixture
def small_extract() -> dict[str, pd.DataFrame]:
    # LON-P01: 100 assessed, 20 listed (20%); LON-P02: 100 assessed, 40 listed (40%); NW-P01: 100, 30 (30%)
    return {"spinal_surgery": pathways(centre("LON-P01", 100, 20) + centre("LON-P02", 100, 40)
                                       + centre("NW-P01", 100, 30))}


def test_analyse_a_hub_from_a_small_extract(small_extract):
    geo = load_geography()
    params = load_scheme_params("spinal_pathway", sp.ASSUMPTIONS)
    r = registry.analyse_tables("spinal_pathway", small_extract, geo.get("LON"), FY, geo, params_=params)
    # London: 8,910,000 people x £0.89 - 15 x £176,425.58 x 8,910,000 / 56,010,000 = £7,929,900 - £420,983.37
    (pathway,) = r.opportunity.components  # the calculator: mostly CCGs' saving, a population formula
    assert (pathway.kind, pathway.payer, pathway.in_totals) == ("cash_releasing", "icb_ccg", False)
    assert "population formula" in pathway.why_not_in_totals
    assert "population formula, no activity data" in pathway.label  # labelled so wherever the component is shown
    assert any("no activity data enter it" in c for c in r.caveats)
    assert any("per network or per catchment" in c for c in r.caveats)
    assert "population formula" in r.tables["providers"].caption
    assert pathway.gross.moderate == pytest.approx(7_929_900)
    assert pathway.implementation_cost.moderate == pytest.approx(420_983.37, abs=0.01)
    assert pathway.net.moderate == pytest.approx(7_508_916.63, abs=0.01)
    assert pathway.net.low < pathway.net.moderate < pathway.net.high
    assert r.opportunity_gbp.moderate == 0.0
    # benchmark: upper quartile of 20%, 30%, 40% = 35%; LON-P01 needs 20 / 0.35 = 57.1 assessments, so 42.9 of
    # its 100 are redirected; LON-P02 (40%) is already above it and redirects none
    assert r.kpi("Conversion from outpatient assessment to surgery").target == pytest.approx(0.35)
    prov = r.tables["providers"].frame.set_index("Provider")
    assert prov.loc["LON-P01", "Attendances redirected (moderate)"] == pytest.approx(100 - 20 / 0.35)
    assert prov.loc["LON-P02", "Attendances redirected (moderate)"] == 0.0
    # the saving is shared by referrals (equal here) and adds up to the headline
    assert prov["Saving (moderate)"].tolist() == pytest.approx([pathway.net.moderate / 2] * 2)
    assert r.kpi("Elective spinal operations").value == 60
    assert r.kpi("Conversion from outpatient assessment to surgery").value == pytest.approx(0.30)
    assert r.kpi("Median weeks from decision to operation").value == pytest.approx(10.0)  # 70 days
    assert r.kpi("Operations within 18 weeks of referral").value == 0.0  # 137 days = 19.6 weeks


def test_hubs_add_up_to_england_in_a_small_extract(small_extract):
    geo = load_geography()
    params = load_scheme_params("spinal_pathway", sp.ASSUMPTIONS)
    england = registry.analyse_tables("spinal_pathway", small_extract, geo.england, FY, geo, params_=params)
    hubs = [registry.analyse_tables("spinal_pathway", small_extract, geo.get(h), FY, geo, params_=params)
            for h in ("LON", "NW")]
    # the calculator covers every hub; the providers' table adds up where the hub has a centre in the extract
    assert england.opportunity.components[0].net.moderate == pytest.approx(sum(
        sp.net_saving(h.population, geo.england.population, 0.89, 15, COST) for h in geo.hubs()))
    assert england.quantities[0].values.moderate == pytest.approx(sum(h.quantities[0].values.moderate for h in hubs))


def test_an_area_without_a_spinal_centre_in_the_data_is_a_data_error(small_extract):
    geo = load_geography()
    params = load_scheme_params("spinal_pathway", sp.ASSUMPTIONS)
    with pytest.raises(DataError, match="South West"):
        registry.analyse_tables("spinal_pathway", small_extract, geo.get("SW"), FY, geo, params_=params)


def test_a_period_without_decisions_is_a_data_error(small_extract):
    geo = load_geography()
    params = load_scheme_params("spinal_pathway", sp.ASSUMPTIONS)
    with pytest.raises(DataError, match="no surgical decisions in 2015/16"):
        registry.analyse_tables("spinal_pathway", small_extract, geo.get("LON"), Period.financial_year("2015/16"),
                                geo, params_=params)
