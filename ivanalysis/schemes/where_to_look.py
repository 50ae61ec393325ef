"""Scheme 20: Where to Look packs (Menu of Opportunities, chapter 20).

The packs compare each commissioning area's spend on the top specialised spend programmes with its demographic
peers, by the RightCare 'similar 10' method, and ask three questions: are we spending more on this population than
our peers; is that due to more activity, a higher cost per case, or both; and (beyond these data) are quality and
outcomes better or worse.

Method. Peers: every area's demographic variables are standardised to z-scores across England's areas, the
distance between two areas is the squared Euclidean distance between their z-scores, and an area's peers are the
10 areas nearest to it. Spend is compared per head of need-weighted population. Higher spend per head is split into
activity (spells per head) and cost per spell with a symmetric (Shapley) decomposition, so the two parts add up to
the difference exactly.

How the saving is calculated: for each area and programme, what it would spend at the average spend per head of
the best of its 10 peers (the lowest spenders: RightCare's usual 'best 5 of 10' in the moderate scenario, chosen so
that the benchmark is a level similar populations already achieve rather than the single lowest, which may be an
anomaly), counted only where the area spends more. A hub's or England's opportunity is the sum over its areas.

Counting beyond chance (`beyond_chance`): an area's spend per head is partly chance (how many spells, and how costly,
in one year), and the lowest spenders among its peers are partly the luckiest, so the observed gap is not all real.
Within each area's comparison group (the area and its peers), every member's spend per head is shrunk toward the
peers' average by its reliability (empirical Bayes: the share of its variance that is true difference, estimated from
how much more areas differ from their peers than chance allows); the best peers and the gap are taken from the shrunk
values, and only the gap that the scenario's confidence supports is counted (the expected true gap in the moderate and
high scenarios; the gap 97.5% likely to be real, less 1.96 standard deviations, in the low one), never more than the
gap observed. Where a programme's areas differ from their peers no more than chance allows (Cochran's Q test at 5%),
nothing is counted in it. bench/null_test.py measures what is left on synthetic data with no true differences
(`ivanalysis synth --null`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import SCENARIOS, SchemeParams
from ..data.schemas.area_spend import PROGRAMMES
from ..errors import ConfigError, DataError
from ..geography import Area, Geography
from ..report import fmt
from ..results import (
    CASH_RELEASING,
    KPI,
    NHSE_SPECIALISED,
    Chart,
    Measure,
    Opportunity,
    OpportunityComponent,
    Period,
    Quantity,
    Range,
    RunContext,
    SchemeResult,
    Table,
)
from ..stats.funnel import FunnelResult, rate_funnel
from ..stats.shrinkage import between_variance, gap_beyond_chance, q_test, shrink
from .base import in_period, safe_share, scenario_frame

TABLES = ("area_spend",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "area_spend": ("area_code", "programme", "start_date", "cost_gbp"),
}
ASSUMPTIONS = {"peer_count": "count", "best_peers": "count", "gap_confidence": "share"}
PER = 100_000
EVIDENCE = 0.05  # areas are taken to differ from their peers beyond chance only when the test says so at this level


# --- similar peers (RightCare) ----------------------------------------------------------------------------------------
def standardise(variables: pd.DataFrame) -> pd.DataFrame:
    """Each variable as a z-score across the areas: (x - mean) / standard deviation (population sd, ddof=0).

    A variable with the same value everywhere cannot tell areas apart and is dropped.
    """
    sd = variables.std(ddof=0)
    keep = sd[sd > 0].index
    if keep.empty:
        raise ConfigError("no demographic variable varies between the areas: peers cannot be found")
    return (variables[keep] - variables[keep].mean()) / sd[keep]


def squared_distances(z: pd.DataFrame) -> pd.DataFrame:
    """Squared Euclidean distance between every pair of areas (rows of `z`)."""
    x = z.to_numpy(dtype=float)
    d = ((x[:, None, :] - x[None, :, :]) ** 2).sum(axis=2)
    return pd.DataFrame(d, index=z.index, columns=z.index)


def similar_peers(variables: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """Each area's `n` nearest areas on standardised variables: columns area, rank (1 = nearest), peer, distance.

    Ties are broken by the peer's code, so the result does not depend on the order of the rows.
    """
    if not 1 <= n < len(variables):
        raise ConfigError(f"cannot choose {n} peers from {len(variables)} areas: choose between 1 and "
                          f"{len(variables) - 1}")
    d = squared_distances(standardise(variables))
    rows = []
    for area in d.index:
        others = d.loc[area].drop(area)
        nearest = sorted(others.items(), key=lambda kv: (kv[1], kv[0]))[:n]
        rows += [(area, rank, peer, dist) for rank, (peer, dist) in enumerate(nearest, start=1)]
    return pd.DataFrame(rows, columns=["area", "rank", "peer", "distance"])


# --- benchmarks and the decomposition ---------------------------------------------------------------------------------
def peer_benchmark(rates: pd.DataFrame, peers: pd.DataFrame, best: int) -> pd.DataFrame:
    """For each area, the average over its `best` peers with the lowest spend per head (all peers if `best` is
    their number): spend per head, activity per head and the cost per spell they imply (spend / activity).

    `rates` is indexed by area with columns spend (per head) and activity (spells per head).
    """
    p = peers.merge(rates, left_on="peer", right_index=True)
    p = p.sort_values(["area", "spend", "peer"]).groupby("area").head(best)
    out = p.groupby("area")[["spend", "activity"]].mean()
    out["cost"] = out["spend"] / out["activity"].where(out["activity"] > 0)
    return out


def decompose(activity: np.ndarray | float, cost: np.ndarray | float, activity_ref: np.ndarray | float,
              cost_ref: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Split spend per head A x C minus the benchmark's A* x C* into an activity part and a cost-per-case part.

    Symmetric (Shapley) split: activity part (A - A*)(C + C*) / 2, cost part (C - C*)(A + A*) / 2; they add up to
    A C - A* C* exactly, whichever is taken first.
    """
    a, c, a0, c0 = (np.asarray(v, dtype=float) for v in (activity, cost, activity_ref, cost_ref))
    return (a - a0) * (c + c0) / 2, (c - c0) * (a + a0) / 2


