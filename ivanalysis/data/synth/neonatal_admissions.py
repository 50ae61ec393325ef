"""Synthetic NNRD-like admissions to neonatal units, at national volumes.

Calibrated to the Menu of Opportunities, chapter 13 (ATAIN):
- 80,251 admissions to neonatal units in England a year, almost 60% of them (48,000) babies born at term (37 weeks
  or more): the headline year 2017/18 has 48,150 term and 32,100 preterm admissions expected;
- term admissions as a share of all live births: the South region 4.9% in Q3 2017/18 and South East Coast 4.1%
  (here the South West and Wessex and Thames Valley hubs at 5.3% and Kent, Surrey and Sussex at 4.1%, the South
  having run ATAIN for years); the other hubs share the rest of England's 48,150, each at its own level, and fall
  through 2017/18 after the national Patient Safety Alert (from 6% above their level to 6% below);
- NHS Improvement's estimate that 30% of term admissions are avoidable: about 30% of the term admissions reviewed
  are judged avoidable, 30% of those for hypoglycaemia (the Menu's figure); by reason the Menu gives no other share,
  and the others are plausible values (more for jaundice, few for asphyxia, whose admissions include babies cooled
  for hypoxic-ischaemic encephalopathy); reviews become routine outside the South in 2017/18;
- about 3 m pounds a year for the avoidable 30% of term hypoglycaemia admissions: 10% of term admissions are for
  hypoglycaemia, with on average 0.05 intensive, 0.3 high dependency and 3.15 special care cot days (about 2,070
  pounds at 1,300, 900 and 550 pounds a cot day): 0.3 x 4,815 x 2,070 = 3.0 m pounds.
The Menu gives no other figures: the reasons for admission and the cot days at each level of care are plausible
values (term: respiratory a third, then infection, hypoglycaemia, asphyxia, jaundice; preterm stays lengthen as
gestation shortens, about 1.1 million cot days a year in all). Units vary within each hub (logit-normal).
Null data (`--null`): every unit admits term babies at England's 2017/18 rate per live birth and follows the same
trend, admits preterm babies in proportion to its births, and reviews its admissions as the other hubs do.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from .births import BIRTHS_PER_YEAR, maternity_providers
from .common import DATA_END, DATA_START, calibrated_propensities, differences, is_null, rng_for, sequential_ids

TERM_ADMISSIONS_2017_18 = 48_150  # 60% of 80,251
PRETERM_ADMISSIONS_PER_YEAR = 32_100  # the other 40%
SOUTH_RATES = {"SW": 0.053, "WTV": 0.053, "KSS": 0.041}  # term admissions per live birth, 2017/18
ALERT = pd.Timestamp("2017-04-01")  # the other hubs improve from here (Patient Safety Alert, ATAIN)
BEFORE, AFTER = 1.06, 0.94  # their level before the alert, and at the end of 2017/18
READMITTED = 0.02  # admissions that are the same baby's second admission at the unit

TERM_REASONS = {"respiratory": 0.33, "infection": 0.17, "hypoglycaemia": 0.10, "asphyxia": 0.09,
                "jaundice": 0.08, "congenital": 0.06, "other": 0.17}
PRETERM_REASONS = {"prematurity": 0.55, "respiratory": 0.25, "infection": 0.05, "hypoglycaemia": 0.04,
                   "jaundice": 0.04, "congenital": 0.03, "other": 0.04}
# mean cot days (intensive, high dependency, special care) of a term admission by reason
TERM_COT_DAYS = {"hypoglycaemia": (0.05, 0.3, 3.15), "jaundice": (0.0, 0.1, 2.6), "respiratory": (0.6, 1.0, 3.0),
                 "asphyxia": (4.0, 1.5, 4.0), "infection": (0.1, 0.3, 5.5), "congenital": (2.0, 1.5, 6.0),
                 "other": (0.4, 0.5, 3.5)}
# of a preterm admission by gestation: up to 27 weeks, 28-31, 32-33, 34-36
PRETERM_COT_DAYS = ((27, (25.0, 20.0, 35.0)), (31, (5.0, 10.0, 30.0)), (33, (0.7, 3.0, 17.0)), (36, (0.2, 0.8, 9.0)))
TERM_AVOIDABLE = {"hypoglycaemia": 0.30, "jaundice": 0.45, "respiratory": 0.30, "asphyxia": 0.12,
                  "infection": 0.30, "congenital": 0.05, "other": 0.30}
TERM_GESTATION = {37: 0.24, 38: 0.22, 39: 0.20, 40: 0.18, 41: 0.12, 42: 0.04}
PRETERM_GESTATION = dict(zip(range(22, 37), [0.3, 1, 2, 2.5, 3, 3.5, 4, 4.5, 5.5, 6.5, 8.5, 10, 13, 15, 17]))
REVIEWED = {"south": (0.85, 0.85, 0.85), "other": (0.10, 0.25, 0.70)}  # share of term admissions reviewed, by year


def _draw(rng: np.random.Generator, options: dict, n: int) -> np.ndarray:
    p = np.array(list(options.values()), dtype=float)
    return rng.choice(np.array(list(options)), size=n, p=p / p.sum())


def _days(rng: np.random.Generator, mean: np.ndarray, shape: float = 1.5) -> np.ndarray:
    """Overdispersed counts (gamma-Poisson) with the given means."""
    return rng.poisson(mean * rng.gamma(shape, 1 / shape, size=len(mean))).clip(0, 300)


def term_rates(geo: Geography, units: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Each unit's term admissions per live birth in 2017/18: the South's published levels, the others scaled so
    that England has TERM_ADMISSIONS_2017_18; units vary around their hub's level."""
    rates = {}
    for hub in geo.hubs():
        w = units[units.index.isin(hub.providers)]
        level = SOUTH_RATES.get(hub.code, 0.08 * rng.lognormal(0.0, 0.08))
        rates.update(calibrated_propensities(rng, w, level, 0.25).to_dict())
    rates = pd.Series(rates)[units.index]
    south = units.index.map(lambda p: geo.hub_of(p) in SOUTH_RATES).to_numpy(dtype=bool)
    wanted = TERM_ADMISSIONS_2017_18 / BIRTHS_PER_YEAR[2]
    if is_null():  # every unit at England's rate
        return differences(rates, wanted)
    fixed = float((rates[south] * units[south]).sum())
    rates[~south] *= (wanted - fixed) / float((rates[~south] * units[~south]).sum())
    return rates


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "neonatal_admissions")
    units = maternity_providers(geo, sizes)
    rates = term_rates(geo, units, rng)
    south = differences(units.index.map(lambda p: geo.hub_of(p) in SOUTH_RATES).to_numpy(dtype=bool), 0.0)
    south = south.astype(bool)  # null data: the South's units follow England's trend and reviewing, as the others
    preterm_factor = differences(rng.lognormal(0.0, 0.2, len(units)), 1.0)  # units with intensive care admit more
    preterm_factor /= (preterm_factor * units.to_numpy()).sum()

    # expected admissions per unit and month, from the unit's share of the year's births
    months = pd.date_range(DATA_START, DATA_END, freq="MS")
    year = np.arange(len(months)) // 12
    births = np.outer(units.to_numpy(), np.array(BIRTHS_PER_YEAR)[year] * months.days_in_month / 365.0)
    mid = months + pd.to_timedelta(months.days_in_month / 2, unit="D")
    progress = ((mid - ALERT) / (DATA_END - ALERT)).to_numpy().clip(0, 1)
    trend = np.where(mid < ALERT, BEFORE, BEFORE + (AFTER - BEFORE) * progress)
    term_mult = np.where(south[:, None], 1.0, trend[None, :])
    lam_term = rates.to_numpy()[:, None] * term_mult * births * scale
    lam_pre = PRETERM_ADMISSIONS_PER_YEAR / BIRTHS_PER_YEAR[2] * preterm_factor[:, None] * births * scale
    n_term, n_pre = rng.poisson(lam_term), rng.poisson(lam_pre)

    frames = []
    for counts, term in ((n_term, True), (n_pre, False)):
        flat = counts.ravel()  # unit-major: unit i, month j at i * len(months) + j
        cell = np.repeat(np.arange(flat.size), flat)
        unit, month = cell // len(months), cell % len(months)
        n = cell.size
        dates = months[month] + pd.to_timedelta((rng.random(n) * months.days_in_month[month]).astype(int), unit="D")
        frames.append(pd.DataFrame({"unit": unit, "admission_date": dates, "term": term}))
    df = pd.concat(frames, ignore_index=True)
    n, term = len(df), df["term"].to_numpy()
    df["provider_code"] = units.index.to_numpy()[df["unit"]]
    df["gestation_weeks"] = np.where(term, _draw(rng, TERM_GESTATION, n), _draw(rng, PRETERM_GESTATION, n))
    reason = np.where(term, _draw(rng, TERM_REASONS, n), _draw(rng, PRETERM_REASONS, n))
    df["primary_reason"] = reason

    means = np.zeros((n, 3))
    for r, m in TERM_COT_DAYS.items():
        means[term & (reason == r)] = m
    g = df["gestation_weeks"].to_numpy()
    lower = 0
    for upper, m in PRETERM_COT_DAYS:
        means[~term & (g > lower) & (g <= upper)] = m
        lower = upper
    # every stay ends in special care (at least one day there), before discharge or transitional care
    df["cot_days_intensive"] = _days(rng, means[:, 0])
    df["cot_days_high_dependency"] = _days(rng, means[:, 1])
    df["cot_days_special_care"] = 1 + _days(rng, np.maximum(means[:, 2] - 1, 0))

    # ATAIN reviews of term admissions; avoidable more often where the unit admits more term babies
    fy = np.where(df["admission_date"].dt.month >= 4, df["admission_date"].dt.year, df["admission_date"].dt.year - 1)
    yi = (fy - DATA_START.year).clip(0, 2)
    in_south = south[df["unit"].to_numpy()]
    p_review = np.where(in_south, np.array(REVIEWED["south"])[yi], np.array(REVIEWED["other"])[yi])
    reviewed = term & (rng.random(n) < p_review)
    rel = (rates.to_numpy() / (TERM_ADMISSIONS_2017_18 / BIRTHS_PER_YEAR[2]))[df["unit"].to_numpy()]
    p_avoid = pd.Series(reason).map(TERM_AVOIDABLE).fillna(0.0).to_numpy() * np.sqrt(rel)
    avoidable = rng.random(n) < p_avoid.clip(0, 0.9)
    df["avoidable"] = np.where(reviewed, np.where(avoidable, "yes", "no"), "not_reviewed")

    df = df.sort_values(["provider_code", "admission_date"], kind="stable").reset_index(drop=True)
    baby = sequential_ids("NB", len(df))[rng.permutation(len(df))]
    # a readmission: the same baby as the unit's admission before, with the same gestation (and so term or not)
    before = df.shift()
    again = ((rng.random(len(df)) < READMITTED) & (df["provider_code"] == before["provider_code"])
             & (df["term"] == before["term"])).to_numpy()
    again[1:] &= ~again[:-1]  # never a third admission in a row, so the baby copied is the one before
    df["baby_id"] = np.where(again, np.roll(baby, 1), baby)
    df["gestation_weeks"] = np.where(again, before["gestation_weeks"], df["gestation_weeks"]).astype(int)
    df = df.sort_values(["admission_date", "provider_code"], kind="stable").reset_index(drop=True)
    df.insert(0, "admission_id", sequential_ids("NA", len(df)))
    return df[["admission_id", "provider_code", "baby_id", "admission_date", "gestation_weeks", "primary_reason",
               "cot_days_intensive", "cot_days_high_dependency", "cot_days_special_care", "avoidable"]]
