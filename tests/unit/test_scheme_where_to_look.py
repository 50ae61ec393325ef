"""Scheme 20, Where to Look packs: similar peers (RightCare), the activity / cost decomposition and the opportunity
against the best peers, on hand-checked figures."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ivanalysis.config import GeographyFile, SchemeParams
from ivanalysis.errors import ConfigError, DataError
from ivanalysis.geography import Geography
from ivanalysis.results import Period, Range
from ivanalysis.schemes import registry
from ivanalysis.schemes import where_to_look as wtl

pytestmark = pytest.mark.unit

# Four areas, two variables. v1 = 0, 1, 2, 5: mean 2, sd sqrt(14 / 4) = sqrt(3.5); v2 = 10, 10, 14, 14: mean 12,
# sd 2, so z2 = -1, -1, 1, 1. Squared distances (a v1 difference d adds d^2 / 3.5, a v2 step adds 2^2 = 4):
#   W-X 1/3.5 = 0.2857   W-Y 4/3.5 + 4 = 5.1429   W-Z 25/3.5 + 4 = 11.1429
#   X-Y 1/3.5 + 4 = 4.2857   X-Z 16/3.5 + 4 = 8.5714   Y-Z 9/3.5 = 2.5714
# Nearest two: W -> X, Y; X -> W, Y; Y -> Z, X; Z -> Y, X.
VARIABLES = pd.DataFrame({"v1": [0.0, 1.0, 2.0, 5.0], "v2": [10.0, 10.0, 14.0, 14.0]}, index=["W", "X", "Y", "Z"])


def test_standardise_gives_z_scores_with_the_population_sd():
    z = wtl.standardise(VARIABLES)
    assert z["v1"].tolist() == pytest.approx([-2 / 3.5 ** 0.5, -1 / 3.5 ** 0.5, 0.0, 3 / 3.5 ** 0.5])
    assert z["v2"].tolist() == pytest.approx([-1.0, -1.0, 1.0, 1.0])


def test_a_variable_that_does_not_vary_is_dropped():
    z = wtl.standardise(VARIABLES.assign(v3=7.0))
    assert list(z.columns) == ["v1", "v2"]
    with pytest.raises(ConfigError, match="no demographic variable varies"):
        wtl.standardise(pd.DataFrame({"v": [1.0, 1.0]}, index=["a", "b"]))


def test_squared_distances_by_hand():
    d = wtl.squared_distances(wtl.standardise(VARIABLES))
    assert d.loc["W", "X"] == pytest.approx(1 / 3.5)
    assert d.loc["W", "Y"] == pytest.approx(4 / 3.5 + 4)
    assert d.loc["W", "Z"] == pytest.approx(25 / 3.5 + 4)
    assert d.loc["X", "Y"] == pytest.approx(1 / 3.5 + 4)
    assert d.loc["X", "Z"] == pytest.approx(16 / 3.5 + 4)
    assert d.loc["Y", "Z"] == pytest.approx(9 / 3.5)
    assert np.allclose(d, d.T) and np.allclose(np.diag(d), 0)


def test_nearest_peers_by_hand():
    peers = wtl.similar_peers(VARIABLES, n=2)
    got = peers.groupby("area")["peer"].apply(list).to_dict()
    assert got == {"W": ["X", "Y"], "X": ["W", "Y"], "Y": ["Z", "X"], "Z": ["Y", "X"]}
    assert peers.loc[(peers["area"] == "Y") & (peers["rank"] == 1), "distance"].item() == pytest.approx(9 / 3.5)
    assert (peers["area"] != peers["peer"]).all()  # an area is never its own peer


def test_ties_go_to_the_first_code_whatever_the_row_order():
    # B and C are equally far from A (1 either side)
    v = pd.DataFrame({"v": [0.0, 1.0, -1.0, 5.0]}, index=["A", "C", "B", "D"])
    assert wtl.similar_peers(v, n=1).set_index("area").loc["A", "peer"] == "B"
    assert wtl.similar_peers(v.iloc[::-1], n=1).set_index("area").loc["A", "peer"] == "B"


def test_more_peers_than_areas_is_refused():
    with pytest.raises(ConfigError, match="cannot choose 4 peers from 4 areas"):
        wtl.similar_peers(VARIABLES, n=4)


# --- the decomposition ------------------------------------------------------------------------------------------------
def test_decomposition_adds_up_and_names_the_driver():
    # 12 spells per 1,000 people at £10,000 = £120 a head against 10 per 1,000 at £9,000 = £90: £30 more.
    # activity part (0.012 - 0.010) x (10,000 + 9,000) / 2 = £19; cost part (10,000 - 9,000) x (0.012 + 0.010) / 2
    # = £11; together £30
    act, cost = wtl.decompose(0.012, 10_000, 0.010, 9_000)
    assert (float(act), float(cost)) == pytest.approx((19.0, 11.0))
    assert wtl.driver(float(act), float(cost)) == "both"
    # more spells but cheaper ones: £96 against £90; activity +£17, cost -£11
    act, cost = wtl.decompose(0.012, 8_000, 0.010, 9_000)
    assert (float(act), float(cost)) == pytest.approx((17.0, -11.0))
    assert wtl.driver(float(act), float(cost)) == "activity"
    assert wtl.driver(-2.0, 5.0) == "cost per case"
    assert wtl.driver(-5.0, 2.0) == "not higher"


def test_benchmark_is_the_average_of_the_lowest_spending_peers():
    rates = pd.DataFrame({"spend": [0.2, 0.1, 0.2, 0.1], "activity": [2e-4, 1e-4, 1e-4, 5e-5]},
                         index=["W", "X", "Y", "Z"])
    peers = wtl.similar_peers(VARIABLES, n=2)
    best = wtl.peer_benchmark(rates, peers, 1)
    # W's peers X (0.1) and Y (0.2): X; Y's peers Z and X both spend 0.1: X, the first code
    assert best.loc["W", "spend"] == pytest.approx(0.1) and best.loc["Y", "activity"] == pytest.approx(1e-4)
    both = wtl.peer_benchmark(rates, peers, 2)
    # W against the mean of X and Y: spend 0.15, activity 1e-4, so 0.15 / 1e-4 = £1,500 a spell
    assert both.loc["W", "spend"] == pytest.approx(0.15)
    assert both.loc["W", "cost"] == pytest.approx(1_500.0)


def test_a_geographys_cells_and_their_total_in_each_scenario():
    by_scenario = {s: pd.DataFrame({"area": ["W", "X", "Y"], "opportunity": [v, 2 * v, 4 * v]})
                   for s, v in (("low", 1.0), ("moderate", 10.0), ("high", 100.0))}
    hub = wtl.area_cells(by_scenario, ["W", "Y"])
    assert hub["moderate"]["area"].tolist() == ["W", "Y"]
    # W and Y: 1 + 4 = 5 times each scenario's unit
    assert Range.summed(hub, "opportunity").as_dict() == {"low": 5.0, "moderate": 50.0, "high": 500.0}


# --- a small geography through analyse --------------------------------------------------------------------------------
def small_geography() -> Geography:
    areas = [{"code": c, "hub": h, "population": 100_000, "demography": {"v1": v1, "v2": v2}}
             for c, h, v1, v2 in [("W", "H1", 0, 10), ("X", "H1", 1, 10), ("Y", "H2", 2, 14), ("Z", "H2", 5, 14)]]
    return Geography(GeographyFile.model_validate({
        "england": {"code": "ENG", "name": "England"}, "regions": [{"code": "R1", "name": "Region"}],
        "hubs": [{"code": "H1", "name": "Hub one", "region": "R1", "population": 200_000},
                 {"code": "H2", "name": "Hub two", "region": "R1", "population": 200_000}],
        "providers": [{"code": "P1", "hub": "H1"}, {"code": "P2", "hub": "H2"}],
        "areas": areas}))


def params(peers=2, low=2, moderate=1, high=1, confidence=(0.975, 0.5, 0.5)) -> SchemeParams:
    source = "Test assumptions, hand-checked in the comments"
    return SchemeParams.model_validate({
        "scheme": "where_to_look", "period": "2016/17", "headline": "Spend above the best peers, a test",
        "assumptions": {
            "peer_count": {"label": "peers", "unit": "count", "low": peers, "moderate": peers, "high": peers,
                           "source": source},
            "best_peers": {"label": "best", "unit": "count", "low": low, "moderate": moderate, "high": high,
                           "source": source},
            "gap_confidence": {"label": "confidence", "unit": "share", "low": confidence[0],
                               "moderate": confidence[1], "high": confidence[2], "source": source}}})


def spells(area: str, n: int, cost: float) -> pd.DataFrame:
    """n spells of specialised cancer care in 2016/17, one a month in turn, each costing `cost`."""
    dates = [pd.Timestamp(2016, 4, 1) + pd.DateOffset(months=i % 12) for i in range(n)]
    return pd.DataFrame({"area_code": area, "programme": "cancer", "start_date": dates, "cost_gbp": cost})


@pytest.fixture
def small_tables() -> dict[str, pd.DataFrame]:
    # spend per head: W 2,000 x £1,000 / 100,000 = £20; X 1,000 x £1,000 = £10; Y 1,000 x £2,000 = £20;
    # Z 500 x £2,000 = £10 (volumes large enough for the differences to be far beyond chance)
    df = pd.concat([spells("W", 2_000, 1_000.0), spells("X", 1_000, 1_000.0), spells("Y", 1_000, 2_000.0),
                    spells("Z", 500, 2_000.0)], ignore_index=True)
    df.insert(0, "spell_id", [f"S{i}" for i in range(len(df))])
    return {"area_spend": df}


FY = Period.financial_year("2016/17")
# Counting beyond chance on small_tables (where_to_look.beyond_chance), by hand. England spends £60 m on 400,000
# people: £15 a head; sum(cost^2) / sum(cost) = (2,000 + 1,000) x 1,000^2 + (1,000 + 500) x 2,000^2, over £6 m, =
# £1,500; so each area's chance variance of its spend per head is 15 x 1,500 / 100,000 = v = 0.225. Differences
# from the 2 peers' averages: W 20 - 15 = 5, X 10 - 20 = -10, Y 20 - 10 = 10, Z 10 - 15 = -5, each with chance
# variance v + 2 v / 4 = 1.5 v; Q = 250 / 1.5 v, far beyond chance; with equal weights the between variance is
# 250 / 3 - 1.5 v, and tau2 = that / (1 + 1/2) = 55.3306; every area's reliability B = tau2 / (tau2 + v) = 0.995950.
# With one reliability for all, every shrunk gap is B times the observed one.
TAU2 = (250 / 3 - 1.5 * 0.225) / 1.5
B = TAU2 / (TAU2 + 0.225)


def test_analyse_by_hand(small_tables):
    geo = small_geography()
    r = registry.analyse_tables("where_to_look", small_tables, geo.england, FY, geo, params_=params())
    # moderate, the best 1 of 2 peers: W (£20) against X (£10): £10 x 100,000 = £1 m observed, all activity
    # (2,000 against 1,000 spells, both at £1,000); X's best peer spends £20: nothing; Y (£20) against X (£10, the
    # first code of two at £10): £1 m, all cost per case (£2,000 a spell against £1,000); Z: nothing. Beyond chance:
    # B x £1 m each (B = 0.995950, above)
    (spend,) = r.opportunity.components  # specialised spend, but Where to Look overlaps the other schemes
    assert (spend.kind, spend.payer, spend.in_totals) == ("cash_releasing", "nhse_specialised", False)
    assert spend.why_not_in_totals.startswith("overlaps schemes 1, 8")
    assert spend.net.moderate == pytest.approx(2_000_000.0 * B)
    assert B == pytest.approx(0.995950, abs=1e-6)
    # low, the average of both peers, counting only the gap 97.5% likely to be real: W against the average of its
    # peers shrunk toward 15, 15 -/+ 5 B, = 15: shrunk gap 5 B; its standard deviation sqrt(B v + 2 B v / 2^2) =
    # sqrt(1.5 B v) = 0.579770, so 5 B - 1.959964 x 0.579770 = 3.843424 a head, £384,342; Y against 10 (Z and X
    # both at 10): 10 B - 1.136326 = 8.823174, £882,317
    sd = (1.5 * B * 0.225) ** 0.5
    assert spend.net.low == pytest.approx((15 * B - 2 * 1.959964 * sd) * 100_000)
    assert spend.net.low == pytest.approx(384_342 + 882_317, abs=2)
    assert spend.net.high == pytest.approx(2_000_000.0 * B)
    assert r.opportunity_gbp.high == 0.0  # never in the headline, nor in a hub's total
    s = r.scenario_table
    assert s.loc["of which due to activity", "moderate"] == pytest.approx(1_000_000.0 * B)
    assert s.loc["of which due to cost per case", "moderate"] == pytest.approx(1_000_000.0 * B)
    # the parts add up to the opportunity in every scenario (low: W's observed £500,000 is +£1.25 m activity,
    # -£0.75 m cost, each counted in the share of the gap counted)
    for sc in ("low", "moderate", "high"):
        assert s.loc["of which due to activity", sc] + s.loc["of which due to cost per case", sc] == \
            pytest.approx(s.loc["Opportunity", sc])
    areas = r.tables["providers"].frame.set_index("Area")
    assert areas.loc["W", "Driven by"] == "activity" and areas.loc["Y", "Driven by"] == "cost per case"
    assert areas.loc["X", "Saving (moderate)"] == 0.0 and areas.loc["X", "Largest opportunity"] == "none"
    assert r.quantities[0].values.moderate == pytest.approx(1_000.0 * B)  # W's 1,000 spells above X's level, x B
    # the funnel: every area, spells per 100,000 need-weighted population (W: 2,000 per 100,000)
    funnel = r.measure.funnel.data.set_index("unit")
    assert funnel.loc["W", "rate"] == pytest.approx(2_000.0)
    assert r.measure.unit_name == "areas"  # the page's funnel sentence and chart name areas, not providers
    assert "4 areas" in r.measure.funnel.summary(unit_name=r.measure.unit_name)


def test_hubs_add_up_to_england(small_tables):
    geo = small_geography()
    england = registry.analyse_tables("where_to_look", small_tables, geo.england, FY, geo, params_=params())
    hubs = [registry.analyse_tables("where_to_look", small_tables, h, FY, geo, params_=params()) for h in geo.hubs()]
    net = lambda r: r.opportunity.components[0].net.moderate  # noqa: E731
    assert [net(h) for h in hubs] == pytest.approx([1_000_000.0 * B, 1_000_000.0 * B])
    assert sum(net(h) for h in hubs) == pytest.approx(net(england))
    # the hub page's peer chart shows its own area with the largest opportunity
    assert hubs[1].charts["peers"].highlight == ("Y",)


def test_an_area_missing_from_the_data_is_a_data_error(small_tables):
    geo = small_geography()
    tables = {"area_spend": small_tables["area_spend"].query("area_code != 'Z'")}
    with pytest.raises(DataError, match="no specialised spells in 2016/17 for 1 commissioning area"):
        registry.analyse_tables("where_to_look", tables, geo.get("H1"), FY, geo, params_=params())


def test_a_period_without_data_is_a_data_error(small_tables):
    geo = small_geography()
    with pytest.raises(DataError, match="no specialised spells in 2017/18"):
        registry.analyse_tables("where_to_look", small_tables, geo.england, Period.financial_year("2017/18"), geo,
                                params_=params())


@pytest.mark.parametrize("kwargs, words", [
    pytest.param({"moderate": 3}, "best_peers (moderate) is 3", id="more-best-than-peers"),
    pytest.param({"low": 1.5}, "whole number", id="half-a-peer"),
])
def test_bad_peer_counts_are_refused(small_tables, kwargs, words):
    geo = small_geography()
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        registry.analyse_tables("where_to_look", small_tables, geo.england, FY, geo, params_=params(**kwargs))
