"""Synthetic KH03-like occupied bed days, per provider and month.

No figure in the Menu of Opportunities: volumes follow KH03 for 2015-18, about 101,000 general and acute beds
available in England on an average day, of which about 90% occupied (roughly 91,000 beds, 33 million occupied bed
days a year). Beds are shared among providers in proportion to their size; each provider has its own occupancy
(85% to 95%), higher in winter (December to March) as KH03 shows every year, with a little noise month to month.
Haematology and transplant units (stem cell and solid organ transplant, haemato-oncology) are held at the
`HAEM_TRANSPLANT_CENTRES` largest providers (at least one per hub), on 3% to 6% of their occupied bed days, an
assumption of this synthetic data (a unit of a few dozen beds in a large teaching trust); other providers have none.
They are the case mix of antifungal use (scheme 2) and stay in null data: a unit's patients are not a practice.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from .common import DATA_END, DATA_START, rng_for, sequential_ids, service_providers

ROWS_SCALE = False  # one row per provider and month at any scale: the bed days grow with the scale, not the rows
GA_BEDS_AVAILABLE = 101_000  # England, general and acute, average per day (KH03 2015-18)
WINTER_LIFT = 0.03  # occupancy is about 3 points higher from December to March
HAEM_TRANSPLANT_CENTRES = 20
HAEM_TRANSPLANT_SHARE = (0.03, 0.06)  # of a centre's occupied bed days


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "bed_days")
    months = pd.date_range(DATA_START, DATA_END, freq="MS")
    providers = sizes.index.to_numpy()
    beds = sizes.to_numpy() * GA_BEDS_AVAILABLE * scale  # average beds available per provider
    occupancy = rng.uniform(0.85, 0.95, len(providers))
    p, m = np.meshgrid(np.arange(len(providers)), np.arange(len(months)), indexing="ij")
    p, m = p.ravel(), m.ravel()
    days = months.days_in_month.to_numpy()[m]
    winter = np.isin(months.month.to_numpy()[m], [12, 1, 2, 3])
    available = np.maximum(1, np.round(beds[p] * days * rng.normal(1.0, 0.01, len(p)))).astype(int)
    rate = np.clip(occupancy[p] + WINTER_LIFT * winter + rng.normal(0.0, 0.01, len(p)), 0.5, 0.99)
    occupied = np.minimum(available, np.round(available * rate)).astype(int)
    # drawn after the rest, so that the columns above are as they were before this one was added
    centres = np.isin(providers, service_providers(geo, sizes, HAEM_TRANSPLANT_CENTRES).index)
    unit_share = np.where(centres, rng.uniform(*HAEM_TRANSPLANT_SHARE, len(providers)), 0.0)
    haem = np.minimum(occupied, np.round(occupied * unit_share[p] * rng.normal(1.0, 0.03, len(p)))).astype(int)
    df = pd.DataFrame({"provider_code": providers[p], "month": months[m], "available_bed_days": available,
                       "occupied_bed_days": occupied, "haematology_transplant_bed_days": np.maximum(haem, 0)})
    df = df.sort_values(["month", "provider_code"], kind="stable").reset_index(drop=True)
    df.insert(0, "return_id", sequential_ids("KH", len(df)))
    return df
