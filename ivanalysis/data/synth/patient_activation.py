"""Synthetic Patient Activation Measure (PAM) assessments of patients under specialised services, linked to HES.

The Menu of Opportunities, chapter 16, gives no figures, so volumes and effects are plausible and their sources
stated here. Assessments grow as PAM spreads (NHS England's national licence from 2016, the specialised CQUIN of
2017-19): 8,000 patients assessed for the first time in 2015/16, 16,000 in 2016/17 and 22,000 in 2017/18, at 60
specialised centres, under renal (40%), HIV (30%), cystic fibrosis (8%) and other specialised services (22%); half
of those assessed are reassessed about a year later. Scores are normal around 55 (sd 12), so that about a quarter
are at level 1 and under a fifth at level 4, near English samples (Barker et al., BMJ Qual Saf 2018: 22%, 19%,
46%, 13% at levels 1 to 4); providers differ (sd 3.5 points, partly by hub), so some hubs have more activated
patients.
A tailored intervention follows about half of level 1-2 and a fifth of level 3-4 assessments, varying by
provider, and adds about 5 points at reassessment.

Unplanned admissions and A&E attendances in the 12 months after each assessment are Poisson, at a yearly rate per
service for level 4 (admissions: renal 0.9, HIV 0.15, cystic fibrosis 0.8, other 0.5; A&E: 1.0, 0.4, 0.5, 0.7, the
order of use by these groups) times a factor for the level: level 4 patients have 0.62 times the emergency
admissions and 0.68 times the A&E attendances of level 1 (Barker et al. 2018, adjusted rate ratios), levels 2 and 3
in between; a patient frailty (gamma, mean 1) and a provider factor add overdispersion. Follow-up is cut at the end
of the data (March 2018), and `follow_up_days` says how much of the year was seen.
Null data (`--null`): no provider or hub effect on scores, every provider's interventions and use of care at
England's level.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from ..schemas.patient_activation import pam_level_of
from .common import DATA_END, DATA_START, choose, differences, rng_for, sequential_ids, service_providers

CENTRES = 60
NEW_PATIENTS = {0: 8_000, 1: 16_000, 2: 22_000}  # assessed for the first time, by financial year
REASSESSED = 0.5
SERVICE_MIX = {"renal": 0.40, "hiv": 0.30, "cystic_fibrosis": 0.08, "other": 0.22}
SERVICE_SCORE = {"renal": -2.0, "hiv": 3.0, "cystic_fibrosis": 4.0, "other": 0.0}
ADMISSIONS_L4 = {"renal": 0.9, "hiv": 0.15, "cystic_fibrosis": 0.8, "other": 0.5}  # a year, at level 4
AE_L4 = {"renal": 1.0, "hiv": 0.4, "cystic_fibrosis": 0.5, "other": 0.7}
ADMISSIONS_BY_LEVEL = np.array([0.0, 1 / 0.62, 1.25, 1.12, 1.0])  # index = level; level 1 = 1 / 0.62
AE_BY_LEVEL = np.array([0.0, 1 / 0.68, 1.20, 1.10, 1.0])
INTERVENTION = {1: 0.6, 2: 0.6, 3: 0.25, 4: 0.25}
INTERVENTION_GAIN = 5.0  # PAM points at reassessment


def _scores(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    return np.round(np.clip(rng.normal(mean, 12.0), 0.0, 100.0), 1)


def _first_assessments(rng: np.random.Generator, centres: pd.Series, scale: float) -> pd.DataFrame:
    frames, offset = [], 0
    for year, n in NEW_PATIENTS.items():
        k = int(round(n * scale))
        start = DATA_START + pd.DateOffset(years=year)
        days = rng.integers(0, (start + pd.DateOffset(years=1) - start).days, k)
        frames.append(pd.DataFrame({"patient": np.arange(offset, offset + k), "provider_code": choose(rng, centres, k),
                                    "assessment_date": start + pd.to_timedelta(days, unit="D"),
                                    "service": rng.choice(list(SERVICE_MIX), size=k, p=list(SERVICE_MIX.values()))}))
        offset += k
    return pd.concat(frames, ignore_index=True)


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "patient_activation")
    centres = service_providers(geo, sizes, CENTRES)
    hub_effect = {h.code: rng.normal(0.0, 1.5) for h in geo.hubs()}
    score_effect = differences({p: hub_effect[geo.hub_of(p)] + rng.normal(0.0, 3.5) for p in centres.index}, 0.0)
    uses_interventions = differences({p: rng.uniform(0.4, 1.4) for p in centres.index}, 0.9)
    utilisation = differences({p: rng.lognormal(0.0, 0.15) for p in centres.index}, 1.0)

    # first assessments, then reassessments of half of them about a year later, and so on while the data last
    wave = _first_assessments(rng, centres, scale)
    mean = 55.0 + wave["provider_code"].map(score_effect).to_numpy() + wave["service"].map(SERVICE_SCORE).to_numpy()
    wave["pam_score"] = _scores(rng, mean)
    waves = []
    while len(wave):
        level = pam_level_of(wave["pam_score"])
        p = np.array([INTERVENTION[v] for v in level]) * wave["provider_code"].map(uses_interventions).to_numpy()
        wave["tailored_intervention"] = rng.random(len(wave)) < np.clip(p, 0.0, 1.0)
        waves.append(wave)
        again = wave[rng.random(len(wave)) < REASSESSED].copy()
        again["assessment_date"] = again["assessment_date"] + pd.to_timedelta(rng.integers(300, 430, len(again)),
                                                                             unit="D")
        gain = np.where(again["tailored_intervention"], INTERVENTION_GAIN, 0.0)
        change = gain + rng.normal(1.0, 6.0, len(again))  # a point's drift, and a test-retest spread of 6
        again["pam_score"] = np.round(np.clip(again["pam_score"].to_numpy() + change, 0.0, 100.0), 1)
        wave = again[again["assessment_date"] <= DATA_END].drop(columns="tailored_intervention")
    df = pd.concat(waves, ignore_index=True)

    level = pam_level_of(df["pam_score"])
    df["pam_level"] = level
    df["follow_up_days"] = np.clip((DATA_END - df["assessment_date"]).dt.days.to_numpy(), 0, 365)
    exposure = df["follow_up_days"].to_numpy() / 365.0
    frailty = rng.gamma(2.0, 0.5, len(df)) * df["provider_code"].map(utilisation).to_numpy()
    adm = df["service"].map(ADMISSIONS_L4).to_numpy() * ADMISSIONS_BY_LEVEL[level]
    ae = df["service"].map(AE_L4).to_numpy() * AE_BY_LEVEL[level]
    df["unplanned_admissions"] = rng.poisson(adm * frailty * exposure)
    df["ae_attendances"] = rng.poisson(ae * frailty * exposure)
    df["tailored_intervention"] = np.where(df["tailored_intervention"], "Y", "N")

    df = df.sort_values(["assessment_date", "provider_code", "patient"], kind="stable").reset_index(drop=True)
    patients = np.unique(df["patient"])
    ids = dict(zip(patients, sequential_ids("PA", len(patients))[rng.permutation(len(patients))]))
    df["patient_id"] = df["patient"].map(ids)
    df["assessment_id"] = sequential_ids("PAM", len(df))
    return df[["assessment_id", "provider_code", "patient_id", "assessment_date", "service", "pam_score", "pam_level",
               "tailored_intervention", "follow_up_days", "unplanned_admissions", "ae_attendances"]]
