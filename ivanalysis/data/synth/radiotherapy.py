"""Synthetic RTDS-like radiotherapy courses, all sites, at national volumes.

Calibrated to the Menu of Opportunities, chapter 18: about 13,000 patients a year receive radical external beam
radiotherapy for prostate cancer in England (RTDS 2015). Uptake of 60 Gy in 20 fractions (CHHiP) starts in 2016
and spreads unevenly: each centre adopts at its own time and to its own ceiling, so centres vary widely against
the 70% benchmark. Other sites and intents are there so that a real extract's shape is matched and the cohort
has to be selected (diagnosis C61, radical intent, external beam). Null data (`--null`): every centre adopts at
the same time, pace and ceiling (the middle of each range).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from .common import DATA_START, choose, differences, random_dates, rng_for, sequential_ids, service_providers

RT_CENTRES = 50
RADICAL_PROSTATE_PER_YEAR = 13_000
CONVENTIONAL = [((74.0, 37), 0.75), ((78.0, 39), 0.20), ((70.0, 35), 0.05)]  # before CHHiP
# other courses a year: (diagnosis, intent, modality, [(dose Gy, fractions), ...])
OTHER = [
    (4_000, "C61", "palliative", "external_beam", [(8.0, 1), (20.0, 5), (30.0, 10)]),
    (1_500, "C61", "adjuvant", "external_beam", [(66.0, 33), (52.5, 20)]),
    (1_000, "C61", "radical", "brachytherapy", [(145.0, 1), (19.0, 1)]),
    (30_000, "C50", "adjuvant", "external_beam", [(40.0, 15), (26.0, 5), (50.0, 25)]),
    (15_000, "C34", "radical", "external_beam", [(55.0, 20), (60.0, 30), (54.0, 36)]),
    (8_000, "C34", "palliative", "external_beam", [(20.0, 5), (10.0, 1), (39.0, 13)]),
    (5_000, "C20", "radical", "external_beam", [(45.0, 25), (25.0, 5)]),
    (6_000, "C32", "radical", "external_beam", [(70.0, 35), (65.0, 30)]),
    (2_000, "C67", "radical", "external_beam", [(55.0, 20), (64.0, 32)]),
    (3_000, "C71", "radical", "external_beam", [(60.0, 30), (40.0, 15)]),
    (25_000, "C79", "palliative", "external_beam", [(8.0, 1), (20.0, 5)]),
]


def _pick(rng: np.random.Generator, options: list, n: int, p=None) -> tuple[np.ndarray, np.ndarray]:
    idx = rng.choice(len(options), size=n, p=p)
    dose = np.array([o[0] for o in options])[idx]
    fx = np.array([o[1] for o in options])[idx]
    return dose, fx


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "radiotherapy")
    centres = service_providers(geo, sizes, RT_CENTRES)
    # each centre's adoption of 60 Gy/20#: a start month, a pace and a ceiling
    start = differences(pd.Series(rng.uniform(9, 36, len(centres)), index=centres.index), 22.5)  # months after April
    ceiling = differences(pd.Series(rng.uniform(0.55, 0.92, len(centres)), index=centres.index), 0.735)  # 2015
    pace = differences(pd.Series(rng.uniform(2.0, 6.0, len(centres)), index=centres.index), 4.0)

    n = int(round(RADICAL_PROSTATE_PER_YEAR * 3 * scale))
    dates = random_dates(rng, n)
    provider = choose(rng, centres, n)
    t = ((dates - DATA_START).days / 30.44).to_numpy()
    uptake = ceiling[provider].to_numpy() / (1 + np.exp(-(t - start[provider].to_numpy()) / pace[provider].to_numpy()))
    hypo = rng.random(n) < uptake
    dose, fx = _pick(rng, [c[0] for c in CONVENTIONAL], n, p=[c[1] for c in CONVENTIONAL])
    dose, fx = np.where(hypo, 60.0, dose), np.where(hypo, 20, fx)
    frames = [pd.DataFrame({"provider_code": provider, "start_date": dates, "diagnosis": "C61", "intent": "radical",
                            "modality": "external_beam", "dose_gy": dose, "fractions": fx})]
    for per_year, diagnosis, intent, modality, regimens in OTHER:
        k = max(1, int(round(per_year * 3 * scale)))
        d, f = _pick(rng, regimens, k)
        frames.append(pd.DataFrame({"provider_code": choose(rng, centres, k), "start_date": random_dates(rng, k),
                                    "diagnosis": diagnosis, "intent": intent, "modality": modality,
                                    "dose_gy": d, "fractions": f}))
    df = pd.concat(frames, ignore_index=True)
    df = df.sort_values(["start_date", "provider_code", "diagnosis"], kind="stable").reset_index(drop=True)
    # a patient's courses are not linked across rows here: one pseudonymous patient per course
    df.insert(0, "course_id", sequential_ids("RT", len(df)))
    df.insert(2, "patient_id", sequential_ids("P", len(df))[rng.permutation(len(df))])
    return df[["course_id", "provider_code", "patient_id", "start_date", "diagnosis", "intent", "modality",
               "dose_gy", "fractions"]]
