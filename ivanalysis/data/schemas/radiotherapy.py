"""The radiotherapy courses table, like the Radiotherapy Data Set (RTDS)."""
from __future__ import annotations

import pandera.pandas as pa

from .base import TEXT, TableSpec, code_column, date_column, positive_up_to, provider_column, str_matches

ICD10 = str_matches(r"^[A-Z][0-9]{2}(\.?[0-9X])?$", "str_matches: an ICD-10 code such as C61 or C61.9")

SPEC = TableSpec(
    name="radiotherapy",
    title="Radiotherapy courses",
    like="Radiotherapy Data Set (RTDS)",
    description="One row per course of radiotherapy: diagnosis, intent, modality, prescribed dose and fractions.",
    key="course_id",
    date_column="start_date",
    source="Radiotherapy Data Set (RTDS), held by the National Disease Registration Service (formerly Public Health "
           "England).",
    access="Partly: provider-level reports reach NHS staff through the registry's portal (CancerStats); patient-level "
           "extracts need an application to the National Disease Registration Service.",
    identifiers=("course_id", "patient_id"),
    patient_column="patient_id",
    schema=pa.DataFrameSchema(
        {
            "course_id": code_column("Identifier of the radiotherapy course", unique=True),
            "provider_code": provider_column(),
            "patient_id": code_column("Pseudonymised patient identifier"),
            "start_date": date_column("Date of the first fraction"),
            "diagnosis": pa.Column(TEXT, ICD10, coerce=True,
                                   description="Primary diagnosis, ICD-10 code (C61 is prostate cancer)"),
            "intent": pa.Column(TEXT, pa.Check.isin(["radical", "adjuvant", "palliative"]), coerce=True,
                                description="Treatment intent: radical, adjuvant or palliative"),
            "modality": pa.Column(TEXT, pa.Check.isin(["external_beam", "brachytherapy"]), coerce=True,
                                  description="external_beam or brachytherapy"),
            "dose_gy": pa.Column(float, positive_up_to(200), coerce=True,
                                 description="Total prescribed dose, Gray (> 0)"),
            "fractions": pa.Column(int, pa.Check.in_range(1, 60), coerce=True,
                                   description="Number of fractions prescribed (1 to 60)"),
        },
        strict=False,
        name="radiotherapy",
    ),
)
