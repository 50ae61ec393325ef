"""Scheme 1: immunoglobulin dose regimen for ITP (Menu of Opportunities, chapter 1).

Guidelines recommend 1 g/kg for acute ITP. The saving is the immunoglobulin not given if the share of episodes at
1 g/kg or less rose to a target share: at each provider below the target, the episodes that would have to move,
times the grams each high-dose episode gives above 1 g/kg, times the price per gram. Providers already above the
target count as nothing (never netted off). Episodes without a recorded weight cannot be banded and are left out.

The headline is for the latest complete financial year in the data. The Menu's 5.6 m pounds was for 2016/17
activity; much of it had been realised by 2017/18, so the years table shows the saving each year's activity would
give at the moderate target, the Menu's year among them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import SCENARIOS
from ..geography import Area, Geography
from ..results import (
    CASH_RELEASING,
    KPI,
    NHSE_SPECIALISED,
    Measure,
    Opportunity,
    OpportunityComponent,
    Period,
    Quantity,
    Range,
    RunContext,
    SchemeResult,
    Table,
    financial_years,
)
from .base import area_rows, in_period, labels, proportion_measure, provider_table, safe_share, scenario_frame

TABLES = ("immunoglobulin",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "immunoglobulin": ("provider_code", "treatment_date", "indication", "weight_kg", "dose_g"),
}
ASSUMPTIONS = {"target_share": "share", "price_per_gram": "gbp_per_gram", "dose_tolerance": "ratio"}
BANDS = ("1 g/kg or less", "2 g/kg", "more than 2 g/kg")
SAVING_AT_TARGET = "Saving at the moderate target"


# --- the arithmetic ------------------------------------------------------------------------------------------------
def dose_band(dose_g: pd.Series, weight_kg: pd.Series, tolerance: float) -> pd.Series:
    """Band each episode by g/kg; `tolerance` absorbs rounding up to whole vials (1.1 g/kg still counts as 1)."""
    per_kg = dose_g / weight_kg
    return labels([per_kg <= 1 + tolerance, per_kg <= 2 * (1 + tolerance)], BANDS[:2], BANDS[2], BANDS, dose_g.index)


def itp_episodes(ig: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """The ITP episodes, each with weighed (weight recorded), its dose band, at_1gkg and excess_g (grams above
    1 g/kg, for the episodes not at 1 g/kg)."""
    itp = ig[ig["indication"] == "ITP"].copy()
    itp["weighed"] = itp["weight_kg"].notna()
    itp["band"] = dose_band(itp["dose_g"], itp["weight_kg"], tolerance)
    itp["at_1gkg"] = itp["band"] == BANDS[0]
    itp["excess_g"] = np.where(itp["at_1gkg"], 0.0, itp["dose_g"] - itp["weight_kg"])
    return itp


def provider_savings(eps: pd.DataFrame, target_share: float) -> pd.DataFrame:
    """Per provider: episodes to move to 1 g/kg to reach `target_share`, and the grams that saves.

    `eps` has provider_code, at_1gkg (bool) and excess_g (grams above 1 g/kg, for the other episodes).
    """
    g = eps.groupby("provider_code", observed=True)
    out = pd.DataFrame({"episodes": g.size(), "at_1gkg": g["at_1gkg"].sum().astype(int)})
    high = eps[~eps["at_1gkg"]].groupby("provider_code", observed=True)["excess_g"].mean()
    out["mean_excess_g"] = high.reindex(out.index).fillna(0.0)
    out["to_move"] = np.clip(target_share * out["episodes"] - out["at_1gkg"], 0, None)
    out["grams_saved"] = out["to_move"] * out["mean_excess_g"]
    return out


def area_opportunity(by_scenario: dict[str, pd.DataFrame], providers: tuple[str, ...],
                     price: Range) -> tuple[Range, Range, Range]:
    """The area's episodes moved, grams saved and pounds saved under each scenario (its providers' sums)."""
    mine = {s: by_scenario[s][by_scenario[s].index.isin(providers)] for s in SCENARIOS}
    moved = Range.summed(mine, "to_move")
    grams = Range.summed(mine, "grams_saved")
    gbp = Range.of(lambda s: grams.get(s) * price.get(s))
    return moved, grams, gbp




def bands_by_year(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes by financial year (rows) and dose band, their total and the share in each band."""
    years = episodes.groupby([financial_years(episodes["treatment_date"]), "band"], observed=False).size()
    years = years.unstack("band").reindex(columns=list(BANDS))
    out = years.assign(Episodes=years.sum(axis=1))
    for b in BANDS:
        out[f"Share {b}"] = years[b] / out["Episodes"]
    return out.reset_index(names="Financial year")