def driver(activity_part: float, cost_part: float) -> str:
    """Why spend per head is higher than the benchmark: activity, cost per case, both, or it is not higher."""
    if activity_part + cost_part <= 0:
        return "not higher"
    if activity_part > 0 and cost_part > 0:
        return "both"
    return "activity" if activity_part > 0 else "cost per case"


def sampling_variance(spend: pd.Series, spend_sq: pd.Series, population: pd.Series) -> pd.Series:
    """Each area's chance variance of its spend per head in one programme, at England's spend per head.

    Spells come as a Poisson count and each costs what it costs, so a year's spend S has variance sum(cost^2) = E[S] x
    k, with k = sum(cost^2) / sum(cost) over England's spells (compound Poisson); at England's spend per head r an
    area of population W has E[S] = r W, so its spend per head S / W has variance r k / W (as a funnel plot takes
    chance at the target). `spend_sq` is the sum of squared spell costs of each area.
    """
    total = float(spend.sum())
    if total <= 0:
        return pd.Series(0.0, index=spend.index)
    k = float(spend_sq.sum()) / total
    return total / float(population.sum()) * k / population


def beyond_chance(rates: pd.DataFrame, peers: pd.DataFrame, best: int, confidence: float) -> pd.DataFrame:
    """Each area's gap to its best peers that is beyond chance, per head, in one programme.

    `rates` is indexed by area with spend (per head) and variance (its chance variance, `sampling_variance`). Within
    area i's group, each member j (the area and its peers) is shrunk toward the peers' average m_i by its
    reliability B_j = tau2 / (tau2 + v_j): m_i + B_j (y_j - m_i), with posterior variance B_j v_j. tau2, the true
    variance of an area about its peers' level, comes from the areas' differences from their peers' averages d_i:
    their variance beyond chance (between_variance, with chance variance v_i + sum of the peers' v / n^2), less the
    share the peers' own true differences add (divided by 1 + 1 / n); it is 0 (every area at its peers' level) unless
    the differences are beyond chance at the EVIDENCE level (Cochran's Q test, allowing for the differences'
    correlation through shared peers: stats.shrinkage.q_test). The benchmark is the average of the
    `best` lowest shrunk peers; the gap counted is the shrunk gap less z standard deviations (z the normal quantile of
    `confidence`), never below 0.

    Columns: centre (m), reliability (B of the area), shrunk, benchmark, counted (per head).
    """
    y, v = rates["spend"], rates["variance"]
    n = int(peers["rank"].max())
    p = peers[["area", "peer"]].assign(y=peers["peer"].map(y).to_numpy(), v=peers["peer"].map(v).to_numpy())
    centre = p.groupby("area")["y"].mean().reindex(y.index)
    d = y - centre
    # d = (I - A) y, A averaging each area's peers: the differences' chance covariance is (I - A) V (I - A)'; areas
    # share peers, so the differences are correlated, which the test of whether they exceed chance allows for
    pos = pd.Series(np.arange(len(y)), index=y.index)
    diff = np.eye(len(y))
    diff[pos[p["area"]].to_numpy(), pos[p["peer"]].to_numpy()] -= 1 / n
    cov = diff @ np.diag(v.to_numpy(dtype=float)) @ diff.T
    chance = pd.Series(np.diag(cov), index=y.index)  # v_i + sum of the peers' v / n^2
    beyond = bool((chance > 0).all()) and q_test(d, cov) < EVIDENCE
    tau2 = between_variance(d, chance) / (1 + 1 / n) if beyond else 0.0
    shrunk, b, sd = shrink(y, v, centre, tau2)
    p["centre"] = p["area"].map(centre).to_numpy()
    p["s"], _, peer_sd = shrink(p["y"], p["v"], p["centre"], tau2)  # each peer toward this area's centre
    p["post_var"] = peer_sd**2
    top = p.sort_values(["area", "s", "peer"]).groupby("area").head(best).groupby("area")
    bench = top["s"].mean().reindex(y.index)
    bench_var = top["post_var"].sum().reindex(y.index) / best**2
    counted = gap_beyond_chance(shrunk, bench, np.sqrt(sd**2 + bench_var), confidence=confidence)
    return pd.DataFrame({"centre": centre, "reliability": b, "shrunk": shrunk, "benchmark": bench,
                         "counted": counted}, index=y.index)


