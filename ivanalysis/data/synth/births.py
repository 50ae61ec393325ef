"""Synthetic MSDS-like live births, one row per baby, at national volumes.

England had about 664,000 live births in 2015, 663,000 in 2016 and 646,000 in 2017 (ONS); the financial years
here have 664,000, 660,000 and 650,000. Preterm birth (before 37 weeks) is about 7.5% of live births. The Menu of
Opportunities gives no birth figures: they are only the denominator of term admissions to neonatal units
(chapter 13). Births are spread over the providers that have a maternity service: every provider except the
smallest of each hub (a specialist trust without one), in proportion to the provider's size.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from .common import DATA_START, choose, rng_for, sequential_ids

BIRTHS_PER_YEAR = (664_000, 660_000, 650_000)  # 2015/16, 2016/17, 2017/18
PRETERM_SHARE = 0.075
TERM_WEEKS = {37: 0.15, 38: 0.21, 39: 0.25, 40: 0.22, 41: 0.14, 42: 0.03}
PRETERM_WEEKS = {w: p for w, p in zip(range(22, 37), [1, 2, 3, 4, 4, 5, 5, 6, 7, 8, 11, 13, 18, 27, 36])}


def maternity_providers(geo: Geography, sizes: pd.Series) -> pd.Series:
    """Providers with a maternity service (and a neonatal unit), weighted by size: all but the smallest per hub."""
    chosen = [p for hub in geo.hubs() for p in sizes[list(hub.providers)].sort_values().index[1:]]
    w = sizes[chosen]
    return w / w.sum()


def gestation(rng: np.random.Generator, n: int, preterm_share: float) -> np.ndarray:
    """Completed weeks at birth: term (37 to 42) or preterm (22 to 36), mostly late preterm."""
    term = rng.choice(list(TERM_WEEKS), size=n, p=np.array(list(TERM_WEEKS.values())) / sum(TERM_WEEKS.values()))
    pre_p = np.array(list(PRETERM_WEEKS.values()), dtype=float)
    preterm = rng.choice(list(PRETERM_WEEKS), size=n, p=pre_p / pre_p.sum())
    return np.where(rng.random(n) < preterm_share, preterm, term)


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "births")
    units = maternity_providers(geo, sizes)
    frames = []
    for year, per_year in enumerate(BIRTHS_PER_YEAR):
        start = DATA_START + pd.DateOffset(years=year)
        days = (start + pd.DateOffset(years=1) - start).days
        n = int(round(per_year * scale))
        dates = start + pd.to_timedelta(rng.integers(0, days, size=n), unit="D")
        frames.append(pd.DataFrame({"provider_code": choose(rng, units, n), "birth_date": dates}))
    df = pd.concat(frames, ignore_index=True)
    df["gestation_weeks"] = gestation(rng, len(df), PRETERM_SHARE)
    df = df.sort_values(["birth_date", "provider_code"], kind="stable").reset_index(drop=True)
    df.insert(0, "birth_id", sequential_ids("B", len(df))[rng.permutation(len(df))])
    return df[["birth_id", "provider_code", "birth_date", "gestation_weeks"]]
