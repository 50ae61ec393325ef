"""Scheme 11, enhanced supportive care: each piece of arithmetic against hand-checked figures, then a small
hand-built extract through `analyse`."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from ivanalysis.config import Assumption, load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period, Range
from ivanalysis.schemes import enhanced_supportive_care as esc
from ivanalysis.schemes import registry
from ivanalysis.stats.its import segmented_regression

pytestmark = pytest.mark.unit

FY1617 = Period.financial_year("2016/17")
FY1718 = Period.financial_year("2017/18")


def test_tumour_groups_from_icd10():
    codes = pd.Series(["C34", "C50", "C61", "C90", "C18", "C71", "C43", "C80"])
    assert esc.tumour_group(codes).tolist() == ["lung", "breast", "urology", "haematology", "colorectal",
                                                "brain_cns", "other", "other"]


def test_growth():
    assert esc.growth(105, 100) == pytest.approx(0.05)
    assert esc.growth(94, 100) == pytest.approx(-0.06)
    assert esc.growth(10, 0) is None  # nothing the year before: no growth to speak of
    assert esc.growth(10, np.nan) is None


def test_three_years_of_slower_growth():
    # 1,000 unplanned admissions a year, 10% of a year's avoided: 100 in the first year, twice that in the second
    # and three times in the third: 100 x (1 + 2 + 3) = 600 over the three years
    assert esc.admissions_avoided(1_000, 0.10) == pytest.approx(100)
    assert esc.three_year_avoided(1_000, 0.10) == pytest.approx(600)


def exact_fit(before: int = 6, after: int = 12):
    """A segmented regression fitted exactly: 100 + 2t before the start (t = 0 .. before - 1), then a step of -10
    and a slope 1 a month lower: 100 + 2t - 10 - (t - before)."""
    months = pd.date_range("2016-04-01", periods=before + after, freq="MS")
    t = np.arange(before + after)
    y = 100 + 2 * t - np.where(t >= before, 10 + (t - before), 0)
    return segmented_regression(y, months, months[before], hac=False)


def test_first_year_share_of_the_admissions_the_trend_predicted():
    fit = exact_fit()
    # first 12 months after the start (k = 0..11, t0 = 6): the fit less the trend sums to 12 x -10 - (0 + .. + 11)
    # = -120 - 66 = -186; the trend carried on to 12 x 100 + 2 x (12 x 6 + 66) = 1,200 + 276 = 1,476;
    # the share avoided is 186 / 1,476 = 0.126016
    share, lo, hi, months = esc.first_year_share(fit)
    assert months == 12 and share == pytest.approx(186 / 1_476)
    assert lo == pytest.approx(share, abs=1e-9) and hi == pytest.approx(share, abs=1e-9)  # an exact fit
    # its interval by the delta method, with a covariance set by hand: var(b2) = 4, var(b3) = 0.01, var(b0) = 1,
    # critical value 2. With E = -186, C = 1,476, r = E / C: gradient of r = (e - r c) / C, e = (0, 0, 12, 66),
    # c = (12, 138, 0, 0): on b0, 12 x 186 / 1,476^2 = 0.00102452; on b2, 12 / 1,476 = 0.00813008; on b3,
    # 66 / 1,476 = 0.04471545. Variance 0.00102452^2 x 1 + 0.00813008^2 x 4 + 0.04471545^2 x 0.01
    # = 1.04965e-6 + 2.64393e-4 + 1.99947e-5 = 2.85437e-4; half-width 2 x 0.0168949 = 0.0337898
    fit = dataclasses.replace(fit, cov=np.diag([1.0, 0.0, 4.0, 0.01]), critical=2.0)
    share, lo, hi, _ = esc.first_year_share(fit)
    assert (share - lo, hi - share) == pytest.approx((0.0337898, 0.0337898), rel=1e-5)


def test_first_year_share_uses_the_months_there_are():
    # 6 months after the start: -6 x 10 - (0 + .. + 5) = -75 against 6 x 100 + 2 x (6 x 6 + 15) = 702
    share, _, _, months = esc.first_year_share(exact_fit(after=6))
    assert months == 6 and share == pytest.approx(75 / 702)


def test_admissions_avoided_since_the_start_and_in_a_year():
    fit = exact_fit()  # start October 2016, 12 months after it: October 2016 to September 2017
    # since the start: 12 x 10 + (0 + .. + 11) = 186
    assert esc.avoided_since_start(fit) == pytest.approx((186, 186, 186))
    # 2017/18 holds the months k = 6..11 after the start (April to September 2017): 6 x 10 + (6 + .. + 11) = 111
    assert esc.avoided_in(fit, FY1718) == pytest.approx((111, 111, 111, 6))
    # 2016/17: October 2016 to March 2017, k = 0..5: 6 x 10 + 15 = 75
    assert esc.avoided_in(fit, FY1617)[0] == pytest.approx(75)
    assert esc.avoided_in(fit, Period.financial_year("2015/16")) is None  # before the start


def test_slowing_range_is_the_estimate_and_its_interval_kept_between_0_and_1():
    fit = dataclasses.replace(exact_fit(), cov=np.diag([1.0, 0.0, 4.0, 0.01]), critical=2.0)
    share = 186 / 1_476
    assert esc.slowing_range(fit).as_dict() == pytest.approx(
        {"low": share - 0.0337898, "moderate": share, "high": share + 0.0337898}, rel=1e-5)
    # a service with more admissions than its trend predicted: no slowing, never a negative saving
    worse = dataclasses.replace(fit, coefficients=fit.coefficients * np.array([1, 1, -1, -1]))
    assert esc.slowing_range(worse).as_dict() == {"low": 0.0, "moderate": 0.0, "high": 0.0}
    assert esc.slowing_range(None) == Range.zero()  # no service to compare: nothing estimated


def test_admissions_per_100_patient_years():
    # 1,640 admissions over 1,000 patient-years: 164 per 100 patient-years
    assert esc.per_100(1_640, 1_000) == pytest.approx(164.0)
    assert esc.per_100(5, 0) is None


def test_previous_year():
    assert FY1718.previous.label == "2016/17"


def test_esc_status_against_the_headline_year():
    svc = pd.DataFrame({"provider_code": ["A", "A", "B"], "tumour_group": ["lung", "breast", "lung"],
                        "start": pd.to_datetime(["2016-04-01", "2017-01-01", "2017-06-01"])})
    keys = pd.DataFrame({"provider_code": ["A", "A", "B", "B", "C"],
                         "tumour_group": ["lung", "breast", "lung", "breast", "lung"]})
    # 2016/17: A lung started on its first day (from before the year); A breast in January 2017 (in the year);
    # B lung only in June 2017 (not yet); B breast and C have no service
    assert esc.esc_status(keys, svc, FY1617).tolist() == [
        "ESC from before the year", "ESC started in the year", "No ESC", "No ESC", "No ESC"]
    assert esc.esc_status(keys, svc, FY1718).tolist() == [
        "ESC from before the year", "ESC from before the year", "ESC started in the year", "No ESC", "No ESC"]


def test_services_take_the_earliest_start():
    ret = pd.DataFrame({"provider_code": ["A", "A", "A"], "tumour_group": ["lung", "lung", "breast"],
                        "service_start_date": pd.to_datetime(["2016-06-01", "2016-05-01", "2017-01-01"])})
    out = esc.services(ret).set_index("tumour_group")["start"]
    assert out["lung"] == pd.Timestamp("2016-05-01") and out["breast"] == pd.Timestamp("2017-01-01")


def test_patient_years_count_each_day_under_care():
    months = pd.date_range("2016-04-01", "2016-06-01", freq="MS")
    pts = pd.DataFrame({"provider_code": ["A", "A"], "tumour_group": ["lung", "lung"],
                        "first": pd.to_datetime(["2016-04-01", "2016-04-16"]),
                        "end": pd.to_datetime(["2016-04-30", "2016-05-15"])})
    py = esc.patient_years(pts, months).set_index("month")["patient_years"]
    # April: 30 days + 15 days (16th to 30th); May: 15 days (1st to 15th); June: nobody
    assert py[pd.Timestamp("2016-04-01")] == pytest.approx(45 / 365.25)
    assert py[pd.Timestamp("2016-05-01")] == pytest.approx(15 / 365.25)
    assert pd.Timestamp("2016-06-01") not in py.index


def test_patients_are_placed_by_their_first_admission():
    cancer = pd.DataFrame({
        "spell_id": ["S1", "S2", "S3"], "patient_id": ["P1", "P1", "P2"], "provider_code": ["B", "A", "A"],
        "tumour_group": ["lung", "lung", "breast"],
        "admission_date": pd.to_datetime(["2016-05-01", "2016-03-01", "2016-07-01"]),
        "date_of_death": pd.to_datetime(["2016-08-01", "2016-08-01", None])})
    pts = esc.patients(cancer, pd.Timestamp("2018-03-31")).set_index("patient_id")
    assert pts.loc["P1", "provider_code"] == "A"  # the March admission came first
    assert pts.loc["P1", "end"] == pd.Timestamp("2016-08-01")
    assert pts.loc["P2", "end"] == pd.Timestamp("2018-03-31") and pd.isna(pts.loc["P2", "death"])


def test_chemotherapy_in_the_last_30_days():
    pts = pd.DataFrame({"patient_id": ["P1", "P2", "P3"], "death": pd.to_datetime(["2017-06-30", "2017-06-30", None])})
    cancer = pd.DataFrame({
        "patient_id": ["P1", "P2", "P2", "P3"],
        "procedure_group": ["chemotherapy", "chemotherapy", None, "chemotherapy"],
        # P1: 25 days before death; P2: 60 days before (and an admission without chemotherapy 5 days before);
        # P3 is alive, so not in the table
        "admission_date": pd.to_datetime(["2017-06-05", "2017-05-01", "2017-06-25", "2017-06-05"])})
    out = esc.chemo_at_end_of_life(cancer, pts).set_index("patient_id")["chemo_last_30"]
    assert out.to_dict() == {"P1": True, "P2": False}


def test_suppress_small_blanks_rates_on_small_counts():
    df = pd.DataFrame({"n": [0, 3, 8], "rate": [0.0, 1.5, 2.0]})
    assert esc.suppress_small(df, "n", ["rate"])["rate"].tolist() == [0.0, None, 2.0]


def test_lead_service_needs_six_months_each_side_and_no_small_counts():
    months = pd.date_range("2015-04-01", periods=36, freq="MS")
    svc = pd.DataFrame({"provider_code": ["A", "B", "C"], "tumour_group": ["lung"] * 3,
                        "start": pd.to_datetime(["2016-04-01", "2016-04-01", "2017-12-01"])})

    def cells(provider, counts):
        return pd.DataFrame({"provider_code": provider, "tumour_group": "lung", "month": months, "unplanned": counts})

    table = pd.concat([cells("A", [20] * 36), cells("B", [30] * 35 + [5]), cells("C", [90] * 36)])
    # B has a month of 5 (a small count a chart would show); C started only 4 months before the data end
    provider, start, groups, series = esc.lead_service(table, svc, months, None)
    assert (provider, start, groups) == ("A", pd.Timestamp("2016-04-01"), ("lung",))
    assert series.sum() == 720
    assert esc.lead_service(table, svc, months, ("B", "C")) is None


def test_groups_text():
    assert esc.groups_text(["upper_gi", "lung"], "all") == "lung, upper GI"  # acronyms keep their case
    assert [esc.group_name(g) for g in ("brain_cns", "head_and_neck")] == ["brain CNS", "head and neck"]
    assert esc.groups_text(list(esc.TUMOUR_GROUPS), "all tumour groups") == "all tumour groups"


def groups_of_the_year(rows: list[tuple]) -> pd.DataFrame:
    """by_group()-like rows: provider, tumour group, unplanned admissions, patient-years, ESC status."""
    out = pd.DataFrame(rows, columns=["provider_code", "tumour_group", "unplanned", "patient_years", "status"])
    out["status"] = pd.Categorical(out["status"], categories=esc.STATUSES)
    return out


def test_by_group_sums_the_year_and_takes_the_status_of_the_headline_year():
    cells = pd.DataFrame({"provider_code": ["A", "A", "A"], "tumour_group": ["lung", "lung", "breast"],
                          "month": pd.to_datetime(["2017-05-01", "2017-06-01", "2016-05-01"]),
                          "unplanned": [3, 2, 4], "patient_years": [0.5, 0.5, 1.0]})
    svc = pd.DataFrame({"provider_code": ["A"], "tumour_group": ["breast"], "start": pd.to_datetime(["2017-01-01"])})
    # 2017/18: lung, 3 + 2 admissions over 0.5 + 0.5 patient-years, no ESC
    year = esc.by_group(cells, FY1718, svc, FY1718)
    assert year[["tumour_group", "unplanned", "patient_years"]].values.tolist() == [["lung", 5, 1.0]]
    assert year["status"].tolist() == ["No ESC"]
    # 2016/17: breast, whose service started in January 2017, is 'from before' 2017/18, the headline year
    prior = esc.by_group(cells, FY1617, svc, FY1718)
    assert prior[["tumour_group", "unplanned"]].values.tolist() == [["breast", 4]]
    assert prior["status"].tolist() == ["ESC from before the year"]


def test_opportunity_a_year_and_over_three_years():
    # 66 admissions a year in groups without ESC, 5 days each, £3,000 each; 2%, 5% or 8% of a year's avoided:
    # 1.32, 3.3 or 5.28 admissions avoided a year, 6.6, 16.5 or 26.4 bed days, £3,960, £9,900 or £15,840 a year,
    # and 6 times that over three years: £23,760, £59,400 or £95,040
    slowing = Range(0.02, 0.05, 0.08)
    cost = Assumption(label="cost", unit="gbp_per_admission", low=3000, moderate=3000, high=3000,
                      source="hand-set values")
    avoided, bed_days, gbp, three_years = esc.opportunity(66, 5.0, slowing, cost)
    assert list(avoided.as_dict().values()) == pytest.approx([1.32, 3.3, 5.28])
    assert list(bed_days.as_dict().values()) == pytest.approx([6.6, 16.5, 26.4])
    assert list(gbp.as_dict().values()) == pytest.approx([3_960, 9_900, 15_840])
    assert list(three_years.as_dict().values()) == pytest.approx([23_760, 59_400, 95_040])


def test_growth_by_status():
    # groups offered ESC: 100 admissions over 60 patient-years, then 90 over 60: the rate falls by 10%;
    # groups without: 100 over 50, then 110 over 50: it rises by 10%; all: 200 over 110 both years, no growth.
    # No service started in the year: no row for it.
    now = esc.status_totals(groups_of_the_year([("A", "lung", 90, 60.0, "ESC from before the year"),
                                                ("A", "breast", 110, 50.0, "No ESC")]))
    then = esc.status_totals(groups_of_the_year([("A", "lung", 100, 60.0, "ESC from before the year"),
                                                 ("A", "breast", 100, 50.0, "No ESC")]))
    out = esc.growth_by_status(now, then).set_index("status")
    assert out.index.tolist() == ["ESC from before the year", "No ESC", "All"]
    assert out["rate_growth"].tolist() == pytest.approx([-0.10, 0.10, 0.0])
    assert out.loc["No ESC", ["unplanned_before", "unplanned_now", "rate_before", "rate_now"]].tolist() == \
        pytest.approx([100, 110, 200.0, 220.0])
    assert out.loc["All", "unplanned_growth"] == pytest.approx(0.0)


def test_group_figures():
    # lung: 20 + 10 admissions over 20 patient-years (150 per 100), after 15 + 10 over 20 the year before: the rate
    # grows by 1.5 / 1.25 - 1 = 20%; one provider offers it ESC. Breast: 6 over 4 (150), nothing the year before.
    year = groups_of_the_year([("A", "lung", 20, 10.0, "No ESC"), ("B", "lung", 10, 10.0, "ESC from before the year"),
                               ("A", "breast", 6, 4.0, "No ESC")])
    prior = groups_of_the_year([("A", "lung", 15, 10.0, "No ESC"), ("B", "lung", 10, 10.0, "ESC from before the year")])
    out = esc.group_figures(year, prior).set_index("tumour_group")
    assert out.loc["lung", ["patient_years", "unplanned", "rate", "rate_growth", "providers_offering"]].tolist() == \
        pytest.approx([20.0, 30, 150.0, 0.2, 1])
    assert out.loc["breast", "rate"] == pytest.approx(150.0)
    assert pd.isna(out.loc["breast", "rate_growth"]) and out.loc["breast", "providers_offering"] == 0


def test_provider_figures_count_only_groups_without_esc():
    # A: 20 + 6 admissions over 14 patient-years (185.7 per 100), none in groups with ESC: at 5% and £3,000,
    # 1.3 admissions and £3,900 avoided. B offers lung ESC: its 10 admissions count for nothing.
    year = groups_of_the_year([("A", "lung", 20, 10.0, "No ESC"), ("B", "lung", 10, 10.0, "ESC from before the year"),
                               ("A", "breast", 6, 4.0, "No ESC")])
    out = esc.provider_figures(year, 0.05, 3_000)
    assert out.loc["A", ["unplanned", "rate", "unplanned_without_esc", "avoided", "saving"]].tolist() == \
        pytest.approx([26, 2_600 / 14, 26, 1.3, 3_900])
    assert pd.isna(out.loc["A", "esc_groups"]) and out.loc["B", "esc_groups"] == "lung"
    assert out.loc["B", ["unplanned_without_esc", "saving"]].tolist() == [0, 0.0]


def test_deaths_in_year_are_with_esc_when_it_started_a_month_before():
    geo = load_geography()
    lon, nw = geo.get("LON").providers[0], geo.get("NW").providers[0]
    eol = pd.DataFrame({"patient_id": ["P1", "P2", "P3", "P4"], "provider_code": [lon, lon, lon, nw],
                        "tumour_group": ["lung", "breast", "lung", "lung"],
                        "death": pd.to_datetime(["2017-06-30", "2017-06-30", "2016-12-01", "2017-06-30"]),
                        "chemo_last_30": [True, False, False, True]})
    svc = pd.DataFrame({"provider_code": [lon, nw], "tumour_group": ["lung", "lung"],
                        "start": pd.to_datetime(["2017-05-01", "2017-06-15"])})
    # P1: lung ESC from 1 May, more than 30 days before death; P2: no breast service; P3 died in 2016/17;
    # P4: the service started 15 days before death
    out = esc.deaths_in_year(eol, svc, geo.england, FY1718).set_index("patient_id")["with_esc"]
    assert out.to_dict() == {"P1": True, "P2": False, "P4": False}
    assert esc.deaths_in_year(eol, svc, geo.get("LON"), FY1718)["patient_id"].tolist() == ["P1", "P2"]


def test_offered_shares_of_patients_newly_under_care():
    # new in 2017/18: P1 (lung, which has ESC from January 2017) and P2 (breast, no ESC); P3 came in 2016/17.
    # P1 and P3 were offered ESC: 1 of 2 new patients, and 1 of the 1 new patient in a group with ESC
    pts = pd.DataFrame({"patient_id": ["P1", "P2", "P3"], "provider_code": "A",
                        "tumour_group": ["lung", "breast", "lung"],
                        "first": pd.to_datetime(["2017-05-01", "2017-06-01", "2016-05-01"])})
    svc = pd.DataFrame({"provider_code": ["A"], "tumour_group": ["lung"], "start": pd.to_datetime(["2017-01-01"])})
    assert esc.offered_shares({"P1", "P3"}, pts, svc, FY1718) == (0.5, 1.0)


def test_ipos_change_over_the_offers_reviewed():
    # 30 -> 24 and 25 -> 27: -6 and +2, a mean of -2 (lower is better); the offer without a review does not count
    offers = pd.DataFrame({"ipos_first": [30, 20, 25], "ipos_review": [24.0, np.nan, 27.0]})
    assert esc.ipos_change(offers) == pytest.approx(-2.0)
    assert esc.ipos_change(offers.iloc[[1]]) is None


# --- a small extract through analyse -------------------------------------------------------------------------------
def small_extract() -> dict[str, pd.DataFrame]:
    """Two London providers and one of the North West, each with two lung and two breast patients under care from
    April 2015 (a chemotherapy day case then and in March 2018), alive throughout. Unplanned admissions in 2017/18
    (and the same in 2016/17): LON-P01 lung 20, breast 10 (no ESC);
    LON-P02 lung 12 (ESC for lung from October 2015), breast 6 (no ESC); NW-P01 lung 30 (no ESC)."""
    geo = load_geography()
    lon1, lon2 = geo.get("LON").providers[:2]
    nw1 = geo.get("NW").providers[0]
    rows = []

    def add(provider, patient, code, dates, method):
        for d in dates:
            rows.append({"provider_code": provider, "patient_id": patient, "admission_date": pd.Timestamp(d),
                         "admission_method": method, "diagnosis": code,
                         "procedure_group": "chemotherapy" if method == "day_case" else None,
                         "incurable_cancer": 1, "date_of_death": pd.NaT,
                         "length_of_stay": 0 if method == "day_case" else 5})

    for provider in (lon1, lon2, nw1):
        for i, code in enumerate(["C34", "C34", "C50", "C50"]):
            add(provider, f"{provider}-{i}", code, ["2015-04-01", "2018-03-20"], "day_case")
    for provider, code, n in ((lon1, "C34", 20), (lon1, "C50", 10), (lon2, "C34", 12), (lon2, "C50", 6),
                              (nw1, "C34", 30)):
        days = pd.date_range("2017-04-10", periods=n, freq="10D")
        add(provider, f"{provider}-{'0' if code == 'C34' else '2'}", code, days, "emergency")
        add(provider, f"{provider}-{'1' if code == 'C34' else '3'}", code,
            pd.date_range("2016-04-10", periods=n, freq="10D"), "emergency")
    adm = pd.DataFrame(rows)
    adm.insert(0, "spell_id", [f"S{i}" for i in range(len(adm))])
    adm["discharge_date"] = adm["admission_date"] + pd.to_timedelta(adm["length_of_stay"], unit="D")
    ret = pd.DataFrame({"referral_id": ["R1"], "provider_code": [lon2], "patient_id": [f"{lon2}-0"],
                        "tumour_group": ["lung"], "service_start_date": [pd.Timestamp("2015-10-01")],
                        "offer_date": [pd.Timestamp("2015-10-05")], "ipos_first": [30], "ipos_review": [24.0]})
    return {"admissions": adm, "esc_services": ret}


def run(code: str, tables=None):
    geo = load_geography()
    params = load_scheme_params("enhanced_supportive_care", required=esc.ASSUMPTIONS)
    return registry.analyse_tables("enhanced_supportive_care", tables or small_extract(), geo.get(code), FY1718, geo,
                                   params_=params)


def with_a_lead_service(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The small extract with LON-P02's lung admissions (ESC from October 2015) replaced by a monthly series one
    before / after comparison can read: 21, 19, 20, 20, 19, 21 a month from April to September 2015, then 2 fewer,
    19, 17, 18, 18, 17, 19, five times over, to March 2018. The pattern's ups and downs sum to 0 and are balanced in
    time (1 - 1 + 0 + 0 - 1 + 1 = 0, and 0 - 1 + 0 + 0 - 4 + 5 = 0 weighted by month), so the segmented regression
    is exactly 20 before, a step of -2 and no trend: 2 admissions a month avoided, 10% of the 20 the trend before
    predicted. 2016/17 and 2017/18 hold 216 admissions each."""
    lon2 = load_geography().get("LON").providers[1]
    adm = tables["admissions"]
    lung = (adm["provider_code"] == lon2) & (adm["diagnosis"] == "C34") & (adm["admission_method"] == "emergency")
    wiggle = [1, -1, 0, 0, -1, 1]
    counts = [20 + w for w in wiggle] + [18 + w for w in wiggle] * 5
    months = pd.date_range("2015-04-01", periods=36, freq="MS")
    template = adm[lung].iloc[0]
    rows = [template.to_dict() | {"patient_id": f"{lon2}-0", "admission_date": m + pd.Timedelta(days=d)}
            for m, n in zip(months, counts) for d in range(n)]
    new = pd.DataFrame(rows)
    new["spell_id"] = [f"L{i}" for i in range(len(new))]
    new["discharge_date"] = new["admission_date"] + pd.to_timedelta(new["length_of_stay"], unit="D")
    return {**tables, "admissions": pd.concat([adm[~lung], new], ignore_index=True)}


