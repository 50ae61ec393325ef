"""Synthetic HES-like outpatient attendances, one row per attendance, on the shared decision making pathways.

Only the pathways scheme 12 measures are generated (one row per attendance keeps about 1.4 million rows over three
years): osteoarthritis of the hip and of the knee in trauma and orthopaedics, and cardiac devices (pacemaker, ICD,
CRT) in cardiology. The Menu of Opportunities (chapter 12) gives no figures, so volumes and ratios are assumptions
of this book, of the order of HES: about 70,000 and 80,000 new hip and knee osteoarthritis patients and 40,000
cardiac device patients a year, with about 1.4 follow-ups per new attendance in orthopaedics and 1.8 in cardiology,
varying by provider (some providers much better, some worse). New patients are drawn from a year before the data
start so that follow-ups of earlier referrals are there from April 2015. About a third of providers adopt shared
decision making (`sdm_plan`) between autumn 2015 and autumn 2017: afterwards their follow-ups per new patient fall
(about 15% a year) and, in the admissions generator, their growth in joint replacements and device implants slows.
Null data (`--null`): every provider has the pathway's national follow-ups per new patient and demand growth, and
none adopts shared decision making in the data.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from ..schemas.outpatients import PATHWAYS, TREATMENT_FUNCTIONS
from .common import DATA_END, DATA_START, choose, differences, rng_for, sequential_ids, service_providers

NEW_PER_YEAR = {"hip_oa": 70_000, "knee_oa": 80_000, "cardiac_device": 40_000}
FOLLOW_UPS_PER_NEW = {"hip_oa": 1.4, "knee_oa": 1.4, "cardiac_device": 1.8}
DEVICE_CENTRES = 60  # cardiac device implanting centres
SHARE_ADOPTING = 0.35
FOLLOW_UP_FALL = 0.15  # a year, after adoption
DEMAND_GROWTH = 0.035  # a year, new referrals and procedures, before shared decision making
LEAD_IN_DAYS = 365


def sdm_plan(geo: Geography, sizes: pd.Series, seed: int) -> pd.DataFrame:
    """Per provider and pathway: weight (volume), follow-ups per new patient, demand growth, adoption date (or NaT)."""
    rng = rng_for(seed, "outpatients.plan")
    devices = service_providers(geo, sizes, DEVICE_CENTRES)
    adopts = differences(pd.Series(rng.random(len(sizes)) < SHARE_ADOPTING, index=sizes.index), 0.0).astype(bool)
    adopted = pd.Series([DATA_START + pd.DateOffset(months=int(m)) for m in rng.integers(6, 31, len(sizes))],
                        index=sizes.index).where(adopts)
    rows = []
    for pathway in PATHWAYS:
        weights = devices if pathway == "cardiac_device" else sizes
        k = len(weights)
        rows.append(pd.DataFrame({
            "provider_code": weights.index, "pathway": pathway, "weight": (weights / weights.sum()).to_numpy(),
            "follow_ups": differences(FOLLOW_UPS_PER_NEW[pathway] * rng.lognormal(0.0, 0.22, k),
                                      FOLLOW_UPS_PER_NEW[pathway]),
            "growth": differences(rng.normal(DEMAND_GROWTH, 0.025, k), DEMAND_GROWTH),
            "adopted": adopted.reindex(weights.index).to_numpy()}))
    return pd.concat(rows, ignore_index=True)


def years_since(dates, start) -> np.ndarray:
    """Years from `start` to `dates` (arrays of equal length); 0 before `start` or where `start` is missing."""
    y = (pd.DatetimeIndex(dates) - pd.DatetimeIndex(start)) / pd.Timedelta(days=365.25)
    return np.nan_to_num(np.clip(np.asarray(y, dtype=float), 0, None))


def within_patient_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sums of `values` restarting for each patient, whose rows are consecutive (`counts` rows each)."""
    cum = np.cumsum(values)
    first = np.cumsum(counts) - counts  # index of each patient's first row
    has = counts > 0
    return cum - np.repeat(cum[first[has]] - values[first[has]], counts[has])


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "outpatients")
    plan = sdm_plan(geo, sizes, seed)
    start = DATA_START - pd.Timedelta(days=LEAD_IN_DAYS)
    days = (DATA_END - start).days + 1
    frames = []
    for pathway in PATHWAYS:
        p = plan[plan["pathway"] == pathway].reset_index(drop=True)
        top = (1 + p["growth"].clip(lower=0).max()) ** (days / 365.25)
        n = rng.poisson(NEW_PER_YEAR[pathway] * scale * days / 365.25 * top)
        unit = choose(rng, pd.Series(p["weight"].to_numpy(), index=p.index), n)
        when = start + pd.to_timedelta(rng.integers(0, days, n), unit="D")
        t = (when - DATA_START).days.to_numpy() / 365.25
        # growth by thinning: accept with the unit's growth factor over the largest possible one
        keep = rng.random(n) < (1 + p["growth"].to_numpy()[unit]) ** (t + LEAD_IN_DAYS / 365.25) / top
        unit, when = unit[keep], when[keep]
        since = years_since(when, p["adopted"].to_numpy()[unit])
        ratio = p["follow_ups"].to_numpy()[unit] * np.exp(-FOLLOW_UP_FALL * since)
        n_fu = rng.poisson(ratio)
        owner = np.repeat(np.arange(len(unit)), n_fu)
        # follow-ups every 6 to 16 weeks after the new attendance
        cum = within_patient_cumsum(rng.integers(42, 113, len(owner)), n_fu)
        patient = sequential_ids(f"O{pathway[0].upper()}", len(unit))
        provider = p["provider_code"].to_numpy()[unit]
        follow_up = when[owner] + pd.to_timedelta(cum, unit="D")
        frames.append(pd.DataFrame({
            "provider_code": np.concatenate([provider, provider[owner]]),
            "patient_id": np.concatenate([patient, patient[owner]]),
            "attendance_date": np.concatenate([when.to_numpy(), follow_up.to_numpy()]),
            "pathway": pathway,
            "first_attendance": np.concatenate([np.ones(len(unit), dtype=int), np.zeros(len(owner), dtype=int)]),
        }))
    df = pd.concat(frames, ignore_index=True)
    df = df[(df["attendance_date"] >= DATA_START) & (df["attendance_date"] <= DATA_END)]
    df = df.sort_values(["attendance_date", "provider_code", "patient_id"], kind="stable").reset_index(drop=True)
    df.insert(0, "attendance_id", sequential_ids("OP", len(df)))
    df.insert(4, "treatment_function", df["pathway"].map(TREATMENT_FUNCTIONS))
    return df[["attendance_id", "provider_code", "patient_id", "attendance_date", "treatment_function", "pathway",
               "first_attendance"]]
