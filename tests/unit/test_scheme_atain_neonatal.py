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
    # 10,000 live births, 700 term admissions (7%), 420 for the four key reasons; benchmark 4.9%:
    # above the benchmark 700 - 490 = 210; avoidable 0.3 x 420 = 126: 126 admissions avoided
    assert atain.admissions_to_avoid(700, 420, 10_000, 0.049, 0.30) == pytest.approx(126)
    # 520 term admissions (5.2%), 300 key: above the benchmark only 520 - 490 = 30, fewer than 0.3 x 300 = 90
    assert atain.admissions_to_avoid(520, 300, 10_000, 0.049, 0.30) == pytest.approx(30)


def test_a_provider_at_or_below_the_benchmark_avoids_nothing():
    assert atain.admissions_to_avoid(450, 300, 10_000, 0.049, 0.30) == 0.0  # 4.5%
    assert atain.admissions_to_avoid(490, 300, 10_000, 0.049, 0.30) == 0.0  # exactly 4.9%


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
    out = atain.provider_opportunity(t, pd.Series({"A": 100, "B": 100}), 0.049, 0.30, PRICES)
    assert out.loc["A", "avoided"] == pytest.approx(1.2)
    assert out.loc["A", "days_released"] == pytest.approx(3.6)
    assert out.loc["A", "saving"] == pytest.approx(1_980)
    assert out.loc["B", ["avoided", "days_released", "saving"]].tolist() == [0.0, 0.0, 0.0]


def test_opportunity_in_each_scenario_at_its_own_benchmark_share_and_prices():
    # Provider A: 100 births, 8 term admissions, 4 of them hypoglycaemia with 3 special care days each.
    # low: benchmark 5.5%, 20% avoidable: min(8 - 5.5, 0.2 x 4) = 0.8 avoided x 3 days x 450 = 1,080 pounds;
    # moderate: 4.9%, 30%: min(3.1, 1.2) = 1.2 x 3 x 550 = 1,980;
    # high: 4.1%, 40%: min(3.9, 1.6) = 1.6 x 3 x 650 = 3,120
    t = admissions([("A", "2017-06-01", 39, "hypoglycaemia", 0, 0, 3, "not_reviewed")] * 4
                   + [("A", "2017-06-01", 39, "infection", 0, 0, 7, "not_reviewed")] * 4)
    a = load_scheme_params("atain_neonatal", atain.ASSUMPTIONS).assumptions
    assert atain.scenario_prices(a)["moderate"] == PRICES
    opp = atain.opportunity(t, pd.Series({"A": 100}), a)
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
    out = atain.reason_table(t, PRICES, 0.30).set_index("Reason")
    assert out.loc["Jaundice", "Share of term admissions"] == pytest.approx(0.5)
    assert out.loc["Jaundice", "Share judged avoidable"] == pytest.approx(0.5)
    assert out.loc["Jaundice", "Cot days per admission"] == pytest.approx(2.0)
    # 0.3 x (2 x 2 x 550) = 660 pounds
    assert out.loc["Jaundice", "Cost of the avoidable share"] == pytest.approx(660)
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


def test_analyse_counts_only_the_provider_above_the_benchmark(small):
    tables, params = small
    geo = load_geography()
    r = registry.analyse_tables("atain_neonatal", tables, geo.get("LON"), Period.financial_year("2017/18"),
                                geo, params_=params)
    # moderate: LON-P01 avoids min(8 - 4.9, 0.3 x 4) = 1.2 hypoglycaemia admissions of 3 special care days
    # (1,650 pounds): 1.2 x 1,650 = 1,980 pounds; LON-P02 (3%) nothing
    assert r.opportunity_gbp.moderate == pytest.approx(1_980)
    assert r.quantities[1].values.moderate == pytest.approx(3.6)
    # low: benchmark 5.5%, 20% avoidable: min(2.5, 0.8) = 0.8 x 3 x 450 = 1,080 pounds
    assert r.opportunity_gbp.low == pytest.approx(1_080)
    prov = r.tables["providers"].frame.set_index("Provider")
    assert prov.loc["LON-P02", "Saving (moderate)"] == 0.0
    assert r.kpi("Term admissions as a share of live births").value == pytest.approx(11 / 200)
    assert r.kpi("Admissions of babies born at term").value == pytest.approx(11 / 12)
    assert r.kpi("Reviewed term admissions judged avoidable").value == pytest.approx(0.5)  # 4 of 8 reviewed
    assert r.scenario_table.loc["Saving", "moderate"] == pytest.approx(1_980)


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