def compare(spend: pd.DataFrame, areas: pd.DataFrame, peers: pd.DataFrame, best: int,
            confidence: float) -> pd.DataFrame:
    """One row per area and programme: spend and activity per head, the 10 peers' average, the best peers'
    benchmark, the decomposition of the difference from it and the opportunity, counted beyond chance at the
    `confidence` given (`beyond_chance`).

    `spend` has area, programme, spend, spend_sq (the sum of squared spell costs), spells (every area and programme,
    zeros included); `areas` is indexed by area with weighted_population.
    """
    out = spend.merge(areas[["weighted_population"]], left_on="area", right_index=True)
    out["spend_ph"] = out["spend"] / out["weighted_population"]
    out["activity_ph"] = out["spells"] / out["weighted_population"]
    out["cost"] = out["spend"] / out["spells"].where(out["spells"] > 0)
    frames = []
    n = int(peers["rank"].max())
    for _, g in out.groupby("programme", sort=False):
        rates = g.set_index("area")[["spend_ph", "activity_ph"]].set_axis(["spend", "activity"], axis=1)
        everyone = peer_benchmark(rates, peers, n).add_prefix("peers_")
        bench = peer_benchmark(rates, peers, best).add_prefix("best_")
        a = g.set_index("area")
        chance = beyond_chance(rates.assign(variance=sampling_variance(a["spend"], a["spend_sq"],
                                                                       a["weighted_population"])),
                               peers, best, confidence)[["counted"]]
        frames.append(g.merge(everyone, left_on="area", right_index=True).merge(bench, left_on="area",
                                                                                right_index=True)
                      .merge(chance, left_on="area", right_index=True))
    out = pd.concat(frames, ignore_index=True)
    cost = out["cost"].fillna(out["best_cost"]).fillna(0.0)  # no spells: no cost of its own to compare
    out["activity_part"], out["cost_part"] = decompose(out["activity_ph"], cost, out["best_activity"],
                                                       out["best_cost"].fillna(0.0))
    out["gap"] = out["spend_ph"] - out["best_spend"]
    higher = out["gap"] > 0
    # the gap counted: beyond chance, never more than the gap observed; `share`: the part of the observed gap counted
    out["counted"] = np.where(higher, np.minimum(out["counted"], out["gap"]), 0.0)
    share = np.where(higher, out["counted"] / out["gap"].where(higher, 1.0), 0.0)
    out["opportunity"] = out["counted"] * out["weighted_population"]
    # the opportunity split as the gap is: by activity and by cost per case, where the area spends more
    out["opp_activity"] = out["activity_part"] * share * out["weighted_population"]
    out["opp_cost"] = out["cost_part"] * share * out["weighted_population"]
    out["spells_above"] = np.clip(out["activity_ph"] - out["best_activity"], 0, None) * share \
        * out["weighted_population"]
    out["driver"] = [driver(a, c) for a, c in zip(out["activity_part"], out["cost_part"])]
    return out


