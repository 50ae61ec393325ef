"""Synthetic elective spinal surgery pathways at the 35 spinal centres, from referral to operation.

Calibrated to the Menu of Opportunities, chapter 17: 35 spinal centres; about 10,000 adult patients a year have
elective spinal surgery in England; activity grows faster than average (here referrals grow 6% a year) and waits
lengthen as centres struggle to absorb it. The Menu gives no conversion rate or waits; this book assumes that about
one referral in five seen by a spinal surgeon is listed for surgery (the pathway exists because most people with
back or radicular pain need no operation), varying by centre from about 1 in 8 to 1 in 3, and centres' mean waits of
4 to 11 weeks to the first attendance and 6 to 18 weeks from decision to operation (in April 2015, lengthening 8% a
year), so that most operations come later than 18 weeks after referral, as in spinal surgery before 2018. A quarter
of centres adopt the triage-and-treat pathway at their own time (some before April 2015, some during the period, as
Middlesbrough did): from then on about half of the referrals that would not have led to an operation are treated by
the triage practitioners instead, so the surgeons' conversion rate rises, their clinic waits shorten and the number
of operations does not change. Like an RTT extract for April 2015 to March 2018, the table holds every pathway with
a step in that period: those referred before April 2015 and still open then are in it, those that ended before are
not. Null data (`--null`): every centre converts a fifth and has the mean waits; centres still adopt the pathway at
their own time.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from .common import DATA_END, DATA_START, choose, differences, rng_for, sequential_ids, service_providers

SPINAL_CENTRES = 35
OPERATIONS_PER_YEAR = 10_000  # Menu ch. 17, about 10,000 adults a year (here: operations in 2017/18)
MEAN_CONVERSION = 0.20  # referrals seen by a surgeon that are listed for surgery, before any triage pathway
GROWTH = 0.06  # referrals a year
ADOPTERS = 0.25  # share of centres adopting the triage-and-treat pathway, at a month of their own
REDIRECTED = 0.50  # after adoption: share of the referrals that would not lead to surgery treated by triage instead
NOT_LISTED = {"injection": 0.30, "physiotherapy": 0.30, "pain_management": 0.15, "discharged": 0.25}
PROCEDURES = {"lumbar_decompression": 0.38, "lumbar_discectomy": 0.22, "lumbar_fusion": 0.18,
              "cervical_decompression_fusion": 0.14, "deformity_correction": 0.03, "other_spinal": 0.05}
# Operations in 2017/18 come from referrals of late 2016/17 and 2017/18; this factor (found by running the
# generator) brings them to OPERATIONS_PER_YEAR.
CALIBRATION = 1.02
LEAD_IN_YEARS = 1.0  # referrals drawn from April 2014, so that pathways open in April 2015 are there


def _weeks(rng: np.random.Generator, mean: np.ndarray, shape: float) -> np.ndarray:
    """Gamma-distributed waits in whole days with the given mean in weeks."""
    return np.round(rng.gamma(shape, mean / shape) * 7).astype("int64")


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "spinal_surgery")
    centres = service_providers(geo, sizes, SPINAL_CENTRES)
    k = len(centres)
    logit = np.log(MEAN_CONVERSION / (1 - MEAN_CONVERSION)) + differences(rng.normal(0, 0.35, k), 0.0)
    conversion = pd.Series(1 / (1 + np.exp(-logit)), index=centres.index)
    op_weeks = differences(pd.Series(rng.uniform(4, 11, k), index=centres.index), 7.5)
    ip_weeks = differences(pd.Series(rng.uniform(6, 18, k), index=centres.index), 12.0)
    # months after April 2015 at which a centre adopts the pathway (negative: before the data start); inf: never
    adopts = rng.random(k) < ADOPTERS
    adoption = pd.Series(np.where(adopts, rng.uniform(-12, 30, k), np.inf), index=centres.index)

    # referrals that would reach the surgeon without the pathway, growing through the period; they start a year
    # before it, as the pathways still open in April 2015 belong in the extract too
    per_year = OPERATIONS_PER_YEAR / float((centres * conversion).sum()) * CALIBRATION  # mid 2016/17
    years = ((DATA_END - DATA_START).days + 1) / 365.25 + LEAD_IN_YEARS
    g = np.log1p(GROWTH)
    # a rate of per_year x exp(g (t - 1.5)) a year, t in years from April 2015, integrated from -LEAD_IN_YEARS
    n = int(round(per_year * scale * np.exp(-(1.5 + LEAD_IN_YEARS) * g) * np.expm1(g * years) / g))
    t = np.log1p(rng.random(n) * np.expm1(g * years)) / g - LEAD_IN_YEARS  # inverse transform of that density
    referral = DATA_START + pd.to_timedelta(np.floor(t * 365.25).astype("int64"), unit="D")
    provider = choose(rng, centres, n)
    months = ((referral - DATA_START).days / 30.44).to_numpy()
    listed = rng.random(n) < conversion[provider].to_numpy()
    triaged = months >= adoption[provider].to_numpy()
    keep = listed | ~triaged | (rng.random(n) >= REDIRECTED)
    referral, provider, months, listed, triaged = (referral[keep], provider[keep], months[keep], listed[keep],
                                                   triaged[keep])
    n = len(referral)

    # waits lengthen 8% a year as demand outgrows capacity; a triage pathway takes pressure off the clinic
    pressure = 1.08 ** (months / 12)
    first = referral + pd.to_timedelta(_weeks(rng, op_weeks[provider].to_numpy() * pressure
                                              * np.where(triaged, 0.7, 1.0), 3.0), unit="D")
    investigated = rng.random(n) < 0.4  # decided after an MRI or nerve root block at a follow-up
    decision = first + pd.to_timedelta(np.where(investigated, _weeks(rng, np.full(n, 4.0), 2.0), 0), unit="D")
    outcome = np.where(listed, "listed_for_surgery",
                       rng.choice(list(NOT_LISTED), size=n, p=list(NOT_LISTED.values())))
    surgery = decision + pd.to_timedelta(_weeks(rng, ip_weeks[provider].to_numpy() * pressure, 2.5), unit="D")
    procedure = rng.choice(list(PROCEDURES), size=n, p=list(PROCEDURES.values()))
    age = np.clip(np.round(rng.normal(56, 15, n)), 18, 95).astype("int64")

    # the extract is taken at the end of March 2018: steps after that have not happened yet
    seen = first <= DATA_END
    decided = seen & (decision <= DATA_END)
    operated = decided & listed & (surgery <= DATA_END)
    # it holds every pathway with a step in April 2015 to March 2018: one that ended before then is not in it
    last = np.where(operated, surgery, np.where(decided & ~listed, decision, DATA_END))
    active = (referral >= DATA_START) | (pd.DatetimeIndex(last) >= DATA_START)
    df = pd.DataFrame({
        "provider_code": provider, "age_at_referral": age, "referral_date": referral,
        "first_attendance_date": first.where(seen), "decision_date": decision.where(decided),
        "outcome": pd.Series(outcome).where(decided, None).to_numpy(dtype=object),
        "surgery_date": surgery.where(operated),
        "procedure_group": pd.Series(procedure).where(operated, None).to_numpy(dtype=object),
    })
    df = df[active].sort_values(["referral_date", "provider_code"], kind="stable").reset_index(drop=True)
    df.insert(0, "referral_id", sequential_ids("SP", len(df)))
    df.insert(2, "patient_id", sequential_ids("P", len(df))[rng.permutation(len(df))])
    return df
