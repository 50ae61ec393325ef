"""Each scheme's arithmetic against hand-checked figures, most of them the Menu of Opportunities' own."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.errors import ConfigError
from ivanalysis.results import KPI, Period, Range, financial_years
from ivanalysis.schemes import critical_care_delayed_discharge as acc
from ivanalysis.schemes import immunoglobulin_itp as itp
from ivanalysis.schemes import prostate_fractionation as rt

pytestmark = pytest.mark.unit


# --- base ------------------------------------------------------------------------------------------------------------
def test_financial_year_runs_april_to_march():
    p = Period.financial_year("2016/17")
    assert (p.start, p.end) == (pd.Timestamp("2016-04-01"), pd.Timestamp("2017-03-31"))
    dates = pd.Series(pd.to_datetime(["2016-03-31 23:59", "2016-04-01 00:00", "2017-03-31 18:00", "2017-04-01 00:00"]))
    assert p.mask(dates).tolist() == [False, True, True, False]


@pytest.mark.parametrize("label", ["2016/18", "2016", "16/17", ""])
def test_financial_year_refuses_other_labels(label):
    with pytest.raises(ConfigError, match="financial year"):
        Period.financial_year(label)


def test_kpi_met_respects_direction():
    assert KPI("x", 0.81, "share", 0.80, True).met is True
    assert KPI("x", 0.79, "share", 0.80, True).met is False
    assert KPI("x", 0.04, "share", 0.05, False).met is True
    assert KPI("x", 0.04, "share", None, False).met is None


def test_range_sums_a_column_under_each_scenario():
    by = {s: pd.DataFrame({"net": [v, 2 * v]}) for s, v in (("low", 1.0), ("moderate", 2.0), ("high", 3.0))}
    assert Range.summed(by, "net").as_dict() == {"low": 3.0, "moderate": 6.0, "high": 9.0}


def test_financial_year_labels_and_periods():
    dates = pd.Series(pd.to_datetime(["2016-03-31", "2016-04-01", None, "2018-02-01"]))
    assert financial_years(dates).tolist()[:2] == ["2015/16", "2016/17"]
    assert pd.isna(financial_years(dates)[2]) and financial_years(dates)[3] == "2017/18"
    assert [p.label for p in Period.covering(dates.dropna())] == ["2015/16", "2016/17", "2017/18"]
    assert Period.financial_year("2017/18").previous == Period.starting(2016) == Period.financial_year("2016/17")


def test_range_takes_each_scenario():
    assert Range.of(lambda s: {"low": 1, "moderate": 2, "high": 3}[s]).as_dict() == {"low": 1.0, "moderate": 2.0,
                                                                                      "high": 3.0}


# --- scheme 1: immunoglobulin for ITP -----------------------------------------------------------------------------
def test_dose_bands_allow_rounding_to_whole_vials():
    # 70 kg: 70 g = 1.0 g/kg; 75 g = 1.07 (vial rounding, still 1 g/kg); 80 g = 1.14 (over 1.1: the 2 g/kg band);
    # 140 g = 2.0; 154 g = 2.2 (still 2 g/kg); 157.5 g = 2.25 (more than 2 g/kg)
    dose = pd.Series([70.0, 75.0, 80.0, 140.0, 154.0, 157.5])
    bands = itp.dose_band(dose, pd.Series([70.0] * 6), tolerance=0.10)
    assert bands.tolist() == ["1 g/kg or less", "1 g/kg or less", "2 g/kg", "2 g/kg", "2 g/kg", "more than 2 g/kg"]


def test_itp_saving_moves_episodes_up_to_the_target_share():
    # Provider A: 10 episodes, 3 at 1 g/kg; 7 at 2 g/kg for 70 kg patients, each 70 g above 1 g/kg.
    # Target 80%: 0.8 x 10 - 3 = 5 episodes move, saving 5 x 70 = 350 g, at £34/g = £11,900.
    # Provider B is already at 90% (9 of 10): it saves nothing and is not netted off against A.
    eps = pd.DataFrame({
        "provider_code": ["A"] * 10 + ["B"] * 10,
        "at_1gkg": [True] * 3 + [False] * 7 + [True] * 9 + [False],
        "excess_g": [0.0] * 3 + [70.0] * 7 + [0.0] * 9 + [100.0],
    })
    out = itp.provider_savings(eps, target_share=0.80)
    assert out.loc["A", "to_move"] == pytest.approx(5.0)
    assert out.loc["A", "grams_saved"] == pytest.approx(350.0)
    assert out.loc["A", "grams_saved"] * 34.0 == pytest.approx(11_900.0)
    assert out.loc["B", "grams_saved"] == 0.0


def test_itp_menu_order_of_magnitude():
    # The Menu: 5.6 m pounds for 2016/17 at 80%. About 8,800 weighed episodes a year at 55% on 1 g/kg moving to
    # 80% is 0.25 x 8,800 = 2,200 episodes; at about 77 g above 1 g/kg each and £34/g that is 2,200 x 77 x 34
    # = £5.76 m: the same order as the Menu's figure.
    n = 8_800
    eps = pd.DataFrame({"provider_code": "ENG", "at_1gkg": [True] * int(0.55 * n) + [False] * (n - int(0.55 * n)),
                        "excess_g": [0.0] * int(0.55 * n) + [77.0] * (n - int(0.55 * n))})
    saving = itp.provider_savings(eps, 0.80).loc["ENG", "grams_saved"] * 34.0
    assert saving == pytest.approx(2_200 * 77 * 34, rel=1e-3)
    assert 5.0e6 < saving < 6.5e6


def test_itp_episodes_band_by_weight_and_count_grams_above_1_gkg():
    # 70 kg at 70 g: 1 g/kg, nothing above it; 70 kg at 140 g: 2 g/kg, 140 - 70 = 70 g above 1 g/kg;
    # no weight: not weighed; the CIDP episode is not ITP
    ig = pd.DataFrame({"indication": ["ITP", "ITP", "ITP", "CIDP"], "weight_kg": [70.0, 70.0, None, 70.0],
                       "dose_g": [70.0, 140.0, 100.0, 140.0]})
    eps = itp.itp_episodes(ig, tolerance=0.10)
    assert eps.index.tolist() == [0, 1, 2]
    assert eps["weighed"].tolist() == [True, True, False]
    assert eps["band"].tolist()[:2] == ["1 g/kg or less", "2 g/kg"]
    assert eps["at_1gkg"].tolist()[:2] == [True, False]
    assert eps["excess_g"].tolist()[:2] == [0.0, 70.0]


def test_itp_area_opportunity_sums_the_areas_providers_only():
    # the area holds A only: 2 episodes moved and 100 g saved at the low target (x £30/g = £3,000), 4 and 200 g at
    # the moderate (x £34 = £6,800), 6 and 300 g at the high (x £40 = £12,000); B's figures are left out
    by = {s: pd.DataFrame({"to_move": [n, 9.0], "grams_saved": [50.0 * n, 999.0]}, index=["A", "B"])
          for s, n in (("low", 2.0), ("moderate", 4.0), ("high", 6.0))}
    moved, grams, gbp = itp.area_opportunity(by, ("A",), Range(30.0, 34.0, 40.0))
    assert moved == Range(2.0, 4.0, 6.0)
    assert grams == Range(100.0, 200.0, 300.0)
    assert gbp == Range(3_000.0, 6_800.0, 12_000.0)


def test_itp_bands_by_financial_year():
    # 31 March 2017 is still 2016/17, 1 April 2017 is 2017/18
    eps = pd.DataFrame({
        "treatment_date": pd.to_datetime(["2016-05-01", "2017-03-31", "2017-04-01"]),
        "band": pd.Categorical(["1 g/kg or less", "2 g/kg", "1 g/kg or less"], categories=itp.BANDS)})
    assert financial_years(eps["treatment_date"]).tolist() == ["2016/17", "2016/17", "2017/18"]
    years = itp.bands_by_year(eps).set_index("Financial year")
    assert years.loc["2016/17", ["1 g/kg or less", "2 g/kg", "more than 2 g/kg", "Episodes"]].tolist() == [1, 1, 0, 2]
    assert years.loc["2016/17", "Share 1 g/kg or less"] == 0.5
    assert years.loc["2017/18", "Share 1 g/kg or less"] == 1.0
    assert years.loc["2017/18", "Episodes"] == 1


# --- scheme 15: adult critical care delayed discharges ------------------------------------------------------------
def test_delays_and_bands():
    ready = pd.Series(pd.to_datetime(["2017-05-01 10:00"] * 4))
    left = pd.Series(pd.to_datetime(["2017-05-01 13:00", "2017-05-01 14:00", "2017-05-01 20:00", "2017-05-03 10:00"]))
    hours = acc.delay_hours(ready, left)
    assert hours.tolist() == [3.0, 4.0, 10.0, 48.0]
    # exactly 4 hours meets the standard
    assert acc.delay_band(hours).tolist() == ["Within 4 hours", "Within 4 hours", "4 to 24 hours", "More than 24 hours"]


def test_chargeable_bed_days_count_from_the_end_of_the_standard():
    hours = pd.Series([3.0, 10.0, 28.0, 52.0])
    # over 24 h: (28 - 4) + (52 - 4) = 72 h = 3 bed days
    assert acc.chargeable_bed_days(hours, 24) == pytest.approx(3.0)
    # over 4 h: (10 - 4) + 24 + 48 = 78 h = 3.25 bed days
    assert acc.chargeable_bed_days(hours, 4) == pytest.approx(3.25)


def test_saving_is_the_price_differential():
    # 100 delayed bed days valued at a critical care day with no organ support (XC07Z, £700 moderate) instead of a
    # ward excess bed day (£300): 100 x 400 = £40,000
    assert acc.saving(100, 700, 300) == pytest.approx(40_000)
    assert acc.saving(100, 300, 1500) == 0.0  # never a negative saving


def test_out_of_hours_is_22_to_07():
    t = pd.Series(pd.to_datetime(["2017-05-01 21:59", "2017-05-01 22:00", "2017-05-02 06:59", "2017-05-02 07:00"]))
    assert acc.out_of_hours(t).tolist() == [False, True, True, False]


def test_ward_discharges_and_each_providers_delays():
    ready = pd.Timestamp("2017-05-01 10:00")
    cc = pd.DataFrame({"provider_code": ["A", "A", "A", "A", "B"], "ready_at": [ready] * 5,
                       "discharged_at": ready + pd.to_timedelta([3, 10, 28, 100, 52], unit="h"),
                       "destination": ["ward", "ward", "ward", "home", "ward"]})
    ward = acc.ward_discharges(cc)
    assert ward["hours"].tolist() == [3.0, 10.0, 28.0, 52.0]  # the discharge home does not count
    assert ward["delayed"].tolist() == [False, True, True, True]
    assert acc.band_counts(ward).tolist() == [1, 1, 2]
    by = acc.provider_delays(ward, scope_hours=24, critical_care_day=700, excess_bed_day=300)
    assert list(by.columns) == ["discharges", "delayed_4_to_24", "delayed_over_24", "bed_days_lost", "saving"]
    # A: 10 h and 28 h lose (6 + 24) / 24 = 1.25 bed days; only the 28 h one is over 24 h, counted from the 4-hour
    # point: 24 h = 1 day x (£700 - £300) = £400
    assert by.loc["A"].tolist() == pytest.approx([3, 1, 1, 1.25, 400])
    # B: 52 h loses 2 bed days, all of them over 24 h: 2 x £400
    assert by.loc["B"].tolist() == pytest.approx([1, 0, 1, 2.0, 800])


# --- scheme 18: radiotherapy prostate fractionation ---------------------------------------------------------------
def test_menu_figure_154700_fractions():
    # The Menu: 13,000 patients a year, 70% suitable for 60 Gy/20# instead of 74 Gy/37#:
    # 13,000 x 0.7 x (37 - 20) = 154,700 fractions released.
    assert rt.fractions_released(13_000, 0.0, 0.70, 37) == pytest.approx(154_700)


def test_no_fractions_released_above_the_benchmark():
    assert rt.fractions_released(500, 0.75, 0.70, 37) == 0.0
    # half-way: 1,000 courses at 40% moving to 70% = 300 courses x 17 = 5,100
    assert rt.fractions_released(1_000, 0.40, 0.70, 37) == pytest.approx(5_100)


def test_cohort_is_radical_external_beam_prostate():
    rows = pd.DataFrame({
        "diagnosis": ["C61", "C61.9", "C61", "C61", "C50"],
        "intent": ["radical", "radical", "palliative", "radical", "radical"],
        "modality": ["external_beam", "external_beam", "external_beam", "brachytherapy", "external_beam"],
        "dose_gy": [60.0, 74.0, 8.0, 145.0, 60.0], "fractions": [20, 37, 1, 1, 20]})
    cohort = rt.radical_prostate(rows)
    assert cohort.index.tolist() == [0, 1]
    assert rt.is_hypofractionated(cohort["dose_gy"], cohort["fractions"]).tolist() == [True, False]


def test_provider_release_uses_each_centres_own_regimens():
    # Centre X: 10 courses, 4 on 60/20, the other 6 on 78 Gy/39# (19 fractions more each).
    # Benchmark 70%: 0.7 x 10 - 4 = 3 courses move, releasing 3 x 19 = 57 fractions.
    cohort = pd.DataFrame({"provider_code": ["X"] * 10, "hypo": [True] * 4 + [False] * 6,
                           "fractions": [20] * 4 + [39] * 6})
    out = rt.provider_release(cohort, 0.70)
    assert out.loc["X", "released"] == pytest.approx(57.0)


def test_prostate_courses_flag_60_gy_in_20_fractions():
    # 60 Gy in 20: hypofractionated; 60 Gy in 30 and 74 Gy in 37 are not; the palliative course is not in the cohort
    rows = pd.DataFrame({"diagnosis": ["C61"] * 4, "intent": ["radical", "radical", "radical", "palliative"],
                         "modality": ["external_beam"] * 4, "dose_gy": [60.0, 60.0, 74.0, 20.0],
                         "fractions": [20, 30, 37, 5]})
    cohort = rt.prostate_courses(rows)
    assert cohort["hypo"].tolist() == [True, False, False]


def test_fractions_released_become_linac_days_and_pounds():
    # 150, 300 and 450 fractions released; at 50, 60 and 75 fractions a linac day: 3, 5 and 6 days;
    # at £40, £50 and £60 a fraction: £6,000, £15,000 and £27,000
    release = {s: pd.DataFrame({"released": [2 * n / 3, n / 3]}, index=["X", "Y"])
               for s, n in (("low", 150.0), ("moderate", 300.0), ("high", 450.0))}
    fractions, linac_days, gbp = rt.opportunity(release, Range(40.0, 50.0, 60.0), Range(50.0, 60.0, 75.0))
    assert list(fractions.as_dict().values()) == pytest.approx([150.0, 300.0, 450.0])
    assert list(linac_days.as_dict().values()) == pytest.approx([3.0, 5.0, 6.0])
    assert list(gbp.as_dict().values()) == pytest.approx([6_000.0, 15_000.0, 27_000.0])


def test_regimen_mix_counts_courses_by_dose_and_fractions():
    # 3 of 4 courses on 60 Gy in 20 fractions (75%), 1 on 74 Gy in 37 (25%)
    mix = rt.regimen_mix(pd.DataFrame({"dose_gy": [60.0, 74.0, 60.0, 60.0], "fractions": [20, 37, 20, 20]}))
    assert mix["Regimen"].tolist() == ["60 Gy in 20 fractions", "74 Gy in 37 fractions"]
    assert mix["Courses"].tolist() == [3, 1]
    assert mix["Share"].tolist() == [0.75, 0.25]
    assert mix["Total"].tolist() == [4, 4]
