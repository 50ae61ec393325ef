"""Scheme 16, patient activation for long-term conditions: the arithmetic against hand-checked figures."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.data.schemas.patient_activation import pam_level_of
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import patient_activation as pa
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit

FY = Period.financial_year("2017/18")


def test_pam_levels_follow_the_published_bands():
    # level 1 up to 47.0, level 2 47.1-55.1, level 3 55.2-67.0, level 4 from 67.1
    scores = [0.0, 47.0, 47.1, 55.1, 55.2, 67.0, 67.1, 100.0]
    assert pam_level_of(scores).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]


def test_first_assessment_of_each_patient_in_each_year():
    df = pd.DataFrame({"assessment_id": ["a1", "a2", "a3", "a4"], "patient_id": ["p", "p", "p", "q"],
                       "assessment_date": pd.to_datetime(["2016-05-01", "2016-12-01", "2017-05-01", "2017-03-31"])})
    # p's second assessment in 2016/17 is left out (its follow-up would overlap the first); 2017/18 starts again
    assert pa.first_in_year(df)["assessment_id"].tolist() == ["a1", "a3", "a4"]


def cells(rows: dict[str, tuple[list[float], list[float]]]) -> pd.DataFrame:
    """One row per service and level: {service: (patient-years at levels 1-4, admissions at levels 1-4)}."""
    return pd.DataFrame([{"service": s, "pam_level": level, "follow_up_days": 365.0 * years[level - 1],
                          "unplanned_admissions": admitted[level - 1], "ae_attendances": 0.0}
                         for s, (years, admitted) in rows.items() for level in pa.LEVELS])


def test_level_model_finds_the_gradient_within_service():
    # renal: 100 patient-years at each level, rates 1.0, 0.8, 0.7, 0.6; hiv: rates half renal's (0.5 ... 0.3). The
    # data are exactly a service factor times a level factor, so the model gives them back
    model = pa.level_model(cells({"renal": ([100] * 4, [100, 80, 70, 60]), "hiv": ([50] * 4, [25, 20, 17.5, 15])}),
                           "unplanned_admissions")
    assert model.loc["renal"].tolist() == pytest.approx([1.0, 0.8, 0.7, 0.6])
    assert model.loc["hiv"].tolist() == pytest.approx([0.5, 0.4, 0.35, 0.3])
    # no events at all: every rate is 0, not undefined
    assert pa.level_model(cells({"renal": ([100] * 4, [100, 80, 70, 60])}), "ae_attendances").loc["renal"].tolist() \
        == [0.0] * 4


def test_pooling_across_services_steepens_the_gradient_the_model_does_not():
    # the same rates, but renal patients (more unplanned care) mostly at level 1 and hiv patients mostly at level 4:
    # renal years 90, 50, 50, 10, hiv 10, 50, 50, 90. Pooled, level 4 has (6 + 27) / 100 = 0.33 a year against
    # (90 + 5) / 100 = 0.95 at level 1: 35% of it. Within each service level 4 has 60% of level 1's
    df = cells({"renal": ([90, 50, 50, 10], [90, 40, 35, 6]), "hiv": ([10, 50, 50, 90], [5, 20, 17.5, 27])})
    pooled = pa.rates_by_level(df)["admission_rate"]
    assert pooled[4] / pooled[1] == pytest.approx(0.33 / 0.95)
    model = pa.level_model(df, "unplanned_admissions")
    assert (model[4] / model[1]).tolist() == pytest.approx([0.6, 0.6])
    assert pa.relative_to_level_1(model).tolist() == pytest.approx([100, 80, 70, 60])


def test_step_values_price_the_fall_in_unplanned_care_within_each_service():
    # renal: admissions a year 1.0, 0.8, 0.6, 0.5 and A&E 1.2, 1.0, 0.8, 0.7, at £1,600 and £150: level costs 1,780,
    # 1,430, 1,080, 905, so moving up from level 1, 2, 3 saves 350, 350 and 175 a year
    admissions = pd.DataFrame([[1.0, 0.8, 0.6, 0.5], [1.0, 1.1, 0.6, 0.5]], index=["renal", "hiv"],
                              columns=list(pa.LEVELS))
    ae = pd.DataFrame([[1.2, 1.0, 0.8, 0.7], [0.0] * 4], index=["renal", "hiv"], columns=list(pa.LEVELS))
    steps = pa.step_values(admissions, ae, 1_600, 150)
    assert steps.loc["renal"].tolist() == pytest.approx([350.0, 350.0, 175.0])
    # a higher level that happens to use more care is not a negative saving: hiv 1,600 x (1.0 - 1.1) -> 0
    assert steps.loc["hiv"].tolist() == pytest.approx([0.0, 800.0, 160.0])


def test_a_providers_step_values_follow_its_mix_of_services():
    # renal moves are worth 100, 50, 20; hiv moves 10, 5, 2. The provider's renal patients are 10 at each level,
    # its hiv patients 30 at level 1 and 10 at level 2. At or below level 1: 10 renal, 30 hiv:
    # (10 x 100 + 30 x 10) / 40 = 32.5; level 2: (20 x 50 + 40 x 5) / 60 = 20; level 3: (30 x 20 + 40 x 2) / 70
    steps = pd.DataFrame([[100.0, 50.0, 20.0], [10.0, 5.0, 2.0]], index=["renal", "hiv"], columns=[1, 2, 3])
    mix = pd.DataFrame([[10, 10, 10, 10], [30, 10, 0, 0]], index=["renal", "hiv"], columns=list(pa.LEVELS))
    assert pa.provider_steps(mix, steps).tolist() == pytest.approx([32.5, 20.0, 680 / 70])


def test_one_level_moves_are_each_possible():
    # 30, 20, 30, 20 patients at levels 1-4 and 10, 10, 5 too many at or below levels 1, 2, 3: 10, 10 and 5 moves
    assert pa.one_level_moves(np.array([30.0, 20.0, 30.0, 20.0]), np.array([10.0, 10.0, 5.0])) == \
        pytest.approx([10.0, 10.0, 5.0])
    # across 2|3 no more than the 5 at level 2 and the 2 moved into it: 7; nothing where the provider is better
    assert pa.one_level_moves(np.array([10.0, 5.0, 40.0, 45.0]), np.array([2.0, 20.0, -3.0])) == \
        pytest.approx([2.0, 7.0, 0.0])


def test_net_saving_takes_off_interventions_and_licences():
    # moves 10, 10, 5 worth 350, 350, 175 a year: gross 3,500 + 3,500 + 875 = 7,875.
    # 25 moves at 40% success: 62.5 patients offered, at £150 spread over 2 years = 4,687.5 a year;
    # licences for the 100 patients assessed at £3 = 300. Net 7,875 - 4,987.5 = 2,887.5
    out = pa.net_saving(np.array([10.0, 10.0, 5.0]), np.array([350.0, 350.0, 175.0]), 100, success=0.4,
                        gain_years=2, intervention_cost=150, licence_cost=3)
    assert out["gross"] == pytest.approx(7_875)
    assert out["offered"] == pytest.approx(62.5)
    assert out["costs"] == pytest.approx(4_987.5)
    assert out["net"] == pytest.approx(2_887.5)
    # with no move there is neither cost nor saving; with costs above the gain the saving is nothing, not negative
    assert pa.net_saving(np.zeros(3), np.array([350.0, 350.0, 175.0]), 100, success=0.4, gain_years=2,
                         intervention_cost=150, licence_cost=3) == {"moves": 0.0, "offered": 0.0, "gross": 0.0,
                                                                    "costs": 0.0, "net": 0.0}
    assert pa.net_saving(np.array([1.0, 0.0, 0.0]), np.array([350.0, 350.0, 175.0]), 100, success=0.4,
                         gain_years=1, intervention_cost=500, licence_cost=3)["net"] == 0.0


def test_gaps_are_against_the_providers_own_mix_of_services():
    # England: renal 12/8/8/12 (at or below levels 1-3: 0.3, 0.5, 0.7), hiv 4/4/14/18 (0.1, 0.2, 0.55).
    # P: renal 8/4/4/4, hiv 2/2/6/10. At or below level 1: 10 seen, 20 x 0.3 + 20 x 0.1 = 8 expected: gap 2 / 40 =
    # 0.05, variance 20 x 0.3 x 0.7 + 20 x 0.1 x 0.9 = 6. Q: renal 4/4/4/8, hiv 2/2/8/8: 6 seen, gap -0.05
    counts = pd.DataFrame([[8, 4, 4, 4], [2, 2, 6, 10], [4, 4, 4, 8], [2, 2, 8, 8]],
                          index=pd.MultiIndex.from_tuples([("P", "renal"), ("P", "hiv"), ("Q", "renal"), ("Q", "hiv")],
                                                          names=["provider_code", "service"]),
                          columns=list(pa.LEVELS))
    england = pa.england_cumulative(counts)
    assert england.loc["renal"].tolist() == pytest.approx([0.3, 0.5, 0.7])
    assert england.loc["hiv"].tolist() == pytest.approx([0.1, 0.2, 0.55])
    gaps = pa.standardised_gaps(counts, england)
    assert (gaps.loc["P", ("observed", 1)], gaps.loc["P", ("expected", 1)]) == pytest.approx((10, 8))
    assert gaps.loc["P", ("variance", 1)] == pytest.approx(6.0)
    assert gaps[("gap", 1)].tolist() == pytest.approx([0.05, -0.05])
    # so little between two providers of 40 is chance: Q = 2 x 0.05^2 / (6 / 40^2) = 1.3, below 3.84, the 95% point
    # of chi-squared on 1 degree of freedom: both are shrunk to England's mix-for-mix level
    assert pa.shrunk_gaps(gaps)[1].tolist() == pytest.approx([0.0, 0.0])


def test_benchmark_is_the_chosen_percentile_of_providers():
    # three providers of 20+ patients with gaps -0.1, 0.0, 0.1 at a boundary: the best quarter's gap is the 25th
    # percentile, -0.05; the median 0.0; a tiny provider (5 patients) does not set the benchmark
    shrunk = pd.DataFrame({1: [-0.1, 0.0, 0.1, -0.5], 2: [0.0] * 4, 3: [0.0] * 4}, index=["A", "B", "C", "tiny"])
    patients = pd.Series({"A": 20, "B": 30, "C": 40, "tiny": 5})
    assert pa.benchmark_gaps(shrunk, patients, 0.75)[0] == pytest.approx(-0.05)
    assert pa.benchmark_gaps(shrunk, patients, 0.50)[0] == pytest.approx(0.0)


def test_first_assessments_flag_levels_3_and_4_as_activated():
    df = pd.DataFrame({"assessment_id": ["A1", "A2", "A3"], "patient_id": ["P1", "P1", "P2"],
                       "assessment_date": pd.to_datetime(["2017-05-01", "2017-09-01", "2017-06-01"]),
                       "pam_level": [3, 1, 2]})
    out = pa.first_assessments(df)
    assert out["assessment_id"].tolist() == ["A1", "A3"]  # P1's second assessment in the year is not counted
    assert out["activated"].tolist() == [True, False]


def test_small_levels_are_those_with_a_small_count_of_anything():
    levels = pd.DataFrame({"patients": [100, 40, 8, 0], "admissions": [30, 5, 0, 0], "ae": [50, 20, 9, 0]},
                          index=list(pa.LEVELS))
    # level 2 has 5 admissions; level 4 has no patients at all (0 is not small)
    assert pa.small_levels(levels).tolist() == [False, True, False, False]


def assessments(provider: str, per_level: dict[int, tuple[int, int]], start: int) -> list[dict]:
    """`per_level`: level -> (patients, how many of them had one unplanned admission)."""
    rows, i = [], start
    for level, (n, admitted) in per_level.items():
        for k in range(n):
            rows.append({"assessment_id": f"A{i}", "provider_code": provider, "patient_id": f"P{i}",
                         "assessment_date": pd.Timestamp(2017, 4 + i % 9, 1), "service": "renal",
                         "pam_score": {1: 40.0, 2: 50.0, 3: 60.0, 4: 70.0}[level], "pam_level": level,
                         "tailored_intervention": "Y" if level <= 2 else "N", "follow_up_days": 365,
                         "unplanned_admissions": int(k < admitted), "ae_attendances": 0})
            i += 1
    return rows


def small_table() -> pd.DataFrame:
    """LON-P01: 40 patients, 16/8/8/8 at levels 1-4; NW-P01: 40 patients, 4/8/12/16.

    Unplanned admissions a year, England: level 1 20/20 = 1.0, level 2 8/16 = 0.5, level 3 5/20 = 0.25, level 4 0.
    """
    return pd.DataFrame(assessments("LON-P01", {1: (16, 16), 2: (8, 4), 3: (8, 2), 4: (8, 0)}, 0)
                        + assessments("NW-P01", {1: (4, 4), 2: (8, 4), 3: (12, 3), 4: (16, 0)}, 100))


@pytest.fixture(scope="module")
def params():
    return load_scheme_params("patient_activation", pa.ASSUMPTIONS)


def test_analyse_counts_only_the_provider_worse_than_the_benchmark(params):
    geo = load_geography()
    tables = {"patient_activation": small_table()}
    eng = registry.analyse_tables("patient_activation", tables, geo.get("ENG"), FY, geo, params_=params)
    prov = eng.tables["providers"].frame.set_index("Provider")
    # One service (renal): England has 20, 36, 56 of 80 at or below levels 1-3 (0.25, 0.45, 0.7). LON-P01's shares
    # 0.4, 0.6, 0.8 are 0.15, 0.15, 0.1 above; NW-P01's as far below. Chance variance of a share c(1 - c) / 40 =
    # 0.0046875, 0.0061875, 0.00525. With two providers of equal size, Q = 2 g^2 / v and B = 1 - v / (2 g^2):
    # level 1: Q = 9.6, B = 1 - 0.0046875 / 0.045 = 0.8958; level 2: Q = 7.27, B = 1 - 0.0061875 / 0.045 = 0.8625;
    # level 3: Q = 0.02 / 0.00525 = 3.81, below 3.84 (chi-squared, 1 df, 95%): chance, B = 0.
    # Shrunk gaps: +-0.134375, +-0.129375, 0. The best quarter (moderate) of the two: -0.134375 + 0.25 x 0.26875 =
    # -0.0671875 and -0.129375 + 0.25 x 0.25875 = -0.0646875; 0 at level 3.
    # LON-P01 moves (0.134375 + 0.0671875) x 40 = 8.0625 across 1|2 and (0.129375 + 0.0646875) x 40 = 7.7625 across
    # 2|3: 15.825 moves. Steps (admissions a year 1.0, 0.5, 0.25, 0 within renal) at £1,600: 800, 400, 400.
    # Gross 8.0625 x 800 + 7.7625 x 400 = 9,555; 15.825 / 0.4 = 39.5625 offered x £150 / 2 years = 2,967.1875;
    # licences 40 x £3 = 120; net 9,555 - 3,087.1875 = 6,467.8125
    assert prov.loc["LON-P01", "One-level moves (moderate)"] == pytest.approx(15.825)
    assert prov.loc["LON-P01", "Gross saving (moderate)"] == pytest.approx(9_555)
    assert prov.loc["LON-P01", "Saving (moderate)"] == pytest.approx(6_467.8125)
    assert prov.loc["NW-P01", "Saving (moderate)"] == 0.0  # better than the benchmark at every boundary
    (care,) = eng.opportunity.components  # unplanned admissions and A&E: ICBs'/CCGs' cash, net of the costs
    assert (care.kind, care.payer, care.in_totals) == ("cash_releasing", "icb_ccg", False)
    assert (care.gross.moderate, care.implementation_cost.moderate) == pytest.approx((9_555, 3_087.1875))
    assert care.net.moderate == pytest.approx(6_467.8125)
    assert care.year == "2017/18"
    assert eng.opportunity_gbp.moderate == 0.0
    # the benchmark's share at levels 3 and 4 for England's mix: 1 - 0.45 + 0.0646875
    assert eng.kpi("Patients at activation level 3 or 4").target == pytest.approx(0.6146875)
    lon = registry.analyse_tables("patient_activation", tables, geo.get("LON"), FY, geo, params_=params)
    nw = registry.analyse_tables("patient_activation", tables, geo.get("NW"), FY, geo, params_=params)
    net = lambda r: r.opportunity.components[0].net.moderate  # noqa: E731
    assert net(lon) + net(nw) == pytest.approx(net(eng))
    # London's target is for its own providers: 1 - 0.45 (one service, England's share) + 0.0646875
    assert lon.kpi("Patients at activation level 3 or 4").target == pytest.approx(0.6146875)
    levels = eng.tables["levels"].frame.set_index("Activation level")
    assert levels["Admissions per 100 patients a year"].tolist() == pytest.approx([100.0, 50.0, 25.0, 0.0])
    assert levels["England within service: admissions, % of level 1"].tolist() == pytest.approx([100, 50, 25, 0])


def test_providers_as_alike_as_chance_allows_save_nothing(params):
    # the two providers' level mixes closer together: LON-P01 11/8/10/11 and NW-P01 9/8/10/13. At level 1 the shares
    # 0.275 and 0.225 are 0.025 either side of England's 0.25: Q = 2 x 0.025^2 / (0.25 x 0.75 / 40) = 0.27, chance
    geo = load_geography()
    alike = pd.DataFrame(assessments("LON-P01", {1: (11, 11), 2: (8, 4), 3: (10, 2), 4: (11, 0)}, 0)
                         + assessments("NW-P01", {1: (9, 9), 2: (8, 4), 3: (10, 3), 4: (13, 0)}, 100))
    eng = registry.analyse_tables("patient_activation", {"patient_activation": alike}, geo.get("ENG"), FY, geo,
                                  params_=params)
    assert eng.opportunity.components[0].gross.as_dict() == {"low": 0.0, "moderate": 0.0, "high": 0.0}


def test_small_counts_are_kept_off_an_areas_rates(params):
    # London has 8 patients at level 4 and 4 admissions at level 2 (a small count): its rates by level are
    # left out, and its charts show England's
    geo = load_geography()
    lon = registry.analyse_tables("patient_activation", {"patient_activation": small_table()}, geo.get("LON"), FY, geo,
                                  params_=params)
    levels = lon.tables["levels"].frame.set_index("Activation level")
    assert levels["Admissions per 100 patients a year"].isna().tolist() == [False, True, True, False]
    assert "England" in lon.charts["admissions"].title


def test_an_area_without_assessments_is_a_data_error(params):
    geo = load_geography()
    with pytest.raises(DataError, match="no PAM assessments for South West"):
        registry.analyse_tables("patient_activation", {"patient_activation": small_table()}, geo.get("SW"), FY, geo,
                                params_=params)


def test_a_year_without_assessments_is_a_data_error(params):
    geo = load_geography()
    with pytest.raises(DataError, match="no PAM assessments in 2016/17"):
        registry.analyse_tables("patient_activation", {"patient_activation": small_table()}, geo.get("ENG"),
                                Period.financial_year("2016/17"), geo, params_=params)
