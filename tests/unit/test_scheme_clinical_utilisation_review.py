"""Scheme 14, clinical utilisation review (CUR): the arithmetic against hand-checked figures."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import clinical_utilisation_review as cur
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit


def spell(provider: str, spell_id: str, admitted: str, reasons: list[str]) -> list[dict]:
    """One row per day of a spell; `reasons[i]` is day i+1's reason ('none' when the day meets the criteria)."""
    start = pd.Timestamp(admitted)
    return [{"review_id": f"{spell_id}-{i + 1}", "provider_code": provider, "spell_id": spell_id,
             "review_date": start + pd.Timedelta(days=i), "day_of_stay": i + 1,
             "meets_criteria": "yes" if r == "none" else "no", "reason": r, "spell_los_days": len(reasons)}
            for i, r in enumerate(reasons)]


def test_reason_types():
    assert cur.reason_type("awaiting_diagnostics") == "internal"
    assert cur.reason_type("awaiting_care_package") == "external"
    assert cur.reason_type("lower_level_of_care") == "setting"
    with pytest.raises(ValueError, match="unknown CUR reason"):
        cur.reason_type("none")


def test_benchmark_is_englands_share_reduced_as_south_tees():
    # England 25% of patient-days not met; South Tees' 35% improvement: 0.25 x 0.65 = 16.25%
    assert cur.benchmark_share(0.25, 0.35) == pytest.approx(0.1625)


def test_bed_days_released_above_the_benchmark_only():
    # 10,000 days reviewed, 3,000 not met (30%); benchmark 16.25%: 3,000 - 1,625 = 1,375 bed days
    assert cur.bed_days_released(3_000, 10_000, 0.1625) == pytest.approx(1_375)
    # already below the benchmark (15%): nothing, never a negative figure to net off
    assert cur.bed_days_released(1_500, 10_000, 0.1625) == 0.0


def test_provider_release_nets_off_the_cost_of_cur_and_counts_only_where_it_pays():
    # A: 100 days, 40 not met; benchmark 20%: 40 - 20 = 20 bed days x 300 = 6,000 pounds, less CUR at 1,000 = 5,000
    # B: 100 days, 22 not met: 2 bed days x 300 = 600 pounds, less than CUR's 1,000: B does not count
    # C: 100 days, 10 not met: below the benchmark, nothing
    rows = pd.DataFrame({"provider_code": ["A"] * 100 + ["B"] * 100 + ["C"] * 100,
                         "not_met": [True] * 40 + [False] * 60 + [True] * 22 + [False] * 78 + [True] * 10
                         + [False] * 90})
    out = cur.provider_release(rows, 0.20, 300.0, 1_000.0)
    assert out.loc["A", ["released", "value", "cost", "saving"]].tolist() == pytest.approx([20, 6_000, 1_000, 5_000])
    assert out.loc["B", ["released", "value", "cost", "saving"]].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert out.loc["C", "saving"] == 0.0
    assert out["not_met"].tolist() == [40, 22, 10]


def test_long_stays_count_days_beyond_21():
    # stays of 5, 22 and 30 days: two are over 21 days, with 1 + 9 = 10 bed days beyond day 21
    spells = pd.DataFrame({"spell_los_days": [5, 22, 30]})
    assert cur.long_stays(spells) == (2, 10.0)
    # exactly 21 days is not a long stay (the Menu: longer than 3 weeks)
    assert cur.long_stays(pd.DataFrame({"spell_los_days": [21]})) == (0, 0.0)


def test_stay_bands():
    assert cur.stay_band(pd.Series([1, 7, 8, 21, 22])).astype(str).tolist() == [
        "1 to 7 days", "1 to 7 days", "8 to 14 days", "15 to 21 days", "More than 21 days"]


def test_first_year_fall_compares_months_1_to_3_with_13_to_15():
    # a provider reviewing 10 days a month for 15 months: 4 of 10 not met in months 1-3, 2 of 10 in months 13-15:
    # the share falls from 40% to 20%, by half (South Tees: 35%)
    rows = []
    for m in range(15):
        bad = 4 if m < 3 else 2
        for d in range(10):
            day = pd.Timestamp(2016, 1, 1) + pd.DateOffset(months=m, days=d)
            rows.append({"provider_code": "A", "review_date": day, "not_met": d < bad})
    df = pd.DataFrame(rows)
    assert cur.first_year_fall(df) == pytest.approx(0.5)
    # a provider with fewer than 15 months of reviews cannot be judged yet
    assert cur.first_year_fall(df[df["review_date"] < "2017-01-01"]) is None


def test_reason_table_ranks_and_marks_the_top_5():
    local = pd.DataFrame({"not_met": [True] * 7 + [False],
                          "reason": ["awaiting_care_home"] * 3 + ["awaiting_diagnostics"] * 2
                          + ["awaiting_transport", "awaiting_care_package", "none"]})
    out = cur.reason_table(local)
    assert out["Reason"].iloc[0] == "Awaiting care home place"
    assert out["Share of days not met"].iloc[0] == pytest.approx(3 / 7)
    assert out["Top 5"].tolist().count("yes") == 4  # only four reasons occur: no empty reason marked
    assert len(out) == len(cur.REASON_LABELS)


