"""Scheme 2, antifungal stewardship: each piece of the saving against hand-checked figures."""
from __future__ import annotations

import numpy as np
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
HAEM, OTHER = "haematology_transplant", "other"


def test_rate_benchmark_and_excess():
    # 300 DDDs over 10,000 occupied bed days = 30 per 1,000
    assert af.ddd_rate(300, 10_000) == pytest.approx(30.0)
    # the median of 10, 20, 30 and 40 is 25; the best three quarters' level (numpy's linear rule) 32.5
    assert af.benchmark_rate(pd.Series([10.0, 20.0, 30.0, 40.0]), 0.5) == pytest.approx(25.0)
    assert af.benchmark_rate(pd.Series([10.0, 20.0, 30.0, 40.0]), 0.75) == pytest.approx(32.5)
    # 60 per 1,000 over 10,000 bed days against 25 per 1,000: (60 - 25) x 10 = 350 DDDs above; below it: nothing
    assert af.excess_ddd(60, 10_000, 25) == pytest.approx(350.0)
    assert af.excess_ddd(20, 10_000, 25) == 0.0


def test_share_benchmark_is_the_mirror_and_never_above_the_ceiling():
    shares = pd.Series([0.5, 0.6, 0.7, 0.8])
    # higher is better: the best half reach the median, 0.65; the best quarter 0.725 (quantile 0.75, linear rule)
    assert af.benchmark_share(shares, 0.5, 0.9) == pytest.approx(0.65)
    assert af.benchmark_share(shares, 0.25, 0.9) == pytest.approx(0.725)
    assert af.benchmark_share(shares, 0.25, 0.70) == pytest.approx(0.70)  # the ceiling caps it


def test_share_shortfall_moves_only_up_to_the_benchmark():
    assert af.share_shortfall(0.6, 100, 0.75) == pytest.approx(15.0)  # (0.75 - 0.6) x 100
    assert af.share_shortfall(0.8, 100, 0.75) == 0.0  # already above the benchmark
    assert af.share_shortfall(0.0, 0, 0.75) == 0.0  # nothing to move


def test_pharmacist_one_pa_a_week():
    # Menu ch. 2: a specialist pharmacist for 1 PA (4 hours) a week: 4 x 52 = 208 hours x £55 = £11,440 a year
    assert af.pharmacist_cost(55, 4) == pytest.approx(11_440)
    # a provider whose saving does not pay for the pharmacist counts as nothing, never as a loss
    assert af.net_saving(10_000, 11_440) == 0.0
    assert af.net_saving(50_000, 11_440) == pytest.approx(38_560)


