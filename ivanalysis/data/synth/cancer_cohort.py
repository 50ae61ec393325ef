"""The synthetic patients with incurable cancer, shared by two generators: the admissions (their spells) and the ESC
services (the offers of enhanced supportive care to these same patients, with the same identifiers).

About 95,000 patients a year in England are newly diagnosed with incurable cancer (of the order of the 135,000
cancer deaths a year, most of which follow a period of incurable disease), by tumour group with the group's survival
(lognormal, medians of 5 months for lung and upper GI to about 2 years for breast and urology).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from .common import DATA_END, DATA_START, choose, rng_for, sequential_ids

# tumour group: share of patients, unplanned admissions a patient-year, median survival (months), share on
# palliative chemotherapy, ICD-10 codes with their weights
GROUPS = {
    "lung": (0.24, 1.7, 5, 0.45, {"C34": 0.95, "C45": 0.05}),
    "breast": (0.10, 0.8, 26, 0.60, {"C50": 1.0}),
    "colorectal": (0.11, 1.3, 14, 0.55, {"C18": 0.6, "C20": 0.4}),
    "upper_gi": (0.18, 1.6, 5, 0.35, {"C15": 0.3, "C16": 0.2, "C22": 0.2, "C25": 0.3}),
    "urology": (0.14, 0.9, 24, 0.30, {"C61": 0.6, "C64": 0.2, "C67": 0.2}),
    "gynaecology": (0.06, 1.4, 13, 0.55, {"C56": 0.6, "C54": 0.2, "C53": 0.2}),
    "haematology": (0.08, 1.4, 14, 0.70, {"C90": 0.4, "C85": 0.3, "C92": 0.3}),
    "head_and_neck": (0.03, 1.2, 8, 0.40, {"C32": 0.5, "C10": 0.5}),
    "brain_cns": (0.02, 1.2, 9, 0.30, {"C71": 1.0}),
    "other": (0.04, 1.3, 5, 0.35, {"C80": 0.6, "C43": 0.4}),
}
INCURABLE_PER_YEAR = 95_000
LOOKBACK_YEARS = 8  # patients diagnosed up to 8 years before the data and still alive are in the cohort
SURVIVAL_SIGMA = 1.0


def weighted_codes(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    """n codes drawn from `options` (code: weight)."""
    return rng.choice(list(options), size=n, p=np.array(list(options.values())) / sum(options.values()))


def incurable_cohort(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    """Patients with incurable cancer alive at some time in the data: provider, tumour group, diagnosis code, date
    of diagnosis of incurable disease, date of death (possibly after the data end), on chemotherapy, frailty."""
    rng = rng_for(seed, "admissions.cohort")  # the stream's name from when the admissions generator held the cohort
    first = DATA_START - pd.DateOffset(years=LOOKBACK_YEARS)
    days = (DATA_END - first).days + 1
    n = rng.poisson(INCURABLE_PER_YEAR * scale * days / 365.25)
    names = list(GROUPS)
    group = rng.choice(len(names), size=n, p=[g[0] for g in GROUPS.values()])
    median = np.array([g[2] for g in GROUPS.values()])[group] * 30.44
    diagnosed = first + pd.to_timedelta(rng.integers(0, days, n), unit="D")
    survival = np.minimum(np.ceil(median * rng.lognormal(0.0, SURVIVAL_SIGMA, n)), 20 * 365)  # days
    death = diagnosed + pd.to_timedelta(survival, unit="D")
    provider = choose(rng, sizes, n)
    chemo = rng.random(n) < np.array([g[3] for g in GROUPS.values()])[group]
    frailty = rng.gamma(2.0, 0.5, n)  # patients differ in how often they are admitted
    code = np.empty(n, dtype=object)
    for i, g in enumerate(GROUPS.values()):
        at = group == i
        code[at] = weighted_codes(rng, g[4], int(at.sum()))
    df = pd.DataFrame({"provider_code": provider, "tumour_group": np.array(names)[group], "diagnosis": code,
                       "diagnosed": diagnosed, "death": death, "chemo": chemo, "frailty": frailty})
    df = df[df["death"] > DATA_START].reset_index(drop=True)
    df.insert(0, "patient_id", sequential_ids("PC", len(df))[rng.permutation(len(df))])
    return df
