"""Scheme 13, avoiding term admissions into neonatal units (ATAIN): the arithmetic against hand-checked figures."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import atain_neonatal as atain
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit

PRICES = (1300.0, 900.0, 550.0)  # intensive, high dependency, special care: the moderate prices
THIRTY = dict.fromkeys(atain.KEY_REASONS, 0.30)  # NHS Improvement's 30% for every key reason


def admissions(rows: list[tuple]) -> pd.DataFrame:
    """(provider, date, gestation, reason, intensive, high dependency, special care, avoidable) per admission."""
    df = pd.DataFrame(rows, columns=["provider_code", "admission_date", "gestation_weeks", "primary_reason",
                                     "cot_days_intensive", "cot_days_high_dependency", "cot_days_special_care",
                                     "avoidable"])
    df["admission_date"] = pd.to_datetime(df["admission_date"])
    df.insert(0, "admission_id", [f"NA{i}" for i in range(len(df))])
    df.insert(2, "baby_id", [f"NB{i}" for i in range(len(df))])
    return df


def births(counts: dict[tuple[str, str], int]) -> pd.DataFrame:
    """{(provider, date): live births on that date}."""
    rows = [(p, d) for (p, d), n in counts.items() for _ in range(n)]
    df = pd.DataFrame(rows, columns=["provider_code", "birth_date"])
    df["birth_date"] = pd.to_datetime(df["birth_date"])
    df["gestation_weeks"] = 39
    df.insert(0, "birth_id", [f"B{i}" for i in range(len(df))])
    return df


def test_term_is_37_weeks_or_more():
    assert atain.is_term(pd.Series([36, 37, 42])).tolist() == [False, True, True]


def test_cot_day_cost_prices_each_level_of_care():
    # 2 intensive + 1 high dependency + 3 special care days: 2 x 1,300 + 900 + 3 x 550 = 5,150
    adm = pd.DataFrame({"cot_days_intensive": [2], "cot_days_high_dependency": [1], "cot_days_special_care": [3]})
    assert atain.cot_day_cost(adm, PRICES).iloc[0] == pytest.approx(5_150)
    assert atain.cot_days(adm).iloc[0] == 6


def test_menu_3m_pounds_for_avoidable_hypoglycaemia_admissions():
    # The Menu: 30% of term hypoglycaemia admissions are avoidable, about 3 m pounds a year. With 48,150 term
    # admissions (60% of 80,251), 10% for hypoglycaemia = 4,815, each using on average 0.05 intensive, 0.3 high
    # dependency and 3.15 special care cot days: 0.05 x 1,300 + 0.3 x 900 + 3.15 x 550 = 2,067.50 pounds, and
    # 0.3 x 4,815 x 2,067.50 = 2,986,504 pounds: about 3 m.
    typical = pd.DataFrame({"cot_days_intensive": [0.05], "cot_days_high_dependency": [0.3],
                            "cot_days_special_care": [3.15]})
    per_admission = atain.cot_day_cost(typical, PRICES).iloc[0]
    assert per_admission == pytest.approx(2_067.50)
    assert 0.30 * 4_815 * per_admission == pytest.approx(2_986_504, abs=1)


def test_admissions_to_avoid_are_capped_at_the_benchmark():
    # 10,000 live births at 7% (700 term admissions), 126 of them avoidable; benchmark 4.9%:
    # above the benchmark 700 - 490 = 210, so all 126 avoidable admissions are avoided
    assert atain.admissions_to_avoid(0.07, 10_000, 0.049, 126) == pytest.approx(126)
    # at 5.2% (520): above the benchmark only 520 - 490 = 30, fewer than the 90 avoidable
    assert atain.admissions_to_avoid(0.052, 10_000, 0.049, 90) == pytest.approx(30)


def test_a_provider_at_or_below_the_benchmark_avoids_nothing():
    assert atain.admissions_to_avoid(0.045, 10_000, 0.049, 90) == 0.0  # 4.5%
    assert atain.admissions_to_avoid(0.049, 10_000, 0.049, 90) == 0.0  # exactly 4.9%


def reviewed(reason: str, yes: int, no: int) -> list[tuple]:
    return ([("A", "2017-06-01", 39, reason, 0, 0, 1, "yes")] * yes
            + [("A", "2017-06-01", 39, reason, 0, 0, 1, "no")] * no)


def test_each_key_reason_takes_its_reviews_share_when_reviewed_enough():
    # jaundice: 100 reviewed, 40 judged avoidable -> 40%; asphyxia: 99 reviewed (fewer than MIN_REVIEWS = 100),
    # hypoglycaemia: 5 not reviewed, respiratory: none -> NHS Improvement's 30% for those three; infection is not a
    # key reason and never has a share
    t = admissions(reviewed("jaundice", 40, 60) + reviewed("asphyxia", 10, 89) + reviewed("infection", 50, 50)
                   + [("A", "2017-06-01", 39, "hypoglycaemia", 0, 0, 1, "not_reviewed")] * 5)
    out = atain.avoidable_shares(t, 0.30)
    assert list(out.index) == list(atain.KEY_REASONS)
    assert out["reviewed"].to_dict() == {"hypoglycaemia": 0, "jaundice": 100, "respiratory": 0, "asphyxia": 99}
    assert out["judged_avoidable"].to_dict() == {"hypoglycaemia": 0, "jaundice": 40, "respiratory": 0,
                                                 "asphyxia": 10}
    assert out["share"].to_dict() == pytest.approx({"hypoglycaemia": 0.30, "jaundice": 0.40, "respiratory": 0.30,
                                                    "asphyxia": 0.30})
    assert out["from_reviews"].to_dict() == {"hypoglycaemia": False, "jaundice": True, "respiratory": False,
                                             "asphyxia": False}


def test_scenario_shares_scale_each_reason_as_the_published_share_scales():
    # the published share is 20%, 30%, 40%: low is two thirds of moderate and high four thirds.
    # jaundice at 45% (its reviews): 30% low, 60% high; asphyxia at 12%: 8% and 16%; a share of 90%: high capped at 1
    a = load_scheme_params("atain_neonatal", atain.ASSUMPTIONS).assumptions
    shares = pd.DataFrame({"share": [0.45, 0.12, 0.90]}, index=["jaundice", "asphyxia", "hypoglycaemia"])
    out = atain.scenario_shares(shares, a)
    assert out["low"] == pytest.approx({"jaundice": 0.30, "asphyxia": 0.08, "hypoglycaemia": 0.60})
    assert out["moderate"] == pytest.approx({"jaundice": 0.45, "asphyxia": 0.12, "hypoglycaemia": 0.90})
    assert out["high"] == pytest.approx({"jaundice": 0.60, "asphyxia": 0.16, "hypoglycaemia": 1.0})


def test_rates_are_shrunk_all_the_way_when_providers_differ_no_more_than_chance():
    # 100 births each, 8 and 3 term admissions: pooled 11 / 200 = 5.5%, chance variance 0.055 x 0.945 / 100 =
    # 0.00052; Cochran's Q = (0.025^2 + 0.025^2) / 0.00052 = 2.40 on 1 degree of freedom, p = 0.12: not beyond
    # chance at 5%, so both providers' rates are taken to be 5.5%
    t = admissions([("A", "2017-06-01", 39, "jaundice", 0, 0, 1, "not_reviewed")] * 8
                   + [("B", "2017-06-01", 39, "jaundice", 0, 0, 1, "not_reviewed")] * 3)
    out = atain.shrunk_rates(t, pd.Series({"A": 100, "B": 100}))
    assert out.to_dict() == pytest.approx({"A": 0.055, "B": 0.055})


def test_rates_that_differ_beyond_chance_are_shrunk_by_their_reliability():
    # 20 and 3 of 100: pooled 11.5%, chance variance 0.115 x 0.885 / 100 = 0.0010178, Q = 2 x 0.085^2 / 0.0010178
    # = 14.2 (p < 0.001); between-provider variance (14.2 - 1) / (1965 - 982.5) = 0.01344, so the prior's weight
    # M = 0.1018 / 0.01344 - 1 = 6.574: A (20 + 0.115 x 6.574) / 106.574 = 19.48%, B (3 + 0.756) / 106.574 = 3.52%
    t = admissions([("A", "2017-06-01", 39, "jaundice", 0, 0, 1, "not_reviewed")] * 20
                   + [("B", "2017-06-01", 39, "jaundice", 0, 0, 1, "not_reviewed")] * 3)
    out = atain.shrunk_rates(t, pd.Series({"A": 100, "B": 100}))
    assert out.to_dict() == pytest.approx({"A": 0.19476, "B": 0.03524}, abs=1e-4)


def test_per_birth_frame_flags_one_birth_per_term_admission():
    # provider X, May 2017: 10 births and 3 term admissions -> 10 rows, 3 flagged (30%);
    # provider Y: 4 births and 6 term admissions -> capped at the 4 births
    b = births({("X", "2017-05-03"): 6, ("X", "2017-05-20"): 4, ("Y", "2017-05-09"): 4})
    t = admissions([("X", "2017-05-04", 39, "jaundice", 0, 0, 2, "not_reviewed")] * 3
                   + [("Y", "2017-05-10", 40, "respiratory", 0, 1, 2, "not_reviewed")] * 6)
    frame = atain.per_birth_frame(t, b)
    by = frame.groupby("provider_code")["term_admission"].agg(["sum", "size"])
    assert by.loc["X"].tolist() == [3, 10]
    assert by.loc["Y"].tolist() == [4, 4]
    assert (frame["month"] == pd.Timestamp("2017-05-01")).all()


def test_provider_opportunity_uses_each_providers_typical_key_admission():
    # Provider A: 100 births, 8 term admissions (8%): 4 hypoglycaemia (special care 3 days each, 1,650 pounds) and
    # 4 infection (not a key reason). Benchmark 4.9%: above by 8 - 4.9 = 3.1; avoidable 0.3 x 4 = 1.2 -> 1.2 avoided,
    # releasing 1.2 x 3 = 3.6 cot days worth 1.2 x 1,650 = 1,980 pounds.
    # Provider B: 100 births, 4 term admissions (4%): below the benchmark, nothing.
    t = admissions([("A", "2017-06-01", 39, "hypoglycaemia", 0, 0, 3, "not_reviewed")] * 4
                   + [("A", "2017-06-01", 39, "infection", 0, 0, 7, "not_reviewed")] * 4
                   + [("B", "2017-06-01", 39, "respiratory", 1, 1, 1, "not_reviewed")] * 4)
    out = atain.provider_opportunity(t, pd.Series({"A": 100, "B": 100}), 0.049, THIRTY, PRICES)
    assert out.loc["A", "avoided"] == pytest.approx(1.2)
    assert out.loc["A", "days_released"] == pytest.approx(3.6)
    assert out.loc["A", "saving"] == pytest.approx(1_980)
    assert out.loc["B", ["avoided", "days_released", "saving"]].tolist() == [0.0, 0.0, 0.0]


def test_each_reason_counts_at_its_own_avoidable_share():
    # Provider A: 1,000 births at 10% (rate given), so 100 - 49 = 51 admissions above the benchmark. 10 asphyxia
    # admissions of 2 intensive days (2,600 pounds each) at 10% avoidable, 10 jaundice of 2 special care days (1,100
    # pounds each) at 50%: 1 + 5 = 6 avoidable, all avoided; 0.1 x 10 x 2 + 0.5 x 10 x 2 = 12 cot days,
    # 0.1 x 26,000 + 0.5 x 11,000 = 8,100 pounds (at 30% for both it would be 6 admissions and 11,100 pounds)
    t = admissions([("A", "2017-06-01", 40, "asphyxia", 2, 0, 0, "not_reviewed")] * 10
                   + [("A", "2017-06-01", 39, "jaundice", 0, 0, 2, "not_reviewed")] * 10)
    shares = {**THIRTY, "asphyxia": 0.10, "jaundice": 0.50}
    out = atain.provider_opportunity(t, pd.Series({"A": 1000}), 0.049, shares, PRICES, pd.Series({"A": 0.10}))
    assert out.loc["A", ["avoidable", "avoided", "days_released", "saving"]].tolist() == pytest.approx(
        [6, 6, 12, 8_100])
    # with 100 births at 7.9%: only 7.9 - 4.9 = 3 above the benchmark, half the 6 avoidable: each reason's avoided
    # admissions are halved, 6 cot days and 4,050 pounds
    out = atain.provider_opportunity(t, pd.Series({"A": 100}), 0.049, shares, PRICES, pd.Series({"A": 0.079}))
    assert out.loc["A", ["avoided", "days_released", "saving"]].tolist() == pytest.approx([3, 6, 4_050])


def test_the_rate_compared_with_the_benchmark_is_the_one_given():
    # Provider A observed at 8% but taken (beyond chance) to be at 4.5%, below the 4.9% benchmark: nothing counts
    t = admissions([("A", "2017-06-01", 39, "hypoglycaemia", 0, 0, 3, "not_reviewed")] * 8)
    out = atain.provider_opportunity(t, pd.Series({"A": 100}), 0.049, THIRTY, PRICES, pd.Series({"A": 0.045}))
    assert out.loc["A", ["rate", "avoided", "saving"]].tolist() == [0.045, 0.0, 0.0]
    # without rates, the observed 8% counts: min(8 - 4.9, 0.3 x 8) = 2.4 avoided
    out = atain.provider_opportunity(t, pd.Series({"A": 100}), 0.049, THIRTY, PRICES)
    assert out.loc["A", "avoided"] == pytest.approx(2.4)


def test_opportunity_in_each_scenario_at_its_own_benchmark_share_and_prices():
    # Provider A: 100 births, 8 term admissions, 4 of them hypoglycaemia with 3 special care days each.
    # low: benchmark 5.5%, 20% avoidable: min(8 - 5.5, 0.2 x 4) = 0.8 avoided x 3 days x 450 = 1,080 pounds;
    # moderate: 4.9%, 30%: min(3.1, 1.2) = 1.2 x 3 x 550 = 1,980;
    # high: 4.1%, 40%: min(3.9, 1.6) = 1.6 x 3 x 650 = 3,120
    t = admissions([("A", "2017-06-01", 39, "hypoglycaemia", 0, 0, 3, "not_reviewed")] * 4
                   + [("A", "2017-06-01", 39, "infection", 0, 0, 7, "not_reviewed")] * 4)
    a = load_scheme_params("atain_neonatal", atain.ASSUMPTIONS).assumptions
    assert atain.scenario_prices(a)["moderate"] == PRICES
    shares = atain.avoidable_shares(t, 0.30)  # no reviews: NHS Improvement's 20%, 30%, 40% for every reason
    opp = atain.opportunity(t, pd.Series({"A": 100}), a, shares)
    assert {s: opp[s].loc["A", "avoided"] for s in opp} == pytest.approx({"low": 0.8, "moderate": 1.2, "high": 1.6})
    assert {s: opp[s].loc["A", "saving"] for s in opp} == pytest.approx({"low": 1_080, "moderate": 1_980,
                                                                         "high": 3_120})


def test_reason_table_shares_reviews_and_the_avoidable_cost():
    # 4 term admissions: 2 jaundice (both reviewed, 1 avoidable; 2 special care days each, 1,100 pounds each),
    # 1 hypoglycaemia (not reviewed), 1 respiratory (reviewed, not avoidable)
    t = admissions([("A", "2017-06-01", 39, "jaundice", 0, 0, 2, "yes"),
                    ("A", "2017-06-02", 38, "jaundice", 0, 0, 2, "no"),
                    ("A", "2017-06-03", 40, "hypoglycaemia", 0, 0, 3, "not_reviewed"),
                    ("A", "2017-06-04", 41, "respiratory", 0, 2, 2, "no")])
    out = atain.reason_table(t, PRICES, {**THIRTY, "respiratory": 0.10}).set_index("Reason")
    assert out.loc["Jaundice", "Share of term admissions"] == pytest.approx(0.5)
    assert out.loc["Jaundice", "Share judged avoidable"] == pytest.approx(0.5)
    assert out.loc["Jaundice", "Cot days per admission"] == pytest.approx(2.0)
    # 0.3 x (2 x 2 x 550) = 660 pounds
    assert out.loc["Jaundice", "Cost of the avoidable share"] == pytest.approx(660)
    # respiratory at its own 10%: 0.1 x (2 x 900 + 2 x 550) = 290 pounds
    assert out.loc["Respiratory", "Cost of the avoidable share"] == pytest.approx(290)
    assert np.isnan(out.loc["Infection", "Cost of the avoidable share"])  # not a key reason: the saving leaves it out
    assert np.isnan(out.loc["Hypoglycaemia", "Share judged avoidable"])  # none reviewed: no share, not 0%
    assert out.loc["Infection", "Term admissions"] == 0
    assert "Prematurity" not in out.index  # not a reason a term baby is admitted for


# --- analyse on a small hand-built table ---------------------------------------------------------------------------
@pytest.fixture
def small():
    """Two London providers in May and June 2017: LON-P01 with 100 births and 8 term admissions (over the
    benchmark), LON-P02 with 100 births and 3 (under it), and a preterm admission that never counts."""
    adm = admissions([("LON-P01", "2017-05-10", 39, "hypoglycaemia", 0, 0, 3, "yes")] * 4
                     + [("LON-P01", "2017-05-11", 40, "infection", 0, 0, 5, "no")] * 4
                     + [("LON-P02", "2017-05-12", 38, "jaundice", 0, 0, 2, "not_reviewed")] * 3
                     + [("LON-P02", "2017-05-12", 30, "prematurity", 10, 10, 20, "not_reviewed")])
    b = births({("LON-P01", "2017-05-01"): 50, ("LON-P01", "2017-06-01"): 50, ("LON-P02", "2017-05-02"): 50,
                ("LON-P02", "2017-06-02"): 50})
    params = load_scheme_params("atain_neonatal", atain.ASSUMPTIONS)
    return {"neonatal_admissions": adm, "births": b}, params


def test_analyse_counts_only_the_gap_beyond_chance(small):
    tables, params = small
    geo = load_geography()
    r = registry.analyse_tables("atain_neonatal", tables, geo.get("LON"), Period.financial_year("2017/18"),
                                geo, params_=params)
    # 8% and 3% of 100 births differ no more than chance (test_rates_are_shrunk_all_the_way_...): both providers are
    # taken to be at the pooled 5.5%, 0.6 admissions above the 4.9% benchmark. Too few reviews: 30% avoidable.
    # LON-P01: min(0.6, 0.3 x 4) = 0.6 hypoglycaemia admissions of 3 special care days (1,650 pounds): 990 pounds;
    # LON-P02: min(0.6, 0.3 x 3) = 0.6 jaundice admissions of 2 special care days (1,100 pounds): 660 pounds
    assert r.opportunity_gbp.moderate == pytest.approx(990 + 660)
    assert r.quantities[1].values.moderate == pytest.approx(0.6 * 3 + 0.6 * 2)
    # low: benchmark 5.5%, which the pooled rate does not exceed: nothing
    assert r.opportunity_gbp.low == 0.0
    prov = r.tables["providers"].frame.set_index("Provider")
    assert prov.loc["LON-P02", "Saving (moderate)"] == pytest.approx(660)
    assert prov.loc["LON-P02", "Term admissions per live birth beyond chance"] == pytest.approx(0.055)
    assert r.kpi("Term admissions as a share of live births").value == pytest.approx(11 / 200)
    assert r.kpi("Admissions of babies born at term").value == pytest.approx(11 / 12)
    assert r.kpi("Reviewed term admissions judged avoidable").value == pytest.approx(0.5)  # 4 of 8 reviewed
    assert r.scenario_table.loc["Saving", "moderate"] == pytest.approx(1_650)
    assert r.scenario_table.loc["Asphyxia (HIE): avoidable share used (NHS Improvement)", "high"] == 0.40


def test_analyse_refuses_an_area_without_data(small):
    tables, params = small
    geo = load_geography()
    with pytest.raises(DataError, match="no admissions to neonatal units for North West"):
        registry.analyse_tables("atain_neonatal", tables, geo.get("NW"), Period.financial_year("2017/18"),
                                geo, params_=params)


def test_analyse_refuses_a_period_without_data(small):
    tables, params = small
    geo = load_geography()
    with pytest.raises(DataError, match="no admissions to neonatal units in 2015/16"):
        registry.analyse_tables("atain_neonatal", tables, geo.get("LON"), Period.financial_year("2015/16"),
                                geo, params_=params)
