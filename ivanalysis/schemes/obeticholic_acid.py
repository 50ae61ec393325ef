"""Scheme 7: obeticholic acid for treating primary biliary cholangitis (Menu of Opportunities, chapter 7).

NICE (TA443) recommends obeticholic acid for people with primary biliary cholangitis (PBC) whose disease responds
inadequately to ursodeoxycholic acid (or who cannot take it), and only at the discount of the patient access
scheme (PAS). NHS England funds it only for patients registered through Blueteq, with the approval of an
appropriately constituted MDT at a specialised hepatobiliary centre. The Menu's KPIs: patients funded with a
completed Blueteq form; compliance with the commissioning criteria and the cost of inappropriate prescribing;
prescriptions at the PAS discount; numbers against the estimate derived from the NICE appraisal. The saving is
calculated from "invoicing data and Blueteq data".

Here, each invoiced patient-quarter (high-cost drug invoices) is matched to the patient's Blueteq forms: it is
appropriate when a form recording the criteria met and MDT approval was in force in the quarter (see
`hcd.approval_status`). The saving, at each provider, is
- inappropriate use: the spend, at the PAS price, on patient-quarters without such an approval, times the share
  the funding rule would avoid (some patients would be registered and approved once assessed); and
- wrong price: what was paid above the PAS price on every line.
Patients treated are compared with the number the NICE appraisal implies for each hub's population; patients above
it are a prompt to review, not counted in pounds (the estimate is uncertain and approved patients may exceed it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import SCENARIOS, SchemeParams
from ..errors import DataError
from ..geography import Geography
from ..results import (
    CASH_RELEASING,
    KPI,
    NHSE_SPECIALISED,
    Chart,
    Measure,
    Opportunity,
    OpportunityComponent,
    Period,
    Quantity,
    Range,
    RunContext,
    SchemeResult,
    Table,
)
from .base import area_rows, in_period, proportion_measure, provider_table, safe_share, scenario_frame
from .hcd import APPROVED, NO_MDT, NONE, NOT_MET, approval_status, data_months

TABLES = ("hcd_invoices", "blueteq")
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "hcd_invoices": ("provider_code", "patient_id", "invoice_period", "drug", "quantity", "reference_price", "cost"),
    "blueteq": ("patient_id", "drug", "approval_date", "criteria_met", "mdt_approved"),
}
ASSUMPTIONS = {"expected_per_100k": "patients_per_100000", "avoidable_share": "share"}
DRUG = "obeticholic acid"
PRICE_TOLERANCE = 0.01  # pounds a line: rounding, not a wrong price
STATUS_LABELS = {APPROVED: "Approved", NO_MDT: "No MDT approval recorded", NOT_MET: "Criteria not met",
                 NONE: "No approval in force"}


def above_agreed_price(cost: pd.Series, quantity: pd.Series, reference_price: pd.Series) -> pd.Series:
    """What each line paid above its quantity at the agreed (PAS) price; 0 when at or below it."""
    excess = cost - quantity * reference_price
    return excess.where(excess > PRICE_TOLERANCE, 0.0)


def expected_patients(population: float, per_100k: float) -> float:
    """Patients the NICE appraisal implies for a population, at `per_100k` patients per 100,000."""
    return population / 100_000 * per_100k


def provider_savings(rows: pd.DataFrame, avoidable_share: float) -> pd.DataFrame:
    """Per provider: spend at the PAS price on patient-quarters without an appropriate approval, what was paid above
    the PAS price, and the saving (the first times `avoidable_share`, plus the second).

    `rows` have provider_code, approved (bool), at_pas (quantity x reference price) and above_pas."""
    inappropriate = rows["at_pas"].where(~rows["approved"], 0.0)
    out = pd.DataFrame({"inappropriate": inappropriate.groupby(rows["provider_code"]).sum(),
                        "above_pas": rows.groupby("provider_code")["above_pas"].sum()})
    out["saving"] = out["inappropriate"] * avoidable_share + out["above_pas"]
    return out


def patient_years_avoided(quarters_without_approval: float, avoidable_share: float) -> float:
    """Patient-years of treatment without an approval that the funding rule would avoid (4 quarters a year)."""
    return quarters_without_approval / 4 * avoidable_share


def patient_approvals(invoiced: pd.DataFrame, on_file: pd.DataFrame) -> pd.DataFrame:
    """Each patient invoiced (index): whether a completed Blueteq form was on file, and whether one recorded MDT
    approval."""
    patients = invoiced["patient_id"].unique()
    return pd.DataFrame({"registered": np.isin(patients, on_file["patient_id"]),
                         "mdt": np.isin(patients, on_file.loc[on_file["mdt_approved"] == "Y", "patient_id"])},
                        index=patients)


def provider_activity(invoiced: pd.DataFrame) -> pd.DataFrame:
    """Per provider: patients, patient-quarters invoiced, those approved, lines paid above the PAS price, spend."""
    g = invoiced.groupby("provider_code")
    return pd.DataFrame({"patients": g["patient_id"].nunique(), "quarters": g.size(),
                         "approved": g["approved"].sum().astype(int),
                         "lines_above_pas": g["above_pas"].apply(lambda s: int((s > 0).sum())),
                         "spend": g["cost"].sum()})


def status_spend(invoiced: pd.DataFrame) -> pd.DataFrame:
    """Patient-quarters and spend by Blueteq status, every status of STATUS_LABELS in order (0 where none)."""
    g = invoiced.groupby("status", observed=False)
    return pd.DataFrame({"quarters": g.size(), "spend": g["cost"].sum()}).reindex(list(STATUS_LABELS)).fillna(0)


def _hub_frame(year: pd.DataFrame, geography: Geography, per_100k: float) -> pd.DataFrame:
    """Every hub: population, patients treated in the year, the number expected, and the rate per 100,000."""
    treated = year.groupby(year["provider_code"].map(geography.hub_of))["patient_id"].nunique()
    frame = pd.DataFrame([{"code": h.code, "Hub": h.name, "Population": h.population,
                           "Patients treated": int(treated.get(h.code, 0)),
                           "Expected patients": expected_patients(h.population, per_100k)} for h in geography.hubs()])
    frame["Treated as a share of expected"] = frame["Patients treated"] / frame["Expected patients"]
    frame["Rate"] = frame["Patients treated"] / frame["Population"] * 100_000
    return frame


@dataclass(frozen=True)
class National:
    """The analysis of every provider in England, the same whatever the area (read-only: kept between areas)."""
    oca: pd.DataFrame  # every invoice line of the drug, with its Blueteq status, approved, at_pas and above_pas
    year: pd.DataFrame  # those in the period
    on_file: pd.DataFrame  # Blueteq forms for the drug approved by the period's end
    by_scenario: dict[str, pd.DataFrame]  # provider_savings in each scenario
    hubs: pd.DataFrame  # _hub_frame (moderate scenario)
    months: tuple[pd.Timestamp, pd.Timestamp]  # the first and last month the invoices cover (data_months)


def national(tables: dict[str, pd.DataFrame], params: SchemeParams, period: Period,
             geography: Geography) -> National:
    a = params.assumptions
    inv = tables["hcd_invoices"]
    oca = inv[inv["drug"] == DRUG].copy()
    if oca.empty:
        raise DataError(f"no invoices for {DRUG} in hcd_invoices")
    in_period(oca, "invoice_period", period, f"{DRUG} invoices")  # raises when the period has none
    forms = tables["blueteq"]
    forms = forms[forms["drug"] == DRUG]
    oca["status"] = approval_status(oca, forms, require_mdt=True)
    oca["approved"] = oca["status"] == APPROVED
    oca["at_pas"] = oca["quantity"] * oca["reference_price"]
    oca["above_pas"] = above_agreed_price(oca["cost"], oca["quantity"], oca["reference_price"])
    year = oca[period.mask(oca["invoice_period"])]
    return National(oca=oca, year=year, on_file=forms[forms["approval_date"] <= period.end],
                    by_scenario={s: provider_savings(year, a["avoidable_share"].value(s)) for s in SCENARIOS},
                    hubs=_hub_frame(year, geography, a["expected_per_100k"].moderate), months=data_months(inv))


# --- the page ------------------------------------------------------------------------------------------------------
def _kpis(local: pd.DataFrame, approvals: pd.DataFrame, expected: float, per_100k: float) -> list[KPI]:
    n = len(approvals)
    return [
        KPI("Patients treated with obeticholic acid", float(n), "count"),
        KPI("Patients the NICE appraisal implies", expected, "count",
            note=f"moderate scenario: {per_100k:g} per 100,000 population"),
        KPI("Patients treated for each one expected", safe_share(n, expected), "ratio", 1.0, False),
        KPI("Patients with a completed Blueteq form", safe_share(approvals["registered"].sum(), n), "share", 1.0,
            True, "Menu: patients funded with a completed Blueteq form"),
        KPI("Patients with MDT approval recorded", safe_share(approvals["mdt"].sum(), n), "share", 1.0, True),
        KPI("Invoice lines at the PAS price", safe_share((local["above_pas"] == 0).sum(), len(local)), "share", 1.0,
            True, "Menu: prescriptions with the PAS discount"),
        KPI("Spend on obeticholic acid", float(local["cost"].sum()), "gbp"),
        KPI("Spend above the PAS price", float(local["above_pas"].sum()), "gbp", 0.0, False),
    ]


def _provider_table(activity: pd.DataFrame, savings: pd.DataFrame, measure: Measure, run: RunContext) -> Table:
    prov = pd.DataFrame({
        "Patients": activity["patients"], "Patient-quarters": activity["quarters"], "Approved": activity["approved"],
        "Lines above the PAS price": activity["lines_above_pas"], "Spend": activity["spend"],
        "Spend without approval (PAS price)": savings["inappropriate"],
        "Paid above the PAS price": savings["above_pas"],
        "Saving (moderate)": savings["saving"],
    })
    prov.insert(3, "Share approved", prov["Approved"] / prov["Patient-quarters"])
    return Table(f"Providers of {run.area.name} prescribing {DRUG}: approval, price and saving, {run.period.label}",
                 provider_table(prov, measure, run.geography),
                 counts=("Patients", "Patient-quarters", "Approved", "Lines above the PAS price"),
                 rates={"Share approved": ("Approved", "Patient-quarters")},
                 money=("Spend", "Spend without approval (PAS price)", "Paid above the PAS price",
                        "Saving (moderate)"),
                 # the spend without approval and above the PAS price are the saving's two parts
                 opportunity=("Spend without approval (PAS price)", "Paid above the PAS price", "Saving (moderate)"))


def _hub_table(hubs: pd.DataFrame, run: RunContext) -> Table:
    return Table(f"Patients treated with {DRUG} against the number the NICE appraisal implies, by hub, "
                 f"{run.period.label} (moderate scenario)",
                 hubs[hubs["code"].isin(run.area.hubs)].drop(columns=["code", "Rate", "Population"]),
                 counts=("Patients treated", "Expected patients"),
                 rates={"Treated as a share of expected": ("Patients treated", "Expected patients")})


def _status_table(local: pd.DataFrame, run: RunContext) -> Table:
    frame = status_spend(local).rename(columns={"quarters": "Patient-quarters", "spend": "Spend"})
    frame["Share of patient-quarters"] = frame["Patient-quarters"] / len(local)
    frame["Total"] = len(local)
    frame = frame.rename(index=STATUS_LABELS).reset_index(names="Blueteq status")
    return Table(f"{run.area.name}: invoiced {DRUG} patient-quarters by Blueteq status, {run.period.label}",
                 frame[["Blueteq status", "Patient-quarters", "Share of patient-quarters", "Spend", "Total"]],
                 counts=("Patient-quarters", "Total"),
                 rates={"Share of patient-quarters": ("Patient-quarters", "Total")}, money=("Spend",),
                 hidden=("Total",), rows_are_the_area=True)


def _hub_chart(hubs: pd.DataFrame, run: RunContext, per_100k: float) -> Chart:
    area = run.area
    frame = hubs.sort_values("Rate", ascending=False)[["Hub", "Rate", "code"]]
    above = frame.loc[frame["Rate"] > per_100k, "Hub"].tolist()
    if area.is_national:
        chosen = tuple(above)
        finding = (f"{len(above)} of {len(frame)} hubs treated more patients per 100,000 population than the "
                   f"{per_100k:g} the NICE appraisal implies (moderate scenario), highlighted.")
    else:
        chosen = tuple(frame.loc[frame["code"].isin(area.hubs), "Hub"])
        rate = hubs.loc[hubs["code"].isin(area.hubs), "Patients treated"].sum() / area.population * 100_000
        finding = (f"{area.name} treated {rate:.1f} patients per 100,000 population, against the {per_100k:g} the "
                   f"NICE appraisal implies (moderate scenario); {len(above)} of {len(frame)} hubs were above it.")
    return Chart(kind="bar", frame=frame[["Hub", "Rate"]], x="Hub", y="Rate", highlight=chosen, finding=finding,
                 value_label="Patients treated per 100,000 population",
                 title=f"Patients treated with {DRUG} per 100,000 population by hub, {run.period.label}")


CAVEATS = (
    "A patient-quarter is appropriate when a Blueteq form recording the criteria met and MDT approval was in force "
    "in it (approved by the quarter's end, for 12 months from its date).",
    "The expected number of patients is an estimate from the NICE appraisal's population (prevalence of PBC, the "
    "share responding inadequately to ursodeoxycholic acid, uptake): a hub above it should review its prescribing, "
    "not assume it is wrong. It is not counted in pounds.",
    "The PAS price is confidential; the invoices carry the agreed price of each line, and anything paid above it "
    "counts as recoverable.",
    "Some patients treated without an approval would qualify once assessed by an MDT: only the avoidable share of "
    "that spend counts, at the PAS price (what was paid above it is counted once, as wrong price).",
)


def opportunity_by_kind(savings: dict[str, pd.DataFrame], period: Period) -> Opportunity:
    """Two components: treatment the funding rule would avoid, and what was paid above the PAS price."""
    above_pas = Range.summed(savings, "above_pas")
    why = "NHS England funds obeticholic acid (Blueteq registration, MDT approval) and pays it as invoiced: "
    return Opportunity([
        OpportunityComponent(
            "Obeticholic acid without Blueteq and MDT approval", CASH_RELEASING, NHSE_SPECIALISED,
            Range.summed(savings, "saving") - above_pas, period.label,
            note=why + "treatment the funding rule would avoid is spend that falls."),
        OpportunityComponent(
            "Obeticholic acid paid above the PAS price", CASH_RELEASING, NHSE_SPECIALISED, above_pas, period.label,
            note=why + "paying the patient access scheme price is spend that falls."),
    ])


def analyse(tables: dict[str, pd.DataFrame], run: RunContext, national: National) -> SchemeResult:
    area, a = run.area, run.params.assumptions
    local = area_rows(national.year, area, f"{DRUG} invoices")
    measure = proportion_measure(
        national.oca, flag="approved", date="invoice_period", area=area, period=run.period,
        name="Obeticholic acid with Blueteq and MDT approval", higher_is_better=True, target=1.0,
        denominator_label=f"invoiced patient-quarters of {DRUG}")
    savings = {s: national.by_scenario[s][national.by_scenario[s].index.isin(area.providers)] for s in SCENARIOS}
    gbp = Range.summed(savings, "saving")
    quarters_without = int((~local["approved"]).sum())
    patient_years = Range(*(patient_years_avoided(quarters_without, a["avoidable_share"].value(s))
                            for s in SCENARIOS))
    per_100k = a["expected_per_100k"].moderate
    expected = expected_patients(area.population, per_100k)
    # patients: a completed Blueteq form, and MDT approval, by the end of the year
    approvals = patient_approvals(local, national.on_file)

    outputs = [("Patient-years of inappropriate treatment avoided", "count", patient_years), ("Saving", "gbp", gbp)]
    return SchemeResult(
        context=run, kpis=_kpis(local, approvals, expected, per_100k),
        opportunity=opportunity_by_kind(savings, run.period),
        quantities=[Quantity("Treatment without Blueteq and MDT approval avoided", "patient-years", patient_years)],
        measure=measure,
        tables={"providers": _provider_table(provider_activity(local), savings["moderate"], measure, run),
                "hubs": _hub_table(national.hubs, run), "status": _status_table(local, run)},
        scenario_table=scenario_frame(run.params, outputs), caveats=list(CAVEATS), data_months=national.months,
        area_providers=area.providers, charts={"hubs": _hub_chart(national.hubs, run, per_100k)},
    )
