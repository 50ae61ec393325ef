"""The elective spinal surgery pathway table, like a spinal centre's referral-to-treatment (RTT) pathway extract."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .base import DATE_IN_RANGE, ISO_DATETIME, TEXT, TableSpec, code_column, date_column, provider_column

OUTCOMES = ("listed_for_surgery", "injection", "physiotherapy", "pain_management", "discharged")
PROCEDURE_GROUPS = ("lumbar_decompression", "lumbar_discectomy", "lumbar_fusion", "cervical_decompression_fusion",
                    "deformity_correction", "other_spinal")


def _optional_date(description: str) -> pa.Column:
    return pa.Column(ISO_DATETIME, DATE_IN_RANGE, nullable=True, coerce=True, description=description)


def _in_order(earlier: str, later: str) -> pa.Check:
    """`later` on or after `earlier` wherever both are recorded (an empty date is a step not yet reached)."""
    def check(df: pd.DataFrame) -> pd.Series:
        return df[earlier].isna() | df[later].isna() | (df[later] >= df[earlier])
    return pa.Check(check, name=f"{later} >= {earlier}", error=f"{later} cannot come before {earlier}")


def _together(a: str, b: str, why: str) -> pa.Check:
    return pa.Check(lambda df: df[a].isna() == df[b].isna(), name=f"{a} and {b} both recorded or both empty",
                    error=why)


def _surgery_only_if_listed(df: pd.DataFrame) -> pd.Series:
    return df["surgery_date"].isna() | (df["outcome"] == "listed_for_surgery")


def _decision_after_attendance(df: pd.DataFrame) -> pd.Series:
    return df["decision_date"].isna() | df["first_attendance_date"].notna()


SPEC = TableSpec(
    name="spinal_surgery",
    title="Elective spinal surgery pathways",
    like="referral-to-treatment extract of a spinal centre (outpatient referrals, decisions and HES-like surgical "
         "spells)",
    description="One row per adult referral to a spinal centre's surgical outpatient clinic: when it was received, "
                "when the patient was first seen, the decision of the surgical assessment (and when), and the date and "
                "procedure group of the elective operation for those listed. A date not yet reached is empty.",
    key="referral_id",
    date_column="referral_date",
    source="No national source exists for the referral pathway as a whole: the outcome of the surgical assessment is "
           "in the spinal centre's own records. The attendances and operations are in HES outpatients and admitted "
           "care, and waits in the referral-to-treatment returns (counts, not patients).",
    access="Partly: HES is in NHS England's National Commissioning Data Repository (NCDR) and the "
           "referral-to-treatment returns are open data; the assessment's outcome only from the spinal centres.",
    identifiers=("referral_id", "patient_id"),
    patient_column="patient_id",
    schema=pa.DataFrameSchema(
        {
            "referral_id": code_column("Identifier of the referral (one pathway)", unique=True),
            "provider_code": provider_column(),
            "patient_id": code_column("Pseudonymised patient identifier"),
            "age_at_referral": pa.Column(int, pa.Check.in_range(18, 110), coerce=True,
                                         description="Age in years when referred (adults: 18 to 110)"),
            "referral_date": date_column("Date the spinal centre received the referral (the RTT clock starts)"),
            "first_attendance_date": _optional_date(
                "Date of the first surgical outpatient attendance; empty if not yet seen"),
            "decision_date": _optional_date(
                "Date of the outcome of the surgical assessment (at the first attendance or after investigations); "
                "empty if not yet decided"),
            "outcome": pa.Column(TEXT, pa.Check.isin(list(OUTCOMES)), nullable=True, coerce=True,
                                 description="Outcome of the surgical assessment: " + ", ".join(OUTCOMES)
                                             + "; empty if not yet decided"),
            "surgery_date": _optional_date(
                "Date of the elective spinal operation (admission); empty if not (yet) operated"),
            "procedure_group": pa.Column(TEXT, pa.Check.isin(list(PROCEDURE_GROUPS)), nullable=True, coerce=True,
                                         description="Group of the main spinal procedure: "
                                                     + ", ".join(PROCEDURE_GROUPS) + "; empty if not operated"),
        },
        checks=[
            _in_order("referral_date", "first_attendance_date"),
            _in_order("first_attendance_date", "decision_date"),
            _in_order("decision_date", "surgery_date"),
            pa.Check(_decision_after_attendance, name="decision_date needs first_attendance_date",
                     error="a decision is made at or after the first attendance"),
            _together("decision_date", "outcome", "an outcome has a decision date and a decision date an outcome"),
            _together("surgery_date", "procedure_group", "an operation has a date and a procedure group"),
            pa.Check(_surgery_only_if_listed, name="surgery_date only if outcome is listed_for_surgery",
                     error="only patients listed for surgery are operated on"),
        ],
        strict=False,
        name="spinal_surgery",
    ),
)
