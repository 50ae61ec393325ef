"""Synthetic registry of patients with lupus (SLE) and systemic vasculitis under specialised rheumatology.

Calibrated to the Menu of Opportunities, chapter 19: a network is expected to cut progression to end-stage renal
replacement therapy (RRT) by 15-20%, and 'an estimated minimum 12 cases avoided' a year is 15% of 80. So, at scale
1, exactly 80 patients cared for outside a coordinated network start RRT in 2017/18 (86 and 83 in the two years
before), and patients within a network progress at 0.8 times the rate of those outside.

Where the Menu gives no figure the volumes are plausible, of the order of published epidemiology: about 30,000
patients under specialised care (18,600 with SLE, 11,400 with vasculitis), diagnosed since April 2000; renal
involvement in 35% of SLE (lupus nephritis) and 60% of vasculitis; about 1.6% of those with renal involvement
starting RRT a year, some 200 patients in England (the order of UK Renal Registry incidence for these causes).
Patients of the specialised centres (the largest one or two providers of each hub) are 'hub' patients; elsewhere
each hub's network is at its own stage, so the share of patients in a 'spoke' varies from a fifth to four fifths by
hub and again by provider. High-cost drugs (rituximab for both conditions, belimumab for SLE from its NICE appraisal in
June 2016) start within the data's three years for 15% of SLE and 35% of vasculitis patients. Submission to the
high-cost drug registry rises from 55% to 78% over the three years (the CQUIN's audit), higher at hubs and
varying by provider, so that few providers reach the 90% the Menu asks for.
Null data (`--null`): every provider outside the centres has half its patients in a spoke, the same risk of
progression and England's registry submission (centres' patients are still 'hub' patients: that is what a centre is).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from .common import DATA_END, DATA_START, choose, differences, random_dates, rng_for, sequential_ids, service_providers

PATIENTS = 30_000
SLE_SHARE = 0.62
RENAL = {"SLE": 0.35, "vasculitis": 0.60}
HUB_CENTRES = 10  # the specialised centres at the heart of each hub's network
OUTSIDE_RRT_PER_YEAR = {0: 86, 1: 83, 2: 80}  # 2017/18: 80 x 15% = the Menu's 12 cases
NETWORK_HAZARD_RATIO = 0.8  # within a network, progression is a fifth lower: the top of the Menu's 15-20%
RRT_BEFORE_2015_PER_YEAR = 0.016  # share of those with renal involvement starting RRT each year before the data
HCD = {"SLE": 0.15, "vasculitis": 0.35}  # starting a high-cost drug in the three years
BELIMUMAB_FROM = pd.Timestamp("2016-06-22")  # NICE TA397
REGISTRY_SHARE = {0: 0.55, 1: 0.68, 2: 0.78}  # submitted to the high-cost drug registry, by financial year
REGISTRY_STATUS_LOGIT = {"hub": 0.8, "spoke": 0.2, "outside": -0.5}


def _network_status(rng: np.random.Generator, geo: Geography, provider: np.ndarray, centres: pd.Index) -> np.ndarray:
    hub_maturity = {h.code: rng.uniform(0.2, 0.8) for h in geo.hubs()}  # each hub's network at its own stage
    providers = np.unique(provider)
    p_spoke = differences({p: np.clip(hub_maturity[geo.hub_of(p)] + rng.normal(0, 0.1), 0.05, 0.95)
                           for p in providers}, 0.5)
    spoke = rng.random(len(provider)) < np.array([p_spoke[p] for p in provider])
    return np.where(np.isin(provider, centres), "hub", np.where(spoke, "spoke", "outside"))


def _rrt_dates(rng: np.random.Generator, df: pd.DataFrame, scale: float) -> np.ndarray:
    """RRT start dates: before the data at a steady rate, then exact numbers outside the network each year."""
    rrt = np.full(len(df), np.datetime64("NaT"), dtype="datetime64[ns]")
    renal = (df["renal_involvement"] == "Y").to_numpy()
    diag = df["diagnosis_date"].to_numpy()
    # before April 2015: each year at risk carries the same chance; the date falls between diagnosis and March 2015
    years_before = np.clip((DATA_START - df["diagnosis_date"]).dt.days.to_numpy() / 365.25, 0, None)
    before = renal & (rng.random(len(df)) < 1 - (1 - RRT_BEFORE_2015_PER_YEAR) ** years_before)
    span = (DATA_START.to_datetime64() - diag).astype("timedelta64[D]").astype(int)
    rrt[before] = diag[before] + (rng.random(before.sum()) * span[before]).astype(int).astype("timedelta64[D]")
    # providers differ in how often their patients progress (care, case mix): a frailty per provider
    providers = df["provider_code"].unique()
    frailty = differences(dict(zip(providers, rng.lognormal(0.0, 0.3, len(providers)))), 1.0)
    weight = df["provider_code"].map(frailty).to_numpy() * np.where(df["condition"] == "vasculitis", 1.5, 1.0)
    outside = (df["network_status"] == "outside").to_numpy()
    for year, per_year in OUTSIDE_RRT_PER_YEAR.items():
        start = DATA_START + pd.DateOffset(years=year)
        end = start + pd.DateOffset(years=1) - pd.Timedelta(days=1)
        at_risk = renal & np.isnat(rrt) & (diag <= end.to_datetime64())
        k_out = int(round(per_year * scale))
        # within the network the hazard is NETWORK_HAZARD_RATIO times that outside, per patient at risk
        n_out, n_in = (at_risk & outside).sum(), (at_risk & ~outside).sum()
        k_in = int(round(k_out * NETWORK_HAZARD_RATIO * n_in / n_out)) if n_out else 0
        for pool, k in ((at_risk & outside, k_out), (at_risk & ~outside, k_in)):
            idx = np.flatnonzero(pool)
            k = min(k, len(idx))
            if k == 0:
                continue
            chosen = rng.choice(idx, size=k, replace=False, p=weight[idx] / weight[idx].sum())
            first = np.maximum(diag[chosen], start.to_datetime64())
            days = (end.to_datetime64() - first).astype("timedelta64[D]").astype(int) + 1
            rrt[chosen] = first + (rng.random(k) * days).astype(int).astype("timedelta64[D]")
    return rrt


def _registered(rng: np.random.Generator, provider: np.ndarray, status: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Registry submission: a provider effect and a network effect on the logit, with each year's national share."""
    providers = np.unique(provider)
    effect = differences(dict(zip(providers, rng.normal(0.0, 0.9, len(providers)))), 0.0)
    base = np.array([effect[p] for p in provider]) + differences(np.array([REGISTRY_STATUS_LOGIT[s] for s in status]),
                                                                 0.0)
    out = np.zeros(len(provider), dtype=bool)
    u = rng.random(len(provider))
    for y, target in REGISTRY_SHARE.items():
        rows = year == y
        if not rows.any():
            continue
        lo, hi = -10.0, 10.0
        for _ in range(60):  # bisection on the year's common offset, so the year's share is the target
            mid = (lo + hi) / 2
            share = float(np.mean(1 / (1 + np.exp(-(mid + base[rows])))))
            lo, hi = (mid, hi) if share < target else (lo, mid)
        out[rows] = u[rows] < 1 / (1 + np.exp(-((lo + hi) / 2 + base[rows])))
    return out


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "rheumatology_patients")
    n = int(round(PATIENTS * scale))
    centres = service_providers(geo, sizes, HUB_CENTRES).index
    provider = choose(rng, sizes, n)  # rheumatology is in every trust; the centres are among the largest
    condition = np.where(rng.random(n) < SLE_SHARE, "SLE", "vasculitis")
    df = pd.DataFrame({
        "provider_code": provider,
        "condition": condition,
        "diagnosis_date": random_dates(rng, n, pd.Timestamp("2000-04-01"), DATA_END),
        "network_status": _network_status(rng, geo, provider, centres),
        "renal_involvement": np.where(rng.random(n) < np.where(condition == "SLE", RENAL["SLE"],
                                                                RENAL["vasculitis"]), "Y", "N"),
    })
    df["rrt_date"] = _rrt_dates(rng, df, scale)

    on_hcd = rng.random(n) < np.where(condition == "SLE", HCD["SLE"], HCD["vasculitis"])
    first = np.maximum(df["diagnosis_date"].to_numpy(), DATA_START.to_datetime64())
    days = (DATA_END.to_datetime64() - first).astype("timedelta64[D]").astype(int) + 1
    start = pd.Series(first + (rng.random(n) * days).astype(int).astype("timedelta64[D]")).where(on_hcd)
    belimumab = (condition == "SLE") & (rng.random(n) < 0.4) & (start >= BELIMUMAB_FROM).to_numpy()
    drug = np.where(~on_hcd, "none", np.where(belimumab, "belimumab",
                                              np.where(rng.random(n) < 0.9, "rituximab", "other")))
    fy = np.where(start.dt.month >= 4, start.dt.year, start.dt.year - 1) - DATA_START.year
    registered = on_hcd & _registered(rng, provider, df["network_status"].to_numpy(), np.nan_to_num(fy, nan=-1))
    df["high_cost_drug"] = drug
    df["hcd_start_date"] = start
    df["hcd_registered"] = np.where(registered, "Y", "N")

    df = df.sort_values(["diagnosis_date", "provider_code"], kind="stable").reset_index(drop=True)
    df.insert(0, "patient_id", sequential_ids("RH", n)[rng.permutation(n)])
    return df[["patient_id", "provider_code", "condition", "diagnosis_date", "network_status", "renal_involvement",
               "rrt_date", "high_cost_drug", "hcd_start_date", "hcd_registered"]]