def savings_by_year(episodes: pd.DataFrame, target_share: float, price: float) -> pd.Series:
    """The saving each financial year's activity would give at `target_share`: provider_savings() of that year's
    episodes (each provider's own, never netted off), summed, at `price` per gram. `episodes` are weighed episodes
    with provider_code, treatment_date, at_1gkg and excess_g."""
    year = financial_years(episodes["treatment_date"])
    grams = {y: provider_savings(episodes[year == y], target_share)["grams_saved"].sum() for y in sorted(year.unique())}
    return pd.Series(grams, name="Saving", dtype=float) * price


# --- the page's figures and tables ---------------------------------------------------------------------------------
def kpis(local_all: pd.DataFrame, target: float, price: float) -> list[KPI]:
    """`local_all`: the area's ITP episodes in the period, weighed or not."""
    local = local_all[local_all["weighed"]]
    n = len(local)
    counts = local["band"].value_counts().reindex(BANDS, fill_value=0)
    grams_used = float(local_all["dose_g"].sum())
    return [
        KPI("Episodes at 1 g/kg or less", safe_share(counts[BANDS[0]], n), "share", target, True,
            "Menu: 30% in 2015/16, 66% in Q1 2017/18; savings modelled on 80%"),
        KPI("Episodes at 2 g/kg", safe_share(counts[BANDS[1]], n), "share", None, False, "Menu: 55% in 2015/16"),
        KPI("Episodes above 2 g/kg", safe_share(counts[BANDS[2]], n), "share", None, False, "Menu: 15% in 2015/16"),
        KPI("Episodes with weight recorded", safe_share(n, len(local_all)), "share", None, True,
            "Menu: 96% of patients in 2017/18"),
        KPI("ITP episodes", float(len(local_all)), "count"),
        KPI("Immunoglobulin used for ITP", grams_used, "grams"),
        KPI("Spend on immunoglobulin for ITP", grams_used * price, "gbp", note="at the moderate price per gram"),
    ]


def providers_table(savings: pd.DataFrame, weighed: pd.DataFrame, area: Area, period: Period, price: float,
                    measure: Measure, geography: Geography) -> Table:
    """`savings`: provider_savings() at the moderate target; `weighed`: England's weighed episodes in the period."""
    prov = savings[savings.index.isin(area.providers)]
    bands = weighed.groupby(["provider_code", "band"], observed=False).size().unstack("band").reindex(prov.index)
    frame = provider_table(pd.DataFrame({
        "Episodes (weight recorded)": prov["episodes"],
        BANDS[0]: bands[BANDS[0]], BANDS[1]: bands[BANDS[1]], BANDS[2]: bands[BANDS[2]],
        "Share at 1 g/kg or less": prov["at_1gkg"] / prov["episodes"],
        "Saving (moderate)": prov["grams_saved"] * price,
    }), measure, geography)
    return Table(f"Providers of {area.name}: ITP episodes by dose band, {period.label}", frame,
                 counts=("Episodes (weight recorded)", *BANDS),
                 rates={"Share at 1 g/kg or less": (BANDS[0], "Episodes (weight recorded)")},
                 money=("Saving (moderate)",), opportunity=("Saving (moderate)",))


