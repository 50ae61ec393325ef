"""Synthetic hospital pharmacy issues of antifungals (Define-like), per provider, month, ward specialty, drug, route
and product.

The Menu of Opportunities (chapter 2) publishes no figures, so volumes and prices are plausible and say why:
- Use: about 30 defined daily doses (DDDs) per 1,000 occupied bed days across England, the order European hospital
  surveys report for systemic antifungals (a few tens per 1,000 patient-days). With the KH03-like bed days of
  `bed_days` (about 33 million a year) that is about 1 million DDDs a year.
- Case mix: the haematology and transplant wards of `bed_days` (at 20 centres, 3% to 6% of their bed days) use
  `HAEM_TRANSPLANT_LIFT` times as many DDDs per occupied bed day as other wards (prophylaxis and treatment of
  patients without neutrophils or on transplant immunosuppression), and more of the costly drugs on top (about 16
  times in all); so the centres use about twice as much per bed day as other providers. An assumption of this
  synthetic data, not a published ratio.
- Mix and prices (per DDD, BNF list prices of 2016-18, rounded): fluconazole half of all DDDs and cheap as a
  generic; the azoles posaconazole, voriconazole and isavuconazole, the echinocandins and liposomal amphotericin B
  carry most of the cost: about 90 million pounds in 2015/16, falling to about 65 million by 2017/18 as
  generics of voriconazole and caspofungin arrive.
- Generics: fluconazole and itraconazole throughout; voriconazole from 2016 and caspofungin from late 2016, each
  provider taking them up at its own pace, so that generic shares differ between providers and over time.
- Routes: each provider has its own leaning to oral use of the drugs that come both ways, so oral to
  intravenous ratios differ; each provider has its own level of use on each kind of ward, and each hub its own level
  on other wards, so that hubs differ.
- A slow national fall in use (3% a year) as stewardship spreads, and noise from month to month.
Null data (`--null`): every provider has England's level of use on each kind of ward, drug mix, oral leaning and
generic uptake; the haematology and transplant wards stay (case mix, not practice).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from ..schemas.antifungal_issues import HAEM_TRANSPLANT, OTHER_WARDS
from .bed_days import generate as bed_days
from .common import DATA_START, differences, rng_for, sequential_ids

# one row per provider, month, ward specialty, drug, route and product that the provider stocks, at any scale (0 in a
# month with none issued), so the volumes grow with the scale, not the rows
ROWS_SCALE = False
DDD_PER_1000_BED_DAYS = 30.0  # England, every ward, 2015/16
HAEM_TRANSPLANT_LIFT = 12.0  # DDDs per occupied bed day on haematology and transplant wards, against other wards
HAEM_TRANSPLANT_TILT = 2.5  # and their costly drugs (EXPENSIVE) before rescaling to the drugs' national shares
YEARLY_FALL = 0.03

# drug: share of DDDs, national oral share (drugs given both ways), generic launch (None: never in 2015-18),
#       mg per DDD, {route: (mg per dose unit, branded price per DDD, generic price per DDD)}
DRUGS = {
    "fluconazole": (0.50, 0.75, DATA_START, 200, {"oral": (200, 4.50, 0.30), "intravenous": (200, 30.0, 8.0)}),
    "itraconazole": (0.08, 1.0, DATA_START, 200, {"oral": (100, 3.00, 1.00)}),
    "voriconazole": (0.14, 0.60, pd.Timestamp("2016-01-01"), 400,
                     {"oral": (200, 80.0, 12.0), "intravenous": (200, 155.0, 60.0)}),
    "posaconazole": (0.10, 0.85, None, 300, {"oral": (100, 75.0, 0.0), "intravenous": (300, 300.0, 0.0)}),
    "isavuconazole": (0.02, 0.50, None, 200, {"oral": (100, 140.0, 0.0), "intravenous": (200, 310.0, 0.0)}),
    "caspofungin": (0.06, 0.0, pd.Timestamp("2016-10-01"), 50, {"intravenous": (50, 328.0, 120.0)}),
    "micafungin": (0.03, 0.0, None, 100, {"intravenous": (100, 341.0, 0.0)}),
    "anidulafungin": (0.03, 0.0, None, 100, {"intravenous": (100, 300.0, 0.0)}),
    "liposomal amphotericin b": (0.04, 0.0, None, 210, {"intravenous": (50, 345.0, 0.0)}),
}
EXPENSIVE = ("posaconazole", "isavuconazole", "caspofungin", "micafungin", "anidulafungin", "liposomal amphotericin b")
GENERIC_CEILING = 0.95  # national share of a drug-route's DDDs on generics once the generic is established


def _logistic(x):
    return 1 / (1 + np.exp(-x))


def _logit(p):
    return np.log(p / (1 - p))


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "antifungal_issues")
    beds = bed_days(geo, sizes, seed, scale)
    providers = sizes.index
    k = len(providers)
    # each provider's level of use on other wards (hub and provider effects) and on its haematology and transplant
    # wards (its own), its oral leaning and its pace of taking up generics
    hub_effect = {h.code: rng.lognormal(0.0, 0.15) for h in geo.hubs()}
    level = rng.lognormal(0.0, 0.25, k) * np.array([hub_effect[geo.hub_of(p)] for p in providers])
    unit_level = rng.lognormal(0.0, 0.25, k)
    oral_lean = rng.normal(0.0, 0.6, k)
    generic_lean = rng.normal(0.0, 1.0, k)
    generic_pace = rng.uniform(3.0, 12.0, k)  # months to reach half of a new generic's eventual share
    level, unit_level, oral_lean = differences(level, 1.0), differences(unit_level, 1.0), differences(oral_lean, 0.0)
    generic_lean, generic_pace = differences(generic_lean, 0.0), differences(generic_pace, 7.5)

    # one row per provider, month and kind of ward with bed days: other wards, then the units where there are any
    haem = beds["haematology_transplant_bed_days"].to_numpy(dtype=float)
    wards = pd.concat([beds.assign(specialty=OTHER_WARDS, ward_bed_days=beds["occupied_bed_days"] - haem),
                       beds[haem > 0].assign(specialty=HAEM_TRANSPLANT, ward_bed_days=haem[haem > 0])],
                      ignore_index=True)
    b = wards.assign(p=wards["provider_code"].map({c: i for i, c in enumerate(providers)}))
    unit = (b["specialty"] == HAEM_TRANSPLANT).to_numpy()
    t = ((b["month"] - DATA_START).dt.days / 365.25).to_numpy()
    obd = b["ward_bed_days"].to_numpy(dtype=float)
    pi = b["p"].to_numpy()
    ward_level = np.where(unit, HAEM_TRANSPLANT_LIFT * unit_level[pi], level[pi])
    mean_level = float(np.average(ward_level, weights=obd))  # so that England uses DDD_PER_1000_BED_DAYS
    total = (DDD_PER_1000_BED_DAYS * obd / 1000 * ward_level / mean_level * (1 - YEARLY_FALL) ** t
             * rng.lognormal(0.0, 0.08, len(b)))

    frames = []
    for drug, (share, oral_share, launch, mg_per_ddd, routes) in DRUGS.items():
        # the units use more of the costly drugs; the national share is kept by rescaling
        tilt = np.where(unit, HAEM_TRANSPLANT_TILT, 1.0) if drug in EXPENSIVE else np.ones(len(b))
        tilt = tilt / np.average(tilt, weights=total)
        drug_ddd = total * share * tilt * rng.lognormal(0.0, 0.15, len(b))
        for route, (mg_unit, branded_price, generic_price) in routes.items():
            if len(routes) == 2:
                p_oral = _logistic(_logit(oral_share) + oral_lean[pi])
                route_ddd = drug_ddd * (p_oral if route == "oral" else 1 - p_oral)
            else:
                route_ddd = drug_ddd
            if launch is None:
                generic = np.zeros(len(b))
            else:
                months_since = ((b["month"] - launch).dt.days / 30.44).to_numpy()
                ramp = np.where(months_since < 0, 0.0,
                                1 - np.exp(-np.maximum(months_since, 0) / generic_pace[pi]))
                generic = _logistic(_logit(GENERIC_CEILING) + generic_lean[pi]) * ramp
            for product, part, price in (("generic", generic, generic_price), ("branded", 1 - generic, branded_price)):
                units_per_ddd = mg_per_ddd / mg_unit
                expected = route_ddd * part * units_per_ddd
                keep = expected > 0  # stocked: the product exists (a generic only after its launch)
                # a stocked product has a row every month, 0 when none was issued: a floor of one dose unit would
                # lift small providers' use, most of all at small scales (a difference that is not there)
                quantity = rng.poisson(expected).astype(float)[keep]
                cost = quantity * price / units_per_ddd * rng.normal(1.0, 0.03, keep.sum())  # contract prices
                frames.append(pd.DataFrame({
                    "provider_code": b["provider_code"].to_numpy()[keep], "month": b["month"].to_numpy()[keep],
                    "specialty": b["specialty"].to_numpy()[keep], "drug": drug, "route": route,
                    "product_type": product, "ddd": np.round(quantity / units_per_ddd, 2), "quantity": quantity,
                    "cost_gbp": np.round(np.where(quantity > 0, np.maximum(cost, 0.01), 0.0), 2)}))
    df = pd.concat(frames, ignore_index=True)
    df = df.sort_values(["month", "provider_code", "specialty", "drug", "route", "product_type"], kind="stable")
    df = df.reset_index(drop=True)
    df.insert(0, "line_id", sequential_ids("AF", len(df)))
    return df
