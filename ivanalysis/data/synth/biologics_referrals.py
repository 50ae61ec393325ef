"""Synthetic referral log of virtual biologics clinics (VBC) and of providers without one.

The Menu of Opportunities (chapter 4) publishes no figures; volumes, effects and prices are plausible, and say why:
- Referrals: about 30,000 new patients a year considered for a first biologic in rheumatology, gastroenterology
  and dermatology in England (the order of the national biologics registers' recruitment: BSRBR-RA, BADBIR and
  the IBD registry together), and about 15,000 existing patients a year reviewed for a switch or a stop.
- Virtual clinics: about a quarter of providers start one between October 2015 and April 2017 (the Manchester
  Royal Infirmary model); each hub has its own appetite for them, so that hubs differ. From its start date, a
  provider's referrals are decided by the clinic's MDT.
- Effects, as the Menu expects them: fewer new patients started (about 85% without a clinic, 70% with one, each
  provider varying around these), more timely stops of existing patients (a fifth of reviews end in a stop
  without a clinic, a third with one), decisions within a week rather than three, first doses within two weeks of
  the decision rather than five, and more best-value (cheaper) products chosen.
- Monthly costs: list prices of 2016-18 (BNF, rounded) at maintenance dosing, with a few percent of contract
  variation; started patients stop later when the drug fails (a fifth without a clinic, an eighth with one).
Null data (`--null`): clinics run where and when they do, but every referral has England's chance of a start or a
stop and the same drug mix, so no provider (and no clinic) truly differs.
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
    random_dates,
    rng_for,
    sequential_ids,
)

NEW_PER_YEAR = 30_000
EXISTING_PER_YEAR = 15_000
SPECIALTY_SHARE = {"rheumatology": 0.45, "gastroenterology": 0.35, "dermatology": 0.20}
VBC_SHARE = 0.25
VBC_FROM, VBC_TO = pd.Timestamp("2015-10-01"), pd.Timestamp("2017-04-01")
START_RATE = {"consultant": 0.85, "virtual clinic": 0.70}
STOP_SHARE = {"consultant": 0.20, "virtual clinic": 0.33}
DECISION_DAYS = {"consultant": 21.0, "virtual clinic": 7.0}  # mean days from referral to decision
DOSE_DAYS = {"consultant": 35.0, "virtual clinic": 14.0}  # mean days from decision to first dose
LATER_STOP = {"consultant": 0.20, "virtual clinic": 0.12}  # started patients who stop within a year (no response)
# drug: monthly cost (GBP, maintenance), weight by specialty (rheumatology, gastroenterology, dermatology)
DRUGS = {
    "adalimumab": (704.0, (0.30, 0.30, 0.35)),
    "etanercept": (650.0, (0.20, 0.0, 0.10)),
    "certolizumab pegol": (715.0, (0.08, 0.0, 0.0)),
    "infliximab": (420.0, (0.10, 0.35, 0.0)),
    "tocilizumab": (800.0, (0.12, 0.0, 0.0)),
    "abatacept": (1_000.0, (0.08, 0.0, 0.0)),
    "rituximab": (300.0, (0.07, 0.0, 0.0)),
    "secukinumab": (1_218.0, (0.05, 0.0, 0.25)),
    "ustekinumab": (1_070.0, (0.0, 0.15, 0.30)),
    "vedolizumab": (1_025.0, (0.0, 0.20, 0.0)),
}
VBC_VALUE_TILT = 1.5  # a clinic weights each drug by (cheapest cost / its cost) ^ 1.5: more best-value choices


def vbc_starts(geo: Geography, sizes: pd.Series, seed: int) -> pd.Series:
    """The providers that run a virtual clinic and the date each starts (NaT: none), from their own stream."""
    rng = rng_for(seed, "biologics_referrals/vbc")
    hub_appetite = {h.code: rng.beta(1.2, 3.0) for h in geo.hubs()}  # mean about 0.29, some hubs far keener
    p = np.array([hub_appetite[geo.hub_of(c)] for c in sizes.index])
    p = p * VBC_SHARE / np.average(p)
    runs = rng.random(len(sizes)) < np.clip(p, 0, 0.9)
    days = (VBC_TO - VBC_FROM).days
    start = VBC_FROM + pd.to_timedelta(rng.integers(0, days, len(sizes)), unit="D")
    start = start.to_period("M").to_timestamp()  # clinics start at the beginning of a month
    return pd.Series(np.where(runs, start, pd.NaT), index=sizes.index, dtype="datetime64[ns]")


def _drugs(rng: np.random.Generator, specialty: np.ndarray, vbc: np.ndarray) -> np.ndarray:
    names = np.array(list(DRUGS))
    cost = np.array([c for c, _ in DRUGS.values()])
    out = np.empty(len(specialty), dtype=object)
    for _, s in enumerate(SPECIALTY_SHARE):
        base = np.array([w[("rheumatology", "gastroenterology", "dermatology").index(s)] for _, w in DRUGS.values()])
        for at_vbc in (False, True):
            w = base * ((cost.min() / cost) ** VBC_VALUE_TILT if at_vbc else 1.0)
            idx = np.flatnonzero((specialty == s) & (vbc == at_vbc))
            out[idx] = rng.choice(names, size=len(idx), p=w / w.sum())
    return out


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "biologics_referrals")
    starts = vbc_starts(geo, sizes, seed)
    years = ((DATA_END - DATA_START).days + 1) / 365.25
    n_new, n_old = int(round(NEW_PER_YEAR * years * scale)), int(round(EXISTING_PER_YEAR * years * scale))
    n = n_new + n_old
    df = pd.DataFrame({
        "provider_code": choose(rng, sizes, n),
        "specialty": rng.choice(list(SPECIALTY_SHARE), size=n, p=list(SPECIALTY_SHARE.values())),
        "referral_type": np.repeat(["new", "existing"], [n_new, n_old]),
        "referral_date": random_dates(rng, n),
    })
    vbc_from = starts.reindex(df["provider_code"]).to_numpy()
    vbc = ~pd.isna(vbc_from) & (df["referral_date"].to_numpy() >= vbc_from)
    df["decided_by"] = np.where(vbc, "virtual clinic", "consultant")
    mean = lambda table: np.where(vbc, table["virtual clinic"], table["consultant"])  # noqa: E731
    df["decision_date"] = df["referral_date"] + pd.to_timedelta(np.round(rng.gamma(2.0, mean(DECISION_DAYS) / 2.0)),
                                                                unit="D")

    # each provider's own leaning about the national rates: some start more, some stop more
    start_lean = calibrated_propensities(rng, sizes, 0.5, 0.6)
    stop_lean = calibrated_propensities(rng, sizes, 0.5, 0.5)
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    nudge = lambda lean: logit(lean.reindex(df["provider_code"]).to_numpy())  # noqa: E731
    p_start = 1 / (1 + np.exp(-(logit(mean(START_RATE)) + nudge(start_lean))))
    p_stop = 1 / (1 + np.exp(-(logit(mean(STOP_SHARE)) + nudge(stop_lean))))
    new = df["referral_type"].to_numpy() == "new"
    # null data: every referral has England's chance of a start (or a stop), whoever decides, and the same drug mix
    p_start, p_stop = differences(p_start, float(p_start[new].mean())), differences(p_stop, float(p_stop[~new].mean()))
    u = rng.random(n)
    df["outcome"] = np.where(new, np.where(u < p_start, "start", "do not start"),
                             np.where(u < p_stop, "stop", "switch"))

    outcome = df["outcome"].to_numpy()
    given = np.isin(outcome, ["start", "switch"])
    drug = _drugs(rng, df["specialty"].to_numpy(), differences(vbc, 0.0).astype(bool))
    df["drug"] = np.where(outcome == "do not start", None, drug)
    cost = df["drug"].map({d: c for d, (c, _) in DRUGS.items()}).to_numpy(dtype=float)
    df["monthly_cost"] = np.round(cost * rng.normal(1.0, 0.03, n), 2)
    first = df["decision_date"] + pd.to_timedelta(np.round(rng.gamma(2.0, mean(DOSE_DAYS) / 2.0)), unit="D")
    df["first_dose_date"] = first.where(given)
    stopped_later = given & (rng.random(n) < mean(LATER_STOP))
    later = df["first_dose_date"] + pd.to_timedelta(rng.integers(90, 366, n), unit="D")
    stop_now = df["decision_date"] + pd.to_timedelta(np.round(rng.gamma(2.0, 5.0, n)), unit="D")
    df["stop_date"] = later.where(stopped_later).where(outcome != "stop", stop_now)

    # the extract ends in March 2018: referrals not yet decided are not in it; later dates are not known yet
    df = df[df["decision_date"] <= DATA_END].copy()
    for column in ("first_dose_date", "stop_date"):
        df[column] = df[column].where(df[column] <= DATA_END)
    df = df[(df["outcome"] != "stop") | df["stop_date"].notna()]  # a stop not yet carried out is still pending
    df = df.sort_values(["decision_date", "provider_code", "referral_date"], kind="stable").reset_index(drop=True)
    df.insert(0, "referral_id", sequential_ids("VB", len(df)))
    df.insert(2, "patient_id", sequential_ids("BP", len(df))[rng.permutation(len(df))])
    return df[["referral_id", "provider_code", "patient_id", "specialty", "referral_type", "decided_by",
               "referral_date", "decision_date", "outcome", "drug", "first_dose_date", "stop_date", "monthly_cost"]]