# --- the funnel over areas --------------------------------------------------------------------------------------------
def area_funnel(current: pd.DataFrame, areas: pd.DataFrame) -> FunnelResult:
    """Spells (all programmes) per 100,000 need-weighted population: a funnel of every area in England (`current`
    holds the period's spells)."""
    spells = current.groupby("area_code").size().reindex(areas.index, fill_value=0)
    return rate_funnel(areas.index.tolist(), spells.tolist(), areas["weighted_population"].tolist(), per=PER)


def monthly_spells(spend: pd.DataFrame) -> pd.Series:
    """Spells by area and month, every month of the data."""
    return spend.groupby(["area_code", spend["start_date"].dt.to_period("M")]).size()


def area_measure(funnel: FunnelResult, monthly: pd.Series, areas: pd.DataFrame, area: Area) -> Measure:
    """England's funnel of areas for the period, and the geography's monthly rate (annualised) for the SPC chart."""
    from ..stats.spc import xmr

    # the sum of its areas' monthly counts (`monthly`: monthly_spells), not a pass over every spell for each geography
    codes = monthly.index.get_level_values("area_code")
    local = monthly if area.is_national else monthly[codes.isin(area.commissioning_areas)]
    by_month = local.groupby(level="start_date").sum()
    population = areas.loc[list(area.commissioning_areas), "weighted_population"].sum()
    values = by_month / by_month.index.days_in_month / population * PER * 365.25  # a yearly rate: February is short
    trend = xmr(values.to_numpy(dtype=float), x=by_month.index.to_timestamp(), improvement_direction="decrease")
    return Measure("Specialised spells per 100,000 need-weighted population", False, None, funnel, trend,
                   "need-weighted population", "number", "Spells per 100,000 a year", unit_name="areas")


# --- the analysis -----------------------------------------------------------------------------------------------------
def _confidence(params: SchemeParams) -> dict[str, float]:
    """gap_confidence in each scenario: at least 0.5 (the expected true gap) and below 1."""
    out = {s: float(params.assumptions["gap_confidence"].value(s)) for s in SCENARIOS}
    for s, c in out.items():
        if not 0.5 <= c < 1:
            raise ConfigError(f"gap_confidence ({s}) is {c:g}: it must be at least 0.5 (the expected true gap) and "
                              "below 1")
    return out


