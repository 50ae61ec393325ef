"""Synthetic clinical utilisation review (CUR) results: one row per patient-day reviewed.

The Menu of Opportunities (chapter 14) publishes no national volumes or rates for CUR; it describes the process
and one result: South Tees cut its non-qualified (not met) patient levels by 35% in 12 months. So:
- 45 of the larger providers run CUR on their specialised beds (at least one per hub), each starting between
  April 2015 and October 2016 (the CUR CQUIN years) and reviewing every patient every day from then on, about 40
  occupied beds each (about 600,000 patient-days a year once all have started);
- a spell is the days the patient needs, an occasional internal delay (awaiting diagnostics, a specialist
  opinion, a therapy assessment or a senior review) and, for about a third of spells, a delay at the end of the
  stay, internal (awaiting medicines to take home) or external (awaiting community care, a care package, a care
  home, transport, or the patient's or family's choice), with care-home and community waits the longest;
  about one admission in eight does not meet the admission criteria (care could be given at a lower level);
- before a provider has used CUR for long, about 30% of patient-days do not meet the criteria; over its first 12
  months each provider removes 35% to 65% of its delays, so that its not-met share falls by about 35% in a year,
  as South Tees' did (shorter stays make the share fall less than the delays), to about 21% by 2017/18;
- external (social care) delays differ by hub and by provider, so hubs differ; about 4% of spells last more than
  21 days (the Menu's stays of more than 3 weeks).
Spells admitted before 31 March 2018 are reviewed up to that date; spell_los_days is the whole spell's length.
Null data (`--null`): every provider removes the same share of its delays (50%) and has England's external delays;
providers still start CUR on their own dates, so their data begin when they do.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from ..schemas.utilisation_reviews import NO_REASON, REASONS
from .common import DATA_END, DATA_START, differences, rng_for, sequential_ids, service_providers

CUR_PROVIDERS = 45
BEDS_REVIEWED = 40 * CUR_PROVIDERS  # occupied beds reviewed every day, England, once every provider has started
FIRST_START, LAST_START = DATA_START, pd.Timestamp("2016-10-01")
ADMISSION_NOT_MET = 0.12
INTERNAL_DELAY = 0.25  # spells with a delay within the stay
INTERNAL_REASONS = {"awaiting_diagnostics": 0.40, "awaiting_specialist_opinion": 0.30,
                    "awaiting_therapy_assessment": 0.15, "awaiting_senior_review": 0.15}
DISCHARGE_DELAY = 0.35  # spells with a delay at the end of the stay
# reason: (share of discharge delays, mean days of delay)
DISCHARGE_REASONS = {"awaiting_care_package": (0.22, 6.0), "awaiting_community_care": (0.22, 7.0),
                     "awaiting_care_home": (0.10, 14.0), "awaiting_medication": (0.18, 1.2),
                     "awaiting_transport": (0.12, 1.0), "patient_family_choice": (0.16, 5.0)}
REASON_CODES = [NO_REASON, *REASONS]  # reasons are drawn as codes (fast), written as text
IMPROVEMENT = (0.35, 0.65)  # share of delays each provider removes over its first 12 months


def _nb(rng: np.random.Generator, mean: np.ndarray, shape: float = 1.2) -> np.ndarray:
    """Overdispersed counts (gamma-Poisson) with the given means."""
    return rng.poisson(mean * rng.gamma(shape, 1 / shape, size=len(mean)))


def _pick(rng: np.random.Generator, options: dict, n: int) -> np.ndarray:
    """Codes: positions in REASON_CODES of reasons drawn with the options' shares."""
    p = np.array([v[0] if isinstance(v, tuple) else v for v in options.values()], dtype=float)
    return rng.choice(np.array([REASON_CODES.index(r) for r in options]), size=n, p=p / p.sum())


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "utilisation_reviews")
    units = service_providers(geo, sizes, CUR_PROVIDERS)
    k = len(units)
    start = FIRST_START + pd.to_timedelta(rng.integers(0, (LAST_START - FIRST_START).days + 1, k), unit="D")
    improvement = differences(rng.uniform(*IMPROVEMENT, k), sum(IMPROVEMENT) / 2)
    hub_factor = {h.code: rng.lognormal(0.0, 0.25) for h in geo.hubs()}
    external = differences(np.array([hub_factor[geo.hub_of(p)] for p in units.index]) * rng.lognormal(0.0, 0.2, k),
                           1.0)

    # spells: admitted each day from the provider's start, at the rate that keeps its beds occupied
    mean_los = 8.6  # the mean of the spell model below, before improvement
    days_open = (DATA_END - start).days + 1
    n_spells = rng.poisson(units.to_numpy() * BEDS_REVIEWED / mean_los * days_open * scale)
    unit = np.repeat(np.arange(k), n_spells)
    n = unit.size
    admitted = start[unit] + pd.to_timedelta((rng.random(n) * days_open[unit]).astype(int), unit="D")
    months_in = ((admitted - start[unit]).days.to_numpy() / 30.44).clip(0, 12)
    keep = 1 - improvement[unit] * months_in / 12  # the share of delays still happening

    needed = 1 + np.floor(rng.lognormal(np.log(4.0), 0.8, n)).astype(int)
    adm_not_met = rng.random(n) < ADMISSION_NOT_MET * keep
    internal = rng.random(n) < INTERNAL_DELAY * keep
    internal_days = np.where(internal, 1 + rng.poisson(1.5, n), 0)
    internal_reason = _pick(rng, INTERNAL_REASONS, n)
    p_discharge = (DISCHARGE_DELAY * keep * external[unit]).clip(0, 0.9)
    delayed = rng.random(n) < p_discharge
    discharge_reason = _pick(rng, DISCHARGE_REASONS, n)
    mean_delay = np.zeros(len(REASON_CODES))
    mean_delay[[REASON_CODES.index(r) for r in DISCHARGE_REASONS]] = [v[1] for v in DISCHARGE_REASONS.values()]
    mean_delay = mean_delay[discharge_reason]
    delay_days = np.where(delayed, 1 + _nb(rng, np.maximum(mean_delay - 1, 0)), 0)
    los = np.minimum(needed + internal_days + delay_days, 365)

    # one row per day of each spell, up to 31 March 2018
    spell = np.repeat(np.arange(n), los)
    day = np.arange(spell.size) - np.repeat(np.cumsum(los) - los, los) + 1
    review_date = admitted[spell] + pd.to_timedelta(day - 1, unit="D")
    # the internal delay sits within the needed days (after day 1); the discharge delay ends the stay
    block_start = 2 + (rng.random(n) * np.maximum(needed - 1, 0)).astype(int)
    in_block = (day >= block_start[spell]) & (day < block_start[spell] + internal_days[spell])
    at_end = day > los[spell] - delay_days[spell]
    first = (day == 1) & adm_not_met[spell]
    code = np.select([at_end, in_block, first],
                     [discharge_reason[spell], internal_reason[spell], REASON_CODES.index("lower_level_of_care")], 0)
    df = pd.DataFrame({"provider_code": units.index.to_numpy(dtype=object)[unit[spell]], "spell": spell,
                       "review_date": review_date, "day_of_stay": day,
                       "meets_criteria": np.array(["yes", "no"], dtype=object)[(code > 0).astype(int)],
                       "reason": np.array(REASON_CODES, dtype=object)[code], "spell_los_days": los[spell]})
    df = df[df["review_date"] <= DATA_END]
    df = df.sort_values(["review_date", "provider_code", "spell"], kind="stable").reset_index(drop=True)
    ids = sequential_ids("SP", n)[rng.permutation(n)]  # pseudonymised spell identifiers
    df["spell_id"] = ids[df["spell"].to_numpy()]
    df.insert(0, "review_id", sequential_ids("CUR", len(df)))
    return df[["review_id", "provider_code", "spell_id", "review_date", "day_of_stay", "meets_criteria", "reason",
               "spell_los_days"]]
