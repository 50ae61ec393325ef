"""Synthetic DrPLCM-like high-cost drug invoices: HIV antiretrovirals, molecules with a biosimilar or generic
version, obeticholic acid and multiple sclerosis disease-modifying therapies (DMTs).

Granularity: one row per patient, drug, product and **quarter**. Real DrPLCM lines are monthly, but about 90,000
people on antiretrovirals, 30,000 on MS DMTs and 30,000 on the other molecules would make some 6 million monthly
rows over three years; quarterly rows keep the table near 2 million at scale 1. Quantities are what a quarter
needs (e.g. 3 packs of 30 tablets) and prices are per unit (pack, vial or syringe).

Calibration, by scheme of the Menu of Opportunities:
- Chapter 3 (antiretrovirals): about 90,000 people on ART in 2017/18 (PHE), London holding about two fifths of
  them, at tender prices that put England's ART spend near 430 m pounds a year: the Menu's savings of 22 m pounds
  (2017/18) and 13.7 m pounds (by the end of 2018/19) are 8.3% of ART spend, so the spend is 35.7 m / 0.083 =
  430 m. Generic abacavir/lamivudine, efavirenz and emtricitabine/tenofovir disoproxil are available from April
  2016 in this set; each HIV service adopts the basket of switches at its own time, pace and ceiling, so that the
  switches made save about 22 m pounds in 2017/18 and about 13.7 m remain at an 80% switch target.
- Chapter 6 (generics and biosimilars): no published figure. Volumes are of the order of hospital use in England
  (infliximab 16,000 patients, etanercept 10,000, rituximab 15,000 short courses a year, imatinib 4,000).
  Best-value products appear at their UK launch (infliximab biosimilars before the data start, etanercept
  February 2016, generic imatinib January 2017, rituximab biosimilars April and July 2017); adalimumab and
  trastuzumab biosimilars came after March 2018, so those molecules are left out. Providers differ in how fast
  they start new patients on best-value products and switch existing ones, around the CQUIN's 90% and 80%.
  Agreed prices are of the order of the national framework results; list prices are the BNF's.
- Chapter 5 (myositis): rituximab for the myositis patients whom the immunoglobulin table switches from IVIg
  (`immunoglobulin.myositis_switches`), from the quarter of the switch, a course of 2 x 1 g (4 vials of 500 mg)
  every 6 months, MabThera until the first biosimilar (April 2017), then Truxima.
- Chapter 7 (obeticholic acid): launched January 2017 (NICE TA443, April 2017); about 1,200 patients treated in
  2017/18, of the order of the 2 to 3 per 100,000 population that the NICE appraisal implies, varying by hub;
  most at about 15 hepatobiliary centres, 8% at other providers. The PAS price is confidential: 20% below list
  here. A few providers are invoiced at the list price on some lines.
- Chapter 10 (MS DMTs): about 25,000 people on a DMT in April 2015 rising to 32,000 (about a third of people with
  MS), at about 30 neuroscience centres; spend near 340 m pounds a year. Centres differ in their use of
  high-efficacy drugs (natalizumab, alemtuzumab, fingolimod), a few by far, so spend per patient has outliers.

The Blueteq forms for MS DMTs and obeticholic acid are drawn for the same patients (`approval_cohorts`, which
`ivanalysis.data.synth.blueteq` calls), so the two tables link by patient_id and drug.

Null data (`--null`): every provider adopts best-value products to England's ceiling, delay and pace, prescribes MS
DMTs with the national mix, and every hub starts obeticholic acid at England's rate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...geography import Geography
from .common import DATA_START, calibrated_propensities, differences, rng_for, service_providers
from .immunoglobulin import myositis_switches

QUARTERS = pd.date_range(DATA_START, periods=12, freq="QS-APR")  # April 2015 ... January 2018
N_Q = len(QUARTERS)
PATIENT_BASE = {"hiv": 1, "best_value": 10_000_001, "ms": 20_000_001, "oca": 30_000_001, "myositis": 40_000_001}


@dataclass(frozen=True)
class Product:
    drug: str
    type: str
    list_price: float  # GBP per unit (BNF)
    reference_price: float  # GBP per unit agreed (contract, framework or PAS)
    per_quarter: tuple[tuple[int, ...], tuple[float, ...]]  # units a quarter: values and probabilities


THREE = ((2, 3, 4), (0.08, 0.84, 0.08))  # monthly packs, 3 a quarter, with some dispensing timing either side
FOUR_WEEKLY = ((3, 4), (0.75, 0.25))  # 28-day packs: 3 or 4 in a quarter
VIALS_IFX = ((3, 4, 5, 6, 8, 10), (.08, .12, .1, .25, .25, .2))  # 5 mg/kg every 8 weeks: 1 or 2 infusions
VIALS_RTX = ((2, 3, 4, 5, 6), (.3, .15, .25, .15, .15))
SYRINGES_ETN = ((12, 13, 14), (.3, .5, .2))  # 50 mg weekly
HIV_CONTRACT = 0.62  # branded ART: regional tender prices as a share of list, calibrating spend to 430 m pounds


def _contract(list_price: float) -> float:
    return round(list_price * HIV_CONTRACT, 2)


PRODUCTS: dict[str, Product] = {
    # HIV antiretrovirals: packs of 30 tablets (Isentress 60), a month each
    "Atripla": Product("efavirenz/emtricitabine/tenofovir disoproxil", "branded", 626.90, _contract(626.90), THREE),
    "Truvada": Product("emtricitabine/tenofovir disoproxil", "branded", 355.73, _contract(355.73), THREE),
    "Kivexa": Product("abacavir/lamivudine", "branded", 300.00, _contract(300.00), THREE),
    "Triumeq": Product("dolutegravir/abacavir/lamivudine", "branded", 798.16, _contract(798.16), THREE),
    "Efavirenz generic": Product("efavirenz", "generic", 20.00, 9.00, THREE),
    "Emtricitabine/Tenofovir disoproxil generic": Product("emtricitabine/tenofovir disoproxil", "generic", 250.00,
                                                          45.00, THREE),
    "Abacavir/Lamivudine generic": Product("abacavir/lamivudine", "generic", 200.00, 30.00, THREE),
    "Tivicay": Product("dolutegravir", "branded", 498.75, _contract(498.75), THREE),
    "Prezista": Product("darunavir", "branded", 280.00, _contract(280.00), THREE),
    "Isentress": Product("raltegravir", "branded", 471.41, _contract(471.41), THREE),
    "Edurant": Product("rilpivirine", "branded", 200.27, _contract(200.27), THREE),
    "Eviplera": Product("emtricitabine/rilpivirine/tenofovir disoproxil", "branded", 599.96, _contract(599.96),
                        THREE),
    "Genvoya": Product("elvitegravir/cobicistat/emtricitabine/tenofovir alafenamide", "branded", 879.10,
                       _contract(879.10), THREE),
    "Odefsey": Product("emtricitabine/rilpivirine/tenofovir alafenamide", "branded", 599.99, _contract(599.99),
                       THREE),
    "Descovy": Product("emtricitabine/tenofovir alafenamide", "branded", 355.73, _contract(355.73), THREE),
    # molecules with biosimilar or generic versions: 100 mg vials, 50 mg syringes, 500 mg vials, packs of 30
    "Remicade": Product("infliximab", "originator", 419.62, 360.00, VIALS_IFX),
    "Inflectra": Product("infliximab", "biosimilar", 377.66, 170.00, VIALS_IFX),
    "Remsima": Product("infliximab", "biosimilar", 377.66, 165.00, VIALS_IFX),
    "Enbrel": Product("etanercept", "originator", 178.75, 160.00, SYRINGES_ETN),
    "Benepali": Product("etanercept", "biosimilar", 164.00, 105.00, SYRINGES_ETN),
    "MabThera": Product("rituximab", "originator", 873.15, 790.00, VIALS_RTX),
    "Truxima": Product("rituximab", "biosimilar", 785.84, 520.00, VIALS_RTX),
    "Rixathon": Product("rituximab", "biosimilar", 785.84, 515.00, VIALS_RTX),
    "Glivec": Product("imatinib", "branded", 1946.67, 1850.00, THREE),
    "Imatinib generic": Product("imatinib", "generic", 1500.00, 180.00, THREE),
    # obeticholic acid, packs of 30: the PAS price is confidential; 20% off list here
    "Ocaliva": Product("obeticholic acid", "branded", 2384.04, 1907.23, THREE),
    # MS disease-modifying therapies: packs of a month's (or 4 weeks') doses, natalizumab and alemtuzumab vials;
    # agreed prices 5% below list
    "Avonex": Product("interferon beta-1a", "branded", 654.00, 621.30, THREE),
    "Rebif": Product("interferon beta-1a", "branded", 813.21, 772.55, FOUR_WEEKLY),
    "Plegridy": Product("peginterferon beta-1a", "branded", 654.00, 621.30, THREE),
    "Betaferon": Product("interferon beta-1b", "branded", 596.63, 566.80, THREE),
    "Copaxone": Product("glatiramer acetate", "branded", 513.95, 488.25, FOUR_WEEKLY),
    "Aubagio": Product("teriflunomide", "branded", 1037.84, 985.95, FOUR_WEEKLY),
    "Tecfidera": Product("dimethyl fumarate", "branded", 1373.00, 1304.35, FOUR_WEEKLY),
    "Gilenya": Product("fingolimod", "branded", 1470.00, 1396.50, FOUR_WEEKLY),
    "Tysabri": Product("natalizumab", "branded", 1130.00, 1073.50, FOUR_WEEKLY),
    "Lemtrada": Product("alemtuzumab", "branded", 7045.00, 6692.75, ((5,), (1.0,))),
}
NAMES = np.array(list(PRODUCTS), dtype=object)
CODE = {name: i for i, name in enumerate(NAMES)}


# --- cohorts of patients on a drug ---------------------------------------------------------------------------------
def _choose(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """n draws of a provider position (in the geography's provider order), with probability `weights`."""
    return rng.choice(len(weights), size=n, p=weights / weights.sum())


def _weights(sizes: pd.Series, chosen: pd.Series) -> np.ndarray:
    """`chosen` (a weight per provider code) as an array in the order of `sizes`, 0 for the others."""
    return chosen.reindex(sizes.index).fillna(0.0).to_numpy()


def _cohort(rng: np.random.Generator, weights: np.ndarray, n_prevalent: int, new_per_quarter: np.ndarray,
            hazard: float, earliest: str) -> dict[str, np.ndarray]:
    """Episodes of treatment: patients already on the drug in April 2015 and patients starting each quarter.

    Each stays on treatment a geometric number of quarters (stopping with probability `hazard` a quarter).
    first_q / last_q index the quarters invoiced (0 = April-June 2015, 11 = January-March 2018).
    """
    start0 = np.datetime64(earliest, "D")
    prev_start = start0 + rng.integers(0, (np.datetime64(DATA_START.date(), "D") - start0).astype(int), n_prevalent)
    new_q = np.repeat(np.arange(N_Q), new_per_quarter)
    q_start = QUARTERS.to_numpy().astype("datetime64[D]")
    q_days = np.diff(np.append(q_start, np.datetime64("2018-04-01", "D"))).astype(int)
    new_start = q_start[new_q] + rng.integers(0, q_days[new_q])
    first_q = np.concatenate([np.zeros(n_prevalent, dtype=int), new_q])
    n = len(first_q)
    return {"provider": _choose(rng, weights, n), "start": np.concatenate([prev_start, new_start]),
            "first_q": first_q, "last_q": np.minimum(first_q + rng.geometric(hazard, n) - 1, N_Q - 1),
            "new": np.arange(n) >= n_prevalent}


def _per_quarter(per_year: float) -> np.ndarray:
    return np.full(N_Q, int(round(per_year / 4)))


def _expand(first_q: np.ndarray, last_q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(episode index, quarter) for every quarter each episode is invoiced."""
    lengths = last_q - first_q + 1
    idx = np.repeat(np.arange(len(first_q)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return idx, first_q[idx] + offsets


@dataclass(frozen=True)
class Adoption:
    """Each provider's adoption of a best-value product: a ceiling, a delay after it is available and a pace."""

    ceiling: np.ndarray
    delay: np.ndarray
    pace: np.ndarray
    available_q: int

    @classmethod
    def draw(cls, rng: np.random.Generator, sizes: pd.Series, available_q: int, mean_ceiling: float, spread: float,
             delay: tuple[float, float], pace: tuple[float, float]) -> Adoption:
        n = len(sizes)
        ceiling = calibrated_propensities(rng, sizes, mean_ceiling, spread).to_numpy()
        delays, paces = differences(rng.uniform(*delay, n), sum(delay) / 2), differences(rng.uniform(*pace, n),
                                                                                            sum(pace) / 2)
        return cls(ceiling, delays, paces, available_q)

    def share(self, provider: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Share of a provider's patients on the best-value product by quarter q (0 before it is available)."""
        t = np.maximum(q - self.available_q - self.delay[provider] + 1, 0)
        return np.where(q >= self.available_q, self.ceiling[provider] * (1 - np.exp(-t / self.pace[provider])), 0.0)


def _rows(rng: np.random.Generator, product: np.ndarray, patient: np.ndarray, provider: np.ndarray, q: np.ndarray,
          indication: np.ndarray, start: np.ndarray) -> dict[str, np.ndarray]:
    """Invoice rows (product codes per patient and quarter), with the quantity a quarter needs."""
    quantity = np.zeros(len(product))
    for code in np.unique(product):
        at = product == code
        values, p = PRODUCTS[NAMES[code]].per_quarter
        quantity[at] = rng.choice(values, size=at.sum(), p=p)
    return {"patient": patient, "provider": provider, "q": q, "indication": indication, "product": product,
            "start": start, "quantity": quantity}


# --- HIV -----------------------------------------------------------------------------------------------------------
HIV_PREVALENT = 80_000  # on ART in April 2015
HIV_NEW_PER_YEAR = 5_400
HIV_STOP_HAZARD = 0.006  # a quarter: deaths, moves abroad, loss to follow-up
HIV_SERVICES = 60
HIV_GENERIC_FROM = 4  # April 2016
LONDON_WEIGHT = 3.0  # London's HIV services carry about two fifths of people on ART
THIRD_AGENTS = (("Prezista", 0.40), ("Isentress", 0.20), ("Tivicay", 0.25), ("Edurant", 0.15))
# regimen: (branded products, generic products); "X" is the patient's third agent
REGIMENS = {
    "Atripla": (("Atripla",), ("Efavirenz generic", "Emtricitabine/Tenofovir disoproxil generic")),
    "Truvada+X": (("Truvada", "X"), ("Emtricitabine/Tenofovir disoproxil generic", "X")),
    "Kivexa+X": (("Kivexa", "X"), ("Abacavir/Lamivudine generic", "X")),
    "Triumeq": (("Triumeq",), ("Tivicay", "Abacavir/Lamivudine generic")),
    "Eviplera": (("Eviplera",), None),
    "Genvoya": (("Genvoya",), None),
    "Odefsey": (("Odefsey",), None),
    "Descovy+X": (("Descovy", "X"), None),
}
# regimen shares of people already on ART in April 2015, and of people starting
REGIMEN_MIX_PREVALENT = {"Atripla": 0.063, "Truvada+X": 0.08, "Kivexa+X": 0.034, "Triumeq": 0.029, "Eviplera": 0.37,
                         "Genvoya": 0.12, "Odefsey": 0.13, "Descovy+X": 0.174}
REGIMEN_MIX_NEW = {"Atripla": 0.023, "Truvada+X": 0.057, "Kivexa+X": 0.023, "Triumeq": 0.068, "Eviplera": 0.10,
                   "Genvoya": 0.32, "Odefsey": 0.22, "Descovy+X": 0.189}
# provider adoption of the basket of switches: mean ceiling, spread, delay and pace (quarters)
HIV_ADOPTION = (0.55, 1.3, (0.0, 4.0), (1.0, 3.0))
LONDON_LEAD = 1.0  # London's services: a higher ceiling (on the logit scale) and a quarter of the delay


def _hiv(rng: np.random.Generator, geo: Geography, sizes: pd.Series, scale: float) -> dict[str, np.ndarray]:
    services = service_providers(geo, sizes, HIV_SERVICES)
    if "LON" in geo.areas:
        services = services * np.where(services.index.isin(geo.areas["LON"].providers), LONDON_WEIGHT, 1.0)
    ep = _cohort(rng, _weights(sizes, services), int(round(HIV_PREVALENT * scale)),
                 _per_quarter(HIV_NEW_PER_YEAR * scale), HIV_STOP_HAZARD, "2005-01-01")
    n = len(ep["new"])
    names = list(REGIMENS)
    regimen = np.where(ep["new"], rng.choice(len(names), n, p=[REGIMEN_MIX_NEW[k] for k in names]),
                       rng.choice(len(names), n, p=[REGIMEN_MIX_PREVALENT[k] for k in names]))
    third = np.array([CODE[t] for t, _ in THIRD_AGENTS])[rng.choice(len(THIRD_AGENTS), n,
                                                                    p=[w for _, w in THIRD_AGENTS])]
    switch_u = rng.random(n)
    adoption = Adoption.draw(rng, sizes, HIV_GENERIC_FROM, *HIV_ADOPTION)
    if "LON" in geo.areas:  # the scheme grew out of work under way in London (Menu, chapter 3): earlier, further
        london = sizes.index.isin(geo.areas["LON"].providers)
        logit = np.log(adoption.ceiling / (1 - adoption.ceiling)) + np.where(london, LONDON_LEAD, 0.0)
        adoption = Adoption(1 / (1 + np.exp(-logit)), np.where(london, adoption.delay / 4, adoption.delay),
                            adoption.pace, adoption.available_q)

    idx, q = _expand(ep["first_q"], ep["last_q"])
    provider = ep["provider"][idx]
    in_basket = np.array([REGIMENS[k][1] is not None for k in names])[regimen[idx]]
    generic = in_basket & (switch_u[idx] < adoption.share(provider, q))  # never back: the share only rises
    # the quarter each patient first had the generic regimen: a drug new to the patient starts then
    first_generic = np.full(n, N_Q)
    np.minimum.at(first_generic, idx[generic], q[generic])
    quarter_days = QUARTERS.to_numpy().astype("datetime64[D]")
    switch_day = quarter_days[np.minimum(first_generic, N_Q - 1)] + rng.integers(0, 28, n)
    started_generic = first_generic == ep["first_q"]
    out = []
    for r, name in enumerate(names):
        branded, generics = REGIMENS[name]
        branded_drugs = {PRODUCTS[b].drug for b in branded if b != "X"}
        for state, products in ((False, branded), (True, generics)):
            if products is None:
                continue
            rows = np.flatnonzero((regimen[idx] == r) & (generic == state))
            e = idx[rows]
            for product in products:
                code = third[e] if product == "X" else np.full(len(rows), CODE[product])
                start = ep["start"][e]
                if state and product != "X" and PRODUCTS[product].drug not in branded_drugs:
                    start = np.where(started_generic[e], start, switch_day[e])
                out.append(_rows(rng, code, e + PATIENT_BASE["hiv"], provider[rows], q[rows],
                                 np.full(len(rows), "HIV", dtype=object), start))
    return _concat(out)


# --- molecules with a best-value version ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Molecule:
    originator: str
    best_value: tuple[str, ...]  # biosimilar or generic products, each provider buying one (its tender award)
    available_q: int  # quarter the first best-value product is available (negative: before April 2015)
    prevalent: int
    new_per_year: int
    hazard: float
    indications: dict[str, float]
    new_ceiling: float  # mean share of new patients started on the best-value product, once adopted
    existing_ceiling: float  # mean share of existing patients switched, once adopted
    earliest: str = "2008-01-01"


MOLECULES = {
    "infliximab": Molecule("Remicade", ("Inflectra", "Remsima"), -1, 11_000, 5_000, 0.06,
                           {"Crohn's disease": 0.45, "Ulcerative colitis": 0.25, "Rheumatoid arthritis": 0.15,
                            "Ankylosing spondylitis": 0.1, "Psoriatic arthritis": 0.05}, 0.92, 0.85),
    "etanercept": Molecule("Enbrel", ("Benepali",), 3, 8_000, 2_800, 0.05,
                           {"Rheumatoid arthritis": 0.6, "Psoriatic arthritis": 0.2, "Ankylosing spondylitis": 0.1,
                            "Juvenile idiopathic arthritis": 0.1}, 0.88, 0.72),
    "imatinib": Molecule("Glivec", ("Imatinib generic",), 7, 3_600, 700, 0.02,
                         {"Chronic myeloid leukaemia": 0.8, "Gastrointestinal stromal tumour": 0.2}, 0.9, 0.8),
    "rituximab": Molecule("MabThera", ("Truxima", "Rixathon"), 8, 0, 15_000, 0.55,
                          {"Non-Hodgkin lymphoma": 0.55, "Chronic lymphocytic leukaemia": 0.15,
                           "Rheumatoid arthritis": 0.2, "ANCA-associated vasculitis": 0.1}, 0.85, 0.8),
}
LAUNCH_Q = {"Rixathon": 9}  # a second biosimilar launched after the first: bought only from then


def _best_value(rng: np.random.Generator, sizes: pd.Series, scale: float) -> dict[str, np.ndarray]:
    out, offset, w = [], PATIENT_BASE["best_value"], sizes.to_numpy()
    for m in MOLECULES.values():
        ep = _cohort(rng, w, int(round(m.prevalent * scale)), _per_quarter(m.new_per_year * scale), m.hazard,
                     m.earliest)
        n = len(ep["new"])
        indication = np.array(list(m.indications), dtype=object)[
            rng.choice(len(m.indications), n, p=list(m.indications.values()))]
        idx, q = _expand(ep["first_q"], ep["last_q"])
        provider = ep["provider"][idx]
        new_curve = Adoption.draw(rng, sizes, m.available_q, m.new_ceiling, 1.6, (0.0, 2.0), (0.3, 1.0))
        existing = Adoption.draw(rng, sizes, m.available_q, m.existing_ceiling, 1.4, (0.0, 4.0), (0.8, 3.0))
        # new patients start on the best-value product once their provider has adopted it; others switch later
        new_bv = ep["new"] & (rng.random(n) < new_curve.share(ep["provider"], ep["first_q"]))
        bv = new_bv[idx] | (rng.random(n)[idx] < existing.share(provider, q))
        award = np.array([CODE[p] for p in m.best_value])[rng.integers(0, len(m.best_value), len(sizes))][provider]
        launched = np.array([LAUNCH_Q.get(NAMES[c], -99) for c in range(len(NAMES))])[award] <= q
        product = np.where(bv, np.where(launched, award, CODE[m.best_value[0]]), CODE[m.originator])
        out.append(_rows(rng, product, idx + offset, provider, q, indication[idx], ep["start"][idx]))
        offset += n
    return _concat(out)


# --- MS disease-modifying therapies and obeticholic acid (with Blueteq forms) --------------------------------------
MS_PREVALENT, MS_NEW_PER_YEAR, MS_STOP_HAZARD = 25_000, 4_400, 0.03
MS_CENTRES = 30
MS_MIX_PREVALENT = {"Avonex": 0.14, "Rebif": 0.15, "Plegridy": 0.03, "Betaferon": 0.12, "Copaxone": 0.21,
                    "Aubagio": 0.06, "Tecfidera": 0.15, "Gilenya": 0.07, "Tysabri": 0.06, "Lemtrada": 0.01}
MS_MIX_NEW = {"Avonex": 0.04, "Rebif": 0.05, "Plegridy": 0.06, "Betaferon": 0.03, "Copaxone": 0.12,
              "Aubagio": 0.13, "Tecfidera": 0.31, "Gilenya": 0.09, "Tysabri": 0.09, "Lemtrada": 0.08}
HIGH_EFFICACY = ("Gilenya", "Tysabri", "Lemtrada")
MS_HIGH_LEANERS = 3  # centres using high-efficacy drugs four times as readily as the rest
OCA_CENTRES, OCA_OTHER_PROVIDERS = 15, 25
OCA_NEW_BY_QUARTER = {7: 100, 8: 230, 9: 280, 10: 300, 11: 300}  # launched January 2017
OCA_STOP_HAZARD = 0.05
OCA_OTHER_SHARE = 0.08  # patients started outside the specialised hepatobiliary centres


def _ms_episodes(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> dict[str, np.ndarray]:
    rng = rng_for(seed, "hcd_invoices/ms")
    centres = service_providers(geo, sizes, MS_CENTRES)
    ep = _cohort(rng, _weights(sizes, centres), int(round(MS_PREVALENT * scale)),
                 _per_quarter(MS_NEW_PER_YEAR * scale), MS_STOP_HAZARD, "2008-01-01")
    lean = np.where(sizes.index.isin(centres.index), rng.lognormal(0.0, 0.6, len(sizes)), 1.0)
    lean[rng.choice(np.flatnonzero(sizes.index.isin(centres.index)), MS_HIGH_LEANERS, replace=False)] *= 4.0
    lean = differences(lean, 1.0)
    products = list(MS_MIX_NEW)
    high = np.isin(products, HIGH_EFFICACY)
    base = np.where(ep["new"][:, None], [MS_MIX_NEW[p] for p in products], [MS_MIX_PREVALENT[p] for p in products])
    w = base * np.where(high[None, :], lean[ep["provider"]][:, None], 1.0)
    cum = (w / w.sum(axis=1, keepdims=True)).cumsum(axis=1)
    pick = np.minimum((rng.random(len(w))[:, None] > cum).sum(axis=1), len(products) - 1)
    ep["product"] = np.array([CODE[p] for p in products])[pick]
    # alemtuzumab: two courses a year apart, invoiced in those quarters only; those already on it in April 2015
    # have their second course due then
    lem = ep["product"] == CODE["Lemtrada"]
    ep["last_q"] = np.where(lem, np.where(ep["new"], np.minimum(ep["first_q"] + 4, N_Q - 1), 0), ep["last_q"])
    prev = lem & ~ep["new"]
    ep["start"] = np.where(prev, np.datetime64(DATA_START.date(), "D") - rng.integers(270, 365, len(lem)),
                           ep["start"])
    ep["indication"] = np.full(len(lem), "Relapsing-remitting multiple sclerosis", dtype=object)
    ep["patient"] = np.arange(len(lem)) + PATIENT_BASE["ms"]
    ep["specialised_centre"] = np.ones(len(lem), dtype=bool)
    return ep


def _oca_episodes(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> dict[str, np.ndarray]:
    rng = rng_for(seed, "hcd_invoices/oca")
    centres = service_providers(geo, sizes, OCA_CENTRES)
    others = sizes.drop(centres.index).sort_values(ascending=False).iloc[:OCA_OTHER_PROVIDERS]
    # hubs differ in how readily they start obeticholic acid (against the numbers NICE implies)
    hub_lean = differences({h.code: rng.lognormal(0.0, 0.3) for h in geo.hubs()}, 1.0)
    weights = pd.concat([centres * (1 - OCA_OTHER_SHARE), others / others.sum() * OCA_OTHER_SHARE])
    weights = weights * np.array([hub_lean[geo.hub_of(p)] for p in weights.index])
    new = np.zeros(N_Q, dtype=int)
    for q, k in OCA_NEW_BY_QUARTER.items():
        new[q] = int(round(k * scale))
    ep = _cohort(rng, _weights(sizes, weights), 0, new, OCA_STOP_HAZARD, "2016-01-01")
    n = len(ep["new"])
    ep["product"] = np.full(n, CODE["Ocaliva"])
    ep["indication"] = np.full(n, "Primary biliary cholangitis", dtype=object)
    ep["patient"] = np.arange(n) + PATIENT_BASE["oca"]
    ep["specialised_centre"] = np.isin(ep["provider"], sizes.index.get_indexer(centres.index))
    return ep


def approval_cohorts(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    """The MS DMT and obeticholic acid episodes that need Blueteq approval: one row per patient and drug.

    Columns: patient_id, provider_code, drug, product, indication, treatment_start, first_q, last_q, new (started
    in the data period) and specialised_centre (obeticholic acid at a hepatobiliary centre with an MDT; MS: True).
    """
    frames = []
    for ep in (_ms_episodes(geo, sizes, seed, scale), _oca_episodes(geo, sizes, seed, scale)):
        frames.append(pd.DataFrame({
            "patient_id": pseudonyms(ep["patient"]), "provider_code": sizes.index.to_numpy()[ep["provider"]],
            "drug": [PRODUCTS[NAMES[c]].drug for c in ep["product"]], "product": NAMES[ep["product"]],
            "indication": ep["indication"], "treatment_start": ep["start"], "first_q": ep["first_q"],
            "last_q": ep["last_q"], "new": ep["new"], "specialised_centre": ep["specialised_centre"]}))
    return pd.concat(frames, ignore_index=True)


def _approval_drugs(rng: np.random.Generator, geo: Geography, sizes: pd.Series, seed: int,
                    scale: float) -> dict[str, np.ndarray]:
    out = []
    for ep in (_ms_episodes(geo, sizes, seed, scale), _oca_episodes(geo, sizes, seed, scale)):
        idx, q = _expand(ep["first_q"], ep["last_q"])
        first, lem = ep["first_q"][idx], ep["product"][idx] == CODE["Lemtrada"]
        keep = ~lem | (q == first) | (q == first + 4)  # alemtuzumab: only its two course quarters
        idx, q, first, lem = idx[keep], q[keep], first[keep], lem[keep]
        rows = _rows(rng, ep["product"][idx], ep["patient"][idx], ep["provider"][idx], q, ep["indication"][idx],
                     ep["start"][idx])
        course_one = ep["new"][idx] & (q == first)
        rows["quantity"] = np.where(lem, np.where(course_one, 5.0, 3.0), rows["quantity"])  # 12 mg/day: 5 days, then 3
        out.append(rows)
    return _concat(out)


# --- rituximab for inflammatory myositis (chapter 5) ----------------------------------------------------------------
MYOSITIS = "Inflammatory myositis"
MYOSITIS_VIALS_PER_COURSE = 4.0  # 2 infusions of 1 g, 500 mg vials
MYOSITIS_COURSE_EVERY_Q = 2  # every 6 months


def _myositis_rituximab(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> dict[str, np.ndarray]:
    """Rituximab for the patients the immunoglobulin table switches from IVIg, from the switch to the data's end."""
    sw = myositis_switches(geo, sizes, seed, scale)
    q0 = QUARTERS.searchsorted(sw["switched_on"].to_numpy(), side="right") - 1
    courses = (N_Q - 1 - q0) // MYOSITIS_COURSE_EVERY_Q + 1
    idx, course = _expand(np.zeros(len(sw), dtype=int), courses - 1)  # each patient's courses 0, 1, ...
    q = q0[idx] + course * MYOSITIS_COURSE_EVERY_Q
    available_q = MOLECULES["rituximab"].available_q
    product = np.where(q >= available_q, CODE[MOLECULES["rituximab"].best_value[0]], CODE["MabThera"])
    return {"patient": idx + PATIENT_BASE["myositis"], "provider": sizes.index.get_indexer(sw["provider_code"])[idx],
            "q": q, "indication": np.full(len(idx), MYOSITIS, dtype=object), "product": product,
            "start": sw["switched_on"].to_numpy().astype("datetime64[D]")[idx],
            "quantity": np.full(len(idx), MYOSITIS_VIALS_PER_COURSE)}


# --- the table -----------------------------------------------------------------------------------------------------
OCA_WRONG_PRICE_PROVIDERS, OCA_WRONG_PRICE_SHARE = 6, 0.6  # invoiced at list price, not the PAS price


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def pseudonyms(numbers: np.ndarray) -> np.ndarray:
    """Pseudonymised patient identifiers: a fixed bijection of the patient number onto 9 digits."""
    mixed = (np.asarray(numbers, dtype=np.int64) * 2_654_435_761 + 7_919) % 1_000_000_000
    if mixed.size == 0:  # a cohort can be empty at a very small scale
        return np.array([], dtype=object)
    return np.char.add("P", np.char.zfill(mixed.astype(str), 9)).astype(object)


def invoice_ids(n: int) -> np.ndarray:
    """HCD00000001, HCD00000002, ...: the format of `common.sequential_ids`, built as bytes (millions are needed)."""
    digits = (np.arange(1, n + 1)[:, None] // 10 ** np.arange(7, -1, -1)) % 10 + ord("0")
    raw = np.hstack([np.tile(np.frombuffer(b"HCD", np.uint8), (n, 1)), digits.astype(np.uint8)])
    return np.ascontiguousarray(raw).view("S11").ravel().astype("U11").astype(object)


def generate(geo: Geography, sizes: pd.Series, seed: int, scale: float) -> pd.DataFrame:
    # one stream per cohort, so that recalibrating one never changes another
    d = _concat([_hiv(rng_for(seed, "hcd_invoices/hiv"), geo, sizes, scale),
                 _best_value(rng_for(seed, "hcd_invoices/best_value"), sizes, scale),
                 _approval_drugs(rng_for(seed, "hcd_invoices/approval_rows"), geo, sizes, seed, scale),
                 _myositis_rituximab(geo, sizes, seed, scale)])  # last, so that the rows before draw as they did
    rng = rng_for(seed, "hcd_invoices")
    attr = {a: np.array([getattr(PRODUCTS[n], a) for n in NAMES], dtype=object if a in ("drug", "type") else float)
            for a in ("drug", "type", "list_price", "reference_price")}
    code = d["product"]
    price = attr["reference_price"][code]
    # some providers are invoiced at the list price, not the PAS price, on part of their obeticholic acid lines
    oca = code == CODE["Ocaliva"]
    oca_providers = np.unique(d["provider"][oca])  # few at a small scale: never ask for more than there are
    wrong = rng.choice(oca_providers, size=min(OCA_WRONG_PRICE_PROVIDERS, len(oca_providers)), replace=False)
    at_list = oca & np.isin(d["provider"], wrong) & (rng.random(len(code)) < OCA_WRONG_PRICE_SHARE)
    price = np.where(at_list, attr["list_price"][code], price)

    order = np.lexsort((code, d["patient"], d["provider"], d["q"]))
    code, price = code[order], price[order]
    d = {k: v[order] for k, v in d.items()}
    patients, patient_idx = np.unique(d["patient"], return_inverse=True)
    return pd.DataFrame({
        "invoice_id": invoice_ids(len(code)),
        "provider_code": sizes.index.to_numpy(dtype=object)[d["provider"]],
        "patient_id": pseudonyms(patients)[patient_idx],
        "invoice_period": QUARTERS.to_numpy()[d["q"]],
        "indication": d["indication"],
        "drug": attr["drug"][code],
        "product": NAMES[code],
        "product_type": attr["type"][code],
        "quantity": d["quantity"],
        "list_price": attr["list_price"][code],
        "reference_price": attr["reference_price"][code],
        "cost": (d["quantity"] * price).round(2),
        "treatment_start": d["start"].astype("datetime64[ns]"),
    })