def _check_counts(params: SchemeParams) -> tuple[int, dict[str, int]]:
    a = params.assumptions
    n_values = {a["peer_count"].value(s) for s in SCENARIOS}
    if len(n_values) != 1 or not float(next(iter(n_values))).is_integer():
        raise ConfigError("peer_count must be the same whole number in every scenario (the peers do not change)")
    n = int(next(iter(n_values)))
    best = {}
    for s in SCENARIOS:
        b = a["best_peers"].value(s)
        if not float(b).is_integer() or not 1 <= b <= n:
            raise ConfigError(f"best_peers ({s}) is {b:g}: it must be a whole number from 1 to peer_count ({n})")
        best[s] = int(b)
    return n, best


def programme_spend(spend: pd.DataFrame, areas: pd.Index) -> pd.DataFrame:
    """Spend and spells per area and programme, with a row (of zeros) for every area and programme in the data."""
    g = spend.assign(cost_sq=spend["cost_gbp"] ** 2).groupby(["area_code", "programme"], observed=True)
    g = pd.DataFrame({"spend": g["cost_gbp"].sum(), "spend_sq": g["cost_sq"].sum(), "spells": g.size()})
    grid = pd.MultiIndex.from_product([areas, sorted(spend["programme"].unique())], names=["area_code", "programme"])
    g = g.reindex(grid, fill_value=0)
    return g.reset_index().rename(columns={"area_code": "area"})


@dataclass(frozen=True)
class National:
    """Every area's peers, benchmarks and opportunities, the same whatever the geography (read-only: kept between
    geographies)."""
    areas: pd.DataFrame  # geography.area_table()
    peers: pd.DataFrame  # similar_peers
    by_scenario: dict[str, pd.DataFrame]  # compare in each scenario: one row per area and programme
    funnel: FunnelResult  # area_funnel for the period
    monthly: pd.Series  # monthly_spells
    months: tuple[pd.Timestamp, pd.Timestamp]  # the first and last spell's start date in the data


def national(tables: dict[str, pd.DataFrame], params: SchemeParams, period: Period,
             geography: Geography) -> National:
    n, best = _check_counts(params)
    confidence = _confidence(params)
    spend = tables["area_spend"]
    areas = geography.area_table()
    current = in_period(spend, "start_date", period, "specialised spells")
    missing = sorted(set(areas.index) - set(current["area_code"]))
    if missing:
        raise DataError(f"no specialised spells in {period.label} for {len(missing)} commissioning area(s) of "
                        f"params/geography.yaml, e.g. {', '.join(missing[:3])}: is the extract complete?")
    peers = similar_peers(areas[list(geography.demographic_variables)], n)
    totals = programme_spend(current, areas.index)
    return National(areas=areas, peers=peers,
                    by_scenario={s: compare(totals, areas, peers, best[s], confidence[s]) for s in SCENARIOS},
                    funnel=area_funnel(current, areas), monthly=monthly_spells(spend),
                    months=(spend["start_date"].min(), spend["start_date"].max()))


def area_cells(by_scenario: dict[str, pd.DataFrame], codes: list[str]) -> dict[str, pd.DataFrame]:
    """compare's rows of the areas `codes`, in each scenario."""
    return {s: cells[cells["area"].isin(codes)] for s, cells in by_scenario.items()}




def opportunity_by_kind(gbp: Range, period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "Specialised spend above the best similar areas' level", CASH_RELEASING, NHSE_SPECIALISED, gbp, period.label,
        note="Spend on the top specialised programmes, which NHS England commissions: spend brought to the best "
             "peers' level per head would fall. It is where to look, not a saving in hand (higher spend may buy "
             "better outcomes), and it spans the programmes that schemes 1, 8, 9, 12, 13, 15, 17 and 18 measure "
             "directly, so adding it to them would count their savings twice.",
        outside_totals="overlaps schemes 1, 8, 9, 12, 13, 15, 17 and 18")])


