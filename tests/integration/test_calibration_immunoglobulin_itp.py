"""Scheme 1 on the default synthetic data. The generator is calibrated to the Menu's figures (chapter 1): the
2015/16 dose split, weight recorded for 96%, and a 2016/17 share at 1 g/kg at which the Menu's two savings for
2016/17 activity (5.6 m pounds at 80%, 2.5 m at 66%) agree. These tests check that calibration on 2016/17, then
what the page's headline year, 2017/18, gives."""
from __future__ import annotations

import pytest

from ivanalysis.data.io import load_table
from ivanalysis.schemes import immunoglobulin_itp as itp
from ivanalysis.schemes.registry import analyse

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def menu_year(default_data):
    return analyse("immunoglobulin_itp", "ENG", default_data, period="2016/17")


@pytest.fixture(scope="module")
def headline(default_data):
    return analyse("immunoglobulin_itp", "ENG", default_data)


def test_the_data_are_calibrated_to_the_menus_2015_16_split(headline):
    years = headline.tables["years"].frame.set_index("Financial year")
    # Menu ch. 1: in 2015/16, 30% of doses at 1 g/kg or less, 55% at 2 g/kg, 15% above
    assert years.loc["2015/16", "Share 1 g/kg or less"] == pytest.approx(0.30, abs=0.015)
    assert years.loc["2015/16", "Share 2 g/kg"] == pytest.approx(0.55, abs=0.015)
    assert years.loc["2015/16", "Share more than 2 g/kg"] == pytest.approx(0.15, abs=0.015)
    assert headline.kpi("Episodes with weight recorded").value == pytest.approx(0.96, abs=0.01)


def test_the_data_are_calibrated_to_the_menus_2016_17_savings_counted_nationally(menu_year, default_data):
    # The generator sets England's 2016/17 share at 1 g/kg to 54.7%, where 5.6 m at 80% and 2.5 m at 66% agree:
    # (0.80 - s) / (0.66 - s) = 5.6 / 2.5 gives s = 0.547. Counted as the Menu counts, England as one unit (netted),
    # the data give about those figures.
    assert menu_year.kpi("Episodes at 1 g/kg or less").value == pytest.approx(0.547, abs=0.015)
    eps = itp.itp_episodes(load_table(default_data, "immunoglobulin"), 0.10)
    year = eps[eps["weighed"] & menu_year.period.mask(eps["treatment_date"])].assign(provider_code="ENG")
    national = {t: itp.provider_savings(year, t).loc["ENG", "grams_saved"] * 34.0 for t in (0.80, 0.66)}
    assert national[0.80] == pytest.approx(5.6e6, rel=0.05)
    assert national[0.66] == pytest.approx(2.5e6, rel=0.10)


def test_counted_provider_by_provider_the_2016_17_figures_are_at_least_the_menus(menu_year):
    # This book never nets a provider above the target off against one below it, so its figures are at least the
    # national ones: about 5.8 m at 80% (the Menu's 5.6 m) and 3.2 m at 66% (above the Menu's 2.5 m, since many
    # providers were already above 66% in 2016/17).
    assert menu_year.opportunity_gbp.moderate == pytest.approx(5.8e6, rel=0.05)
    assert 2.5e6 < menu_year.opportunity_gbp.low < 4.0e6


def test_the_headline_is_2017_18_and_over_half_of_the_2016_17_saving_was_realised_by_then(headline, menu_year):
    assert headline.period.label == "2017/18" and headline.opportunity.year == "2017/18"
    assert headline.opportunity_gbp.moderate == pytest.approx(2.4e6, rel=0.05)
    assert headline.opportunity_gbp.moderate < 0.5 * menu_year.opportunity_gbp.moderate
    # the years table gives both years' savings beside each other; the 2017/18 row is the headline
    years = headline.tables["years"].frame.set_index("Financial year")[itp.SAVING_AT_TARGET]
    assert years["2017/18"] == pytest.approx(headline.opportunity_gbp.moderate)
    assert years["2016/17"] == pytest.approx(menu_year.opportunity_gbp.moderate)