def years_table(episodes: pd.DataFrame, area: Area, target: float, price: float) -> Table:
    """`episodes`: every ITP episode of the area with a weight recorded, all years."""
    frame = bands_by_year(episodes)
    frame[SAVING_AT_TARGET] = frame["Financial year"].map(savings_by_year(episodes, target, price))
    return Table(f"{area.name}: ITP episodes with weight recorded, by dose band and financial year, and the saving "
                 f"each year's activity would give if providers below {target:.0%} at 1 g/kg reached it (the "
                 "Menu's 5.6 m pounds was for 2016/17 activity at 80%)",
                 frame, counts=(*BANDS, "Episodes"), rates={f"Share {b}": (b, "Episodes") for b in BANDS},
                 money=(SAVING_AT_TARGET,), opportunity=(SAVING_AT_TARGET,), rows_are_the_area=True)


def caveats(tolerance: float) -> list[str]:
    return [
        "Episodes without a recorded weight cannot be banded by g/kg and are left out of the shares and the "
        "saving, so the saving is a floor rather than a ceiling.",
        f"Doses up to {1 + tolerance:.1f} g/kg count as 1 g/kg, to allow for rounding up to whole vials.",
        "Some patients need 2 g/kg for a clinical reason; the target share leaves room for them, and the "
        "saving assumes the episodes moved are typical of today's high-dose episodes at that provider.",
        "The price per gram is a list price; contract prices differ by product and provider.",
        "The headline is for the latest complete financial year in the data. The Menu's 5.6 m pounds (80% at "
        "1 g/kg) was for 2016/17 activity, and providers moved towards 1 g/kg from the first quarter of 2017/18: "
        "the years table shows the saving each year's activity would give, so how much was realised can be read "
        "from it.",
    ]


def opportunity_by_kind(gbp: Range, period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "Immunoglobulin not given above 1 g/kg", CASH_RELEASING, NHSE_SPECIALISED, gbp, period.label,
        note="NHS England commissions immunoglobulin and pays for every gram supplied: grams not given are spend "
             "that falls.")])


# --- the analysis --------------------------------------------------------------------------------------------------
def analyse(tables: dict[str, pd.DataFrame], run: RunContext) -> SchemeResult:
    area, params, period, geography = run.area, run.params, run.period, run.geography
    a = params.assumptions
    tol, target = a["dose_tolerance"].moderate, a["target_share"].moderate
    price = Range.of(a["price_per_gram"].value)
    itp = itp_episodes(tables["immunoglobulin"], tol)
    weighed = itp[itp["weighed"]]
    measure = proportion_measure(
        weighed, flag="at_1gkg", date="treatment_date", area=area, period=period,
        name="Share of ITP episodes at 1 g/kg or less", higher_is_better=True, target=target,
        denominator_label="ITP episodes with weight recorded", changes=params.changes)
    local_all = area_rows(in_period(itp, "treatment_date", period, "ITP episodes"), area, "ITP episodes")

    england = weighed[period.mask(weighed["treatment_date"])]
    by_scenario = {s: provider_savings(england, a["target_share"].value(s)) for s in SCENARIOS}
    moved, grams, gbp = area_opportunity(by_scenario, area.providers, price)

    outputs = [("Episodes moved to 1 g/kg", "count", moved), ("Immunoglobulin saved", "grams", grams),
               ("Saving", "gbp", gbp)]
    return SchemeResult(
        context=run, kpis=kpis(local_all, target, price.moderate), opportunity=opportunity_by_kind(gbp, period),
        quantities=[Quantity("Immunoglobulin saved", "grams", grams),
                    Quantity("Episodes moved to 1 g/kg", "episodes", moved)],
        measure=measure,
        tables={
            "providers": providers_table(by_scenario["moderate"], england, area, period, price.moderate, measure,
                                         geography),
            "years": years_table(area_rows(weighed, area, "ITP episodes"), area, target, price.moderate),
        },
        scenario_table=scenario_frame(params, outputs),
        caveats=caveats(tol),
        data_months=(itp["treatment_date"].min(), itp["treatment_date"].max()),
        area_providers=area.providers,
    )
