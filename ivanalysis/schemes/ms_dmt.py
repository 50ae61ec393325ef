"""Scheme 10: multiple sclerosis disease-modifying therapies (Menu of Opportunities, chapter 10).

NHS England's policy and treatment algorithm set starting and stopping criteria for MS disease-modifying therapies
(DMTs), applied through Blueteq prior approval at the start of treatment and at each annual review. The Menu asks
commissioners to "map invoice spend to Blueteq approval", to identify "outliers in terms of prescribing and spend",
and calculates the saving by "mapping invoice spend against Blueteq report": MS drugs are paid as they are invoiced,
so spend outside the policy is visible.

Here, each invoiced patient-quarter of an MS DMT (high-cost drug invoices) is matched to the patient's Blueteq
forms for the same drug: it is approved when a form recording that the criteria are met was approved by the
quarter's end and was in force in the quarter (an approval lasts 12 months: initiation, then annual continuation).
Otherwise it is "criteria not met" (the latest form in force says so) or "no approval in force". The saving is the
spend on patient-quarters without a valid approval, at each provider, times the share of it that applying the
policy would avoid (some is paperwork missing for patients who qualify). Spend per patient is compared across
centres, and outliers flagged.

national() does England's part (every invoice's status, every centre's figures), the same for every area;
analyse() the area's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import SCENARIOS, Assumption, SchemeParams
from ..errors import DataError
from ..geography import Area, Geography
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
from .hcd import APPROVED, NONE, NOT_MET, approval_status, data_months

TABLES = ("hcd_invoices", "blueteq")
INPUT_COLUMNS = {  # the columns of each table it uses: only those are read
    "hcd_invoices": ("provider_code", "patient_id", "invoice_period", "indication", "drug", "cost"),
    "blueteq": ("patient_id", "drug", "approval_date", "criteria_met", "mdt_approved"),  # matched on patient and drug
}
ASSUMPTIONS = {"avoidable_share": "share"}
INDICATION = "Relapsing-remitting multiple sclerosis"
TUKEY = 1.5  # spend-per-patient outliers: beyond 1.5 interquartile ranges of England's centres
CAVEATS = [
    "An approval lasts 12 months from its date: a quarter is matched when a form for the same patient and "
    "drug was approved by the quarter's end and was still in force at its start or later. A missed annual "
    "review shows from the first quarter that starts after the approval has lapsed.",
    "Patients and drugs are matched on the pseudonymised patient identifier and the drug's generic name; a "
    "patient whose identifier differs between the two systems shows as having no approval.",
    "Not all spend without an approval is avoidable: some is paperwork missing for patients who meet the "
    "criteria. The avoidable share is an assumption of each scenario.",
    "Spend per patient depends on the mix of drugs (high-efficacy drugs cost more): an outlier is a centre "
    "to look at, not one prescribing outside the policy.",
]


# --- the arithmetic ------------------------------------------------------------------------------------------------
def spend_outliers(spend_per_patient: pd.Series, k: float = TUKEY) -> pd.Series:
    """'high' / 'low' where a centre's spend per patient lies beyond Tukey's fences (quartiles -/+ k x IQR)."""
    q1, q3 = spend_per_patient.quantile([0.25, 0.75])
    iqr = q3 - q1
    return pd.Series(np.select([spend_per_patient > q3 + k * iqr, spend_per_patient < q1 - k * iqr],
                               ["high", "low"], ""), index=spend_per_patient.index)


def avoidable(spend_without_approval: float, share: float) -> float:
    """Spend without a valid approval that applying the policy would avoid."""
    return spend_without_approval * share


def centre_figures(year: pd.DataFrame) -> pd.DataFrame:
    """Each centre's patients, invoiced patient-quarters, approved ones, spend, spend without approval, spend per
    patient and whether that is an outlier among the centres given. `year`: invoice rows with `approved`."""
    g = year.groupby("provider_code")
    centres = pd.DataFrame({"patients": g["patient_id"].nunique(), "quarters": g.size(),
                            "approved": g["approved"].sum().astype(int), "spend": g["cost"].sum(),
                            "unapproved": year[~year["approved"]].groupby("provider_code")["cost"].sum()}).fillna(0.0)
    centres["per_patient"] = centres["spend"] / centres["patients"]
    centres["outlier"] = spend_outliers(centres["per_patient"])
    return centres


def opportunity(unapproved_spend: pd.Series, unapproved_quarters: int, share: Assumption) -> tuple[Range, Range]:
    """The spend avoided (`unapproved_spend`: each centre's spend without approval) and the patient-years of
    treatment outside the policy avoided, under each scenario's avoidable share."""
    gbp = Range.of(lambda s: sum(avoidable(v, share.value(s)) for v in unapproved_spend))
    patient_years = Range(*(unapproved_quarters / 4 * share.value(s) for s in SCENARIOS))
    return gbp, patient_years


def never_approved(rows: pd.DataFrame) -> int:
    """Patients (each drug apart) none of whose invoiced quarters had an approval in force."""
    return int((rows["status"] == NONE).groupby([rows["patient_id"], rows["drug"]]).all().sum())


@dataclass(frozen=True)
class National:
    """England's part of the analysis, the same for every area (read-only: a warm kernel keeps it for every hub)."""

    ms: pd.DataFrame  # every MS DMT invoice row, all months, with its Blueteq status and whether approved
    year: pd.DataFrame  # those in the period
    centres: pd.DataFrame  # each centre in the period: patients, quarters, approved, spend, per patient, outlier
    data_months: tuple[pd.Timestamp, pd.Timestamp]  # of all invoices


def national(tables: dict[str, pd.DataFrame], params: SchemeParams, period: Period,
             geography: Geography) -> National:
    inv = tables["hcd_invoices"]
    ms = inv[inv["indication"] == INDICATION].copy()
    if ms.empty:
        raise DataError(f"no invoices for MS disease-modifying therapies (indication {INDICATION!r}) in hcd_invoices")
    in_period(ms, "invoice_period", period, "MS DMT invoices")  # raises when the period has none
    ms["status"] = approval_status(ms, tables["blueteq"])
    ms["approved"] = ms["status"] == APPROVED
    year = ms[period.mask(ms["invoice_period"])]
    return National(ms, year, centre_figures(year), data_months(inv))


# --- the page's figures and tables ---------------------------------------------------------------------------------
def kpis(local: pd.DataFrame) -> list[KPI]:
    """`local`: the area's invoice rows in the year, with their status."""
    patients = local["patient_id"].nunique()
    return [
        KPI("Invoiced patient-quarters with a Blueteq approval", safe_share(local["approved"].sum(), len(local)),
            "share", 1.0, True, "the policy: every patient, at the start and at each annual review"),
        KPI("Patients on MS disease-modifying therapies", float(patients), "count"),
        KPI("Spend on MS disease-modifying therapies", float(local["cost"].sum()), "gbp"),
        KPI("Spend per patient", safe_share(local["cost"].sum(), patients), "gbp"),
        KPI("Spend without a valid Blueteq approval", float(local.loc[~local["approved"], "cost"].sum()), "gbp",
            0.0, False),
        KPI("Patients treated with no approval in force all year", float(never_approved(local)), "count", 0.0,
            False),
    ]


def providers_table(mine: pd.DataFrame, share: float, area: Area, period: Period, measure: Measure,
                    geography: Geography) -> Table:
    """`mine`: centre_figures() of the area's centres; `share`: the moderate avoidable share."""
    prov = pd.DataFrame({
        "Patients": mine["patients"].astype(int), "Patient-quarters": mine["quarters"].astype(int),
        "Approved": mine["approved"].astype(int),
        "Share approved": mine["approved"] / mine["quarters"],
        "Spend per patient": mine["per_patient"], "Spend per patient outlier": mine["outlier"],
        "Spend without approval": mine["unapproved"],
        "Saving (moderate)": [avoidable(v, share) for v in mine["unapproved"]],
    }, index=mine.index)
    return Table(f"MS centres of {area.name}: Blueteq approval and spend, {period.label}",
                 provider_table(prov, measure, geography), counts=("Patients", "Patient-quarters", "Approved"),
                 rates={"Share approved": ("Approved", "Patient-quarters")},
                 money=("Spend per patient", "Spend without approval", "Saving (moderate)"),
                 opportunity=("Spend without approval", "Saving (moderate)"))


def opportunity_by_kind(gbp: Range, period: Period) -> Opportunity:
    return Opportunity([OpportunityComponent(
        "MS disease-modifying therapy outside the policy", CASH_RELEASING, NHSE_SPECIALISED, gbp, period.label,
        note="NHS England commissions MS disease-modifying therapies and pays them as invoiced: treatment the policy "
             "would not fund is spend that falls.")])


# --- the analysis --------------------------------------------------------------------------------------------------
def analyse(tables: dict[str, pd.DataFrame], run: RunContext, national: National) -> SchemeResult:
    area, params, period = run.area, run.params, run.period
    share = params.assumptions["avoidable_share"]
    local = area_rows(national.year, area, "MS DMT invoices")
    measure = proportion_measure(
        national.ms, flag="approved", date="invoice_period", area=area, period=period,
        name="MS DMT treatment with Blueteq approval", higher_is_better=True, target=1.0,
        denominator_label="invoiced patient-quarters of MS DMTs")
    centres = national.centres
    mine = centres[centres.index.isin(area.providers)]
    gbp, patient_years = opportunity(mine["unapproved"], int((~local["approved"]).sum()), share)

    outputs = [("Patient-years of treatment outside the policy avoided", "count", patient_years),
               ("Saving", "gbp", gbp)]
    return SchemeResult(
        context=run, kpis=kpis(local), opportunity=opportunity_by_kind(gbp, period),
        quantities=[Quantity("Treatment outside the policy avoided", "patient-years", patient_years)],
        measure=measure,
        tables={
            "providers": providers_table(mine, share.moderate, area, period, measure, run.geography),
            "drugs": _drug_table(local, area, period),
            "status": _status_table(local, area, period),
        },
        scenario_table=scenario_frame(params, outputs),
        caveats=list(CAVEATS),
        data_months=national.data_months,
        area_providers=area.providers,
        charts={"spend": _spend_chart(centres, area, period)},
    )


def _drug_table(local: pd.DataFrame, area: Area, period: Period) -> Table:
    g = local.groupby("drug")
    frame = pd.DataFrame({"Patients": g["patient_id"].nunique(), "Patient-quarters": g.size(),
                          "Approved": g["approved"].sum().astype(int), "Spend": g["cost"].sum()})
    frame["Share approved"] = frame["Approved"] / frame["Patient-quarters"]
    frame["Spend per patient"] = frame["Spend"] / frame["Patients"]
    frame = frame.sort_values("Spend", ascending=False).reset_index(names="Drug")
    return Table(f"{area.name}: MS disease-modifying therapies by drug, {period.label}",
                 frame[["Drug", "Patients", "Patient-quarters", "Approved", "Share approved", "Spend",
                        "Spend per patient"]],
                 counts=("Patients", "Patient-quarters", "Approved"),
                 rates={"Share approved": ("Approved", "Patient-quarters")}, money=("Spend", "Spend per patient"),
                 rows_are_the_area=True)


def _status_table(local: pd.DataFrame, area: Area, period: Period) -> Table:
    g = local.groupby("status", observed=False)
    frame = pd.DataFrame({"Patient-quarters": g.size(), "Spend": g["cost"].sum()}).reindex(
        [APPROVED, NOT_MET, NONE]).fillna(0)
    frame["Share of patient-quarters"] = frame["Patient-quarters"] / len(local)
    frame["Total"] = len(local)
    frame = frame.reset_index(names="Blueteq status")
    frame["Blueteq status"] = frame["Blueteq status"].str.capitalize()
    return Table(f"{area.name}: invoiced MS DMT patient-quarters by Blueteq status, {period.label}",
                 frame[["Blueteq status", "Patient-quarters", "Share of patient-quarters", "Spend", "Total"]],
                 counts=("Patient-quarters", "Total"), rates={"Share of patient-quarters": ("Patient-quarters",
                                                                                              "Total")},
                 money=("Spend",), hidden=("Total",), rows_are_the_area=True)


def _spend_chart(centres: pd.DataFrame, area: Area, period: Period) -> Chart:
    mine = centres[centres.index.isin(area.providers)]
    england = centres["spend"].sum() / centres["patients"].sum()
    values = pd.concat([mine["per_patient"], pd.Series({"England": england})]).sort_values(ascending=False)
    frame = values.rename_axis("Centre").reset_index(name="Spend per patient")
    high = tuple(mine.index[mine["outlier"] == "high"])
    n = len(high)
    finding = (f"{n} of the {len(mine)} MS centres of {area.name} spent more per patient than England's "
               f"centres' upper fence (highlighted); England's average was £{england:,.0f} a patient."
               if n else f"None of the {len(mine)} MS centres of {area.name} is an outlier for spend per patient; "
                         f"England's average was £{england:,.0f} a patient.")
    return Chart(kind="bar", frame=frame, x="Centre", y="Spend per patient", value_format="gbp",
                 value_label="Spend per patient in the year", highlight=high,
                 title=f"Spend per patient on MS disease-modifying therapies by centre, {period.label}",
                 finding=finding)