def test_analyse_counts_groups_without_esc_and_nothing_where_esc_is_offered():
    r = run("ENG", with_a_lead_service(small_extract()))
    # the slowing comes from the before / after comparison at LON-P02: 2 of the 20 admissions a month the trend
    # before predicted, 10% (its interval is narrow: the wiggle is small)
    slowing = r.scenario_table.loc[esc.SLOWING_LABEL, ["low", "moderate", "high"]]
    assert slowing["moderate"] == pytest.approx(0.10)
    assert slowing["low"] < 0.10 < slowing["high"]
    c = r.params.assumptions["cost_per_admission"].moderate
    # groups without ESC: LON-P01 20 + 10, LON-P02 breast 6, NW-P01 30 = 66 admissions; LON-P02 lung (ESC) is out.
    # Moderate: 66 x 0.10 = 6.6 admissions, x £3,000 = £19,800
    assert r.scenario_table.loc["Unplanned admissions avoided a year", "moderate"] == pytest.approx(6.6)
    growth = r.tables["growth"].frame["ESC for the tumour group"].tolist()
    assert growth == ["ESC from before the year", "No ESC", "All"]  # no service started in 2017/18: no row
    (avoided,) = r.opportunity.components  # slower growth in acute admissions: cost avoided, to ICBs/CCGs
    assert (avoided.kind, avoided.payer, avoided.in_totals) == ("cost_avoided", "icb_ccg", False)
    assert avoided.net.moderate == pytest.approx(19_800)
    assert r.opportunity_gbp.moderate == 0.0
    prov = r.tables["providers"].frame.set_index("Provider")
    lon2 = load_geography().get("LON").providers[1]
    assert prov.loc[lon2, "Saving (moderate)"] == pytest.approx(6 * 0.10 * c)  # only its breast admissions
    # three years, labelled a three-year total: 66 x 0.10 x 6 x £3,000 = £118,800
    assert r.scenario_table.loc["Saving over three years of slower growth (a three-year total)", "moderate"] == \
        pytest.approx(118_800)
    # the same number of admissions both years and of patients: no growth anywhere
    assert r.kpi("Growth in unplanned admissions per patient-year, groups not offered ESC").value == pytest.approx(0)
    assert r.kpi("Mean change in IPOS score at ESC review").value is None  # the one review was in 2015/16
    assert r.kpi("Unplanned admissions, patients with incurable cancer").value == 66 + 216
    # in 2017/18, 12 months after the start: 2 x 12 = 24 admissions avoided, £72,000 at the moderate cost
    assert r.kpi("Unplanned admissions avoided at the leading ESC service in the year").value == pytest.approx(24)
    assert r.kpi("Saving at the leading ESC service in the year").value == pytest.approx(72_000)
    its = r.tables["its"].frame.set_index("Term")["Estimate"]
    assert its["Admissions avoided, the 30 months from October 2015"] == pytest.approx(60)  # 2 x 30
    assert its["Admissions avoided in the first 12 months, per 100 the trend before predicted"] == pytest.approx(10)
    assert its["Admissions avoided in 2017/18"] == pytest.approx(24)
    # the chart: the service's Making Data Count chart rebased at its start, the fit drawn over it
    chart = r.charts["its"]
    assert chart.kind == "spc" and len(chart.spc.groups) == 2
    assert chart.spc.groups[1].start == pd.Timestamp("2015-10-01")
    assert [g.mean for g in chart.spc.groups] == pytest.approx([20, 18])
    assert set(chart.frame["series"]) == {"Fitted (segmented regression)", "Trend before ESC carried on"}
    assert "95% CI" in chart.finding and "In 2017/18 alone the service avoided about 24 admissions" in chart.finding
    # the page says where the slowing comes from, and why the Christie's figure is not comparable
    assert any("estimated from the data, not taken from the Menu" in c and "10.0%" in c for c in r.caveats)
    assert any("£1.4 million" in c and "£72,000 in 2017/18" in c and "about 215 unplanned admissions" in c
               for c in r.caveats)