# --- beyond chance -------------------------------------------------------------------------------------------------
def monthly(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unit", "month", "numerator", "denominator"])


def test_dispersion_is_pearsons_statistic_over_its_degrees_of_freedom():
    # A: 10 then 30, B: 20 then 20, each over 100 a month. England: 30 / 200 = 0.15 in m1, 50 / 200 = 0.25 in m2,
    # 0.2 over both: month factors 0.75 and 1.25, so each unit's exposure is 75 then 125; both units' level is
    # 40 / 200 = 0.2, expected 15 then 25. A: (10 - 15)^2 / 15 + (30 - 25)^2 / 25 = 5/3 + 1; B the same.
    # 4 rows - 2 units - (2 months - 1) = 1 degree of freedom: phi = 2 x (5/3 + 1) = 16/3
    m = monthly([("A", "m1", 10, 100), ("A", "m2", 30, 100), ("B", "m1", 20, 100), ("B", "m2", 20, 100)])
    assert af.dispersion(m) == pytest.approx(16 / 3)
    # England's own month-to-month pattern is not chance: units that follow it exactly have phi = 0
    same = monthly([("A", "m1", 10, 100), ("A", "m2", 30, 100), ("B", "m1", 20, 200), ("B", "m2", 60, 200)])
    assert af.dispersion(same) == pytest.approx(0.0)
    # one month each: too few to tell, so Poisson
    assert af.dispersion(monthly([("A", "m1", 10, 100), ("B", "m1", 20, 100)])) == 1.0


def test_beyond_chance_shrinks_by_what_chance_explains():
    # one month each (phi = 1). A, B, C: 100, 200, 300 over 1,000; pooled 0.2, chance variance 0.2 / 1,000 = 0.0002
    # each (w = 5,000). Q = 5,000 x (0.1^2 + 0 + 0.1^2) = 100, far beyond chance on 2 degrees of freedom;
    # sigma2 = (100 - 2) / (15,000 - 5,000) = 0.0098, B = 0.0098 / (0.0098 + 0.0002) = 0.98:
    # A 0.2 - 0.98 x 0.1 = 0.102, B 0.2, C 0.298
    differ = af.beyond_chance(monthly([("A", "m1", 100, 1000), ("B", "m1", 200, 1000), ("C", "m1", 300, 1000)]))
    assert differ["shrunk"].tolist() == pytest.approx([0.102, 0.2, 0.298])
    # 19, 21, 20 over 1,000: Q = 50,000 x 2 x 0.001^2 = 0.1, no more than chance: every unit at the pooled 0.02
    alike = af.beyond_chance(monthly([("A", "m1", 19, 1000), ("B", "m1", 21, 1000), ("C", "m1", 20, 1000)]))
    assert alike["shrunk"].tolist() == pytest.approx([0.02] * 3)
    assert alike["rate"].tolist() == pytest.approx([0.019, 0.021, 0.020])
    # months that do not vary at all: no chance to take off
    exact = af.beyond_chance(monthly([("A", "m1", 10, 100), ("A", "m2", 10, 100), ("B", "m1", 30, 100),
                                      ("B", "m2", 30, 100)]))
    assert exact["shrunk"].tolist() == pytest.approx([0.1, 0.3])


# --- the hand-built tables -----------------------------------------------------------------------------------------
# A, other wards, 10,000 bed days: fluconazole 200 oral (generic, £0.30 a DDD) and 200 intravenous (generic, £8),
#    caspofungin 100 branded (£328): 500 DDDs, £34,460, 50 per 1,000 bed days.
# A, haematology and transplant wards, 200 bed days: micafungin 100 (branded, no generic, £340): 500 per 1,000.
# B, other wards, 20,000 bed days: fluconazole 300 oral generic, caspofungin 100 generic (£120): 20 per 1,000.
# B, haematology and transplant wards, 200 bed days: micafungin 40: 200 per 1,000.
ROWS = [("A", OTHER, "fluconazole", "oral", "generic", 200, 60.0),
        ("A", OTHER, "fluconazole", "intravenous", "generic", 200, 1_600.0),
        ("A", OTHER, "caspofungin", "intravenous", "branded", 100, 32_800.0),
        ("A", HAEM, "micafungin", "intravenous", "branded", 100, 34_000.0),
        ("B", OTHER, "fluconazole", "oral", "generic", 300, 90.0),
        ("B", OTHER, "caspofungin", "intravenous", "generic", 100, 12_000.0),
        ("B", HAEM, "micafungin", "intravenous", "branded", 40, 13_600.0)]
BED_DAYS = {"A": (10_200, 200), "B": (20_200, 200)}  # occupied, of which haematology and transplant, in the year


def issues(codes: dict[str, str] | None = None, months: int = 1) -> pd.DataFrame:
    codes = codes or {"A": "A", "B": "B"}
    frames = []
    for m in range(months):  # the same issues spread evenly over the months
        frames.append(pd.DataFrame([(codes[p], pd.Timestamp(2017, 4 + m, 1), w, d, r, t, ddd / months, cost / months)
                                    for p, w, d, r, t, ddd, cost in ROWS],
                                   columns=["provider_code", "month", "specialty", "drug", "route", "product_type",
                                            "ddd", "cost_gbp"]))
    return pd.concat(frames, ignore_index=True)


def beds(codes: dict[str, str] | None = None, months: int = 1) -> pd.DataFrame:
    codes = codes or {"A": "A", "B": "B"}
    return pd.DataFrame([(codes[p], pd.Timestamp(2017, 4 + m, 1), int(occupied / months) + 500, occupied / months,
                          haem / months) for m in range(months) for p, (occupied, haem) in BED_DAYS.items()],
                        columns=["provider_code", "month", "available_bed_days", "occupied_bed_days",
                                 "haematology_transplant_bed_days"])


def test_switch_prices_value_a_route_move_whatever_the_product():
    prices = af.switch_prices(issues())
    # intravenous fluconazole: £1,600 / 200 = £8 a DDD; oral: £150 / 500 = £0.30
    assert prices.loc[("fluconazole", "intravenous"), "all"] == pytest.approx(8.0)
    assert prices.loc[("fluconazole", "oral"), "all"] == pytest.approx(0.30)
    # intravenous caspofungin, branded and generic together: (£32,800 + £12,000) / 200 = £224 a DDD
    assert prices.loc[("caspofungin", "intravenous"), "all"] == pytest.approx(224.0)
    assert prices.loc[("caspofungin", "intravenous"), "branded"] == pytest.approx(328.0)


def test_ward_months_split_bed_days_and_issues_by_kind_of_ward():
    df = issues()
    prices = af.switch_prices(df)
    months = af.ward_months(df, beds(), prices, af.dual_route_drugs(df))
    a_other = months.loc[("A", pd.Timestamp(2017, 4, 1), OTHER)]
    a_haem = months.loc[("A", pd.Timestamp(2017, 4, 1), HAEM)]
    # other wards' bed days are the occupied less the units': 10,200 - 200
    assert (a_other["bed_days"], a_haem["bed_days"]) == (10_000, 200)
    # fluconazole is the one drug given both ways: 200 oral and 200 intravenous at A, each intravenous DDD moved to
    # oral saving £8 - £0.30 = £7.70; generic-able: fluconazole and caspofungin, 400 generic and 100 branded, a
    # branded caspofungin DDD moved to generic saving £328 - £120 = £208
    assert a_other[["ddd", "oral", "iv", "generic", "branded"]].tolist() == [500, 200, 200, 400, 100]
    assert a_other["iv_value"] == pytest.approx(200 * 7.70)
    assert a_other["generic_value"] == pytest.approx(100 * 208.0)
    assert a_haem[["ddd", "spend", "generic", "branded"]].tolist() == [100, 34_000, 0, 0]  # micafungin: no generic


def test_a_provider_without_issues_on_a_ward_with_bed_days_is_at_zero():
    df = issues()[lambda d: d["specialty"] == OTHER]
    months = af.ward_months(df, beds(), af.switch_prices(df), af.dual_route_drugs(df))
    assert months.loc[("B", pd.Timestamp(2017, 4, 1), HAEM), "ddd"] == 0.0
    assert months.loc[("B", pd.Timestamp(2017, 4, 1), HAEM), "bed_days"] == 200


def opportunity_of_the_small_tables() -> pd.DataFrame:
    df = issues(months=2)  # two identical months: nothing varies by chance, so nothing is shrunk
    months = af.ward_months(df, beds(months=2), af.switch_prices(df), af.dual_route_drugs(df))
    shrunk = af.shrunk_figures(months)
    params = load_scheme_params("antifungal_stewardship", required=af.ASSUMPTIONS)
    return af.provider_opportunity(af.provider_figures(months, shrunk), af.benchmarks(shrunk, params, "moderate"))


def test_benchmarks_are_within_each_kind_of_ward():
    df = issues(months=2)
    months = af.ward_months(df, beds(months=2), af.switch_prices(df), af.dual_route_drugs(df))
    shrunk = af.shrunk_figures(months)
    params = load_scheme_params("antifungal_stewardship", required=af.ASSUMPTIONS)
    bench = af.benchmarks(shrunk, params, "moderate")
    # other wards: A 50, B 20 per 1,000: median 35. Haematology and transplant: A 500, B 200: median 350.
    assert bench[f"rate {OTHER}"] == pytest.approx(35.0)
    assert bench[f"rate {HAEM}"] == pytest.approx(350.0)
    # oral share of fluconazole on other wards: A 0.5, B 1.0, median 0.75, at the 0.75 ceiling; none given both
    # ways on the units. Generic share: A 400 / 500 = 0.8, B 1.0: median 0.9, at the 0.9 ceiling
    assert bench[f"oral {OTHER}"] == pytest.approx(0.75)
    assert np.isnan(bench[f"oral {HAEM}"])
    assert bench["generic"] == pytest.approx(0.90)


def test_provider_saving_by_part_and_the_prompt_for_review():
    opp = opportunity_of_the_small_tables()
    # use on other wards: (50 - 35) x 10 = 150 DDDs at A's £34,460 / 500 = £68.92 a DDD = £10,338; 70% of A's other
    # wards' DDDs are left
    assert opp.loc["A", "ddd_avoided"] == pytest.approx(150.0)
    assert opp.loc["A", "use"] == pytest.approx(10_338.0)
    # route: (0.75 - 0.5) x 400 x 0.7 = 70 DDDs x £7.70 = £539
    assert opp.loc["A", "to_oral"] == pytest.approx(70.0)
    assert opp.loc["A", "route"] == pytest.approx(539.0)
    # product, for the whole provider: (0.9 - 0.8) x 500 = 50 DDDs, of which 1 - 150 / 600 = 75% are left once other
    # wards' use falls: 37.5 DDDs x £208 = £7,800
    assert opp.loc["A", "to_generic"] == pytest.approx(37.5)
    assert opp.loc["A", "product"] == pytest.approx(7_800.0)
    assert opp.loc["A", "gross"] == pytest.approx(10_338 + 539 + 7_800)
    # beside it, the units: (500 - 350) x 0.2 = 30 DDDs of micafungin at £340 = £10,200, a prompt for review
    assert opp.loc["A", "review_ddd_avoided"] == pytest.approx(30.0)
    assert opp.loc["A", "review"] == pytest.approx(10_200.0)
    # B is below every benchmark, all oral where it can be and all generic: it saves nothing
    assert opp.loc["B", ["gross", "review"]].tolist() == [0.0, 0.0]
    # the pharmacist: only at larger providers with a saving
    assert af.with_pharmacist(opp, 11_440, 300_000).loc["A", "net"] == pytest.approx(18_677.0)
    larger = af.with_pharmacist(opp, 11_440, 5_000)
    assert larger.loc["A", "net"] == pytest.approx(18_677.0 - 11_440)
    assert larger.loc["B", "pharmacist"] == 0.0  # no saving, so no stewardship post


def test_drug_table_says_n_a_where_a_form_does_not_exist():
    df = issues()
    drugs = af.drug_table(df, af.switch_prices(df)).set_index("Drug")
    assert drugs.loc["Fluconazole", "Oral share"] == pytest.approx(500 / 700)
    assert pd.isna(drugs.loc["Caspofungin", "Oral share"])  # intravenous only
    assert drugs.loc["Caspofungin", "Generic share"] == pytest.approx(0.5)
    assert pd.isna(drugs.loc["Micafungin", "Generic share"])  # no generic anywhere
    assert af.drug_name(pd.Series(["liposomal amphotericin b"])).tolist() == ["Liposomal amphotericin B"]


# --- analyse -----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    geo = load_geography()
    codes = {"A": geo.get("LON").providers[0], "B": geo.get("NW").providers[0]}
    params = load_scheme_params("antifungal_stewardship", required=af.ASSUMPTIONS)
    return geo, {"antifungal_issues": issues(codes, months=2), "bed_days": beds(codes, months=2)}, params


def test_analyse_hand_built_tables(small):
    geo, tables, params = small
    eng = registry.analyse_tables("antifungal_stewardship", tables, geo.england, FY, geo, params_=params)
    # moderate: A (10,200 bed days, smaller than 300,000: no pharmacist) saves the £18,677 above; B nothing
    saving, review = eng.opportunity.components
    assert eng.opportunity_gbp.moderate == pytest.approx(18_677.0)
    assert (saving.in_totals, review.in_totals) == (True, False)
    assert review.gross.moderate == pytest.approx(10_200.0)
    assert "prompt for review" in review.why_not_in_totals
    lon = registry.analyse_tables("antifungal_stewardship", tables, geo.get("LON"), FY, geo, params_=params)
    nw = registry.analyse_tables("antifungal_stewardship", tables, geo.get("NW"), FY, geo, params_=params)
    assert lon.opportunity_gbp.moderate == pytest.approx(18_677.0)
    assert nw.opportunity_gbp.moderate == 0.0  # already better than every benchmark
    assert nw.opportunity.components[1].gross.moderate == 0.0
    # every ward: 1,040 DDDs over 30,400 bed days; other wards 900 over 30,000; the units 140 over 400
    assert eng.kpi("DDDs per 1,000 occupied bed days").value == pytest.approx(1_040 / 30_400 * 1_000)
    assert eng.kpi("DDDs per 1,000 occupied bed days, other wards").value == pytest.approx(30.0)
    assert eng.kpi("DDDs per 1,000 occupied bed days, other wards").target == pytest.approx(35.0)
    assert eng.kpi("DDDs per 1,000 occupied bed days, haematology and transplant wards").value == \
        pytest.approx(350.0)
    assert eng.kpi("Oral to intravenous ratio (drugs given both ways)").value == pytest.approx(500 / 200)
    assert eng.kpi("Spend on antifungals").value == pytest.approx(34_460 + 34_000 + 12_090 + 13_600)
    assert nw.kpi("DDDs per 1,000 occupied bed days, haematology and transplant wards").value == \
        pytest.approx(200.0)
    assert set(eng.measure.funnel.data["unit"]) == set(tables["bed_days"]["provider_code"])
    assert eng.scenario_table.loc["Net saving", "moderate"] == pytest.approx(18_677.0)
    parts = eng.tables["parts"].frame.set_index("Part")["Saving"]
    assert parts.sum() == pytest.approx(18_677.0 + 10_200.0)


def test_analyse_without_haematology_and_transplant_wards(small):
    # no provider has such wards: their benchmark and prompt for review are empty, not an error
    geo, tables, params = small
    plain = {"antifungal_issues": tables["antifungal_issues"][lambda d: d["specialty"] == OTHER],
             "bed_days": tables["bed_days"].assign(haematology_transplant_bed_days=0)}
    eng = registry.analyse_tables("antifungal_stewardship", plain, geo.england, FY, geo, params_=params)
    assert eng.opportunity.components[1].gross.moderate == 0.0
    assert eng.kpi("DDDs per 1,000 occupied bed days, haematology and transplant wards").value is None


def test_analyse_an_area_without_issues_is_a_data_error(small):
    geo, tables, params = small
    with pytest.raises(DataError, match="no antifungal issues for South West"):
        registry.analyse_tables("antifungal_stewardship", tables, geo.get("SW"), FY, geo, params_=params)


def test_analyse_a_year_without_issues_is_a_data_error(small):
    geo, tables, params = small
    with pytest.raises(DataError, match="no antifungal issues in 2016/17"):
        registry.analyse_tables("antifungal_stewardship", tables, geo.england, Period.financial_year("2016/17"), geo,
                                params_=params)
