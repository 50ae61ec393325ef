"""Synthetic SACT-like data: intravenous chemotherapy administrations and oral chemotherapy dispensings.

Volumes: SACT records millions of drug administrations a year in England. This table keeps about 1 million rows a
year at scale 1 (about 730,000 intravenous administrations and 270,000 oral dispensings; 3 million rows over the
three years), generated in about 10 s with compact columns (categories for every repeated text, floats, Int64).

Intravenous (Menu of Opportunities, chapter 8). Regimens and doses are the usual ones (mg/m2 times the patient's
body surface area); prices per mg and the smallest vial are of the order of 2017 eMIT and BNF list prices.
Each dose is prepared one of three ways: individually (not banded), dose-banded in house, or dose-banded as a
standard product bought off the shelf. Banded doses are the nearest band (bands 10% apart, so within 5% of the
calculated dose; a few local bands are wider). Waste is the vial residue discarded (less what vial sharing saves,
none for a standard product) plus, now and then, a whole dose made and never given (deferred or cancelled
treatment); standard products, made in batches with long shelf lives, are reallocated instead. The Menu sets a
target of 90% of administrations dose-banded with standard products but publishes no baseline: this book assumes
uptake of about 35% in 2015/16, 55% in 2016/17 and 70% in 2017/18 (the national dose banding tables and the CQUIN
arrived in 2016/17), each provider adopting at its own pace, some hubs ahead of others. The waste rates are set so
that a large provider moving from its 2015/16 practice to the target saves of the order of 250,000 pounds a year,
as Leeds Teaching Hospitals did (over 125,000 pounds in the first six months). Rituximab, trastuzumab and
pembrolizumab are there too (dosed by weight or as fixed doses, they are not in the dose banding tables).

Oral (chapter 9). Each course is followed from its start (up to a few years before the data begin, so that long
courses are in steady state) to the day the patient stops; a dispensing supplies one pack, or two or three when
the provider supplies two or three months at a time. The first supply of a course is always one pack. Providers
differ widely: a tenth already follow the Christie model (monthly instalments), the rest supply more than a month
to 20% to 80% of their patients, slowly falling over the three years. When a patient stops, the rest of the last
supply is waste; the stop date is recorded once it is known (empty while treatment goes on past March 2018).
Prices are 2017 list prices per pack; a supply of two or three months of the high-cost drugs is often worth more
than 6,000 pounds, as the Menu says.

Null data (`--null`): every provider dose-bands and supplies oral drugs at England's rates (no hub or provider
effect, none following the Christie model already).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ...geography import Geography
from ..schemas.sact import TUMOUR_GROUPS
from .common import (
    DATA_END,
    DATA_START,
    calibrated_propensities,
    differences,
    rng_for,
    sequential_ids,
    service_providers,
)

CHEMO_PROVIDERS = 85  # trusts that give chemotherapy (most acute trusts); the largest in each hub
IV_ROWS_PER_YEAR = 730_000

# drug: (price per mg in GBP, smallest vial in mg, most mg in one dose or None, in the national dose banding tables)
IV_DRUGS = {
    "epirubicin": (0.18, 10, None, True), "cyclophosphamide": (0.012, 500, None, True),
    "docetaxel": (0.13, 20, None, True), "paclitaxel": (0.05, 30, None, True),
    "eribulin": (410.0, 0.88, None, True), "carboplatin": (0.035, 50, None, True),
    "pemetrexed": (1.60, 100, None, True), "cisplatin": (0.08, 10, None, True),
    "gemcitabine": (0.006, 200, None, True), "etoposide": (0.04, 100, None, True),
    "oxaliplatin": (0.13, 50, None, True), "fluorouracil": (0.003, 500, None, True),
    "irinotecan": (0.05, 40, None, True), "nab-paclitaxel": (2.46, 100, None, True),
    "cabazitaxel": (61.6, 60, None, True), "doxorubicin": (0.18, 10, None, True),
    "vincristine": (6.0, 1, 2.0, True), "vinblastine": (1.6, 10, None, True),
    "dacarbazine": (0.04, 100, None, True), "bendamustine": (2.80, 25, None, True),
    "fludarabine": (3.10, 50, None, True),
    "rituximab": (1.75, 100, None, False), "trastuzumab": (2.71, 150, None, False),
    "pembrolizumab": (26.3, 50, None, False),
}
# regimen: (tumour group, relative attendances, [(drug, mg per m2), ...]); weight- and fixed-dosed drugs are
# written as their mg per m2 equivalent for an average adult
IV_REGIMENS = {
    "EC": ("Breast", 40, [("epirubicin", 90), ("cyclophosphamide", 600)]),
    "Docetaxel": ("Breast", 45, [("docetaxel", 100)]),
    "Paclitaxel weekly": ("Breast", 90, [("paclitaxel", 80)]),
    "Eribulin": ("Breast", 10, [("eribulin", 1.23)]),
    "Trastuzumab": ("Breast", 60, [("trastuzumab", 240)]),
    "Carboplatin + Pemetrexed": ("Lung", 25, [("carboplatin", 300), ("pemetrexed", 500)]),
    "Cisplatin + Pemetrexed": ("Lung", 15, [("cisplatin", 75), ("pemetrexed", 500)]),
    "Pemetrexed maintenance": ("Lung", 20, [("pemetrexed", 500)]),
    "Gemcitabine + Carboplatin": ("Lung", 20, [("gemcitabine", 1000), ("carboplatin", 300)]),
    "Carboplatin + Etoposide": ("Lung", 12, [("carboplatin", 300), ("etoposide", 100)]),
    "FOLFOX": ("Colorectal", 70, [("oxaliplatin", 85), ("fluorouracil", 2800)]),
    "FOLFIRI": ("Colorectal", 35, [("irinotecan", 180), ("fluorouracil", 2800)]),
    "CAPOX": ("Colorectal", 30, [("oxaliplatin", 130)]),
    "Gemcitabine": ("Upper GI", 30, [("gemcitabine", 1000)]),
    "Nab-paclitaxel + Gemcitabine": ("Upper GI", 10, [("nab-paclitaxel", 125), ("gemcitabine", 1000)]),
    "FLOT": ("Upper GI", 8, [("docetaxel", 50), ("oxaliplatin", 85), ("fluorouracil", 2600)]),
    "Docetaxel (prostate)": ("Urology", 25, [("docetaxel", 75)]),
    "Cabazitaxel": ("Urology", 6, [("cabazitaxel", 25)]),
    "Gemcitabine + Cisplatin": ("Urology", 15, [("gemcitabine", 1000), ("cisplatin", 70)]),
    "Carboplatin + Paclitaxel": ("Gynaecology", 40, [("carboplatin", 330), ("paclitaxel", 175)]),
    "Carboplatin": ("Gynaecology", 15, [("carboplatin", 330)]),
    "R-CHOP": ("Haematology", 30, [("rituximab", 375), ("cyclophosphamide", 750), ("doxorubicin", 50),
                                   ("vincristine", 1.4)]),
    "ABVD": ("Haematology", 8, [("doxorubicin", 25), ("vinblastine", 6), ("dacarbazine", 375)]),
    "Bendamustine + Rituximab": ("Haematology", 12, [("bendamustine", 90), ("rituximab", 375)]),
    "FCR": ("Haematology", 4, [("fludarabine", 25), ("cyclophosphamide", 250), ("rituximab", 375)]),
    "Cisplatin weekly": ("Head and neck", 25, [("cisplatin", 40)]),
    "Doxorubicin": ("Sarcoma", 5, [("doxorubicin", 75)]),
    "Pembrolizumab": ("Skin", 20, [("pembrolizumab", 80)]),
}
# national share of administrations dose-banded with a standard product, by financial year (this book's assumption)
BANDED_STANDARD_SHARE = (0.30, 0.45, 0.60)
ATTENDANCES_PER_IV_PATIENT = 8
BAND_RATIO = 1.10  # bands 10% apart: the banded dose is within about 5% of the calculated dose
WIDE_BAND_SHARE = 0.01  # banded doses put in a wider local band (up to 10% from the calculated dose)
# preparation: (share of the vial residue wasted, chance the whole dose is made and never given)
RESIDUE_BANDED_IN_HOUSE = 0.3  # bands are chosen to fit whole vials
REMAKE = {"individual": 0.06, "in_house": 0.03, "standard": 0.004}

# oral drug: (tumour group, days a pack lasts, price of a pack in GBP, daily dose mg, courses started a year,
#             median course in months, tendency to supply more than a month in logit units: more for long, stable
#             treatments, less where each cycle needs blood tests or, for lenalidomide, a pregnancy prevention check)
ORAL_DRUGS = {
    "abiraterone": ("Urology", 30, 2735.0, 1000, 2200, 12, 0.5),
    "enzalutamide": ("Urology", 28, 2734.0, 160, 1900, 12, 0.5),
    "sunitinib": ("Urology", 28, 2354.0, 37.5, 900, 8, 0.0),
    "pazopanib": ("Urology", 30, 2241.0, 800, 800, 8, 0.0),
    "axitinib": ("Urology", 28, 3517.0, 10, 350, 6, -0.3),
    "everolimus": ("Breast", 30, 2673.0, 10, 600, 5, -0.3),
    "palbociclib": ("Breast", 28, 2950.0, 125, 1300, 12, -0.5),
    "imatinib": ("Haematology", 30, 973.0, 400, 450, 36, 0.8),
    "lenalidomide": ("Haematology", 28, 4368.0, 25, 1000, 10, -1.2),
    "ibrutinib": ("Haematology", 30, 4599.0, 420, 800, 20, 0.3),
    "ruxolitinib": ("Haematology", 28, 2856.0, 40, 450, 24, 0.5),
    "olaparib": ("Gynaecology", 28, 3950.0, 800, 300, 10, 0.0),
    "trifluridine tipiracil": ("Colorectal", 28, 2000.0, 120, 900, 3, -0.8),
    "temozolomide": ("CNS", 28, 320.0, 300, 2000, 6, -0.5),
    "capecitabine": ("Colorectal", 21, 32.0, 3500, 15000, 4, 0.0),
}
ORAL_MULTI_MONTH_SHARE = (0.50, 0.45, 0.40)  # supplies of more than one pack, by financial year, outside Christie-like
CHRISTIE_LIKE = 0.10  # providers already supplying monthly instalments
CHRISTIE_MULTI = 0.03  # ... who still supply more than a month now and then (a holiday abroad)
LOOKBACK_YEARS = 4.0


DAYS = (DATA_END - DATA_START).days + 1
REGIMENS = list(IV_REGIMENS) + [d[0].upper() + d[1:] for d in ORAL_DRUGS]  # an oral regimen is named after its drug
DRUGS = list(IV_DRUGS) + list(ORAL_DRUGS)


def _categorical(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    """A compact text column from integer codes into `names` (-1: empty). Categories sorted and only those present,
    so that the CSV and the Parquet file of the same table read back alike."""
    names = np.asarray(names, dtype=object)
    order = np.argsort(names)
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    recoded = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
    return pd.Categorical.from_codes(recoded, names[order]).remove_unused_categories()


def _whole(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Whole numbers that may be empty (NaN) as a nullable Int64 column."""
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def _year(day: np.ndarray) -> np.ndarray:
    """0, 1, 2 for the financial years 2015/16, 2016/17, 2017/18 (days counted from 1 April 2015)."""
    return np.clip(day // 365, 0, 2)


def _iv(rng: np.random.Generator, geo: Geography, centres: pd.Series, scale: float) -> dict[str, np.ndarray]:
    weight = np.array([r[1] for r in IV_REGIMENS.values()], dtype=float)
    n_drugs = np.array([len(r[2]) for r in IV_REGIMENS.values()])
    p = weight / weight.sum()
    attendances = int(round(IV_ROWS_PER_YEAR * 3 * scale / float(p @ n_drugs)))

    provider = rng.choice(len(centres), size=attendances, p=centres.to_numpy())
    day = rng.integers(0, DAYS, attendances)
    regimen = rng.choice(len(IV_REGIMENS), size=attendances, p=p)
    # patients belong to one provider; each has about 8 attendances over the three years
    per_provider = np.bincount(provider, minlength=len(centres))
    patients_of = np.maximum(1, np.round(per_provider / ATTENDANCES_PER_IV_PATIENT)).astype(int)
    offset = np.cumsum(patients_of) - patients_of
    patient = offset[provider] + (rng.random(attendances) * patients_of[provider]).astype(int)
    bsa = np.clip(rng.lognormal(np.log(1.85), 0.11, patients_of.sum()), 1.3, 2.6)[patient]

    # one row per drug of the regimen
    a = np.repeat(np.arange(attendances), n_drugs[regimen])
    slot = np.arange(len(a)) - np.repeat(np.cumsum(n_drugs[regimen]) - n_drugs[regimen], n_drugs[regimen])
    width = n_drugs.max()
    drug_table = np.array([[DRUGS.index(d) for d, _ in r[2]] + [0] * (width - len(r[2]))
                           for r in IV_REGIMENS.values()])
    mg_m2 = np.array([[m for _, m in r[2]] + [0.0] * (width - len(r[2])) for r in IV_REGIMENS.values()])
    drug = drug_table[regimen[a], slot]
    spec = [IV_DRUGS[d] for d in IV_DRUGS]
    price = np.array([s[0] for s in spec])[drug]
    vial = np.array([s[1] for s in spec])[drug]
    cap = np.array([s[2] or np.inf for s in spec])[drug]
    bandable = np.array([s[3] for s in spec])[drug]
    n = len(a)

    # each provider's propensity to dose-band, and of those doses the share bought as standard products: hubs
    # differ (some adopted earlier), every provider moves up by about one logit unit a year, and some drugs are
    # banded more readily than others (standard products came first for the common ones)
    hub_effect = {h.code: rng.normal(0.0, 0.6) for h in geo.hubs()}
    effect = differences(np.array([hub_effect[geo.hub_of(c)] for c in centres.index]) + rng.normal(0.0, 0.8,
                                                                                               len(centres)), 0.0)
    drug_effect = rng.normal(0.0, 0.5, len(IV_DRUGS))
    standard_given_banded = differences(rng.uniform(0.78, 0.98, len(centres)), 0.88)
    row_provider, row_day = provider[a], day[a]
    year = _year(row_day)
    eff = effect[row_provider] + drug_effect[drug] + (row_day - 365 * year - 182) / 365
    q = standard_given_banded[row_provider]
    banded_p = np.empty(n)
    for y, target in enumerate(BANDED_STANDARD_SHARE):
        m = year == y
        fit = np.flatnonzero(m & bandable)[::20]  # a sample is enough to find the level
        lo, hi = -8.0, 8.0
        for _ in range(40):  # bisection on the year's common level, so the national share meets the target
            mid = (lo + hi) / 2
            share = np.mean(q[fit] / (1 + np.exp(-(mid + eff[fit]))))
            lo, hi = (mid, hi) if share < target else (lo, mid)
        banded_p[m] = 1 / (1 + np.exp(-((lo + hi) / 2 + eff[m])))
    banded = (rng.random(n) < banded_p) & bandable
    standard = banded & (rng.random(n) < q)
    sharing = rng.uniform(0.1, 0.6, len(centres))  # share of vial residue each provider saves by vial sharing

    prescribed = np.minimum(mg_m2[regimen[a], slot] * bsa[a], cap)
    prescribed = np.where(prescribed >= 10, np.round(prescribed), np.round(prescribed, 2))
    band = BAND_RATIO ** np.round(np.log(prescribed) / np.log(BAND_RATIO))
    wide = banded & (rng.random(n) < WIDE_BAND_SHARE)
    band = np.where(wide, prescribed * rng.choice([0.92, 1.08], n), band)
    band = np.where(band >= 10, np.round(band), np.round(band, 2))
    administered = np.minimum(np.where(banded, band, prescribed), cap)

    residue = np.ceil(administered / vial - 1e-9) * vial - administered
    residue_share = np.where(standard, 0.0, np.where(banded, RESIDUE_BANDED_IN_HOUSE, 1.0 - sharing[row_provider]))
    remake_p = np.where(standard, REMAKE["standard"], np.where(banded, REMAKE["in_house"], REMAKE["individual"]))
    waste = residue * residue_share * rng.uniform(0.5, 1.5, n) + np.where(rng.random(n) < remake_p, administered, 0)
    waste = np.round(waste, 2)
    tumour = np.array([TUMOUR_GROUPS.index(r[0]) for r in IV_REGIMENS.values()])
    return {
        "provider": row_provider, "patient": patient[a], "day": row_day, "route": np.zeros(n, dtype=int),
        "tumour_group": tumour[regimen[a]], "regimen": regimen[a], "drug": drug,
        "prescribed_dose_mg": prescribed, "administered_dose_mg": administered,
        "dose_banded": banded.astype(int), "standard_product": standard.astype(int), "waste_mg": waste,
        "drug_cost_gbp": np.round((administered + waste) * price, 2),
        "days_supplied": np.full(n, np.nan), "packs_supplied": np.full(n, np.nan),
        "end_day": np.full(n, -1),
    }


def _oral(rng: np.random.Generator, geo: Geography, centres: pd.Series, scale: float,
          patient_offset: int) -> dict[str, np.ndarray]:
    # each provider's chance of supplying more than one pack at a time; a tenth follow the Christie model already
    hub_effect = {h.code: rng.normal(0.0, 0.5) for h in geo.hubs()}
    christie = differences(rng.random(len(centres)) < CHRISTIE_LIKE, 0.0).astype(bool)
    shift = differences(np.array([hub_effect[geo.hub_of(c)] for c in centres.index]), 0.0)
    multi_logit = np.empty((3, len(centres)))  # rows: financial year; columns: provider
    for y, share in enumerate(ORAL_MULTI_MONTH_SHARE):
        base = calibrated_propensities(rng, centres, share, 0.9).to_numpy()
        multi_logit[y] = np.log(base / (1 - base)) + shift
    three_given_multi = differences(rng.uniform(0.3, 0.7, len(centres)), 0.5)

    parts = []
    for drug, (group, pack_days, pack_price, daily_mg, per_year, median_months, tendency) in ORAL_DRUGS.items():
        mean_days = median_months * 30.44 / np.log(2)
        # courses start up to a few years before April 2015, so that long courses are in steady state
        span = DAYS + int(min(LOOKBACK_YEARS * 365.25, 3 * mean_days))
        k = int(round(per_year * span / 365.25 * scale))
        if k == 0:
            continue
        start = DAYS - 1 - rng.integers(0, span, k)  # days from 1 April 2015 (negative: before the data)
        end = start + np.ceil(rng.exponential(mean_days, k)).astype(int)
        provider = rng.choice(len(centres), size=k, p=centres.to_numpy())
        # dispensings, one step at a time for every course still on treatment; the first supply is one pack
        day, alive, step = start.copy(), np.ones(k, dtype=bool), 0
        courses, days, packs_out = [], [], []
        while alive.any():
            idx = np.flatnonzero(alive)
            packs = np.ones(len(idx), dtype=int)
            if step:
                logit = multi_logit[_year(np.maximum(day[idx], 0)), provider[idx]] + tendency
                p_multi = np.where(christie[provider[idx]], CHRISTIE_MULTI, 1 / (1 + np.exp(-logit)))
                three = rng.random(len(idx)) < three_given_multi[provider[idx]]
                packs = np.where(rng.random(len(idx)) < p_multi, np.where(three, 3, 2), 1)
                if pack_days < 28:  # capecitabine packs are 21-day cycles: at most two cycles at a time
                    packs = np.minimum(packs, 2)
            keep = day[idx] >= 0
            courses.append(idx[keep])
            days.append(day[idx][keep])
            packs_out.append(packs[keep])
            day[idx] += packs * pack_days
            alive[idx] = (day[idx] < end[idx]) & (day[idx] < DAYS)
            step += 1
        course = np.concatenate(courses)
        packs = np.concatenate(packs_out)
        n = len(course)
        stop = end[course]
        parts.append({
            "provider": provider[course], "patient": course + patient_offset, "day": np.concatenate(days),
            "route": np.ones(n, dtype=int), "tumour_group": np.full(n, TUMOUR_GROUPS.index(group)),
            "regimen": np.full(n, REGIMENS.index(drug[0].upper() + drug[1:])), "drug": np.full(n, DRUGS.index(drug)),
            "prescribed_dose_mg": np.full(n, float(daily_mg)), "administered_dose_mg": np.full(n, np.nan),
            "dose_banded": np.full(n, -1), "standard_product": np.full(n, -1), "waste_mg": np.full(n, np.nan),
            "drug_cost_gbp": packs * pack_price, "days_supplied": (packs * pack_days).astype(float),
            "packs_supplied": packs.astype(float), "end_day": np.where(stop < DAYS, stop, -1),  # known by March 2018
        })
        patient_offset += k
    return {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    rng = rng_for(seed, "sact")
    centres = service_providers(geo, sizes, CHEMO_PROVIDERS).sort_index()
    iv = _iv(rng, geo, centres, scale)
    oral = _oral(rng, geo, centres, scale, int(iv["patient"].max()) + 1)
    cols = {c: np.concatenate([iv[c], oral[c]]) for c in iv}
    order = np.lexsort((cols["patient"], cols["provider"], cols["day"]))  # by date, then provider, then patient
    cols = {c: v[order] for c, v in cols.items()}
    start = DATA_START.to_datetime64().astype("datetime64[D]")
    patient, patients = pd.factorize(cols["patient"])  # patients numbered in order of first appearance
    end = cols["end_day"]
    return pd.DataFrame({
        "administration_id": sequential_ids("SA", len(order)),
        "provider_code": _categorical(cols["provider"], list(centres.index)),
        "patient_id": pd.Categorical.from_codes(patient, sequential_ids("PT", len(patients)).astype(object)),
        "administration_date": (start + cols["day"].astype("timedelta64[D]")).astype("datetime64[ns]"),
        "route": _categorical(cols["route"], ["intravenous", "oral"]),
        "tumour_group": _categorical(cols["tumour_group"], TUMOUR_GROUPS),
        "regimen": _categorical(cols["regimen"], REGIMENS),
        "drug": _categorical(cols["drug"], DRUGS),
        "prescribed_dose_mg": cols["prescribed_dose_mg"],
        "administered_dose_mg": cols["administered_dose_mg"],
        "dose_banded": _categorical(cols["dose_banded"], ["N", "Y"]),
        "standard_product": _categorical(cols["standard_product"], ["N", "Y"]),
        "waste_mg": cols["waste_mg"],
        "days_supplied": _whole(cols["days_supplied"]),
        "packs_supplied": _whole(cols["packs_supplied"]),
        "drug_cost_gbp": cols["drug_cost_gbp"].astype(float),
        "regimen_end_date": pd.DatetimeIndex(np.where(end >= 0, start + np.maximum(end, 0).astype("timedelta64[D]"),
                                                      np.datetime64("NaT"))).astype("datetime64[ns]"),
    })
