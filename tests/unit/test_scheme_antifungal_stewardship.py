"""Scheme 2, antifungal stewardship: each piece of the saving against hand-checked figures."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import antifungal_stewardship as af
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit
FY = Period.financial_year("2017/18")


def test_rate_benchmark_and_excess():
    # 300 DDDs over 10,000 occupied bed days = 30 per 1,000
    assert af.ddd_rate(300, 10_000) == pytest.approx(30.0)
    # the median of 10, 20, 30 and 40 is 25; the upper quartile (numpy's linear rule) 32.5
    assert af.benchmark_rate(pd.Series([10.0, 20.0, 30.0, 40.0]), 0.5) == pytest.approx(25.0)
    assert af.benchmark_rate(pd.Series([10.0, 20.0, 30.0, 40.0]), 0.75) == pytest.approx(32.5)
    # 600 DDDs over 10,000 bed days against 25 per 1,000: 600 - 250 = 350 DDDs above; a provider below: nothing
    assert af.excess_ddd(600, 10_000, 25) == pytest.approx(350.0)
    assert af.excess_ddd(200, 10_000, 25) == 0.0


def test_share_shortfall_moves_only_up_to_the_target():
    assert af.share_shortfall(60, 100, 0.75) == pytest.approx(15.0)  # 0.75 x 100 - 60
    assert af.share_shortfall(80, 100, 0.75) == 0.0  # already above the target
    assert af.share_shortfall(0, 0, 0.75) == 0.0  # nothing to move


def test_pharmacist_one_pa_a_week():
    # Menu ch. 2: a specialist pharmacist for 1 PA (4 hours) a week: 4 x 52 = 208 hours x £55 = £11,440 a year
    assert af.pharmacist_cost(55, 4) == pytest.approx(11_440)
    # a provider whose saving does not pay for the pharmacist counts as nothing, never as a loss
    assert af.net_saving(10_000, 11_440) == 0.0
    assert af.net_saving(50_000, 11_440) == pytest.approx(38_560)


# A: 10,000 bed days; fluconazole 200 oral (generic, £0.30 a DDD) and 200 intravenous (generic, £8), caspofungin
#    100 branded (£328): 500 DDDs, £34,460, 50 per 1,000 bed days.
# B: 20,000 bed days; fluconazole 300 oral generic, caspofungin 100 generic (£120): 400 DDDs, 20 per 1,000.
ROWS = [("A", "fluconazole", "oral", "generic", 200, 60.0),
        ("A", "fluconazole", "intravenous", "generic", 200, 1_600.0),
        ("A", "caspofungin", "intravenous", "branded", 100, 32_800.0),
        ("B", "fluconazole", "oral", "generic", 300, 90.0),
        ("B", "caspofungin", "intravenous", "generic", 100, 12_000.0)]


def issues(codes: dict[str, str] | None = None, months: int = 1) -> pd.DataFrame:
    codes = codes or {"A": "A", "B": "B"}
    frames = []
    for m in range(months):  # the same issues spread evenly over the months
        frames.append(pd.DataFrame([(codes[p], pd.Timestamp(2017, 4 + m, 1), d, r, t, ddd / months, cost / months)
                                    for p, d, r, t, ddd, cost in ROWS],
                                   columns=["provider_code", "month", "drug", "route", "product_type", "ddd",
                                            "cost_gbp"]))
    return pd.concat(frames, ignore_index=True)


def prices_of(df: pd.DataFrame) -> pd.DataFrame:
    prices = af.national_prices(df)
    prices["all"] = df.groupby(["drug", "route"])[["cost_gbp", "ddd"]].sum().pipe(lambda g: g["cost_gbp"] / g["ddd"])
    return prices


def test_provider_saving_by_part():
    df = issues()
    prices = prices_of(df)
    mix = af.provider_mix(df, prices, af.dual_route_drugs(df))
    # A: oral 200 and intravenous 200 of fluconazole (the one drug given both ways); one intravenous DDD moved to
    # oral saves £8 - £0.30 = £7.70. Generic-able: all 500 (fluconazole and caspofungin have generics), 400 generic;
    # a branded caspofungin DDD moved to generic saves £328 - £120 = £208.
    assert mix.loc["A", ["oral", "iv", "generic", "branded"]].tolist() == [200, 200, 400, 100]
    assert mix.loc["A", "iv_to_oral_value"] == pytest.approx(7.70)
    assert mix.loc["A", "generic_value"] == pytest.approx(208.0)
    opp = af.provider_opportunity(mix, pd.Series({"A": 10_000.0, "B": 20_000.0}), benchmark=35.0, oral_target=0.75,
                                  generic_target=0.90)
    # use: 500 - 35 x 10 = 150 DDDs at A's £34,460 / 500 = £68.92 a DDD = £10,338; 70% of A's DDDs are left
    assert opp.loc["A", "ddd_avoided"] == pytest.approx(150.0)
    assert opp.loc["A", "use"] == pytest.approx(10_338.0)
    # route: (0.75 x 400 - 200) x 0.7 = 70 DDDs x £7.70 = £539
    assert opp.loc["A", "to_oral"] == pytest.approx(70.0)
    assert opp.loc["A", "route"] == pytest.approx(539.0)
    # product: (0.9 x 500 - 400) x 0.7 = 35 DDDs x £208 = £7,280
    assert opp.loc["A", "to_generic"] == pytest.approx(35.0)
    assert opp.loc["A", "product"] == pytest.approx(7_280.0)
    assert opp.loc["A", "gross"] == pytest.approx(18_157.0)
    # B is below the benchmark, all oral where it can be and all generic: it saves nothing
    assert opp.loc["B", "gross"] == 0.0
    # the pharmacist: only at larger providers with a saving
    assert af.with_pharmacist(opp, 11_440, 300_000).loc["A", "net"] == pytest.approx(18_157.0)
    larger = af.with_pharmacist(opp, 11_440, 5_000)
    assert larger.loc["A", "net"] == pytest.approx(18_157.0 - 11_440)
    assert larger.loc["B", "pharmacist"] == 0.0  # no saving, so no stewardship post


def test_switch_prices_value_a_route_move_whatever_the_product():
    prices = af.switch_prices(issues())
    # intravenous fluconazole: £1,600 / 200 = £8 a DDD; oral: £150 / 500 = £0.30
    assert prices.loc[("fluconazole", "intravenous"), "all"] == pytest.approx(8.0)
    assert prices.loc[("fluconazole", "oral"), "all"] == pytest.approx(0.30)
    # intravenous caspofungin, branded and generic together: (£32,800 + £12,000) / 200 = £224 a DDD
    assert prices.loc[("caspofungin", "intravenous"), "all"] == pytest.approx(224.0)
    assert prices.loc[("caspofungin", "intravenous"), "branded"] == pytest.approx(328.0)


def test_provider_rates_are_taken_over_providers_with_bed_days():
    beds = pd.Series({"A": 10_000.0, "B": 20_000.0, "C": 5_000.0, "D": 0.0})
    rates = af.provider_rates(issues(), beds)
    # A: 500 DDDs over 10,000 = 50 per 1,000; B: 400 over 20,000 = 20; C issued nothing: 0; D has no bed days
    assert rates.to_dict() == pytest.approx({"A": 50.0, "B": 20.0, "C": 0.0})


def test_year_bed_days_sum_the_months_of_the_period():
    beds = pd.DataFrame({"provider_code": ["A", "A", "A"],
                         "month": pd.to_datetime(["2017-03-01", "2017-04-01", "2018-03-01"]),
                         "occupied_bed_days": [1_000, 2_000, 3_000]})
    assert af.year_bed_days(beds, FY).to_dict() == {"A": 5_000}  # March 2017 is in 2016/17


def test_drug_table_says_n_a_where_a_form_does_not_exist():
    df = issues()
    drugs = af.drug_table(df, prices_of(df)).set_index("Drug")
    assert drugs.loc["Fluconazole", "Oral share"] == pytest.approx(500 / 700)
    assert pd.isna(drugs.loc["Caspofungin", "Oral share"])  # intravenous only
    assert drugs.loc["Caspofungin", "Generic share"] == pytest.approx(0.5)
    assert af.drug_name(pd.Series(["liposomal amphotericin b"])).tolist() == ["Liposomal amphotericin B"]


# --- analyse -----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    geo = load_geography()
    a, b = geo.get("LON").providers[0], geo.get("NW").providers[0]
    df = issues({"A": a, "B": b}, months=2)
    beds = pd.DataFrame({"provider_code": [a, a, b, b],
                         "month": pd.to_datetime(["2017-04-01", "2017-05-01"] * 2),
                         "available_bed_days": [6_000, 6_000, 11_000, 11_000],
                         "occupied_bed_days": [5_000, 5_000, 10_000, 10_000]})
    params = load_scheme_params("antifungal_stewardship", required=af.ASSUMPTIONS)
    return geo, {"antifungal_issues": df, "bed_days": beds}, params


def test_analyse_hand_built_tables(small):
    geo, tables, params = small
    eng = registry.analyse_tables("antifungal_stewardship", tables, geo.england, FY, geo, params_=params)
    # moderate: the median of 50 and 20 is 35 per 1,000, oral 75%, generic 90%; A has 10,000 bed days (smaller than
    # 300,000: no pharmacist), so its saving is the £18,157 above; B saves nothing
    assert eng.opportunity_gbp.moderate == pytest.approx(18_157.0)
    lon = registry.analyse_tables("antifungal_stewardship", tables, geo.get("LON"), FY, geo, params_=params)
    nw = registry.analyse_tables("antifungal_stewardship", tables, geo.get("NW"), FY, geo, params_=params)
    assert lon.opportunity_gbp.moderate == pytest.approx(18_157.0)
    assert nw.opportunity_gbp.moderate == 0.0  # already better than every benchmark
    assert eng.kpi("DDDs per 1,000 occupied bed days").value == pytest.approx(900 / 30_000 * 1_000)
    assert eng.kpi("Oral to intravenous ratio (drugs given both ways)").value == pytest.approx(500 / 200)
    assert eng.kpi("Spend on antifungals").value == pytest.approx(34_460 + 12_090)
    assert set(eng.measure.funnel.data["unit"]) == {geo.get("LON").providers[0], geo.get("NW").providers[0]}
    assert eng.scenario_table.loc["Net saving", "moderate"] == pytest.approx(18_157.0)


def test_analyse_an_area_without_issues_is_a_data_error(small):
    geo, tables, params = small
    with pytest.raises(DataError, match="no antifungal issues for South West"):
        registry.analyse_tables("antifungal_stewardship", tables, geo.get("SW"), FY, geo, params_=params)


def test_analyse_a_year_without_issues_is_a_data_error(small):
    geo, tables, params = small
    with pytest.raises(DataError, match="no antifungal issues in 2016/17"):
        registry.analyse_tables("antifungal_stewardship", tables, geo.england, Period.financial_year("2016/17"), geo,
                                params_=params)
