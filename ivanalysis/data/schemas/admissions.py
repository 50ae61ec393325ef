"""The admissions table, like Hospital Episode Statistics (HES) admitted patient care, one row per spell."""
from __future__ import annotations

import numpy as np
import pandera.pandas as pa

from .base import DATE_IN_RANGE, ISO_DATETIME, TEXT, TableSpec, code_column, date_column, provider_column, str_matches

METHODS = ["elective", "emergency", "day_case"]
PROCEDURE_GROUPS = ["hip_replacement", "knee_replacement", "cardiac_device", "chemotherapy"]
ICD10_3 = str_matches(r"^[A-Z][0-9]{2}$", "str_matches: a 3-character ICD-10 code such as C34 or M17")


def _is_cancer(diagnosis):
    # ICD-10 chapter II, malignant neoplasms: C00 to C97 (a plain comparison is much faster than .str on millions)
    d = diagnosis.fillna("")
    return (d >= "C00") & (d <= "C97")


SPEC = TableSpec(
    name="admissions",
    title="Hospital admissions (spells)",
    like="Hospital Episode Statistics (HES) admitted patient care, linked to ONS deaths",
    description="One row per admission (hospital spell): provider, patient, dates, admission method, primary "
                "diagnosis, procedure group, whether the patient has incurable cancer and, if they died, the date "
                "of death. Holds the cohorts the demand schemes read (see the synthetic generator).",
    key="spell_id",
    date_column="admission_date",
    source="Hospital Episode Statistics (HES) admitted patient care, from the Secondary Uses Service (SUS), linked to "
           "ONS death registrations; the incurable-cancer flag comes from the cancer registry (National Disease "
           "Registration Service) or the treatment intent, linked in.",
    access="Yes for the admissions: pseudonymised SUS and HES admitted care are in NHS England's National "
           "Commissioning Data Repository (NCDR). The linked ONS deaths and cancer registry flag need an approved "
           "data access request.",
    identifiers=("spell_id", "patient_id"),
    patient_column="patient_id",
    schema=pa.DataFrameSchema(
        {
            "spell_id": code_column("Identifier of the hospital spell", unique=True),
            "provider_code": provider_column(),
            "patient_id": code_column("Pseudonymised patient identifier (the same patient across spells)"),
            "admission_date": date_column("Date the spell started"),
            "discharge_date": date_column("Date the spell ended (the date of death if the patient died in it)"),
            "admission_method": pa.Column(TEXT, pa.Check.isin(METHODS), coerce=True,
                                          description="elective (planned, with a stay), emergency (unplanned) or "
                                                      "day_case (planned, same-day discharge)"),
            "diagnosis": pa.Column(TEXT, ICD10_3, coerce=True,
                                   description="Primary diagnosis, 3-character ICD-10 code (C00-C97 are cancers; "
                                               "M16 and M17 osteoarthritis of the hip and knee)"),
            # empty cells read as NaN from CSV and None from Parquet: the parser makes them the same
            "procedure_group": pa.Column(TEXT, pa.Check.isin(PROCEDURE_GROUPS), nullable=True, coerce=True,
                                         parsers=pa.Parser(lambda s: s.where(s.notna(), np.nan)),
                                         description="Main procedure, grouped: hip_replacement, knee_replacement, "
                                                     "cardiac_device (pacemaker, ICD or CRT implant), chemotherapy "
                                                     "(delivery); empty when none of these"),
            "incurable_cancer": pa.Column(int, pa.Check.isin([0, 1]), coerce=True,
                                          description="1 if the patient has incurable cancer (palliative intent, from "
                                                      "the cancer registry or the treatment intent), else 0"),
            "date_of_death": pa.Column(ISO_DATETIME, DATE_IN_RANGE, nullable=True, coerce=True,
                                       description="Date of death (ONS), empty if the patient had not died by the "
                                                   "end of the extract"),
            "length_of_stay": pa.Column(int, pa.Check.in_range(0, 365), coerce=True,
                                        description="Nights in hospital: discharge date minus admission date (0 to "
                                                    "365)"),
        },
        checks=[
            # length_of_stay is 0 or more, so this rule also keeps discharge on or after admission
            pa.Check(lambda df: (df["discharge_date"] - df["admission_date"]).dt.days == df["length_of_stay"],
                     name="length_of_stay = discharge_date - admission_date",
                     error="the length of stay is the nights from admission to discharge"),
            pa.Check(lambda df: (df["admission_method"] != "day_case") | (df["length_of_stay"] == 0),
                     name="admission_method day_case has length_of_stay 0",
                     error="a day case is discharged the day it is admitted"),
            pa.Check(lambda df: df["date_of_death"].isna() | (df["date_of_death"] >= df["discharge_date"]),
                     name="date_of_death >= discharge_date", error="no spell can end after the patient died"),
            pa.Check(lambda df: ((df["incurable_cancer"] == 0) & (df["procedure_group"] != "chemotherapy"))
                     | _is_cancer(df["diagnosis"]),
                     name="incurable_cancer or procedure_group chemotherapy needs a cancer diagnosis",
                     error="only a diagnosis of cancer (ICD-10 C00-C97) has incurable_cancer 1 or chemotherapy"),
        ],
        strict=False,
        name="admissions",
    ),
)
