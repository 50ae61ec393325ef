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

FY = Period.financial_year("2016/17")


def test_pam_levels_follow_the_published_bands():
    # level 1 up to 47.0, level 2 47.1-55.1, level 3 55.2-67.0, level 4 from 67.1
    scores = [0.0, 47.0, 47.1, 55.1, 55.2, 67.0, 67.1, 100.0]
    assert pam_level_of(scores).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]


def test_first_assessment_of_each_patient_in_each_year():
    df = pd.DataFrame({"assessment_id": ["a1", "a2", "a3", "a4"], "patient_id": ["p", "p", "p", "q"],
                       "assessment_date": pd.to_datetime(["2016-05-01", "2016-12-01", "2017-05-01", "2017-03-31"])})
    # p's second assessment in 2016/17 is left out (its follow-up would overlap the first); 2017/18 starts again
    assert pa.first_in_year(df)["assessment_id"].tolist() == ["a1", "a3", "a4"]


def rates(adm, ae):
    return pd.DataFrame({"admission_rate": adm, "ae_rate": ae}, index=list(pa.LEVELS))


def test_step_values_price_the_fall_in_unplanned_care():
    # admissions a year 1.0, 0.8, 0.6, 0.5 and A&E 1.2, 1.0, 0.8, 0.7, at £1,600 and £150:
    # level costs 1,780, 1,430, 1,080, 905, so moving up from level 1, 2, 3 saves 350, 350 and 175 a year
    steps = pa.step_values(rates([1.0, 0.8, 0.6, 0.5], [1.2, 1.0, 0.8, 0.7]), 1_600, 150)
    assert steps == pytest.approx([350.0, 350.0, 175.0])
    # a higher level that happens to use more care is not a negative saving
    assert pa.step_values(rates([1.0, 1.1, 0.6, 0.5], [0, 0, 0, 0]), 1_000, 150) == pytest.approx([0.0, 500.0, 100.0])


def test_one_level_moves_bring_the_mix_to_the_benchmark():
    # 100 patients: 30, 20, 30, 20 at levels 1-4, so 30, 50 and 80 at or below levels 1, 2, 3. A benchmark of
    # 20%, 40% and 75% needs 10 moves across 1|2, 10 across 2|3 and 5 across 3|4
    moves = pa.one_level_moves(np.array([30.0, 20.0, 30.0, 20.0]), np.array([0.20, 0.40, 0.75]))
    assert moves == pytest.approx([10.0, 10.0, 5.0])
    # a provider already better than the benchmark at every boundary needs none
    assert pa.one_level_moves(np.array([10.0, 20.0, 40.0, 30.0]), np.array([0.20, 0.40, 0.75])).sum() == 0.0


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


def test_benchmark_is_the_chosen_percentile_of_providers():
    # three providers of 20+ patients with 10%, 30%, 50% at level 1: the best quarter's share is the 25th
    # percentile, 20%; a tiny provider (5 patients) does not set the benchmark
    counts = pd.DataFrame({1: [2, 6, 10, 5], 2: [8, 4, 2, 0], 3: [5, 5, 4, 0], 4: [5, 5, 4, 0]},
                          index=["A", "B", "C", "tiny"])
    bench = pa.benchmark_cumulative(counts, 0.75)
    assert bench[0] == pytest.approx(0.20)
    assert pa.benchmark_cumulative(counts, 0.50)[0] == pytest.approx(0.30)


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


def test_scenario_savings_value_moves_at_englands_unplanned_care(params):
    # the small table's LON-P01 (16/8/8/8) against benchmark shares 0.175, 0.375, 0.65: 9, 9 and 6 moves (the
    # moderate figures of test_analyse_counts_only_the_provider_worse_than_the_benchmark), whatever the scenario
    first = pa.first_assessments(small_table())
    counts = pa.level_counts(first)
    bench = {s: np.array([0.175, 0.375, 0.65]) for s in ("low", "moderate", "high")}
    out = pa.scenario_savings(counts.loc[["LON-P01"]], pa.rates_by_level(first), bench, params)
    assert [out[s].loc["LON-P01", "moves"] for s in ("low", "moderate", "high")] == pytest.approx([24.0] * 3)
    assert out["moderate"].loc["LON-P01", "gross"] == pytest.approx(13_200)


def assessments(provider: str, per_level: dict[int, tuple[int, int]], start: int) -> list[dict]:
    """`per_level`: level -> (patients, how many of them had one unplanned admission)."""
    rows, i = [], start
    for level, (n, admitted) in per_level.items():
        for k in range(n):
            rows.append({"assessment_id": f"A{i}", "provider_code": provider, "patient_id": f"P{i}",
                         "assessment_date": pd.Timestamp(2016, 4 + i % 9, 1), "service": "renal",
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
    # cumulative shares: LON-P01 0.4, 0.6, 0.8; NW-P01 0.1, 0.3, 0.6. The best quarter (moderate) of the two is
    # 0.1 + 0.25 x 0.3 = 0.175, 0.3 + 0.25 x 0.3 = 0.375, 0.6 + 0.25 x 0.2 = 0.65.
    # LON-P01 moves (0.4 - 0.175) x 40 = 9, (0.6 - 0.375) x 40 = 9, (0.8 - 0.65) x 40 = 6: 24 moves.
    # Steps at £1,600 an admission: 0.5 x 1,600 = 800, 0.25 x 1,600 = 400, 0.25 x 1,600 = 400.
    # Gross 9 x 800 + 9 x 400 + 6 x 400 = 13,200; 24 / 0.4 = 60 offered x £150 / 2 years = 4,500; licences
    # 40 x £3 = 120; net 13,200 - 4,620 = 8,580
    assert prov.loc["LON-P01", "One-level moves (moderate)"] == pytest.approx(24.0)
    assert prov.loc["LON-P01", "Gross saving (moderate)"] == pytest.approx(13_200)
    assert prov.loc["LON-P01", "Saving (moderate)"] == pytest.approx(8_580)
    assert prov.loc["NW-P01", "Saving (moderate)"] == 0.0  # better than the benchmark at every boundary
    (care,) = eng.opportunity.components  # unplanned admissions and A&E: ICBs'/CCGs' cash, net of the costs
    assert (care.kind, care.payer, care.in_totals) == ("cash_releasing", "icb_ccg", False)
    assert (care.gross.moderate, care.implementation_cost.moderate) == pytest.approx((13_200, 4_620))
    assert care.net.moderate == pytest.approx(8_580)
    assert eng.opportunity_gbp.moderate == 0.0
    assert eng.kpi("Patients at activation level 3 or 4").target == pytest.approx(1 - 0.375)
    lon = registry.analyse_tables("patient_activation", tables, geo.get("LON"), FY, geo, params_=params)
    nw = registry.analyse_tables("patient_activation", tables, geo.get("NW"), FY, geo, params_=params)
    net = lambda r: r.opportunity.components[0].net.moderate  # noqa: E731
    assert net(lon) + net(nw) == pytest.approx(net(eng))
    levels = eng.tables["levels"].frame.set_index("Activation level")
    assert levels["Admissions per 100 patients a year"].tolist() == pytest.approx([100.0, 50.0, 25.0, 0.0])


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
    with pytest.raises(DataError, match="no PAM assessments in 2017/18"):
        registry.analyse_tables("patient_activation", {"patient_activation": small_table()}, geo.get("ENG"),
                                Period.financial_year("2017/18"), geo, params_=params)