def analyse(tables: dict[str, pd.DataFrame], run: RunContext, national: National) -> SchemeResult:
    n, best = _check_counts(run.params)
    area = run.area
    if not area.commissioning_areas:
        raise DataError(f"{area.name} ({area.code}) has no commissioning areas in params/geography.yaml")
    codes = list(area.commissioning_areas)
    local = area_cells(national.by_scenario, codes)
    gbp, spells_above = Range.summed(local, "opportunity"), Range.summed(local, "spells_above")
    measure = area_measure(national.funnel, national.monthly, national.areas, area)
    wpop = national.areas.loc[codes, "weighted_population"].sum()
    cells, focus = local["moderate"], _focus(local["moderate"])

    outputs = [("Opportunity", "gbp", gbp), ("of which due to activity", "gbp", Range.summed(local, "opp_activity")),
               ("of which due to cost per case", "gbp", Range.summed(local, "opp_cost")),
               ("Spells above the best peers", "count", spells_above)]
    return SchemeResult(
        context=run, kpis=_kpis(cells, wpop, gbp, n, best["moderate"], len(codes)),
        opportunity=opportunity_by_kind(gbp, run.period),
        quantities=[Quantity(f"Spells above the best {best['moderate']} of 10 peers' level", "spells", spells_above)],
        measure=measure, tables=_tables(national, cells, focus, measure, n, best["moderate"], run),
        charts=_charts(national.by_scenario["moderate"], cells, national.peers, focus, best["moderate"], area,
                       run.period),
        scenario_table=scenario_frame(run.params, outputs), caveats=[year_caveat(run.period), *CAVEATS],
        data_months=national.months,
        area_providers=tuple(codes),
        opportunity_note=("Opportunity is counted only where an area spends more per head than its benchmark peers; "
                          "areas that spend less are never netted off."),
    )


def year_caveat(period: Period) -> str:
    """Why the headline year is what it is: the Menu's 2016/17 chose the programmes; spend is measured in `period`."""
    return (f"Spend is measured in {period.label}, the headline year (the latest complete financial year in the data, "
            "as for the other schemes). The Menu's packs 'focus on Top 20 Spend Areas (as highlighted in 2016/17)': "
            "2016/17 is the year that chose the programmes, not the year the packs must measure, so the programmes "
            "here are the Menu's while their spend is the latest year's.")


CAVEATS = (
    "Peers are the 10 areas most like each area in deprivation, age, rurality and ethnicity (standardised, equally "
    "weighted); they are found across England, so an area's peers may lie in other hubs.",
    "Spend per head uses the need-weighted population of params/geography.yaml, which adjusts for age and "
    "deprivation; need that the weighting misses can look like unwarranted spend.",
    "Higher spend than similar areas is a place to look, not proof of waste: it may buy better outcomes. The packs' "
    "third question, on quality and outcomes, needs data this page does not hold.",
    "The opportunity counts only areas that spend more than their best peers, and only the part of the gap that is "
    "beyond chance (each area's spend per head and its peers' are shrunk toward the peers' average by how reliable "
    "they are); areas that spend less are never netted off.",
    "Activity and cost per spell come from spells attributed to the area of residence; a spell's cost is what the "
    "commissioner paid, so cost per case reflects both case mix and prices.",
)


# --- pieces of the page -----------------------------------------------------------------------------------------------
def _kpis(cells: pd.DataFrame, wpop: float, gbp: Range, n: int, best: int, n_areas: int) -> list[KPI]:
    """`cells`: compare's rows of the geography's areas (moderate scenario); `wpop`: their need-weighted population."""
    total_spend, total_spells = float(cells["spend"].sum()), float(cells["spells"].sum())
    peers_spend = float((cells["peers_spend"] * cells["weighted_population"]).sum())
    return [
        KPI("Spend on the top specialised programmes", total_spend, "gbp",
            note=f"{cells['programme'].nunique()} programmes of care"),
        KPI("Spend per head of need-weighted population", total_spend / wpop, "gbp", None, False),
        KPI("Peers' spend per head (average of the 10 similar areas)", peers_spend / wpop, "gbp",
            note="RightCare similar 10, each area against its own peers"),
        KPI("Spells per 100,000 need-weighted population", total_spells / wpop * PER, "spells_per_100000", None,
            False),
        KPI("Cost per spell", safe_share(total_spend, total_spells), "gbp", None, False),
        KPI(f"Area programmes spending more than the best {best} of their {n} peers",
            safe_share((cells["gap"] > 0).sum(), len(cells)), "share", None, False),
        KPI("Opportunity as a share of spend", safe_share(gbp.moderate, total_spend), "share", None, False),
        KPI("Commissioning areas", float(n_areas), "areas", note="params/geography.yaml"),
    ]


