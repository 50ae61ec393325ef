"""Scheme 1: immunoglobulin dose regimen for ITP (Menu of Opportunities, chapter 1).

Guidelines recommend 1 g/kg for acute ITP. The saving is the immunoglobulin not given if the share of episodes at
1 g/kg or less rose to a target share: at each provider below the target, the episodes that would have to move,
times the grams each high-dose episode gives above 1 g/kg, times the price per gram. Providers already above the
target count as nothing (never netted off). Episodes without a recorded weight cannot be banded and are left out.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import SCENARIOS, SchemeParams
from ..geography import Area, Geography
from .base import (KPI, Period, Quantity, Range, SchemeResult, Table, area_rows, in_period, labels,
                   proportion_measure, provider_table, safe_share, scenario_frame)
from ..catalogue import BY_ID

TABLES = ("immunoglobulin",)
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "immunoglobulin": ("provider_code", "treatment_date", "indication", "weight_kg", "dose_g"),
}
ASSUMPTIONS = {"target_share": "share", "price_per_gram": "gbp_per_gram", "dose_tolerance": "ratio"}
BANDS = ("1 g/kg or less", "2 g/kg", "more than 2 g/kg")


def dose_band(dose_g: pd.Series, weight_kg: pd.Series, tolerance: float) -> pd.Series:
    """Band each episode by g/kg; `tolerance` absorbs rounding up to whole vials (1.1 g/kg still counts as 1)."""
    per_kg = dose_g / weight_kg
    return labels([per_kg <= 1 + tolerance, per_kg <= 2 * (1 + tolerance)], BANDS[:2], BANDS[2], BANDS, dose_g.index)


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


def analyse(tables: dict[str, pd.DataFrame], area: Area, params: SchemeParams, period: Period,
            geography: Geography) -> SchemeResult:
    a = params.assumptions
    tol = a["dose_tolerance"].moderate
    price = Range.of(a["price_per_gram"].value)
    ig = tables["immunoglobulin"]
    itp = ig[ig["indication"] == "ITP"].copy()
    itp["weighed"] = itp["weight_kg"].notna()
    itp["band"] = dose_band(itp["dose_g"], itp["weight_kg"], tol)
    itp["at_1gkg"] = itp["band"] == BANDS[0]
    itp["excess_g"] = np.where(itp["at_1gkg"], 0.0, itp["dose_g"] - itp["weight_kg"])
    weighed = itp[itp["weighed"]]

    measure = proportion_measure(
        weighed, flag="at_1gkg", date="treatment_date", area=area, period=period,
        name="Share of ITP episodes at 1 g/kg or less", higher_is_better=True,
        target=a["target_share"].moderate, denominator_label="ITP episodes with weight recorded")

    local_all = area_rows(in_period(itp, "treatment_date", period, "ITP episodes"), area, "ITP episodes")
    local = local_all[local_all["weighed"]]
    national = weighed[period.mask(weighed["treatment_date"])]
    by_scenario = {s: provider_savings(national, a["target_share"].value(s)) for s in SCENARIOS}
    in_area = lambda df: df[df.index.isin(area.providers)]  # noqa: E731
    grams = Range.of(lambda s: in_area(by_scenario[s])["grams_saved"].sum())
    gbp = Range.of(lambda s: grams.get(s) * price.get(s))
    episodes_moved = Range.of(lambda s: in_area(by_scenario[s])["to_move"].sum())

    n = len(local)
    counts = local["band"].value_counts().reindex(BANDS, fill_value=0)
    grams_used = float(local_all["dose_g"].sum())
    kpis = [
        KPI("Episodes at 1 g/kg or less", safe_share(counts[BANDS[0]], n), "share", a["target_share"].moderate, True,
            "Menu: 30% in 2015/16, 66% in Q1 2017/18; savings modelled on 80%"),
        KPI("Episodes at 2 g/kg", safe_share(counts[BANDS[1]], n), "share", None, False, "Menu: 55% in 2015/16"),
        KPI("Episodes above 2 g/kg", safe_share(counts[BANDS[2]], n), "share", None, False, "Menu: 15% in 2015/16"),
        KPI("Episodes with weight recorded", safe_share(n, len(local_all)), "share", None, True,
            "Menu: 96% of patients in 2017/18"),
        KPI("ITP episodes", float(len(local_all)), "count"),
        KPI("Immunoglobulin used for ITP", grams_used, "grams"),
        KPI("Spend on immunoglobulin for ITP", grams_used * price.moderate, "gbp", note="at the moderate price per gram"),
    ]

    prov = by_scenario["moderate"].loc[lambda d: d.index.isin(area.providers)].copy()
    bands = national.groupby(["provider_code", "band"], observed=False).size().unstack("band").reindex(prov.index)
    providers = provider_table(pd.DataFrame({
        "Episodes (weight recorded)": prov["episodes"],
        BANDS[0]: bands[BANDS[0]], BANDS[1]: bands[BANDS[1]], BANDS[2]: bands[BANDS[2]],
        "Share at 1 g/kg or less": prov["at_1gkg"] / prov["episodes"],
        "Saving (moderate)": prov["grams_saved"] * price.moderate,
    }), measure, geography)

    local_years = area_rows(itp[itp["weighed"]], area, "ITP episodes")
    fy = local_years["treatment_date"].dt.to_period("Q-MAR").dt.qyear
    years = local_years.groupby([fy.map(lambda y: f"{y - 1}/{y % 100:02d}"), "band"], observed=False).size()
    years = years.unstack("band").reindex(columns=list(BANDS))
    year_table = years.assign(**{"Episodes": years.sum(axis=1)})
    for b in BANDS:
        year_table[f"Share {b}"] = years[b] / year_table["Episodes"]
    year_table = year_table.reset_index(names="Financial year")

    outputs = [("Episodes moved to 1 g/kg", "count", episodes_moved), ("Immunoglobulin saved (g)", "grams", grams),
               ("Saving", "gbp", gbp)]
    return SchemeResult(
        scheme=BY_ID["immunoglobulin_itp"], area=area, period=period, params=params, kpis=kpis,
        opportunity_gbp=gbp, quantities=[Quantity("Immunoglobulin saved", "grams", grams),
                                         Quantity("Episodes moved to 1 g/kg", "episodes", episodes_moved)],
        measure=measure,
        tables={
            "providers": Table(f"Providers of {area.name}: ITP episodes by dose band, {period.label}",
                               providers, counts=("Episodes (weight recorded)", *BANDS),
                               rates={"Share at 1 g/kg or less": (BANDS[0], "Episodes (weight recorded)")},
                               money=("Saving (moderate)",)),
            "years": Table(f"{area.name}: ITP episodes with weight recorded, by dose band and financial year",
                           year_table, counts=(*BANDS, "Episodes"),
                           rates={f"Share {b}": (b, "Episodes") for b in BANDS}),
        },
        scenario_table=scenario_frame(params, outputs),
        caveats=[
            "Episodes without a recorded weight cannot be banded by g/kg and are left out of the shares and the "
            "saving, so the saving is a floor rather than a ceiling.",
            f"Doses up to {1 + tol:.1f} g/kg count as 1 g/kg, to allow for rounding up to whole vials.",
            "Some patients need 2 g/kg for a clinical reason; the target share leaves room for them, and the "
            "saving assumes the episodes moved are typical of today's high-dose episodes at that provider.",
            "The price per gram is a list price; contract prices differ by product and provider.",
        ],
        data_months=(itp["treatment_date"].min(), itp["treatment_date"].max()),
        area_providers=area.providers,
    )
