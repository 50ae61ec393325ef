"""The specialised rheumatology registry of patients with lupus (SLE) and vasculitis."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .base import DATE_IN_RANGE, ISO_DATETIME, TEXT, TableSpec, code_column, date_column, provider_column

YES_NO = ["Y", "N"]  # flags are Y or N, as in NHS data sets (a text "False" would read as true if coerced to bool)
DRUGS = ["none", "rituximab", "belimumab", "other"]


def optional_date_column(description: str) -> pa.Column:
    return pa.Column(ISO_DATETIME, DATE_IN_RANGE, nullable=True, coerce=True, description=description)


def _no_later(df: pd.DataFrame, column: str) -> pd.Series:
    return df[column].isna() | (df[column] >= df["diagnosis_date"])


SPEC = TableSpec(
    name="rheumatology_patients",
    title="Specialised rheumatology registry: lupus and vasculitis",
    like="Specialised rheumatology registry and high-cost drug returns (Coordinated Network CQUIN audit)",
    description="One row per patient with systemic lupus erythematosus or systemic vasculitis under specialised "
                "rheumatology: where they are cared for within a coordinated network, renal involvement, the date "
                "of any progression to renal replacement therapy, and any high-cost drug with whether it was "
                "submitted to the high-cost drug registry.",
    key="patient_id",
    date_column="diagnosis_date",
    source="No national source exists: no collection records where a patient's care sits in a network (hub, spoke or "
           "outside) together with their renal involvement. Starts of renal replacement therapy are in the UK Renal "
           "Registry and high-cost drugs in the invoices (DrPLCM) and Blueteq, but nothing links them to a lupus or "
           "vasculitis cohort.",
    access="No: only from a network's own registry or its CQUIN audit returns.",
    identifiers=("patient_id",),
    patient_column="patient_id",
    schema=pa.DataFrameSchema(
        {
            "patient_id": code_column("Pseudonymised patient identifier", unique=True),
            "provider_code": provider_column(),
            "condition": pa.Column(TEXT, pa.Check.isin(["SLE", "vasculitis"]), coerce=True,
                                   description="SLE (systemic lupus erythematosus) or vasculitis (systemic, e.g. "
                                               "ANCA-associated)"),
            "diagnosis_date": date_column("Date of diagnosis"),
            "network_status": pa.Column(TEXT, pa.Check.isin(["hub", "spoke", "outside"]), coerce=True,
                                        description="Care within a coordinated network: hub (the specialised "
                                                    "centre), spoke (a unit sharing care with it under agreed "
                                                    "protocols) or outside (no coordinated network)"),
            "renal_involvement": pa.Column(TEXT, pa.Check.isin(YES_NO), coerce=True,
                                           description="Y if the disease involves the kidneys (e.g. lupus "
                                                       "nephritis, renal vasculitis), else N"),
            "rrt_date": optional_date_column("Date renal replacement therapy (dialysis or transplant) started for "
                                             "end-stage renal disease; empty if never"),
            "high_cost_drug": pa.Column(TEXT, pa.Check.isin(DRUGS), coerce=True,
                                        description="High-cost drug commissioned by NHS England: none, rituximab, "
                                                    "belimumab or other"),
            "hcd_start_date": optional_date_column("Date the high-cost drug was started; empty when none"),
            "hcd_registered": pa.Column(TEXT, pa.Check.isin(YES_NO), coerce=True,
                                        description="Y if the high-cost drug course was submitted to the "
                                                    "high-cost drug registry, else N"),
        },
        checks=[
            pa.Check(lambda df: _no_later(df, "rrt_date"), name="rrt_date >= diagnosis_date",
                     error="renal replacement therapy cannot start before diagnosis"),
            pa.Check(lambda df: df["rrt_date"].isna() | (df["renal_involvement"] == "Y"),
                     name="rrt_date only with renal_involvement Y",
                     error="a patient on renal replacement therapy has renal involvement"),
            pa.Check(lambda df: (df["high_cost_drug"] == "none") == df["hcd_start_date"].isna(),
                     name="hcd_start_date given exactly when high_cost_drug is not none",
                     error="a drug needs its start date, and no drug has none"),
            pa.Check(lambda df: _no_later(df, "hcd_start_date"), name="hcd_start_date >= diagnosis_date",
                     error="a drug for the disease cannot start before its diagnosis"),
            pa.Check(lambda df: (df["hcd_registered"] == "N") | (df["high_cost_drug"] != "none"),
                     name="hcd_registered Y only with a high_cost_drug",
                     error="only a high-cost drug course can be in the registry"),
        ],
        strict=False,
        name="rheumatology_patients",
    ),
)