def _tables(national: National, cells: pd.DataFrame, focus: dict, measure: Measure, n: int, best: int,
            run: RunContext) -> dict[str, Table]:
    area, period = run.area, run.period
    return {
        "programmes": Table(f"{area.name}: spend by programme of care against similar areas, {period.label}",
                            _programme_table(cells), counts=("Spells",),
                            money=("Spend", "Cost per spell", "Peers' cost per spell", "Opportunity (moderate)",
                                   "Due to activity", "Due to cost per case"),
                            opportunity=("Opportunity (moderate)", "Due to activity", "Due to cost per case"),
                            numbers=("Spend per head (£)", "Peers' spend per head (£)"), rows_are_the_area=True),
        "providers": Table(f"Commissioning areas of {area.name}: specialised spend per head against their peers, "
                           f"{period.label}", _area_table(cells, national.areas, measure),
                           counts=("Spells",), money=("Saving (moderate)",), opportunity=("Saving (moderate)",),
                           numbers=("Spend per head (£)", "Peers' spend per head (£)", "Spells per 100,000")),
        "peers": Table(f"The {n} areas most similar to {focus['area']}: {PROGRAMMES[focus['programme']]}, "
                       f"{period.label}",
                       _peer_table(national.by_scenario["moderate"], national.peers, focus, best, national.areas),
                       money=("Cost per spell",), numbers=("Distance", "Spend per head (£)", "Spells per 100,000")),
    }


def _focus(cells: pd.DataFrame) -> dict:
    """The area and programme with the largest opportunity (the first by code if none spends more)."""
    top = cells.sort_values(["opportunity", "area", "programme"], ascending=[False, True, True]).iloc[0]
    return {"area": top["area"], "programme": top["programme"]}


def _programme_table(cells: pd.DataFrame) -> pd.DataFrame:
    g = cells.assign(peers_total=cells["peers_spend"] * cells["weighted_population"],
                     peers_spells=cells["peers_activity"] * cells["weighted_population"],
                     above=cells["gap"] > 0).groupby("programme")
    wpop = g["weighted_population"].sum()
    out = pd.DataFrame({
        "Spend": g["spend"].sum(), "Spells": g["spells"].sum(),
        "Spend per head (£)": g["spend"].sum() / wpop,
        "Peers' spend per head (£)": g["peers_total"].sum() / wpop,
        "Cost per spell": g["spend"].sum() / g["spells"].sum(),
        "Peers' cost per spell": g["peers_total"].sum() / g["peers_spells"].sum(),
        "Areas above best peers": g["above"].sum().astype(int).astype(str) + " of " + g.size().astype(str),
        "Opportunity (moderate)": g["opportunity"].sum(),
        "Due to activity": g["opp_activity"].sum(), "Due to cost per case": g["opp_cost"].sum(),
    })
    out = out.sort_values(["Opportunity (moderate)", "Spend"], ascending=False)
    return out.rename(index=PROGRAMMES).rename_axis("Programme").reset_index()


