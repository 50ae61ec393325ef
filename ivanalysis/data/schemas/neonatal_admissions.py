"""The neonatal admissions table, like the National Neonatal Research Database (NNRD)."""
from __future__ import annotations

import pandera.pandas as pa

from .base import TEXT, TableSpec, code_column, date_column, provider_column

REASONS = ("hypoglycaemia", "jaundice", "respiratory", "asphyxia", "infection", "prematurity", "congenital", "other")
AVOIDABLE = ("yes", "no", "not_reviewed")
TERM_WEEKS = 37  # born at 37 completed weeks or later
COT_DAY_COLUMNS = ("cot_days_intensive", "cot_days_high_dependency", "cot_days_special_care")


def _cot_days(level: str) -> pa.Column:
    return pa.Column(int, pa.Check.in_range(0, 365), coerce=True,
                     description=f"Days of the admission at {level} care (0 to 365)")


SPEC = TableSpec(
    name="neonatal_admissions",
    title="Admissions to neonatal units",
    like="National Neonatal Research Database (NNRD)",
    description="One row per admission of a baby to a neonatal unit (intensive care, high dependency or special "
                "care), with the gestation at birth, the primary reason for admission, the cot days at each level "
                "of care and, where the admission of a term baby was reviewed (ATAIN), whether it was judged "
                "avoidable.",
    key="admission_id",
    date_column="admission_date",
    source="National Neonatal Research Database (NNRD), built from the units' BadgerNet records by the Neonatal Data "
           "Analysis Unit (Imperial College London); the Neonatal Critical Care Minimum Data Set in SUS holds the "
           "days at each level of care. No national source exists for the ATAIN review's judgement of avoidability, "
           "which stays with the trust and its neonatal network.",
    access="Partly: an NNRD extract needs an application to the Neonatal Data Analysis Unit, and networks and "
           "providers have BadgerNet reports; the minimum data set is in NHS England's National Commissioning Data "
           "Repository (NCDR); avoidability only from the trusts' ATAIN reviews.",
    identifiers=("admission_id", "baby_id"),
    patient_column="baby_id",
    schema=pa.DataFrameSchema(
        {
            "admission_id": code_column("Identifier of the admission to the neonatal unit", unique=True),
            "provider_code": provider_column(),
            "baby_id": code_column("Pseudonymised identifier of the baby (a baby readmitted keeps its identifier)"),
            "admission_date": date_column("Date of admission to the neonatal unit"),
            "gestation_weeks": pa.Column(int, pa.Check.in_range(22, 44), coerce=True,
                                         description="Completed weeks of gestation at birth (22 to 44; 37 or more "
                                                     "is term)"),
            "primary_reason": pa.Column(TEXT, pa.Check.isin(list(REASONS)), coerce=True,
                                        description="Primary reason for admission: " + ", ".join(REASONS)
                                        + " (asphyxia includes hypoxic-ischaemic encephalopathy)"),
            "cot_days_intensive": _cot_days("intensive"),
            "cot_days_high_dependency": _cot_days("high dependency"),
            "cot_days_special_care": _cot_days("special"),
            "avoidable": pa.Column(TEXT, pa.Check.isin(list(AVOIDABLE)), coerce=True,
                                   description="Judged avoidable at review (ATAIN): yes or no; not_reviewed when "
                                               "the admission was not reviewed"),
        },
        checks=[
            pa.Check(lambda df: (df["cot_days_intensive"] + df["cot_days_high_dependency"]
                                 + df["cot_days_special_care"]) >= 1,
                     name="cot_days_intensive + cot_days_high_dependency + cot_days_special_care >= 1",
                     error="an admission lasts at least one cot day"),
            pa.Check(lambda df: (df["primary_reason"] != "prematurity") | (df["gestation_weeks"] < TERM_WEEKS),
                     name="primary_reason prematurity needs gestation_weeks below 37",
                     error="a baby born at term cannot be admitted for prematurity"),
        ],
        strict=False,
        name="neonatal_admissions",
    ),
)
