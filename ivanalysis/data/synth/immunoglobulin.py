"""Synthetic National-Immunoglobulin-Database-like episodes.

Calibrated to the Menu of Opportunities, chapter 1: ITP doses, where weight was recorded, 30% at 1 g/kg or less,
55% at 2 g/kg and 15% above in 2015/16; weight recorded for 96% of patients; by 2016/17 the share at 1 g/kg or
less had risen to about 55% (the level at which the Menu's two savings figures, 5.6 m pounds at 80% and 2.5 m
pounds at 66%, are consistent), and 66% in the first quarter of 2017/18. Maintenance indications (PID, SID,
CIDP, MMN) recur every few weeks per patient, as in the NID.

Myositis (chapter 5) is drawn as a cohort that changes: patients already on maintenance IVIg in April 2015 and new
patients starting through the three years, some stopping after induction. The commonest regimen is the Menu's,
2 g/kg every 4 weeks; centres differ in how often they give it (every 4 to 8 weeks) and, after NHS England's
policy of July 2016, in how fast they switch maintenance patients to rituximab, when IVIg stops. A few patients
move to another provider part-way through. The Menu publishes no count of patients: 400 on maintenance at the
start is this generator's order of magnitude.

Patients are identified by NHS numbers from the never-issued 999 test range, so that the check an analyst can ask
for (--nhs-numbers immunoglobulin) can be tried on them; the table accepts any pseudonymised identifier.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from .common import (
    DATA_END,
    DATA_START,
    calibrated_propensities,
    choose,
    differences,
    nhs_numbers,
    random_dates,
    rng_for,
    sequential_ids,
    year_index,
)

ITP_EPISODES_PER_YEAR = 9_100
# share of ITP episodes at 1 g/kg or less, by financial year (2017/18: Q1 then the rest of the year)
ITP_SHARE_LOW_DOSE = {0: 0.30, 1: 0.547, 2: 0.66}
ITP_SHARE_LOW_DOSE_AFTER_Q1_2017 = 0.70
ITP_SHARE_ABOVE_2_AMONG_HIGH = 0.15 / 0.70  # 15 of the 70% above 1 g/kg were above 2 g/kg in 2015/16
WEIGHT_RECORDED = 0.96

# maintenance indications: patients, weeks between episodes, dose in g/kg (order of published NID practice)
MAINTENANCE = {
    "PID": (3_000, 4, 0.4),
    "SID": (1_500, 4, 0.4),
    "CIDP": (1_500, 6, 1.0),
    "MMN": (500, 4, 1.0),
    "Myositis": (400, 4, 2.0),  # the Menu's chapter 5: 2 g/kg, 13 courses a year (drawn by _myositis)
}
# Myositis: new patients a year; the share who stop after induction, and after how many courses; each centre's usual
# interval (weeks) with its probability, and the share of a centre's patients on it (the rest on any interval);
# doses in g/kg with their probability; yearly chances of switching to rituximab before and after the policy (the
# after-policy one varies by centre around its mean) and of stopping IVIg otherwise (remission); the share who move
# provider. None of these is published: they are this generator's orders of magnitude.
MYOSITIS_NEW_PER_YEAR = 70
MYOSITIS_INDUCTION_ONLY = 0.35
MYOSITIS_INDUCTION_COURSES = (3, 6)
MYOSITIS_INTERVALS = ((4, 5, 6, 8), (0.55, 0.15, 0.2, 0.1))
MYOSITIS_ON_CENTRE_INTERVAL = 0.8
MYOSITIS_DOSES = ((2.0, 1.5, 1.0), (0.75, 0.1, 0.15))
POLICY_DATE = pd.Timestamp("2016-07-01")  # clinical commissioning policy 16036/P
SWITCH_PER_YEAR_BEFORE, SWITCH_PER_YEAR_AFTER, SWITCH_SPREAD = 0.02, 0.25, 0.9
REMISSION_PER_YEAR = 0.05
MYOSITIS_MOVERS = 0.05
ACUTE_OTHER = {"GBS": (1_000, 2.0), "Other": (3_000, 1.0)}  # episodes a year, g/kg


def _weights(rng: np.random.Generator, n: int) -> np.ndarray:
    child = rng.random(n) < 0.2  # ITP affects children and adults
    adult = np.clip(rng.normal(78, 16, n), 40, 160)
    kid = np.clip(rng.normal(32, 12, n), 12, 60)
    return np.round(np.where(child, kid, adult), 1)


def _dose_grams(dose_per_kg: np.ndarray, weight: np.ndarray) -> np.ndarray:
    return np.maximum(2.5, np.round(dose_per_kg * weight / 2.5) * 2.5)  # vials come in multiples of 2.5 g


def _itp(rng: np.random.Generator, sizes: pd.Series, scale: float) -> pd.DataFrame:
    n = int(round(ITP_EPISODES_PER_YEAR * 3 * scale))
    dates = random_dates(rng, n).sort_values()
    providers = choose(rng, sizes, n)
    year = year_index(dates)
    # each provider's propensity to give 1 g/kg, varying around the national share of each period
    periods = year.copy()
    periods[(year == 2) & (dates >= pd.Timestamp("2017-07-01"))] = 3
    targets = {**ITP_SHARE_LOW_DOSE, 3: ITP_SHARE_LOW_DOSE_AFTER_Q1_2017}
    u = {p: calibrated_propensities(rng, sizes, t, 0.7) for p, t in targets.items()}
    p_low = np.array([u[p][prov] for p, prov in zip(periods, providers)])
    low = rng.random(n) < p_low
    above2 = ~low & (rng.random(n) < ITP_SHARE_ABOVE_2_AMONG_HIGH)
    dose_per_kg = np.where(rng.random(n) < 0.85, 1.0, rng.uniform(0.4, 0.95, n))
    dose_per_kg = np.where(~low, np.where(rng.random(n) < 0.8, 2.0, rng.uniform(1.2, 1.9, n)), dose_per_kg)
    dose_per_kg = np.where(above2, rng.uniform(2.3, 3.0, n), dose_per_kg)
    # about 1.3 episodes per patient: each episode goes to one of the provider's ITP patients
    n_patients = max(1, int(n / 1.3))
    patient = rng.integers(0, n_patients, n)
    weight = _weights(rng, n_patients)[patient]
    return pd.DataFrame({"provider_code": providers, "patient": patient, "treatment_date": dates,
                         "indication": "ITP", "weight_kg": weight, "dose_g": _dose_grams(dose_per_kg, weight)})


def _myositis(rng: np.random.Generator, sizes: pd.Series, scale: float, weight: np.ndarray, provider: np.ndarray,
              first: pd.DatetimeIndex, offset: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Myositis IVIg courses: the patients on maintenance in April 2015 (`weight`, `provider`, `first` course), and
    new patients, each until they switch to rituximab, go into remission or the data end (see the module's
    docstring). Also the switches: the provider and date of each switch to rituximab within the data."""
    n_new = int(rng.poisson(MYOSITIS_NEW_PER_YEAR * 3 * scale))
    n = len(weight) + n_new
    weight = np.concatenate([weight, _weights(rng, n_new)])
    provider = np.concatenate([provider, choose(rng, sizes, n_new)])
    start = np.concatenate([first.to_numpy(), random_dates(rng, n_new).to_numpy()])
    is_new = np.arange(n) >= n - n_new
    # each centre's usual interval and switching pace after the policy (in null data, England's for every centre)
    values, probs = MYOSITIS_INTERVALS
    centre_interval = pd.Series(differences(rng.choice(values, size=len(sizes), p=probs).astype(float), values[0]),
                                index=sizes.index)
    pace = pd.Series(differences(np.exp(rng.normal(0.0, SWITCH_SPREAD, len(sizes)) - SWITCH_SPREAD ** 2 / 2),
                                 1.0), index=sizes.index)
    own = rng.random(n) < MYOSITIS_ON_CENTRE_INTERVAL
    weeks = np.where(own, centre_interval.reindex(provider).to_numpy(), rng.choice(values, size=n, p=probs))
    g_per_kg = rng.choice(MYOSITIS_DOSES[0], size=n, p=MYOSITIS_DOSES[1])
    # when IVIg stops: after induction, at a switch to rituximab (more likely after the policy), or in remission
    start = start.astype("datetime64[D]")
    days = lambda per_year: (rng.exponential(365.25 / per_year, n)).astype("timedelta64[D]")  # noqa: E731
    before_policy = start + days(SWITCH_PER_YEAR_BEFORE)
    after_from = np.maximum(start, np.datetime64(POLICY_DATE, "D"))
    after_policy = after_from + (days(SWITCH_PER_YEAR_AFTER).astype(float) / pace.reindex(provider).to_numpy()
                                 ).astype("timedelta64[D]")
    switch = np.minimum(before_policy, after_policy)
    stop = np.minimum(switch, start + days(REMISSION_PER_YEAR))
    induction = is_new & (rng.random(n) < MYOSITIS_INDUCTION_ONLY)
    max_courses = np.where(induction, rng.integers(MYOSITIS_INDUCTION_COURSES[0], MYOSITIS_INDUCTION_COURSES[1] + 1,
                                                   n), 10_000)
    # some patients move to another provider part-way (repatriation closer to home, a move of house)
    mover = rng.random(n) < MYOSITIS_MOVERS
    moved_at = start + (rng.uniform(0.2, 1.0, n) * (np.datetime64(DATA_END, "D") - start).astype(float)).astype(
        "timedelta64[D]")
    new_provider = choose(rng, sizes, n)
    repeats = int((DATA_END - DATA_START).days // 28) + 1
    course = np.arange(repeats)
    jitter = rng.integers(-3, 4, (n, repeats))
    dates = start[:, None] + (course[None, :] * weeks[:, None] * 7 + jitter * (course[None, :] > 0)).astype(
        "timedelta64[D]")
    keep = (dates <= np.datetime64(DATA_END, "D")) & (dates < stop[:, None]) & (course[None, :] < max_courses[:, None])
    keep[:, 0] = True  # every patient has their first course
    pid = np.broadcast_to(np.arange(n)[:, None], dates.shape)[keep]
    when = dates[keep]
    at = np.where(mover[pid] & (when >= moved_at[pid]), new_provider[pid], provider[pid])
    courses = pd.DataFrame({"provider_code": at, "patient": pid + offset,
                            "treatment_date": when.astype("datetime64[ns]"), "indication": "Myositis",
                            "weight_kg": weight[pid], "dose_g": _dose_grams(g_per_kg[pid], weight[pid])})
    switched = ~induction & (switch == stop) & (stop <= np.datetime64(DATA_END, "D"))
    switches = pd.DataFrame({"provider_code": np.where(mover & (stop >= moved_at), new_provider, provider)[switched],
                             "switched_on": stop[switched].astype("datetime64[ns]")})
    return courses, switches.sort_values(["switched_on", "provider_code"], kind="stable").reset_index(drop=True)


def _maintenance(rng: np.random.Generator, sizes: pd.Series, scale: float, offset: int,
                 myositis_rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The other indications' episodes, and the myositis switches to rituximab (see _myositis)."""
    frames, switches = [], None
    for indication, (patients, weeks, g_per_kg) in MAINTENANCE.items():
        k = max(1, int(round(patients * scale)))
        weight = _weights(rng, k)
        provider = choose(rng, sizes, k)
        first = DATA_START + pd.to_timedelta(rng.integers(0, weeks * 7, k), unit="D")
        if indication == "Myositis":  # its own generator (the draws above kept, so the other tables stay as they were)
            frame, switches = _myositis(myositis_rng, sizes, scale, weight, provider, first, offset)
            frames.append(frame)
            offset += int(frame["patient"].nunique())
            continue
        repeats = int((DATA_END - DATA_START).days // (weeks * 7)) + 1
        step = pd.to_timedelta(np.arange(repeats) * weeks * 7, unit="D")
        dates = (first.to_numpy()[:, None] + step.to_numpy()[None, :]).ravel()
        pid = np.repeat(np.arange(k), repeats)
        frame = pd.DataFrame({"provider_code": provider[pid], "patient": pid + offset, "treatment_date": dates,
                              "indication": indication, "weight_kg": weight[pid],
                              "dose_g": _dose_grams(np.full(len(pid), g_per_kg), weight[pid])})
        frames.append(frame[frame["treatment_date"] <= DATA_END])
        offset += k
    for indication, (per_year, g_per_kg) in ACUTE_OTHER.items():
        k = max(1, int(round(per_year * 3 * scale)))
        weight = _weights(rng, k)
        frames.append(pd.DataFrame({"provider_code": choose(rng, sizes, k), "patient": np.arange(k) + offset,
                                    "treatment_date": random_dates(rng, k), "indication": indication,
                                    "weight_kg": weight, "dose_g": _dose_grams(np.full(k, g_per_kg), weight)}))
        offset += k
    return pd.concat(frames, ignore_index=True), switches


def _drawn(rng: np.random.Generator, sizes: pd.Series, seed: int, scale: float
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    itp = _itp(rng, sizes, scale)
    other, switches = _maintenance(rng, sizes, scale, offset=int(itp["patient"].max()) + 1,
                                   myositis_rng=rng_for(seed, "immunoglobulin/myositis"))
    return pd.concat([itp, other], ignore_index=True), switches


def myositis_switches(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    """The myositis patients of the immunoglobulin table who switch from IVIg to rituximab within the data: the
    provider and date of each switch (`ivanalysis.data.synth.hcd_invoices` invoices their rituximab)."""
    return _drawn(rng_for(seed, "immunoglobulin"), sizes, seed, scale)[1]


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "immunoglobulin")
    df, _ = _drawn(rng, sizes, seed, scale)
    patients = np.unique(df["patient"])
    numbers = dict(zip(patients, nhs_numbers(rng, len(patients))))
    df["patient_id"] = df["patient"].map(numbers)
    missing_weight = rng.random(len(df)) > WEIGHT_RECORDED
    df.loc[missing_weight, "weight_kg"] = np.nan
    df = df.sort_values(["treatment_date", "provider_code", "patient_id"], kind="stable").reset_index(drop=True)
    df.insert(0, "episode_id", sequential_ids("IG", len(df)))
    return df[["episode_id", "provider_code", "patient_id", "treatment_date", "indication", "weight_kg", "dose_g"]]