def _area_table(cells: pd.DataFrame, areas: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    g = cells.assign(peers_total=cells["peers_spend"] * cells["weighted_population"]).groupby("area")
    wpop = areas.loc[g.size().index, "weighted_population"]
    top = cells.sort_values(["opportunity", "programme"], ascending=[False, True]).groupby("area").head(1)
    top = top.set_index("area").reindex(wpop.index)
    out = pd.DataFrame({
        "Hub": areas.loc[wpop.index, "hub"], "Need index": areas.loc[wpop.index, "need_index"].map("{:.3f}".format),
        "Spells": g["spells"].sum(), "Spend per head (£)": g["spend"].sum() / wpop,
        "Peers' spend per head (£)": g["peers_total"].sum() / wpop,
        "Spells per 100,000": g["spells"].sum() / wpop * PER,
        "Largest opportunity": np.where(top["opportunity"] > 0, top["programme"].map(PROGRAMMES), "none"),
        "Driven by": np.where(top["opportunity"] > 0, top["driver"], ""),
        "Funnel position": measure.funnel.data.set_index("unit")["flag"].reindex(wpop.index),
        "Saving (moderate)": g["opportunity"].sum(),
    })
    out = out.rename_axis("Area").reset_index()
    return out.sort_values(["Saving (moderate)", "Area"], ascending=[False, True])


def _peer_table(cells: pd.DataFrame, peers: pd.DataFrame, focus: dict, best: int, areas: pd.DataFrame
                ) -> pd.DataFrame:
    prog = cells[cells["programme"] == focus["programme"]].set_index("area")
    mine = peers[peers["area"] == focus["area"]].set_index("peer")
    chosen = prog.loc[mine.index].sort_values(["spend_ph"]).index[:best]
    rows = [focus["area"], *mine.index]
    return pd.DataFrame({
        "Area": rows,
        "Hub": areas.loc[rows, "hub"].to_numpy(),
        "Similarity rank": ["the area"] + [str(r) for r in mine["rank"]],
        "Distance": [0.0, *mine["distance"]],
        "Spend per head (£)": prog.loc[rows, "spend_ph"].to_numpy(),
        "Spells per 100,000": prog.loc[rows, "activity_ph"].to_numpy() * PER,
        "Cost per spell": prog.loc[rows, "cost"].to_numpy(),
        f"Among the best {best}": ["", *["yes" if p in chosen else "" for p in mine.index]],
    })


def _charts(cells: pd.DataFrame, local: pd.DataFrame, peers: pd.DataFrame, focus: dict, best: int, area: Area,
            period: Period) -> dict[str, Chart]:
    label = PROGRAMMES[focus["programme"]]
    prog = cells[cells["programme"] == focus["programme"]].set_index("area")
    mine = peers[peers["area"] == focus["area"]]["peer"].tolist()
    bars = prog.loc[[focus["area"], *mine], ["spend_ph"]].sort_values("spend_ph", ascending=False)
    bars = bars.rename_axis("Area").reset_index()
    row = prog.loc[focus["area"]]
    finding = (f"{focus['area']} spends £{row['spend_ph']:,.2f} a head on {label.lower()} in {period.label}, against "
               f"£{row['peers_spend']:,.2f} for the average of its 10 most similar areas and £{row['best_spend']:,.2f} "
               f"for the best {best} of them; the difference from the best {best} is due to "
               f"{_driver_words(row['driver'])}.")
    by_programme = _programme_table(local)[["Programme", "Opportunity (moderate)"]]
    top = by_programme.iloc[0]
    finding_p = (f"In {area.name}, {period.label}, the largest opportunity against similar areas is in "
                 f"{top['Programme'].lower()} ({fmt.gbp(top['Opportunity (moderate)'])} a year in the moderate "
                 "scenario)."
                 if top["Opportunity (moderate)"] > 0 else
                 f"In {area.name}, {period.label}, no area spends more than the best of its similar areas.")
    return {
        "peers": Chart("bar", bars, x="Area", y="spend_ph",
                       title=f"{label} spend per head, {focus['area']} and 10 similar areas, {period.label}",
                       value_label="Spend per head of need-weighted population (£)", finding=finding,
                       value_format="number", highlight=(focus["area"],)),
        "programmes": Chart("bar", by_programme, x="Programme", y="Opportunity (moderate)",
                            title=f"Opportunity against similar areas by programme, {area.name}, {period.label}",
                            value_label="Opportunity, moderate scenario", finding=finding_p, value_format="gbp",
                            opportunity=True),
    }


def _driver_words(kind: str) -> str:
    return {"activity": "more activity per head", "cost per case": "a higher cost per spell",
            "both": "both more activity and a higher cost per spell", "not higher": "nothing: it spends no more"}[kind]