def test_without_a_service_to_compare_no_slowing_and_no_saving():
    # the small extract: too few admissions a month at any service for a before / after comparison
    r = run("ENG")
    assert r.scenario_table.loc[esc.SLOWING_LABEL, ["low", "moderate", "high"]].tolist() == [0.0, 0.0, 0.0]
    assert r.opportunity.components[0].net.moderate == 0.0
    assert r.kpi("Unplanned admissions avoided at the leading ESC service in the year").value is None
    assert r.kpi("Unplanned admissions, patients with incurable cancer").value == 78
    assert r.charts["its"].kind == "line" and r.charts["its"].series is None  # the monthly total instead
    assert any("no saving is counted" in c for c in r.caveats)


def test_hubs_add_up_to_england_on_the_small_extract():
    tables = with_a_lead_service(small_extract())
    england = run("ENG", tables).opportunity.components[0].net.moderate
    hubs = sum(run(h.code, tables).opportunity.components[0].net.moderate for h in load_geography().hubs()
               if set(h.providers) & set(tables["admissions"]["provider_code"]))
    assert england > 0 and hubs == pytest.approx(england)


def test_an_area_without_patients_raises_a_data_error():
    with pytest.raises(DataError, match="no patients with incurable cancer for Wessex"):
        run("WTV")


def test_a_headline_year_in_the_run_in_is_refused():
    geo = load_geography()
    params = load_scheme_params("enhanced_supportive_care", required=esc.ASSUMPTIONS)
    with pytest.raises(DataError, match="2015/16 falls in the first 12 months"):
        registry.analyse_tables("enhanced_supportive_care", small_extract(), geo.get("ENG"),
                                Period.financial_year("2015/16"), geo, params_=params)


def test_no_incurable_cancer_at_all_is_a_data_error():
    tables = small_extract()
    tables["admissions"] = tables["admissions"].assign(incurable_cancer=0)
    with pytest.raises(DataError, match="no admissions of patients with incurable cancer"):
        run("ENG", tables)
