"""The outpatients table, like Hospital Episode Statistics (HES) outpatients, one row per attendance."""
from __future__ import annotations

import pandera.pandas as pa

from .base import TEXT, TableSpec, code_column, date_column, provider_column

PATHWAYS = ["hip_oa", "knee_oa", "cardiac_device"]
# HES treatment function codes: 110 trauma and orthopaedics, 320 cardiology
TREATMENT_FUNCTIONS = {"hip_oa": "110", "knee_oa": "110", "cardiac_device": "320"}

SPEC = TableSpec(
    name="outpatients",
    title="Outpatient attendances",
    like="Hospital Episode Statistics (HES) outpatients",
    description="One row per attended outpatient appointment on the pathways where shared decision making is "
                "measured (osteoarthritis of the hip or knee, cardiac devices): provider, date, specialty, "
                "pathway and whether it was the patient's first (new) attendance or a follow-up.",
    key="attendance_id",
    date_column="attendance_date",
    source="Hospital Episode Statistics (HES) outpatients, from the Secondary Uses Service (SUS).",
    access="Yes: pseudonymised, in NHS England's National Commissioning Data Repository (NCDR).",
    identifiers=("attendance_id", "patient_id"),
    patient_column="patient_id",
    schema=pa.DataFrameSchema(
        {
            "attendance_id": code_column("Identifier of the outpatient attendance", unique=True),
            "provider_code": provider_column(),
            "patient_id": code_column("Pseudonymised patient identifier"),
            "attendance_date": date_column("Date of the appointment"),
            "treatment_function": pa.Column(TEXT, pa.Check.isin(sorted(set(TREATMENT_FUNCTIONS.values()))),
                                            coerce=True, description="Specialty, HES treatment function code: 110 "
                                                                     "trauma and orthopaedics, 320 cardiology"),
            "pathway": pa.Column(TEXT, pa.Check.isin(PATHWAYS), coerce=True,
                                 description="Pathway the attendance belongs to: hip_oa, knee_oa (osteoarthritis) or "
                                             "cardiac_device (pacemaker, ICD or CRT)"),
            "first_attendance": pa.Column(int, pa.Check.isin([0, 1]), coerce=True,
                                          description="1 for the first (new) attendance of the referral, 0 for a "
                                                      "follow-up"),
        },
        checks=[pa.Check(lambda df: df["treatment_function"] == df["pathway"].map(TREATMENT_FUNCTIONS),
                         name="treatment_function matches pathway",
                         error="hip_oa and knee_oa are seen in 110 (trauma and orthopaedics), cardiac_device in 320 "
                               "(cardiology)")],
        strict=False,
        name="outpatients",
    ),
)