def test_external_share_of_the_days_not_met():
    # 4 days not met: 2 awaiting a care package or a care home (outside the hospital), 2 within it; the met day
    # does not count
    local = pd.DataFrame({"not_met": [True] * 4 + [False],
                          "reason": ["awaiting_care_package", "awaiting_care_home", "awaiting_diagnostics",
                                     "lower_level_of_care", "none"]})
    assert cur.external_share(local) == pytest.approx(0.5)
    assert cur.external_share(local[~local["not_met"]]) is None  # no day not met: no share


def test_long_stays_by_provider_and_days_in_the_year():
    spells = pd.DataFrame({"provider_code": ["A", "A", "B", "C"], "spell_los_days": [22, 30, 21, 40]})
    assert cur.long_stays_by_provider(spells).to_dict() == {"A": 2, "C": 1}  # B's 21 days is not over 3 weeks
    assert cur.period_days(Period.financial_year("2017/18")) == 365
    assert cur.period_days(Period.financial_year("2015/16")) == 366  # February 2016 has 29 days


def test_release_sums_the_providers_under_each_scenario():
    one = pd.DataFrame({"released": [365.0, 0.0], "value": [1_000.0, 0.0], "cost": [100.0, 0.0],
                        "saving": [900.0, 0.0]})
    release = cur.Release.of({"low": one / 2, "moderate": one, "high": one * 2}, Period.financial_year("2017/18"))
    assert release.bed_days.as_dict() == {"low": 182.5, "moderate": 365.0, "high": 730.0}
    assert release.saving.moderate == 900.0
    assert release.beds.as_dict() == pytest.approx({"low": 0.5, "moderate": 1.0, "high": 2.0})  # 365 bed days a bed


# --- analyse on a small hand-built table ---------------------------------------------------------------------------
@pytest.fixture
def small():
    """Two London providers in May and June 2017. LON-P01: two spells of 10 days, each with its last 5 days not
    met (awaiting a care package), so 10 of 20 days; LON-P02: two spells of 10 days, all met."""
    rows = []
    for provider, reasons in (("LON-P01", ["none"] * 5 + ["awaiting_care_package"] * 5), ("LON-P02", ["none"] * 10)):
        rows += spell(provider, f"{provider}-S1", "2017-05-20", reasons)
        rows += spell(provider, f"{provider}-S2", "2017-06-10", reasons)
    return {"utilisation_reviews": pd.DataFrame(rows)}, load_scheme_params("clinical_utilisation_review",
                                                                           cur.ASSUMPTIONS)


def test_analyse_counts_the_provider_above_the_benchmark(small):
    tables, params = small
    geo = load_geography()
    r = registry.analyse_tables("clinical_utilisation_review", tables, geo.get("LON"), Period.financial_year("2017/18"),
                                geo, params_=params)
    # England: 10 of 40 days not met (25%); moderate benchmark 25% x 0.65 = 16.25%.
    # LON-P01: 10 - 0.1625 x 20 = 6.75 bed days x 300 pounds = 2,025 pounds, less than CUR's 100,000: not counted
    assert r.kpi("Patient-days not meeting the criteria").value == pytest.approx(0.25)
    assert r.kpi("Patient-days not meeting the criteria").target == pytest.approx(0.1625)
    assert r.opportunity_gbp.moderate == 0.0
    assert r.kpi("Days not met for a reason outside the hospital").value == 1.0
    assert r.kpi("Spells of more than 21 days").value == 0
    assert r.tables["reasons"].frame["Reason"].iloc[0] == "Awaiting care package"


def test_analyse_saving_once_cur_pays(small):
    tables, params = small
    geo = load_geography()
    cheap = params.model_copy(update={"assumptions": {**params.assumptions, "cur_cost_per_provider":
                                      params.assumptions["cur_cost_per_provider"].model_copy(
                                          update={"low": 0.0, "moderate": 1_000.0, "high": 0.0})}})
    r = registry.analyse_tables("clinical_utilisation_review", tables, geo.get("LON"), Period.financial_year("2017/18"),
                                geo, params_=cheap)
    # 6.75 bed days x 300 = 2,025 pounds, less 1,000 for CUR = 1,025 pounds; LON-P02 (0%) nothing
    (beds,) = r.opportunity.components
    assert (beds.kind, beds.payer, beds.year, beds.in_totals) == ("capacity_released", "provider", "2017/18", False)
    assert (beds.gross.moderate, beds.implementation_cost.moderate) == pytest.approx((2_025, 1_000))
    assert beds.net.moderate == pytest.approx(1_025)
    assert r.opportunity_gbp.moderate == 0.0  # capacity, not cash: nothing in the headline
    assert r.quantities[0].values.moderate == pytest.approx(6.75)
    prov = r.tables["providers"].frame.set_index("Provider")
    assert prov.loc["LON-P02", "Saving (moderate)"] == 0.0


def test_analyse_refuses_an_area_without_reviews(small):
    tables, params = small
    geo = load_geography()
    with pytest.raises(DataError, match="no patient-days reviewed for North West"):
        registry.analyse_tables("clinical_utilisation_review", tables, geo.get("NW"), Period.financial_year("2017/18"),
                                geo, params_=params)
    with pytest.raises(DataError, match="no patient-days reviewed in 2016/17"):
        registry.analyse_tables("clinical_utilisation_review", tables, geo.get("LON"), Period.financial_year("2016/17"),
                                geo, params_=params)
