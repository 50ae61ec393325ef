"""The immunoglobulin table, like the National Immunoglobulin Database."""
from __future__ import annotations

import pandera.pandas as pa

from .base import TEXT, TableSpec, code_column, date_column, positive_up_to, provider_column

SPEC = TableSpec(
    name="immunoglobulin",
    title="Immunoglobulin treatment episodes",
    like="National Immunoglobulin Database (NID)",
    description="One row per immunoglobulin treatment episode (a course of one or more infusions) for any "
                "indication, with the patient's weight where it was recorded.",
    key="episode_id",
    date_column="treatment_date",
    source="National Immunoglobulin Database (NID), run for NHS England by MDSAS.",
    access="Yes: commissioners have the database's reports and dashboards for their providers; a patient-level "
           "extract is by request to NHS England's immunoglobulin programme.",
    identifiers=("episode_id", "patient_id"),
    patient_column="patient_id",
    schema=pa.DataFrameSchema(
        {
            "episode_id": code_column("Identifier of the treatment episode", unique=True),
            "provider_code": provider_column(),
            "patient_id": code_column("Pseudonymised patient identifier, or the NHS number (the same patient "
                                      "across episodes)"),
            "treatment_date": date_column("Date the episode started"),
            "indication": pa.Column(TEXT,
                                    pa.Check.isin(["ITP", "PID", "SID", "CIDP", "MMN", "GBS", "Myositis", "Other"]),
                                    coerce=True,
                                    description="Indication: ITP, PID, SID, CIDP, MMN, GBS, Myositis or Other"),
            "weight_kg": pa.Column(float, pa.Check.in_range(1, 300), nullable=True, coerce=True,
                                   description="Patient's weight in kg; empty when not recorded"),
            "dose_g": pa.Column(float, positive_up_to(1000), coerce=True,
                                description="Total immunoglobulin given in the episode, grams (> 0)"),
        },
        strict=False,
        name="immunoglobulin",
    ),
)
