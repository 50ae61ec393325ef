"""Synthetic enhanced supportive care (ESC) service returns: one row per patient with incurable cancer offered ESC.

Which providers run ESC, for which tumour groups and from when (`esc_plan`) is shared with the admissions generator,
whose unplanned admissions grow more slowly in the groups offered ESC. The Menu of Opportunities (chapter 11) gives
no national figures for the services themselves, so this is an assumption of the book, shaped by its case studies:
about 30 of the larger providers (at least one per hub) start ESC between autumn 2015 and autumn 2017, most in
2016/17 when the national CQUIN (CA1) paid for it; about a third roll it out across all tumour groups at once (as
the Christie), the others start with one to five groups, lung most often first (as Nottingham), and add the others
months later. Patients are those of the admissions cohort (same identifiers): most patients newly diagnosed with
incurable cancer in a group offered ESC are offered it within four weeks (70% to 95% by provider), and some
already under care when the service opens. IPOS (0-68, higher is worse) averages about 24 at the first assessment
and falls by about 5 points at review, the order of change ESC services report.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from ..schemas.esc_services import IPOS_MAX, TUMOUR_GROUPS
from .cancer_cohort import incurable_cohort
from .common import DATA_END, DATA_START, rng_for, sequential_ids, service_providers

ESC_CENTRES = 30
SHARE_ALL_GROUPS = 0.35  # services rolled out across all tumour groups at once
FIRST_GROUP_WEIGHTS = {"lung": 6, "upper_gi": 3, "colorectal": 2, "breast": 2, "urology": 2, "gynaecology": 2,
                       "haematology": 2, "head_and_neck": 1, "brain_cns": 1, "other": 0}  # "other" only with all groups
OFFER_WITHIN_DAYS = 28
SHARE_PREVALENT_OFFERED = 0.30  # patients already under care when the service opens


def esc_plan(geo: Geography, sizes: pd.Series, seed: int) -> pd.DataFrame:
    """The ESC services: provider_code, tumour_group, start (the first of a month), offer_rate (per provider)."""
    rng = rng_for(seed, "esc_services.plan")
    centres = service_providers(geo, sizes, ESC_CENTRES).sort_index()
    groups = np.array(list(TUMOUR_GROUPS))
    w = np.array([FIRST_GROUP_WEIGHTS[g] for g in groups], dtype=float)
    last = DATA_END.to_period("M") - 3
    rows = []
    for provider in centres.index:
        # most services open in 2016/17 (the CQUIN year), some earlier or later
        first = DATA_START.to_period("M") + int(np.clip(rng.normal(17, 6), 6, 30))
        offer_rate = rng.uniform(0.70, 0.95)
        if rng.random() < SHARE_ALL_GROUPS:
            chosen, lags = groups, np.zeros(len(groups), dtype=int)
        else:
            chosen = rng.choice(groups, size=rng.integers(1, 6), replace=False, p=w / w.sum())
            lags = np.concatenate([[0], rng.integers(3, 13, len(chosen) - 1)])  # further groups months later
        for group, lag in zip(chosen, lags):
            rows.append({"provider_code": provider, "tumour_group": str(group),
                         "start": min(first + int(lag), last).to_timestamp(), "offer_rate": offer_rate})
    return pd.DataFrame(rows)


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "esc_services")
    plan = esc_plan(geo, sizes, seed)
    cohort = incurable_cohort(geo, sizes, seed, scale)  # the admissions' patients: the same identifiers
    cohort = cohort.merge(plan, on=["provider_code", "tumour_group"], how="inner")
    n = len(cohort)
    end = cohort["death"].where(cohort["death"] <= DATA_END, DATA_END + pd.Timedelta(days=1))
    new = cohort["diagnosed"] >= cohort["start"]
    offered = np.where(new, rng.random(n) < cohort["offer_rate"], rng.random(n) < SHARE_PREVALENT_OFFERED)
    offer = np.where(new, cohort["diagnosed"], cohort["start"]) + pd.to_timedelta(
        np.where(new, rng.integers(0, OFFER_WITHIN_DAYS, n), rng.integers(0, 90, n)), unit="D")
    offer = pd.Series(offer, index=cohort.index)
    keep = offered & (offer < end) & (end > cohort["start"])
    df = cohort[keep].assign(offer_date=offer[keep])
    k = len(df)
    first = np.clip(np.round(rng.normal(24, 9, k)), 0, IPOS_MAX).astype(int)
    # reviewed if alive four weeks after the offer and seen again (most are)
    alive = (df["offer_date"] + pd.Timedelta(days=28)) < end[keep]
    reviewed = alive.to_numpy() & (rng.random(k) < 0.75)
    review = np.clip(np.round(first - rng.normal(5, 6, k)), 0, IPOS_MAX)
    df = pd.DataFrame({
        "provider_code": df["provider_code"].to_numpy(), "patient_id": df["patient_id"].to_numpy(),
        "tumour_group": df["tumour_group"].to_numpy(), "service_start_date": df["start"].to_numpy(),
        "offer_date": df["offer_date"].to_numpy(), "ipos_first": first,
        "ipos_review": np.where(reviewed, review, np.nan)})
    df = df.sort_values(["offer_date", "provider_code", "patient_id"], kind="stable").reset_index(drop=True)
    df.insert(0, "referral_id", sequential_ids("ESC", len(df)))
    return df
