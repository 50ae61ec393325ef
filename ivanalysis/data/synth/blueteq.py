"""Synthetic Blueteq prior-approval forms for MS disease-modifying therapies and obeticholic acid.

The forms are drawn for the patients of the high-cost drug invoices (`hcd_invoices.approval_cohorts`), so they
link by patient_id and drug. Each patient needs an initiation form before the first dose and a continuation form
at each annual review; forms are on the system from April 2014 (patients who started earlier have only their
continuations). No figure is published for how complete Blueteq is, so the rates below are plausible and vary by
provider, so that hubs differ:
- a due form is completed at about 95% of the time on average (70% to 100% by provider; about two thirds as often
  at providers without a specialised hepatobiliary MDT prescribing obeticholic acid);
- about 2% of patients are never registered at all;
- about 2% of forms record that the policy's criteria are not met (treatment outside the policy);
- MDT approval is recorded on about 97% of MS forms, 95% of obeticholic acid forms from specialised hepatobiliary
  centres and 10% of those from other providers (which have no qualifying MDT).
Chapter 10 of the Menu (MS) says the forms were updated in February 2017: from then, MS forms are completed more
often (about 97% rather than 95%). Chapter 7 says the obeticholic acid initiation form was updated in August 2017;
its content is the same over the data period here.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from .common import DATA_END, calibrated_propensities, rng_for, sequential_ids
from .hcd_invoices import QUARTERS, approval_cohorts

BLUETEQ_FROM = np.datetime64("2014-04-01")
COMPLETED, NEVER_REGISTERED, CRITERIA_NOT_MET = 0.95, 0.02, 0.02
NON_SPECIALISED_COMPLETION = 0.65  # relative: obeticholic acid started outside a hepatobiliary centre
MDT_RECORDED = {"ms": 0.97, "specialised": 0.95, "other": 0.10}
FORM_LEAD_DAYS = 28
MS_FORMS_UPDATED, MS_UPDATE_LIFT = np.datetime64("2017-02-01"), 0.8  # logit of completion, from the update
MAX_YEARS = 12  # annual reviews counted from the treatment start (the earliest starts are in 2005-2008)


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "blueteq")
    ep = approval_cohorts(geo, sizes, seed, scale)
    completed = calibrated_propensities(rng, sizes, COMPLETED, 1.2)
    never = calibrated_propensities(rng, sizes, NEVER_REGISTERED, 0.8)
    outside = calibrated_propensities(rng, sizes, CRITERIA_NOT_MET, 0.8)

    # the forms each episode needed: k = 0 initiation, k >= 1 the k-th annual review while still treated
    start = ep["treatment_start"].to_numpy().astype("datetime64[D]")
    last_day = np.append(QUARTERS.to_numpy()[1:], np.datetime64(DATA_END + pd.Timedelta(days=1)))
    ends = last_day.astype("datetime64[D]")[ep["last_q"].to_numpy()] - np.timedelta64(1, "D")
    lemtrada = (ep["product"] == "Lemtrada").to_numpy()  # two courses: initiation and one continuation
    k = np.arange(MAX_YEARS + 1)
    due = (start[:, None].astype("datetime64[M]") + (12 * k)[None, :]).astype("datetime64[D]") + (
        start[:, None] - start[:, None].astype("datetime64[M]").astype("datetime64[D]"))
    # a form is done up to four weeks before its due date, so one due just after the treatment (or the data) ends
    # may already be on the system
    needed = (due - np.timedelta64(FORM_LEAD_DAYS - 1, "D") <= ends[:, None]) & (due >= BLUETEQ_FROM) & ~(
        lemtrada[:, None] & (k[None, :] > 1))
    e, kk = np.nonzero(needed)

    provider = ep["provider_code"].to_numpy()[e]
    specialised = ep["specialised_centre"].to_numpy()[e]
    ms = (ep["indication"] == "Relapsing-remitting multiple sclerosis").to_numpy()[e]
    p_done = completed.loc[provider].to_numpy() * np.where(specialised, 1.0, NON_SPECIALISED_COMPLETION)
    registered = rng.random(len(ep)) >= never.loc[ep["provider_code"]].to_numpy()
    # forms are done up to four weeks ahead of the first dose or of the review, and not after treatment stops
    date = due[e, kk] - rng.integers(0, FORM_LEAD_DAYS, len(e)).astype("timedelta64[D]")
    # the updated MS forms and the push to implement them (February 2017) raised completion
    lift = np.where(ms & (date >= MS_FORMS_UPDATED), MS_UPDATE_LIFT, 0.0)
    p_done = 1 / (1 + np.exp(-(np.log(p_done / (1 - p_done)) + lift)))
    keep = registered[e] & (rng.random(len(e)) < p_done) & (date <= ends[e])
    p_mdt = np.where(ms, MDT_RECORDED["ms"], np.where(specialised, MDT_RECORDED["specialised"], MDT_RECORDED["other"]))
    criteria = np.where(rng.random(len(e)) < outside.loc[provider].to_numpy(), "N", "Y")
    mdt = np.where(rng.random(len(e)) < p_mdt, "Y", "N")

    forms = pd.DataFrame({
        "provider_code": provider, "patient_id": ep["patient_id"].to_numpy()[e], "drug": ep["drug"].to_numpy()[e],
        "indication": ep["indication"].to_numpy()[e], "form_type": np.where(kk == 0, "initiation", "continuation"),
        "approval_date": date.astype("datetime64[ns]"), "criteria_met": criteria, "mdt_approved": mdt,
    })[keep]
    forms = forms.sort_values(["approval_date", "provider_code", "patient_id"], kind="stable").reset_index(drop=True)
    forms.insert(0, "form_id", sequential_ids("BQ", len(forms)))
    return forms
