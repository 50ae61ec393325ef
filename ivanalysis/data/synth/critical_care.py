"""Synthetic ICNARC-like adult critical care discharges.

Calibrated to the Menu of Opportunities, chapter 15: about 50% of discharges to a ward are delayed beyond the
4-hour standard, and about 10% of the delayed ones by 24 hours or more. Delays are worse in winter and ease
from October 2017 (the CQUIN and the move to an excess bed rate), so the monthly chart has a story to tell.
About 200,000 discharges to a ward a year in England (order of the ICNARC Case Mix Programme).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from .common import DATA_END, DATA_START, calibrated_propensities, choose, rng_for, sequential_ids

WARD_DISCHARGES_PER_YEAR = 200_000
OTHER_DESTINATIONS = {"home": 0.03, "other_hospital": 0.05, "died": 0.10}  # shares of all discharges
SHARE_DELAYED = 0.50
SHARE_OVER_24H_AMONG_DELAYED = 0.092  # the overnight waits below add about 0.008


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "critical_care")
    n = int(round(WARD_DISCHARGES_PER_YEAR * 3 * scale / (1 - sum(OTHER_DESTINATIONS.values()))))
    minutes = int((DATA_END + pd.Timedelta(days=1) - DATA_START) / pd.Timedelta(minutes=1))
    # ready for discharge mostly in the working day (ward rounds), some at any hour
    day = DATA_START + pd.to_timedelta(rng.integers(0, minutes // 1440, n), unit="D")
    hour = np.where(rng.random(n) < 0.8, rng.uniform(8, 17, n), rng.uniform(0, 24, n))
    ready = day + pd.to_timedelta(np.round(hour * 60), unit="min")
    provider = choose(rng, sizes, n)
    destination = rng.choice(["ward", *OTHER_DESTINATIONS], size=n,
                             p=[1 - sum(OTHER_DESTINATIONS.values()), *OTHER_DESTINATIONS.values()])

    p_delay = calibrated_propensities(rng, sizes, SHARE_DELAYED, 0.5)[provider].to_numpy()
    p_long = calibrated_propensities(rng, sizes, SHARE_OVER_24H_AMONG_DELAYED, 0.4)[provider].to_numpy()
    month = ready.month
    winter = np.isin(month, [12, 1, 2])
    eased = ready >= pd.Timestamp("2017-10-01")
    logit = np.log(p_delay / (1 - p_delay)) + 0.25 * winter - 0.35 * eased - 0.17
    delayed = rng.random(n) < 1 / (1 + np.exp(-logit))
    long = delayed & (rng.random(n) < p_long)
    hours = np.where(~delayed, rng.uniform(0.2, 4.0, n),
                     np.where(~long, 4 + rng.gamma(1.6, 4.0, n).clip(0, 19.9), 24 + rng.exponential(18, n)))
    discharged = ready + pd.to_timedelta(np.round(hours * 60), unit="min")
    # most discharges that would fall at night wait for the morning (the quality standard: daylight discharge)
    night = (discharged.hour >= 22) | (discharged.hour < 7)
    wait = night & (rng.random(n) < 0.8)
    morning = (discharged - pd.to_timedelta(np.where(discharged.hour < 7, 1, 0), unit="D")).normalize() \
        + pd.Timedelta(days=1) + pd.to_timedelta(rng.integers(7 * 60, 10 * 60, n), unit="min")
    discharged = discharged.where(~wait, morning)
    ward = destination == "ward"
    discharged = discharged.where(ward | (destination != "died"), ready)
    df = pd.DataFrame({"provider_code": provider, "ready_at": ready, "discharged_at": discharged,
                       "destination": destination})
    df = df[(df["discharged_at"] <= DATA_END + pd.Timedelta(hours=23, minutes=59))]
    df = df.sort_values(["discharged_at", "provider_code"], kind="stable").reset_index(drop=True)
    df.insert(0, "admission_id", sequential_ids("CC", len(df)))
    return df[["admission_id", "provider_code", "ready_at", "discharged_at", "destination"]]
