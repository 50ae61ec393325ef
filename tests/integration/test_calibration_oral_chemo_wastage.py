"""Scheme 9 on the default synthetic data: the Menu's Christie figures, and hubs adding up to England.

The Menu (chapter 9) publishes no national figure. It says a patient's supply is 'often in excess of 6,000 pounds'
and that the Christie's monthly instalments brought 'recurrent savings, for commissioners, of over 200,000 pounds'.
"""
from __future__ import annotations

import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.data.io import load_table
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import oral_chemo_wastage as ocw
from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration

# The module's tables, loaded once, named for the run cache: the national part (every provider in England) is
# computed once for England and the hubs, as a warm kernel does (test_national.py checks that this changes nothing).
KEPT = ("default data, loaded once by", __name__)


@pytest.fixture(scope="module")
def run(default_data):
    """analyse(area, period) on the default data, the table loaded (and validated) once."""
    geo = load_geography()
    tables = {"sact": load_table(default_data, "sact", geo)}
    params = load_scheme_params("oral_chemo_wastage", ocw.ASSUMPTIONS)

    def analyse(area: str = "ENG", period: str = params.period):
        return registry.analyse_tables("oral_chemo_wastage", tables, geo.get(area), Period.financial_year(period),
                                       geo, params_=params, data_identity=KEPT)
    return analyse


def test_supplies_of_more_than_a_month_are_often_worth_over_6000_pounds(run):
    r = run()
    assert r.kpi("Supplies of more than a month worth more than £6,000").value > 0.5  # 'often'
    # the Menu names sunitinib, everolimus and axitinib among the higher-cost drugs
    assert {"sunitinib", "everolimus", "axitinib"} <= set(r.tables["drugs"].frame["Drug"])
    assert "capecitabine" not in set(r.tables["drugs"].frame["Drug"])


def test_a_large_provider_saves_like_the_christie(run):
    # the Christie: recurrent savings of over 200,000 pounds a year; large providers supplying two or three months
    # at a time save of that order by moving to monthly instalments (moderate scenario)
    england = run()
    prov = england.tables["providers"].frame
    assert 200_000 < prov["Saving (moderate)"].max() < 1_000_000
    assert (prov["Saving (moderate)"] >= 0).all()
    # providers already close to the Christie model (almost no supply over a month) save little for what they spend
    christie_like = prov[prov["Share more than a month"] < 0.05]
    rate = england.opportunity_gbp.moderate / england.kpi("Spend on high-cost oral chemotherapy").value
    assert len(christie_like) > 0
    assert (christie_like["Saving (moderate)"] / christie_like["Spend"] < rate / 3).all()


def test_recipe_and_hubs_differ(run):
    england = run()
    t = england.scenario_table
    for s in ("low", "moderate", "high"):
        # the Menu's recipe: saving = current expenditure - future expenditure; the headline is net of the
        # telephone reviews and dispensings of the extra instalments
        current = t.loc["Current expenditure on high-cost oral chemotherapy", s]
        gross = current - t.loc["Future expenditure", s]
        assert gross == pytest.approx(t.loc["Gross saving", s])
        cost = t.loc["Cost of the telephone reviews and dispensings", s]
        assert 0 < cost < gross / 5  # a telephone review and a dispensing cost far less than the drug they save
        assert gross - cost == pytest.approx(england.opportunity_gbp.get(s))
    o = england.opportunity_gbp
    assert 0 < o.low < o.moderate < o.high
    assert 0.2 < t.loc["Reduction in wastage", "moderate"] < 0.5
    hubs = [run(h.code) for h in load_geography().hubs()]
    shares = [h.kpi("High-cost oral supplies of more than a month").value for h in hubs]
    assert max(shares) - min(shares) > 0.15  # hubs differ
