"""Synthetic HES-like admitted patient care, one row per spell, linked to dates of death: only the cohorts the demand
schemes read, which keeps about 2.5 million rows over three years at national volumes.

1. Patients with incurable cancer (scheme 11, enhanced supportive care; the cohort is `cancer_cohort`'s): about
   95,000 patients a year in England newly diagnosed with incurable cancer, by tumour group with the group's
   survival and unplanned admission rate (1 to 2 a patient-year, three times as high in the last 60 days of life).
   Their spells: an admission at the diagnosis of incurable disease (or, for patients diagnosed before April 2015,
   a planned day case early in the data); chemotherapy delivery day cases every 21 days for the 30% to 70% who
   have palliative chemotherapy; and unplanned (emergency) admissions, growing about 5% a year per patient. Where
   the provider runs ESC for the patient's tumour group (`esc_services.esc_plan`), unplanned admissions drop about
   4% when the service opens and then grow about 7 points a year more slowly, and chemotherapy in the last 30 days
   of life is 40% less likely. This makes a large ESC service avoid admissions worth of the order of the
   Christie's 1.4 million pounds over three years (Menu of Opportunities, chapter 11). Of patients on chemotherapy
   who die, about 28% without ESC have a cycle in their last 30 days (about 12% of all deaths), varying by
   provider.
2. Elective hip and knee replacements for osteoarthritis (ICD-10 M16, M17) and cardiac device implants (scheme 12,
   shared decision making): about 90,000 hip and 100,000 knee replacements a year (the order of the National
   Joint Registry's primary procedures in England) and 60,000 pacemaker, ICD and CRT implants, growing about 3.5%
   a year with provider variation; growth slows at providers that adopt shared decision making
   (`outpatients.sdm_plan`).

A patient's spells may overlap in time (a simplification): each kind of spell is drawn on its own.
Null data (`--null`): every provider has England's unplanned admission rate and chemotherapy near death, and the
procedures' demand growth of `outpatients.sdm_plan` in null data (no provider adopts shared decision making).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from .cancer_cohort import GROUPS, incurable_cohort, weighted_codes
from .common import DATA_END, DATA_START, calibrated_propensities, choose, differences, rng_for, sequential_ids
from .esc_services import esc_plan
from .outpatients import sdm_plan, years_since

UNPLANNED_GROWTH = np.log(1.05)  # a year, per patient
END_OF_LIFE_DAYS, END_OF_LIFE_FACTOR = 60, 3.0
ESC_LEVEL, ESC_SLOPE = 0.04, 0.07  # drop when the service opens; slower growth a year after
EOL_CHEMO_SHARE, ESC_EOL_FACTOR = 0.28, 0.6  # of patients on chemotherapy who die: a cycle in the last 30 days
CYCLE_DAYS = 21

# procedure group: outpatient pathway, procedures a year, diagnoses with weights, share as day case, mean nights
PROCEDURES = {
    "hip_replacement": ("hip_oa", 90_000, {"M16": 1.0}, 0.0, 3.5),
    "knee_replacement": ("knee_oa", 100_000, {"M17": 1.0}, 0.0, 3.0),
    "cardiac_device": ("cardiac_device", 60_000, {"I44": 0.45, "I49": 0.2, "I50": 0.25, "I47": 0.1}, 0.35, 1.5),
}
SDM_SLOWING = 0.05  # a year less growth in procedures after a provider adopts shared decision making

COLUMNS = ["spell_id", "provider_code", "patient_id", "admission_date", "discharge_date", "admission_method",
           "diagnosis", "procedure_group", "incurable_cancer", "date_of_death", "length_of_stay"]


def _frame(provider, patient, admitted, nights, method, diagnosis, procedure, incurable, death) -> pd.DataFrame:
    admitted = pd.DatetimeIndex(admitted)
    discharged = admitted + pd.to_timedelta(nights, unit="D")
    death = pd.DatetimeIndex(death)
    discharged = discharged.where(~(death < discharged), death)  # died in hospital
    return pd.DataFrame({"provider_code": provider, "patient_id": patient, "admission_date": admitted,
                         "discharge_date": discharged, "admission_method": method, "diagnosis": diagnosis,
                         "procedure_group": procedure, "incurable_cancer": incurable,
                         "date_of_death": death.where(death <= DATA_END),
                         "length_of_stay": (discharged - admitted).days})


def _cancer_spells(rng: np.random.Generator, geo: Geography, sizes: pd.Series, seed: int, scale: float) -> list:
    cohort = incurable_cohort(geo, sizes, seed, scale)
    plan = esc_plan(geo, sizes, seed)
    cohort = cohort.merge(plan[["provider_code", "tumour_group", "start"]], on=["provider_code", "tumour_group"],
                          how="left")
    n = len(cohort)
    diagnosed, death = pd.DatetimeIndex(cohort["diagnosed"]), pd.DatetimeIndex(cohort["death"])
    enter = diagnosed.where(diagnosed > DATA_START, DATA_START)
    leave = death.where(death <= DATA_END, DATA_END + pd.Timedelta(days=1))  # exposure is [enter, leave)
    exposure = (leave - enter).days.to_numpy()
    prov = differences(pd.Series(rng.lognormal(0.0, 0.2, len(sizes)), index=sizes.index), 1.0)
    prov = prov[cohort["provider_code"]].to_numpy()
    eol_share = calibrated_propensities(rng, sizes, EOL_CHEMO_SHARE, 0.4)[cohort["provider_code"]].to_numpy()
    pid, provider, code = (cohort[c].to_numpy() for c in ("patient_id", "provider_code", "diagnosis"))

    def spells(idx, admitted, nights, method, procedure=None):
        return _frame(provider[idx], pid[idx], admitted, nights, method, code[idx], procedure, 1, death[idx])

    out = []
    # the admission at diagnosis of incurable disease; a planned day case early on for those diagnosed before
    new = np.flatnonzero(diagnosed >= DATA_START)
    elective = rng.random(len(new)) < 0.5
    out.append(spells(new, diagnosed[new], np.where(elective, 1 + rng.poisson(2.0, len(new)), 0),
                      np.where(elective, "elective", "day_case")))
    old = np.flatnonzero((diagnosed < DATA_START) & (rng.random(n) < 0.7))
    when = DATA_START + pd.to_timedelta(rng.integers(0, np.minimum(180, exposure[old])), unit="D")
    out.append(spells(old, when, 0, "day_case"))

    # chemotherapy: cycles every 21 days; of those who die, some have a cycle in their last 30 days
    chemo = np.flatnonzero(cohort["chemo"].to_numpy())
    cycles = 2 + rng.poisson(2.5, len(chemo))
    owner = np.repeat(chemo, cycles)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(cycles) - cycles, cycles)
    first = diagnosed[chemo] + pd.to_timedelta(rng.integers(14, 43, len(chemo)), unit="D")
    when = pd.DatetimeIndex(np.repeat(first.to_numpy(), cycles)) + pd.to_timedelta(CYCLE_DAYS * k, unit="D")
    esc_at_death = (cohort["start"].to_numpy()[chemo] <= (death[chemo] - pd.Timedelta(days=30)).to_numpy())
    eol = rng.random(len(chemo)) < eol_share[chemo] * np.where(esc_at_death, ESC_EOL_FACTOR, 1.0)
    last30 = death[owner] - pd.Timedelta(days=30)
    keep = (when < death[owner]) & (np.repeat(eol, cycles) | (when < last30))
    owner, when = owner[keep], when[keep]
    # a last cycle in the final 30 days for those who have one, unless the schedule already put one there
    has = np.zeros(n, dtype=bool)
    has[owner[when >= death[owner] - pd.Timedelta(days=30)]] = True
    extra = chemo[eol & ~has[chemo]]
    extra_when = death[extra] - pd.to_timedelta(rng.integers(2, 30, len(extra)), unit="D")
    ok = extra_when >= diagnosed[extra]
    owner = np.concatenate([owner, extra[ok]])
    when = when.append(extra_when[ok])
    in_data = (when >= DATA_START) & (when <= DATA_END)
    out.append(spells(owner[in_data], when[in_data], 0, "day_case", "chemotherapy"))

    # unplanned admissions by thinning a Poisson process at the highest rate the patient can have
    base = np.array([g[1] for g in GROUPS.values()])[pd.Categorical(cohort["tumour_group"], list(GROUPS)).codes]
    top = base * prov * cohort["frailty"].to_numpy() * END_OF_LIFE_FACTOR * np.exp(UNPLANNED_GROWTH * 3) / 365.25
    count = rng.poisson(top * exposure)
    owner = np.repeat(np.arange(n), count)
    when = enter[owner] + pd.to_timedelta(rng.integers(0, np.repeat(exposure, count)), unit="D")
    t = ((when - DATA_START) / pd.Timedelta(days=365.25)).to_numpy()
    since = years_since(when, cohort["start"].to_numpy()[owner])
    esc = np.where(when >= cohort["start"].to_numpy()[owner], np.exp(-ESC_LEVEL - ESC_SLOPE * since), 1.0)
    dying = (death[owner] - when).days < END_OF_LIFE_DAYS
    rate = np.exp(UNPLANNED_GROWTH * t) * esc * np.where(dying, END_OF_LIFE_FACTOR, 1.0)
    keep = rng.random(len(owner)) < rate / (END_OF_LIFE_FACTOR * np.exp(UNPLANNED_GROWTH * 3))
    owner, when = owner[keep], when[keep]
    nights = np.minimum(1 + np.round(rng.gamma(1.3, 6.0, len(owner))), 120).astype(int)
    out.append(spells(owner, when, nights, "emergency"))
    return out


def _procedure_spells(rng: np.random.Generator, geo: Geography, sizes: pd.Series, seed: int, scale: float) -> list:
    plan = sdm_plan(geo, sizes, seed)
    days = (DATA_END - DATA_START).days + 1
    out = []
    for group, (pathway, per_year, diagnoses, day_case, nights) in PROCEDURES.items():
        p = plan[plan["pathway"] == pathway].reset_index(drop=True)
        top = (1 + p["growth"].clip(lower=0).max()) ** 3
        n = rng.poisson(per_year * scale * 3 * top)
        unit = choose(rng, pd.Series(p["weight"].to_numpy(), index=p.index), n)
        when = DATA_START + pd.to_timedelta(rng.integers(0, days, n), unit="D")
        t = ((when - DATA_START) / pd.Timedelta(days=365.25)).to_numpy()
        slowing = np.exp(-SDM_SLOWING * years_since(when, p["adopted"].to_numpy()[unit]))
        keep = rng.random(n) < (1 + p["growth"].to_numpy()[unit]) ** t * slowing / top
        unit, when = unit[keep], when[keep]
        k = len(unit)
        is_day = rng.random(k) < day_case
        out.append(_frame(p["provider_code"].to_numpy()[unit], sequential_ids(f"P{group[0].upper()}", k), when,
                          np.where(is_day, 0, 1 + rng.poisson(nights - 1, k)),
                          np.where(is_day, "day_case", "elective"), weighted_codes(rng, diagnoses, k), group, 0,
                          np.full(k, np.datetime64("NaT", "ns"))))
    return out


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "admissions")
    df = pd.concat(_cancer_spells(rng, geo, sizes, seed, scale) + _procedure_spells(rng, geo, sizes, seed, scale),
                   ignore_index=True)
    df = df.sort_values(["admission_date", "provider_code", "patient_id"], kind="stable").reset_index(drop=True)
    df.insert(0, "spell_id", sequential_ids("AP", len(df)))
    df["procedure_group"] = df["procedure_group"].astype(object).where(df["procedure_group"].notna(), None)
    return df[COLUMNS]
