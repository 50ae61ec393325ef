"""The clinical utilisation review table: one row per patient-day reviewed by accredited CUR software."""
from __future__ import annotations

import pandera.pandas as pa

from .base import TEXT, TableSpec, code_column, date_column, provider_column

# Why a reviewed day does not meet the criteria for admission or continued stay, by where the delay lies
SETTING_REASONS = ("lower_level_of_care",)  # the patient could be cared for in a lower-level or other setting
INTERNAL_REASONS = ("awaiting_diagnostics", "awaiting_specialist_opinion", "awaiting_therapy_assessment",
                    "awaiting_senior_review", "awaiting_medication")
EXTERNAL_REASONS = ("awaiting_community_care", "awaiting_care_package", "awaiting_care_home", "awaiting_transport",
                    "patient_family_choice")
NO_REASON = "none"  # the day meets the criteria
REASONS = SETTING_REASONS + INTERNAL_REASONS + EXTERNAL_REASONS

SPEC = TableSpec(
    name="utilisation_reviews",
    title="Clinical utilisation reviews",
    like="Clinical utilisation review (CUR) software extracts (National CUR Framework suppliers)",
    description="One row per patient-day reviewed: whether the patient met the evidence-based criteria for "
                "admission (day 1) or continued stay that day, the reason when not, and the length of the whole "
                "spell (the extract is taken after the patients have left).",
    key="review_id",
    date_column="review_date",
    source="No national source exists: day-level reviews are held in each provider's CUR software (from the National "
           "CUR Framework's suppliers); the CUR CQUIN returned summary counts only.",
    access="No: only from the providers that use CUR, as an extract from their software.",
    identifiers=("review_id", "spell_id"),
    schema=pa.DataFrameSchema(
        {
            "review_id": code_column("Identifier of the review (one patient, one day)", unique=True),
            "provider_code": provider_column(),
            "spell_id": code_column("Pseudonymised identifier of the hospital spell reviewed"),
            "review_date": date_column("Date of the day reviewed"),
            "day_of_stay": pa.Column(int, pa.Check.in_range(1, 365), coerce=True,
                                     description="Day of the spell reviewed (1 is the day of admission)"),
            "meets_criteria": pa.Column(TEXT, pa.Check.isin(["yes", "no"]), coerce=True,
                                        description="yes when the day meets the criteria for admission (day 1) or "
                                                    "continued stay, no when it does not"),
            "reason": pa.Column(TEXT, pa.Check.isin([NO_REASON, *REASONS]), coerce=True,
                                description="Reason the criteria are not met (the reason for delay): "
                                            + ", ".join(REASONS) + "; none when they are met"),
            "spell_los_days": pa.Column(int, pa.Check.in_range(1, 365), coerce=True,
                                        description="Length of stay of the whole spell, days (1 to 365)"),
        },
        checks=[
            pa.Check(lambda df: df["day_of_stay"] <= df["spell_los_days"], name="day_of_stay <= spell_los_days",
                     error="a day reviewed lies within the spell"),
            pa.Check(lambda df: (df["meets_criteria"] == "yes") == (df["reason"] == NO_REASON),
                     name="reason none exactly when meets_criteria is yes",
                     error="a day not meeting the criteria needs its reason, and a day meeting them has none"),
        ],
        unique=["spell_id", "day_of_stay"],
        strict=False,
        name="utilisation_reviews",
    ),
)
