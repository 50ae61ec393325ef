"""Synthetic spells of specialised care in the top spend programmes, by commissioning area of residence.

The Menu of Opportunities (chapter 20) gives no national volumes for the Where to Look packs, only that they cover
the top 20 spend areas (about 75% of the specialised budget) and two findings, which this generator reproduces:
compared with demographic peers, London, West Midlands, North East, North West, Yorkshire and the Humber and the
South West spend more on neurosciences; and CCG populations in London and Yorkshire and the Humber spend
significantly more per patient treated on specialised blood disorders. Eight of the largest programmes are drawn,
with yearly volumes and average costs of the order of NHS England's specialised spend in 2016/17 (an assumption of
this book: spells and pounds below, about £5.6 bn a year in all; 80,000 neonatal admissions as in chapter 13).

Each area's need follows its population and demography: its need index (age and deprivation) for most programmes,
its share of children for neonatal care, deprivation for mental health and ethnicity for blood disorders (sickle
cell disease and thalassaemia). On top of need, areas differ in activity (an area effect shared by all programmes,
and one per programme) and in cost per spell (per programme), so that some areas spend more than their peers
through activity, some through cost per case, and some through both. Activity grows 3% a year, cost per spell 2%.

Null data (`--null`): every area has England's activity and cost per spell per head of need-weighted population in
every programme (need is the need index for all eight, and no area or hub effect): only chance tells areas apart.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from .common import DATA_START, YEARS, differences, is_null, rng_for, sequential_ids

# programme: (spells a year in 2016/17, average cost per spell in 2016/17, what drives need)
PROGRAMMES = {
    "cancer": (100_000, 9_000, "need"),
    "cardiac": (90_000, 8_500, "need"),
    "neurosciences": (70_000, 9_000, "need"),
    "renal": (28_000, 24_000, "need"),  # patient-years of dialysis and transplant follow-up
    "adult_critical_care": (60_000, 11_000, "need"),
    "neonatal_critical_care": (80_000, 8_000, "children"),
    "mental_health": (7_000, 120_000, "deprivation"),
    "blood_disorders": (30_000, 15_000, "ethnicity"),
}
# The Menu's findings, as effects on the log scale of each hub's activity or cost per spell. A hub's areas are compared
# with their demographic peers, many of them in other hubs, so the effects were solved (least squares, over the peer
# links of params/geography.yaml) to give each hub a gap against its own areas' peers of about +11% where the Menu
# names it and -13% where it does not (neurosciences activity), and +15% for London and Yorkshire and the Humber
# against about -3% elsewhere (blood disorders cost per spell).
HUB_ACTIVITY = {"neurosciences": {"LON": 0.24, "NW": 0.10, "NEC": 0.17, "YH": 0.09, "EM": -0.14, "WM": 0.12,
                                  "EOE": -0.21, "SW": 0.11, "KSS": -0.24, "WTV": -0.23}}
HUB_COST = {"blood_disorders": {"LON": 0.38, "NW": -0.05, "NEC": -0.10, "YH": 0.16, "EM": -0.07, "WM": -0.02,
                                "EOE": -0.07, "SW": -0.09, "KSS": -0.08, "WTV": -0.06}}
ACTIVITY_GROWTH, COST_GROWTH = 0.03, 0.02
SPELL_COST_SD = 0.5  # lognormal spread of single spells' costs around their area's mean


def _need(areas: pd.DataFrame, driver: str) -> np.ndarray:
    pop = areas["population"].to_numpy(float)
    if driver == "need":
        w = areas["need_index"].to_numpy(float)
    elif driver == "children":
        w = areas["age_0_15"].to_numpy(float) / np.average(areas["age_0_15"], weights=pop)
    elif driver == "deprivation":
        w = (areas["imd_score"].to_numpy(float) / np.average(areas["imd_score"], weights=pop)) ** 0.7
    else:  # ethnicity: haemoglobinopathies are far commoner in black and minority ethnic groups
        w = 0.3 + 0.7 * areas["ethnic_minority"].to_numpy(float) / np.average(areas["ethnic_minority"], weights=pop)
    return pop * w


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "area_spend")
    areas = geo.area_table()
    k = len(areas)
    hubs = areas["hub"].to_numpy()
    area_effect = rng.normal(0.0, 0.07, k)  # some populations use more specialised care in every programme
    frames = []
    for code, (per_year, mean_cost, driver) in PROGRAMMES.items():
        # hubs differ at random, except in the programmes where the Menu says how (there, its pattern alone)
        described = code in HUB_ACTIVITY or code in HUB_COST
        hub_act = rng.normal(0.0, 0.05, len(geo.hubs())) * (not described)
        hub_cost = rng.normal(0.0, 0.05, len(geo.hubs())) * (not described)
        hub_index = {h.code: i for i, h in enumerate(geo.hubs())}
        idx = np.array([hub_index[h] for h in hubs])
        # areas vary less around a hub pattern the Menu describes, so that the pattern shows through
        activity = (area_effect + hub_act[idx] + rng.normal(0.0, 0.05 if described else 0.10, k)
                    + np.array([HUB_ACTIVITY.get(code, {}).get(h, 0.0) for h in hubs]))
        cost = (hub_cost[idx] + rng.normal(0.0, 0.03 if described else 0.06, k)
                + np.array([HUB_COST.get(code, {}).get(h, 0.0) for h in hubs]))
        activity, cost = differences(activity, 0.0), differences(cost, 0.0)
        weight = _need(areas, "need" if is_null() else driver) * np.exp(activity)
        spells = per_year * weight / weight.sum()  # expected spells a year per area, adding up to England's
        cost_per_spell = mean_cost * np.exp(cost) / np.average(np.exp(cost), weights=spells)
        for y, _label in enumerate(YEARS):
            growth = y - 1  # 2016/17 is the calibration year
            counts = rng.poisson(spells * scale * (1 + ACTIVITY_GROWTH) ** growth)
            n = int(counts.sum())
            row_area = np.repeat(np.arange(k), counts)
            start = DATA_START + pd.DateOffset(years=y)
            days = (start + pd.DateOffset(years=1) - start).days
            g = np.log1p(ACTIVITY_GROWTH)  # dates thicken through the year as activity grows: no step in April
            within = np.log1p(rng.random(n) * np.expm1(g)) / g
            dates = start + pd.to_timedelta(np.floor(within * days).astype("int64"), unit="D")
            mean = cost_per_spell[row_area] * (1 + COST_GROWTH) ** growth
            spread = rng.lognormal(-SPELL_COST_SD ** 2 / 2, SPELL_COST_SD, n)  # mean 1
            frames.append(pd.DataFrame({"area_code": areas.index.to_numpy()[row_area], "programme": code,
                                        "start_date": dates, "cost_gbp": np.round(mean * spread, 2)}))
    df = pd.concat(frames, ignore_index=True)
    df = df.sort_values(["start_date", "area_code", "programme"], kind="stable").reset_index(drop=True)
    df.insert(0, "spell_id", sequential_ids("SS", len(df)))
    return df
