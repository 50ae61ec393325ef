"""Scheme 1, immunoglobulin dose regimen for ITP: the saving of each year's activity, the years table, the headline
year. (The dose bands and the saving's arithmetic are tested in test_schemes.py.)"""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.geography import load_geography
from ivanalysis.schemes import immunoglobulin_itp as itp

pytestmark = pytest.mark.unit


def episodes(provider: str, date: str, at_1gkg: int, above: int, excess_g: float = 70.0) -> pd.DataFrame:
    """`at_1gkg` episodes at 1 g/kg and `above` episodes `excess_g` grams above it, at `provider` on `date`."""
    return pd.DataFrame({"provider_code": provider, "treatment_date": pd.Timestamp(date),
                         "at_1gkg": [True] * at_1gkg + [False] * above,
                         "excess_g": [0.0] * at_1gkg + [excess_g] * above,
                         "band": pd.Categorical([itp.BANDS[0]] * at_1gkg + [itp.BANDS[1]] * above,
                                                categories=itp.BANDS)})


@pytest.fixture
def two_years() -> pd.DataFrame:
    return pd.concat([
        episodes("A", "2016-06-01", 5, 5),  # 2016/17: A at 50%
        episodes("B", "2016-06-01", 9, 1, excess_g=100.0),  # 2016/17: B at 90%, above the target
        episodes("A", "2017-06-01", 7, 3),  # 2017/18: A at 70%
    ], ignore_index=True)


def test_the_saving_of_each_years_activity_at_the_target(two_years):
    # 2016/17: A moves 0.8 x 10 - 5 = 3 episodes x 70 g = 210 g x £34 = £7,140; B is above 80% and saves nothing
    # (not netted off against A). 2017/18: A moves 0.8 x 10 - 7 = 1 episode x 70 g = 70 g x £34 = £2,380.
    out = itp.savings_by_year(two_years, 0.80, 34.0)
    assert out.to_dict() == pytest.approx({"2016/17": 7_140.0, "2017/18": 2_380.0})


def test_the_years_table_shows_each_years_saving_beside_its_bands(two_years):
    area = load_geography().england
    table = itp.years_table(two_years, area, 0.80, 34.0)
    years = table.frame.set_index("Financial year")
    assert years.loc["2016/17", "Episodes"] == 20 and years.loc["2017/18", "Episodes"] == 10
    assert years[itp.SAVING_AT_TARGET].tolist() == pytest.approx([7_140.0, 2_380.0])
    assert itp.SAVING_AT_TARGET in table.money
    assert "2016/17 activity" in table.caption


def test_the_headline_year_is_the_latest_complete_year_of_the_data():
    # the synthetic data run from April 2015 to March 2018: 2017/18 is the latest complete financial year
    assert load_scheme_params("immunoglobulin_itp", itp.ASSUMPTIONS).period == "2017/18"
